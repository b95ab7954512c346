"""Brute-force check that every T0-consistent sequence plan costs at least LB / (3 + 1/m).

For each small data network, every data tree T0 (all of them for up to three
tensors, a seeded sample of the 15 for four), the family embeddings, every
sequence embedding of up to three tensors with row sizes in {m, m + 1}, and a
seeded sample of those with four tensors: the cheapest T0-consistent tree is
found exactly, so ``min_cost >= LB / constant`` holds for every consistent
tree of that embedding. The exhaustive run (five tensors) is
``benchmarks/bound_bruteforce.py``; its enumerators are imported from there.
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib
import random
import sys
from fractions import Fraction

import pytest

from tncost.bounds import BOUND_CONSTANT, lower_bound
from tncost.consistent import exact_consistent_tree
from tncost.embeddings import build_embedding, check_sequence, joint_network
from tncost.tree import ContractionTree

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bound_bruteforce.py"
_spec = importlib.util.spec_from_file_location("bound_bruteforce", _PATH)
brute = importlib.util.module_from_spec(_spec)
sys.modules["bound_bruteforce"] = brute
_spec.loader.exec_module(brute)

SEED = 20220513
SAMPLE_FOUR_TENSORS = 120
"""Sequence embeddings sampled from those with up to four tensors, per case and m."""
SAMPLE_TREES = 5
"""Data trees sampled (of 15) for the four-tensor cases."""

CASE_IDS = [f"{case.name}-m{m}" for case in brute.CASES for m in case.ms]
CASE_ITEMS = {f"{case.name}-m{m}": (case, m) for case in brute.CASES for m in case.ms}


@functools.lru_cache(maxsize=None)
def results(case_id: str) -> tuple:
    """The exhaustive three-tensor run and the sampled four-tensor run of one case."""
    case, m = CASE_ITEMS[case_id]
    trees = brute.data_trees(len(case.inputs))
    if len(trees) > SAMPLE_TREES:
        trees = random.Random(SEED).sample(trees, SAMPLE_TREES)
    exhaustive = brute.run_case(case, m, 3, trees=trees)
    sampled = brute.run_case(case, m, 4, sample=SAMPLE_FOUR_TENSORS, seed=SEED, trees=trees)
    return exhaustive, sampled


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_plan_meets_the_bound(case_id):
    for result in results(case_id):
        assert not result.violations, result.violations[:3]
        assert result.smallest_ratio * result.constant >= 1
        assert result.smallest_ratio <= result.best_plan_largest_ratio
    exhaustive, sampled = results(case_id)
    print(
        f"{case_id}: smallest ratio {float(min(exhaustive.smallest_ratio, sampled.smallest_ratio)):.4f}, "
        f"best-plan largest ratio {float(exhaustive.best_plan_largest_ratio):.4f} "
        f"({exhaustive.pairs} + {sampled.pairs} plans)"
    )


def test_summary_of_all_cases():
    pairs = [r for case_id in CASE_IDS for r in results(case_id)]
    smallest = min(r.smallest_ratio for r in pairs)
    largest = max(r.best_plan_largest_ratio for r in pairs)
    print(
        f"\nlower-bound brute force: {sum(r.pairs for r in pairs)} (T0, embedding) plans, "
        f"smallest cost/LB {smallest} = {float(smallest):.4f}, "
        f"best plan's largest cost/LB {largest} = {float(largest):.4f}"
    )
    assert smallest >= 1 / BOUND_CONSTANT
    # The smallest comes from v(a, b), w(c, d) with two one-tensor-per-data-tensor
    # sketches (24 ops against LB = 60); the tight case with C = 3 is next at 40/92.
    assert smallest == Fraction(2, 5)


def test_tight_case_over_every_small_embedding():
    # v(e1, e2, c), w(e3), s = m = 2, C = 16: no sequence embedding with up to
    # three tensors beats the dense one, whose ratio (16 + 8C)/(28C + 8) tends to 2/7.
    C = 16
    case = brute.DataCase("tight", (("a", "b", "c"), ("d",)), {"a": 2, "b": 2, "c": C, "d": 2}, ("a", "b", "d"), (2,))
    net, tree = case.network(), ContractionTree.from_nested((0, 1))
    result = brute.run_case(case, 2, 3, trees=[tree])
    assert result.smallest_ratio == Fraction(16 + 8 * C, 28 * C + 8) > Fraction(2, 7)
    dense = exact_consistent_tree(joint_network(net, build_embedding("dense", net, 2)), tree).ops
    assert Fraction(dense, lower_bound(net, tree, 2).total) == result.smallest_ratio


def test_enumerator_counts_by_hand():
    # One index, up to two tensors, m = 2: a single tensor (output 2 or 3), or a
    # chain whose first tensor holds the index (bond 2 or 3, output 2 or 3).
    assert len(list(brute.sequence_embeddings(("a",), {"a": 2}, 2, 2))) == 6
    # Two indices, up to two tensors, m = 2: one tensor (2); a chain with the
    # first tensor holding a, b or both and the second the rest (3 · 4); two
    # separate tensors, one per index, outputs 2 or 3 each (4; the swap is the same).
    assert len(list(brute.sequence_embeddings(("a", "b"), {"a": 2, "b": 2}, 2, 2))) == 18


def test_enumerated_embeddings_satisfy_the_sequence_condition():
    sizes = {"a": 4, "b": 4, "c": 4}
    embeddings = list(brute.sequence_embeddings(("a", "b", "c"), sizes, 3, 4))
    splits = 0
    for embedding in embeddings:
        check = check_sequence(embedding, m=3)
        assert check.ok and set(check.row_sizes) <= {3, 4}
        splits += any(sum(1 for i in t.indices if i.startswith("Q_c")) for t in embedding.tensors)
    assert splits > 0
    assert len({tuple(t.indices for t in e.tensors) + tuple(sorted(e.size_dict.items())) for e in embeddings}) == len(embeddings)


def test_data_trees_are_all_distinct():
    for count, expected in [(2, 1), (3, 3), (4, 15)]:
        trees = brute.data_trees(count)
        assert len({frozenset(t.node_set()) for t in trees}) == len(trees) == expected
