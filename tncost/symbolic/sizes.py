"""Index sizes: positive integers or monomials in positive integer symbols.

A size is a Python ``int`` (at least 1) or a sympy expression of the form
``c * x1**a1 * ... * xk**ak`` with a positive integer ``c``, symbols declared
``positive=True, integer=True`` and positive rational exponents. Symbols given
by name or with other assumptions are replaced by the positive integer symbol
of the same name, so ``sympy.Symbol("s")`` and ``"s"`` mean the same size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Union

import sympy

from ..errors import SizeError

__all__ = [
    "Size",
    "SizeDict",
    "size_symbol",
    "parse_size",
    "is_numeric",
    "substitute",
    "product",
    "parse_size_assignments",
]

#: An index size: a positive int or a monomial in positive integer symbols.
Size = Union[int, sympy.Expr]
#: The size of every index, by index name (opt_einsum's ``size_dict``).
SizeDict = dict[str, Size]

_SIZE_TEXT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+|[A-Za-z_][A-Za-z_0-9]*|[-+*/()\s])+")


def size_symbol(name: str) -> sympy.Symbol:
    """Return the positive integer sympy symbol used for the size ``name``.

    Examples
    --------
    >>> size_symbol("s").is_positive, size_symbol("s").is_integer
    (True, True)
    """
    if not name.isidentifier():
        raise SizeError(f"invalid symbol name {name!r}: use a Python identifier such as 's' or 'R1'")
    return sympy.Symbol(name, positive=True, integer=True)


def _normalize_symbols(expr: sympy.Expr) -> sympy.Expr:
    replacements = {sym: size_symbol(sym.name) for sym in expr.free_symbols}
    return expr.xreplace(replacements)


def _check_monomial(expr: sympy.Expr, shown: object) -> None:
    coefficient, factors = expr.as_coeff_mul()
    if not (coefficient.is_Integer and coefficient > 0):
        raise SizeError(
            f"invalid size {shown!r}: the constant factor {coefficient} is not a positive "
            "integer; sizes are products of positive integers and symbol powers such as 4*s**2"
        )
    for factor in factors:
        base, exponent = factor.as_base_exp()
        if not base.is_Symbol or not exponent.is_Rational or exponent <= 0:
            raise SizeError(
                f"invalid size {shown!r}: the factor {factor} is not a positive power of a "
                "symbol; sizes are monomials such as s, R**2 or 2*m*s (sums are not sizes)"
            )


def parse_size(value: object, *, declared: Iterable[str] | None = None) -> Size:
    """Validate one size and return it as an ``int`` or a sympy monomial.

    Parameters
    ----------
    value
        An ``int``, a sympy expression, or a string such as ``"64"``, ``"s"``
        or ``"R**2"``.
    declared
        If given, the only symbol names the size may use.

    Raises
    ------
    SizeError
        For booleans, floats, zero, negative or non-integer numbers, sums,
        and symbols outside ``declared``.

    Examples
    --------
    >>> parse_size("R**2")
    R**2
    >>> parse_size(64)
    64
    """
    shown = value
    if isinstance(value, bool):
        raise SizeError(f"invalid size {value!r}: sizes are positive integers or symbols, not booleans")
    if isinstance(value, int):
        if value < 1:
            raise SizeError(f"invalid size {value}: sizes must be positive integers (at least 1)")
        return value
    if isinstance(value, float):
        if value.is_integer() and value >= 1:
            return int(value)
        raise SizeError(f"invalid size {value!r}: sizes must be positive integers, not fractions")
    if hasattr(value, "__index__") and not isinstance(value, sympy.Basic):
        return parse_size(int(value), declared=declared)  # numpy integers
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise SizeError("invalid size '': give a positive integer or a symbol such as s")
        # sympify evaluates its text: allow only numbers, names and arithmetic,
        # so that attribute access such as "s.func" never reaches it.
        if not _SIZE_TEXT.fullmatch(text):
            raise SizeError(
                f"invalid size {shown!r}: use only numbers, symbol names, *, /, ** and parentheses, "
                "for example 4*s**2"
            )
        try:
            value = sympy.sympify(text, locals={n: size_symbol(n) for n in _names_in(text)})
        except (sympy.SympifyError, SyntaxError, TypeError) as err:
            raise SizeError(f"invalid size {shown!r}: not a number or a symbol expression") from err
    if not isinstance(value, sympy.Basic):
        raise SizeError(f"invalid size {shown!r} of type {type(shown).__name__}: use an int or a sympy expression")
    expr = _normalize_symbols(sympy.sympify(value))
    if expr.is_Number:
        if not expr.is_Integer or expr < 1:
            raise SizeError(f"invalid size {shown!r}: sizes must be positive integers (at least 1)")
        return int(expr)
    _check_monomial(expr, shown)
    if declared is not None:
        unknown = sorted(sym.name for sym in expr.free_symbols if sym.name not in set(declared))
        if unknown:
            raise SizeError(
                f"size {shown!r} uses undeclared symbol(s) {', '.join(unknown)}; "
                f"declared symbols: {', '.join(sorted(declared)) or 'none'}"
            )
    return expr


def _names_in(text: str) -> list[str]:
    return [n for n in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text) if n.isidentifier()]


def is_numeric(size: Size) -> bool:
    """Return True when ``size`` is a Python int (no symbols left)."""
    return isinstance(size, int)


def substitute(size: Size, values: Mapping[str, int]) -> Size:
    """Substitute symbol values (by name) into ``size``; an int if none remain.

    Raises
    ------
    SizeError
        If the substitution gives a non-integer, for example ``m**(1/2)`` at
        ``m = 2``.
    """
    if isinstance(size, int):
        return size
    mapping = {sym: _symbol_value(sym.name, values[sym.name]) for sym in size.free_symbols if sym.name in values}
    result = size.xreplace({k: sympy.Integer(v) for k, v in mapping.items()})
    if not result.free_symbols:
        if not result.is_Integer:
            raise SizeError(f"size {size} is not an integer at {dict(sorted((k.name, v) for k, v in mapping.items()))}")
        return int(result)
    return result


def _symbol_value(name: str, value: object) -> int:
    """Convert a symbol's value to an int, and reject booleans, fractions and values below 1."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise SizeError(f"invalid value {value!r} for symbol {name}: symbol values are positive integers")
    number = int(value)  # type: ignore[call-overload]
    if number < 1:
        raise SizeError(f"invalid value {number} for symbol {name}: symbol values are positive integers (at least 1)")
    return number


def product(sizes: Iterable[Size]) -> Size:
    """Multiply sizes exactly: an int for numbers, a sympy expression otherwise."""
    numeric = 1
    symbolic: list[sympy.Expr] = []
    for size in sizes:
        if isinstance(size, int):
            numeric *= size
        else:
            symbolic.append(size)
    if not symbolic:
        return numeric
    return sympy.Mul(numeric, *symbolic)


def parse_size_assignments(text: str) -> dict[str, int]:
    """Parse ``"s=1000,R=20"`` into ``{"s": 1000, "R": 20}``.

    Raises
    ------
    SizeError
        For entries that are not ``name=positive integer``.

    Examples
    --------
    >>> parse_size_assignments("s=1000, R=20")
    {'s': 1000, 'R': 20}
    """
    values: dict[str, int] = {}
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, number = entry.partition("=")
        name, number = name.strip(), number.strip()
        if not sep or not name.isidentifier():
            raise SizeError(f"invalid size assignment {entry!r}: write name=value, for example s=1000")
        try:
            parsed = int(number)
        except ValueError as err:
            raise SizeError(f"invalid value {number!r} for {name}: sizes must be positive integers") from err
        if parsed < 1:
            raise SizeError(f"invalid value {parsed} for {name}: sizes must be positive integers (at least 1)")
        if name in values:
            raise SizeError(f"size {name} is given twice in {text!r}")
        values[name] = parsed
    return values

