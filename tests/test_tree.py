"""Tests of contraction trees: paths in and out, restriction, leaf order and T0-consistency."""

from __future__ import annotations

import numpy as np
import pytest

from tncost.errors import PathError
from tncost.tree import ContractionTree, is_consistent

F = frozenset

# Linear paths with their SSA paths and nested forms, worked out by hand. A linear
# step removes its two operands and appends the result. SSA numbers the k-th
# result n + k.
PATHS = [
    # [0, 1, 2] -> join 0,1 = 3 -> [2, 3] -> join 2,3 = 4
    pytest.param([(0, 1), (0, 1)], 3, [(0, 1), (2, 3)], (2, (0, 1)), id="left-to-right"),
    # [0, 1, 2, 3] -> 4 = {0,1}: [2, 3, 4] -> 5 = {2,3}: [4, 5] -> 6
    pytest.param([(0, 1), (0, 1), (0, 1)], 4, [(0, 1), (2, 3), (4, 5)], ((0, 1), (2, 3)), id="balanced"),
    # [0, 1, 2] -> 3 = {1,2}: [0, 3] -> 4
    pytest.param([(1, 2), (0, 1)], 3, [(1, 2), (0, 3)], (0, (1, 2)), id="right-first"),
    # [0, 1, 2, 3] -> 4 = {2,3}: [0, 1, 4] -> positions 0 and 2 are 0 and 4 -> 5: [1, 5] -> 6
    pytest.param([(2, 3), (0, 2), (0, 1)], 4, [(2, 3), (0, 4), (1, 5)], (1, (0, (2, 3))), id="nested-right"),
    pytest.param([], 1, [], 0, id="one-leaf"),
]


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_linear_path_to_ssa(path, count, ssa, nested):
    assert ContractionTree.from_path(path, count).ssa_path() == ssa


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_linear_path_to_nested(path, count, ssa, nested):
    assert ContractionTree.from_path(path, count).nested() == nested


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_ssa_path_to_linear(path, count, ssa, nested):
    assert ContractionTree.from_ssa_path(ssa, count).path() == [tuple(step) for step in path]


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_nested_round_trip(path, count, ssa, nested):
    tree = ContractionTree.from_nested(nested)
    assert ContractionTree.from_nested(tree.nested()).node_set() == tree.node_set()
    assert tree.node_set() == ContractionTree.from_path(path, count).node_set()


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_ssa_round_trip_steps(path, count, ssa, nested):
    tree = ContractionTree.from_path(path, count)
    again = ContractionTree.from_ssa_path(tree.ssa_path(), tree.leaves)
    assert again.steps == tree.steps


@pytest.mark.parametrize(("path", "count", "ssa", "nested"), PATHS)
def test_linear_round_trip_steps(path, count, ssa, nested):
    tree = ContractionTree.from_path(path, count)
    assert ContractionTree.from_path(tree.path(), count).steps == tree.steps


def test_ssa_path_with_leaf_positions():
    tree = ContractionTree.from_ssa_path([(0, 1), (2, 3)], [5, 7, 9])
    assert tree.nested() == (9, (5, 7))
    assert tree.leaves == (5, 7, 9)


def test_nested_leaves_sorted_in_ssa():
    # Leaves are numbered in sorted order 1, 3, 4, 5 -> 0, 1, 2, 3.
    tree = ContractionTree.from_nested(((5, 3), (1, 4)))
    assert tree.leaves == (1, 3, 4, 5)
    assert tree.ssa_path() == [(3, 1), (0, 2), (4, 5)]


def test_numpy_positions_accepted():
    tree = ContractionTree.from_path([(np.int64(0), np.int64(1))], 2)
    assert tree.ssa_path() == [(0, 1)]


def test_from_steps_matches_nested():
    tree = ContractionTree.from_steps([({0}, {1}), ({0, 1}, {2})])
    assert tree.nested() == ((0, 1), 2)


def test_tree_views():
    tree = ContractionTree.from_nested(((0, 1), (2, 3)))
    assert tree.root == F({0, 1, 2, 3})
    assert tree.internal_nodes() == [F({0, 1}), F({2, 3}), F({0, 1, 2, 3})]
    assert tree.parents()[F({2})] == F({2, 3})
    assert tree.children()[tree.root] == (F({0, 1}), F({2, 3}))
    assert len(tree) == 3


def test_one_leaf_tree():
    tree = ContractionTree.from_nested(4)
    assert tree.steps == ()
    assert tree.nested() == 4
    assert tree.leaf_order() == [4]


# Invalid paths and trees ------------------------------------------------------------

INVALID_LINEAR = [
    pytest.param([(0, 1)], 3, r"the path has 1 steps, but a complete tree over 3 tensors needs 2", id="too-short"),
    pytest.param([(0, 1), (0, 1), (0, 1)], 3, r"path step 2 names position 1, but only 1 operands remain", id="too-long"),
    pytest.param([(0, 3), (0, 1)], 3, r"path step 0 names position 3, but only 3 operands remain", id="out-of-range"),
    pytest.param([(-1, 0), (0, 1)], 3, r"path step 0 names position -1", id="negative"),
    pytest.param([(0, 0), (0, 1)], 3, r"path step 0 is \(0, 0\): a step joins two different operands", id="self-join"),
    pytest.param([(0, 1, 2)], 3, r"with 3 entries; tncost paths are pairwise", id="triple"),
    pytest.param([(0.5, 1)], 2, r"path step 0 is \(0.5, 1\); each step is a pair of integer positions", id="float"),
    pytest.param([(True, 0)], 2, r"path step 0 is \(True, 0\); each step is a pair of integer positions", id="bool"),
    pytest.param([("0", "1")], 2, r"each step is a pair of integer positions", id="text"),
    pytest.param([7], 2, r"path step 0 is 7; each step is a pair", id="not-a-pair"),
]


@pytest.mark.parametrize(("path", "count", "match"), INVALID_LINEAR)
def test_linear_path_invalid(path, count, match):
    with pytest.raises(PathError, match=match):
        ContractionTree.from_path(path, count)


INVALID_SSA = [
    pytest.param([(0, 1), (0, 2)], 3, r"SSA path step 1 uses node 0, which an earlier step already consumed", id="reuse"),
    pytest.param([(0, 1), (2, 4)], 3, r"SSA path step 1 names node 4, but only 0..3 exist", id="future-node"),
    pytest.param([(0, 1)], 3, r"needs 2", id="incomplete"),
    pytest.param([(0, 1)], [5, 5], r"leaf positions \(5, 5\) repeat a position", id="repeated-leaf"),
]


@pytest.mark.parametrize(("ssa", "leaves", "match"), INVALID_SSA)
def test_ssa_path_invalid(ssa, leaves, match):
    with pytest.raises(PathError, match=match):
        ContractionTree.from_ssa_path(ssa, leaves)


INVALID_NESTED = [
    pytest.param(((0, 1), (2,)), r"invalid tree node \(2,\): every inner node has exactly two children", id="one-child"),
    pytest.param(((0, 1), 2, 3), r"every inner node has exactly two children", id="three-children"),
    pytest.param(((0, 1), (1, 2)), r"repeats a leaf", id="repeated-leaf"),
    pytest.param(((0, 1), "x"), r"invalid tree node 'x'", id="text-leaf"),
    pytest.param((0, True), r"invalid tree leaf True", id="bool-leaf"),
]


@pytest.mark.parametrize(("nested", "match"), INVALID_NESTED)
def test_nested_invalid(nested, match):
    with pytest.raises(PathError, match=match):
        ContractionTree.from_nested(nested)


INVALID_STEPS = [
    pytest.param([({0}, {1}), ({0}, {2})], r"step 1 joins \[0\] and \[2\], which are not both available", id="reuse"),
    pytest.param([({0}, {0, 1}), ({0, 1}, {2})], r"step 0 joins \[0\] and \[0, 1\]", id="overlap"),
    pytest.param([({0}, {1}), ({2}, {3})], r"the path has 2 steps, but a complete tree over 4 tensors needs 3", id="forest"),
    pytest.param([], r"needs at least one step", id="empty"),
]


@pytest.mark.parametrize(("steps", "match"), INVALID_STEPS)
def test_steps_invalid(steps, match):
    with pytest.raises(PathError, match=match):
        ContractionTree.from_steps(steps)


# Restriction, leaf order and consistency -------------------------------------------

RESTRICTIONS = [
    # Leaf 3 joins 0 first. Without it, 0 meets 1 and then 2.
    pytest.param((((0, 3), 1), 2), {0, 1, 2}, ((0, 1), 2), id="drop-inner-leaf"),
    pytest.param(((0, 3), (1, 4)), {0, 1}, (0, 1), id="drop-two-leaves"),
    # 2 joins 0 before 1 does, whatever 3 and 4 did.
    pytest.param(((0, (2, 3)), (1, 4)), {0, 1, 2}, ((0, 2), 1), id="reordered"),
    pytest.param(((0, 3), (1, 4)), {3}, 3, id="single-leaf"),
    pytest.param(((0, 1), 2), {0, 1, 2}, ((0, 1), 2), id="keep-all"),
]


@pytest.mark.parametrize(("nested", "keep", "expected"), RESTRICTIONS)
def test_restrict(nested, keep, expected):
    assert ContractionTree.from_nested(nested).restrict(keep).nested() == expected


LEAF_ORDERS = [
    # Root children {1,3} (smallest 1) and {0,2} (smallest 0): {0,2} first.
    pytest.param(((3, 1), (2, 0)), [0, 2, 1, 3], id="swap-both"),
    pytest.param((2, (0, 1)), [0, 1, 2], id="late-leaf"),
    # {1,3} comes before {2,4,5}, and inside the latter {2,5} comes before {4}.
    pytest.param(((4, (2, 5)), (1, 3)), [1, 3, 2, 5, 4], id="deep"),
]


@pytest.mark.parametrize(("nested", "expected"), LEAF_ORDERS)
def test_leaf_order(nested, expected):
    assert ContractionTree.from_nested(nested).leaf_order() == expected


# Data tree T0 over positions 0, 1, 2. Positions 3 and 4 are embedding tensors.
T0 = ((0, 1), 2)
CONSISTENCY = [
    pytest.param((((0, 3), 1), (2, 4)), True, id="embeddings-on-leaves"),
    pytest.param((((0, 1), 2), (3, 4)), True, id="embeddings-at-root"),
    pytest.param((((0, 1), 3), (2, 4)), True, id="embedding-after-merge"),
    # 0 meets 2 first, so {0, 2} would be a data intermediate that T0 lacks.
    pytest.param(((0, (2, 3)), (1, 4)), False, id="wrong-first-merge"),
    pytest.param(((0, 3), ((1, 4), 2)), False, id="wrong-pairing"),
]


@pytest.mark.parametrize(("nested", "expected"), CONSISTENCY)
def test_is_consistent(nested, expected):
    assert is_consistent(ContractionTree.from_nested(nested), ContractionTree.from_nested(T0)) is expected


def test_is_consistent_same_tree():
    tree = ContractionTree.from_nested(T0)
    assert is_consistent(tree, tree)
