"""Tests of tncost.symbolic.search: exact optimal orders of symbolic networks under regimes.

Oracles:

* hand derivations for tensor-network environments (docstrings give them);
* a brute force over every binary tree, costs compared exactly as polynomials
  in one symbol (the large-χ optimum that netcon-style searches compute);
* tncost.paths.optimize(..., method="dp") at sizes 2**(1000 x) for an inner
  direction x of each region: the region's winner must have exactly the
  minimum ops there (ties allowed).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tncost.cost import tree_cost
from tncost.errors import NetworkError, RegimeError
from tncost.network import TensorNetwork
from tncost.paths import optimize
from tncost.symbolic.poly import Poly
from tncost.symbolic.search import SYMBOLIC_MAX_TENSORS, symbolic_optimize
from tncost.tree import ContractionTree

BITS = 1000


def all_trees(leaves: frozenset) -> list[tuple]:
    """Every binary tree over ``leaves``, as nested tuples."""
    if len(leaves) == 1:
        return [next(iter(leaves))]
    items = sorted(leaves)
    first, rest = items[0], items[1:]
    trees = []
    for size in range(0, len(rest)):
        for chosen in itertools.combinations(rest, size):
            left = frozenset((first,) + chosen)
            right = leaves - left
            for a in all_trees(left):
                for b in all_trees(right):
                    trees.append((a, b))
    return trees


def univariate_key(poly: Poly) -> tuple:
    """Asymptotic order in one symbol: terms by degree, largest first, with coefficients."""
    return tuple(sorted(((e[0] if e else 0, c) for e, c in poly.terms.items()), reverse=True))


def check_against_dp(network: TensorNetwork, regime: str) -> int:
    """Every region's winner has the numeric optimum far inside the region; return the region count."""
    result = symbolic_optimize(network, regime)
    assert result.regions
    for region in result.regions:
        point = {name: value for name, value in region.sizes(bits=BITS).items() if name in network.symbols}
        numeric = network.at_sizes(point)
        best = tree_cost(numeric, optimize(numeric, "dp")).ops
        for winner in region.winners:
            candidate = result.candidates[winner]
            assert tree_cost(numeric, candidate.tree).ops == best, (region.inequalities, winner)
            assert candidate.cost.evaluate(point) == best
    return len(result.regions)


def mps_environment(sizes: dict) -> TensorNetwork:
    """L(a, p, b) [χ, D, χ], A(a, s, c) [χ, d, χ], W(p, s, t, q) [D, d, d, D], conj A(b, t, e) [χ, d, χ]."""
    size_dict = {"a": sizes["chi"], "b": sizes["chi"], "c": sizes["chi"], "e": sizes["chi"],
                 "p": sizes["D"], "q": sizes["D"], "s": sizes["d"], "t": sizes["d"]}
    return TensorNetwork.from_inputs(
        [("a", "p", "b"), ("a", "s", "c"), ("p", "s", "t", "q"), ("b", "t", "e")],
        ("c", "q", "e"),
        size_dict,
        names=["L", "A", "W", "Abar"],
    )


def test_mps_environment_univariate() -> None:
    """With D = 5, d = 3: L·A costs 15χ³, then W costs 225χ², then conj A costs 15χ³.

    Any tree that joins W to L before an MPS tensor pays χ³·D·d² = 45χ³ in
    the next step. A and conj A share no index, so joining them first is an
    outer product of cost χ⁶·d². The optimum is 30χ³ + 225χ², with L·A or,
    by symmetry, L·conj A first.
    """
    net = mps_environment({"chi": "chi", "D": 5, "d": 3})
    result = symbolic_optimize(net)
    assert len(result.candidates) == 1
    assert len(result.regions) == 1
    best = result.candidates[0]
    assert best.cost == Poly.from_sympy("30*chi**3 + 225*chi**2")
    assert best.leading == Poly.from_sympy("30*chi**3")
    assert best.tree.nested() in ((((0, 1), 2), 3), (((0, 3), 2), 1))


def test_mps_environment_three_symbols() -> None:
    """Under d <= D <= chi the same order wins: 2χ³Dd + χ²D²d² (checked against dp in every region)."""
    net = mps_environment({"chi": "chi", "D": "D", "d": "d"})
    result = symbolic_optimize(net, "d <= D <= chi")
    assert [c.cost for c in result.candidates] == [Poly.from_sympy("2*chi**3*D*d + chi**2*D**2*d**2")]
    check_against_dp(net, "d <= D <= chi")


def peps_norm(bond: object, physical: object) -> TensorNetwork:
    """The norm of a 2x2 PEPS: four ket tensors, four bra tensors, physical indices summed."""
    inputs = []
    sizes = {}
    bonds = {(0, 1): "h0", (2, 3): "h1", (0, 2): "v0", (1, 3): "v1"}
    for layer in ("k", "b"):
        for site in range(4):
            legs = [f"p{site}"]
            for pair, name in bonds.items():
                if site in pair:
                    legs.append(f"{layer}{name}")
                    sizes[f"{layer}{name}"] = bond
            inputs.append(tuple(legs))
            sizes[f"p{site}"] = physical
    return TensorNetwork.from_inputs(inputs, (), sizes)


def test_peps_norm_matches_large_bond_dp() -> None:
    """Bond D, physical 2: contract each layer alone, never a ket with its bra.

    Joining two ket tensors over their shared bond touches two physical
    indices and three bonds, so it costs 4D³. The two column pairs of one
    layer cost 8D³. Meeting them over the two remaining bonds costs 16D². The
    ket and bra states (16 entries each) meet at cost 16. Both layers give
    16D³ + 32D² + 16, which the numeric dp confirms at D = 2**1000.
    """
    net = peps_norm("D", 2)
    result = symbolic_optimize(net)
    assert len(result.regions) == 1
    assert result.candidates[0].cost == Poly.from_sympy("16*D**3 + 32*D**2 + 16")
    check_against_dp(net, "")


def random_univariate(seed: int) -> TensorNetwork:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(3, 6))
    choices = ["chi", "chi", "chi**2", "2", "3", "2*chi"]
    inputs = [[] for _ in range(count)]
    sizes = {}
    for k in range(count + int(rng.integers(0, 3))):
        a, b = rng.choice(count, 2, replace=False) if k >= count else (k, (k + 1) % count)
        name = f"i{k}"
        inputs[a].append(name)
        inputs[b].append(name)
        sizes[name] = str(rng.choice(choices))
    for k in range(int(rng.integers(1, 3))):
        name = f"o{k}"
        inputs[int(rng.integers(count))].append(name)
        sizes[name] = str(rng.choice(choices))
    return TensorNetwork.from_inputs(inputs, None, sizes)


@pytest.mark.parametrize("seed", range(12))
def test_univariate_matches_brute_force(seed: int) -> None:
    net = random_univariate(seed)
    keys = []
    for nested in all_trees(frozenset(range(len(net.tensors)))):
        cost = tree_cost(net, ContractionTree.from_nested(nested)).ops
        keys.append(univariate_key(Poly.from_sympy(cost, net.symbols)))
    result = symbolic_optimize(net)
    assert len(result.candidates) == 1
    assert univariate_key(result.candidates[0].cost) == min(keys)


SYMBOLS = ("R", "m", "s")


def random_network(seed: int, max_tensors: int) -> tuple[TensorNetwork, str]:
    """A ring of 4..max_tensors tensors plus random edges and open indices; 2-3 symbols and a chain regime."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(4, max_tensors + 1))
    symbols = list(SYMBOLS[: int(rng.integers(2, 4))])
    inputs = [[] for _ in range(count)]
    sizes = {}
    names = itertools.count()

    def size() -> str:
        base = str(rng.choice(symbols))
        return base if rng.random() < 0.75 else rng.choice([f"{base}**2", f"2*{base}"])

    for position in range(count):
        name = f"i{next(names)}"
        inputs[position].append(name)
        inputs[(position + 1) % count].append(name)
        sizes[name] = size()
    for _ in range(int(rng.integers(0, count))):
        a, b = rng.choice(count, 2, replace=False)
        name = f"i{next(names)}"
        inputs[a].append(name)
        inputs[b].append(name)
        sizes[name] = size()
    for _ in range(int(rng.integers(1, 4))):
        name = f"o{next(names)}"
        inputs[int(rng.integers(count))].append(name)
        sizes[name] = size()
    order = list(symbols)
    rng.shuffle(order)
    length = int(rng.integers(0, len(order) + 1))
    regime = " <= ".join(order[:length]) if length >= 2 else ""
    return TensorNetwork.from_inputs(inputs, None, sizes), regime


@pytest.mark.parametrize("seed", range(36))
def test_random_networks_match_numeric_dp(seed: int) -> None:
    net, regime = random_network(seed, 6)
    check_against_dp(net, regime)


@pytest.mark.parametrize("seed", range(100, 112))
def test_larger_random_networks_match_numeric_dp(seed: int) -> None:
    net, regime = random_network(seed, 8)
    check_against_dp(net, regime)


def test_two_regions_of_a_chain() -> None:
    """Three matrices of shapes R×s, s×R and R×s: (AB)C costs 2R²s and A(BC) costs 2Rs².

    (A·B) has indices a, b, c (R·s·R), then ·C has a, c, d (R·R·s). A·(B·C)
    has b, c, d (s·R·s), then a, b, d (R·s·s). So (AB)C wins where s >= R
    and A(BC) where R >= s.
    """
    net = TensorNetwork.from_inputs([("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"), {"a": "R", "b": "s", "c": "R", "d": "s"})
    result = symbolic_optimize(net)
    summary = [(r.inequalities, result.candidates[r.winners[0]].tree.nested()) for r in result.regions]
    assert summary == [(("R >= s",), (0, (1, 2))), (("s >= R",), ((0, 1), 2))]
    assert symbolic_optimize(net, "R <= s").candidates[0].tree.nested() == ((0, 1), 2)
    assert result.best_at({"R": 2, "s": 50}).tree.nested() == ((0, 1), 2)


def test_outer_products_and_positions() -> None:
    kron = TensorNetwork.from_inputs([("a",), ("b",), ("c",)], None, {"a": "R", "b": "s", "c": "R"})
    assert check_against_dp(kron, "") >= 1
    net, regime = random_network(3, 6)
    partial = symbolic_optimize(net, regime, positions=(0, 1, 2))
    assert all(c.tree.leaves == (0, 1, 2) for c in partial.candidates)


def test_numeric_network_is_one_region() -> None:
    net = TensorNetwork.from_inputs([("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"), {"a": 10, "b": 2, "c": 10, "d": 2})
    result = symbolic_optimize(net)
    assert len(result.regions) == 1
    assert result.candidates[0].tree.nested() == (0, (1, 2))
    assert result.candidates[0].cost == Poly((), {(): 80})


def test_errors() -> None:
    net = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": "R", "b": "s", "c": "R"})
    with pytest.raises(NetworkError, match="out of range; the network has positions 0..1"):
        symbolic_optimize(net, positions=(0, 5))
    with pytest.raises(NetworkError, match="expected a TensorNetwork"):
        symbolic_optimize("ab,bc->ac")  # type: ignore[arg-type]
    with pytest.raises(RegimeError, match="infeasible"):
        symbolic_optimize(net, "s >= 1000, s <= 10")
    big = TensorNetwork.from_inputs([(f"i{k}", f"i{k + 1}") for k in range(SYMBOLIC_MAX_TENSORS + 1)], None, {f"i{k}": "s" for k in range(SYMBOLIC_MAX_TENSORS + 2)})
    with pytest.raises(NetworkError, match=f"at most {SYMBOLIC_MAX_TENSORS} tensors"):
        symbolic_optimize(big)
