"""Index sizes: positive integers or monomials in positive integer symbols.

A size is a Python ``int`` (at least 1) or a sympy expression of the form
``c * x1**a1 * ... * xk**ak`` with a positive integer ``c``, symbols declared
``positive=True, integer=True`` and positive rational exponents. Symbols given
by name or with other assumptions are replaced by the positive integer symbol
of the same name, so ``sympy.Symbol("s")`` and ``"s"`` mean the same size.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
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
    "check_expression_text",
    "MAX_TEXT_BITS",
    "MAX_TEXT_EXPONENT",
    "MAX_TEXT_LENGTH",
]

#: An index size: a positive int or a monomial in positive integer symbols.
Size = Union[int, sympy.Expr]
#: The size of every index, by index name (opt_einsum's ``size_dict``).
SizeDict = dict[str, Size]

MAX_TEXT_BITS = 4096
"""The largest number, in bits (about 1230 decimal digits), that size or regime text may compute.

sympy evaluates ``9**9**9**9`` exactly, which would never finish, so the text
is checked before sympy parses it.
"""

MAX_TEXT_EXPONENT = 1024
"""The largest exponent, in absolute value, of a symbol in size or regime text (``s**1024``)."""

MAX_TEXT_LENGTH = 2000
"""The maximum length of size or regime text, in characters, because longer text can nest too deeply for the parser."""


def check_expression_text(
    text: str,
    error: type[Exception] = SizeError,
    what: str = "size",
    functions: Iterable[str] = (),
    max_length: int | None = MAX_TEXT_LENGTH,
) -> None:
    """Check arithmetic text before sympy evaluates it: its form and the size of its numbers.

    sympy's parser runs Python's ``eval``, so the text may contain only
    numbers, names, parentheses, the operators ``+ - * / ** ^`` and calls of
    the names in ``functions`` (such as ``sqrt``). Attribute access, strings
    and other calls are rejected. Constant subexpressions are evaluated
    exactly with :class:`fractions.Fraction` (floats approximately) and must
    stay below ``2**MAX_TEXT_BITS``, and a symbol's exponent may be at most
    :data:`MAX_TEXT_EXPONENT`, because sympy evaluates ``9**9**9**9`` exactly
    and would never finish.

    Raises
    ------
    error
        The given error type (default :class:`~tncost.errors.SizeError`), for
        text that is not arithmetic, longer than :data:`MAX_TEXT_LENGTH`,
        nested too deeply, or too large.
    """
    shown = f"{text[:40]!r}..." if len(text) > 40 else repr(text)
    if max_length is not None and len(text) > max_length:
        raise error(f"invalid {what} {shown}: the text has {len(text)} characters, more than {max_length}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as err:
        raise error(f"invalid {what} {shown}: cannot read it; it is not a number or a symbol expression") from err
    except (RecursionError, MemoryError) as err:
        raise error(f"invalid {what} {shown}: the expression is nested too deeply") from err
    allowed = frozenset(functions)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in allowed or node.keywords:
                raise error(
                    f"invalid {what} {shown}: calls are not allowed"
                    + (f" except {', '.join(sorted(allowed))}(...)" if allowed else "")
                )
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise error(f"invalid {what} {shown}: {node.value!r} is not a number")
        elif not isinstance(node, _ARITHMETIC_NODES):
            raise error(f"invalid {what} {shown}: use only numbers, symbol names, + - * / ** and parentheses")
    try:
        _bounded_value(tree.body, shown, error, what)
    except RecursionError as err:
        raise error(f"invalid {what} {shown}: the expression is nested too deeply") from err


_ARITHMETIC_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.USub, ast.UAdd,
)


def _short(value: Fraction) -> str:
    """Show a number briefly: its digit count instead of its digits when it is long."""
    text = str(value) if value.denominator == 1 and value.numerator.bit_length() < 200 else None
    return text or f"with about {int(math.log10(abs(value.numerator) or 1)) + 1} digits"


def _bounded_value(node: ast.AST, shown: str, error: type[Exception], what: str) -> Fraction | None:
    """Evaluate a constant subexpression exactly, or return None when it contains a name or a call."""

    def too_large(detail: str) -> Exception:
        return error(
            f"invalid {what} {shown}: {detail}; numbers in the text must stay below 2**{MAX_TEXT_BITS} "
            f"and symbol exponents at most {MAX_TEXT_EXPONENT}"
        )

    def checked(value: Fraction) -> Fraction:
        if value and max(abs(value.numerator), value.denominator).bit_length() > MAX_TEXT_BITS:
            raise too_large("a number is too large")
        return value

    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return None
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise too_large("a number is too large")
        return checked(Fraction(node.value))
    if isinstance(node, ast.UnaryOp):
        operand = _bounded_value(node.operand, shown, error, what)
        if operand is None:
            return None
        return -operand if isinstance(node.op, ast.USub) else operand
    if not isinstance(node, ast.BinOp):
        for child in ast.iter_child_nodes(node):
            _bounded_value(child, shown, error, what)
        return None

    left = _bounded_value(node.left, shown, error, what)
    right = _bounded_value(node.right, shown, error, what)
    if isinstance(node.op, (ast.Pow, ast.BitXor)):  # sympy reads ^ as a power
        if left is None and right is not None and abs(right) > MAX_TEXT_EXPONENT:
            raise too_large(f"the exponent {_short(right)} of a symbol is too large")
        if left is None or right is None:
            return None
        if left == 0 or abs(left) == 1:
            return Fraction(1) if right == 0 or left == 1 else None
        if abs(right) > 64 * MAX_TEXT_BITS:
            raise too_large(f"the exponent {_short(right)} is too large")
        bits = float(abs(right)) * abs(math.log2(abs(left.numerator)) - math.log2(left.denominator))
        if bits > MAX_TEXT_BITS:
            raise too_large("a power is too large")
        if right.denominator == 1:
            return checked(left ** int(right))
        return None
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return checked(left + right)
    if isinstance(node.op, ast.Sub):
        return checked(left - right)
    if isinstance(node.op, ast.Mult):
        return checked(left * right)
    if isinstance(node.op, ast.Div) and right != 0:
        return checked(left / right)
    return None


# One character class, so the check is linear in the text's length; attribute
# access and other non-arithmetic forms are rejected by check_expression_text.
_SIZE_TEXT = re.compile(r"[0-9A-Za-z_.+\-*/()\s]+")


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
        check_expression_text(text)
        try:
            value = sympy.sympify(text, locals={n: size_symbol(n) for n in _names_in(text)})
        except (sympy.SympifyError, SyntaxError, TypeError, ValueError, RecursionError) as err:
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

