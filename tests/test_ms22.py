"""Tests of the MS22 embedding: option costs, split windows, sequence form, execution, sizes, symbolic twin."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from tncost.cost import substitute_cost, tree_cost
from tncost.embeddings import build_embedding, check_sequence, embedding_network, joint_network, sketch_size
from tncost.embeddings.ms22 import (
    THETA,
    max_factor_count,
    merge_options,
    ms22_embedding,
    ms22_plan,
    run_ms22,
    sketch_size_rule,
    split_window,
)
from tncost.errors import NetworkError, SizeError, SketchSizeError
from tncost.execute import execute_tree, gaussian_tensors, random_data
from tncost.network import TensorNetwork
from tncost.structures import khatri_rao, kronecker, peps, tensor_train, tree
from tncost.paths import optimize
from tncost.symbolic.sizes import size_symbol
from tncost.tree import ContractionTree


def pair_network(s: int, a: int, b: int, c: int, *, kept_shared: bool = False) -> TensorNetwork:
    """Build a left operand (e1, a, b) and a right operand (e2, c, b), with b summed or kept open."""
    output = ("e1", "e2", "a", "c") + (("b",) if kept_shared else ())
    sizes = {"e1": s, "e2": s, "a": a, "b": b, "c": c}
    return TensorNetwork.from_inputs([("e1", "a", "b"), ("e2", "c", "b")], output, sizes, sketched=("e1", "e2"))


PAIR_TREE = ContractionTree.from_nested((0, 1))


def options_by_name(options):
    return {(o.option, o.b1, o.m_prime): o.cost for o in options}


# Option costs against the hand-derived formulas ------------------------------------

_rng = np.random.default_rng(20220513)
SUMMED_CASES = [tuple(int(v) for v in _rng.integers(1, 9, size=3)) + (int(m),) for m in (4, 6, 9, 12, 16) for _ in range(2)]


@pytest.mark.parametrize("a,b,c,m", SUMMED_CASES, ids=[f"a{a}-b{b}-c{c}-m{m}" for a, b, c, m in SUMMED_CASES])
def test_summed_option_costs_match_formulas(a, b, c, m):
    costs = options_by_name(merge_options(pair_network(100, a, b, c), PAIR_TREE, m, theta=0)[0])
    assert costs[("contract-first", None, None)] == m * m * a * b * c + m**3 * a * c
    assert costs[("core-left", None, None)] == m**3 * a * b + m * m * a * b * c
    assert costs[("core-right", None, None)] == m**3 * c * b + m * m * a * b * c
    for b1 in (d for d in range(1, m + 1) if m % d == 0):
        b2 = m // b1
        assert costs[("split-right", b1, m)] == m * m * a * b * b1 + m * m * a * b * c + m * m * a * c * b2
        assert costs[("split-left", b1, m)] == m * m * c * b * b1 + m * m * a * b * c + m * m * a * c * b2


@pytest.mark.parametrize("a,b,c,m", SUMMED_CASES[:6], ids=[f"a{a}-b{b}-c{c}-m{m}" for a, b, c, m in SUMMED_CASES[:6]])
def test_kept_shared_index_changes_contract_first(a, b, c, m):
    costs = options_by_name(merge_options(pair_network(100, a, b, c, kept_shared=True), PAIR_TREE, m, theta=0)[0])
    # The kept index b stays in the core step: m^2 abc + m^3 abc instead of m^2 abc + m^3 ac.
    assert costs[("contract-first", None, None)] == m * m * a * b * c + m**3 * a * b * c
    assert costs[("core-left", None, None)] == m**3 * a * b + m * m * a * b * c


def test_khatri_rao_hyperedge_costs():
    net = khatri_rao(2).at_sizes({"s": 100, "R": 5})
    costs = options_by_name(merge_options(net, PAIR_TREE, 9, theta=0)[0])
    assert costs[("contract-first", None, None)] == 81 * 5 + 729 * 5
    assert costs[("split-right", 3, 9)] == 81 * 3 * 5 + 81 * 5 + 81 * 3 * 5


def test_ties_follow_the_listed_order():
    # a = c and symmetric sizes: core-left and core-right tie, split sides tie.
    options = merge_options(pair_network(100, 3, 1, 3), PAIR_TREE, 4, theta=0)[0]
    chosen = run_ms22(pair_network(100, 3, 1, 3), PAIR_TREE, 4, theta=0).choices.merges[0]
    best = min(o.subtree_cost for o in options)
    first = next(o for o in options if o.subtree_cost == best)
    assert (chosen.option, chosen.b1, chosen.m_prime) == (first.option, first.b1, first.m_prime)


# The split window -------------------------------------------------------------------


def test_split_window_bounds():
    assert split_window(13) == [13, 14, 15, 16]
    assert split_window(100, Fraction(1, 4)) == list(range(100, 126))
    assert split_window(7, 0) == [7]
    with pytest.raises(SketchSizeError, match="theta must be at least 0"):
        split_window(7, -1)
    with pytest.raises(SketchSizeError, match="positive integer"):
        split_window(0)


@pytest.mark.parametrize("m", [13, 17, 31, 37])
def test_prime_m_rounding_makes_the_split_cheaper(m):
    # s = 2m keeps the leaf matrices cheap, so the merge decides; with s much larger
    # than m^1.5 the producer's extra rows (m' > m) cost more than the split saves.
    net = kronecker(2).at_sizes({"s": 2 * m})
    options = merge_options(net, PAIR_TREE, m)[0]
    at_m = min(o.subtree_cost for o in options if o.side and o.m_prime == m)
    rounded = min(o.subtree_cost for o in options if o.side)
    assert rounded < at_m
    chosen = run_ms22(net, PAIR_TREE, m).choices.merges[0]
    assert chosen.side and chosen.m_prime > m and chosen.b1 not in (1, chosen.m_prime)
    # Without the window the split degenerates (b1 = 1 or m): the result is dearer.
    assert run_ms22(net, PAIR_TREE, m, theta=0).step_cost > run_ms22(net, PAIR_TREE, m).step_cost


def test_leaf_matrix_moves_up_the_chain_when_cheaper():
    # x(e, a) joined with y(a, big kept index): applying S after the join costs more
    # (the kept index multiplies it), but a huge bond a makes the early leaf dearer.
    net = TensorNetwork.from_inputs([("e", "a"), ("a", "k")], ("e", "k"), {"e": 64, "a": 512, "k": 2}, sketched=("e",))
    result = run_ms22(net, PAIR_TREE, 4)
    assert result.choices.leaves[0].node == (0, 1)
    assert result.choices.leaves[0].chain == ((0,), (0, 1))
    early = 64 * 512 * 4 + 4 * 512 * 2
    late = 64 * 512 * 2 + 64 * 2 * 4
    assert result.step_cost == min(early, late) == late


# Sequence form, execution and wiring ------------------------------------------------

CASES = {
    **{f"kronecker-N{n}": (kronecker(n), {"s": 40}) for n in (2, 3, 4, 5)},
    "khatri-rao-N3": (khatri_rao(3), {"s": 30, "R": 3}),
    "tt-N4": (tensor_train(4), {"s": 30, "R": 3}),
    "tree-N4": (tree(4), {"s": 20, "R": 3}),
    "peps-2x2": (peps(2, 2), {"s": 12, "R": 2}),
    "two-sketched": (
        TensorNetwork.from_inputs(
            [("e1", "e2", "r"), ("r", "e3")], ("e1", "e2", "e3"), {"e1": 20, "e2": 24, "e3": 30, "r": 3}, sketched=("e1", "e2", "e3")
        ),
        {},
    ),
    "three-sketched": (
        TensorNetwork.from_inputs(
            [("e1", "e2", "e3", "r"), ("r", "k")], ("e1", "e2", "e3", "k"), {"e1": 12, "e2": 14, "e3": 16, "r": 2, "k": 2},
            sketched=("e1", "e2", "e3"),
        ),
        {},
    ),
}


def build_case(name: str, m: int):
    network, point = CASES[name]
    numeric = network.at_sizes(point) if network.symbols else network
    data_tree = optimize(numeric) if len(numeric.tensors) > 1 else ContractionTree.from_nested(0)
    return numeric, data_tree, run_ms22(numeric, data_tree, m)


@pytest.mark.parametrize("name", list(CASES))
def test_embedding_is_a_sequence_with_row_sizes_at_least_m(name):
    m = 9
    numeric, _, result = build_case(name, m)
    check = check_sequence(result.embedding, m=m)
    assert check.ok, check.reason
    assert result.embedding.k == len(result.embedding.tensors) == result.choices.k
    assert result.embedding.sketch_size == m
    assert all(row >= m for row in result.embedding.row_sizes)
    assert result.plan_cost <= result.step_cost


def draw(joint: TensorNetwork, embedding, seed: int) -> dict[str, np.ndarray]:
    rows = dict(zip(embedding.tensor_names, embedding.row_sizes))
    return gaussian_tensors(joint, joint.embedding_positions(), {n: 1 / math.sqrt(r) for n, r in rows.items()}, seed)


@pytest.mark.parametrize("name", list(CASES))
def test_executed_ops_equal_predicted(name):
    numeric, _, result = build_case(name, 4)
    arrays = {**random_data(numeric, seed=1), **draw(result.joint, result.embedding, 2)}
    run = execute_tree(result.joint, result.plan_tree, arrays)
    assert run.executed_ops == result.plan_cost
    steps = execute_tree(result.joint, result.step_tree, arrays)
    assert steps.executed_ops == result.step_cost
    np.testing.assert_allclose(run.result, steps.result, rtol=1e-9, atol=1e-12)


def dense_data(network: TensorNetwork, arrays) -> np.ndarray:
    """x as an array over (sketched..., kept...) by np.einsum."""
    letters = {i: chr(ord("a") + k) if k < 26 else chr(ord("A") + k - 26) for k, i in enumerate(network.indices)}
    out = list(network.sketched) + list(network.kept)
    spec = ",".join("".join(letters[i] for i in t.indices) for t in network.tensors) + "->" + "".join(letters[i] for i in out)
    return np.einsum(spec, *(arrays[t.name] for t in network.tensors), optimize=True)


@pytest.mark.parametrize("name", ["kronecker-N3", "khatri-rao-N3", "tt-N4", "two-sketched", "three-sketched"])
def test_explicit_matrix_equals_joint_contraction(name):
    numeric, _, result = build_case(name, 4)
    data = random_data(numeric, seed=3)
    sketch = draw(result.joint, result.embedding, 4)
    alone = embedding_network(numeric, result.embedding)
    s_tensor = dense_data(alone.replace(sketched=()), sketch)
    sizes = [numeric.size_dict[e] for e in result.embedding.sketched]
    matrix = s_tensor.reshape(result.embedding.sketch_size, math.prod(sizes))
    x = dense_data(numeric.with_sketch(result.embedding.sketched), data)
    kept = [numeric.size_dict[i] for i in numeric.kept]
    expected = (matrix @ x.reshape(math.prod(sizes), -1)).reshape([result.embedding.sketch_size, *kept])
    run = execute_tree(result.joint, result.plan_tree, {**data, **sketch})
    # The joint output is (kept..., S_out): move S_out first.
    got = np.moveaxis(run.result, -1, 0)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_norm_is_preserved_in_expectation():
    numeric, _, result = build_case("khatri-rao-N3", 4)
    data = random_data(numeric, seed=5)
    x = dense_data(numeric, data)
    norm = float(np.sum(x * x))
    ratios = []
    for trial in range(300):
        run = execute_tree(result.joint, result.plan_tree, {**data, **draw(result.joint, result.embedding, 100 + trial)})
        ratios.append(float(np.sum(run.result**2)) / norm)
    ratios = np.array(ratios)
    # The mean of 300 ratios is within 4 standard errors of 1 (the sample spread sets the scale).
    assert abs(ratios.mean() - 1) <= 4 * ratios.std(ddof=1) / math.sqrt(len(ratios))


# The sketch-size rule ---------------------------------------------------------------


def test_max_factor_count():
    assert [max_factor_count(n) for n in (1, 2, 5)] == [1, 4, 13]
    with pytest.raises(SketchSizeError, match="at least 1"):
        max_factor_count(0)


@pytest.mark.parametrize(
    "sizes,expected_calls,expected",
    [
        # k_max = 4 gives m1 = ceil(4 ln 10 / 0.25) = 37; a core is chosen (k = 3), so
        # m2 = ceil(3 ln 10 / 0.25) = 28; the same option at 28 keeps 28.
        ((64, 1, 1, 64), [(37, "core-left"), (28, "core-left")], (28, 3)),
        # At 28 a split becomes cheaper than at 37 (prime: no good factorization there);
        # the option changed, so the first m is kept.
        ((64, 1, 64, 200), [(37, "core-left"), (28, "split-right")], (37, 3)),
    ],
    ids=["keeps-smaller", "keeps-first"],
)
def test_sketch_size_rule_cases(sizes, expected_calls, expected):
    s, a, b, c = sizes
    net = pair_network(s, a, b, c)
    calls = []

    def choose(m):
        choices = run_ms22(net, PAIR_TREE, m).choices
        calls.append((m, choices.merges[0].option))
        return choices

    m, k, _ = sketch_size_rule(choose, 2, 0.5, 0.1, 1)
    assert (sketch_size(4), sketch_size(3)) == (37, 28)
    assert calls == expected_calls
    assert (m, k) == expected


def test_ms22_plan_with_fixed_m_counts_its_tensors():
    emb, m, k, choices = ms22_plan(kronecker(3), ContractionTree.from_nested(((0, 1), 2)), {"s": 4096}, m=16)
    assert m == 16 and k == len(emb.tensors) == choices.k
    assert choices.k == 3 + sum(merge.tensors for merge in choices.merges)


# The symbolic twin ------------------------------------------------------------------


@pytest.mark.parametrize(
    "network,point,data_tree,m",
    [
        (kronecker(3), {"s": 4096}, ((0, 1), 2), 16),
        (kronecker(2), {"s": 4096}, (0, 1), 13),
        (khatri_rao(3), {"s": 100, "R": 5}, ((0, 1), 2), 9),
        (tensor_train(4), {"s": 200, "R": 6}, (((0, 1), 2), 3), 12),
    ],
    ids=["kronecker-square-m", "kronecker-prime-m", "khatri-rao", "tt"],
)
def test_symbolic_cost_substitutes_to_numeric(network, point, data_tree, m):
    t0 = ContractionTree.from_nested(data_tree)
    result = run_ms22(network, t0, m, point=point)
    symbolic, step_tree = ms22_embedding(network, t0, result.choices, size_symbol("m"))
    joint = joint_network(network, symbolic)
    for tree, numeric_cost in ((result.plan_tree, result.plan_cost), (step_tree, result.step_cost)):
        cost = tree_cost(joint, tree).ops
        assert substitute_cost(cost, {**point, "m": m}) == numeric_cost


def test_square_split_uses_half_powers():
    t0 = ContractionTree.from_nested((0, 1))
    result = run_ms22(kronecker(2), t0, 16, point={"s": 4096})
    merge = result.choices.merges[0]
    assert (merge.b1, merge.b2, merge.m_prime) == (4, 4, 16)
    symbolic, _ = ms22_embedding(kronecker(2), t0, result.choices, size_symbol("m"))
    assert symbolic.size_dict["S_l2x"] == size_symbol("m") ** Fraction(1, 2)


def test_registered_family_builds_and_rebuilds():
    net = tensor_train(3)
    t0 = ContractionTree.from_nested(((0, 1), 2))
    point = {"s": 100, "R": 4, "m": 8}
    emb = build_embedding("ms22", net, size_symbol("m"), data_tree=t0, point=point)
    numeric = build_embedding("ms22", net.at_sizes({"s": 100, "R": 4}), 8, data_tree=t0)
    assert emb.tensor_names == numeric.tensor_names
    with pytest.raises(SizeError, match="point"):
        build_embedding("ms22", net, size_symbol("m"), data_tree=t0, point={"s": 100, "R": 4})


# Errors -----------------------------------------------------------------------------


def test_errors_name_the_value():
    net = kronecker(2).at_sizes({"s": 64})
    with pytest.raises(SketchSizeError, match="m=0"):
        run_ms22(net, PAIR_TREE, 0)
    with pytest.raises(SizeError, match="give a point"):
        run_ms22(kronecker(2), PAIR_TREE, 4)
    with pytest.raises(NetworkError, match="covers positions"):
        run_ms22(net, ContractionTree.from_nested((0, 2)), 4)
    with pytest.raises(NetworkError, match="no sketched indices"):
        run_ms22(net.with_sketch(()), PAIR_TREE, 4)


def test_theta_default_is_a_quarter():
    assert THETA == Fraction(1, 4)


# The local costing against full-network costing --------------------------------------
#
# The search costs options from local index sets and evaluates only the split
# pairs that can be cheapest. The reference below is the plain enumeration:
# every option and every (m', b1) pair, each costed by assembling the joint
# network and running tree_cost on the merge node's subtree.


def reference_choose(skeleton, m, theta):
    """MS22's choices by full enumeration with full-network costs: (leaves, merges, every option's costs)."""
    from dataclasses import replace

    from tncost.embeddings.ms22 import LeafChoice, _candidates, _choice, _node_tuple, _subtree_cost

    placement = {e: skeleton.chains[e][0] for e in skeleton.order}
    leaves = []
    for e in skeleton.order:
        chain = skeleton.chains[e]
        best = None
        for node in chain:
            placement[e] = node
            cost = _subtree_cost(skeleton, {}, placement, m, chain[-1], "S_")[0]
            if best is None or cost < best[0]:
                best = (cost, node)
        placement[e] = best[1]
        leaves.append(LeafChoice(e, _node_tuple(best[1]), tuple(_node_tuple(n) for n in chain), best[0]))

    def costed(decisions, slot, choice):
        decisions[slot.key] = choice
        whole = _subtree_cost(skeleton, decisions, placement, m, slot.node, "S_")[0]
        if slot.in_place:
            del decisions[slot.key]
            before = _subtree_cost(skeleton, decisions, placement, m, slot.node, "S_")[0]
        else:
            before = sum(_subtree_cost(skeleton, decisions, placement, m, child, "S_")[0] for child in skeleton.children[slot.node])
        decisions.pop(slot.key, None)
        return replace(choice, cost=whole - before, subtree_cost=whole)

    decisions, record = {}, []
    for slot in skeleton.slots:
        options = [costed(decisions, slot, _choice(skeleton, slot, *c)) for c in _candidates(slot, m, theta)]
        record.append(options)
        best = None
        for option in options:
            if best is None or option.subtree_cost < best.subtree_cost:
                best = option
        decisions[slot.key] = best
    return tuple(leaves), tuple(decisions[slot.key] for slot in skeleton.slots), record


def random_tree(count, rng):
    items = list(range(count))
    while len(items) > 1:
        a, b = sorted(rng.choice(len(items), size=2, replace=False))
        pair = (items[a], items[b])
        items = [item for k, item in enumerate(items) if k not in (a, b)] + [pair]
    return ContractionTree.from_nested(items[0])


def random_cases(count, seed):
    """Structures (with kept hyperedges and multi-index tensors) at seeded random sizes, T0, m and θ."""
    rng = np.random.default_rng(seed)
    structures = [kronecker(2), kronecker(3), khatri_rao(2), khatri_rao(3), tensor_train(3), tensor_train(4), tree(3), peps(2, 2)]
    shapes = [
        ([("e1", "e2", "r"), ("r", "e3")], ("e1", "e2", "e3")),
        ([("e1", "e2", "e3", "r"), ("r", "k")], ("e1", "e2", "e3", "k")),
        ([("e1", "a"), ("a", "e2", "b"), ("b", "e3", "e4")], ("e1", "e2", "e3", "e4")),
    ]
    cases = []
    for number in range(count):
        if number % 4 == 3:
            inputs, output = shapes[number // 4 % len(shapes)]
            names = sorted({i for t in inputs for i in t})
            sizes = {i: int(rng.integers(2, 40)) for i in names}
            net = TensorNetwork.from_inputs(inputs, output, sizes, sketched=tuple(i for i in output if i.startswith("e")))
        else:
            base = structures[number % len(structures)]
            point = {s: int(rng.integers(2, 300)) if s == "s" else int(rng.integers(1, 10)) for s in base.symbols}
            net = base.at_sizes(point)
        data_tree = random_tree(len(net.tensors), rng) if number % 3 == 0 else optimize(net)
        m = int(rng.integers(1, 24))
        theta = [Fraction(1, 4), Fraction(0), Fraction(1, 2)][number % 3]
        cases.append(pytest.param(net, data_tree, m, theta, id=f"{number}-{net.name}-m{m}-theta{theta}"))
    return cases


@pytest.mark.parametrize("net,data_tree,m,theta", random_cases(24, 20240611))
def test_local_costing_matches_enumeration(net, data_tree, m, theta):
    from tncost.embeddings.ms22 import _choose, _Skeleton

    skeleton = _Skeleton(net, data_tree, tuple(net.sketched))
    leaves, merges, reference_record = reference_choose(skeleton, m, theta)
    record = []
    choices = _choose(skeleton, m, theta, "S_", record)
    # Every option of every merge has the same own cost and subtree cost ...
    assert record == reference_record
    # ... and the pruned search picks the same option, b1 and m' as the enumeration.
    assert choices.leaves == leaves
    assert choices.merges == merges


@pytest.mark.parametrize("net,data_tree,m,theta", random_cases(12, 7))
def test_predicted_step_cost_exact(net, data_tree, m, theta):
    from tncost.embeddings.ms22 import _choose_with_total, _Skeleton

    choices, total = _choose_with_total(_Skeleton(net, data_tree, tuple(net.sketched)), m, theta)
    embedding, step_tree = ms22_embedding(net, data_tree, choices, m)
    assert tree_cost(joint_network(net, embedding), step_tree).ops == total


def test_pruned_split_search_exact():
    from tncost.embeddings.ms22 import _best_split, _four_value, _ranked_splits, _window_divisors

    rng = np.random.default_rng(11)
    for trial in range(300):
        m = int(rng.integers(1, 400))
        windows = _window_divisors(m, Fraction(1, 4))
        # Coefficients of c + cx·b1 + cy·b2 + cxy·b1·b2, some zero, some large.
        four = tuple(int(v) * int(rng.integers(0, 2)) for v in rng.integers(0, 10 ** int(rng.integers(1, 9)), size=4))
        pairs = [(_four_value(four, b1, mp), mp, b1) for mp, divisors in windows for b1 in divisors]
        # Without a cost to beat, and with one near the least cost (above or below it).
        start = None if trial % 2 else int(min(p[0] for p in pairs) * rng.uniform(0.9, 1.2))
        expected, bound = None, start
        for cost, mp, b1 in pairs:
            if bound is None or cost < bound:
                bound, expected = cost, (cost, mp, b1)
        assert _best_split(four, windows, start) == expected
        keep = int(rng.integers(1, 5))
        assert _ranked_splits(four, windows, keep) == sorted(pairs)[:keep]


def test_large_tt_plan_consistent():
    # 32 sketched indices: thousands of split pairs per merge at m = 866.
    net = tensor_train(32).at_sizes({"s": 64, "R": 8})
    data_tree = optimize(net)
    emb, m, k, choices = ms22_plan(net, data_tree, None)
    assert k == len(emb.tensors) == choices.k
    assert check_sequence(emb, m=m).ok
    result = run_ms22(net, data_tree, m)
    assert [(c.option, c.b1, c.m_prime) for c in result.choices.merges] == [(c.option, c.b1, c.m_prime) for c in choices.merges]
