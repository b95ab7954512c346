"""Edge cases: one tensor, N = 1, no kept indices, scalars, sizes of 1, m above a size, disconnected networks.

Expected costs are derived by hand in the comments, in the dense cost model:
a pairwise step costs the product of the sizes of every index either operand
carries.
"""

from __future__ import annotations

import json

import numpy as np
import opt_einsum
import pytest
from click.testing import CliRunner

from tncost.bounds import bound_constant, lower_bound
from tncost.cli import cli
from tncost.errors import SketchSizeError
from tncost.execute import execute_tree, random_data
from tncost.io import parse_einsum
from tncost.network import TensorNetwork
from tncost.planner import plan_contraction, plan_sketch
from tncost.structures import khatri_rao, tensor_train
from tncost.tree import ContractionTree, is_consistent


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


# A single tensor -----------------------------------------------------------------------

ONE = TensorNetwork.from_inputs([("a", "b")], ("a", "b"), {"a": 8, "b": 3}, sketched=("a",))


def test_single_tensor_contraction_free():
    plan = plan_contraction(ONE.with_sketch(()))
    assert plan.cost_at_point == 0
    assert plan.tree.steps == ()
    # Nothing is created, so the live peak is the input alone: 8 * 3 entries.
    assert plan.live_peak_at_point == 24


def test_single_tensor_sketch_cost():
    plan = plan_sketch(ONE, m=2)
    for family in plan.families:
        # Every family is one m x a matrix here: S(m, a) times T(a, b) costs m * a * b = 48.
        assert family.cost_at_point == 2 * 8 * 3, family.family
        assert family.sequence.ok, family.family


def test_single_tensor_bound_holds():
    plan = plan_sketch(ONE, m=2)
    bound = lower_bound(ONE, plan.data_tree, 2).at()
    # LB: one sketch term m * a * |B(root)| = 2 * 8 * 3 = 48 and one leaf term m * |idx(v)| = 48.
    assert bound == 96
    assert all(f.cost_at_point * bound_constant(2, ONE) >= bound for f in plan.families)


# N = 1 -------------------------------------------------------------------------------


def test_tt_one_core():
    plan = plan_sketch(tensor_train(1), sizes={"s": 8}, m=2)
    # One core with one physical index p1 of size s: every family costs m * s = 16.
    assert {f.cost_at_point for f in plan.families} == {16}


def test_khatri_rao_one_factor_is_sequence():
    plan = plan_sketch(khatri_rao(1), sizes={"s": 8, "R": 3}, m=2)
    family = plan.family("khatri-rao")
    # With one factor the output index sits on one tensor, so there is no hyperedge.
    assert family.sequence.ok
    assert family.cost_at_point == 2 * 8 * 3


def test_cli_tt_one_core():
    result = invoke("analyze", "tt:N=1", "--sizes", "s=8", "--m", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {f["cost_at_sizes"] for f in report["families"]} == {16}


# No kept indices and scalars -----------------------------------------------------------


def test_no_kept_indices():
    network = tensor_train(3)
    assert network.kept == ()
    plan = plan_sketch(network, sizes={"s": 8, "R": 2}, m=2, families=["tt"])
    assert plan.family("tt").kept == ()


def test_closed_network_scalar_result():
    network = parse_einsum("ab,bc,ca->", {"a": 2, "b": 3, "c": 4})
    plan = plan_contraction(network)
    # Best: any pair first costs a*b*c = 24, then the last step joins the remaining pair on one index.
    # For (0, 1): 24, then (c,a) with (c,a): 8; for (1, 2): 24 then (a,b) with (a,b): 6; (0, 2): 24 then 12.
    assert plan.cost_at_point == 30
    arrays = random_data(network, seed=3)
    run = execute_tree(network, plan.tree, arrays)
    expected = opt_einsum.contract("ab,bc,ca->", arrays["T0"], arrays["T1"], arrays["T2"])
    assert run.result.shape == ()
    assert np.isclose(run.result, expected)


def test_scalar_tensor_in_network():
    network = TensorNetwork.from_inputs([(), ("a",), ("a",)], (), {"a": 5})
    plan = plan_contraction(network)
    # The two vectors cost a = 5; joining the scalars costs 1.
    assert plan.cost_at_point == 6
    arrays = random_data(network, seed=0)
    run = execute_tree(network, plan.tree, arrays)
    assert np.isclose(run.result, arrays["T0"] * (arrays["T1"] @ arrays["T2"]))


def test_empty_einsum_operand_rejected():
    result = invoke("analyze", "a,,a->", "--sizes", "a=5")
    assert result.exit_code == 2
    assert "operand 1 has no indices" in result.stderr


# All sizes 1 ----------------------------------------------------------------------------


def test_all_sizes_one_contraction():
    plan = plan_contraction(tensor_train(4).with_sketch(()), sizes={"s": 1, "R": 1})
    # Three steps of cost 1 each.
    assert plan.cost_at_point == 3


def test_all_sizes_one_sketch_says_no_bound():
    plan = plan_sketch(tensor_train(3), sizes={"s": 1, "R": 1}, m=2, families=["tt"])
    family = plan.family("tt")
    assert family.lower_bound_at_point is None
    assert "exceeds the size 1" in family.lower_bound_note
    assert any("at or above the size" in note for note in family.notes)


# m larger than a sketched size -----------------------------------------------------------


def test_bound_rejects_m_above_size():
    network = tensor_train(3).at_sizes({"s": 4, "R": 2})
    with pytest.raises(SketchSizeError, match="exceeds the size 4"):
        lower_bound(network, ContractionTree.from_nested(((0, 1), 2)), 8)


def test_plan_m_above_size_no_ratio():
    plan = plan_sketch(tensor_train(3), sizes={"s": 4, "R": 2}, m=8, families=["tt"])
    family = plan.family("tt")
    assert family.ratio_to_lower_bound is None
    assert "no bound is given" in family.lower_bound_note


def test_cli_m_above_size_says_so():
    result = invoke("analyze", "tt:N=3", "--sizes", "s=4,R=2", "--m", "8", "--family", "tt")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("lower bound LB"))
    assert "assuming m <= s" in line
    assert "at the numeric point it does not apply" in line
    row = next(line for line in result.stdout.splitlines() if line.startswith("* tt"))
    # The ops / LB column shows "-" instead of a ratio.
    assert row.split()[6] == "-"


def test_cli_m_below_size_no_warning():
    result = invoke("analyze", "tt:N=3", "--sizes", "s=40,R=2", "--m", "8", "--family", "tt")
    assert result.exit_code == 0, result.stderr
    assert "does not apply" not in result.stdout


# Disconnected networks -----------------------------------------------------------------


def test_disconnected_contraction_outer_product():
    network = parse_einsum("ab,cd->abcd", {"a": 2, "b": 3, "c": 4, "d": 5})
    assert len(network.connected_components()) == 2
    plan = plan_contraction(network)
    # One outer product of 6 and 20 entries: 120.
    assert plan.cost_at_point == 120


def test_disconnected_sketch_bound_and_consistency():
    network = parse_einsum("ab,cd->abcd", {"a": 6, "b": 3, "c": 6, "d": 5}).with_sketch(("a", "c"))
    plan = plan_sketch(network, m=2)
    bound = lower_bound(network, plan.data_tree, 2).at()
    for family in plan.families:
        assert is_consistent(family.tree, plan.data_tree), family.family
        if family.sequence.ok:
            assert family.cost_at_point * bound_constant(2, network) >= bound, family.family


def test_disconnected_execution_matches_einsum():
    network = parse_einsum("ab,cd->abcd", {"a": 2, "b": 3, "c": 4, "d": 5})
    plan = plan_contraction(network)
    arrays = random_data(network, seed=1)
    run = execute_tree(network, plan.tree, arrays)
    np.testing.assert_allclose(run.result, np.einsum("ab,cd->abcd", arrays["T0"], arrays["T1"]))
    assert run.executed_ops == 120
