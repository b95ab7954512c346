"""The best T0-following embedding: the cheapest plan over the choices of the MS22 construction.

MS22 (:mod:`tncost.embeddings.ms22`) fixes one embedding by local decisions.
``best_t0`` searches the same space of embeddings for the one whose plan (the
cheapest T0-consistent tree, :func:`~tncost.embeddings.ms22.plan_tree`) costs
least. The choices are

* for every merge: a core (the three core step orders give the same
  embedding, and the plan search orders its steps) or the split gadget on
  either side, with a divisor b1 of some m' in [m, (1 + θ)·m];
* for every tensor holding three or more sketched indices: the merge tree
  over those indices (every binary tree; two indices have one);
* leaf matrices anywhere they can attach, which changes the plan and not the
  embedding, so the plan search covers it.

The product of the choices grows exponentially, so the search is

1. a shortlist per merge and side: the ``split_candidates`` pairs (m', b1)
   with the least MS22 step cost (the same exact local costing MS22 uses),
   plus the core;
2. exhaustive enumeration when the product of the shortlists (and of the
   merge trees) is at most ``exhaustive_limit``;
3. otherwise coordinate descent from MS22's own choices: one coordinate (a
   merge, or a tensor's merge tree) at a time, every candidate costed by its
   exact plan, strict improvements kept, until a sweep changes nothing.

Both MS22 and every candidate are costed by the same plan search, and the
search starts from MS22's choices, so the result never costs more than MS22.

Examples
--------
>>> from tncost.structures import kronecker
>>> from tncost.tree import ContractionTree
>>> net = kronecker(3).at_sizes({"s": 64})
>>> best = search_best_t0(net, ContractionTree.from_nested(((0, 1), 2)), 9)
>>> best.plan_cost <= best.ms22_plan_cost
True
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import SizeError, SketchSizeError
from ..network import Index, TensorNetwork
from ..symbolic.sizes import Size
from ..tree import ContractionTree
from .base import Embedding, joint_network
from .families import register_family
from .ms22 import (
    THETA,
    MS22Choices,
    MS22Result,
    MergeChoice,
    _candidates,
    _checked_m,
    _choice,
    _default_tree,
    _numeric,
    _order,
    _Skeleton,
    _Slot,
    _subtree_cost,
    build_ms22,
    ms22_embedding,
    ms22_plan,
    plan_tree,
    run_ms22,
    sketch_size_rule,
    split_window,
)

__all__ = [
    "BestT0Result",
    "search_best_t0",
    "best_t0_plan",
    "build_best_t0",
    "merge_shapes",
    "EXHAUSTIVE_LIMIT",
    "SPLIT_CANDIDATES",
    # Re-exported so that one import registers both families.
    "MS22Choices",
    "MS22Result",
    "run_ms22",
    "ms22_plan",
    "ms22_embedding",
    "build_ms22",
]

EXHAUSTIVE_LIMIT = 200
"""Enumerate every combination when there are at most this many."""

SPLIT_CANDIDATES = 3
"""Pairs (m', b1) kept per merge and side, ranked by MS22's local step cost."""

MAX_SWEEPS = 4


@dataclass(frozen=True, eq=False)
class BestT0Result:
    """The best T0-following embedding found, its plan and its distance to MS22.

    Attributes
    ----------
    embedding, choices, joint
        The embedding (family ``"best_t0"``), its record of choices and the
        joint network at the point.
    plan_tree, plan_cost, search
        Its cheapest T0-consistent tree, the ops, and the search used.
    ms22
        The MS22 result the search started from.
    evaluated
        How many candidate embeddings were costed.
    exhaustive
        True when every combination of the shortlists was enumerated.
    """

    embedding: Embedding
    choices: MS22Choices
    joint: TensorNetwork
    plan_tree: ContractionTree
    plan_cost: int
    search: str
    ms22: MS22Result
    evaluated: int
    exhaustive: bool

    @property
    def ms22_plan_cost(self) -> int:
        """The plan cost of MS22's embedding at the same m."""
        return self.ms22.plan_cost

    @property
    def gap(self) -> Fraction:
        """MS22's plan cost over this plan's cost (at least 1)."""
        return Fraction(self.ms22.plan_cost, self.plan_cost)


def merge_shapes(indices: Sequence[Index]) -> list[object]:
    """Every merge tree (binary tree with labelled leaves) over ``indices``, as nested pairs.

    Children are listed with the piece holding the earliest index first; the
    split gadget's side is a separate choice, so the mirror images are not
    repeated. There are (2n − 3)!! trees for n indices.

    Examples
    --------
    >>> merge_shapes(["a", "b"])
    [('a', 'b')]
    >>> len(merge_shapes(["a", "b", "c"])), len(merge_shapes(["a", "b", "c", "d"]))
    (3, 15)
    """
    indices = list(indices)
    if len(indices) == 1:
        return [indices[0]]
    first, rest = indices[0], indices[1:]
    shapes: list[object] = []
    # Split into the part holding the first index and the rest (non-empty).
    for size in range(0, len(rest)):
        for with_first in itertools.combinations(rest, size):
            left = [first, *with_first]
            right = [e for e in rest if e not in with_first]
            for a in merge_shapes(left):
                for b in merge_shapes(right):
                    shapes.append((a, b))
    return shapes


class _Search:
    """Costs candidate choices by their exact plan, caching skeletons and results."""

    def __init__(
        self,
        numeric: TensorNetwork,
        data_tree: ContractionTree,
        order: tuple[Index, ...],
        m: int,
        theta: Fraction,
        prefix: str,
        start: MS22Result,
        split_candidates: int,
    ) -> None:
        self.numeric = numeric
        self.data_tree = data_tree
        self.order = order
        self.m = m
        self.theta = theta
        self.prefix = prefix
        self.leaves = start.choices.leaves
        self.placement = start.choices.placement()
        self.split_candidates = split_candidates
        self.skeletons: dict[tuple, _Skeleton] = {}
        self.shortlists: dict[tuple, list[MergeChoice]] = {}
        self.costs: dict[tuple, int] = {}
        self.evaluated = 0

    def skeleton(self, shapes: Mapping[int, object]) -> _Skeleton:
        key = tuple(sorted(shapes.items()))
        if key not in self.skeletons:
            self.skeletons[key] = _Skeleton(self.numeric, self.data_tree, self.order, shapes)
        return self.skeletons[key]

    def default(self, skeleton: _Skeleton, slot: _Slot) -> MergeChoice:
        return _choice(skeleton, slot, "core" if slot.in_place else "contract-first", None, None)

    def decisions(self, skeleton: _Skeleton, chosen: Mapping[frozenset, MergeChoice]) -> dict[frozenset, MergeChoice]:
        out = {}
        for slot in skeleton.slots:
            choice = chosen.get(slot.key)
            fits = choice is not None and (frozenset(choice.left), frozenset(choice.right)) == (slot.left, slot.right)
            out[slot.key] = choice if fits else self.default(skeleton, slot)  # type: ignore[assignment]
        return out

    def shortlist(self, skeleton: _Skeleton, slot: _Slot, chosen: Mapping[frozenset, MergeChoice]) -> list[MergeChoice]:
        """The core and the best split pairs per side, by MS22's local step cost."""
        key = (tuple(sorted(skeleton.shapes.items())), slot)
        if key in self.shortlists:
            return self.shortlists[key]
        decisions = self.decisions(skeleton, chosen)
        ranked: dict[str, list[tuple[int, int, MergeChoice]]] = {"split-right": [], "split-left": []}
        for rank, (option, b1, m_prime) in enumerate(_candidates(slot, self.m, self.theta)):
            if option not in ranked:
                continue
            decisions[slot.key] = _choice(skeleton, slot, option, b1, m_prime)
            cost, _, _ = _subtree_cost(skeleton, decisions, self.placement, self.m, slot.node, self.prefix)
            ranked[option].append((cost, rank, decisions[slot.key]))
        out = [self.default(skeleton, slot)]
        for option in ("split-right", "split-left"):
            out.extend(choice for _, _, choice in sorted(ranked[option], key=lambda t: t[:2])[: self.split_candidates])
        self.shortlists[key] = out
        return out

    def choices(self, shapes: Mapping[int, object], chosen: Mapping[frozenset, MergeChoice]) -> MS22Choices:
        skeleton = self.skeleton(shapes)
        decisions = self.decisions(skeleton, chosen)
        merges = tuple(decisions[slot.key] for slot in skeleton.slots)
        return MS22Choices(self.m, self.leaves, merges, dict(skeleton.shapes), self.theta)

    def cost(self, choices: MS22Choices) -> int:
        key = (tuple(sorted(choices.shapes.items())), tuple((c.signature(), c.b1, c.m_prime) for c in choices.merges))
        if key not in self.costs:
            self.evaluated += 1
            embedding, step_tree = ms22_embedding(self.numeric, self.data_tree, choices, self.m, order=self.order, prefix=self.prefix)
            joint = joint_network(self.numeric, embedding)
            self.costs[key] = plan_tree(joint, self.data_tree, step_tree)[1]
        return self.costs[key]


def _multi_index_tensors(numeric: TensorNetwork) -> dict[int, tuple[Index, ...]]:
    sketched = set(numeric.sketched)
    out = {}
    for p, tensor in enumerate(numeric.tensors):
        indices = tuple(i for i in tensor.indices if i in sketched)
        if len(indices) > 2:
            out[p] = indices
    return out


def search_best_t0(
    network: TensorNetwork,
    data_tree: ContractionTree,
    m: int,
    *,
    point: Mapping[str, int] | None = None,
    order: Sequence[Index] | None = None,
    theta: Fraction | float = THETA,
    prefix: str = "S_",
    split_candidates: int = SPLIT_CANDIDATES,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
    start: MS22Result | None = None,
) -> BestT0Result:
    """Search the embeddings that follow T0 for the cheapest exact plan, starting from MS22.

    Parameters
    ----------
    network
        The data network; ``network.sketched`` is E1.
    data_tree
        T0 over the data positions.
    m
        The sketch size (a positive integer).
    point
        Values of the network's symbols (needed when it is symbolic).
    order
        The sketched indices in the order of leaf numbering.
    theta
        The width of the split window.
    prefix
        Prefix of every embedding tensor and index name.
    split_candidates
        Pairs (m', b1) kept per merge and side (at least 1).
    exhaustive_limit
        Enumerate every combination of the shortlists when there are at most
        this many; otherwise run coordinate descent.
    start
        An MS22 result at the same m to start from (computed when omitted).

    Returns
    -------
    BestT0Result

    Raises
    ------
    SketchSizeError
        For an invalid m, θ or ``split_candidates``.

    Notes
    -----
    The shortlist keeps the split search affordable: the full window has
    about 2·(θm + 1)·d(m') split options per merge, each needing a plan
    search. Outside the shortlist a split is not tried, so the result is the
    best over the shortlists, which contain MS22's own choice whenever MS22
    chose a split with one of the ``split_candidates`` best local costs (it
    chose the best, so always).

    Examples
    --------
    >>> from tncost.structures import tensor_train
    >>> net = tensor_train(3).at_sizes({"s": 200, "R": 6})
    >>> best = search_best_t0(net, ContractionTree.from_nested(((0, 1), 2)), 8)
    >>> best.gap >= 1, best.embedding.family
    (True, 'best_t0')
    """
    m = _checked_m(m)
    if isinstance(split_candidates, bool) or not isinstance(split_candidates, int) or split_candidates < 1:
        raise SketchSizeError(f"invalid split_candidates={split_candidates!r}: keep at least 1 pair per side")
    numeric = _numeric(network, point)
    order = _order(numeric, order)
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    split_window(m, theta)
    if start is None:
        start = run_ms22(numeric, data_tree, m, order=order, theta=theta, prefix=prefix)
    search = _Search(numeric, data_tree, order, m, theta, prefix, start, split_candidates)

    shapes = dict(start.choices.shapes)
    chosen = {c.key: c for c in start.choices.merges}
    best_choices = start.choices
    best_cost = search.cost(best_choices)
    if best_cost != start.plan_cost:  # pragma: no cover - both use plan_tree on the same structure
        raise AssertionError("the search costs MS22's choices differently from MS22")

    multi = _multi_index_tensors(numeric)
    shape_options = {p: merge_shapes(indices) for p, indices in multi.items()}
    skeleton = search.skeleton(shapes)
    combinations = 1
    for options in shape_options.values():
        combinations *= len(options)
    for slot in skeleton.slots:
        combinations *= len(search.shortlist(skeleton, slot, chosen))

    exhaustive = combinations <= exhaustive_limit and not multi
    if exhaustive:
        lists = [search.shortlist(skeleton, slot, chosen) for slot in skeleton.slots]
        for combo in itertools.product(*lists):
            candidate = search.choices(shapes, {c.key: c for c in combo})
            cost = search.cost(candidate)
            if cost < best_cost:
                best_cost, best_choices = cost, candidate
    else:
        for _ in range(MAX_SWEEPS):
            improved = False
            for p, options in shape_options.items():
                for shape in options:
                    trial = {**shapes, p: shape}
                    candidate = search.choices(trial, chosen)
                    cost = search.cost(candidate)
                    if cost < best_cost:
                        best_cost, best_choices, shapes, improved = cost, candidate, trial, True
                        chosen = {c.key: c for c in candidate.merges}
            skeleton = search.skeleton(shapes)
            for slot in skeleton.slots:
                for option in search.shortlist(skeleton, slot, chosen):
                    trial_chosen = {**chosen, slot.key: option}
                    candidate = search.choices(shapes, trial_chosen)
                    cost = search.cost(candidate)
                    if cost < best_cost:
                        best_cost, best_choices, chosen, improved = cost, candidate, trial_chosen, True
            if not improved:
                break

    embedding, step_tree = ms22_embedding(numeric, data_tree, best_choices, m, order=order, prefix=prefix, family="best_t0")
    joint = joint_network(numeric, embedding)
    plan, plan_cost, method = plan_tree(joint, data_tree, step_tree)
    best_choices = replace(best_choices, merges=tuple(_with_costs(best_choices, numeric, data_tree, order, prefix)))
    return BestT0Result(embedding, best_choices, joint, plan, plan_cost, method, start, search.evaluated, exhaustive)


def _with_costs(
    choices: MS22Choices, numeric: TensorNetwork, data_tree: ContractionTree, order: tuple[Index, ...], prefix: str
) -> list[MergeChoice]:
    """The merges of ``choices`` with their step costs filled in."""
    skeleton = _Skeleton(numeric, data_tree, order, choices.shapes)
    decisions = {c.key: c for c in choices.merges}
    placement = choices.placement()
    out = []
    for merge in choices.merges:
        slot = skeleton.slot_of[merge.key]
        whole = _subtree_cost(skeleton, decisions, placement, choices.m, slot.node, prefix)[0]
        out.append(replace(merge, subtree_cost=whole, cost=None))
    return out


def best_t0_plan(
    network: TensorNetwork,
    data_tree: ContractionTree,
    point: Mapping[str, int] | None,
    eps: float = 0.5,
    delta: float = 0.1,
    C: float = 1,
    m: int | None = None,
    *,
    theta: Fraction | float = THETA,
    prefix: str = "S_",
) -> tuple[Embedding, int, int, BestT0Result]:
    """The best T0-following embedding with its sketch size: the embedding, m, k and the search result.

    m follows :func:`~tncost.embeddings.ms22.sketch_size_rule` (k_max, then
    one recount) unless it is given.

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> t0 = ContractionTree.from_nested((0, 1))
    >>> emb, m, k, result = best_t0_plan(kronecker(2), t0, {"s": 4096})
    >>> m, k, result.plan_cost <= result.ms22_plan_cost
    (37, 4, True)
    """
    numeric = _numeric(network, point)
    order = _order(numeric, None)
    results: dict[int, BestT0Result] = {}

    def choose(size: int) -> MS22Choices:
        results[size] = search_best_t0(numeric, data_tree, size, order=order, theta=theta, prefix=prefix)
        return results[size].choices

    m_used, k, _ = sketch_size_rule(choose, len(order), eps, delta, C, m)
    result = results[m_used]
    return result.embedding, m_used, k, result


def build_best_t0(
    network: TensorNetwork,
    order: Sequence[Index],
    m: Size,
    *,
    prefix: str = "S_",
    data_tree: ContractionTree | None = None,
    point: Mapping[str, int] | None = None,
    choices: MS22Choices | None = None,
    theta: Fraction | float = THETA,
) -> Embedding:
    """Family constructor of ``"best_t0"`` for :func:`tncost.embeddings.build_embedding`.

    As :func:`~tncost.embeddings.ms22.build_ms22`: with ``choices`` the
    structure is rebuilt at the given sizes (the symbolic twin); otherwise
    the search runs at numeric sizes (the network's or ``point``'s, which
    must give ``m`` when ``m`` is a symbol).

    Examples
    --------
    >>> from tncost.embeddings import build_embedding
    >>> from tncost.structures import kronecker
    >>> emb = build_embedding("best_t0", kronecker(2).at_sizes({"s": 64}), 4)
    >>> emb.family, emb.k
    ('best_t0', 3)
    """
    if data_tree is None:
        data_tree = _default_tree(_numeric(network, point))
    if choices is None:
        numeric = _numeric(network, point)
        m_value = m
        if not isinstance(m, int):
            if point is None or "m" not in point:
                raise SizeError(f"m = {m} is symbolic; give its value as point['m'] or pass the choices of a numeric build")
            m_value = point["m"]
        choices = search_best_t0(numeric, data_tree, _checked_m(m_value), order=order, theta=theta, prefix=prefix).choices
    embedding, _ = ms22_embedding(network, data_tree, choices, m, order=order, prefix=prefix, family="best_t0")
    return embedding


register_family(
    "best_t0",
    build_best_t0,
    count=None,
    description="the cheapest plan over the MS22 construction's choices (search from MS22's own)",
    replace=True,
)
