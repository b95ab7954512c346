"""Tests of the accuracy rule and the sketch-size helpers."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
import sympy

from tncost.embeddings import (
    ACCURACY_SYMBOL,
    family_count,
    khatri_rao_rows,
    register_family,
    sketch_size,
    symbolic_khatri_rao_rows,
    symbolic_sketch_size,
)
from tncost.embeddings import families as families_module
from tncost.embeddings.families import build_dense
from tncost.errors import SketchSizeError

# Values worked out by hand (ln 10 = 2.302585..., ln 2 = 0.693147..., ln 100 = 4.605170...).
RULE = [
    # id, kwargs, expected
    ("defaults", dict(k=1), 10),  # 4 ln 10 = 9.21
    ("k2", dict(k=2), 19),  # 8 ln 10 = 18.42
    ("k3", dict(k=3), 28),  # 12 ln 10 = 27.63
    ("C2", dict(k=1, C=2), 19),  # 8 ln 10
    ("C0.5", dict(k=1, C=0.5), 5),  # 2 ln 10 = 4.61
    ("eps0.25", dict(k=1, eps=0.25), 37),  # 16 ln 10 = 36.84
    ("delta0.5", dict(k=1, delta=0.5), 3),  # 4 ln 2 = 2.77
    ("eps0.1-delta0.01", dict(k=3, eps=0.1, delta=0.01), 1382),  # 300 ln 100 = 1381.55
    ("subspace-d1", dict(k=1, target="subspace", d=1), 14),  # 4 (1 + ln 10) = 13.21
    ("subspace-d5", dict(k=2, target="subspace", d=5), 59),  # 8 (5 + ln 10) = 58.42
    ("fraction", dict(k=1, eps=Fraction(1, 2), delta=Fraction(1, 10)), 10),
    ("decimal", dict(k=1, eps=Decimal("0.5"), delta=Decimal("0.1")), 10),
    ("string", dict(k=1, eps="0.5", delta="0.1"), 10),
]


@pytest.mark.parametrize("kwargs, expected", [r[1:] for r in RULE], ids=[r[0] for r in RULE])
def test_rule_values(kwargs: dict, expected: int) -> None:
    value = sketch_size(**kwargs)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize("target", ["jl", "subspace"])
@pytest.mark.parametrize("side", [-1, 1])
def test_ceiling_exact_near_integer(target: str, side: int) -> None:
    # Pick C so that the exact value lies within 1e-40 of 10: a float
    # computation cannot tell which side it is on; sympy's exact ceiling can.
    d = 3 if target == "subspace" else None
    log_term = sympy.log(10) + (d or 0)
    c_exact = sympy.Integer(10) / (4 * log_term)
    C = Fraction(str(sympy.N(c_exact, 60))) + side * Fraction(1, 10**45)
    expected = int(sympy.ceiling(sympy.Rational(C.numerator, C.denominator) * 4 * log_term))
    assert expected == (11 if side > 0 else 10)
    assert sketch_size(1, C=C, target=target, d=d) == expected


def test_rule_is_linear_in_k() -> None:
    mu = 4 * math.log(10)
    for k in range(1, 40):
        assert sketch_size(k) == math.ceil(k * mu)


def test_huge_values_exact() -> None:
    assert sketch_size(10**30, eps=0.5, delta=0.1) == int(sympy.ceiling(sympy.Integer(4 * 10**30) * sympy.log(10)))


KHATRI_RAO = [(1, 0.5, 0.1, 80), (2, 0.5, 0.1, 320), (3, 0.5, 0.1, 1040), (3, 0.1, 0.1, 26000), (4, 0.5, 0.2, 1600)]


@pytest.mark.parametrize("N, eps, delta, expected", KHATRI_RAO)
def test_khatri_rao_rows(N: int, eps: float, delta: float, expected: int) -> None:
    assert khatri_rao_rows(N, eps, delta) == expected


def test_khatri_rao_rows_exponential() -> None:
    rows = [khatri_rao_rows(n) for n in range(1, 8)]
    assert all(later > 2.9 * earlier for earlier, later in zip(rows, rows[1:]))


def test_symbolic_forms() -> None:
    assert symbolic_sketch_size(3) == 3 * ACCURACY_SYMBOL
    k = sympy.Symbol("k", positive=True, integer=True)
    assert symbolic_sketch_size(k) == k * ACCURACY_SYMBOL
    assert ACCURACY_SYMBOL.is_positive
    assert ACCURACY_SYMBOL.is_integer
    eps, delta = sympy.symbols("eps delta", positive=True)
    assert symbolic_khatri_rao_rows(3) == 26 / (eps**2 * delta)
    assert symbolic_khatri_rao_rows(3).subs({eps: sympy.Rational(1, 10), delta: sympy.Rational(1, 10)}) == 26000


@pytest.mark.parametrize(
    "family, counts",
    [("dense", [1, 1, 1, 1, 1]), ("tt", [1, 2, 3, 4, 5]), ("tree", [1, 3, 5, 7, 9]), ("khatri-rao", [None] * 5)],
)
def test_family_count(family: str, counts: list) -> None:
    assert [family_count(family, n) for n in range(1, 6)] == counts


def test_family_count_without_fixed_count() -> None:
    register_family("no-count", build_dense)
    try:
        with pytest.raises(SketchSizeError, match="'no-count' depends on the data tree"):
            family_count("no-count", 3)
    finally:
        families_module._REGISTRY.pop("no-count", None)


# Errors -------------------------------------------------------------------------------

ERRORS = [
    ("eps0", dict(k=1, eps=0), r"invalid eps=0: eps must lie strictly between 0 and 1"),
    ("eps1", dict(k=1, eps=1), r"invalid eps=1"),
    ("eps-neg", dict(k=1, eps=-0.1), r"invalid eps=-0.1"),
    ("eps-nan", dict(k=1, eps=float("nan")), r"invalid eps=nan: give a finite number"),
    ("eps-text", dict(k=1, eps="half"), r"invalid eps='half': give a real number"),
    ("eps-none", dict(k=1, eps=None), r"invalid eps=None: give a real number"),
    ("delta0", dict(k=1, delta=0.0), r"invalid delta=0.0: delta must lie strictly between 0 and 1"),
    ("delta2", dict(k=1, delta=2), r"invalid delta=2"),
    ("C0", dict(k=1, C=0), r"invalid C=0: the constant C must be positive"),
    ("C-neg", dict(k=1, C=-2.0), r"invalid C=-2.0"),
    ("k0", dict(k=0), r"invalid k=0: k must be an integer of at least 1"),
    ("k-float", dict(k=1.5), r"invalid k=1.5"),
    ("k-bool", dict(k=True), r"invalid k=True"),
    ("target", dict(k=1, target="ose"), r"unknown target 'ose'; valid targets are jl, subspace"),
    ("no-d", dict(k=1, target="subspace"), r"target 'subspace' needs the subspace dimension d"),
    ("d-jl", dict(k=1, d=4), r"d=4 is only used with target 'subspace'"),
    ("d0", dict(k=1, target="subspace", d=0), r"invalid d=0: d must be an integer of at least 1"),
]


@pytest.mark.parametrize("kwargs, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_rule_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(SketchSizeError, match=message):
        sketch_size(**kwargs)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: khatri_rao_rows(0), r"invalid N=0"),
        (lambda: khatri_rao_rows(2, eps=1.5), r"invalid eps=1.5"),
        (lambda: khatri_rao_rows(2, delta=0), r"invalid delta=0"),
        (lambda: family_count("mps", 2), r"unknown embedding family 'mps'; valid families are dense"),
        (lambda: family_count("tt", 0), r"invalid N=0"),
        (lambda: symbolic_sketch_size(0), r"invalid k=0"),
        (lambda: symbolic_khatri_rao_rows(0), r"invalid N=0"),
    ],
    ids=["kr-N", "kr-eps", "kr-delta", "count-family", "count-N", "symbolic-k", "symbolic-kr-N"],
)
def test_helper_errors(call, message: str) -> None:
    with pytest.raises(SketchSizeError, match=message):
        call()
