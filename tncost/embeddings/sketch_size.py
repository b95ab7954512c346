"""Sketch sizes: the accuracy rule that turns (ε, δ) and a factor count k into m.

A Gaussian matrix with r rows has the (ε, δ)-JL-moment property when
r >= C·ln(1/δ)/ε², and a product of k independent such factors keeps it when
each factor has it at ε/√k. An embedding that satisfies the sequence
condition with k tensors, all with row size at least

    m = ceil(C · k · ln(1/δ) / ε²)                  (target "jl")

is therefore (ε, δ)-accurate for every fixed input. For an oblivious
subspace embedding of a d-dimensional column space the rule is

    m = ceil(C · k · (d + ln(1/δ)) / ε²)            (target "subspace").

C is a heuristic constant (default 1.0): the theory fixes the form of the
rule, not the constant, and the empirical distortion measured at run time
shows which C a given kind of data needs. Logarithms are natural.

In a symbolic analysis the rule reads m = k·μ with the accuracy symbol
μ = C·ln(1/δ)/ε² (:func:`symbolic_sketch_size`), so families compare at
equal accuracy through their counts k.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from numbers import Real

import mpmath
import sympy

from ..errors import SketchSizeError
from ..symbolic.sizes import size_symbol
from .families import FAMILIES

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_DELTA",
    "DEFAULT_C",
    "TARGETS",
    "ACCURACY_SYMBOL",
    "sketch_size",
    "khatri_rao_rows",
    "family_count",
    "symbolic_sketch_size",
    "symbolic_khatri_rao_rows",
]

DEFAULT_EPS = 0.5
"""Default relative distortion ε."""
DEFAULT_DELTA = 0.1
"""Default failure probability δ."""
DEFAULT_C = 1.0
"""Default heuristic constant C of the accuracy rule."""
TARGETS = ("jl", "subspace")
"""The accuracy targets: one fixed vector (``"jl"``) or a d-dimensional subspace."""
ACCURACY_SYMBOL = size_symbol("mu")
"""The accuracy symbol μ = C·ln(1/δ)/ε², a positive integer size symbol."""


def _exact(value: object, name: str) -> Fraction:
    """Read a real number exactly; floats by their shortest decimal form (0.1 is 1/10)."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal, str)):
        raise SketchSizeError(f"invalid {name}={value!r}: give a real number")
    if isinstance(value, Real) and not isinstance(value, (int, Fraction)):
        number = float(value)
        if not math.isfinite(number):
            raise SketchSizeError(f"invalid {name}={value!r}: give a finite number")
        return Fraction(repr(number))
    try:
        return Fraction(value)  # type: ignore[arg-type]
    except (ValueError, ArithmeticError) as err:
        raise SketchSizeError(f"invalid {name}={value!r}: give a real number") from err


def _open_unit(value: object, name: str) -> Fraction:
    number = _exact(value, name)
    if not 0 < number < 1:
        raise SketchSizeError(f"invalid {name}={value!r}: {name} must lie strictly between 0 and 1")
    return number


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise SketchSizeError(f"invalid {name}={value!r}: {name} must be an integer of at least 1")
    number = int(value)  # type: ignore[arg-type]
    if number < 1:
        raise SketchSizeError(f"invalid {name}={value!r}: {name} must be an integer of at least 1")
    return number


def _ceil_scaled_log(scale: Fraction, delta: Fraction, shift: int) -> int:
    """Return ceil(scale · (ln(1/δ) + shift)) exactly.

    For rational δ in (0, 1), ln(1/δ) is irrational, so the value is never an
    integer and enough working precision separates it from its neighbours.
    """
    precision = 64
    while True:
        with mpmath.workprec(precision):
            log = mpmath.log(mpmath.mpf(delta.denominator) / delta.numerator)
            value = mpmath.mpf(scale.numerator) / scale.denominator * (log + shift)
            slack = abs(value) * mpmath.mpf(2) ** (16 - precision) + mpmath.mpf(2) ** (-precision)
            low, high = mpmath.floor(value - slack), mpmath.floor(value + slack)
            if low == high:
                return int(low) + 1
        precision *= 2


def sketch_size(
    k: int,
    eps: float = DEFAULT_EPS,
    delta: float = DEFAULT_DELTA,
    C: float = DEFAULT_C,
    target: str = "jl",
    d: int | None = None,
) -> int:
    """The row size m that makes a k-factor sequence embedding (ε, δ)-accurate.

    Parameters
    ----------
    k
        The number of factors (tensors of the sequence), at least 1.
    eps
        Relative distortion ε in (0, 1).
    delta
        Failure probability δ in (0, 1).
    C
        The heuristic constant of the rule, positive.
    target
        ``"jl"`` for one fixed vector, ``"subspace"`` for a d-dimensional
        column space.
    d
        The subspace dimension (``target="subspace"`` only), at least 1.

    Returns
    -------
    int
        ``ceil(C·k·ln(1/δ)/ε²)`` or ``ceil(C·k·(d + ln(1/δ))/ε²)``, exact.

    Raises
    ------
    SketchSizeError
        For values out of range, an unknown target, or ``d`` missing for a
        subspace target (or given for ``"jl"``).

    Notes
    -----
    Numbers are read exactly (floats by their shortest decimal form, so 0.1
    means 1/10) and the ceiling is computed at a working precision that grows
    until it is certain.

    Examples
    --------
    >>> sketch_size(1)
    10
    >>> sketch_size(3, eps=0.1, delta=0.01)
    1382
    >>> sketch_size(2, target="subspace", d=5)
    59
    """
    k = _positive_int(k, "k")
    eps_value = _open_unit(eps, "eps")
    delta_value = _open_unit(delta, "delta")
    c_value = _exact(C, "C")
    if c_value <= 0:
        raise SketchSizeError(f"invalid C={C!r}: the constant C must be positive")
    if target not in TARGETS:
        raise SketchSizeError(f"unknown target {target!r}; valid targets are {', '.join(TARGETS)}")
    shift = 0
    if target == "subspace":
        if d is None:
            raise SketchSizeError("target 'subspace' needs the subspace dimension d (at least 1)")
        shift = _positive_int(d, "d")
    elif d is not None:
        raise SketchSizeError(f"d={d!r} is only used with target 'subspace'; drop it or set target='subspace'")

    scale = c_value * k / (eps_value * eps_value)
    return _ceil_scaled_log(scale, delta_value, shift)


def khatri_rao_rows(N: int, eps: float = DEFAULT_EPS, delta: float = DEFAULT_DELTA) -> int:
    """An estimate of the rows a Khatri–Rao embedding of N factors needs: ceil((3^N − 1)/(ε²δ)).

    Parameters
    ----------
    N
        The number of sketched indices (factors), at least 1.
    eps, delta
        The accuracy target, each in (0, 1).

    Returns
    -------
    int
        The estimate, exact as a ceiling of a rational number.

    Raises
    ------
    SketchSizeError
        For values out of range.

    Notes
    -----
    This is an estimate, not a proven sufficient size. For a rank-one input
    x = x_1 ⊗ ... ⊗ x_N each row of the unscaled embedding gives a product
    of N independent standard normals, whose square has mean 1 and second
    moment 3^N, so Var(‖Sx‖²)/‖x‖⁴ = (3^N − 1)/m. Chebyshev's inequality
    then asks for m >= (3^N − 1)/(ε²δ). Other inputs have other variances,
    and Chebyshev is loose in δ, so measured distortions decide in practice.
    The rule keeps the exponential growth in N that sets Khatri–Rao apart.

    Examples
    --------
    >>> khatri_rao_rows(1), khatri_rao_rows(2), khatri_rao_rows(3, eps=0.1, delta=0.1)
    (80, 320, 26000)
    """
    N = _positive_int(N, "N")
    eps_value = _open_unit(eps, "eps")
    delta_value = _open_unit(delta, "delta")
    return math.ceil(Fraction(3**N - 1) / (eps_value * eps_value * delta_value))


def family_count(family: str, N: int) -> int | None:
    """The factor count k of the accuracy rule for ``family`` with N sketched indices.

    ``dense`` 1, ``tt`` N, ``tree`` 2N − 1, ``khatri-rao`` None (no sequence
    form; see :func:`khatri_rao_rows`).

    Raises
    ------
    SketchSizeError
        For an unknown family, N < 1, or a family whose k depends on more
        than N (it counts its own factors).

    Examples
    --------
    >>> [family_count(f, 4) for f in ("dense", "tt", "tree", "khatri-rao")]
    [1, 4, 7, None]
    """
    if family not in FAMILIES:
        raise SketchSizeError(f"unknown embedding family {family!r}; valid families are {', '.join(FAMILIES)}")
    N = _positive_int(N, "N")
    count = FAMILIES[family].count
    if count is None:
        raise SketchSizeError(
            f"the factor count of family {family!r} depends on the data tree, not only on N; "
            "count the tensors of its embedding instead"
        )
    return count(N)


def symbolic_sketch_size(k: int | sympy.Expr, symbol: sympy.Symbol = ACCURACY_SYMBOL) -> sympy.Expr:
    """The accuracy rule in symbols: m = k·μ with μ = C·ln(1/δ)/ε².

    Notes
    -----
    The ceiling is dropped, and μ is treated as a positive integer size so
    that k·μ can size indices. For the subspace target read μ as
    C·(d + ln(1/δ))/ε².

    Raises
    ------
    SketchSizeError
        For a numeric k below 1.

    Examples
    --------
    >>> symbolic_sketch_size(3)
    3*mu
    """
    if isinstance(k, sympy.Basic) and not k.is_Number:
        return k * symbol
    return _positive_int(k, "k") * symbol


def symbolic_khatri_rao_rows(N: int) -> sympy.Expr:
    """The Khatri–Rao estimate in symbols: (3^N − 1)/(ε²δ), with symbols ``eps`` and ``delta``.

    It is not of the form k·μ, so it gets its own expression.

    Raises
    ------
    SketchSizeError
        For N < 1.

    Examples
    --------
    >>> symbolic_khatri_rao_rows(2)
    8/(delta*eps**2)
    """
    N = _positive_int(N, "N")
    eps, delta = sympy.symbols("eps delta", positive=True)
    return sympy.Integer(3**N - 1) / (eps**2 * delta)
