"""The published claims on sketch size and cost, as small checks.

The larger sweeps are in ``benchmarks/claims.py``; the functions used here are
imported from it. Expected values come from the derivations in
``docs/theory.md`` (section "The published claims"), not from earlier runs.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
from fractions import Fraction

import pytest

from tncost.bounds import lower_bound
from tncost.embeddings import khatri_rao_rows
from tncost.structures import kronecker, tensor_train

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "claims.py"
_spec = importlib.util.spec_from_file_location("claims_benchmark", _PATH)
claims = importlib.util.module_from_spec(_spec)
sys.modules["claims_benchmark"] = claims
_spec.loader.exec_module(claims)

SEED = 7
LOG_TERM = math.log(10) / 0.25
"""ln(1/δ)/ε² at the defaults ε = 0.5, δ = 0.1."""


# Claim 1: sketch size linear in N ----------------------------------------------------


@pytest.mark.parametrize("N", [2, 3, 4, 5])
def test_rule_size_linear_in_N(N):
    row = claims.rule_sizes(N, s=4096)
    m, k = row["ms22"]["m"], row["ms22"]["k"]
    # N leaf matrices and N − 1 merges, each one core (1 tensor) or one split (2).
    assert 2 * N - 1 <= k <= 3 * N - 2
    assert m == math.ceil(k * LOG_TERM) or m == math.ceil((3 * N - 2) * LOG_TERM)
    # Hence m/N lies between (2 − 1/N)·L and 3·L + 1 for every N.
    assert (2 - Fraction(1, N)) * Fraction(LOG_TERM) <= row["ms22"]["m_over_N"] <= 3 * Fraction(LOG_TERM) + 1


def test_khatri_rao_estimate_triples():
    rows = [khatri_rao_rows(N) for N in range(2, 9)]
    # ⌈(3^N − 1)/(ε²δ)⌉ = ⌈40·(3^N − 1)⌉.
    assert rows == [40 * (3**N - 1) for N in range(2, 9)]
    assert all(b / a >= 3 for a, b in zip(rows, rows[1:]))


def test_khatri_rao_prefix_variance():
    # Var(‖Sx‖²)/‖x‖⁴ = (3^N − 1)/m for rank-one x; N = 2 gives 8/m.
    rows, trials = 256, 300
    ratios = claims.khatri_rao_prefix_ratios(2, rows, trials, SEED)
    for m in (64, 256):
        sample = ratios[:, m - 1]
        assert abs(sample.mean() - 1) < 4 * math.sqrt(8 / m / trials)
        assert sample.var(ddof=1) / (8 / m) > 0.7
        assert sample.var(ddof=1) / (8 / m) < 1.3


def test_tt_rank_one_variance():
    # For rank-one x, ‖Sx‖²/‖x‖² is a product of N independent χ²_m/m, so its
    # variance is (1 + 2/m)^N − 1.
    N, m, trials = 3, 32, 300
    joint, tree_, data, draw, _ = claims._prepared(N, "tt", m, claims.RANK_ONE_SIZE, SEED)
    from tncost.execute import distortion_trials

    stats = distortion_trials(joint, tree_, data, draw, trials, SEED + 1, 0.5)
    expected = (1 + 2 / m) ** N - 1
    assert abs(stats.mean - 1) < 4 * math.sqrt(expected / trials)
    assert stats.std**2 / expected > 0.7
    assert stats.std**2 / expected < 1.3


@pytest.fixture(scope="module")
def measured():
    out = {}
    for N in (2, 4):
        out["khatri-rao", N] = claims.measured_sizes(N, "khatri-rao", 120, SEED)["m"]
        out["ms22", N] = claims.measured_sizes(N, "ms22", 80, SEED)["m"]
    return out


def test_measured_size_khatri_rao_against_ms22(measured):
    kr2, kr4 = measured["khatri-rao", 2], measured["khatri-rao", 4]
    ms2, ms4 = measured["ms22", 2], measured["ms22", 4]
    # Khatri–Rao variance (3^N − 1)/m: 8/m at N = 2, 80/m at N = 4 (10 times).
    assert kr4 >= 4 * kr2
    # MS22 variance about 2k/m with k = 4 at N = 2 and k = 10 at N = 4 (2.5 times).
    assert ms4 <= 4 * ms2
    # At N = 4 the variances are 80/m against about 20/m.
    assert kr4 >= 2.5 * ms4


# Claim 2: cost within O(√m) of LB -----------------------------------------------------


@pytest.mark.parametrize("N", [2, 3, 4])
def test_kronecker_ratio_below_sqrt_m(N):
    # With s ≥ m: cost/LB ≤ 1/2 + ((N − 1)/N)·m^1.5/s + lower terms, so
    # cost/LB ≤ 1.25·√m for every m in 4..s.
    s = 64
    for m in (4, 5, 9, 13, 16, 25, 36, 49, 64):
        row = claims.ms22_ratio(kronecker(N), {"s": s}, m)
        assert row["ratio"] >= Fraction(2, 7)
        assert row["ratio"] <= Fraction(5, 4) * Fraction(math.isqrt(m * 10**6), 1000)


INPUTS = ("tt:N=4", "peps:rows=2,cols=2", "khatri-rao:N=4", "tree:N=4")


def test_ratio_below_sqrt_m_on_structures():
    inputs = {name: claims.CLAIM2_INPUTS[name] for name in INPUTS}
    sweep = claims.claim2_sweep(64, [4, 9, 16, 25, 36, 49, 64], inputs)
    for name, result in sweep.items():
        # Every ratio is at least the theorem's 2/7 and at most √m (c ≤ 1).
        assert all(row["ratio"] >= Fraction(2, 7) for row in result["rows"]), name
        assert result["c"] <= 1, name


def test_sqrt_m_constant_flat_at_s_equal_m():
    # At a fixed s the ratio can rise faster than √m as m approaches s (for a
    # tensor train it is about 1/2 + m^1.5/(s·R)); the worst case of the
    # sweep is m = s, and there ratio/√m must level off.
    inputs = {name: claims.CLAIM2_INPUTS[name] for name in INPUTS}
    for name, result in claims.claim2_diagonal([16, 64, 256], inputs).items():
        scaled = [row["ratio_over_sqrt_m"] for row in result["rows"]]
        assert scaled[2] <= 1.05 * scaled[1], (name, scaled)
        assert result["slope"] <= 0.55, (name, result["slope"])


# Claim 3: bounded ratio when every tensor is sketched, under s ≥ m^1.5 ---------------------


@pytest.mark.parametrize("N", [2, 3, 4])
@pytest.mark.parametrize("m", [16, 64])
@pytest.mark.parametrize("alpha", [1, 1.5, 2])
def test_kronecker_cost_and_bound_by_hand(N, m, alpha):
    s = round(m**alpha)
    row = claims.ms22_ratio(kronecker(N), {"s": s}, m)
    # MS22: N·m·s + (N − 1)(2m^2.5 + m²); LB: 2N·m·s + (N − 1)m².
    root = math.isqrt(m)
    assert row["cost"] == N * m * s + (N - 1) * (2 * m * m * root + m * m)
    assert row["lower_bound"] == 2 * N * m * s + (N - 1) * m * m
    data_tree = claims.plan_sketch(kronecker(N), sizes={"s": s}, m=m, families=["ms22"]).family("ms22").data_tree
    assert lower_bound(kronecker(N).at_sizes({"s": s}), data_tree, m).at() == row["lower_bound"]


def test_kronecker_ratio_needs_s_above_m_1_5():
    N = 4
    bounded = [claims.ms22_ratio(kronecker(N), {"s": round(m**1.5)}, m)["ratio"] for m in (16, 64, 256)]
    # With s = m^1.5 the ratio is below (3N − 2)/(2N) = 5/4 for every m.
    assert all(r < Fraction(3 * N - 2, 2 * N) for r in bounded)
    large = [claims.ms22_ratio(kronecker(N), {"s": m * m}, m)["ratio"] for m in (16, 64, 256)]
    # With s = m² it tends to 1/2 from above.
    assert all(r > Fraction(1, 2) for r in large)
    assert all(r < Fraction(3, 4) for r in large)
    assert large[0] > large[1] > large[2]
    small = [claims.ms22_ratio(kronecker(N), {"s": m}, m)["ratio"] for m in (16, 64, 256)]
    # With s = m it is exactly ((2N − 1) + 2(N − 1)·√m)/(3N − 1), about (6/11)·√m for N = 4.
    for r, m in zip(small, (16, 64, 256)):
        assert r == Fraction(2 * N - 1 + 2 * (N - 1) * math.isqrt(m), 3 * N - 1)
    assert small[2] / small[0] > 3


def test_tt_ratio_needs_sR_above_m_1_5():
    # Middle cores: leaf term m·s·R² against a split merge 2·m^2.5·R, so the
    # ratio is about 1/2 + m^1.5/(s·R) while R ≤ √m.
    R = 2
    grow = [claims.ms22_ratio(tensor_train(4), {"s": m, "R": R}, m)["ratio"] for m in (16, 64, 256)]
    assert grow[2] / grow[0] > 2.5
    flat = [claims.ms22_ratio(tensor_train(4), {"s": math.ceil(m**1.5 / R), "R": R}, m)["ratio"] for m in (16, 64, 256)]
    assert max(flat) < 2
    assert flat[2] / flat[0] < 1.3
