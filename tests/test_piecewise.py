"""Piecewise MS22 and best-T0 costs under a regime, checked against hand derivations and cotengra."""

from __future__ import annotations

import math

import cotengra
import pytest
import sympy

from tncost.bounds import lower_bound
from tncost.cost import substitute_cost
from tncost.errors import SketchSizeError, SpecError
from tncost.piecewise import piecewise_cost, sample_points
from tncost.planner import plan_sketch
from tncost.structures import khatri_rao, kronecker, tensor_train
from tncost.symbolic.regime import Regime
from tncost.symbolic.sizes import size_symbol
from tncost.tree import ContractionTree, is_consistent

M = size_symbol("m")


def _data_tree(network, regime: str) -> ContractionTree:
    return plan_sketch(network, regime=regime, families=["tt"]).data_tree


def test_kronecker_pair_hand_cost() -> None:
    """Two vectors of size s, each sketched, merged with a balanced split.

    Leaf matrices: 2 m s. The split reads the right m-index as
    m^(1/2) x m^(1/2): the left vector (m) meets V1 (m, m^(1/2), m) for
    m^(5/2), the result meets the right piece over b1 for m^2, and V2
    (m, m^(1/2), m) costs m^(5/2) again. Contract-first would cost
    m^2 + m^3, which loses for m > 4.
    """
    result = piecewise_cost(kronecker(2), "ms22", ContractionTree.from_nested((0, 1)), "m <= s")
    s = size_symbol("s")
    assert len(result.pieces) == 1
    assert sympy.expand(result.pieces[0].cost - (2 * M ** sympy.Rational(5, 2) + M**2 + 2 * M * s)) == 0
    assert "merge at (v1,v2): split-right" in result.pieces[0].construction


def test_samples_inside_regime() -> None:
    network = tensor_train(4)
    regime = Regime.parse("m <= R <= s", symbols=(*network.symbols, "m"))
    points = sample_points(regime, network)
    assert len(points) >= 4
    for point in points:
        assert math.isqrt(point["m"]) ** 2 == point["m"]
        assert 4 <= point["m"] <= point["R"] <= point["s"]


@pytest.mark.parametrize("family", ["ms22", "best_t0"])
def test_piece_costs_match_cotengra(family: str) -> None:
    """Each piece's symbolic cost, at each of its samples, equals cotengra's count along its tree."""
    network = khatri_rao(3)
    regime = "m <= R <= s"
    data_tree = _data_tree(network, regime)
    result = piecewise_cost(network, family, data_tree, regime)
    assert result.pieces
    for piece in result.pieces:
        assert is_consistent(piece.tree, data_tree)
        for sample in piece.samples:
            numeric = piece.joint.at_sizes(dict(sample))
            tree = cotengra.ContractionTree.from_path(
                numeric.inputs, numeric.output, dict(numeric.size_dict), path=piece.tree.path()
            )
            assert substitute_cost(piece.cost, dict(sample)) == tree.contraction_cost()


def _ratio(cost: sympy.Expr, bound: sympy.Expr, values: dict[str, int]) -> float:
    return substitute_cost(cost, values) / substitute_cost(bound, values)


def test_tt_bounded_ratio_numerically() -> None:
    """TT of order 6 under m <= R <= s: bounded, and cost / LB stops growing along rays of the regime."""
    network = tensor_train(6)
    regime = "m <= R <= s"
    data_tree = _data_tree(network, regime)
    bound = lower_bound(network, data_tree, M).total
    result = piecewise_cost(network, "ms22", data_tree, regime, bound=bound)
    assert result.bounded_everywhere is True
    winner = next(p for p in result.pieces if p.label == result.regions[0]["winners"][0])
    for exponents in [(1, 2, 3), (1, 1, 1), (1, 3, 6), (2, 2, 5)]:
        small = {name: 2 ** (8 * e) for name, e in zip(("m", "R", "s"), exponents)}
        large = {name: 2 ** (16 * e) for name, e in zip(("m", "R", "s"), exponents)}
        assert _ratio(winner.cost, bound, large) <= 1.5 * _ratio(winner.cost, bound, small)


def test_kronecker_unbounded_ratio_numerically() -> None:
    """Four vectors under m <= s: the m^(5/2) split terms outgrow LB when s = m, by about m^(1/2)."""
    network = kronecker(4)
    regime = "m <= s"
    data_tree = _data_tree(network, regime)
    bound = lower_bound(network, data_tree, M).total
    result = piecewise_cost(network, "ms22", data_tree, regime, bound=bound)
    assert result.bounded_everywhere is False
    winner = next(p for p in result.pieces if p.label == result.regions[0]["winners"][0])
    small = _ratio(winner.cost, bound, {"m": 2**10, "s": 2**10})
    large = _ratio(winner.cost, bound, {"m": 2**20, "s": 2**20})
    assert large > 16 * small


def test_unknown_family_rejected() -> None:
    with pytest.raises(SpecError, match="'tt'"):
        piecewise_cost(kronecker(2), "tt", ContractionTree.from_nested((0, 1)), "m <= s")


def test_regime_without_room_for_m() -> None:
    """When every sample has m >= s, there is no sample to search at."""
    with pytest.raises(SketchSizeError, match="no sample"):
        piecewise_cost(kronecker(2), "ms22", ContractionTree.from_nested((0, 1)), "s <= m")


def test_planner_reports_piecewise_ms22() -> None:
    """The planner's asymptotics carry MS22's piecewise cost and its bounded ratio."""
    plan = plan_sketch(tensor_train(6), families=["tt", "ms22", "best_t0"], regime="m <= R <= s")
    data = plan.to_dict()
    families = {f["name"]: f for f in data["families"]}
    assert data["lower_bound_leading"] == "4*R**2*m*s"
    for name in ("ms22", "best_t0"):
        assert families[name]["leading_cost"] == "4*R**2*m*s"
        assert families[name]["ratio_to_lower_bound_bounded"] is True
        assert families[name]["piecewise"]["pieces"]
        assert isinstance(families[name]["ratio_to_lower_bound"], float)
    assert families["tt"]["ratio_to_lower_bound_bounded"] is False


def test_planner_notes_m_outside_regime() -> None:
    """The default sample has R = 20, but MS22's m from eps = 0.5, delta = 0.1 is above 100."""
    plan = plan_sketch(tensor_train(4), families=["ms22"], regime="m <= R <= s")
    assert plan.family("ms22").m > 20
    assert any("violates the regime's m <= R" in note for note in plan.notes)


def test_analyze_json_regime_ratios() -> None:
    """The command line's JSON under a regime has LB with its terms and every family's ratio to it."""
    import json

    from click.testing import CliRunner

    from tncost.cli import cli

    result = CliRunner().invoke(cli, ["analyze", "tt:N=6", "--sketch", "all", "--regime", "m <= R <= s", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    kinds = {term["kind"] for term in data["lower_bound"]["terms"]}
    assert {"merge", "sketch"} <= kinds
    families = {f["name"]: f for f in data["families"]}
    assert set(families) == {"dense", "khatri-rao", "tt", "tree", "ms22", "best_t0"}
    for entry in families.values():
        assert "ratio_to_lower_bound" in entry
    assert families["ms22"]["ratio_to_lower_bound_bounded"] is True
    assert families["best_t0"]["ratio_to_lower_bound_bounded"] is True
