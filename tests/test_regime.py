"""Tests of tncost.symbolic.regime: parsing, the recession cone, dominance, leading costs, comparisons.

Oracles: hand derivations (each table row states the reason), an independent
scipy linear program in log-size space for monomial dominance, and sampled
directions of the cone for leading costs and regions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from tncost.errors import RegimeError, SizeError
from tncost.symbolic.poly import Poly
from tncost.symbolic.regime import Regime, as_regime, leading_cost, rank_costs
from tncost.symbolic.sizes import size_symbol

# regime, p, q, p dominates q; the comment is the hand derivation.
DOMINANCE = [
    ("R <= s", "s**3", "R*s**2", True),  # s >= R
    ("R <= s", "R*s**2", "s**3", False),  # R < s on the open cone
    ("", "R", "s", False),  # no constraint: s can exceed R
    ("", "s", "R", False),
    ("m <= R <= s", "R*s", "m*s", True),  # R >= m
    ("m <= R <= s", "m*s**2", "R**2*s", False),  # m*s >= R**2 fails at m = 1, R = s
    ("R**2 <= m", "m", "R**2", True),
    ("R**2 <= m", "m", "R**3", False),  # m = R**2 makes R**3 larger
    ("R**2 <= m", "m**2", "R**4", True),
    ("R == s", "R*s**2", "R**2*s", True),  # equal on the cone
    ("s >= 1000, R <= 10", "s", "R**5", True),  # R is bounded: a constant
    ("m <= R", "m**2*R", "m**(5/2)", True),  # R >= m >= m**(1/2)
    ("m < R", "m**2*R", "m**(5/2)", True),  # strict means the same
]


@pytest.mark.parametrize("regime, p, q, expected", DOMINANCE, ids=[f"{r or 'none'}:{p}>={q}" for r, p, q, _ in DOMINANCE])
def test_dominance_table(regime: str, p: str, q: str, expected: bool) -> None:
    assert Regime.parse(regime).dominates(p, q) is expected


LEADING = [
    ("R <= s", "R*s**2 + R**2*s", "R*s**2"),
    ("", "R**2 + R*s + s**2", "R**2 + s**2"),  # R*s <= max(R**2, s**2), never strictly largest
    ("R == s", "R*s**2 + R**2*s + s", "2*R**2*s"),  # equivalent terms merge, coefficients add
    ("m <= R <= s", "m*s**2 + R**2*s + R*m*s", "m*s**2 + R**2*s"),  # R*m*s <= m*s**2; the others trade places
    ("R**2 <= m", "m + R**2 + R", "m"),
    ("s <= 10", "s**3 + R", "R"),  # s is bounded
    ("m <= R", "m**(5/2) + m**2*R", "m**2*R"),
    ("", "7", "7"),
]


@pytest.mark.parametrize("regime, cost, expected", LEADING, ids=[f"{r or 'none'}:{c}" for r, c, _ in LEADING])
def test_leading_table(regime: str, cost: str, expected: str) -> None:
    assert Regime.parse(regime).leading(cost) == Poly.from_sympy(expected)


COMPARE = [
    ("R <= s", "s**3", "R*s**2 + R**2*s", "greater"),
    ("", "R**2 + s**2", "R**2 + R*s + s**2", "equal"),
    ("", "R", "s", "incomparable"),
    ("m <= R", "m**(5/2)", "m**2*R", "less"),
    ("m <= R", "m**3", "m*R**(3/2)", "incomparable"),  # m**2 against R**(3/2)
    ("m <= R <= s", "s**3", "m*s**2", "greater"),
    ("", "2*s", "s + R", "less"),  # constants do not count
]


@pytest.mark.parametrize("regime, first, second, outcome", COMPARE, ids=[f"{r or 'none'}:{a}?{b}" for r, a, b, _ in COMPARE])
def test_compare_table(regime: str, first: str, second: str, outcome: str) -> None:
    result = Regime.parse(regime).compare(first, second)
    assert result.outcome == outcome
    assert bool(result.regions) == (outcome == "incomparable")


def test_regions_of_two_symbols() -> None:
    result = Regime.parse("").compare("R", "s")
    assert [(r.inequalities, r.winners) for r in result.regions] == [(("R >= s",), (1,)), (("s >= R",), (0,))]
    result = Regime.parse("m <= R").compare("m**3", "m*R**(3/2)")
    assert [(r.inequalities, r.winners) for r in result.regions] == [(("m**4 >= R**3",), (1,)), (("R**3 >= m**4",), (0,))]


REGION_CASES = [
    ("", ["R**2", "R*s", "s**2"]),
    ("m <= R <= s", ["m*s**2", "R**2*s", "R**3"]),
    ("", ["R*s**2 + m**3", "s**3", "R**2*m + m**2*s"]),
    ("R <= s", ["s**2 + R", "2*R*s", "R**2 + s"]),
]


@pytest.mark.parametrize("regime, polys", REGION_CASES, ids=[f"{r or 'none'}:{len(p)}" for r, p in REGION_CASES])
def test_region_winners_hold_at_inner_points(regime: str, polys: list[str]) -> None:
    """At each region's inner direction, far out, the winner has the smallest leading value."""
    parsed = Regime.parse(regime)
    regions = parsed.split(polys)
    assert regions
    symbols = tuple(sorted({n for p in polys for n in Poly.from_sympy(p).symbols} | set(parsed.symbols)))
    cone = parsed.over(symbols)
    for region in regions:
        x = dict(zip(region.symbols, region.point))
        for constraint in region.constraints + cone.cone:
            assert constraint.holds([x[n] for n in constraint.symbols], slack=1e-9)
        logs = {n: 1e6 * x[n] for n in x}
        values = [Poly.from_sympy(p).log_evaluate(logs) for p in polys]
        best = min(values)
        for w in region.winners:
            assert values[w] <= best + 1e-3 * abs(best) + 10


@pytest.mark.parametrize(
    "text, count, rays",
    [
        ("m <= R <= s", 2, ((0, 0, 1), (1, 0, 1), (1, 1, 1))),
        ("m <= R, R <= s", 2, ((0, 0, 1), (1, 0, 1), (1, 1, 1))),
        ("m <= R and R <= s", 2, ((0, 0, 1), (1, 0, 1), (1, 1, 1))),
        ("m < R < s", 2, ((0, 0, 1), (1, 0, 1), (1, 1, 1))),
        ("R**2 <= m", 1, ((0, 1), (1, 2))),
        ("sqrt(m) <= R", 1, ((1, 0), (1, 2))),
        ("s >= 1000", 1, ((1,),)),
        ("2*R <= s", 1, ((0, 1), (1, 1))),
        ("R == s", 1, ((1, 1),)),
        ("s <= 10", 1, ()),
        ("", 0, ()),
    ],
)
def test_parse_and_rays(text: str, count: int, rays: tuple) -> None:
    regime = Regime.parse(text)
    assert len(regime.constraints) == count
    assert regime.rays == rays


def test_constants_vanish_in_the_cone() -> None:
    regime = Regime.parse("s >= 1000, 2*R <= s")
    assert [c.bound for c in regime.constraints] == [Fraction(1000), Fraction(2)]
    assert all(c.bound == 1 for c in regime.cone)
    assert regime.rays == Regime.parse("R <= s").rays


@pytest.mark.parametrize(
    "text, match",
    [
        ("s >= 1000, s <= 10", r"infeasible: .* s >= 1000 and s <= 10 together"),
        ("s >= 1000, R <= 3, s <= 10", r"s >= 1000 and s <= 10 together"),
        ("s <= 1/2", r"infeasible: .* s <= 1/2 together"),
        ("R + s <= m", "sums such as R \\+ s"),
        ("R s <= m", "cannot read"),
        ("R", "has no comparison"),
        ("R <= ", "missing side"),
        ("-2*R <= s", "constant -2"),
        ("log(R) <= s", "not a rational power"),
    ],
)
def test_parse_errors(text: str, match: str) -> None:
    with pytest.raises(RegimeError, match=match):
        Regime.parse(text)


def test_symbol_errors() -> None:
    with pytest.raises(RegimeError, match="'q', which is not among the symbols R"):
        Regime.parse("R <= q", symbols=("R",))
    with pytest.raises(RegimeError, match="lack"):
        Regime.parse("R <= s").over(("R",))
    with pytest.raises(SizeError, match="not a single monomial"):
        Regime.parse("").dominates("R + s", "R")
    with pytest.raises(RegimeError, match="unknown order"):
        Regime.parse("").split(["R"], order="fast")


def _lp_dominates(regime: Regime, p: tuple, q: tuple) -> bool:
    """min (p - q).x over the cone with Σx <= 1, by an LP in log-size space."""
    size = len(regime.symbols)
    a_ub = [[-float(v) for v in c.coefficients] for c in regime.cone if not c.equality] + [[1.0] * size]
    b_ub = [0.0] * (len(a_ub) - 1) + [1.0]
    a_eq = [[float(v) for v in c.coefficients] for c in regime.cone if c.equality]
    result = linprog(
        [float(a - b) for a, b in zip(p, q)],
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq or None,
        b_eq=[0.0] * len(a_eq) or None,
        bounds=[(0, None)] * size,
        method="highs",
    )
    return result.fun >= -1e-9


@pytest.mark.parametrize("text", ["", "m <= R <= s", "R**2 <= m", "m <= s, R**3 <= s**2", "R == s", "m*R <= s, s <= m**2"])
def test_ray_dominance_agrees_with_the_lp(text: str) -> None:
    regime = Regime.parse(text).over(("R", "m", "s"))
    rng = np.random.default_rng(11)
    for _ in range(60):
        p, q = (tuple(Fraction(int(v), 2) for v in rng.integers(0, 6, size=3)) for _ in range(2))
        fast = regime.dominates(Poly(regime.symbols, {p: 1}), Poly(regime.symbols, {q: 1}))
        assert fast == _lp_dominates(regime, p, q), (p, q)


@pytest.mark.parametrize("text", ["", "m <= R <= s", "R**2 <= m", "m*R <= s"])
def test_leading_agrees_with_sampled_directions(text: str) -> None:
    """A term leads exactly when it is the unique largest at some sampled direction."""
    regime = Regime.parse(text).over(("R", "m", "s"))
    rng = np.random.default_rng(5)
    rays = np.array(regime.rays, dtype=float)
    directions = rng.dirichlet(np.ones(len(rays)) * 0.5, size=4000) @ rays
    for _ in range(15):
        terms = {tuple(Fraction(int(v)) for v in rng.integers(0, 4, size=3)): 1 for _ in range(5)}
        poly = Poly(regime.symbols, terms)
        keys = list(poly.terms)
        values = directions @ np.array([[float(v) for v in k] for k in keys]).T
        order = np.sort(values, axis=1)
        unique = order[:, -1] > order[:, -2] + 1e-9 if len(keys) > 1 else np.ones(len(values), bool)
        sampled = {keys[i] for i in np.argmax(values[unique], axis=1)}
        assert set(regime.leading(poly).terms) == sampled


def test_precedes_counts_constants_and_lower_terms() -> None:
    regime = Regime.parse("")
    assert regime.at_most("2*s", "s + R")
    assert not regime.precedes("2*s", "s + R")
    assert regime.precedes("2*R*s", "R**2 + s**2")  # 2Rs <= R**2 + s**2
    assert Regime.parse("R <= s").precedes("R*s**2 + R**2*s", "s**3")
    assert not Regime.parse("R <= s").precedes("s**3", "R*s**2 + R**2*s")


def test_rank_and_helpers() -> None:
    ranking = rank_costs({"dense": "s**3", "tt": "R*s**2 + R**2*s", "twice": "2*s**3"}, "R <= s")
    assert ranking.order == (("tt",), ("dense", "twice"))
    assert ranking.leading["tt"] == Poly.from_sympy("R*s**2")
    split = rank_costs({"a": "R", "b": "s"})
    assert split.order is None
    assert [r.winners for r in split.regions] == [(1,), (0,)]
    R, s = size_symbol("R"), size_symbol("s")
    assert leading_cost(R * s**2 + R**2 * s + s, "R <= s") == R * s**2
    assert as_regime(None).symbols == ()
    assert as_regime("R <= s", ("s", "R", "m")).symbols == ("s", "R", "m")


def test_region_sizes_are_powers_of_two() -> None:
    (first, second) = Regime.parse("").compare("R", "s").regions
    sizes = first.sizes(bits=40)
    assert sizes["R"] >= sizes["s"]
    assert all(math.log2(v).is_integer() for v in sizes.values())
    assert all(v % 4 == 0 for v in (int(math.log2(x)) for x in second.sizes(bits=40, multiple=4).values()))
