"""Determinism: the same input gives the same output, in any process and in any tensor order.

* ``tncost analyze ... --format json`` prints the same bytes in two fresh
  processes with different ``PYTHONHASHSEED`` values, so no set or dict
  iteration order leaks into the output.
* A network whose tensors are listed in another order gets the same costs
  and the same trees once positions are mapped back to tensor names.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tncost.network import TensorNetwork
from tncost.paths import dp_optimal
from tncost.planner import plan_contraction, plan_sketch
from tncost.structures import khatri_rao, mpo, peps, tensor_train, tree, tucker
from tncost.tree import ContractionTree

REPO = Path(__file__).resolve().parents[1]

ANALYSES = [
    pytest.param(["tt:N=4", "--sketch", "all"], id="tt-symbolic"),
    pytest.param(["khatri-rao:N=3", "--regime", "m <= R <= s", "--sizes", "s=50,R=4"], id="khatri-rao-regime"),
    pytest.param(["ab,bc,cd,da->", "--sizes", "a=2,b=3,c=4,d=5"], id="einsum-ring"),
]


def analyze_json(args: list[str], hash_seed: str, cwd: Path) -> bytes:
    env = {
        **os.environ,
        "PYTHONHASHSEED": hash_seed,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "tncost", "analyze", *args, "--format", "json"]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.parametrize("args", ANALYSES)
def test_json_same_bytes_across_hash_seeds(args, tmp_path):
    first = analyze_json(args, "0", tmp_path)
    second = analyze_json(args, "4242", tmp_path)
    assert first, "no output"
    assert first == second


# Tensor order ---------------------------------------------------------------------------

NETWORKS = [
    pytest.param(tensor_train(5), {"s": 8, "R": 3}, id="tt5"),
    pytest.param(peps(2, 3), {"s": 4, "R": 2}, id="peps2x3"),
    pytest.param(tree(6), {"s": 5, "R": 2}, id="tree6"),
    pytest.param(khatri_rao(3), {"s": 6, "R": 3}, id="khatri-rao3"),
    pytest.param(tucker(3), {"s": 6, "R": 3}, id="tucker3"),
    pytest.param(mpo(4), {"s": 4, "R": 2}, id="mpo4"),
]


def permutations(count: int, how_many: int = 3) -> list[list[int]]:
    rng = random.Random(count)
    result = []
    for _ in range(how_many):
        order = list(range(count))
        rng.shuffle(order)
        result.append(order)
    return result


def reordered(network: TensorNetwork, order: list[int]) -> TensorNetwork:
    return network.replace(tensors=tuple(network.tensors[p] for p in order))


def named_nodes(network: TensorNetwork, tree_: ContractionTree) -> set[frozenset[str]]:
    """The tree's nodes as sets of tensor names, which do not depend on the tensor order."""
    names = [t.name for t in network.tensors]
    return {frozenset(names[p] for p in node) for node in tree_.node_set()}


@pytest.mark.parametrize(("network", "sizes"), NETWORKS)
def test_contraction_same_after_reordering(network, sizes):
    plain = network.with_sketch(())
    reference = plan_contraction(plain, sizes=sizes)
    for order in permutations(len(network.tensors)):
        other = reordered(plain, order)
        plan = plan_contraction(other, sizes=sizes)
        assert plan.cost_at_point == reference.cost_at_point, order
        assert plan.live_peak_at_point == reference.live_peak_at_point, order
        assert named_nodes(other, plan.tree) == named_nodes(plain, reference.tree), order


def test_dp_tie_broken_by_name():
    # Three equal tensors: all three trees cost the same, and the names decide.
    sizes = {"a": 2, "b": 2, "c": 2}
    inputs = [("a", "b"), ("b", "c"), ("c", "a")]
    first = TensorNetwork.from_inputs(inputs, (), sizes, names=["X", "Y", "Z"])
    second = TensorNetwork.from_inputs(inputs[::-1], (), sizes, names=["Z", "Y", "X"])
    assert named_nodes(first, dp_optimal(first)) == named_nodes(second, dp_optimal(second))


@pytest.mark.parametrize(("network", "sizes"), NETWORKS)
def test_data_tree_same_after_reordering(network, sizes):
    reference = plan_sketch(network, sizes=sizes, m=3, families=["dense"])
    for order in permutations(len(network.tensors)):
        other = reordered(network, order)
        plan = plan_sketch(other, sizes=sizes, m=3, families=["dense"])
        assert named_nodes(other, plan.data_tree) == named_nodes(network, reference.data_tree), order
        assert plan.family("dense").cost_at_point == reference.family("dense").cost_at_point, order


@pytest.mark.parametrize(("network", "sizes"), [NETWORKS[3], NETWORKS[5]])
def test_families_same_after_reordering(network, sizes):
    reference = plan_sketch(network, sizes=sizes, m=3)
    for order in permutations(len(network.tensors)):
        other = reordered(network, order)
        plan = plan_sketch(other, sizes=sizes, m=3)
        assert plan.chosen == reference.chosen, order
        for family in reference.families:
            mine = plan.family(family.family)
            assert mine.cost_at_point == family.cost_at_point, (family.family, order)
            assert named_nodes(mine.joint, mine.tree) == named_nodes(family.joint, family.tree), (family.family, order)
