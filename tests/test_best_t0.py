"""Tests of the best T0-following embedding search."""

from __future__ import annotations

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
