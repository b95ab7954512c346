"""Cost polynomials: sums of monomials with positive coefficients over size symbols.

A :class:`Monomial` is an exponent vector over a fixed tuple of symbol names,
with :class:`fractions.Fraction` exponents (``m**(5/2)`` has exponent 5/2). A
:class:`Poly` maps exponent vectors to positive coefficients (``int`` or
``Fraction``). Both are immutable and hashable, and all arithmetic is exact:
products add exponents, sums add coefficients of equal exponent vectors, and
equality compares the exact terms. Conversion to and from sympy is exact, so a
cost computed by :func:`tncost.cost.tree_cost` round-trips.

These objects are what the symbolic order search manipulates inside its
dynamic program, where sympy expressions would be far too slow.

Examples
--------
>>> p = Poly.from_sympy("R*s**2 + 2*R**2*s")
>>> p.symbols
('R', 's')
>>> (p + Poly.from_sympy("R*s**2", symbols=("R", "s"))).to_sympy()
2*R**2*s + 2*R*s**2
>>> p.evaluate({"R": 2, "s": 10})
280
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Union

import sympy

from ..errors import SizeError
from .sizes import check_expression_text, size_symbol

__all__ = ["Exponents", "Coefficient", "Monomial", "Poly", "format_monomial"]

#: An exponent vector: one exponent per symbol of the polynomial's symbol tuple.
Exponents = tuple[Fraction, ...]

#: A positive exact coefficient.
Coefficient = Union[int, Fraction]


def _fraction(value: object, what: str) -> Fraction:
    if isinstance(value, bool):
        raise SizeError(f"invalid {what} {value!r}: use an int or a Fraction")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    raise SizeError(f"invalid {what} {value!r} of type {type(value).__name__}: use an int or a Fraction")


def _coefficient(value: object) -> Coefficient:
    number = _fraction(value, "coefficient")
    if number <= 0:
        raise SizeError(f"invalid coefficient {number}: cost polynomials have positive coefficients")
    return int(number) if number.denominator == 1 else number


def _check_symbols(symbols: Iterable[str]) -> tuple[str, ...]:
    names = tuple(symbols)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise SizeError(f"invalid symbol name {name!r}: use a Python identifier such as 's' or 'R1'")
    if len(set(names)) != len(names):
        raise SizeError(f"symbol names {names} repeat a name; list each symbol once")
    return names


def _iroot(value: int, degree: int) -> int | None:
    """The exact integer ``degree``-th root of ``value`` >= 0, or None if there is none."""
    if value < 2 or degree == 1:
        return value
    guess = int(round(value ** (1.0 / degree))) if value.bit_length() < 1000 else 1 << (value.bit_length() // degree)
    # Newton's iteration on integers, started above the root.
    root = max(guess, 1)
    while root**degree < value:
        root *= 2
    while True:
        better = ((degree - 1) * root + value // root ** (degree - 1)) // degree
        if better >= root:
            break
        root = better
    for candidate in (root - 1, root, root + 1):
        if candidate >= 0 and candidate**degree == value:
            return candidate
    return None


def _power(base: int, exponent: Fraction) -> Fraction | None:
    """``base ** exponent`` exactly, or None if the result is irrational."""
    numerator = base ** abs(exponent.numerator)
    root = _iroot(numerator, exponent.denominator)
    if root is None:
        return None
    return Fraction(root) if exponent >= 0 else Fraction(1, root)


def _format_factor(name: str, exponent: Fraction) -> str:
    if exponent == 1:
        return name
    if exponent.denominator == 1:
        return f"{name}**{exponent.numerator}"
    return f"{name}**({exponent.numerator}/{exponent.denominator})"


def format_monomial(symbols: tuple[str, ...], exponents: Exponents, coefficient: Coefficient = 1) -> str:
    """Text such as ``2*R*s**2`` for one term (``1`` for the empty product)."""
    factors = [_format_factor(n, e) for n, e in zip(symbols, exponents) if e != 0]
    if coefficient != 1 or not factors:
        factors.insert(0, str(coefficient) if isinstance(coefficient, int) else f"({coefficient})")
    return "*".join(factors)


class Monomial:
    """A product of symbol powers, an exponent vector over ``symbols``.

    Parameters
    ----------
    symbols
        The symbol names, in the order of ``exponents``.
    exponents
        One rational exponent per symbol (ints and Fractions are accepted).

    Examples
    --------
    >>> m = Monomial(("m", "R"), (Fraction(5, 2), 0))
    >>> (m * Monomial(("m", "R"), (0, 1))).to_sympy()
    R*m**(5/2)
    """

    __slots__ = ("symbols", "exponents", "_hash")

    def __init__(self, symbols: Iterable[str], exponents: Iterable[object]) -> None:
        names = _check_symbols(symbols)
        values = tuple(_fraction(e, "exponent") for e in exponents)
        if len(values) != len(names):
            raise SizeError(f"{len(values)} exponents given for {len(names)} symbols {names}")
        self.symbols: tuple[str, ...] = names
        self.exponents: Exponents = values
        self._hash = hash((names, values))

    @classmethod
    def from_sympy(cls, expr: object, symbols: Iterable[str] | None = None) -> "Monomial":
        """Convert a sympy product of symbol powers (no coefficient other than 1).

        Raises
        ------
        SizeError
            If ``expr`` is not a single monomial with coefficient 1.
        """
        poly = Poly.from_sympy(expr, symbols)
        terms = list(poly.terms.items())
        if len(terms) != 1 or terms[0][1] != 1:
            raise SizeError(f"{expr!r} is not a single monomial with coefficient 1 (such as R*s**2)")
        return cls(poly.symbols, terms[0][0])

    def __mul__(self, other: "Monomial") -> "Monomial":
        if not isinstance(other, Monomial):
            return NotImplemented
        if other.symbols != self.symbols:
            raise SizeError(f"cannot multiply monomials over {self.symbols} and {other.symbols}; align them with over()")
        return Monomial(self.symbols, (a + b for a, b in zip(self.exponents, other.exponents)))

    def over(self, symbols: Iterable[str]) -> "Monomial":
        """The same monomial over a symbol tuple that contains all of its symbols."""
        return Monomial(symbols, _reindex(self.symbols, self.exponents, tuple(symbols)))

    def to_sympy(self) -> sympy.Expr:
        """The monomial as a sympy expression in positive integer symbols."""
        return sympy.Mul(*(size_symbol(n) ** sympy.Rational(e.numerator, e.denominator) for n, e in zip(self.symbols, self.exponents)))

    def evaluate(self, values: Mapping[str, int]) -> Fraction:
        """The exact value at integer symbol values; see :meth:`Poly.evaluate`."""
        return Poly(self.symbols, {self.exponents: 1}).evaluate(values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Monomial):
            return NotImplemented
        return self.symbols == other.symbols and self.exponents == other.exponents

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Monomial({format_monomial(self.symbols, self.exponents)})"


def _reindex(symbols: tuple[str, ...], exponents: Exponents, target: tuple[str, ...]) -> Exponents:
    position = {name: i for i, name in enumerate(target)}
    result = [Fraction(0)] * len(target)
    for name, exponent in zip(symbols, exponents):
        if name in position:
            result[position[name]] = exponent
        elif exponent != 0:
            raise SizeError(f"symbol {name!r} is missing from the symbol tuple {target}; include every symbol used")
    return tuple(result)


class Poly:
    """A polynomial with positive exact coefficients over a fixed symbol tuple.

    Parameters
    ----------
    symbols
        The symbol names; every exponent vector has one entry per name.
    terms
        A mapping from exponent vectors to positive coefficients. Entries with
        equal vectors are not possible in a mapping; use ``+`` to add.

    Notes
    -----
    ``terms`` is a plain dict and must not be mutated. Two polynomials are
    equal when they have the same symbols and the same terms; the zero
    polynomial (no terms) is allowed and acts as the neutral element of ``+``.

    Examples
    --------
    >>> p = Poly(("R", "s"), {(1, 2): 1, (2, 1): 1})
    >>> p.to_sympy()
    R**2*s + R*s**2
    >>> p == Poly.from_sympy("R*s**2 + R**2*s")
    True
    """

    __slots__ = ("symbols", "terms", "_hash")

    def __init__(self, symbols: Iterable[str], terms: Mapping[Iterable[object], object] | None = None) -> None:
        names = _check_symbols(symbols)
        checked: dict[Exponents, Coefficient] = {}
        for exponents, coefficient in (terms or {}).items():
            vector = tuple(_fraction(e, "exponent") for e in exponents)
            if len(vector) != len(names):
                raise SizeError(f"exponent vector {vector} has {len(vector)} entries for {len(names)} symbols {names}")
            checked[vector] = _coefficient(coefficient)
        self.symbols: tuple[str, ...] = names
        self.terms: dict[Exponents, Coefficient] = checked
        self._hash: int | None = None

    @classmethod
    def _trusted(cls, symbols: tuple[str, ...], terms: dict[Exponents, Coefficient]) -> "Poly":
        poly = cls.__new__(cls)
        poly.symbols = symbols
        poly.terms = terms
        poly._hash = None
        return poly

    # Conversion -----------------------------------------------------------------

    @classmethod
    def from_sympy(cls, expr: object, symbols: Iterable[str] | None = None) -> "Poly":
        """Convert a sympy expression (or its text, or an int) into a polynomial.

        Parameters
        ----------
        expr
            A sum of terms ``c * x1**a1 * ... * xk**ak`` with positive rational
            ``c`` and rational exponents ``a_i >= 0``; it is expanded first.
        symbols
            The symbol tuple; default the sorted names of the free symbols.

        Raises
        ------
        SizeError
            For a negative or zero coefficient, a negative or non-rational
            exponent, a factor that is not a symbol power (``log(s)``,
            ``(s + 1)**(1/2)``), or a symbol outside ``symbols``.

        Examples
        --------
        >>> Poly.from_sympy("m**(5/2) + 3*m**2*R").terms
        {(Fraction(0, 1), Fraction(5, 2)): 1, (Fraction(1, 1), Fraction(2, 1)): 3}
        """
        shown = expr
        if isinstance(expr, bool):
            raise SizeError(f"invalid cost {expr!r}: costs are numbers or polynomials in size symbols")
        if isinstance(expr, str):
            import re

            # Names followed by "(" are functions (sqrt, Rational); the others are sizes.
            names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*\b(?!\s*\()", expr))
            try:
                check_expression_text(expr, SizeError, "cost", ("sqrt", "log", "exp", "Rational", "Max", "Min"), None)
            except SizeError as err:
                raise SizeError(f"invalid cost {shown!r}: not a polynomial expression ({err})") from err
            try:
                expr = sympy.sympify(expr, locals={n: size_symbol(n) for n in names})
            except (sympy.SympifyError, SyntaxError, TypeError, ValueError, RecursionError) as err:
                raise SizeError(f"invalid cost {shown!r}: not a polynomial expression") from err
        if isinstance(expr, int):
            expr = sympy.Integer(expr)
        if not isinstance(expr, sympy.Basic):
            raise SizeError(f"invalid cost {shown!r} of type {type(shown).__name__}: use an int, a string or a sympy expression")
        expr = sympy.expand(sympy.sympify(expr))
        used = sorted(sym.name for sym in expr.free_symbols)
        names = _check_symbols(used if symbols is None else symbols)
        missing = [n for n in used if n not in names]
        if missing:
            raise SizeError(f"cost {shown!r} uses symbol(s) {', '.join(missing)} outside the symbol tuple {names}")
        position = {n: i for i, n in enumerate(names)}

        total: dict[Exponents, Coefficient] = {}
        for term in sympy.Add.make_args(expr):
            if term == 0:
                continue
            coefficient, rest = term.as_coeff_Mul()
            if not coefficient.is_Rational or coefficient <= 0:
                raise SizeError(
                    f"invalid cost {shown!r}: the term {term} has coefficient {coefficient}; "
                    "cost polynomials have positive rational coefficients"
                )
            vector = [Fraction(0)] * len(names)
            for factor in sympy.Mul.make_args(rest):
                if factor == 1:
                    continue
                base, exponent = factor.as_base_exp()
                if not base.is_Symbol or not exponent.is_Rational or exponent < 0:
                    raise SizeError(
                        f"invalid cost {shown!r}: the factor {factor} is not a non-negative rational power of a "
                        "symbol; costs are sums of terms such as 3*R*s**2 or m**(5/2)"
                    )
                vector[position[base.name]] += Fraction(int(exponent.p), int(exponent.q))
            key = tuple(vector)
            value = Fraction(int(coefficient.p), int(coefficient.q))
            merged = total.get(key, 0) + value
            total[key] = int(merged) if merged.denominator == 1 else merged
        return cls._trusted(names, total)

    def to_sympy(self) -> sympy.Expr:
        """The polynomial as a sympy expression in positive integer symbols (exact)."""
        symbols = [size_symbol(n) for n in self.symbols]
        terms = []
        for exponents, coefficient in self.terms.items():
            factors = [sympy.Rational(coefficient.numerator, coefficient.denominator) if isinstance(coefficient, Fraction) else sympy.Integer(coefficient)]
            factors += [s ** sympy.Rational(e.numerator, e.denominator) for s, e in zip(symbols, exponents) if e != 0]
            terms.append(sympy.Mul(*factors))
        return sympy.Add(*terms)

    def to_latex(self) -> str:
        """LaTeX text of the polynomial, by sympy.

        Examples
        --------
        >>> Poly.from_sympy("m**(5/2)").to_latex()
        'm^{\\\\frac{5}{2}}'
        """
        return sympy.latex(self.to_sympy())

    def over(self, symbols: Iterable[str]) -> "Poly":
        """The same polynomial over a symbol tuple that contains all of its symbols.

        Raises
        ------
        SizeError
            If a symbol with a non-zero exponent is missing from ``symbols``.
        """
        target = _check_symbols(symbols)
        if target == self.symbols:
            return self
        return Poly._trusted(target, {_reindex(self.symbols, e, target): c for e, c in self.terms.items()})

    # Arithmetic -----------------------------------------------------------------

    def _aligned(self, other: "Poly") -> tuple["Poly", "Poly"]:
        if other.symbols == self.symbols:
            return self, other
        names = tuple(dict.fromkeys(self.symbols + other.symbols))
        return self.over(names), other.over(names)

    def __add__(self, other: object) -> "Poly":
        if isinstance(other, int) and not isinstance(other, bool):
            other = Poly._trusted(self.symbols, {(Fraction(0),) * len(self.symbols): other} if other else {})
        if not isinstance(other, Poly):
            return NotImplemented
        left, right = self._aligned(other)
        terms = dict(left.terms)
        for exponents, coefficient in right.terms.items():
            terms[exponents] = terms.get(exponents, 0) + coefficient
        return Poly._trusted(left.symbols, terms)

    __radd__ = __add__

    def __mul__(self, other: object) -> "Poly":
        if isinstance(other, Monomial):
            other = Poly._trusted(other.symbols, {other.exponents: 1})
        if isinstance(other, (int, Fraction)) and not isinstance(other, bool):
            if other <= 0:
                raise SizeError(f"cannot scale a cost polynomial by {other}; use a positive number")
            return Poly._trusted(self.symbols, {e: _coefficient(c * other) for e, c in self.terms.items()})
        if not isinstance(other, Poly):
            return NotImplemented
        left, right = self._aligned(other)
        terms: dict[Exponents, Coefficient] = {}
        for e1, c1 in left.terms.items():
            for e2, c2 in right.terms.items():
                key = tuple(a + b for a, b in zip(e1, e2))
                terms[key] = terms.get(key, 0) + c1 * c2
        return Poly._trusted(left.symbols, terms)

    __rmul__ = __mul__

    # Queries --------------------------------------------------------------------

    def monomials(self) -> list[Monomial]:
        """The monomials with a non-zero coefficient, in term order."""
        return [Monomial(self.symbols, e) for e in self.terms]

    def coefficient(self, monomial: Monomial) -> Coefficient:
        """The coefficient of ``monomial`` (0 when absent)."""
        return self.terms.get(monomial.over(self.symbols).exponents, 0)

    def __iter__(self) -> Iterator[tuple[Monomial, Coefficient]]:
        for exponents, coefficient in self.terms.items():
            yield Monomial(self.symbols, exponents), coefficient

    def __len__(self) -> int:
        return len(self.terms)

    def evaluate(self, values: Mapping[str, int]) -> int | Fraction:
        """The exact value at positive integer symbol values.

        Rational exponents are evaluated exactly: ``m**(5/2)`` at ``m = 4`` is
        32. The result is an ``int`` when integral, else a ``Fraction``.

        Raises
        ------
        SizeError
            If a symbol has no value or a non-positive value, or a term is
            irrational at the point (``m**(1/2)`` at ``m = 2``); use
            :meth:`log_evaluate` for such points.

        Examples
        --------
        >>> Poly.from_sympy("m**(5/2) + m").evaluate({"m": 4})
        36
        """
        bases = []
        for name in self.symbols:
            if name not in values:
                raise SizeError(f"no value for symbol {name!r}; give every symbol of {self.symbols} a value")
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SizeError(f"invalid value {value!r} for symbol {name}: use a positive integer")
            bases.append(value)
        result = Fraction(0)
        for exponents, coefficient in self.terms.items():
            term = Fraction(coefficient)
            for base, exponent in zip(bases, exponents):
                if exponent == 0:
                    continue
                factor = _power(base, exponent)
                if factor is None:
                    raise SizeError(
                        f"the term {format_monomial(self.symbols, exponents, coefficient)} is irrational at "
                        f"{dict(zip(self.symbols, bases))}; use log_evaluate for a floating-point value"
                    )
                term *= factor
            result += term
        return int(result) if result.denominator == 1 else result

    def log_evaluate(self, log_values: Mapping[str, float]) -> float:
        """The natural logarithm of the value, given the natural logs of the sizes.

        A floating-point figure for checks in log space (points ``λ**x`` with
        huge ``λ``); it is exact up to float rounding and never used to decide
        costs. Returns ``-inf`` for the zero polynomial.

        Examples
        --------
        >>> round(Poly.from_sympy("s**2").log_evaluate({"s": 1.5}), 12)
        3.0
        """
        logs = [float(log_values[name]) for name in self.symbols]
        values = [math.log(c) + sum(float(e) * x for e, x in zip(ex, logs)) for ex, c in self.terms.items()]
        if not values:
            return -math.inf
        top = max(values)
        return top + math.log(sum(math.exp(v - top) for v in values))

    # Identity -------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            other = Poly._trusted(self.symbols, {(Fraction(0),) * len(self.symbols): other} if other else {})
        if not isinstance(other, Poly):
            return NotImplemented
        left, right = self._aligned(other)
        return left.terms == right.terms

    def __hash__(self) -> int:
        if self._hash is None:
            # Hash over the used symbols only, so that equal polynomials over
            # different symbol tuples hash alike.
            used = [i for i, n in enumerate(self.symbols) if any(e[i] != 0 for e in self.terms)]
            items = frozenset(
                (tuple((self.symbols[i], e[i]) for i in used if e[i] != 0), c) for e, c in self.terms.items()
            )
            self._hash = hash(items)
        return self._hash

    def __repr__(self) -> str:
        text = " + ".join(format_monomial(self.symbols, e, c) for e, c in sorted(self.terms.items(), reverse=True))
        return f"Poly({text or '0'})"
