"""Tests of tncost.paths: the exact DP against three independent optima, the registry, errors.

Oracles for the minimum total ops (tncost's cost model, outer products allowed):

* brute force: every binary tree over up to 6 tensors, each costed with tncost.cost;
* cotengra's exact search ``pathfinders.path_basic.optimize_optimal`` with
  ``minimize="flops"`` (the same per-step count as ``ops``), ``search_outer=True``
  and ``simplify=False``. It is exact per connected component only: it joins
  the components afterwards, smallest first (cotengra 0.8), so on
  disconnected networks it is an upper bound;
* opt_einsum's ``DynamicProgramming(minimize="flops", search_outer=True)``.
  Its objective adds ``compute_size_by_dict`` of each step's index union, which
  is ``ops`` without the factor 2 of ``flop_count`` (opt_einsum 3.4, paths.py).

Every oracle's tree is recosted with tncost.cost before comparing.
"""

from __future__ import annotations

import math

import numpy as np
import opt_einsum
import pytest
from cotengra.pathfinders.path_basic import optimize_optimal

from tncost.cost import tree_cost
from tncost.errors import NetworkError, SizeError, SpecError
from tncost.network import TensorNetwork
from tncost.paths import (
    AUTO_DP_LIMIT,
    DEFAULT_SAMPLE,
    DP_MAX_TENSORS,
    METHODS,
    SearchResult,
    cotengra_search,
    dp_optimal,
    greedy_search,
    optimize,
    optimize_with_report,
    register_method,
    sample_sizes,
)
from tncost.tree import ContractionTree

SEEDS = range(60)


def random_network(seed: int, min_tensors: int = 3, max_tensors: int = 10) -> TensorNetwork:
    """Draw a network of 3-10 tensors with pair edges and hyperedges, summed and open.

    Odd seeds split the tensors into two or three groups that share no index,
    so half the networks are disconnected. Every summed index sits on at least
    two tensors.
    """
    rng = np.random.default_rng(seed)
    count = int(rng.integers(min_tensors, max_tensors + 1))
    groups = int(rng.integers(2, 4)) if seed % 2 and count >= 4 else 1
    group_of = [position % groups for position in range(count)]
    inputs: list[list[str]] = [[] for _ in range(count)]
    output: list[str] = []
    sizes: dict[str, int] = {}

    def add_index(holders, is_open: bool) -> None:
        name = f"i{len(sizes)}"
        sizes[name] = int(rng.integers(2, 7))
        for position in holders:
            inputs[int(position)].append(name)
        if is_open:
            output.append(name)

    for _ in range(int(rng.integers(count, 2 * count + 1))):
        group = int(rng.integers(groups))
        members = [p for p in range(count) if group_of[p] == group]
        if len(members) < 2:
            continue
        how_many = 2 if rng.random() < 0.8 else int(rng.integers(2, min(4, len(members)) + 1))
        holders = rng.choice(members, size=how_many, replace=False)
        add_index(holders, is_open=bool(rng.random() < 0.15))
    for _ in range(int(rng.integers(0, 4))):
        add_index([int(rng.integers(count))], is_open=True)
    for position in range(count):
        if not inputs[position]:
            add_index([position], is_open=True)
    return TensorNetwork.from_inputs(inputs, output, sizes)


def ops_of(network: TensorNetwork, tree: ContractionTree) -> int:
    return tree_cost(network, tree).ops


def cotengra_exact_ops(network: TensorNetwork) -> int:
    ssa_path = optimize_optimal(
        network.inputs,
        network.output,
        dict(network.size_dict),
        minimize="flops",
        search_outer=True,
        simplify=False,
        use_ssa=True,
    )
    return ops_of(network, ContractionTree.from_ssa_path(ssa_path, len(network.tensors)))


def opt_einsum_dp_ops(network: TensorNetwork, search_outer: bool = True) -> int:
    finder = opt_einsum.paths.DynamicProgramming(minimize="flops", search_outer=search_outer)
    path = finder([frozenset(t) for t in network.inputs], frozenset(network.output), dict(network.size_dict))
    return ops_of(network, ContractionTree.from_path(path, len(network.tensors)))


def all_trees(leaves: tuple[int, ...]):
    """Yield every binary tree over ``leaves`` as nested pairs, each unordered tree once."""
    if len(leaves) == 1:
        yield leaves[0]
        return
    first, rest = leaves[0], leaves[1:]
    for mask in range(2 ** len(rest) - 1):
        left = (first,) + tuple(x for k, x in enumerate(rest) if mask >> k & 1)
        right = tuple(x for k, x in enumerate(rest) if not mask >> k & 1)
        for left_tree in all_trees(left):
            for right_tree in all_trees(right):
                yield (left_tree, right_tree)


def brute_force_ops(network: TensorNetwork, positions: tuple[int, ...] | None = None) -> int:
    leaves = tuple(range(len(network.tensors))) if positions is None else positions
    return min(ops_of(network, ContractionTree.from_nested(tree)) for tree in all_trees(leaves))


# The generators themselves -------------------------------------------------------------


def test_random_networks_seeded_and_varied():
    assert random_network(5) == random_network(5)
    networks = [random_network(seed) for seed in SEEDS]
    assert {len(n.tensors) for n in networks} >= {3, 10}
    assert sum(len(n.connected_components()) > 1 for n in networks) >= 20
    assert sum(any(len(n.positions(i)) >= 3 for i in n.indices) for n in networks) >= 15


@pytest.mark.parametrize("count", range(1, 7))
def test_all_trees_counts_every_tree(count):
    trees = list(all_trees(tuple(range(count))))
    # (2n - 3)!! unordered binary trees with n labelled leaves.
    assert len(trees) == math.prod(range(1, 2 * count - 2, 2))
    assert len({frozenset(ContractionTree.from_nested(t).node_set()) for t in trees}) == len(trees)


# Exactness of dp --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_dp_matches_exact_searches(seed):
    net = random_network(seed)
    tree = dp_optimal(net)
    dp_ops = ops_of(net, tree)
    assert tree.leaves == tuple(range(len(net.tensors)))
    assert dp_ops == opt_einsum_dp_ops(net)
    if len(net.connected_components()) == 1:
        assert dp_ops == cotengra_exact_ops(net)
    else:
        # cotengra optimizes each connected component alone and joins the
        # results smallest first, which can miss interleaved outer products.
        assert dp_ops <= cotengra_exact_ops(net)


def test_dp_beats_cotengra_on_components():
    net = random_network(19)
    assert len(net.connected_components()) == 4
    assert ops_of(net, dp_optimal(net)) == opt_einsum_dp_ops(net) == cotengra_exact_ops(net) - 2


@pytest.mark.parametrize("seed", [s for s in SEEDS if len(random_network(s).tensors) <= 6])
def test_dp_matches_brute_force(seed):
    net = random_network(seed)
    assert ops_of(net, dp_optimal(net)) == brute_force_ops(net)


@pytest.mark.parametrize("seed", range(100, 140))
def test_dp_matches_brute_force_small(seed):
    net = random_network(seed, max_tensors=6)
    assert ops_of(net, dp_optimal(net)) == brute_force_ops(net)


def test_kronecker_product_of_vectors():
    sizes = {"a": 2, "b": 3, "c": 5, "d": 7}
    net = TensorNetwork.from_inputs([("a",), ("b",), ("c",), ("d",)], None, sizes)
    result = optimize_with_report(net, "dp")
    # Pairing a with d and b with c costs 2*7 + 3*5 before the final 210.
    assert result.ops_at_sample == brute_force_ops(net) == 14 + 15 + 210
    assert result.tree.nested() == ((0, 3), (1, 2))
    assert ops_of(net, optimize(net, "cotengra")) >= 239
    assert ops_of(net, optimize(net, "greedy")) >= 239


def test_dp_finds_optimal_outer_product():
    # u(i) and v(j) both attach to M(i, j, k). Joining u and v first costs
    # i*j + i*j*k = 606, which beats either vector-matrix product first (>= 800).
    net = TensorNetwork.from_inputs([("i",), ("j",), ("i", "j", "k")], ("k",), {"i": 2, "j": 3, "k": 100})
    tree = optimize(net, "dp")
    assert tree.nested() == ((0, 1), 2)
    assert ops_of(net, tree) == 606
    assert opt_einsum_dp_ops(net, search_outer=False) > 606


def test_dp_is_deterministic():
    net = random_network(8)
    assert dp_optimal(net) == dp_optimal(net)


def test_single_tensor_gives_an_empty_tree():
    net = TensorNetwork.from_inputs([("a", "b")], None, {"a": 2, "b": 3})
    for method in ("dp", "cotengra", "greedy", "auto"):
        assert optimize(net, method) == ContractionTree((0,), ())


# Searching a subset of positions ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_positions_keep_outside_indices(seed):
    net = random_network(seed + 200, min_tensors=6, max_tensors=9)
    positions = tuple(range(0, len(net.tensors), 2))[:5]
    tree = optimize(net, "dp", positions=positions)
    assert tree.leaves == positions
    assert ops_of(net, tree) == brute_force_ops(net, positions)
    for method in ("cotengra", "greedy"):
        other = optimize(net, method, positions=list(reversed(positions)))
        assert tree_cost(net, other).ops >= ops_of(net, tree)
        assert other.leaves == positions


def test_positions_accept_numpy_integers():
    net = random_network(3)
    tree = optimize(net, "dp", positions=np.arange(3))
    assert tree.leaves == (0, 1, 2)


# Heuristic methods ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(0, 60, 5))
def test_heuristics_not_cheaper_than_dp(seed):
    net = random_network(seed)
    best = ops_of(net, dp_optimal(net))
    for method in ("cotengra", "greedy"):
        tree = optimize(net, method)
        assert sorted(tree.leaves) == list(range(len(net.tensors)))
        assert ops_of(net, tree) >= best


def test_cotengra_search_is_reproducible_with_a_seed():
    net = random_network(1000, min_tensors=20, max_tensors=20)
    first = cotengra_search(net, seed=3, max_repeats=8)
    assert first == cotengra_search(net, seed=3, max_repeats=8)
    assert len(first.steps) == 19


def test_greedy_search_matches_opt_einsum_greedy():
    net = random_network(12)
    path = opt_einsum.paths.greedy([frozenset(t) for t in net.inputs], frozenset(net.output), dict(net.size_dict))
    assert greedy_search(net) == ContractionTree.from_path(path, len(net.tensors))


# auto and the registry ---------------------------------------------------------------------


def test_auto_switches_at_limit():
    small = random_network(4)
    result = optimize_with_report(small)
    assert result.method == "dp"
    assert result.ops_at_sample == ops_of(small, dp_optimal(small))

    large = random_network(7, min_tensors=AUTO_DP_LIMIT + 2, max_tensors=AUTO_DP_LIMIT + 2)
    result = optimize_with_report(large, "auto", max_repeats=4)
    assert result.method == "cotengra"
    assert result.tree == cotengra_search(large, max_repeats=4)


def test_methods_registry_lists_the_built_in_methods():
    assert {"dp", "cotengra", "greedy", "auto"} <= set(METHODS)


def test_register_method_adds_and_replaces(monkeypatch):
    monkeypatch.setattr("tncost.paths.METHODS", dict(METHODS))
    from tncost import paths

    def left_to_right(network, positions):
        return ContractionTree.from_path([(0, 1)] * (len(positions) - 1), positions)

    register_method("left-to-right", left_to_right)
    net = random_network(2)
    count = len(net.tensors)
    assert optimize(net, "left-to-right") == ContractionTree.from_path([(0, 1)] * (count - 1), count)
    assert optimize_with_report(net, "left-to-right").method == "left-to-right"
    with pytest.raises(SpecError, match="'left-to-right' is already registered; pass replace=True"):
        register_method("left-to-right", left_to_right)
    register_method("left-to-right", dp_optimal, replace=True)
    assert paths.METHODS["left-to-right"] is dp_optimal


@pytest.mark.parametrize(
    ("name", "function", "message"),
    [
        pytest.param("", dp_optimal, "invalid method name ''", id="empty-name"),
        pytest.param(3, dp_optimal, "invalid method name 3", id="non-string-name"),
        pytest.param("mine", "dp", "method 'mine': 'dp' is not callable", id="not-callable"),
    ],
)
def test_register_method_rejects_bad_input(name, function, message):
    with pytest.raises(SpecError, match=message):
        register_method(name, function)


def test_method_returning_a_wrong_tree_is_reported(monkeypatch):
    monkeypatch.setattr("tncost.paths.METHODS", dict(METHODS))
    register_method("broken", lambda network, positions: ContractionTree((0,), ()))
    with pytest.raises(SpecError, match="method 'broken' returned .* not a ContractionTree over positions"):
        optimize(random_network(2), "broken")


# Errors ----------------------------------------------------------------------------------


def test_unknown_method_lists_the_valid_names():
    net = random_network(0)
    with pytest.raises(SpecError, match="unknown search method 'fast'; valid methods are auto, cotengra, dp, greedy"):
        optimize(net, "fast")


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        pytest.param([0, 99], "tensor position 99 is out of range; the network has positions 0..", id="too-large"),
        pytest.param([-1, 0], "tensor position -1 is out of range", id="negative"),
        pytest.param([0, "a"], "tensor position 'a' is out of range", id="not-an-int"),
        pytest.param([True, 0], "tensor position True is out of range", id="bool"),
        pytest.param([1, 0, 1], "tensor position 1 is listed more than once", id="repeated"),
        pytest.param([], "no tensor positions to order", id="empty"),
    ],
)
def test_invalid_positions(positions, message):
    net = random_network(0)
    with pytest.raises(NetworkError, match=message):
        optimize(net, "dp", positions=positions)


def test_dp_rejects_symbolic_and_large():
    symbolic = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], ("a", "b"), {"a": "s", "b": "s", "i": "R"})
    with pytest.raises(NetworkError, match=r"symbolic sizes \(R, s\); substitute numbers"):
        dp_optimal(symbolic)
    count = DP_MAX_TENSORS + 1
    chain = TensorNetwork.from_inputs(
        [(f"e{k}", f"e{k + 1}") for k in range(count)], None, {f"e{k}": 2 for k in range(count + 1)}
    )
    with pytest.raises(NetworkError, match=f"at most {DP_MAX_TENSORS} tensors, got {count}; use method='cotengra'"):
        dp_optimal(chain)


def test_cotengra_rejects_bad_max_repeats():
    with pytest.raises(SpecError, match="invalid max_repeats 0: use a positive integer"):
        cotengra_search(random_network(0), max_repeats=0)


def test_empty_network_rejected():
    with pytest.raises(NetworkError, match="at least one tensor"):
        TensorNetwork.from_inputs([], None, {})


# Symbolic networks ---------------------------------------------------------------------


def symbolic_chain() -> TensorNetwork:
    return TensorNetwork.from_inputs(
        [("a", "i"), ("i", "b", "j"), ("j", "c"), ("c", "k")],
        ("a", "b", "k"),
        {"a": "s", "b": "s", "c": "s", "i": "R", "j": "R", "k": "q"},
    )


def test_sample_sizes_defaults_and_overrides():
    net = symbolic_chain()
    assert sample_sizes(net) == {"R": DEFAULT_SAMPLE["R"], "q": 10, "s": DEFAULT_SAMPLE["s"]}
    assert sample_sizes(net, {"q": 3}) == {"R": 20, "q": 3, "s": 1000}
    assert sample_sizes(random_network(0)) == {}


@pytest.mark.parametrize(
    ("sizes", "error", "message"),
    [
        pytest.param({"m": 4}, SizeError, r"unknown symbol\(s\) m in the sample sizes; the network's symbols are R, q, s", id="unknown"),
        pytest.param({"s": 0}, SizeError, "invalid sample value 0 for symbol s: use a positive integer", id="zero"),
        pytest.param({"s": 2.5}, SizeError, "invalid sample value 2.5 for symbol s", id="float"),
    ],
)
def test_sample_sizes_rejects_bad_values(sizes, error, message):
    with pytest.raises(error, match=message):
        optimize(symbolic_chain(), sizes=sizes)


def test_symbolic_network_is_searched_at_the_sample():
    net = symbolic_chain()
    result = optimize_with_report(net, "dp", sizes={"s": 50})
    assert isinstance(result, SearchResult)
    assert dict(result.sample) == {"R": 20, "q": 10, "s": 50}
    numeric = net.at_sizes(result.sample)
    assert result.tree == dp_optimal(numeric)
    assert result.ops_at_sample == brute_force_ops(numeric)
    with pytest.raises(TypeError):
        result.sample["s"] = 3  # the reported sample is read-only
