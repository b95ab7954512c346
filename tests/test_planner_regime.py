"""Tests of the planner under a regime: leading costs, ranking and the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tncost.cli import cli
from tncost.errors import RegimeError
from tncost.planner import plan_sketch
from tncost.structures import khatri_rao, tensor_train


def test_ranking_by_hand() -> None:
    """Khatri-Rao N = 3 under m <= R <= s, tree against tt, derived by hand.

    tt's exact cost has leading term 2 R m^2 s; tree's terms R m^3 and R m s
    are both at most R m^2 s when m <= s, while R m^2 s exceeds both terms of
    tree along m = R = s. So tree ranks strictly below tt.
    """
    plan = plan_sketch(khatri_rao(3), families=["tt", "tree"], regime="m <= R <= s")
    data = plan.to_dict()
    assert data["ranking"] == [["tree"], ["tt"]]
    assert data["regions"] is None


def test_leading_costs_reported() -> None:
    plan = plan_sketch(khatri_rao(3), families=["tt", "tree"], regime="m <= R <= s")
    leading = {f["name"]: f["leading_cost"] for f in plan.to_dict()["families"]}
    assert leading["tt"] == "2*R*m**2*s"


def test_incomparable_costs_split() -> None:
    """Without constraints tt (about R m^2 s) and tree (R m^3) trade places: regions, no ranking."""
    plan = plan_sketch(khatri_rao(3), families=["tt", "tree"], regime="R <= s")
    data = plan.to_dict()
    assert data["ranking"] is None
    assert len(data["regions"]) >= 2


def test_symbolic_data_tree_note() -> None:
    plan = plan_sketch(tensor_train(4), families=["tt"], regime="R <= s")
    assert any("symbolic optimum of the data network" in note for note in plan.notes)


def test_point_outside_regime_noted() -> None:
    plan = plan_sketch(tensor_train(3), families=["tt"], regime="s <= 2")
    assert any("violates the regime" in note for note in plan.notes)


def test_infeasible_regime_rejected() -> None:
    with pytest.raises(RegimeError, match="infeasible"):
        plan_sketch(tensor_train(3), families=["tt"], regime="s >= 1000, s <= 10")


def test_cli_json_has_ranking() -> None:
    result = CliRunner().invoke(
        cli, ["analyze", "khatri-rao:N=3", "--sketch", "all", "--regime", "m <= R <= s", "--family", "tt,tree", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ranking"] == [["tree"], ["tt"]]
    assert all("leading_cost" in f for f in data["families"])
    assert data["lower_bound"]["terms"]


def test_cli_latex_table() -> None:
    result = CliRunner().invoke(cli, ["analyze", "tt:N=3", "--regime", "R <= s", "--family", "tt", "--format", "latex"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\\begin{tabular}")
    assert "R m" in result.output or "R m^{" in result.output


def test_cli_infeasible_regime_exit_2() -> None:
    result = CliRunner().invoke(cli, ["analyze", "tt:N=3", "--regime", "s >= 1000, s <= 10"])
    assert result.exit_code == 2
    assert "infeasible" in result.output


def test_equal_accuracy_ranking_by_hand() -> None:
    """At equal accuracy tt's m is 3 mu and tree's 5 mu (N = 3).

    tt: 2 R m^2 s leads, so 2 R (3 mu)^2 s = 18 R mu^2 s. Khatri-Rao has no
    factor count and is left out.
    """
    plan = plan_sketch(khatri_rao(3), families=["tt", "tree", "khatri-rao"], regime="m <= R <= s")
    accuracy = plan.to_dict()["equal_accuracy"]
    assert accuracy["leading_cost"]["tt"] == "18*R*mu**2*s"
    assert accuracy["excluded"] == ["khatri-rao"]


def test_ms22_balanced_split_growth() -> None:
    """TT of order 6 under m <= R <= s: MS22's construction with balanced splits grows like LB.

    Its leading cost, from the constructions found at samples of the regime
    with b1 = b2 = m^(1/2), has the same leading monomial R^2 m s as the
    lower bound, so the ratio is bounded; the tensor-train family's
    2 R^2 m^2 s is not.
    """
    plan = plan_sketch(tensor_train(6), families=["tt", "ms22"], regime="m <= R <= s")
    families = {f["name"]: f for f in plan.to_dict()["families"]}
    assert plan.to_dict()["lower_bound_leading"] == "4*R**2*m*s"
    assert families["ms22"]["leading_cost"] == "4*R**2*m*s"
    assert families["ms22"]["ratio_to_lower_bound_bounded"] is True
    assert families["tt"]["ratio_to_lower_bound_bounded"] is False


def test_fixed_square_m_with_regime() -> None:
    """A fixed m = 4 gives split factors m^(1/2); the equal-accuracy ranking must not fail on them."""
    plan = plan_sketch(tensor_train(4), m=4, regime="R <= s")
    accuracy = plan.to_dict()["equal_accuracy"]
    assert "tt" in accuracy["leading_cost"]
