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

A plan search costs the whole joint network, so for embeddings of more than
:data:`PLAN_SEARCH_LIMIT` tensors the descent ranks candidates by the exact
cost of their own step order instead. That needs no search, and every
(m', b1) pair of the window is in reach, not only the shortlist. Its choices are kept only if
their plan costs strictly less than MS22's plan, which is certain without a
search when their step order already does (a plan never costs more than the
step order); otherwise one search decides, and MS22's choices are kept when
it does not find a cheaper plan. So best_t0 ≤ ms22 holds in both modes.

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
    _best_split,
    _checked_m,
    _choice,
    _Costing,
    _decided_costs,
    _default_tree,
    _Evaluator,
    _four_value,
    _merge_options_polys,
    _numeric,
    _order,
    _Skeleton,
    _Slot,
    _split_shortlist,
    _window_divisors,
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
    "PLAN_SEARCH_LIMIT",
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

PLAN_SEARCH_LIMIT = 12
"""Descend on exact plan costs while MS22's embedding has at most this many tensors.

Every candidate of the plan-cost descent needs a consistent-tree search of
the whole joint network, and both the number of candidates and the cost of
one search grow with the number of sketched indices. Beyond this limit (five
or more sketched indices when every merge is split) the descent ranks
candidates by the exact cost of their own step order instead, which the
local costing of :mod:`tncost.embeddings.ms22` gives without any search; see
:func:`search_best_t0` for why the result still never costs more than MS22.
"""


@dataclass(frozen=True, eq=False)
class BestT0Result:
    """The best T0-following embedding found, its plan and its distance to MS22.

    Attributes
    ----------
    embedding, choices, joint
        The embedding (family ``"best_t0"``), its record of choices and the
        joint network at the point.
    step_tree, data_tree
        The step order the choices describe, and T0.
    ms22
        The MS22 result the search started from.
    evaluated
        How many candidate embeddings were costed by a plan search.
    exhaustive
        True when every combination of the shortlists was enumerated.
    method
        ``"plan"`` when candidates were ranked by their exact plan cost,
        ``"step order"`` when by the exact cost of their own step order
        (embeddings larger than :data:`PLAN_SEARCH_LIMIT`).
    plan_tree, plan_cost, search
        Its cheapest T0-consistent tree, the ops, and the search used. The
        search runs the first time one of them is read, unless the search
        over candidates already ran it (``known_plan``).
    """

    embedding: Embedding
    choices: MS22Choices
    joint: TensorNetwork
    step_tree: ContractionTree
    data_tree: ContractionTree
    ms22: MS22Result
    evaluated: int
    exhaustive: bool
    method: str = "plan"
    known_plan: tuple[ContractionTree, int, str] | None = None

    def _plan(self) -> tuple[ContractionTree, int, str]:
        if self.known_plan is None:
            object.__setattr__(self, "known_plan", plan_tree(self.joint, self.data_tree, self.step_tree))
        assert self.known_plan is not None
        return self.known_plan

    @property
    def plan_tree(self) -> ContractionTree:
        """The cheapest T0-consistent tree found for the embedding."""
        return self._plan()[0]

    @property
    def plan_cost(self) -> int:
        """The ops of :attr:`plan_tree`."""
        return self._plan()[1]

    @property
    def search(self) -> str:
        """The search that found :attr:`plan_tree`."""
        return self._plan()[2]

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
        self.evaluator: tuple[tuple, _Evaluator] | None = None

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
        """The core and the best split pairs per side, by MS22's exact subtree cost."""
        key = (tuple(sorted(skeleton.shapes.items())), slot)
        if key in self.shortlists:
            return self.shortlists[key]
        decisions = self.decisions(skeleton, chosen)
        context = (id(skeleton), tuple(sorted((tuple(sorted(k)), c.option, c.b1, c.m_prime) for k, c in decisions.items())))
        if self.evaluator is None or self.evaluator[0] != context:
            costing = _Costing(skeleton, self.m)
            self.evaluator = (context, _Evaluator(costing, decisions, self.placement))
        evaluator = self.evaluator[1]
        splits = _split_shortlist(skeleton, decisions, self.placement, self.m, self.theta, slot, self.split_candidates, evaluator)
        out = [self.default(skeleton, slot), *splits]
        self.shortlists[key] = out
        return out

    def choices(self, shapes: Mapping[int, object], chosen: Mapping[frozenset, MergeChoice]) -> MS22Choices:
        skeleton = self.skeleton(shapes)
        decisions = self.decisions(skeleton, chosen)
        merges = tuple(decisions[slot.key] for slot in skeleton.slots)
        return MS22Choices(self.m, self.leaves, merges, dict(skeleton.shapes), self.theta)

    def cost(self, choices: MS22Choices) -> int:
        key = _key(choices)
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


def _step_order_descent(
    numeric: TensorNetwork,
    data_tree: ContractionTree,
    order: tuple[Index, ...],
    m: int,
    theta: Fraction,
    start: MS22Result,
) -> tuple[MS22Choices, int]:
    """Coordinate descent on the exact step-order cost, from MS22's choices.

    One coordinate is a merge or the merge tree of a tensor with three or
    more sketched indices. With every other choice fixed, the step-order cost
    is the merge node's subtree cost plus a part that no option of that merge
    changes (the operand the merge leaves behind has the same indices under
    every option), so the best option is MS22's local rule applied in the
    context of the other choices, over the whole (m', b1) window and the
    three core step orders. A choice changes only when the total strictly
    drops. Returns the choices and their step-order cost.
    """
    placement = start.choices.placement()
    shapes = dict(start.choices.shapes)
    skeleton = _Skeleton(numeric, data_tree, order, shapes)
    decisions = {c.key: c for c in start.choices.merges}
    evaluator = _Evaluator(_Costing(skeleton, m), decisions, placement)
    root = data_tree.root
    total = evaluator.cost(root)
    windows = _window_divisors(m, theta)
    shape_options = {p: merge_shapes(indices) for p, indices in _multi_index_tensors(numeric).items()}

    def fitted(trial: _Skeleton, chosen: Mapping[frozenset, MergeChoice]) -> dict[frozenset, MergeChoice]:
        out = {}
        for slot in trial.slots:
            choice = chosen.get(slot.key)
            fits = choice is not None and (frozenset(choice.left), frozenset(choice.right)) == (slot.left, slot.right)
            default = _choice(trial, slot, "core" if slot.in_place else "contract-first", None, None)
            out[slot.key] = choice if fits else default  # type: ignore[assignment]
        return out

    for _ in range(MAX_SWEEPS):
        improved = False
        for p, options in shape_options.items():
            for shape in options:
                if shape == shapes.get(p):
                    continue
                trial_shapes = {**shapes, p: shape}
                trial = _Skeleton(numeric, data_tree, order, trial_shapes)
                trial_decisions = fitted(trial, decisions)
                trial_evaluator = _Evaluator(_Costing(trial, m), trial_decisions, placement)
                cost = trial_evaluator.cost(root)
                if cost < total:
                    shapes, skeleton, decisions, evaluator, total = trial_shapes, trial, trial_decisions, trial_evaluator, cost
                    improved = True
        for slot in skeleton.slots:
            current = decisions[slot.key]
            options = _merge_options_polys(evaluator, slot)
            now = _four_value(options.whole[current.option], current.b1, current.m_prime)
            best: tuple[int, str, int | None, int | None] | None = None
            for option in options.names:
                if option.startswith("split-"):
                    found = _best_split(options.whole[option], windows, None if best is None else best[0])
                    if found is not None:
                        best = (found[0], option, found[2], found[1])
                elif best is None or options.whole[option][0] < best[0]:
                    best = (options.whole[option][0], option, None, None)
            assert best is not None
            if best[0] < now:
                decisions[slot.key] = _choice(skeleton, slot, *best[1:])
                evaluator.forget(slot.node)
                cost = evaluator.cost(root)
                if cost != total - (now - best[0]):  # pragma: no cover - an internal error
                    raise AssertionError(f"the step order cost {cost} does not match the local change from {total}")
                total, improved = cost, True
        if not improved:
            break
    merges = tuple(decisions[slot.key] for slot in skeleton.slots)
    return MS22Choices(m, start.choices.leaves, merges, dict(skeleton.shapes), theta), total


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
    plan_search_limit: int = PLAN_SEARCH_LIMIT,
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
    plan_search_limit
        Descend on exact plan costs while MS22's embedding has at most this
        many tensors, on exact step-order costs beyond (see
        :data:`PLAN_SEARCH_LIMIT`).

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
    chose the best, so always). The step-order descent for large embeddings
    has no shortlist, but it misses moves whose plan beats their step order
    when the step order alone shows no gain.

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
    if isinstance(plan_search_limit, bool) or not isinstance(plan_search_limit, int) or plan_search_limit < 0:
        raise SketchSizeError(f"invalid plan_search_limit={plan_search_limit!r}: give a number of tensors, 0 or more")
    numeric = _numeric(network, point)
    order = _order(numeric, order)
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    split_window(m, theta)
    if start is None:
        start = run_ms22(numeric, data_tree, m, order=order, theta=theta, prefix=prefix)
    if len(start.embedding.tensors) > plan_search_limit:
        return _step_order_result(numeric, data_tree, order, m, theta, prefix, start)
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
    plan = plan_tree(joint, data_tree, step_tree)
    best_choices = replace(best_choices, merges=tuple(_with_costs(best_choices, numeric, data_tree, order, prefix)))
    return BestT0Result(
        embedding, best_choices, joint, step_tree, data_tree, start, search.evaluated, exhaustive, "plan", plan
    )


def _step_order_result(
    numeric: TensorNetwork,
    data_tree: ContractionTree,
    order: tuple[Index, ...],
    m: int,
    theta: Fraction,
    prefix: str,
    start: MS22Result,
) -> BestT0Result:
    """best_t0 for a large embedding: step-order descent, then at most one plan search.

    The descent's choices replace MS22's only when their plan (the same
    search MS22's plan came from, or their step order when cheaper) costs
    strictly less than MS22's plan, so the result never costs more.
    """
    choices, step_cost = _step_order_descent(numeric, data_tree, order, m, theta, start)
    evaluated = 0
    known: tuple[ContractionTree, int, str] | None = None
    if _key(choices) == _key(start.choices):
        choices = start.choices
    elif step_cost >= start.plan_cost:
        # The plan search did better on MS22 than this step order: search this one too.
        embedding, step_tree = ms22_embedding(numeric, data_tree, choices, m, order=order, prefix=prefix, family="best_t0")
        known = plan_tree(joint_network(numeric, embedding), data_tree, step_tree)
        evaluated = 1
        if known[1] >= start.plan_cost:
            choices, known = start.choices, None
    # Otherwise the plan costs at most step_cost < MS22's plan cost, so no search is needed to decide.
    if choices is start.choices:
        known = start.known_plan
    embedding, step_tree = ms22_embedding(numeric, data_tree, choices, m, order=order, prefix=prefix, family="best_t0")
    joint = joint_network(numeric, embedding)
    choices = replace(choices, merges=tuple(_with_costs(choices, numeric, data_tree, order, prefix)))
    return BestT0Result(embedding, choices, joint, step_tree, data_tree, start, evaluated, False, "step order", known)


def _key(choices: MS22Choices) -> tuple:
    """What identifies a construction: the merge trees and every merge's option, b1 and m'."""
    return (tuple(sorted(choices.shapes.items())), tuple((c.signature(), c.b1, c.m_prime) for c in choices.merges))


def _with_costs(
    choices: MS22Choices, numeric: TensorNetwork, data_tree: ContractionTree, order: tuple[Index, ...], prefix: str
) -> list[MergeChoice]:
    """The merges of ``choices`` with their subtree costs filled in (every merge decided)."""
    return _decided_costs(_Skeleton(numeric, data_tree, order, choices.shapes), choices)


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
