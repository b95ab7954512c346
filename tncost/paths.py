"""Contraction-order search: exact subset dynamic programming and library bridges.

:func:`optimize` finds a contraction tree for a network, or for a subset of its
tensors, under the cost model of :mod:`tncost.cost`. A step costs the product
of the sizes of the union of both operands' kept indices, and a tree costs the
sum over its steps. Methods are looked up by name in :data:`METHODS`:

* ``"dp"``: the exact optimum by dynamic programming over every subset of the
  tensors, outer products included, so disconnected networks are handled and an
  outer product is used wherever it is cheapest.
* ``"cotengra"``: cotengra's seeded random-greedy search followed by its subtree
  reconfiguration, for networks too large for ``"dp"``.
* ``"greedy"``: opt_einsum's greedy pairwise search.
* ``"auto"``: ``"dp"`` up to :data:`AUTO_DP_LIMIT` tensors, ``"cotengra"`` above.

Symbolic sizes are searched at a numeric sample (:func:`sample_sizes`), and
:func:`optimize_with_report` says which sample and method were used.

Examples
--------
>>> from tncost.network import TensorNetwork
>>> net = TensorNetwork.from_inputs(
...     [("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"), {"a": 10, "b": 2, "c": 10, "d": 2}
... )
>>> optimize(net, "dp").nested()
(0, (1, 2))
"""

from __future__ import annotations

import operator
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .cost import tree_cost
from .errors import NetworkError, SearchLimitWarning, SizeError, SpecError
from .network import Index, TensorNetwork
from .tree import ContractionTree

__all__ = [
    "METHODS",
    "AUTO_DP_LIMIT",
    "DP_MAX_TENSORS",
    "AUTO_DP_SECONDS",
    "GREEDY_FALLBACK_LIMIT",
    "SearchTimeout",
    "DEFAULT_SAMPLE",
    "DEFAULT_SAMPLE_VALUE",
    "MethodFunction",
    "SearchResult",
    "optimize",
    "optimize_with_report",
    "register_method",
    "sample_sizes",
    "dp_optimal",
    "cotengra_search",
    "greedy_search",
]

#: A search method: ``function(network, positions, **options) -> ContractionTree``.
#: ``network`` has numeric sizes and ``positions`` is a sorted tuple of distinct
#: tensor positions; the tree's leaves must be exactly those positions.
MethodFunction = Callable[..., ContractionTree]

#: Largest number of tensors that ``"auto"`` hands to the exact ``"dp"`` search.
AUTO_DP_LIMIT = 14

#: Largest number of tensors ``"dp"`` accepts (its tables have ``2**n`` entries).
DP_MAX_TENSORS = 22

#: Largest number of tensors for which ``"auto"`` falls back to ``"greedy"`` when cotengra overflows.
#: NOTE: the planner's later steps are not bounded in time, so larger networks get an error instead.
GREEDY_FALLBACK_LIMIT = 128

#: Seconds ``"auto"`` lets the exact ``"dp"`` search run before it falls back to ``"cotengra"``.
AUTO_DP_SECONDS = 20.0

#: Symbol values used when a symbolic network is searched without ``sizes``.
DEFAULT_SAMPLE: Mapping[str, int] = MappingProxyType({"s": 1000, "R": 20, "m": 16})

#: Value of every symbol that :data:`DEFAULT_SAMPLE` does not list.
DEFAULT_SAMPLE_VALUE = 10


@dataclass(frozen=True)
class SearchResult:
    """The tree an order search found, with the facts needed to report it.

    Attributes
    ----------
    tree
        The contraction tree over the searched positions.
    ops_at_sample
        The tree's exact ops at ``sample`` (cost model of :mod:`tncost.cost`).
    method
        The method that produced the tree; for ``"auto"``, the method it chose.
    sample
        The symbol values the search used; empty for a numeric network.
    """

    tree: ContractionTree
    ops_at_sample: int
    method: str
    sample: Mapping[str, int]


# Symbol sample -------------------------------------------------------------------


def sample_sizes(network: TensorNetwork, sizes: Mapping[str, int] | None = None) -> dict[str, int]:
    """Return the symbol values at which an order search evaluates ``network``.

    Each symbol of the network takes its value from ``sizes`` when given there,
    else from :data:`DEFAULT_SAMPLE` (``s=1000``, ``R=20``, ``m=16``), else
    :data:`DEFAULT_SAMPLE_VALUE` (10).

    Parameters
    ----------
    network
        The network whose symbols need values.
    sizes
        Values chosen by the caller, by symbol name.

    Returns
    -------
    dict
        One positive int per symbol of the network, sorted by name; empty for
        a numeric network.

    Raises
    ------
    SizeError
        If ``sizes`` names a symbol the network does not use, or gives a value
        that is not a positive integer.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], ("a", "b"), {"a": "s", "b": "q", "i": "R"})
    >>> sample_sizes(net)
    {'R': 20, 'q': 10, 's': 1000}
    >>> sample_sizes(net, {"s": 64})
    {'R': 20, 'q': 10, 's': 64}
    """
    given = dict(sizes or {})
    symbols = network.symbols
    unknown = sorted(name for name in given if name not in symbols)
    if unknown:
        raise SizeError(
            f"unknown symbol(s) {', '.join(unknown)} in the sample sizes; the network's symbols are "
            f"{', '.join(symbols) or 'none (all sizes are numbers)'}"
        )
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SizeError(f"invalid sample value {value!r} for symbol {name}: use a positive integer")
    return {name: given.get(name, DEFAULT_SAMPLE.get(name, DEFAULT_SAMPLE_VALUE)) for name in symbols}


# Exact dynamic programming --------------------------------------------------------


class SearchTimeout(Exception):
    """Raised by :func:`dp_optimal` when its ``time_limit`` passes; ``"auto"`` then falls back."""


def dp_optimal(
    network: TensorNetwork, positions: Iterable[int] | None = None, *, time_limit: float | None = None
) -> ContractionTree:
    """Find a tree of minimum total ops by dynamic programming over all subsets.

    Every split of every subset is considered, outer products included, and all
    comparisons use exact Python ints.

    Parameters
    ----------
    network
        A network with numeric sizes.
    positions
        The tensor positions to order; default all. Indices that sit on tensors
        outside ``positions`` are kept, as in :func:`tncost.cost.tree_cost`.
    time_limit
        Seconds after which the search stops with :class:`SearchTimeout`;
        default no limit.

    Returns
    -------
    ContractionTree
        An optimal tree over ``positions``. Tensors are enumerated in name
        order and among splits of equal cost the first one enumerated wins, so
        the result is deterministic and does not depend on the order in which
        the tensors are listed.

    Raises
    ------
    NetworkError
        If the network has symbolic sizes, or ``positions`` is invalid or has
        more than :data:`DP_MAX_TENSORS` entries.

    Notes
    -----
    Subsets are bitmasks over the searched tensors and index sets are bitmasks
    over the indices. For each subset S, only splits whose left part contains the
    lowest tensor of S are enumerated (each unordered split once), and a split
    is skipped as soon as the best costs of its two parts reach the best cost
    found for S. The time is O(3**n) in the worst case. Measured on random
    networks (a ring of pair edges plus n random edges or hyperedges on 2-3
    tensors and a few open indices, sizes 2-6; Python 3.11, one core of the
    development machine): 0.01 s for 10 tensors, 0.08 s for 12, 0.8 s for 14
    and 7.5 s for 16.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> kron = TensorNetwork.from_inputs([("a",), ("b",), ("c",)], None, {"a": 2, "b": 3, "c": 50})
    >>> dp_optimal(kron).nested()
    ((0, 1), 2)
    """
    numeric = _require_numeric(network)
    chosen = _checked_positions(network, positions)
    count = len(chosen)
    if count > DP_MAX_TENSORS:
        raise NetworkError(
            f"the exact 'dp' search handles at most {DP_MAX_TENSORS} tensors, got {count}; "
            "use method='cotengra' for larger networks"
        )
    if count == 1:
        return ContractionTree((chosen[0],), ())
    leaves = chosen
    # Search the tensors in name order, so that among equal-cost trees the same one
    # wins however the tensors are listed (the result is the same up to relabelling).
    chosen = tuple(sorted(chosen, key=lambda position: numeric.tensors[position].name))

    # Bitmask encoding: bit k of a subset is chosen[k]; bit j of an index set is
    # the j-th index that sits on a searched tensor.
    local = {position: bit for bit, position in enumerate(chosen)}
    index_bit: dict[Index, int] = {}
    for position in chosen:
        for index in numeric.tensors[position].indices:
            index_bit.setdefault(index, len(index_bit))
    index_sizes = [int(numeric.size_dict[index]) for index in index_bit]
    open_set = set(numeric.output or ())

    tensor_indices = [0] * count
    for bit, position in enumerate(chosen):
        for index in numeric.tensors[position].indices:
            tensor_indices[bit] |= 1 << index_bit[index]

    # An index is summed inside S when it is not open and every tensor carrying it
    # is in S. So an index that touches an unsearched tensor is always kept.
    closable: list[tuple[int, int]] = []
    for index, bit in index_bit.items():
        holders = numeric.positions(index)
        if index in open_set or any(p not in local for p in holders):
            continue
        owner_mask = 0
        for p in holders:
            owner_mask |= 1 << local[p]
        closable.append((1 << bit, owner_mask))

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

    # Size of an index mask: a product of per-byte tables, each entry the exact
    # product of the sizes of the indices whose bits are set in that byte.
    chunk_tables = []
    for start in range(0, len(index_sizes), 8):
        table = [1] * 256
        for byte in range(1, 256):
            low_bit = byte & -byte
            offset = start + low_bit.bit_length() - 1
            factor = index_sizes[offset] if offset < len(index_sizes) else 1
            table[byte] = table[byte ^ low_bit] * factor
        chunk_tables.append((start, table))

    def size_of(mask: int) -> int:
        value = 1
        for start, table in chunk_tables:
            value *= table[(mask >> start) & 255]
        return value

    # best[S] is the minimum ops of contracting S, and split[S] is its left part.
    best = [0] * (full + 1)
    split = [0] * (full + 1)
    deadline = None if time_limit is None else time.monotonic() + time_limit
    for subset in range(1, full + 1):
        low = subset & -subset
        if subset == low:
            continue
        if deadline is not None and subset & 1023 == 0 and time.monotonic() > deadline:
            raise SearchTimeout(f"the exact search over {count} tensors took longer than {time_limit} s")
        # Start from the split {lowest tensor} | rest, then try every other one.
        rest = subset ^ low
        current = best[rest] + size_of(kept[low] | kept[rest])
        choice = low
        sub = (rest - 1) & rest
        while sub:
            left = low | sub
            right = rest ^ sub
            partial = best[left] + best[right]
            if partial < current:
                mask = kept[left] | kept[right]
                ops = 1
                for start, table in chunk_tables:
                    ops *= table[(mask >> start) & 255]
                candidate = partial + ops
                if candidate < current:
                    current = candidate
                    choice = left
            sub = (sub - 1) & rest
        best[subset] = current
        split[subset] = choice

    # Rebuild the steps bottom-up, left part (with the lowest tensor) first.
    steps: list[tuple[frozenset, frozenset]] = []

    def build(subset: int) -> frozenset:
        if subset & (subset - 1) == 0:
            return frozenset([chosen[subset.bit_length() - 1]])
        left = build(split[subset])
        right = build(subset ^ split[subset])
        steps.append((left, right))
        return left | right

    build(full)
    return ContractionTree(leaves, tuple(steps))


# Library bridges ------------------------------------------------------------------


def _sub_problem(
    network: TensorNetwork, positions: tuple[int, ...]
) -> tuple[list[tuple[Index, ...]], tuple[Index, ...], dict[Index, int]]:
    """Inputs, output and size_dict of the searched tensors, with outside indices open."""
    inside = set(positions)
    inputs = [network.tensors[p].indices for p in positions]
    open_set = set(network.output or ())
    output: dict[Index, None] = {}
    for term in inputs:
        for index in term:
            if index in open_set or any(p not in inside for p in network.positions(index)):
                output[index] = None
    size_dict = {index: int(network.size_dict[index]) for term in inputs for index in term}
    return inputs, tuple(output), size_dict


def cotengra_search(
    network: TensorNetwork,
    positions: Iterable[int] | None = None,
    *,
    seed: int = 0,
    max_repeats: int = 64,
    reconfigure: bool = True,
) -> ContractionTree:
    """Search with cotengra: seeded random-greedy trials, then subtree reconfiguration.

    Parameters
    ----------
    network
        A network with numeric sizes.
    positions
        The tensor positions to order; default all.
    seed
        Seed of cotengra's random-greedy trials; the same seed gives the same tree.
    max_repeats
        Number of random-greedy trials.
    reconfigure
        Whether to improve the best trial with cotengra's exact reoptimization
        of small subtrees (``ContractionTree.subtree_reconfigure``, minimizing flops).

    Returns
    -------
    ContractionTree
        A tree over ``positions`` (not guaranteed optimal).

    Raises
    ------
    NetworkError
        If the network has symbolic sizes or ``positions`` is invalid.
    SpecError
        If ``max_repeats`` is not a positive integer.

    Notes
    -----
    cotengra's ``HyperOptimizer`` is not used because its greedy trials draw
    from unseeded random state (cotengra 0.8), so equal calls could return
    different trees. ``RandomGreedyOptimizer`` with a seed, the pure-Python
    backend and no parallelism is reproducible.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"), {"a": 10, "b": 2, "c": 10, "d": 2})
    >>> cotengra_search(net, seed=1).nested()
    (0, (1, 2))
    """
    import cotengra
    from cotengra.pathfinders.path_basic import RandomGreedyOptimizer

    numeric = _require_numeric(network)
    chosen = _checked_positions(network, positions)
    if isinstance(max_repeats, bool) or not isinstance(max_repeats, int) or max_repeats < 1:
        raise SpecError(f"invalid max_repeats {max_repeats!r}: use a positive integer")
    if len(chosen) == 1:
        return ContractionTree(chosen, ())
    inputs, output, size_dict = _sub_problem(numeric, chosen)
    if len(chosen) == 2:
        return ContractionTree.from_ssa_path([(0, 1)], chosen)

    finder = RandomGreedyOptimizer(max_repeats=max_repeats, seed=seed, accel=False, parallel=False)
    ssa_path = finder.ssa_path(inputs, output, size_dict)
    if reconfigure:
        tree = cotengra.ContractionTree.from_path(inputs, output, size_dict, ssa_path=ssa_path)
        tree = tree.subtree_reconfigure(minimize="flops")
        ssa_path = tree.get_ssa_path()
    return ContractionTree.from_ssa_path([tuple(step) for step in ssa_path], chosen)


def greedy_search(network: TensorNetwork, positions: Iterable[int] | None = None) -> ContractionTree:
    """Search with opt_einsum's greedy pairwise heuristic (``opt_einsum.paths.greedy``).

    Parameters
    ----------
    network
        A network with numeric sizes.
    positions
        The tensor positions to order; default all.

    Returns
    -------
    ContractionTree
        A tree over ``positions`` (not guaranteed optimal).

    Raises
    ------
    NetworkError
        If the network has symbolic sizes or ``positions`` is invalid.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 2, "b": 3, "c": 4})
    >>> greedy_search(net).nested()
    (0, 1)
    """
    from opt_einsum.paths import greedy

    numeric = _require_numeric(network)
    chosen = _checked_positions(network, positions)
    if len(chosen) == 1:
        return ContractionTree(chosen, ())
    inputs, output, size_dict = _sub_problem(numeric, chosen)
    path = greedy([frozenset(term) for term in inputs], frozenset(output), size_dict)
    return ContractionTree.from_path([tuple(step) for step in path], chosen)


def _auto_search(network: TensorNetwork, positions: Iterable[int] | None = None, **options: Any) -> ContractionTree:
    """Run the exact ``"dp"`` search within its limits, else fall back to a heuristic with a warning.

    The limits and fallbacks, in order:

    1. ``"dp"`` runs for at most :data:`AUTO_DP_LIMIT` tensors and
       :data:`AUTO_DP_SECONDS` seconds; beyond either, ``"cotengra"`` runs and a
       :class:`~tncost.errors.SearchLimitWarning` warns that the order may
       not be optimal.
    2. ``"cotengra"`` scores trees in floating point, which overflows for costs
       above about 1e308; then opt_einsum's ``"greedy"`` search, which counts
       with exact integers, runs instead, with the same warning, for networks
       of at most :data:`GREEDY_FALLBACK_LIMIT` tensors. Larger ones get a
       :class:`~tncost.errors.NetworkError`.
    """
    chosen = _checked_positions(network, positions)
    method = _auto_choice(len(chosen))
    if method == "dp":
        try:
            return dp_optimal(network, chosen, time_limit=AUTO_DP_SECONDS)
        except SearchTimeout as err:
            _warn_limit(f"{err}; the order comes from the cotengra heuristic and may not be optimal")
    else:
        _warn_limit(
            f"the network has {len(chosen)} tensors, more than the {AUTO_DP_LIMIT} of the exact search; "
            "the order comes from the cotengra heuristic and may not be optimal"
        )
    try:
        return cotengra_search(network, chosen, **options)
    except OverflowError as err:
        if len(chosen) > GREEDY_FALLBACK_LIMIT:
            raise NetworkError(
                f"the network's sizes are too large for the cotengra search, which scores trees in floating "
                f"point ({err}), and its {len(chosen)} tensors are more than the {GREEDY_FALLBACK_LIMIT} of the "
                "exact-integer fallback; give smaller --sizes or fewer tensors"
            ) from err
        _warn_limit(
            "the sizes are too large for cotengra, which scores trees in floating point; the order comes "
            "from opt_einsum's greedy heuristic, which counts exactly, and may not be optimal"
        )
    try:
        return greedy_search(network, chosen)
    except OverflowError as err:
        raise NetworkError(
            f"the network's sizes are too large for every order search ({err}); give smaller --sizes or fewer tensors"
        ) from err


def _warn_limit(message: str) -> None:
    warnings.warn(message, SearchLimitWarning, stacklevel=3)


def _auto_choice(count: int) -> str:
    return "dp" if count <= AUTO_DP_LIMIT else "cotengra"


# Registry and entry points ---------------------------------------------------------

METHODS: dict[str, MethodFunction] = {
    "dp": dp_optimal,
    "cotengra": cotengra_search,
    "greedy": greedy_search,
    "auto": _auto_search,
}
"""Search methods by name; extend with :func:`register_method`."""


def register_method(name: str, function: MethodFunction, *, replace: bool = False) -> None:
    """Add a search method to :data:`METHODS` under ``name``.

    Parameters
    ----------
    name
        The method's name, as passed to :func:`optimize`.
    function
        Called as ``function(network, positions, **options)`` with a numeric
        network and a sorted tuple of positions; returns a
        :class:`~tncost.tree.ContractionTree` whose leaves are those positions.
    replace
        Allow replacing a method that is already registered.

    Raises
    ------
    SpecError
        If ``name`` is not a non-empty string, ``function`` is not callable, or
        ``name`` is taken and ``replace`` is false.

    Examples
    --------
    >>> register_method("left-to-right", lambda net, positions: ContractionTree.from_path(
    ...     [(0, 1)] * (len(positions) - 1), positions))
    >>> "left-to-right" in METHODS
    True
    >>> del METHODS["left-to-right"]
    """
    if not isinstance(name, str) or not name:
        raise SpecError(f"invalid method name {name!r}: use a non-empty string")
    if not callable(function):
        raise SpecError(f"method {name!r}: {function!r} is not callable")
    if name in METHODS and not replace:
        raise SpecError(f"method {name!r} is already registered; pass replace=True to replace it")
    METHODS[name] = function


def optimize_with_report(
    network: TensorNetwork,
    method: str = "auto",
    *,
    positions: Iterable[int] | None = None,
    sizes: Mapping[str, int] | None = None,
    **options: Any,
) -> SearchResult:
    """Find a contraction tree and report the method, sample and ops behind it.

    Parameters
    ----------
    network
        The network; symbolic sizes are replaced by :func:`sample_sizes`.
    method
        A name in :data:`METHODS`.
    positions
        The tensor positions to order; default all. Indices on tensors outside
        ``positions`` are kept (treated as open).
    sizes
        Symbol values for the search; see :func:`sample_sizes`.
    **options
        Passed to the method, for example ``seed`` or ``max_repeats`` for
        ``"cotengra"``.

    Returns
    -------
    SearchResult
        The tree, its exact ops at the sample, the method that ran, and the sample.

    Raises
    ------
    SpecError
        For an unknown method name.
    NetworkError
        For positions out of range, repeated, or empty.
    SizeError
        For invalid sample sizes.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], ("a", "b"), {"a": "s", "b": "s", "i": "R"})
    >>> result = optimize_with_report(net, "dp")
    >>> result.method, dict(result.sample), result.ops_at_sample
    ('dp', {'R': 20, 's': 1000}, 20000000)
    """
    function = _lookup(method)
    sample = sample_sizes(network, sizes)
    numeric = network.at_sizes(sample)
    chosen = _checked_positions(numeric, positions)
    tree = function(numeric, chosen, **options)
    if not isinstance(tree, ContractionTree) or tuple(sorted(tree.leaves)) != chosen:
        raise SpecError(
            f"method {method!r} returned {tree!r}, which is not a ContractionTree over positions {list(chosen)}"
        )
    used = _auto_choice(len(chosen)) if method == "auto" else method
    ops = tree_cost(numeric, tree).ops
    return SearchResult(tree=tree, ops_at_sample=int(ops), method=used, sample=MappingProxyType(sample))


def optimize(
    network: TensorNetwork,
    method: str = "auto",
    *,
    positions: Iterable[int] | None = None,
    sizes: Mapping[str, int] | None = None,
    **options: Any,
) -> ContractionTree:
    """Find a contraction tree for ``network`` with a named search method.

    Same parameters and errors as :func:`optimize_with_report`, which also
    returns the sample, method and ops.

    Returns
    -------
    ContractionTree
        A tree over ``positions`` (default every tensor).

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 2, "b": 3, "c": 4})
    >>> optimize(net).ssa_path()
    [(0, 1)]
    """
    return optimize_with_report(network, method, positions=positions, sizes=sizes, **options).tree


# Checks ------------------------------------------------------------------------------


def _lookup(method: str) -> MethodFunction:
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise SpecError(f"unknown search method {method!r}; valid methods are {', '.join(sorted(METHODS))}") from None


def _require_numeric(network: TensorNetwork) -> TensorNetwork:
    if not isinstance(network, TensorNetwork):
        raise NetworkError(f"expected a TensorNetwork, got {type(network).__name__}")
    if not network.is_numeric:
        raise NetworkError(
            f"the network has symbolic sizes ({', '.join(network.symbols)}); substitute numbers with "
            "network.at_sizes(...) or call optimize(), which searches at a numeric sample"
        )
    return network


def _checked_positions(network: TensorNetwork, positions: Iterable[int] | None) -> tuple[int, ...]:
    count = len(network.tensors)
    if positions is None:
        return tuple(range(count))
    chosen = []
    for position in positions:
        try:
            value = operator.index(position)
        except TypeError:
            value = -1
        if isinstance(position, bool) or not 0 <= value < count:
            raise NetworkError(
                f"tensor position {position!r} is out of range; the network has positions 0..{count - 1}"
            )
        chosen.append(value)
    if not chosen:
        raise NetworkError(f"no tensor positions to order; give at least one of 0..{count - 1}")
    repeated = sorted({p for p in chosen if chosen.count(p) > 1})
    if repeated:
        raise NetworkError(f"tensor position {repeated[0]} is listed more than once; list each position once")
    return tuple(sorted(chosen))
