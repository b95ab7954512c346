"""Piecewise MS22 and best-T0 costs under a regime.

MS22 and the best-T0 search compare their options at numbers, so one run
gives the construction that is best at one point. Under a regime such as
``m <= R <= s`` the best construction can change from one part of the
regime to another. This module samples the regime's cone of log-sizes,
runs the search at each sample, and turns every construction found into a
symbolic cost:

1. Each sample is a point deep inside the cone (a mix of the cone's centre
   and one extreme ray), scaled to sizes ``2**(bits * x)``. Its ``m`` is made
   a perfect square ``q**2``.
2. The search runs at the sample. Its split gadgets are then read as the
   balanced split ``b1 = b2 = q`` with ``m' = m``, the cheapest T0-consistent
   tree is searched for that balanced construction at the sample, and the
   construction with that tree is costed with ``m`` a symbol. The cost is an
   exact polynomial (with ``m**(1/2)`` where splits occur) at every square
   ``m``, and substituting the sample gives the numeric cost of the tree
   there, which is checked.
3. The distinct costs are compared under the regime
   (:func:`tncost.symbolic.regime.rank_costs`). The family's piecewise cost
   is the minimum over them: in each region, the winner's cost.

The piecewise cost is an upper bound on what the search finds at each
size, because every piece is a T0-consistent plan that the search could
have returned. It is exact at the samples' constructions, but a
construction that wins only in a part of the cone that no sample reached is
missed. Balanced splits can cost more than the unbalanced factors that the
numeric search picks, by a factor that depends on the sizes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from . import embeddings as emb
from .consistent import consistent_tree
from .cost import substitute_cost, tree_cost
from .errors import SketchSizeError
from .network import TensorNetwork
from .symbolic.sizes import size_symbol
from .tree import ContractionTree

__all__ = ["Piece", "PiecewiseCost", "piecewise_cost", "sample_points", "balanced_splits", "DEFAULT_BITS"]

SKETCH_SYMBOL = "m"

DEFAULT_BITS = 40
"""Sample sizes are ``2**(bits * x)`` for a log-size direction ``x`` with ``sum(x) = 1``."""

MIN_SPLIT_DEPTH = 4
"""How many unresolved minima of the lower bound :func:`_bounded` splits the regime on."""

PAIR_LIMIT = 5
"""Cones with at most this many extreme rays also get one sample between each pair of rays."""


@dataclass(frozen=True)
class Piece:
    """One construction found at some samples, with its symbolic cost.

    Attributes
    ----------
    label
        A short name, ``"<family>#<n>"``.
    construction
        The merge options, one ``"node: option"`` per merge, and the leaf
        matrices' nodes.
    cost
        The exact cost with ``m`` a symbol and every split balanced.
    leading_cost
        The cost's leading terms under the regime.
    samples
        The sample points (with ``m``) whose search produced it.
    k
        The number of embedding tensors, the factor count of the sketch-size rule.
    joint, tree
        The joint network (``m`` a symbol, splits of size ``m**(1/2)``) and
        the T0-consistent tree that ``cost`` is the cost of.
    """

    label: str
    construction: tuple[str, ...]
    cost: sympy.Expr
    leading_cost: sympy.Expr
    samples: tuple[Mapping[str, int], ...]
    k: int
    joint: TensorNetwork
    tree: ContractionTree

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "construction": list(self.construction),
            "cost": str(self.cost),
            "leading_cost": str(self.leading_cost),
            "samples": [dict(s) for s in self.samples],
            "k": self.k,
        }


@dataclass(frozen=True)
class PiecewiseCost:
    """A family's cost under a regime, piece by piece and region by region.

    ``regions`` has one entry per part of the regime. Each entry gives the
    part's extra inequalities (none when one piece wins throughout), the
    winning pieces' labels and their leading cost. With a bound, it also
    states whether the winner's cost is at most a constant times the bound
    there (``None`` when the bound has no single leading form in that part).
    """

    family: str
    regime: str
    pieces: tuple[Piece, ...]
    regions: tuple[Mapping[str, object], ...]
    method: str

    @property
    def bounded_everywhere(self) -> bool | None:
        """True when the winner's ratio to LB is bounded by a constant in every region."""
        flags = [region.get("ratio_to_lower_bound_bounded") for region in self.regions]
        if any(flag is None for flag in flags):
            return None
        return all(flags)

    def to_dict(self) -> dict:
        return {
            "family": self.family,
            "regime": self.regime,
            "method": self.method,
            "pieces": [piece.to_dict() for piece in self.pieces],
            "regions": [dict(region) for region in self.regions],
            "ratio_to_lower_bound_bounded_everywhere": self.bounded_everywhere,
        }


def _normalized(vector: Sequence[float]) -> tuple[float, ...]:
    total = sum(vector)
    return tuple(v / total for v in vector)


def sample_points(
    regime: "Regime",
    network: TensorNetwork,
    *,
    bits: int = DEFAULT_BITS,
    weight: float = 0.6,
) -> list[dict[str, int]]:
    """Return integer sample points deep inside the regime's cone, ``m`` a perfect square.

    One sample at the centre of the extreme rays, one per ray at
    ``weight * ray + (1 - weight) * centre``, and, for cones with at most
    :data:`PAIR_LIMIT` rays, one between each pair of rays. A sample is dropped when its
    ``m`` is below 4 or not below a sketched index's size, because the
    search and the lower bound assume ``2 <= m < s_e``.
    """
    rays = [_normalized(ray) for ray in regime.rays if sum(ray) > 0]
    if not rays:
        return []
    centre = _normalized([sum(ray[i] for ray in rays) for i in range(len(regime.symbols))])
    directions = [centre] + [
        tuple(weight * r + (1 - weight) * c for r, c in zip(ray, centre)) for ray in rays
    ]
    if len(rays) <= PAIR_LIMIT:
        directions += [
            tuple(0.4 * a + 0.4 * b + 0.2 * c for a, b, c in zip(first, second, centre))
            for i, first in enumerate(rays)
            for second in rays[i + 1:]
        ]
    points = []
    seen = set()
    for direction in directions:
        values = {name: max(1, round(2 ** (bits * x))) for name, x in zip(regime.symbols, direction)}
        if SKETCH_SYMBOL not in values:
            continue
        q = max(2, math.isqrt(values[SKETCH_SYMBOL]))
        values[SKETCH_SYMBOL] = q * q
        data_values = {k: v for k, v in values.items() if k in network.symbols}
        numeric = network.at_sizes(data_values) if network.symbols else network
        if any(numeric.size_dict[e] <= values[SKETCH_SYMBOL] for e in numeric.sketched):
            continue
        key = tuple(sorted(values.items()))
        if key not in seen:
            seen.add(key)
            points.append(values)
    return points


def balanced_splits(choices: "emb.MS22Choices", q: int) -> "emb.MS22Choices":
    """Return the same construction with every split read as b1 = b2 = q at m = m' = q**2."""
    merges = tuple(
        dataclasses.replace(merge, b1=q, m_prime=q * q) if merge.option.startswith("split") else merge
        for merge in choices.merges
    )
    return dataclasses.replace(choices, m=q * q, merges=merges)


def _describe(network: TensorNetwork, choices: "emb.MS22Choices") -> tuple[str, ...]:
    def names(node: Sequence[int]) -> str:
        return "(" + ",".join(network.tensors[i].name for i in node) + ")"

    lines = [f"leaf {leaf.index} at {names(leaf.node)}" for leaf in choices.leaves]
    lines += [f"merge at {names(merge.node)}: {merge.option}" for merge in choices.merges]
    return tuple(lines)


def _search(family: str, numeric: TensorNetwork, data_tree: ContractionTree, point: Mapping[str, int], m: int) -> "emb.MS22Choices":
    if family == "ms22":
        _, _, _, choices = emb.ms22_plan(numeric, data_tree, point, m=m)
        return choices
    _, _, _, result = emb.best_t0_plan(numeric, data_tree, point, m=m)
    return result.choices


def _costed(
    network: TensorNetwork,
    family: str,
    data_tree: ContractionTree,
    point: Mapping[str, int],
) -> tuple[sympy.Expr, tuple[str, ...], int, TensorNetwork, ContractionTree]:
    """Cost, with m a symbol, the balanced-split construction that the search picks at ``point``.

    Returns the cost, the construction's description, k, the symbolic joint
    network and the tree.
    """
    m_value = point[SKETCH_SYMBOL]
    q = math.isqrt(m_value)
    data_values = {k: v for k, v in point.items() if k in network.symbols}
    numeric = network.at_sizes(data_values) if network.symbols else network
    order = tuple(network.sketched)
    choices = balanced_splits(_search(family, numeric, data_tree, data_values, m_value), q)
    numeric_embedding, step_tree = emb.ms22_embedding(numeric, data_tree, choices, m_value, order=order, family=family)
    joint_numeric = emb.joint_network(numeric, numeric_embedding)
    search = consistent_tree(joint_numeric, data_tree, step_tree)
    symbolic_embedding, _ = emb.ms22_embedding(network, data_tree, choices, size_symbol(SKETCH_SYMBOL), order=order, family=family)
    joint = emb.joint_network(network, symbolic_embedding)
    cost = sympy.expand(sympy.sympify(tree_cost(joint, search.tree).ops))
    if substitute_cost(cost, dict(point)) != search.ops:  # pragma: no cover - guards the symbolic twin
        raise AssertionError(f"the symbolic {family} cost disagrees with its numeric value at {dict(point)}")
    return cost, _describe(network, choices), choices.k, joint, search.tree


def _region_regime(regime: "Regime", inequalities: Sequence[str]) -> "Regime":
    from .symbolic.regime import Regime

    if not inequalities:
        return regime
    return Regime.parse(", ".join([str(regime), *inequalities]), symbols=regime.symbols)


def _bounded(regime: "Regime", cost: sympy.Expr, bound: object, depth: int = 0) -> bool | None:
    """Whether ``cost <= c * bound`` for a constant c under the regime.

    A minimum in the bound that the regime does not resolve splits the
    regime into the regions where each argument is the smallest, and the
    answer is True only when it is True in every region. None when the
    minima are still unresolved after :data:`MIN_SPLIT_DEPTH` splits.
    """
    from .planner import _resolve_minima
    from .symbolic.poly import Poly
    from .symbolic.regime import rank_costs

    resolved = _resolve_minima(bound, regime)
    minima = sorted(resolved.atoms(sympy.Min), key=str) if isinstance(resolved, sympy.Basic) else []
    if not minima:
        return bool(regime.at_most(Poly.from_sympy(sympy.sympify(cost)), Poly.from_sympy(sympy.sympify(resolved))))
    if depth >= MIN_SPLIT_DEPTH:
        return None
    arguments = {f"a{i}": argument for i, argument in enumerate(minima[0].args)}
    ranking = rank_costs(arguments, regime)
    if ranking.order is not None:  # pragma: no cover - _resolve_minima resolves a minimum with one cheapest argument
        return None
    answers = [
        _bounded(_region_regime(regime, region.inequalities), cost, resolved, depth + 1)
        for region in ranking.regions
    ]
    if any(answer is False for answer in answers):
        return False
    if any(answer is None for answer in answers):
        return None
    return True


def piecewise_cost(
    network: TensorNetwork,
    family: str,
    data_tree: ContractionTree,
    regime: "Regime | str",
    *,
    bound: object | None = None,
    bits: int = DEFAULT_BITS,
) -> PiecewiseCost:
    """Sample ``regime`` and return ``family``'s piecewise cost (``"ms22"`` or ``"best_t0"``).

    ``bound`` is the symbolic lower bound (``LowerBound.total``); with it
    each region states whether the winner's ratio to it is bounded.

    Raises
    ------
    SpecError
        For a family other than ``ms22`` and ``best_t0``.
    SketchSizeError
        When no sample of the regime has ``4 <= m < s_e`` for every sketched index.

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> from tncost.tree import ContractionTree
    >>> result = piecewise_cost(kronecker(2), "ms22", ContractionTree.from_nested((0, 1)), "m <= s")
    >>> [str(p.cost) for p in result.pieces]
    ['2*m**(5/2) + m**2 + 2*m*s']
    """
    from .errors import SpecError
    from .symbolic.regime import as_regime, leading_cost, rank_costs

    if family not in ("ms22", "best_t0"):
        raise SpecError(f"piecewise costs exist for 'ms22' and 'best_t0', not {family!r}")
    parsed = as_regime(regime, symbols=(*network.symbols, SKETCH_SYMBOL))
    if SKETCH_SYMBOL not in parsed.symbols:
        parsed = parsed.over((*parsed.symbols, SKETCH_SYMBOL))
    points = sample_points(parsed, network, bits=bits)
    if not points:
        raise SketchSizeError(
            f"no sample of the regime {parsed} has 4 <= m below every sketched size; "
            "add constraints such as m <= s for the sketched sizes"
        )
    found: dict[sympy.Expr, tuple] = {}
    for point in points:
        cost, construction, k, joint, tree = _costed(network, family, data_tree, point)
        if cost in found:
            found[cost][1].append(point)
        else:
            found[cost] = (construction, [point], k, joint, tree)
    pieces = tuple(
        Piece(
            label=f"{family}#{n}",
            construction=construction,
            cost=cost,
            leading_cost=leading_cost(cost, parsed),
            samples=tuple(samples),
            k=k,
            joint=joint,
            tree=tree,
        )
        for n, (cost, (construction, samples, k, joint, tree)) in enumerate(found.items(), start=1)
    )
    ranking = rank_costs({piece.label: piece.cost for piece in pieces}, parsed)
    by_label = {piece.label: piece for piece in pieces}
    regions = []
    if ranking.order is not None:
        parts = [((), list(ranking.order[0]))]
    else:
        parts = [
            (tuple(region.inequalities), [ranking.names[w] if isinstance(w, int) else w for w in region.winners])
            for region in ranking.regions
        ]
    for inequalities, winners in parts:
        sub = _region_regime(parsed, inequalities)
        winner = by_label[winners[0]]
        entry: dict[str, object] = {
            "inequalities": list(inequalities),
            "winners": list(winners),
            "leading_cost": str(leading_cost(winner.cost, sub)),
        }
        if bound is not None:
            entry["ratio_to_lower_bound_bounded"] = _bounded(sub, winner.cost, bound)
        regions.append(entry)
    method = (
        f"search at {len(points)} samples 2**({bits} x) deep inside the regime's cone, splits read as "
        "b1 = b2 = m^(1/2), the cheapest T0-consistent tree per construction; an upper bound on the "
        "family's cost that is exact at the samples' constructions"
    )
    return PiecewiseCost(family=family, regime=str(parsed), pieces=pieces, regions=tuple(regions), method=method)

