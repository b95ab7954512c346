"""Regimes: linear constraints on log-sizes, their recession cone, and asymptotic orders.

A regime such as ``"m <= R <= s"`` or ``"R**2 <= m, s >= 1000"`` constrains
the log-sizes ``x_i = log s_i >= 0``. Each comparison ``c1*M1 <= c2*M2`` of two
monomials becomes the linear constraint ``(e2 - e1) . x >= log(c1 / c2)``.
Asymptotic questions are decided on the **recession cone** P∞, the same
constraints with every constant dropped (``a . x >= 0``). With ``ℓ_p(x)`` the
log of monomial ``p``:

* ``dominates(p, q)``: ``ℓ_p >= ℓ_q`` on all of P∞;
* ``leading(P)``: the monomials of ``P`` that are strictly largest on an open
  part of P∞, equivalent monomials merged;
* ``at_most(P1, P2)``: for every monomial ``p`` of ``P1``, ``ℓ_p <= max_q ℓ_q``
  over the monomials ``q`` of ``P2``, everywhere on P∞ (a linear program);
* ``compare(P1, P2)``: ``"less"``, ``"greater"``, ``"equal"`` or
  ``"incomparable"``, with P∞ split into regions when incomparable;
* ``precedes(P1, P2)``: the finer order that also counts constants and lower
  terms: ``P1(λ**x) <= P2(λ**x)`` for all large λ along almost every
  direction ``x`` of P∞. The symbolic order search prunes with it.

Every size is at least 1, so P∞ lies in the orthant ``x >= 0`` and is a
pointed cone, spanned by finitely many extreme rays. tncost computes those
rays exactly (rational vertex enumeration of the cone cut by ``Σx = 1``) and
describes each monomial by its **profile**, its log-values on the rays.
Dominance and equivalence are then exact comparisons of profiles; the
questions that involve a maximum over several monomials are linear programs
over the convex weights of the rays, solved by scipy's HiGHS with the
tolerance :data:`TOLERANCE`.

Examples
--------
>>> regime = Regime.parse("R <= s")
>>> regime.dominates("s**3", "R*s**2")
True
>>> regime.leading("R*s**2 + R**2*s")
Poly(R*s**2)
>>> regime.compare("R**2 + s**2", "R**2 + R*s + s**2").outcome
'equal'
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, Union

import numpy as np
import sympy
from scipy.optimize import linprog

from ..errors import RegimeError, SizeError
from .poly import Exponents, Monomial, Poly, format_monomial
from .sizes import check_expression_text, size_symbol

__all__ = [
    "TOLERANCE",
    "Constraint",
    "Regime",
    "Region",
    "Comparison",
    "Ranking",
    "Outcome",
    "as_regime",
    "leading_cost",
    "rank_costs",
]

#: Tolerance on linear-program values: values at most this count as zero.
#: Profiles are exact rationals with small denominators, so a positive optimum
#: is far larger (an estimate: about 1/1000 or more in the tested cases).
TOLERANCE = 1e-9

#: The result of comparing two costs by leading order.
Outcome = Literal["less", "greater", "equal", "incomparable"]

#: Anything that converts to a cost polynomial.
PolyLike = Union[Poly, Monomial, sympy.Expr, str, int]
#: A monomial's log-values on the extreme rays of the recession cone.
Profile = tuple[Fraction, ...]

_OPERATORS = ("<=", ">=", "==", "<", ">")


# Constraints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraint:
    """One linear constraint ``coefficients . x >= log(bound)`` on log-sizes.

    With ``equality`` the relation is ``=``. ``bound`` is a positive rational:
    1 for a homogeneous constraint (every constraint of the recession cone and
    of a region), ``1000`` for ``s >= 1000``.

    Attributes
    ----------
    symbols
        The symbol names, in the order of ``coefficients``.
    coefficients
        One rational coefficient per symbol.
    bound
        The constant ratio; the constraint's cone version drops it.
    equality
        True for ``==`` constraints.
    text
        Readable form, such as ``"m <= R"``.
    """

    symbols: tuple[str, ...]
    coefficients: tuple[Fraction, ...]
    bound: Fraction = Fraction(1)
    equality: bool = False
    text: str = ""

    def __str__(self) -> str:
        return self.text or _inequality_text(self.symbols, self.coefficients, self.bound, self.equality)

    @property
    def homogeneous(self) -> "Constraint":
        """The constraint with its constant dropped (its recession-cone version)."""
        text = _inequality_text(self.symbols, self.coefficients, Fraction(1), self.equality)
        return Constraint(self.symbols, self.coefficients, Fraction(1), self.equality, text)

    def holds(self, x: Sequence[float], slack: float = 1e-12) -> bool:
        """Check whether the log-size vector ``x`` satisfies the constraint (floats, with ``slack``)."""
        value = sum(float(a) * float(v) for a, v in zip(self.coefficients, x)) - _log(self.bound)
        return abs(value) <= slack if self.equality else value >= -slack


def _integral(coefficients: Sequence[Fraction]) -> tuple[int, ...]:
    """Return the primitive integer vector with the same direction."""
    scale = math.lcm(*(c.denominator for c in coefficients)) if coefficients else 1
    values = [int(c * scale) for c in coefficients]
    divisor = math.gcd(*values) if any(values) else 1
    return tuple(v // divisor for v in values)


def _inequality_text(symbols: tuple[str, ...], coefficients: Sequence[Fraction], bound: Fraction, equality: bool) -> str:
    """``a . x >= log(b)`` written as a comparison of monomials with integer exponents."""
    values = _integral(coefficients) if bound == 1 else tuple(coefficients)
    larger = tuple(Fraction(max(v, 0)) for v in values)
    smaller = tuple(Fraction(max(-v, 0)) for v in values)
    left = format_monomial(symbols, larger)
    right = format_monomial(symbols, smaller, bound.numerator if bound.denominator == 1 else bound)
    return f"{left} {'==' if equality else '>='} {right}"


# Parsing --------------------------------------------------------------------------------


def _side(text: str, symbols: tuple[str, ...] | None, whole: str) -> tuple[Fraction, dict[str, Fraction]]:
    """Parse one side of a comparison: a positive constant times symbol powers."""
    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*\b(?!\s*\()", text))
    check_expression_text(text, RegimeError, "regime side", functions=("sqrt", "log", "exp"))
    try:
        expr = sympy.sympify(text, locals={n: size_symbol(n) for n in names})
    except (sympy.SympifyError, SyntaxError, TypeError, ValueError, RecursionError, OverflowError) as err:
        raise RegimeError(f"cannot read {text.strip()!r} in the regime {whole!r}: use products of symbol powers and numbers") from err
    if not isinstance(expr, sympy.Expr):
        raise RegimeError(f"cannot read {text.strip()!r} in the regime {whole!r}: use products of symbol powers and numbers")
    expr = sympy.powsimp(sympy.expand(expr), force=True)
    coefficient, rest = expr.as_coeff_Mul()
    if isinstance(coefficient, sympy.Float):
        coefficient = sympy.Rational(str(coefficient))
    if not coefficient.is_Rational or coefficient <= 0:
        raise RegimeError(
            f"the side {text.strip()!r} of the regime {whole!r} has constant {coefficient}; "
            "sides are positive numbers times symbol powers, such as 2*R**2"
        )
    powers: dict[str, Fraction] = {}
    for factor in sympy.Mul.make_args(rest):
        if factor == 1:
            continue
        base, exponent = factor.as_base_exp()
        if not base.is_Symbol or not exponent.is_Rational:
            raise RegimeError(
                f"the side {text.strip()!r} of the regime {whole!r} contains {factor}, which is not a rational "
                "power of a symbol; sums such as R + s are not allowed on a side"
            )
        if symbols is not None and base.name not in symbols:
            raise RegimeError(
                f"the regime {whole!r} uses the symbol {base.name!r}, which is not among the symbols "
                f"{', '.join(symbols) or 'none'}"
            )
        powers[base.name] = powers.get(base.name, Fraction(0)) + Fraction(int(exponent.p), int(exponent.q))
    return Fraction(int(coefficient.p), int(coefficient.q)), powers


def _parse_constraints(text: str, symbols: tuple[str, ...] | None) -> tuple[tuple[str, ...], list[tuple]]:
    """Split ``text`` into comparisons; return the symbols and raw constraint data."""
    raw: list[tuple] = []
    used: list[str] = []
    parts = [p for p in re.split(r",|;|\band\b", text)]
    for part in parts:
        chain = part.strip()
        if not chain:
            continue
        pieces = re.split(r"(<=|>=|==|<|>)", chain)
        operands, operators = pieces[0::2], pieces[1::2]
        if not operators:
            raise RegimeError(
                f"the regime part {chain!r} has no comparison; write chains such as 'm <= R <= s' or 's >= 1000'"
            )
        if any(not o.strip() for o in operands):
            raise RegimeError(f"the regime part {chain!r} has a comparison with a missing side")
        sides = [_side(o, symbols, text) for o in operands]
        for name in (n for _, powers in sides for n in powers):
            if name not in used:
                used.append(name)
        for position, operator in enumerate(operators):
            left, right = sides[position], sides[position + 1]
            shown = f"{operands[position].strip()} {operator} {operands[position + 1].strip()}"
            if operator in ("<=", "<"):
                raw.append((left, right, False, shown))
            elif operator in (">=", ">"):
                raw.append((right, left, False, shown))
            else:
                raw.append((left, right, True, shown))
    names = tuple(symbols) if symbols is not None else tuple(sorted(used))
    return names, raw


# Exact linear algebra --------------------------------------------------------------------


def _solve(rows: list[list[Fraction]], rhs: list[Fraction], size: int) -> list[Fraction] | None:
    """The unique solution of ``rows . x = rhs`` in exact arithmetic, or None."""
    matrix = [list(r) + [b] for r, b in zip(rows, rhs)]
    pivot_row = 0
    pivots = []
    for column in range(size):
        found = next((r for r in range(pivot_row, len(matrix)) if matrix[r][column] != 0), None)
        if found is None:
            return None
        matrix[pivot_row], matrix[found] = matrix[found], matrix[pivot_row]
        lead = matrix[pivot_row][column]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][column] != 0:
                factor = matrix[r][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[pivot_row])]
        pivots.append(column)
        pivot_row += 1
    if any(row[-1] != 0 for row in matrix[pivot_row:]):
        return None
    return [matrix[i][-1] for i in range(size)]


def _rank(rows: list[list[Fraction]], size: int) -> int:
    """The rank of a rational matrix, by exact elimination."""
    matrix = [list(r) for r in rows]
    rank = 0
    for column in range(size):
        found = next((r for r in range(rank, len(matrix)) if matrix[r][column] != 0), None)
        if found is None:
            continue
        matrix[rank], matrix[found] = matrix[found], matrix[rank]
        for r in range(rank + 1, len(matrix)):
            factor = matrix[r][column] / matrix[rank][column]
            matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank])]
        rank += 1
    return rank


def _extreme_rays(size: int, inequalities: list[tuple[Fraction, ...]], equalities: list[tuple[Fraction, ...]]) -> tuple[tuple[int, ...], ...]:
    """Primitive integer generators of the extreme rays of a pointed cone in the orthant.

    The cone is ``{x >= 0, a . x >= 0 (inequalities), e . x = 0 (equalities)}``;
    its rays are the vertices of the polytope cut out by ``Σx = 1``, each the
    unique solution of ``size`` independent active constraints.
    """
    rows = [tuple(Fraction(int(i == j)) for j in range(size)) for i in range(size)] + list(inequalities)
    fixed = list(equalities) + [tuple(Fraction(1) for _ in range(size))]
    fixed_rhs = [Fraction(0)] * len(equalities) + [Fraction(1)]
    rays: dict[tuple[int, ...], None] = {}
    needed = size - _rank([list(r) for r in fixed], size)
    for chosen in itertools.combinations(range(len(rows)), needed):
        system = fixed + [rows[i] for i in chosen]
        rhs = fixed_rhs + [Fraction(0)] * needed
        solution = _solve([list(r) for r in system], rhs, size)
        if solution is None:
            continue
        if any(sum(a * v for a, v in zip(row, solution)) < 0 for row in rows):
            continue
        rays[_integral(solution)] = None
    return tuple(sorted(rays))


# Linear programs -----------------------------------------------------------------------


@functools.lru_cache(maxsize=200_000)
def _game(top: Profile, others: tuple[Profile, ...], rows: tuple[Profile, ...]) -> float:
    """max over μ >= 0, Σμ = 1, w.μ >= 0 (w in rows) of min over q in others of (top - q).μ.

    ``inf`` when ``others`` is empty; ``-inf`` when the constraints admit no μ.
    """
    if not others:
        return math.inf
    count = len(top)
    if count == 0:
        return 0.0
    a_ub = []
    for q in others:
        a_ub.append([-float(a - b) for a, b in zip(top, q)] + [1.0])
    for w in rows:
        a_ub.append([-float(v) for v in w] + [0.0])
    result = linprog(
        c=[0.0] * count + [-1.0],
        A_ub=np.array(a_ub),
        b_ub=np.zeros(len(a_ub)),
        A_eq=np.array([[1.0] * count + [0.0]]),
        b_eq=np.array([1.0]),
        bounds=[(0, None)] * count + [(None, None)],
        method="highs",
    )
    if result.status == 2:
        return -math.inf
    if result.status != 0:  # pragma: no cover - HiGHS reports trouble on a bounded, tiny LP
        raise RuntimeError(f"linear program failed: {result.message}")
    return -float(result.fun)


@functools.lru_cache(maxsize=50_000)
def _interior(rows: tuple[Profile, ...], count: int) -> tuple[float, tuple[float, ...]]:
    """Largest s with w.μ >= s (w in rows), μ_j >= s, Σμ = 1; and the maximizing μ."""
    if count == 0:
        return 0.0, ()
    a_ub = [[-float(v) for v in w] + [1.0] for w in rows]
    a_ub += [[-1.0 if j == i else 0.0 for j in range(count)] + [1.0] for i in range(count)]
    result = linprog(
        c=[0.0] * count + [-1.0],
        A_ub=np.array(a_ub),
        b_ub=np.zeros(len(a_ub)),
        A_eq=np.array([[1.0] * count + [0.0]]),
        b_eq=np.array([1.0]),
        bounds=[(0, None)] * count + [(None, 1.0)],
        method="highs",
    )
    if result.status != 0:
        return -math.inf, ()
    return -float(result.fun), tuple(float(v) for v in result.x[:count])


def _log(value: Fraction) -> float:
    """Natural logarithm of a positive fraction whose numerator or denominator may not fit in a float."""
    return math.log(value.numerator) - math.log(value.denominator)


def _feasible(constraints: Sequence[Constraint], size: int) -> bool:
    """Whether some x >= 0 satisfies every constraint (constants included)."""
    if not constraints:
        return True
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for c in constraints:
        row = [float(v) for v in c.coefficients]
        if c.equality:
            a_eq.append(row)
            b_eq.append(_log(c.bound))
        else:
            a_ub.append([-v for v in row])
            b_ub.append(-_log(c.bound))
    result = linprog(
        c=[0.0] * max(size, 1),
        A_ub=np.array(a_ub).reshape(len(a_ub), max(size, 1)) if a_ub and size else None,
        b_ub=np.array(b_ub) if a_ub and size else None,
        A_eq=np.array(a_eq).reshape(len(a_eq), max(size, 1)) if a_eq and size else None,
        b_eq=np.array(b_eq) if a_eq and size else None,
        bounds=[(0, None)] * max(size, 1),
        method="highs",
    )
    if size == 0:
        return all(
            (abs(_log(c.bound)) <= TOLERANCE) if c.equality else (_log(c.bound) <= TOLERANCE) for c in constraints
        )
    return result.status == 0


# Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A part of the recession cone where the same candidates win.

    Attributes
    ----------
    symbols
        The symbol names.
    constraints
        Homogeneous constraints ``a . x >= 0`` that, together with the
        regime's cone, define the region (redundant ones removed).
    winners
        Positions (in the compared list) of the candidates that are best
        everywhere inside the region; several when they tie there.
    point
        A log-size direction deep inside the region, scaled to ``Σx = 1``
        (floats from the linear program that maximizes the smallest slack).

    Examples
    --------
    >>> regime = Regime.parse("")
    >>> [r.inequalities for r in regime.compare("R", "s").regions]
    [('R >= s',), ('s >= R',)]
    """

    symbols: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    winners: tuple[int, ...]
    point: tuple[float, ...]

    @property
    def inequalities(self) -> tuple[str, ...]:
        """The defining inequalities as readable text (empty: the whole cone)."""
        return tuple(str(c) for c in self.constraints)

    def sizes(self, bits: int = 64, multiple: int = 1) -> dict[str, int]:
        """Integer sizes ``2**(bits * x)`` at the region's inner direction ``x``.

        Each exponent is rounded to a multiple of ``multiple`` (use the common
        denominator of rational size exponents so that sizes stay integral).
        Large ``bits`` put the point far out along the direction, where lower
        terms and constants no longer decide.
        """
        return {name: 2 ** (multiple * round(bits * x / multiple)) for name, x in zip(self.symbols, self.point)}


@dataclass(frozen=True)
class Comparison:
    """The asymptotic comparison of two polynomials under a regime.

    ``outcome`` is ``"less"`` (the first is asymptotically at most the second
    and not conversely), ``"greater"``, ``"equal"`` (same leading order) or
    ``"incomparable"``. Only the last has ``regions``, whose ``winners`` are 0
    (the first is smaller there), 1, or both when they have the same leading
    order there.
    """

    outcome: Outcome
    leading: tuple[Poly, Poly]
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class Ranking:
    """Named costs ordered by leading cost under a regime.

    ``order`` lists groups of names from cheapest to most expensive, each group
    of equal leading order, when every pair is comparable; otherwise it is
    ``None`` and ``regions`` say which names are cheapest where (``winners``
    index ``names``).
    """

    names: tuple[str, ...]
    leading: Mapping[str, Poly]
    order: tuple[tuple[str, ...], ...] | None
    regions: tuple[Region, ...] = ()


# The regime ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Regime:
    """Constraints on log-sizes, with the asymptotic orders of their recession cone.

    Build one with :meth:`parse`. Every symbol's log-size is non-negative
    whether or not it is constrained, and strict comparisons (``<``, ``>``)
    mean the same as non-strict ones: the recession cone is the closed cone
    either way, and asymptotic answers do not change.

    Parameters
    ----------
    symbols
        The symbol names; the order of every vector.
    constraints
        The constraints, as parsed.
    text
        The source text.

    Raises
    ------
    RegimeError
        If no sizes satisfy the constraints (the error names a smallest
        conflicting subset).
    """

    symbols: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    text: str = ""
    _rays: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        size = len(self.symbols)
        for c in self.constraints:
            if c.symbols != self.symbols:
                raise RegimeError(f"constraint {c} is over {c.symbols}, not over the regime's symbols {self.symbols}")
        if not _feasible(self.constraints, size):
            conflict = list(self.constraints)
            for c in list(conflict):
                rest = [k for k in conflict if k is not c]
                if not _feasible(rest, size):
                    conflict = rest
            raise RegimeError(
                f"the regime {self.text or ', '.join(map(str, self.constraints))!r} is infeasible: no sizes "
                f"(every size at least 1) satisfy {' and '.join(str(c) for c in conflict)} together"
            )
        inequalities = [c.coefficients for c in self.constraints if not c.equality]
        equalities = [c.coefficients for c in self.constraints if c.equality]
        object.__setattr__(self, "_rays", _extreme_rays(size, inequalities, equalities))

    # Construction -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str | None, symbols: Iterable[str] | None = None) -> "Regime":
        """Read a regime such as ``"m <= R <= s"`` or ``"R**2 <= m, s >= 1000"``.

        Parameters
        ----------
        text
            Comparison chains separated by commas, semicolons or ``and``. Each
            side is a positive number times rational powers of symbols
            (``2*R**2``, ``sqrt(m)``, ``m**(1/2)``); the operators are ``<=``,
            ``<``, ``>=``, ``>`` and ``==``. Empty text means no constraint.
        symbols
            The symbol names; default the sorted names used in ``text``.

        Raises
        ------
        RegimeError
            For unreadable text, sums on a side, symbols outside ``symbols``,
            and infeasible constraints.

        Examples
        --------
        >>> regime = Regime.parse("m <= R <= s")
        >>> regime.symbols, regime.rays
        (('R', 'm', 's'), ((0, 0, 1), (1, 0, 1), (1, 1, 1)))
        >>> [str(c) for c in Regime.parse("R**2 <= m").constraints]
        ['R**2 <= m']
        """
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise RegimeError(f"a regime is text such as 'm <= R <= s', got {type(text).__name__}")
        given = None
        if symbols is not None:
            given = tuple(symbols)
            for name in given:
                if not isinstance(name, str) or not name.isidentifier():
                    raise RegimeError(f"invalid symbol name {name!r}: use a Python identifier such as 's'")
        names, raw = _parse_constraints(text, given)
        constraints = []
        for (c1, p1), (c2, p2), equality, shown in raw:
            coefficients = tuple(p2.get(n, Fraction(0)) - p1.get(n, Fraction(0)) for n in names)
            constraints.append(Constraint(names, coefficients, c1 / c2, equality, shown))
        return cls(names, tuple(constraints), text.strip())

    def over(self, symbols: Iterable[str]) -> "Regime":
        """The same regime over more symbols (new ones constrained only by ``x >= 0``).

        Raises
        ------
        RegimeError
            If ``symbols`` misses a symbol of the regime.
        """
        return self._over(tuple(symbols))

    @functools.lru_cache(maxsize=256)
    def _over(self, target: tuple[str, ...]) -> "Regime":
        if target == self.symbols:
            return self
        missing = [n for n in self.symbols if n not in target]
        if missing:
            raise RegimeError(f"the regime uses {', '.join(missing)}, which the symbols {target} lack")
        position = {n: i for i, n in enumerate(self.symbols)}
        constraints = []
        for c in self.constraints:
            coefficients = tuple(c.coefficients[position[n]] if n in position else Fraction(0) for n in target)
            constraints.append(Constraint(target, coefficients, c.bound, c.equality, c.text))
        return Regime(target, tuple(constraints), self.text)

    def __str__(self) -> str:
        return self.text or "no constraints"

    # The cone -------------------------------------------------------------------------

    @property
    def rays(self) -> tuple[tuple[int, ...], ...]:
        """Primitive integer generators of the recession cone's extreme rays.

        Empty when every size is bounded (the cone is the origin): then all
        monomials are equivalent.
        """
        return self._rays

    @property
    def cone(self) -> tuple[Constraint, ...]:
        """The recession cone's constraints: every constraint with its constant dropped."""
        return tuple(c.homogeneous for c in self.constraints)

    def profile(self, exponents: Sequence[Fraction]) -> Profile:
        """The log-values of the monomial with ``exponents`` on each extreme ray.

        Two monomials are equivalent exactly when their profiles are equal,
        and ``p`` dominates ``q`` exactly when ``p``'s profile is at least
        ``q``'s in every entry (a linear function is non-negative on a cone
        when it is non-negative on its extreme rays).
        """
        return tuple(sum((Fraction(e) * r for e, r in zip(exponents, ray) if e), Fraction(0)) for ray in self._rays)

    def excess(self, top: Profile, others: Iterable[Profile], rows: Iterable[Profile] = ()) -> float:
        """The LP value max over the cone of min over ``others`` of ``ℓ_top - ℓ_q``.

        The cone is normalized by writing ``x = Σ μ_j r_j`` over the extreme
        rays with ``μ >= 0, Σμ = 1`` (a normalization with the same sign as the
        ``Σx <= 1`` of the definition), and ``rows`` add region constraints
        ``w . μ >= 0`` in profile space. A value above :data:`TOLERANCE` means
        that ``top`` is strictly larger than every profile of ``others``
        somewhere (on an open set); ``inf`` when ``others`` is empty.
        """
        return _game(tuple(top), tuple(sorted(set(others))), tuple(rows))

    def _align(self, value: PolyLike) -> tuple["Regime", Poly]:
        poly = as_poly(value, self.symbols)
        if poly.symbols == self.symbols:
            return self, poly
        names = tuple(dict.fromkeys(self.symbols + tuple(sorted(n for n in poly.symbols if n not in self.symbols))))
        return self.over(names), poly.over(names)

    def _classes(self, poly: Poly) -> dict[Profile, tuple[Exponents, Fraction]]:
        """Terms grouped by profile: representative exponents (the largest vector) and summed coefficient."""
        classes: dict[Profile, tuple[Exponents, Fraction]] = {}
        for exponents, coefficient in poly.terms.items():
            key = self.profile(exponents)
            if key in classes:
                old, total = classes[key]
                classes[key] = (max(old, exponents), total + coefficient)
            else:
                classes[key] = (exponents, Fraction(coefficient))
        return classes

    # Monomials ------------------------------------------------------------------------

    def dominates(self, p: PolyLike, q: PolyLike) -> bool:
        """Whether monomial ``p`` is at least ``q`` everywhere on the recession cone.

        Raises
        ------
        SizeError
            If ``p`` or ``q`` is not a single monomial.

        Examples
        --------
        >>> Regime.parse("m <= R").dominates("R**2", "m*R")
        True
        >>> Regime.parse("m <= R").dominates("m**3", "R")
        False
        """
        regime, first = self._align(p)
        regime, second = regime._align(q)
        first = first.over(regime.symbols)
        a = regime.profile(_single(first, p))
        b = regime.profile(_single(second, q))
        return all(x >= y for x, y in zip(a, b))

    def equivalent(self, p: PolyLike, q: PolyLike) -> bool:
        """Whether monomials ``p`` and ``q`` dominate each other (equal log on the cone).

        Examples
        --------
        >>> Regime.parse("R == s").equivalent("R*s**2", "R**2*s")
        True
        """
        return self.dominates(p, q) and self.dominates(q, p)

    # Polynomials ----------------------------------------------------------------------

    def leading(self, poly: PolyLike) -> Poly:
        """The leading cost: terms strictly largest on an open part of the cone.

        Equivalent monomials are merged first (coefficients added, the largest
        exponent vector kept as the representative); a class leads when the LP
        ``max t, ℓ_p - ℓ_q >= t`` for every other class ``q`` has a value above
        :data:`TOLERANCE`.

        Examples
        --------
        >>> Regime.parse("").leading("R**2 + R*s + s**2")
        Poly(R**2 + s**2)
        >>> Regime.parse("R == s").leading("R*s**2 + R**2*s + s")
        Poly(2*R**2*s)
        """
        regime, aligned = self._align(poly)
        classes = regime._classes(aligned)
        terms: dict[Exponents, object] = {}
        for key, (exponents, coefficient) in classes.items():
            others = [k for k in classes if k != key]
            if not others or regime.excess(key, others) > TOLERANCE:
                terms[exponents] = coefficient
        return Poly(regime.symbols, terms)

    def at_most(self, first: PolyLike, second: PolyLike) -> bool:
        """Whether ``first`` is asymptotically at most ``second`` (constants dropped).

        True when every monomial ``p`` of ``first`` satisfies
        ``ℓ_p <= max_q ℓ_q`` over the monomials of ``second`` on the whole
        cone: the LP ``max t, t <= ℓ_p - ℓ_q`` has value at most
        :data:`TOLERANCE`.

        Examples
        --------
        >>> Regime.parse("").at_most("R*s", "R**2 + s**2")
        True
        """
        regime, p1 = self._align(first)
        regime, p2 = regime._align(second)
        p1 = p1.over(regime.symbols)
        targets = list(regime._classes(p2))
        return all(regime.excess(key, targets) <= TOLERANCE for key in regime._classes(p1))

    def precedes(self, first: PolyLike, second: PolyLike) -> bool:
        """Whether ``first(λ**x) <= second(λ**x)`` for all large λ, for almost every cone direction x.

        Constants and lower terms count: along a direction, the costs compare
        by their terms sorted by log-value, largest first. This holds on the
        whole cone exactly when every class with a positive coefficient in
        ``first - second`` is asymptotically at most the classes with a
        negative coefficient. It implies :meth:`at_most`.

        Examples
        --------
        >>> regime = Regime.parse("")
        >>> regime.at_most("2*s", "s + R"), regime.precedes("2*s", "s + R")
        (True, False)
        """
        regime, p1 = self._align(first)
        regime, p2 = regime._align(second)
        p1 = p1.over(regime.symbols)
        return regime._precedes(_difference(regime._classes(p1), regime._classes(p2)), ())

    def _precedes(self, difference: Mapping[Profile, Fraction], rows: tuple[Profile, ...]) -> bool:
        positive = [k for k, c in difference.items() if c > 0]
        negative = [k for k, c in difference.items() if c < 0]
        return all(self.excess(k, negative, rows) <= TOLERANCE for k in positive)

    def compare(self, first: PolyLike, second: PolyLike) -> Comparison:
        """Compare two costs by leading order, splitting the cone when they are incomparable.

        Examples
        --------
        >>> regime = Regime.parse("m <= R <= s")
        >>> regime.compare("R*s**2 + R**2*s", "s**3").outcome
        'less'
        >>> regime.compare("m**(5/2)", "m**2*R").outcome
        'less'
        >>> result = Regime.parse("m <= R").compare("m**3", "m*R**(3/2)")
        >>> result.outcome, [(r.inequalities, r.winners) for r in result.regions]
        ('incomparable', [(('m**4 >= R**3',), (1,)), (('R**3 >= m**4',), (0,))])
        """
        regime, p1 = self._align(first)
        regime, p2 = regime._align(second)
        p1 = p1.over(regime.symbols)
        leading = (regime.leading(p1), regime.leading(p2))
        below, above = regime.at_most(p1, p2), regime.at_most(p2, p1)
        if below and above:
            return Comparison("equal", leading)
        if below:
            return Comparison("less", leading)
        if above:
            return Comparison("greater", leading)
        return Comparison("incomparable", leading, regime.split([p1, p2], order="leading"))

    def rank(self, costs: Mapping[str, PolyLike]) -> Ranking:
        """Order named costs by leading cost, or split the cone when some pair is incomparable.

        Examples
        --------
        >>> ranking = Regime.parse("R <= s").rank({"a": "s**3", "b": "R*s**2", "c": "2*s**3 + R"})
        >>> ranking.order
        (('b',), ('a', 'c'))
        """
        names = tuple(costs)
        polys = [as_poly(costs[n]) for n in names]
        symbols = tuple(dict.fromkeys(self.symbols + tuple(sorted({s for p in polys for s in p.symbols} - set(self.symbols)))))
        regime = self.over(symbols)
        polys = [p.over(symbols) for p in polys]
        leading = {n: regime.leading(p) for n, p in zip(names, polys)}
        comparable = all(
            regime.at_most(a, b) or regime.at_most(b, a) for a, b in itertools.combinations(polys, 2)
        )
        if not comparable:
            return Ranking(names, leading, None, regime.split(polys, order="leading"))

        def compare(i: int, j: int) -> int:
            return (0 if regime.at_most(polys[j], polys[i]) else -1) if regime.at_most(polys[i], polys[j]) else 1

        ordered = sorted(range(len(names)), key=functools.cmp_to_key(compare))
        groups: list[list[str]] = []
        for i, position in enumerate(ordered):
            if i and compare(ordered[i - 1], position) == 0:
                groups[-1].append(names[position])
            else:
                groups.append([names[position]])
        return Ranking(names, leading, tuple(tuple(g) for g in groups))

    # Splitting --------------------------------------------------------------------------

    def split(self, polys: Sequence[PolyLike], order: Literal["leading", "precedes"] = "leading") -> tuple[Region, ...]:
        """Split the cone into regions, each with the polynomials that are smallest in it.

        Parameters
        ----------
        polys
            The candidates.
        order
            ``"leading"`` compares leading orders (:meth:`at_most`; several
            winners where leading orders tie); ``"precedes"`` compares with
            constants and lower terms (:meth:`precedes`).

        Returns
        -------
        tuple of Region
            Regions with disjoint interiors covering the cone. A region is cut
            by a hyperplane ``ℓ_p = ℓ_q`` only where the winner changes across
            it within the current piece; two halves of one cut that end with
            the same winners are merged back. Regions whose union would not be
            a single half-space split of a common piece stay separate.

        Examples
        --------
        >>> [r.winners for r in Regime.parse("").split(["R**2", "R*s", "s**2"])]
        [(2,), (0,)]
        """
        if order not in ("leading", "precedes"):
            raise RegimeError(f"unknown order {order!r}; use 'leading' or 'precedes'")
        if not polys:
            return ()
        aligned = [as_poly(p) for p in polys]
        symbols = tuple(dict.fromkeys(self.symbols + tuple(sorted({s for p in aligned for s in p.symbols} - set(self.symbols)))))
        regime = self.over(symbols)
        classes = [regime._classes(p.over(symbols)) for p in aligned]
        pieces = regime._refine(classes, list(range(len(classes))), (), (), order)
        return tuple(regime._region(rows, hyperplanes, winners) for rows, hyperplanes, winners in pieces)

    def _refine(
        self,
        classes: list[dict[Profile, tuple[Exponents, Fraction]]],
        alive: list[int],
        rows: tuple[Profile, ...],
        hyperplanes: tuple[tuple[Fraction, ...], ...],
        order: str,
    ) -> list[tuple[tuple[Profile, ...], tuple[tuple[Fraction, ...], ...], tuple[int, ...]]]:
        """Recursive splitting of one piece (profile rows ``rows``) among the ``alive`` candidates.

        A guess ``w`` (the smallest candidate at an inner point of the piece)
        is checked against every other candidate by linear programs. A
        candidate that is nowhere smaller than ``w`` leaves the piece; if ``w``
        is larger than some candidate everywhere it leaves instead; otherwise a
        hyperplane where the comparison changes cuts the piece in two. The
        guess only steers the work: every decision is proven by the LPs.
        """
        alive = list(alive)
        while True:
            if len(alive) == 1:
                return [(rows, hyperplanes, (alive[0],))]
            _, mu = _interior(rows, len(self._rays))
            guess = min(alive, key=lambda k: _direction_key(classes[k], mu))
            cut = None
            restart = False
            tied = [guess]
            for j in list(alive):
                if j == guess:
                    continue
                found = self._violation(classes[guess], classes[j], rows, order)
                if found is None:
                    if self._violation(classes[j], classes[guess], rows, order) is None:
                        tied.append(j)
                    else:
                        alive.remove(j)  # never smaller than the guess on this piece
                    continue
                top, against = found
                crossing = [q for q in against if self.excess(q, [top], rows) > TOLERANCE]
                if not crossing:
                    alive.remove(guess)  # j is smaller than the guess on the whole piece
                    restart = True
                    break
                cut = (top, crossing[0])
                break
            if restart:
                continue
            if cut is None:
                return [(rows, hyperplanes, tuple(sorted(tied)))]

            (p, q) = cut
            exponents = _representatives(classes)
            normal = tuple(a - b for a, b in zip(exponents[p], exponents[q]))
            w = tuple(a - b for a, b in zip(p, q))
            minus_w = tuple(-v for v in w)
            results = []
            for side, plane in ((w, normal), (minus_w, tuple(-v for v in normal))):
                sub_rows = rows + (side,)
                if _interior(sub_rows, len(self._rays))[0] > TOLERANCE:
                    results.append(self._refine(classes, list(alive), sub_rows, hyperplanes + (plane,), order))
            if len(results) == 2 and len(results[0]) == 1 and len(results[1]) == 1 and results[0][0][2] == results[1][0][2]:
                return [(rows, hyperplanes, results[0][0][2])]
            return [piece for result in results for piece in result]

    def _smaller(self, first: dict, second: dict, rows: tuple[Profile, ...], order: str) -> bool:
        return self._violation(first, second, rows, order) is None

    def _violation(self, first: dict, second: dict, rows: tuple[Profile, ...], order: str) -> tuple[Profile, list[Profile]] | None:
        """A class of ``first`` that beats the competing classes somewhere on the piece, or None."""
        if order == "leading":
            top_list, against = list(first), list(second)
        else:
            difference = _difference(first, second)
            top_list = [k for k, c in difference.items() if c > 0]
            against = [k for k, c in difference.items() if c < 0]
        for top in top_list:
            if self.excess(top, against, rows) > TOLERANCE:
                return top, against
        return None

    def _region(self, rows: tuple[Profile, ...], hyperplanes: tuple[tuple[Fraction, ...], ...], winners: tuple[int, ...]) -> Region:
        """Build a Region, dropping constraints implied by the others."""
        kept = list(range(len(rows)))
        for index in range(len(rows)):
            others = tuple(rows[k] for k in kept if k != index)
            negated = tuple(-v for v in rows[index])
            if others and _game(negated, ((Fraction(0),) * len(negated),), others) <= TOLERANCE:
                kept.remove(index)
            elif not others and all(v >= 0 for v in rows[index]):
                kept.remove(index)
        final_rows = tuple(rows[k] for k in kept)
        _, mu = _interior(final_rows, len(self._rays))
        x = [sum(m * r[i] for m, r in zip(mu, self._rays)) for i in range(len(self.symbols))]
        total = sum(x)
        point = tuple(v / total for v in x) if total > 0 else tuple(0.0 for _ in x)
        constraints = tuple(
            Constraint(self.symbols, hyperplanes[k], Fraction(1), False, _inequality_text(self.symbols, hyperplanes[k], Fraction(1), False))
            for k in kept
        )
        return Region(self.symbols, constraints, winners, point)


# Helpers ----------------------------------------------------------------------------------


def _direction_key(group: Mapping[Profile, tuple[Exponents, Fraction]], mu: Sequence[float]) -> tuple:
    """Terms of one candidate sorted by log-value at the weights ``mu``, largest first."""
    values = sorted(((float(sum(float(a) * m for a, m in zip(k, mu))), float(c)) for k, (_, c) in group.items()), reverse=True)
    return tuple(values)


def _representatives(classes: list[dict[Profile, tuple[Exponents, Fraction]]]) -> dict[Profile, Exponents]:
    result: dict[Profile, Exponents] = {}
    for group in classes:
        for key, (exponents, _) in group.items():
            result.setdefault(key, exponents)
    return result


def _difference(first: Mapping, second: Mapping) -> dict[Profile, Fraction]:
    """Class coefficients of ``first - second``, zero entries removed."""
    result: dict[Profile, Fraction] = {k: Fraction(c) for k, (_, c) in first.items()}
    for k, (_, c) in second.items():
        result[k] = result.get(k, Fraction(0)) - c
    return {k: c for k, c in result.items() if c != 0}


def _single(poly: Poly, shown: object) -> Exponents:
    if len(poly.terms) != 1:
        raise SizeError(f"{shown!r} is not a single monomial; dominance compares monomials such as R*s**2")
    return next(iter(poly.terms))


def as_poly(value: PolyLike, symbols: tuple[str, ...] | None = None) -> Poly:
    """Convert a Poly, Monomial, sympy expression, text or int into a Poly.

    With ``symbols``, text and sympy input use them as the symbol tuple when
    they contain every symbol used; otherwise the sorted names used.
    """
    if isinstance(value, Poly):
        return value
    if isinstance(value, Monomial):
        return Poly(value.symbols, {value.exponents: 1})
    poly = Poly.from_sympy(value)
    if symbols is not None and set(poly.symbols) <= set(symbols):
        return poly.over(symbols)
    return poly


def as_regime(regime: Regime | str | None, symbols: Iterable[str] | None = None) -> Regime:
    """A Regime from a Regime, its text, or None (no constraints), over ``symbols`` if given."""
    if isinstance(regime, Regime):
        result = regime
    else:
        result = Regime.parse(regime or "")
    if symbols is not None:
        names = tuple(symbols)
        extra = tuple(n for n in result.symbols if n not in names)
        result = result.over(names + extra)
    return result


def leading_cost(cost: PolyLike, regime: Regime | str | None = None) -> sympy.Expr:
    """The leading cost of a sympy cost under a regime, as a sympy expression.

    Examples
    --------
    >>> leading_cost("R*s**2 + R**2*s + s", "R <= s")
    R*s**2
    """
    poly = as_poly(cost)
    return as_regime(regime).leading(poly).to_sympy()


def rank_costs(costs: Mapping[str, PolyLike], regime: Regime | str | None = None) -> Ranking:
    """Rank named costs (sympy, text or Poly) by leading cost under a regime.

    Examples
    --------
    >>> rank_costs({"dense": "s**3", "tt": "R*s**2 + R**2*s"}, "R <= s").order
    (('tt',), ('dense',))
    """
    return as_regime(regime).rank(costs)
