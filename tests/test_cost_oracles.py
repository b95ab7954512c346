"""Oracle tests of tncost.cost: exact costs against opt_einsum, cotengra and numpy.

How each library counts one pairwise step (opt_einsum 3.4, cotengra 0.8):

* cotengra ``ContractionTree.contraction_cost()`` adds, per step, the product
  of the sizes of every index either operand carries. A node carries an index
  while fewer than all of its appearances (inputs plus output) are inside it. This is tncost's ``ops``. An index on one tensor only and not open is
  summed away before the tree starts (a "preprocessing" step) and never counted.
* opt_einsum ``PathInfo.opt_cost`` adds ``helpers.flop_count``: the same product
  times 2 when the step removes an index, times 1 otherwise. That is
  ``convert("opt_einsum")``. Unlike cotengra it counts an index that sits on
  one tensor only and is not open in that tensor's first step.
* Both report the largest intermediate as the largest tensor a step creates,
  inputs excluded (``PathInfo.largest_intermediate``, ``max_size()``).

The random networks below therefore put every summed index on two or more
tensors; a separate test pins how the conventions differ on a summed index
that sits on one tensor.
"""

from __future__ import annotations

import cotengra
import numpy as np
import opt_einsum
import pytest
import sympy

from tncost.cost import substitute_cost, tree_cost
from tncost.network import TensorNetwork
from tncost.tree import ContractionTree

SEEDS = range(60)


# Random networks and paths ---------------------------------------------------------


def random_network(seed: int, min_tensors: int = 3, max_tensors: int = 10, max_size: int = 6) -> TensorNetwork:
    """Draw a network with pair edges, summed and open hyperedges, and open indices.

    Every summed index sits on at least two tensors. Index names are single
    characters from ``opt_einsum.get_symbol`` so that einsum strings work.
    """
    rng = np.random.default_rng(seed)
    count = int(rng.integers(min_tensors, max_tensors + 1))
    inputs: list[list[str]] = [[] for _ in range(count)]
    output: list[str] = []
    sizes: dict[str, int] = {}

    def add_index(holders: list[int], is_open: bool) -> None:
        name = opt_einsum.get_symbol(len(sizes))
        sizes[name] = int(rng.integers(2, max_size + 1))
        for position in holders:
            inputs[position].append(name)
        if is_open:
            output.append(name)

    def draw_holders(low: int, high: int) -> list[int]:
        how_many = int(rng.integers(low, min(high, count) + 1))
        return [int(p) for p in rng.choice(count, size=how_many, replace=False)]

    for _ in range(int(rng.integers(count - 1, 2 * count))):
        add_index(draw_holders(2, 2), is_open=False)
    for _ in range(int(rng.integers(0, 3))):
        add_index(draw_holders(3, 4), is_open=False)
    for _ in range(int(rng.integers(0, 4))):
        add_index([int(rng.integers(count))], is_open=True)
    for _ in range(int(rng.integers(0, 2))):
        add_index(draw_holders(2, 3), is_open=True)
    for position in range(count):
        if not inputs[position]:
            add_index([position], is_open=True)
    return TensorNetwork.from_inputs(inputs, output, sizes)


def random_path(count: int, seed: int) -> list[tuple[int, int]]:
    """Draw a uniformly random linear path: each step joins two remaining operands."""
    rng = np.random.default_rng(seed)
    path = []
    for remaining in range(count, 1, -1):
        i, j = rng.choice(remaining, size=2, replace=False)
        path.append((int(min(i, j)), int(max(i, j))))
    return path


def einsum_equation(network: TensorNetwork) -> str:
    return ",".join("".join(term) for term in network.inputs) + "->" + "".join(network.output)


def shapes(network: TensorNetwork) -> list[tuple[int, ...]]:
    return [tuple(int(s) for s in network.shape(p)) for p in range(len(network.tensors))]


def opt_einsum_info(network: TensorNetwork, path: list[tuple[int, int]]) -> opt_einsum.contract.PathInfo:
    _, info = opt_einsum.contract_path(einsum_equation(network), *shapes(network), shapes=True, optimize=path)
    return info


def cotengra_tree(network: TensorNetwork, path: list[tuple[int, int]]) -> cotengra.ContractionTree:
    return cotengra.ContractionTree.from_path(network.inputs, network.output, dict(network.size_dict), path=path)


def test_generator_is_seeded_and_varied():
    assert random_network(3) == random_network(3)
    assert random_path(7, 3) == random_path(7, 3)
    networks = [random_network(seed) for seed in SEEDS]
    counts = {len(net.tensors) for net in networks}
    assert min(counts) == 3
    assert max(counts) == 10
    hyper_summed = hyper_open = disconnected = 0
    for net in networks:
        holders = {index: len(net.positions(index)) for index in net.indices}
        hyper_summed += any(n >= 3 and i not in net.output for i, n in holders.items())
        hyper_open += any(n >= 2 and i in net.output for i, n in holders.items())
        disconnected += len(net.connected_components()) > 1
        assert all(n >= 2 for i, n in holders.items() if i not in net.output)
    assert hyper_summed >= 10
    assert hyper_open >= 10
    assert disconnected >= 1


# Conventions pinned by hand ----------------------------------------------------------


@pytest.mark.parametrize(
    ("equation", "sizes", "ops", "opt_einsum_cost"),
    [
        pytest.param("ab,bc->ac", {"a": 2, "b": 3, "c": 4}, 24, 48, id="matmul-sums"),
        pytest.param("a,b->ab", {"a": 2, "b": 3}, 6, 6, id="outer-product"),
        pytest.param("ab,ab->ab", {"a": 2, "b": 3}, 6, 6, id="hadamard"),
        pytest.param("ab,ab->", {"a": 2, "b": 5}, 10, 20, id="full-sum"),
        pytest.param("ar,br->abr", {"a": 2, "b": 3, "r": 4}, 24, 24, id="open-hyperedge"),
    ],
)
def test_single_step_conventions(equation, sizes, ops, opt_einsum_cost):
    left, output = equation.split("->")
    inputs = left.split(",")
    net = TensorNetwork.from_inputs([tuple(t) for t in inputs], tuple(output), sizes)
    cost = tree_cost(net, ContractionTree.from_path([(0, 1)], 2))
    assert cost.ops == ops
    assert cost.convert("opt_einsum") == opt_einsum_cost
    assert cost.convert("opt_einsum") == int(opt_einsum_info(net, [(0, 1)]).opt_cost)
    assert cost.ops == cotengra_tree(net, [(0, 1)]).contraction_cost()


def test_opt_einsum_over_ops_ratio():
    matmul = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 7, "b": 5, "c": 3})
    outer = TensorNetwork.from_inputs([("a",), ("b",)], ("a", "b"), {"a": 7, "b": 5})
    for net, ratio in ((matmul, 2), (outer, 1)):
        cost = tree_cost(net, ContractionTree.from_path([(0, 1)], 2))
        assert cost.convert("opt_einsum") == ratio * cost.ops


def test_hyperedge_kept_for_a_later_operand():
    # r sits on three tensors: the first step keeps it for the third tensor.
    net = TensorNetwork.from_inputs([("a", "r"), ("b", "r"), ("c", "r")], ("a", "b", "c"), {"a": 2, "b": 3, "c": 5, "r": 7})
    cost = tree_cost(net, ContractionTree.from_path([(0, 1), (0, 1)], 3))
    assert [step.ops for step in cost.steps] == [2 * 3 * 7, 2 * 3 * 5 * 7]
    assert [step.summed for step in cost.steps] == [(), ("r",)]
    assert cost.convert("opt_einsum") == 42 + 2 * 210 == int(opt_einsum_info(net, [(0, 1), (0, 1)]).opt_cost)
    assert cost.ops == cotengra_tree(net, [(0, 1), (0, 1)]).contraction_cost()


def test_lone_summed_index_conventions():
    # x sits on the first tensor only and is not open. tncost and cotengra sum
    # it before the tree starts, but opt_einsum counts it in the first step.
    net = TensorNetwork.from_inputs([("a", "x"), ("a", "b")], ("b",), {"a": 3, "b": 5, "x": 7})
    cost = tree_cost(net, ContractionTree.from_path([(0, 1)], 2))
    assert cost.ops == 15 == cotengra_tree(net, [(0, 1)]).contraction_cost()
    assert int(opt_einsum_info(net, [(0, 1)]).opt_cost) == 2 * 3 * 5 * 7


# Random networks and paths against the libraries ----------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_random_path_costs_match_libraries(seed):
    net = random_network(seed)
    path = random_path(len(net.tensors), seed + 1000)
    cost = tree_cost(net, ContractionTree.from_path(path, len(net.tensors)))
    info = opt_einsum_info(net, path)
    tree = cotengra_tree(net, path)

    assert isinstance(cost.ops, int)
    assert cost.ops == tree.contraction_cost()
    assert cost.convert("opt_einsum") == int(info.opt_cost)
    assert cost.convert("flops") == int(info.opt_cost)
    assert cost.largest_intermediate == int(info.largest_intermediate) == tree.max_size()
    assert [step.convert("opt_einsum") for step in cost.steps] == _opt_einsum_step_costs(net, path)


def _opt_einsum_step_costs(network: TensorNetwork, path: list[tuple[int, int]]) -> list[int]:
    """Per-step flop_count, replayed the way opt_einsum.contract_path does it."""
    input_sets = [frozenset(term) for term in network.inputs]
    output = frozenset(network.output)
    costs = []
    for step in path:
        contract = tuple(sorted(step, reverse=True))
        _, input_sets, removed, involved = opt_einsum.helpers.find_contraction(contract, input_sets, output)
        costs.append(opt_einsum.helpers.flop_count(involved, bool(removed), 2, dict(network.size_dict)))
    return costs


# Symbolic costs -------------------------------------------------------------------------


def symbolic_network(seed: int) -> tuple[TensorNetwork, dict[str, int]]:
    """A random network whose sizes are symbols, products of symbols, or numbers."""
    numeric = random_network(seed, max_tensors=7)
    rng = np.random.default_rng(seed + 5000)
    choices = ["s", "R", "m", "2*R", "R*m", "3"]
    size_dict = {index: choices[int(rng.integers(len(choices)))] for index in numeric.indices}
    net = TensorNetwork.from_inputs(numeric.inputs, numeric.output, size_dict)
    values = {name: int(rng.integers(2, 7)) for name in net.symbols}
    return net, values


@pytest.mark.parametrize("seed", range(8))
def test_symbolic_cost_matches_numeric(seed):
    net, values = symbolic_network(seed)
    path = random_path(len(net.tensors), seed)
    tree = ContractionTree.from_path(path, len(net.tensors))
    symbolic = tree_cost(net, tree)
    numeric_net = net.at_sizes(values)
    numeric = tree_cost(numeric_net, tree)

    if net.symbols:
        assert isinstance(symbolic.ops, sympy.Expr)
    assert substitute_cost(symbolic.ops, values) == numeric.ops
    assert substitute_cost(symbolic.convert("opt_einsum"), values) == numeric.convert("opt_einsum")
    assert substitute_cost(symbolic.largest_intermediate, values) == numeric.largest_intermediate
    assert substitute_cost(symbolic.live_peak, values) == numeric.live_peak
    assert numeric.ops == cotengra_tree(numeric_net, path).contraction_cost()


# Live peak against a numpy replay ---------------------------------------------------------


def replay_live_peak(network: TensorNetwork, path: list[tuple[int, int]], seed: int) -> tuple[int, np.ndarray]:
    """Contract along ``path`` with numpy arrays and track the entries alive.

    Every input stays alive to the end; an intermediate is freed once a step
    consumes it, after that step's result exists. Returns the peak and the result.
    """
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(shape) for shape in shapes(network)]
    operands = [(array, "".join(term), True) for array, term in zip(inputs, network.inputs)]
    input_entries = sum(array.size for array in inputs)
    peak = input_entries
    for step in path:
        picked = [operands[k] for k in step]
        for k in sorted(step, reverse=True):
            del operands[k]
        needed = set(network.output).union(*(term for _, term, _ in operands))
        involved = "".join(dict.fromkeys(picked[0][1] + picked[1][1]))
        result_terms = "".join(i for i in involved if i in needed)
        result = np.einsum(f"{picked[0][1]},{picked[1][1]}->{result_terms}", picked[0][0], picked[1][0])
        alive = input_entries + sum(a.size for a, _, is_input in operands if not is_input)
        alive += sum(a.size for a, _, is_input in picked if not is_input) + result.size
        peak = max(peak, alive)
        operands.append((result, result_terms, False))
    (result, terms, _), = operands
    return peak, np.einsum(f"{terms}->{''.join(network.output)}", result)


@pytest.mark.parametrize("seed", range(12))
def test_live_peak_matches_numpy_replay(seed):
    net = random_network(seed, max_tensors=7, max_size=4)
    path = random_path(len(net.tensors), seed + 2000)
    cost = tree_cost(net, ContractionTree.from_path(path, len(net.tensors)))
    if cost.largest_intermediate > 200_000:
        pytest.skip("intermediate too large for a quick numpy replay")
    peak, result = replay_live_peak(net, path, seed)
    assert cost.live_peak == peak

    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes(net)]
    np.testing.assert_allclose(result, np.einsum(einsum_equation(net), *arrays), rtol=1e-10, atol=1e-10)
