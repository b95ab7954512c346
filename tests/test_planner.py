"""Tests of the planner: sketch sizes, consistent trees, exact costs, choice, serialization."""

from __future__ import annotations

import json
import math

import cotengra
import pytest
import sympy

from tncost.cost import tree_cost
from tncost.errors import NetworkError, SketchSizeError, SpecError
from tncost.io import parse_einsum, to_opt_einsum
from tncost.planner import SketchPlan, plan_contraction, plan_sketch, sketched_order
from tncost.structures import khatri_rao, kronecker, parse_builtin, tensor_train
from tncost.tree import ContractionTree, is_consistent

SIZES = {"s": 64, "R": 8}


@pytest.fixture(scope="module")
def tt_plan():
    return plan_sketch(tensor_train(4), sizes=SIZES, m=8)


def test_every_family_planned(tt_plan) -> None:
    assert [p.family for p in tt_plan.families] == ["dense", "khatri-rao", "tt", "tree", "ms22", "best_t0"]


def test_trees_follow_data_tree(tt_plan) -> None:
    for plan in tt_plan.families:
        assert is_consistent(plan.tree, tt_plan.data_tree), plan.family


def test_costs_match_cotengra(tt_plan) -> None:
    """The cost at sizes equals cotengra's independent count for the same path."""
    for plan in tt_plan.families:
        joint = plan.numeric_joint()
        inputs, output, size_dict = to_opt_einsum(joint)
        tree = cotengra.ContractionTree.from_path(inputs, output, size_dict, path=plan.tree.path())
        assert int(tree.contraction_cost()) == plan.cost_at_point, plan.family


def test_symbolic_cost_substitutes(tt_plan) -> None:
    for plan in tt_plan.families:
        values = {sympy.Symbol(n, positive=True, integer=True): v for n, v in {**SIZES, "m": 8}.items()}
        assert int(plan.cost.xreplace(values)) == plan.cost_at_point, plan.family


def test_tt_family_cost_by_hand() -> None:
    """TT data of order 2 with a TT embedding, T0 = (G1, G2), s = 64, R = 8, m = 4.

    G1(p1, r1) with S1(S_r1, p1): s*R*m = 2048, leaving (r1, S_r1);
    join with G2(r1, p2): R*m*s = 2048, leaving (S_r1, p2);
    S2(S_out, S_r1, p2): m*m*s = 1024. Total 5120. Joining G1 and G2 first
    already costs s*R*s = 32768, and sketching G2 first costs R*s*m*m = 8192.
    """
    plan = plan_sketch(tensor_train(2), sizes=SIZES, m=4, families=["tt"])
    assert plan.family("tt").cost_at_point == 5120


def test_equal_accuracy_sketch_sizes() -> None:
    """Each family's m from the rule: k = 1, N, 2N - 1 and the Khatri-Rao estimate, by hand."""
    plan = plan_sketch(tensor_train(4), sizes=SIZES, eps=0.5, delta=0.1, families=["dense", "tt", "tree", "khatri-rao"])
    expected = {
        "dense": math.ceil(1 * math.log(10) / 0.25),
        "tt": math.ceil(4 * math.log(10) / 0.25),
        "tree": math.ceil(7 * math.log(10) / 0.25),
        "khatri-rao": math.ceil((3**4 - 1) / (0.25 * 0.1)),
    }
    assert {p.family: p.m for p in plan.families} == expected
    assert plan.comparison.startswith("equal accuracy")


def test_note_when_m_reaches_index_size() -> None:
    plan = plan_sketch(tensor_train(3), sizes={"s": 8, "R": 2}, m=8, families=["tt"])
    assert any("at or above the size of sketched index" in note for note in plan.family("tt").notes)


def test_chosen_is_cheapest_guaranteed(tt_plan) -> None:
    guaranteed = [p for p in tt_plan.families if p.sequence.ok]
    cheapest = min(guaranteed, key=lambda p: p.cost_at_point)
    assert tt_plan.chosen == cheapest.family
    assert tt_plan.family("khatri-rao").sequence.ok is False


def test_khatri_rao_kept_hyperedge() -> None:
    plan = plan_sketch(khatri_rao(3), sizes={"s": 32, "R": 4}, m=4)
    assert plan.network.kept == ("r",)
    for family in plan.families:
        assert "r" in family.joint.output


def test_kronecker_disconnected() -> None:
    plan = plan_sketch(kronecker(3), sizes={"s": 32}, m=4)
    assert plan.family("tree").cost_at_point > 0


def test_default_sample_without_sizes() -> None:
    plan = plan_sketch(tensor_train(3), families=["tt"])
    assert plan.sizes_given is False
    assert dict(plan.point) == {"R": 20, "s": 1000}
    assert plan.to_dict()["families"][0]["cost_at_sizes"] is None


def test_sketched_order_follows_leaf_order() -> None:
    network = tensor_train(3)
    tree = ContractionTree.from_nested((2, (1, 0)))
    assert sketched_order(network, tree) == ("p1", "p2", "p3")


def test_user_data_tree_used() -> None:
    tree = ContractionTree.from_nested(((0, 1), (2, 3)))
    plan = plan_sketch(tensor_train(4), sizes=SIZES, m=4, families=["tt"], data_tree=tree)
    assert plan.data_tree.node_set() == tree.node_set()
    assert is_consistent(plan.family("tt").tree, tree)


def test_json_round_trip(tt_plan) -> None:
    again = SketchPlan.from_json(tt_plan.to_json())
    for old, new in zip(tt_plan.families, again.families):
        assert new.cost_at_point == old.cost_at_point
        assert new.tree.ssa_path() == old.tree.ssa_path()
        assert sympy.simplify(new.cost - old.cost) == 0


def test_edited_plan_rejected(tt_plan) -> None:
    data = json.loads(tt_plan.to_json())
    data["families"][2]["cost_at_point"] += 1
    with pytest.raises(SpecError, match="stored cost at the point"):
        SketchPlan.from_dict(data)


def test_plain_contraction_plan() -> None:
    plan = plan_contraction(parse_einsum("ab,bc,cd->ad", {"a": 2, "b": 30, "c": 3, "d": 40}))
    # Best order by hand: (ab,bc) costs 2*30*3 = 180, then (ac,cd) 2*3*40 = 240: 420.
    assert plan.cost_at_point == 420


def test_no_sketch_rejected() -> None:
    with pytest.raises(NetworkError, match="no sketched indices"):
        plan_sketch(tensor_train(3).with_sketch(()))


def test_bad_m_rejected() -> None:
    with pytest.raises(SketchSizeError, match="invalid sketch size"):
        plan_sketch(tensor_train(3), sizes=SIZES, m=0)


def test_unknown_family_rejected() -> None:
    with pytest.raises(SpecError, match="unknown family 'gaussian'"):
        plan_sketch(tensor_train(3), sizes=SIZES, families=["gaussian"])


def test_unknown_symbol_rejected() -> None:
    with pytest.raises(SpecError, match="unknown symbol"):
        plan_sketch(tensor_train(3), sizes={"s": 4, "R": 2, "q": 3})


def test_reserved_symbol_rejected() -> None:
    network = parse_einsum("ab,bc->ac", {"a": "m", "b": 3, "c": 4}, sketched=["a"])
    with pytest.raises(NetworkError, match="reserves for the sketch size"):
        plan_sketch(network)


@pytest.mark.parametrize("text", ["tt:N=32", "tree:N=16", "peps:rows=3,cols=3", "mpo:N=6"])
def test_large_builtins_plan(text: str) -> None:
    plan = plan_sketch(parse_builtin(text), families=["tt", "tree"])
    for family in plan.families:
        assert is_consistent(family.tree, plan.data_tree)
        assert tree_cost(family.numeric_joint(), family.tree).ops == family.cost_at_point


def test_unknown_chosen_rejected(tt_plan) -> None:
    data = json.loads(tt_plan.to_json())
    data["chosen"] = "nope"
    with pytest.raises(SpecError, match="chosen family 'nope' is not among its families"):
        SketchPlan.from_dict(data)
