"""Tests of the best T0-following embedding search."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tncost.embeddings import build_embedding, check_sequence
from tncost.embeddings.best_t0 import best_t0_plan, merge_shapes, search_best_t0
from tncost.errors import SketchSizeError
from tncost.network import TensorNetwork
from tncost.paths import optimize
from tncost.structures import khatri_rao, kronecker, peps, tensor_train, tree
from tncost.tree import ContractionTree


def seeded_cases(count: int = 22):
    """Built-in structures at seeded random sizes and m."""
    rng = np.random.default_rng(7)
    structures = [
        (kronecker(2), ("s",)),
        (kronecker(3), ("s",)),
        (kronecker(4), ("s",)),
        (khatri_rao(2), ("s", "R")),
        (khatri_rao(3), ("s", "R")),
        (tensor_train(3), ("s", "R")),
        (tensor_train(4), ("s", "R")),
        (tree(3), ("s", "R")),
        (peps(2, 2), ("s", "R")),
    ]
    cases = []
    for number in range(count):
        network, symbols = structures[number % len(structures)]
        point = {"s": int(rng.integers(16, 200))}
        if "R" in symbols:
            point["R"] = int(rng.integers(2, 9))
        m = int(rng.integers(3, 14))
        cases.append(pytest.param(network, point, m, id=f"{network.name}-{point}-m{m}"))
    return cases


@pytest.mark.parametrize("network,point,m", seeded_cases())
def test_best_t0_at_most_ms22(network, point, m):
    numeric = network.at_sizes(point)
    data_tree = optimize(numeric)
    best = search_best_t0(numeric, data_tree, m)
    assert best.plan_cost <= best.ms22_plan_cost
    assert best.gap >= 1
    assert check_sequence(best.embedding, m=m).ok


def test_multi_index_tensor_searches_merge_trees():
    net = TensorNetwork.from_inputs(
        [("e1", "e2", "e3", "r"), ("r", "k")],
        ("e1", "e2", "e3", "k"),
        {"e1": 12, "e2": 30, "e3": 16, "r": 2, "k": 3},
        sketched=("e1", "e2", "e3"),
    )
    data_tree = ContractionTree.from_nested((0, 1))
    best = search_best_t0(net, data_tree, 4)
    assert not best.exhaustive
    assert best.plan_cost <= best.ms22_plan_cost
    assert check_sequence(best.embedding, m=4).ok
    assert set(best.choices.shapes) == {0}


def test_merge_shapes_counts():
    assert merge_shapes(["a"]) == ["a"]
    assert merge_shapes(["a", "b", "c"]) == [("a", ("b", "c")), (("a", "b"), "c"), (("a", "c"), "b")]
    assert len(merge_shapes(list("abcd"))) == 15


def test_exhaustive_for_small_products():
    net = kronecker(2).at_sizes({"s": 64})
    best = search_best_t0(net, ContractionTree.from_nested((0, 1)), 9)
    assert best.exhaustive and best.evaluated <= 7


def test_best_t0_plan_and_family():
    emb, m, k, result = best_t0_plan(kronecker(2), ContractionTree.from_nested((0, 1)), {"s": 4096})
    assert (m, k) == (37, len(emb.tensors))
    assert emb.family == "best_t0"
    built = build_embedding("best_t0", kronecker(2).at_sizes({"s": 64}), 4, data_tree=ContractionTree.from_nested((0, 1)))
    assert built.family == "best_t0"


def test_invalid_split_candidates():
    with pytest.raises(SketchSizeError, match="split_candidates"):
        search_best_t0(kronecker(2).at_sizes({"s": 64}), ContractionTree.from_nested((0, 1)), 4, split_candidates=0)
    with pytest.raises(SketchSizeError, match="plan_search_limit=-1"):
        search_best_t0(kronecker(2).at_sizes({"s": 64}), ContractionTree.from_nested((0, 1)), 4, plan_search_limit=-1)


# Large embeddings: the step-order descent ------------------------------------------


@pytest.mark.parametrize("network,point,m", seeded_cases(12))
def test_step_order_descent_at_most_ms22(network, point, m):
    numeric = network.at_sizes(point)
    data_tree = optimize(numeric)
    best = search_best_t0(numeric, data_tree, m, plan_search_limit=0)
    assert best.method == "step order" and not best.exhaustive and best.evaluated <= 1
    assert best.plan_cost <= best.ms22_plan_cost
    assert check_sequence(best.embedding, m=m).ok


def test_step_order_descent_cost_is_exact():
    from tncost.cost import tree_cost
    from tncost.embeddings import joint_network
    from tncost.embeddings.best_t0 import _step_order_descent
    from tncost.embeddings.ms22 import ms22_embedding, run_ms22

    for network, point, m in [(tensor_train(6), {"s": 300, "R": 7}, 23), (tree(5), {"s": 90, "R": 5}, 19), (peps(2, 3), {"s": 40, "R": 3}, 13)]:
        numeric = network.at_sizes(point)
        data_tree = optimize(numeric)
        start = run_ms22(numeric, data_tree, m)
        choices, total = _step_order_descent(numeric, data_tree, tuple(numeric.sketched), m, Fraction(1, 4), start)
        embedding, step_tree = ms22_embedding(numeric, data_tree, choices, m)
        assert tree_cost(joint_network(numeric, embedding), step_tree).ops == total <= start.step_cost


def test_shortlist_equals_full_ranking():
    # The shortlist ranks every split pair of a merge by its subtree cost with every
    # other merge decided (a parent's split with m' > m makes this merge's output dearer).
    from dataclasses import replace

    from tncost.embeddings.best_t0 import _Search
    from tncost.embeddings.ms22 import run_ms22, split_window

    cases = [
        (kronecker(4).at_sizes({"s": 34}), 13),
        (tensor_train(4).at_sizes({"s": 120, "R": 5}), 11),
        (TensorNetwork.from_inputs(
            [("e1", "e2", "e3", "r"), ("r", "k")], ("e1", "e2", "e3", "k"),
            {"e1": 12, "e2": 30, "e3": 16, "r": 2, "k": 3}, sketched=("e1", "e2", "e3")), 7),
    ]
    contexts = 0
    for numeric, m in cases:
        data_tree = optimize(numeric)
        start = run_ms22(numeric, data_tree, m)
        top = max(split_window(m))
        b1 = min(d for d in range(2, top + 1) if top % d == 0)
        # MS22's own choices, and every merge split on the right at the top of the window.
        contexts_here = [
            {c.key: c for c in start.choices.merges},
            {c.key: replace(c, option="split-right", b1=b1, m_prime=top) for c in start.choices.merges},
        ]
        for chosen in contexts_here:
            search = _Search(numeric, data_tree, tuple(numeric.sketched), m, Fraction(1, 4), "S_", start, 3)
            check_shortlists(search, search.skeleton(dict(start.choices.shapes)), chosen, m)
            contexts += 1
    assert contexts == 6


def check_shortlists(search, skeleton, chosen, m):
    """Each merge's shortlist equals the best 3 pairs per side of the full, fully costed ranking."""
    from tncost.embeddings.ms22 import _candidates, _choice, _subtree_cost

    for slot in skeleton.slots:
        decisions = search.decisions(skeleton, chosen)
        ranked = {"split-right": [], "split-left": []}
        for rank, candidate in enumerate(_candidates(slot, m, Fraction(1, 4))):
            if candidate[0] in ranked:
                decisions[slot.key] = _choice(skeleton, slot, *candidate)
                cost = _subtree_cost(skeleton, decisions, search.placement, m, slot.node, "S_")[0]
                ranked[candidate[0]].append((cost, rank, candidate))
        expected = [c for side in ranked.values() for _, _, c in sorted(side)[:3]]
        got = [(c.option, c.b1, c.m_prime) for c in search.shortlist(skeleton, slot, chosen)[1:]]
        assert got == expected


def test_large_tt_uses_step_order():
    numeric = tensor_train(12).at_sizes({"s": 64, "R": 8})
    data_tree = optimize(numeric)
    emb, m, k, best = best_t0_plan(numeric, data_tree, None)
    assert best.method == "step order" and best.evaluated <= 1
    assert k == len(emb.tensors) and check_sequence(emb, m=m).ok
    assert best.plan_cost <= best.ms22_plan_cost


def test_step_order_fallback_runs_search(monkeypatch):
    # When the descent's step order is not below MS22's plan, one plan search
    # decides, and MS22's choices are kept unless it finds a cheaper plan.
    from dataclasses import replace

    import tncost.embeddings.best_t0 as module
    from tncost.embeddings.best_t0 import _key

    numeric = kronecker(3).at_sizes({"s": 64})
    data_tree = optimize(numeric)

    def dearer(numeric, data_tree, order, m, theta, start):
        merges = tuple(replace(c, option="core" if c.in_place else "contract-first", b1=None, m_prime=None) for c in start.choices.merges)
        return replace(start.choices, merges=merges), start.step_cost * 10

    monkeypatch.setattr(module, "_step_order_descent", dearer)
    best = search_best_t0(numeric, data_tree, 9, plan_search_limit=0)
    assert best.evaluated == 1
    assert best.plan_cost <= best.ms22_plan_cost
    if best.plan_cost == best.ms22_plan_cost:
        assert _key(best.choices) == _key(best.ms22.choices)
