"""Symbolic order search: the exact optimal contraction orders of a network under a regime.

:func:`symbolic_optimize` runs the subset dynamic program of
:func:`tncost.paths.dp_optimal` (every split of every subset, outer products
included) on cost polynomials instead of integers. Polynomials are not totally
ordered, so each subset keeps a *front*: the costs that no other cost of the
same subset precedes (:meth:`Regime.precedes`: at most along almost every
direction of the regime's recession cone, constants and lower terms counted),
each with one tree. Because that order is compatible with addition, the front
of the whole network contains, for almost every direction, a tree that is
optimal far out along it. The final front is then split into regions of the
cone with the optimal tree in each (:meth:`Regime.split`), and only trees that
win somewhere are reported.

Inside the program a monomial is its profile (log-values on the cone's extreme
rays, scaled to integers), so products are integer vector additions; sympy is
used only to read sizes and to print results.

Examples
--------
>>> from tncost.network import TensorNetwork
>>> net = TensorNetwork.from_inputs(
...     [("a", "i"), ("i", "j"), ("j", "b")], ("a", "b"), {"a": "s", "b": "s", "i": "R", "j": "s"}
... )
>>> result = symbolic_optimize(net, "R <= s")
>>> [c.leading.to_sympy() for c in result.candidates]
[2*R*s**2]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import NetworkError
from ..network import Index, TensorNetwork
from ..tree import ContractionTree
from .poly import Poly
from .regime import TOLERANCE, Regime, Region, as_regime

__all__ = ["SymbolicCandidate", "SymbolicSearch", "symbolic_optimize", "SYMBOLIC_MAX_TENSORS"]

#: Largest number of tensors :func:`symbolic_optimize` accepts.
SYMBOLIC_MAX_TENSORS = 16

_SAMPLES = 3


@dataclass(frozen=True)
class SymbolicCandidate:
    """A tree that is optimal somewhere in the regime.

    Attributes
    ----------
    tree
        The contraction tree.
    cost
        Its exact ops polynomial (the cost model of :mod:`tncost.cost`).
    leading
        The leading cost of ``cost`` under the regime.
    """

    tree: ContractionTree
    cost: Poly
    leading: Poly


@dataclass(frozen=True)
class SymbolicSearch:
    """The result of :func:`symbolic_optimize`.

    Attributes
    ----------
    regime
        The regime searched (over the network's symbols).
    candidates
        The trees optimal in at least one region, by first region.
    regions
        Regions of the recession cone; each region's ``winners`` index
        ``candidates`` (several only when their costs coincide there).
    front_size
        The largest front any subset kept (a measure of the search's work).
    """

    regime: Regime
    candidates: tuple[SymbolicCandidate, ...]
    regions: tuple[Region, ...]
    front_size: int

    def best_at(self, values: Mapping[str, int]) -> SymbolicCandidate:
        """The candidate with the fewest ops at ``values`` (exact; first on ties).

        Far inside a region this is the region's winner; near region
        boundaries and at small sizes constants may favour another candidate
        or a tree that the search pruned.
        """
        return min(self.candidates, key=lambda c: c.cost.evaluate(values))


def _bit_tables(network: TensorNetwork, chosen: tuple[int, ...]) -> tuple[dict[Index, int], list[int], list[int]]:
    """Index bits, per-tensor index masks and per-subset kept masks, as in the numeric DP."""
    local = {position: bit for bit, position in enumerate(chosen)}
    index_bit: dict[Index, int] = {}
    for position in chosen:
        for index in network.tensors[position].indices:
            index_bit.setdefault(index, len(index_bit))
    open_set = set(network.output or ())
    count = len(chosen)
    tensor_indices = [0] * count
    for bit, position in enumerate(chosen):
        for index in network.tensors[position].indices:
            tensor_indices[bit] |= 1 << index_bit[index]
    closable = []
    for index, bit in index_bit.items():
        holders = network.positions(index)
        if index in open_set or any(p not in local for p in holders):
            continue
        owners = 0
        for p in holders:
            owners |= 1 << local[p]
        closable.append((1 << bit, owners))
    full = (1 << count) - 1
    union = [0] * (full + 1)
    kept = [0] * (full + 1)
    for subset in range(1, full + 1):
        low = subset & -subset
        union[subset] = union[subset ^ low] | tensor_indices[low.bit_length() - 1]
        summed = 0
        for index_mask, owner_mask in closable:
            if owner_mask & subset == owner_mask:
                summed |= index_mask
        kept[subset] = union[subset] & ~summed
    return index_bit, tensor_indices, kept


class _Order:
    """The ``precedes`` test on integer profiles, with cheap exact filters before the LP."""

    def __init__(self, regime: Regime, width: int, seed: int = 0) -> None:
        self.regime = regime
        rng = np.random.default_rng(seed)
        self.samples = [tuple(int(v) for v in rng.integers(1000, 1_000_000, size=width)) for _ in range(_SAMPLES)]

    def keys(self, terms: Mapping[tuple[int, ...], int]) -> tuple[tuple, ...]:
        """Per sample direction, the terms grouped by log-value, largest first (tuple order = asymptotic order)."""
        result = []
        for mu in self.samples:
            grouped: dict[int, int] = {}
            for profile, coefficient in terms.items():
                value = sum(a * b for a, b in zip(profile, mu))
                grouped[value] = grouped.get(value, 0) + coefficient
            result.append(tuple(sorted(grouped.items(), reverse=True)))
        return tuple(result)

    def precedes(self, first: Mapping, second: Mapping) -> bool:
        difference = dict(first)
        for profile, coefficient in second.items():
            difference[profile] = difference.get(profile, 0) - coefficient
        positive = [p for p, c in difference.items() if c > 0]
        negative = [p for p, c in difference.items() if c < 0]
        if not positive:
            return True
        if not negative:
            return False
        width = len(positive[0])
        ceiling = [max(n[j] for n in negative) for j in range(width)]
        for top in positive:
            if any(all(a >= b for a, b in zip(n, top)) for n in negative):
                continue
            if any(top[j] > ceiling[j] for j in range(width)):
                return False  # strictly larger than every negative class on a ray, hence on an open set
            if self.regime.excess(top, negative) > TOLERANCE:
                return False
        return True


def symbolic_optimize(
    network: TensorNetwork,
    regime: Regime | str | None = None,
    *,
    positions: Iterable[int] | None = None,
    seed: int = 0,
) -> SymbolicSearch:
    """Find the contraction trees that are optimal somewhere in a regime, with their regions.

    Parameters
    ----------
    network
        A network with integer or symbolic sizes.
    regime
        A :class:`Regime`, its text (``"m <= R <= s"``) or None for no
        constraint besides every size being at least 1.
    positions
        The tensor positions to order; default all.
    seed
        Seed of the random cone directions used as cheap exact filters (the
        result does not depend on it).

    Returns
    -------
    SymbolicSearch
        The candidates optimal in at least one region and the regions.

    Raises
    ------
    NetworkError
        If there are more than :data:`SYMBOLIC_MAX_TENSORS` positions or a
        position is invalid.
    RegimeError
        If the regime cannot be read or is infeasible.

    Notes
    -----
    Regions are decided far out along directions of the recession cone
    (sizes ``λ**x`` with λ large). Powers of a bounded symbol (one the regime
    caps, as in ``s <= 10``) count as constants of unknown value, so trees
    that differ only in such factors are not told apart. On a region's
    boundary the winners of both sides tie in leading order.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"),
    ...                                 {"a": "R", "b": "s", "c": "R", "d": "s"})
    >>> result = symbolic_optimize(net)
    >>> [(r.inequalities, [result.candidates[w].tree.nested() for w in r.winners]) for r in result.regions]
    [(('R >= s',), [(0, (1, 2))]), (('s >= R',), [((0, 1), 2)])]
    """
    if not isinstance(network, TensorNetwork):
        raise NetworkError(f"expected a TensorNetwork, got {type(network).__name__}")
    chosen = tuple(range(len(network.tensors))) if positions is None else tuple(sorted(set(positions)))
    for position in chosen:
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(network.tensors):
            raise NetworkError(
                f"tensor position {position!r} is out of range; the network has positions 0..{len(network.tensors) - 1}"
            )
    if not chosen:
        raise NetworkError("no tensor positions to order; give at least one")
    if len(chosen) > SYMBOLIC_MAX_TENSORS:
        raise NetworkError(
            f"the symbolic search handles at most {SYMBOLIC_MAX_TENSORS} tensors, got {len(chosen)}; "
            "search numerically with tncost.paths.optimize at sample sizes instead"
        )
    symbols = tuple(sorted(set(network.symbols) | set(as_regime(regime).symbols)))
    cone = as_regime(regime, symbols)
    symbols = cone.symbols

    # Index sizes as exact terms and as integer profiles.
    index_bit, _, kept = _bit_tables(network, chosen)
    index_terms = []
    for index in index_bit:
        poly = Poly.from_sympy(network.size_dict[index], symbols)
        ((exponents, coefficient),) = poly.terms.items()
        index_terms.append((exponents, coefficient))
    profiles = [cone.profile(e) for e, _ in index_terms]
    scale = math.lcm(1, *(v.denominator for p in profiles for v in p))
    int_profiles = [tuple(int(v * scale) for v in p) for p in profiles]
    width = len(cone.rays)
    zero = (0,) * width

    step_cache: dict[int, tuple[tuple[int, ...], int]] = {}

    def step(mask: int) -> tuple[tuple[int, ...], int]:
        found = step_cache.get(mask)
        if found is None:
            profile = list(zero)
            coefficient = 1
            bit = 0
            rest = mask
            while rest:
                if rest & 1:
                    coefficient *= index_terms[bit][1]
                    profile = [a + b for a, b in zip(profile, int_profiles[bit])]
                rest >>= 1
                bit += 1
            found = (tuple(profile), coefficient)
            step_cache[mask] = found
        return found

    # The dynamic program: fronts[S] = list of (terms, keys, left, left_entry, right, right_entry).
    order = _Order(cone, width, seed)
    count = len(chosen)
    full = (1 << count) - 1
    fronts: list[list[tuple]] = [[] for _ in range(full + 1)]
    for bit in range(count):
        fronts[1 << bit] = [({}, order.keys({}), 0, 0, 0, 0)]
    largest = 1
    for subset in range(1, full + 1):
        low = subset & -subset
        if subset == low:
            continue
        rest = subset ^ low
        generated: dict[frozenset, tuple] = {}
        sub = rest
        while True:
            sub = (sub - 1) & rest
            left = low | sub
            right = rest ^ sub
            profile, coefficient = step(kept[left] | kept[right])
            for li, a in enumerate(fronts[left]):
                for ri, b in enumerate(fronts[right]):
                    terms = dict(a[0])
                    for p, c in b[0].items():
                        terms[p] = terms.get(p, 0) + c
                    terms[profile] = terms.get(profile, 0) + coefficient
                    key = frozenset(terms.items())
                    if key not in generated:
                        generated[key] = (terms, left, li, right, ri)
            if sub == 0:
                break
        fronts[subset] = _prune(order, generated.values())
        largest = max(largest, len(fronts[subset]))

    # Rebuild each tree of the final front and its exact cost.
    def build(subset: int, entry: int, steps: list) -> frozenset:
        if subset & (subset - 1) == 0:
            return frozenset([chosen[subset.bit_length() - 1]])
        _, _, left, li, right, ri = fronts[subset][entry]
        a = build(left, li, steps)
        b = build(right, ri, steps)
        steps.append((a, b, kept[left] | kept[right]))
        return a | b

    finals = []
    for entry in range(len(fronts[full])):
        steps: list = []
        build(full, entry, steps)
        tree = ContractionTree(chosen, tuple((a, b) for a, b, _ in steps))
        terms: dict = {}
        for _, _, mask in steps:
            exponents = [Fraction(0)] * len(symbols)
            coefficient = 1
            for bit in range(len(index_terms)):
                if mask >> bit & 1:
                    coefficient *= index_terms[bit][1]
                    exponents = [a + b for a, b in zip(exponents, index_terms[bit][0])]
            key = tuple(exponents)
            terms[key] = terms.get(key, 0) + coefficient
        finals.append((tree, Poly(symbols, terms)))

    # Regions and the trees that win somewhere.
    regions = cone.split([cost for _, cost in finals], order="precedes")
    renumber: dict[int, int] = {}
    for region in regions:
        for w in region.winners:
            renumber.setdefault(w, len(renumber))
    candidates = tuple(
        SymbolicCandidate(finals[old][0], finals[old][1], cone.leading(finals[old][1]))
        for old, _ in sorted(renumber.items(), key=lambda item: item[1])
    )
    regions = tuple(
        Region(r.symbols, r.constraints, tuple(renumber[w] for w in r.winners), r.point) for r in regions
    )
    return SymbolicSearch(cone, candidates, regions, largest)


def _prune(order: _Order, generated: Iterable[tuple]) -> list[tuple]:
    """Keep the costs that no other kept cost precedes; ties keep the first."""
    scored = []
    for terms, left, li, right, ri in generated:
        scored.append((order.keys(terms), terms, left, li, right, ri))
    scored.sort(key=lambda item: item[0][0])
    front: list[tuple] = []
    for keys, terms, left, li, right, ri in scored:
        dominated = False
        for other in front:
            if all(k1 <= k2 for k1, k2 in zip(other[1], keys)) and order.precedes(other[0], terms):
                dominated = True
                break
        if not dominated:
            front.append((terms, keys, left, li, right, ri))
    return front
