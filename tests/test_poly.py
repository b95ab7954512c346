"""Tests of tncost.symbolic.poly: exact conversion, arithmetic, evaluation and errors.

Oracles: sympy's own expansion and substitution for conversion and values,
and tncost.cost.tree_cost for costs of real trees.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

from tncost.cost import tree_cost
from tncost.errors import SizeError
from tncost.network import TensorNetwork
from tncost.symbolic.poly import Monomial, Poly
from tncost.symbolic.sizes import size_symbol
from tncost.tree import ContractionTree

R, s, m = (size_symbol(n) for n in ("R", "s", "m"))

ROUND_TRIPS = [
    ("R*s**2 + R**2*s", ("R", "s")),
    ("3*m**(5/2) + m**2*R", ("R", "m")),
    ("7", ()),
    ("s**(1/2)*R + s**(1/2)*R", ("R", "s")),
    ("(R + s)**3", ("R", "s")),
    ("Rational(1, 2)*s + s**2", ("s",)),
]


@pytest.mark.parametrize("text, symbols", ROUND_TRIPS, ids=[t for t, _ in ROUND_TRIPS])
def test_round_trip_is_exact(text: str, symbols: tuple[str, ...]) -> None:
    expr = sympy.sympify(text, locals={"R": R, "s": s, "m": m})
    poly = Poly.from_sympy(expr)
    assert poly.symbols == symbols
    assert sympy.expand(poly.to_sympy() - expr) == 0
    assert Poly.from_sympy(poly.to_sympy()) == poly


def test_arithmetic_matches_sympy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        exprs = []
        for _ in range(2):
            terms = [
                int(rng.integers(1, 5)) * R ** int(rng.integers(0, 3)) * s ** sympy.Rational(int(rng.integers(0, 5)), 2)
                for _ in range(int(rng.integers(1, 4)))
            ]
            exprs.append(sympy.Add(*terms))
        a, b = (Poly.from_sympy(e, ("R", "s")) for e in exprs)
        assert sympy.expand((a + b).to_sympy() - (exprs[0] + exprs[1])) == 0
        assert sympy.expand((a * b).to_sympy() - exprs[0] * exprs[1]) == 0
        point = {"R": int(rng.integers(1, 9)), "s": int(rng.integers(1, 5)) ** 2}
        expected = (exprs[0] * exprs[1]).subs({R: point["R"], s: point["s"]})
        assert (a * b).evaluate(point) == int(expected)


def test_monomial_product_adds_exponents() -> None:
    a = Monomial(("m", "R"), (Fraction(5, 2), 0))
    b = Monomial(("m", "R"), (Fraction(1, 2), 1))
    assert (a * b).exponents == (Fraction(3), Fraction(1))
    assert Monomial.from_sympy(m**3 * R, ("m", "R")) == a * b
    assert hash(a * b) == hash(Monomial(("m", "R"), (3, 1)))


def test_equality_and_hash_ignore_unused_symbols() -> None:
    a = Poly.from_sympy("R*s")
    b = Poly.from_sympy("R*s", ("R", "m", "s"))
    assert a == b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert Poly.from_sympy("R*s + 1") != a
    assert a + 0 == a


@pytest.mark.parametrize(
    "text, point, value",
    [("m**(5/2) + m", {"m": 4}, 36), ("R*s**(1/2)", {"R": 3, "s": 9}, 9), ("Rational(1,2)*s", {"s": 3}, Fraction(3, 2)), ("s**40", {"s": 10**6}, 10**240)],
    ids=["rational-exponent", "square-root", "fraction", "huge"],
)
def test_evaluate_is_exact(text: str, point: dict, value: object) -> None:
    result = Poly.from_sympy(text).evaluate(point)
    assert result == value
    assert type(result) is type(value)


def test_log_evaluate_matches_exact_value() -> None:
    poly = Poly.from_sympy("R*s**2 + 3*R**2*s")
    point = {"R": 1000, "s": 10**6}
    logs = {k: float(np.log(v)) for k, v in point.items()}
    assert poly.log_evaluate(logs) == pytest.approx(float(np.log(float(poly.evaluate(point)))), rel=1e-12)


def test_tree_cost_round_trips() -> None:
    net = TensorNetwork.from_inputs(
        [("a", "i"), ("i", "b", "j"), ("j", "c")], ("a", "b", "c"), {"a": "s", "b": "s", "c": "s", "i": "R", "j": "m**(1/2)"}
    )
    cost = tree_cost(net, ContractionTree.from_path([(0, 1), (0, 1)], 3)).ops
    poly = Poly.from_sympy(cost)
    assert sympy.expand(poly.to_sympy() - cost) == 0
    assert poly.evaluate({"R": 3, "m": 16, "s": 5}) == int(cost.subs({R: 3, m: 16, s: 5}))


def test_latex() -> None:
    assert Poly.from_sympy("R*s**2").to_latex() == "R s^{2}"


@pytest.mark.parametrize(
    "value, match",
    [
        ("s - R", "coefficient -1"),
        ("log(s)", "not a non-negative rational power"),
        ("1/s", "not a non-negative rational power"),
        ("(s + 1)**(1/2)", "not a non-negative rational power"),
        ("s*", "not a polynomial expression"),
        (True, "costs are numbers or polynomials"),
        (1.5, "use an int, a string or a sympy expression"),
    ],
    ids=["negative", "log", "negative-exponent", "root-of-sum", "syntax", "bool", "float"],
)
def test_from_sympy_errors(value: object, match: str) -> None:
    with pytest.raises(SizeError, match=match):
        Poly.from_sympy(value)


def test_other_errors() -> None:
    with pytest.raises(SizeError, match="outside the symbol tuple"):
        Poly.from_sympy("R*s", ("R",))
    with pytest.raises(SizeError, match="irrational"):
        Poly.from_sympy("m**(1/2)").evaluate({"m": 2})
    with pytest.raises(SizeError, match="no value for symbol 's'"):
        Poly.from_sympy("s").evaluate({})
    with pytest.raises(SizeError, match="positive coefficients"):
        Poly(("s",), {(1,): 0})
    with pytest.raises(SizeError, match="2 exponents given for 1 symbols"):
        Monomial(("s",), (1, 2))
    with pytest.raises(SizeError, match="not a single monomial"):
        Monomial.from_sympy("R + s")
    with pytest.raises(SizeError, match="repeat a name"):
        Poly(("s", "s"), {})
