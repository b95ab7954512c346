"""Numeric execution of plans: Gaussian draws, pairwise contraction, counting, distortion.

This module runs numbers. It draws the Gaussian tensors of an embedding and
contracts a network along a :class:`~tncost.tree.ContractionTree`, one
pairwise step at a time as one (batched) ``numpy.matmul``, the way
``opt_einsum``'s tensordot backend contracts a pair but with batch indices
sent to BLAS as well, and it
counts the operations of those steps from the shapes of their operands and
times them. Over seeded trials, it measures how well a sketch preserves norms.

Functions take plain arguments: a :class:`~tncost.network.TensorNetwork`
whose tensors are marked ``"data"`` or ``"embedding"``, arrays keyed by tensor
name, and standard deviations keyed by tensor name. They work with any
embedding, whichever constructor built it.

Counting. A pairwise step with operands A and B does
``ops = |idx(A) ∪ idx(B)|`` multiply-adds (every distinct index once, summed
or not): the cost model of :mod:`tncost.cost`, cotengra's
``contraction_cost``. Here the product is taken over the dimensions of the
arrays actually passed to each step, so it checks the prediction rather than
repeating it.

Examples
--------
>>> from tncost.network import TensorNetwork
>>> from tncost.tree import ContractionTree
>>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 2, "b": 3, "c": 4})
>>> run = execute_tree(net, ContractionTree.from_path([(0, 1)], 2), random_data(net, seed=0))
>>> run.result.shape, run.result_indices, run.executed_ops
((2, 4), ('a', 'c'), 24)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import opt_einsum

from .cost import kept_indices, tree_cost
from .errors import MemoryBudgetError, NetworkError, PathError, SizeError, SpecError
from .network import Index, TensorNetwork
from .random import Seed, spawn_seeds
from .tree import ContractionTree, Node

__all__ = [
    "MAX_GRAM_COLUMNS",
    "SCALINGS",
    "ExecutedStep",
    "ExecutionResult",
    "SubspaceStats",
    "DistortionStats",
    "EmbeddingSampler",
    "embedding_stddevs",
    "gaussian_tensors",
    "random_data",
    "embedding_sampler",
    "available_memory",
    "memory_budget",
    "check_memory",
    "execute_tree",
    "data_network",
    "squared_norm",
    "gram_matrix",
    "whitening",
    "distortion_trials",
]

#: The maximum number of kept columns (the product of the kept index sizes)
#: for which the subspace distortion forms a dense Gram matrix. At 2048 columns
#: the matrix takes 32 MiB in float64, and ``numpy.linalg.eigh`` took 1.3 s on
#: a two-core test machine (an estimate for other machines).
MAX_GRAM_COLUMNS = 2048

#: The scaling rules of Gaussian embeddings (see :func:`embedding_stddevs`).
SCALINGS = ("rows", "khatri-rao")

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_ZERO_DATA = "the data network evaluates to zero (‖x‖ = 0), so its distortion is undefined; use nonzero data"

#: Operand counts up to which the norm and Gram contractions search with
#: opt_einsum's ``"auto-hq"``; larger ones use ``"greedy"``.
_HQ_OPERANDS = 32

Arrays = Mapping[str, np.ndarray]
#: A function that draws every embedding tensor from a seed, by tensor name.
EmbeddingSampler = Callable[[Seed], Mapping[str, np.ndarray]]
DTypeLike = Union[str, type, np.dtype]


# Results ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutedStep:
    """One pairwise step as executed: operands, indices, shapes, ops and time.

    ``ops`` is the product of the distinct dimensions of both operand arrays;
    ``seconds`` is the wall time of the contraction call alone.
    """

    left: Node
    right: Node
    indices: tuple[Index, ...]
    result_indices: tuple[Index, ...]
    shapes: tuple[tuple[int, ...], tuple[int, ...]]
    result_shape: tuple[int, ...]
    ops: int
    seconds: float


@dataclass(frozen=True, eq=False)
class ExecutionResult:
    """The outcome of :func:`execute_tree`.

    ``result`` has its axes in ``result_indices`` order: the network's output
    order when the tree covers every tensor. ``executed_ops`` is the sum of the
    steps' ops, an exact int; ``seconds`` is the sum of the steps' times.
    """

    result: np.ndarray
    result_indices: tuple[Index, ...]
    executed_ops: int
    steps: tuple[ExecutedStep, ...]
    seconds: float


@dataclass(frozen=True)
class SubspaceStats:
    """Extreme singular values of S·U per trial, for an orthonormal basis U of range(x).

    ``rank`` is the dimension of range(x) that was kept (eigenvalues of the
    Gram matrix above the cut-off) out of ``columns`` kept columns. A trial
    whose sketch has fewer rows than ``rank`` has ``sigma_min`` 0.
    ``fraction_outside`` is the share of trials with ``sigma_min**2 < 1 - eps``
    or ``sigma_max**2 > 1 + eps``.
    """

    sigma_min: tuple[float, ...]
    sigma_max: tuple[float, ...]
    rank: int
    columns: int
    eps: float
    fraction_outside: float

    @property
    def sigma_min_squared(self) -> tuple[float, ...]:
        """``sigma_min`` squared: the smallest ‖SUz‖² over unit vectors z."""
        return tuple(v * v for v in self.sigma_min)

    @property
    def sigma_max_squared(self) -> tuple[float, ...]:
        """``sigma_max`` squared: the largest ‖SUz‖² over unit vectors z."""
        return tuple(v * v for v in self.sigma_max)


@dataclass(frozen=True)
class DistortionStats:
    """Distortion ratios ‖Sx‖²/‖x‖² over seeded trials, with summary figures.

    ``std`` is the sample standard deviation (``ddof=1``; 0 for one trial).
    ``fraction_outside`` is the share of trials with ``|ratio - 1| > eps``.
    ``executed_ops`` is the ops of one trial's contraction, because every
    trial does the same steps. ``seconds`` contains each trial's contraction
    time.
    ``subspace`` is set when the subspace distortion was requested.
    """

    ratios: tuple[float, ...]
    mean: float
    std: float
    min: float
    max: float
    fraction_outside: float
    eps: float
    trials: int
    squared_norm: float
    executed_ops: int
    seconds: tuple[float, ...]
    subspace: SubspaceStats | None = None


# Validation helpers -------------------------------------------------------------


def _numeric_sizes(network: TensorNetwork) -> dict[Index, int]:
    if not network.is_numeric:
        raise SizeError(
            f"cannot execute a network with symbolic sizes (symbols {', '.join(network.symbols)}); "
            "substitute numbers first with TensorNetwork.at_sizes"
        )
    return {index: int(size) for index, size in network.size_dict.items()}


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise SpecError(f"invalid dtype {dtype!r}: use float32 or float64") from err
    if resolved not in _DTYPES:
        raise SpecError(f"unsupported dtype {resolved.name}: Gaussian tensors are drawn as float32 or float64")
    return resolved


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"invalid {what} {value!r}: give a positive integer")
    return int(value)


def _positive_float(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise SpecError(f"invalid {what} {value!r}: give a positive number") from err
    if not (math.isfinite(number) and number > 0):
        raise SpecError(f"invalid {what} {value!r}: give a positive finite number")
    return number


def _symbols(indices: Iterable[Index]) -> dict[Index, str]:
    return {index: opt_einsum.get_symbol(k) for k, index in enumerate(dict.fromkeys(indices))}


def _equation(inputs: Sequence[Sequence[Index]], output: Sequence[Index]) -> str:
    letters = _symbols([i for ix in inputs for i in ix])
    return ",".join("".join(letters[i] for i in ix) for ix in inputs) + "->" + "".join(letters[i] for i in output)


def _optimize_for(count: int) -> str:
    return "auto-hq" if count <= _HQ_OPERANDS else "greedy"


# Drawing Gaussian tensors -------------------------------------------------------


def embedding_stddevs(row_sizes: Mapping[str, int], scaling: str = "rows", m: int | None = None) -> dict[str, float]:
    """Return the standard deviation of each embedding tensor's entries.

    Parameters
    ----------
    row_sizes
        The row size |out_i| of each embedding tensor, keyed by tensor name.
    scaling
        ``"rows"``: entries of tensor i are N(0, 1/|out_i|), so that
        E‖Sx‖² = ‖x‖² for an embedding in sequence form.
        ``"khatri-rao"``: the N factors are N(0, 1) and the whole product is
        scaled by 1/√m. The scale is spread evenly: each factor gets standard
        deviation ``m ** (-1 / (2 N))``, so the product of the N standard
        deviations is ``1/√m`` and no factor is singled out.
    m
        The sketch size for ``"khatri-rao"``; by default the common row size
        of the factors. Unused for ``"rows"``.

    Returns
    -------
    dict
        Tensor name to standard deviation.

    Raises
    ------
    SpecError
        For an unknown ``scaling``, a missing or invalid ``m``.
    SizeError
        For a row size that is not a positive integer.

    Examples
    --------
    >>> embedding_stddevs({"G0": 4, "G1": 16})
    {'G0': 0.5, 'G1': 0.25}
    >>> sds = embedding_stddevs({"A": 16, "B": 16}, "khatri-rao")
    >>> round(sds["A"] * sds["B"], 12)
    0.25
    """
    if scaling not in SCALINGS:
        raise SpecError(f"unknown scaling {scaling!r}; use one of {', '.join(SCALINGS)}")
    if not row_sizes:
        raise SpecError("no embedding tensors given: row_sizes is empty")
    rows: dict[str, int] = {}
    for name, size in row_sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise SizeError(f"embedding tensor {name}: invalid row size {size!r}; row sizes are positive integers")
        rows[name] = int(size)

    if scaling == "rows":
        return {name: 1.0 / math.sqrt(size) for name, size in rows.items()}

    if m is None:
        distinct = sorted(set(rows.values()))
        if len(distinct) != 1:
            raise SpecError(
                f"Khatri-Rao factors have different row sizes {distinct}; pass the sketch size m explicitly"
            )
        m = distinct[0]
    sketch_size = _positive_int(m, "sketch size m")
    factor = sketch_size ** (-1.0 / (2 * len(rows)))
    return {name: factor for name in rows}


def gaussian_tensors(
    network: TensorNetwork,
    positions: Iterable[int],
    stddevs: Mapping[str, float] | float,
    seed: Seed = None,
    dtype: DTypeLike = np.float64,
) -> dict[str, np.ndarray]:
    """Draw i.i.d. N(0, std²) tensors for the given tensor positions.

    Tensor k of ``positions`` (in the order given) is drawn from its own
    generator, seeded by the k-th child of ``seed``'s ``SeedSequence``. So the
    same seed gives the same arrays in every process. A tensor's values depend
    only on the seed and its rank in ``positions``, not on the shapes of the
    others.

    Parameters
    ----------
    network
        A network with numeric sizes; shapes follow its ``size_dict`` and
        each tensor's index order.
    positions
        The tensor positions to draw (for example
        ``network.embedding_positions()``).
    stddevs
        The standard deviation per tensor name, or one number for all.
    seed
        See :mod:`tncost.random`.
    dtype
        ``float32`` or ``float64``.

    Returns
    -------
    dict
        Tensor name to array.

    Raises
    ------
    SizeError
        If the network has symbolic sizes.
    PathError
        If a position is out of range.
    SpecError
        For a missing or non-positive standard deviation, or another dtype.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b")], size_dict={"a": 2, "b": 3})
    >>> arrays = gaussian_tensors(net, [0], {"T0": 0.5}, seed=1)
    >>> arrays["T0"].shape
    (2, 3)
    >>> bool((arrays["T0"] == gaussian_tensors(net, [0], 0.5, seed=1)["T0"]).all())
    True
    """
    sizes = _numeric_sizes(network)
    resolved = _float_dtype(dtype)
    chosen = list(positions)
    count = len(network.tensors)
    for position in chosen:
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not 0 <= position < count:
            raise PathError(f"tensor position {position!r} is out of range; the network has positions 0..{count - 1}")
    names = [network.tensors[p].name for p in chosen]
    if isinstance(stddevs, Mapping):
        missing = [n for n in names if n not in stddevs]
        if missing:
            raise SpecError(f"no standard deviation for tensor {missing[0]!r}; give one for each of {', '.join(names)}")
        scales = {n: _positive_float(stddevs[n], f"standard deviation of {n}") for n in names}
    else:
        scale = _positive_float(stddevs, "standard deviation")
        scales = {n: scale for n in names}

    arrays: dict[str, np.ndarray] = {}
    for child, position, name in zip(spawn_seeds(seed, len(chosen)), chosen, names):
        shape = tuple(sizes[i] for i in network.tensors[position].indices)
        array = np.random.default_rng(child).standard_normal(shape, dtype=resolved)
        array *= resolved.type(scales[name])
        arrays[name] = array
    return arrays


def random_data(network: TensorNetwork, seed: Seed = None, dtype: DTypeLike = np.float64) -> dict[str, np.ndarray]:
    """Draw standard Gaussian arrays for the data tensors of ``network``.

    Parameters
    ----------
    network
        A network with numeric sizes.
    seed
        See :mod:`tncost.random`.
    dtype
        ``float32`` or ``float64``.

    Returns
    -------
    dict
        Data tensor name to array with N(0, 1) entries.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "b"), ("b",)], size_dict={"a": 2, "b": 3})
    >>> sorted((name, a.shape) for name, a in random_data(net, seed=0).items())
    [('T0', (2, 3)), ('T1', (3,))]
    """
    return gaussian_tensors(network, network.data_positions(), 1.0, seed, dtype)


def embedding_sampler(
    network: TensorNetwork, stddevs: Mapping[str, float] | float, dtype: DTypeLike = np.float64
) -> EmbeddingSampler:
    """Return a function that draws the embedding tensors of ``network`` from a seed.

    The function is what :func:`distortion_trials` calls once per trial.

    Parameters
    ----------
    network
        A joint network (data and embedding tensors) with numeric sizes.
    stddevs
        The standard deviation per embedding tensor name (see
        :func:`embedding_stddevs`), or one number for all.
    dtype
        ``float32`` or ``float64``.

    Returns
    -------
    callable
        ``sampler(seed) -> dict`` of embedding tensor name to array.

    Examples
    --------
    >>> from tncost.network import Tensor, TensorNetwork
    >>> net = TensorNetwork((Tensor("x", ("a",)), Tensor("S", ("k", "a"), "embedding")), {"a": 5, "k": 2}, ("k",))
    >>> embedding_sampler(net, {"S": 0.5})(3)["S"].shape
    (2, 5)
    """
    positions = network.embedding_positions()
    if not positions:
        raise NetworkError("the network has no embedding tensors to draw; mark them with kind='embedding'")
    _float_dtype(dtype)

    def sample(seed: Seed) -> dict[str, np.ndarray]:
        return gaussian_tensors(network, positions, stddevs, seed, dtype)

    return sample


# Memory -------------------------------------------------------------------------


def available_memory() -> int:
    """Return the bytes of memory available to new allocations.

    Reads ``MemAvailable`` from ``/proc/meminfo`` (Linux); elsewhere it falls
    back to ``os.sysconf`` (available physical pages times the page size).

    Returns
    -------
    int

    Raises
    ------
    MemoryBudgetError
        If neither source can be read; pass an explicit budget instead.

    Examples
    --------
    >>> available_memory() > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    value, unit = line.split()[1:3]
                    return int(value) * (1024 if unit.lower() == "kb" else 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        pages = page_size = -1
    if pages > 0 and page_size > 0:
        return int(pages) * int(page_size)
    raise MemoryBudgetError(
        "cannot determine the available memory (no /proc/meminfo MemAvailable and no sysconf figure); "
        "pass budget_bytes explicitly"
    )


def memory_budget() -> int:
    """Return the default memory budget in bytes: half of :func:`available_memory`.

    Examples
    --------
    >>> 0 < memory_budget() <= available_memory()
    True
    """
    return available_memory() // 2


def check_memory(live_peak_entries: object, dtype: DTypeLike = np.float64, budget_bytes: int | None = None) -> int:
    """Check that a plan's live peak fits in the memory budget, before allocating.

    Parameters
    ----------
    live_peak_entries
        The largest number of entries alive at once (``TreeCost.live_peak``),
        an int or an integer-valued sympy number.
    dtype
        The entry type; its item size converts entries to bytes.
    budget_bytes
        The budget; by default :func:`memory_budget` (half the available
        memory).

    Returns
    -------
    int
        The bytes needed.

    Raises
    ------
    MemoryBudgetError
        If the bytes needed exceed the budget; the message gives both figures
        and how to change the budget.
    SizeError
        If ``live_peak_entries`` is symbolic or negative.
    SpecError
        If ``budget_bytes`` is not a positive integer.

    Examples
    --------
    >>> check_memory(1000)
    8000
    >>> check_memory(1000, budget_bytes=100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tncost.errors.MemoryBudgetError: the plan needs 8000 bytes ... but only 100 bytes are available ...
    """
    try:
        entries = int(live_peak_entries)  # type: ignore[call-overload]
    except (TypeError, ValueError) as err:
        raise SizeError(
            f"live peak {live_peak_entries!r} is not a number; substitute every size symbol before checking memory"
        ) from err
    if entries != live_peak_entries or entries < 0:
        raise SizeError(f"live peak {live_peak_entries!r} is not a non-negative integer count of entries")
    itemsize = np.dtype(dtype).itemsize
    needed = entries * itemsize

    if budget_bytes is None:
        available = available_memory()
        budget = available // 2
        source = f"half of the {available} bytes of available memory"
    else:
        budget = _positive_int(budget_bytes, "memory budget budget_bytes")
        source = "set by budget_bytes"
    if needed > budget:
        raise MemoryBudgetError(
            f"the plan needs {needed} bytes at its live peak ({entries} entries of {np.dtype(dtype).name}, "
            f"{itemsize} bytes each), but only {budget} bytes are available under the memory budget ({source}); "
            "raise the budget (budget_bytes in Python, --memory-budget on the command line), choose smaller "
            "sizes, or pick a plan with a smaller live peak"
        )
    return needed


# Execution ----------------------------------------------------------------------


def _leaf_arrays(
    network: TensorNetwork, tree: ContractionTree, arrays: Arrays, sizes: Mapping[Index, int]
) -> dict[Node, tuple[tuple[Index, ...], np.ndarray]]:
    names = {t.name for t in network.tensors}
    unknown = sorted(name for name in arrays if name not in names)
    if unknown:
        raise NetworkError(
            f"array given for unknown tensor {unknown[0]!r}; the tensors are "
            f"{', '.join(t.name for t in network.tensors)}"
        )
    leaves = {}
    for position in tree.leaves:
        tensor = network.tensors[position]
        if tensor.name not in arrays:
            raise NetworkError(f"no array for tensor {tensor.name!r}; give an array for every leaf of the tree")
        array = np.asarray(arrays[tensor.name])
        expected = tuple(sizes[i] for i in tensor.indices)
        if array.shape != expected:
            raise SizeError(
                f"the array of tensor {tensor.name!r} has shape {array.shape}, but its indices "
                f"{tensor.indices} have sizes {expected}"
            )
        leaves[frozenset([position])] = (tensor.indices, array)
    return leaves


def _reduce(indices: tuple[Index, ...], array: np.ndarray, target: tuple[Index, ...]) -> np.ndarray:
    """Sum the indices missing from ``target`` and order the axes as ``target``."""
    if indices == target:
        return array
    letters = _symbols(indices)
    return np.einsum("".join(letters[i] for i in indices) + "->" + "".join(letters[i] for i in target), array)


#: A pair whose thinner side has at most this many columns (batch times kept
#: entries) is contracted by streaming einsum when matrix layout would need a
#: copy of the larger operand.
STREAMING_LIMIT = 16


def _grouped(array: np.ndarray, indices: tuple[Index, ...], groups: tuple[tuple[Index, ...], ...]) -> np.ndarray:
    """Transpose ``array`` so its axes follow ``groups`` in order (a view when already in that order)."""
    order = [indices.index(i) for group in groups for i in group]
    if order == list(range(len(indices))):
        return array
    return array.transpose(order)


def _pairwise(
    a_indices: tuple[Index, ...], a: np.ndarray, b_indices: tuple[Index, ...], b: np.ndarray, out: tuple[Index, ...]
) -> np.ndarray:
    """Contract two operands as one (batched) matrix product and return the axes in ``out`` order.

    Indices on both operands and in ``out`` are batch axes, on both and not in
    ``out`` are summed, on one operand and in ``out`` are kept. The summed
    axes follow their order in the larger operand and each operand is laid
    out as (batch, kept, summed) or (batch, summed, kept), whichever needs no
    transposition; so the larger operand is not copied when its summed axes
    are already contiguous, and the product runs in BLAS.
    """
    out_set = set(out)
    # Indices on one operand only and not kept are summed out first.
    a_only = tuple(i for i in a_indices if i not in b_indices and i not in out_set)
    if a_only:
        a_indices, a = tuple(i for i in a_indices if i not in a_only), a.sum(axis=tuple(a_indices.index(i) for i in a_only))
    b_only = tuple(i for i in b_indices if i not in a_indices and i not in out_set)
    if b_only:
        b_indices, b = tuple(i for i in b_indices if i not in b_only), b.sum(axis=tuple(b_indices.index(i) for i in b_only))

    larger = a_indices if a.size >= b.size else b_indices
    batch = tuple(i for i in larger if i in a_indices and i in b_indices and i in out_set)
    summed = tuple(i for i in larger if i in a_indices and i in b_indices and i not in out_set)
    left = tuple(i for i in a_indices if i not in b_indices)
    right = tuple(i for i in b_indices if i not in a_indices)

    def sizes(array: np.ndarray, indices: tuple[Index, ...], group: tuple[Index, ...]) -> int:
        return int(np.prod([array.shape[indices.index(i)] for i in group], dtype=np.int64))

    nb, nl, nr, nc = sizes(a, a_indices, batch), sizes(a, a_indices, left), sizes(b, b_indices, right), sizes(a, a_indices, summed)

    identity_a = list(range(len(a_indices)))
    identity_b = list(range(len(b_indices)))
    a_direct = [a_indices.index(i) for i in batch + left + summed] == identity_a
    a_swapped = [a_indices.index(i) for i in batch + summed + left] == identity_a
    b_direct = [b_indices.index(i) for i in batch + summed + right] == identity_b
    b_swapped = [b_indices.index(i) for i in batch + right + summed] == identity_b
    larger_is_a = larger is a_indices
    larger_copied = not (a_direct or a_swapped) if larger_is_a else not (b_direct or b_swapped)
    if larger_copied and nb * (nr if larger_is_a else nl) <= STREAMING_LIMIT:
        # A product with a thin other side is bound by memory traffic: copying
        # the larger operand into matrix layout would cost more than the product,
        # so einsum streams through it in place.
        letters = _symbols(a_indices + b_indices)
        equation = "".join(letters[i] for i in a_indices) + "," + "".join(letters[i] for i in b_indices)
        return np.einsum(equation + "->" + "".join(letters[i] for i in out), a, b)

    # Lay out A as (batch, left, summed), or (batch, summed, left) read transposed.
    if a_swapped and not a_direct:
        a3 = a.reshape(nb, nc, nl).swapaxes(1, 2)
    else:
        a3 = _grouped(a, a_indices, (batch, left, summed)).reshape(nb, nl, nc)
    # Lay out B as (batch, summed, right), or (batch, right, summed) read transposed.
    if b_swapped and not b_direct:
        b3 = b.reshape(nb, nr, nc).swapaxes(1, 2)
    else:
        b3 = _grouped(b, b_indices, (batch, summed, right)).reshape(nb, nc, nr)

    product = np.matmul(a3[0], b3[0])[None] if nb == 1 else np.matmul(a3, b3)
    shape = [a.shape[a_indices.index(i)] for i in batch + left] + [b.shape[b_indices.index(i)] for i in right]
    result = product.reshape(shape)
    natural = batch + left + right
    return result.transpose([natural.index(i) for i in out]) if natural != out else result


def execute_tree(
    network: TensorNetwork,
    tree: ContractionTree,
    arrays: Arrays,
    *,
    budget_bytes: int | None = None,
    memory_check: bool = True,
) -> ExecutionResult:
    """Contract ``arrays`` along ``tree``, one explicit pairwise step at a time.

    Each step joins two operands as one batched matrix product (see
    :func:`_pairwise`), so batch indices also run in BLAS and the larger
    operand is not copied when its summed axes are already contiguous. The result of a step keeps the indices that are open or
    still sit on a tensor outside it, the rule of
    :func:`tncost.cost.kept_indices`. When the tree covers every tensor, the
    last step puts the output indices in the network's output order.

    Parameters
    ----------
    network
        A network with numeric sizes.
    tree
        A contraction tree over some or all of the network's positions.
    arrays
        Tensor name to array, one for each leaf, shaped as the tensor's
        indices.
    budget_bytes
        The memory budget for :func:`check_memory` (default: half the
        available memory).
    memory_check
        Check the tree's live peak against the budget before contracting.

    Returns
    -------
    ExecutionResult
        The final array, its indices, the executed ops, the steps and the time.

    Raises
    ------
    SizeError
        If sizes are symbolic or an array's shape disagrees with the sizes.
    NetworkError
        If a leaf has no array or an array names an unknown tensor.
    PathError
        If the tree names a position the network does not have.
    MemoryBudgetError
        If the live peak exceeds the budget.

    Notes
    -----
    ``executed_ops`` is the sum over steps of the product of the distinct
    dimensions of the two operand arrays, read from their shapes, so it is an
    independent check of :func:`tncost.cost.tree_cost`. An index that sits on
    a single tensor and is not open is summed out of that leaf with
    ``np.einsum`` before the pairwise steps; the cost model gives that sum no
    cost, and it is not counted. A tree with one leaf has no steps and
    ``executed_ops`` 0; its result is the leaf after that sum (the input array
    itself when nothing is summed or reordered).

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> from tncost.tree import ContractionTree
    >>> net = TensorNetwork.from_inputs([("i", "r"), ("j", "r")], ("i", "j", "r"), {"i": 2, "j": 3, "r": 4})
    >>> run = execute_tree(net, ContractionTree.from_path([(0, 1)], 2), random_data(net, seed=0))
    >>> run.result.shape, run.executed_ops, len(run.steps)
    ((2, 3, 4), 24, 1)
    """
    final_indices, final, steps = contract_along_tree(
        network, tree, arrays, _pairwise, budget_bytes=budget_bytes, memory_check=memory_check
    )
    return ExecutionResult(
        result=final,
        result_indices=final_indices,
        executed_ops=sum(step.ops for step in steps),
        steps=tuple(steps),
        seconds=sum(step.seconds for step in steps),
    )


def contract_along_tree(
    network: TensorNetwork,
    tree: ContractionTree,
    arrays: Arrays,
    contract: Callable[[tuple[Index, ...], Any, tuple[Index, ...], Any, tuple[Index, ...]], Any],
    *,
    budget_bytes: int | None = None,
    memory_check: bool = True,
    convert: Callable[[np.ndarray], Any] | None = None,
    timed: bool = True,
) -> tuple[tuple[Index, ...], Any, list[ExecutedStep]]:
    """Run ``tree``'s pairwise steps with ``contract`` and count each step's ops from the operands' shapes.

    This is the engine-independent part of :func:`execute_tree`: leaf
    checks, the live-peak check, the summing of single-tensor indices, the
    index rule of each step and the ops count. ``contract(a_indices, a,
    b_indices, b, out)`` returns the step's result with axes ``out``;
    ``convert`` turns each prepared leaf into the engine's array type. With
    ``timed=False`` the steps carry ``seconds = 0.0``, for engines that only
    build a lazy graph here.

    Returns the root's indices, the root's array and the executed steps.
    """
    sizes = _numeric_sizes(network)
    count = len(network.tensors)
    bad = [p for p in tree.leaves if not 0 <= p < count]
    if bad:
        raise PathError(f"tree leaf {bad[0]} is not a tensor position; the network has positions 0..{count - 1}")
    operands: dict[Node, tuple[tuple[Index, ...], Any]] = dict(_leaf_arrays(network, tree, arrays, sizes))
    if memory_check:
        dtype = np.result_type(*(array for _, array in operands.values()))
        check_memory(tree_cost(network, tree).live_peak, dtype, budget_bytes)

    covers_all = len(tree.leaves) == count
    root = tree.root

    def result_order(node: Node) -> tuple[Index, ...]:
        if node == root and covers_all:
            return tuple(network.output or ())
        return kept_indices(network, node)

    # Leaves: sum the indices that are not open and that no other tensor carries.
    for node, (indices, array) in list(operands.items()):
        target = result_order(node) if len(tree.leaves) == 1 else kept_indices(network, node)
        reduced = _reduce(indices, array, target)
        operands[node] = (target, reduced if convert is None else convert(reduced))

    # Pairwise steps in execution order. Each intermediate is freed once consumed.
    steps = []
    for left, right in tree.steps:
        a_indices, a = operands.pop(left)
        b_indices, b = operands.pop(right)
        node = left | right
        out = result_order(node)

        dims = dict(zip(a_indices, a.shape))
        dims.update(zip(b_indices, b.shape))
        ops = math.prod(int(d) for d in dims.values())

        start = time.perf_counter()
        result = contract(a_indices, a, b_indices, b, out)
        seconds = time.perf_counter() - start if timed else 0.0

        operands[node] = (out, result)
        steps.append(
            ExecutedStep(
                left=left,
                right=right,
                indices=tuple(dims),
                result_indices=out,
                shapes=(tuple(int(n) for n in a.shape), tuple(int(n) for n in b.shape)),
                result_shape=tuple(int(n) for n in result.shape),
                ops=ops,
                seconds=seconds,
            )
        )
        del a, b, result

    final_indices, final = operands[root]
    return final_indices, final, steps


# Norms and Gram matrices without dense x --------------------------------------


def data_network(network: TensorNetwork) -> TensorNetwork:
    """Return the data part x of a joint network S ∪ x, with E1 and E2 marked.

    The sketched indices E1 are the data indices that embedding tensors also
    carry. The kept indices E2 are the data indices open in the joint network.
    The result's output is E1 followed by E2 (in joint output order).

    Parameters
    ----------
    network
        A joint network with data and embedding tensors.

    Returns
    -------
    TensorNetwork
        The data tensors only, with ``sketched`` = E1.

    Raises
    ------
    NetworkError
        If there are no data or no embedding tensors, or an index shared by
        data and embedding tensors is open (a sketch sums E1).

    Examples
    --------
    >>> from tncost.network import Tensor, TensorNetwork
    >>> joint = TensorNetwork(
    ...     (Tensor("x", ("a", "c")), Tensor("S", ("k", "a"), "embedding")), {"a": 5, "c": 2, "k": 3}, ("c", "k")
    ... )
    >>> x = data_network(joint)
    >>> x.sketched, x.kept
    (('a',), ('c',))
    """
    data = network.data_positions()
    embedding = network.embedding_positions()
    if not embedding:
        raise NetworkError(
            "the network has no embedding tensors, so it sketches nothing; mark them with kind='embedding'"
        )
    if not data:
        raise NetworkError("the network has no data tensors; mark the input tensors with kind='data'")
    on_embedding = {i for p in embedding for i in network.tensors[p].indices}
    data_indices = list(dict.fromkeys(i for p in data for i in network.tensors[p].indices))
    open_set = set(network.output or ())

    sketched = tuple(i for i in data_indices if i in on_embedding)
    clash = [i for i in sketched if i in open_set]
    if clash:
        raise NetworkError(
            f"index {clash[0]!r} sits on data and embedding tensors and is open; a sketch sums the "
            "indices it shares with the data, so remove it from the output"
        )
    kept = tuple(i for i in network.output or () if i in set(data_indices))
    return TensorNetwork(
        tuple(network.tensors[p] for p in data),
        {i: network.size_dict[i] for i in data_indices},
        output=sketched + kept,
        sketched=sketched,
        name=network.name,
    )


def _check_data_arrays(network: TensorNetwork, arrays: Arrays) -> None:
    sizes = _numeric_sizes(network)
    for tensor in network.tensors:
        if tensor.name not in arrays:
            raise NetworkError(f"no array for data tensor {tensor.name!r}; give one for every data tensor")
        shape = np.shape(arrays[tensor.name])
        expected = tuple(sizes[i] for i in tensor.indices)
        if shape != expected:
            raise SizeError(
                f"the array of tensor {tensor.name!r} has shape {shape}, but its indices "
                f"{tensor.indices} have sizes {expected}"
            )


def _contract_copy(network: TensorNetwork, arrays: Arrays, shared: set[Index], kept: Sequence[Index]) -> np.ndarray:
    taken = set(network.indices)

    def primed(index: Index) -> Index:
        name = index + "'"
        while name in taken:
            name += "'"
        taken.add(name)
        return name

    copies = {i: primed(i) for i in network.indices if i not in shared}
    inputs = [t.indices for t in network.tensors]
    inputs += [tuple(copies.get(i, i) for i in t.indices) for t in network.tensors]
    output = list(kept) + [copies[i] for i in kept]
    # The first copy is conjugated, so that G = x^H x for complex data as well.
    plain = [np.asarray(arrays[t.name]) for t in network.tensors]
    operands = [np.conj(a) for a in plain] + plain
    return opt_einsum.contract(_equation(inputs, output), *operands, optimize=_optimize_for(len(operands)))


def squared_norm(network: TensorNetwork, arrays: Arrays) -> float:
    """Return ‖x‖², the squared Frobenius norm of the network's value, without forming x.

    The network is contracted with its complex conjugate copy, joined over
    every open index, with every summed index renamed in the copy. opt_einsum
    picks the order: ``"auto-hq"`` up to 32 operands, ``"greedy"`` beyond.

    Parameters
    ----------
    network
        A network with numeric sizes (usually the data network x).
    arrays
        Tensor name to array for every tensor of ``network``.

    Returns
    -------
    float

    Raises
    ------
    NetworkError, SizeError
        For missing or misshapen arrays, or symbolic sizes.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a",), ("b",)], ("a", "b"), {"a": 2, "b": 2})
    >>> squared_norm(net, {"T0": np.array([3.0, 4.0]), "T1": np.array([1.0, 0.0])})
    25.0
    """
    _check_data_arrays(network, arrays)
    value = _contract_copy(network, arrays, set(network.output or ()), ())
    return float(np.real(value))


def gram_matrix(
    network: TensorNetwork, arrays: Arrays, max_columns: int = MAX_GRAM_COLUMNS
) -> tuple[np.ndarray, tuple[Index, ...]]:
    """Return the Gram matrix G = xᵀx of x read as a matrix (rows E1, columns E2).

    x is contracted with a copy of itself over the sketched indices E1 only.
    The copy's kept indices E2 are renamed and become the second axis, so x
    is never formed densely. For complex data, G is the Hermitian product xᴴx.

    Parameters
    ----------
    network
        A data network with numeric sizes and sketched indices.
    arrays
        Tensor name to array for every tensor of ``network``.
    max_columns
        The largest |E2| accepted (default :data:`MAX_GRAM_COLUMNS`).

    Returns
    -------
    (ndarray, tuple)
        G of shape (|E2|, |E2|), and the kept indices in the order of its axes
        (C order over ``network.kept``).

    Raises
    ------
    NetworkError
        If nothing is sketched, if |E2| exceeds ``max_columns``, or for
        missing arrays.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("a", "c")], ("a", "c"), {"a": 3, "c": 2}, sketched=("a",))
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> G, kept = gram_matrix(net, {"T0": x})
    >>> bool(np.allclose(G, x.T @ x)), kept
    (True, ('c',))
    """
    if not network.sketched:
        raise NetworkError("the network has no sketched indices, so it has no column space to sketch")
    sizes = _numeric_sizes(network)
    kept = network.kept
    columns = math.prod(sizes[i] for i in kept)
    if columns > max_columns:
        raise NetworkError(
            f"the kept indices ({', '.join(kept)}) give {columns} columns, more than the {max_columns} for which "
            "the subspace distortion forms a dense Gram matrix; keep fewer indices, raise max_columns, "
            "or measure the norm distortion only"
        )
    _check_data_arrays(network, arrays)
    value = _contract_copy(network, arrays, set(network.sketched), kept)
    return np.asarray(value).reshape(columns, columns), kept


def whitening(gram: np.ndarray, rtol: float | None = None) -> np.ndarray:
    """Return W = V Λ^(-1/2) from G = V Λ Vᵀ, keeping eigenvalues above ``rtol · λmax``.

    If G = xᵀx, then x·W has orthonormal columns spanning range(x), so the
    singular values of (S·x)·W are those of S·U for an orthonormal basis U.

    Parameters
    ----------
    gram
        A symmetric positive semidefinite matrix.
    rtol
        Relative cut-off on the eigenvalues; by default ``n · eps`` of float64
        for an n × n matrix, numpy's rank tolerance applied to G. Directions of
        x whose singular value is below ``sqrt(rtol)`` times the largest are
        treated as zero: forming G squares x's condition number.

    Returns
    -------
    ndarray
        W of shape (n, rank).

    Raises
    ------
    NetworkError
        If G is zero (x = 0), so no direction survives.

    Examples
    --------
    >>> W = whitening(np.diag([4.0, 1.0, 0.0]))
    >>> W.shape
    (3, 2)
    """
    gram = np.asarray(gram)
    n = gram.shape[0]
    cut = n * np.finfo(np.float64).eps if rtol is None else _positive_float(rtol, "rtol")
    # NOTE: G squares x's condition number, so directions of x whose singular
    # value is below sqrt(cut) times the largest are lost, even when x has full rank.
    values, vectors = np.linalg.eigh((gram + gram.conj().T) / 2)
    top = float(values.max()) if n else 0.0
    if top <= 0:
        raise NetworkError(_ZERO_DATA)
    keep = values > cut * top
    return vectors[:, keep] / np.sqrt(values[keep])


# Distortion trials --------------------------------------------------------------


def distortion_trials(
    network: TensorNetwork,
    tree: ContractionTree,
    data_arrays: Arrays,
    draw_embedding: EmbeddingSampler,
    trials: int,
    seed: Seed = None,
    eps: float = 0.5,
    *,
    subspace: bool = False,
    rtol: float | None = None,
    max_columns: int = MAX_GRAM_COLUMNS,
    budget_bytes: int | None = None,
    executor: Callable[..., ExecutionResult] | None = None,
) -> DistortionStats:
    """Measure ‖Sx‖²/‖x‖² over ``trials`` independent draws of the embedding.

    The data stay fixed. Trial k draws the embedding with
    ``draw_embedding(child_k)``, where ``child_k`` is the k-th child of
    ``seed``'s ``SeedSequence``, then contracts the joint network along
    ``tree``. ‖x‖² comes from :func:`squared_norm` on :func:`data_network`,
    without forming x.

    With ``subspace=True``, x is also read as a matrix (rows E1, columns E2):
    G = xᵀx from :func:`gram_matrix`, W from :func:`whitening`, and each
    trial's S·x, reshaped to (sketch size, |E2|), is multiplied by W; the
    extreme singular values of the product are those of S·U for an
    orthonormal basis U of range(x).

    Parameters
    ----------
    network
        The joint network S ∪ x (data and embedding tensors), numeric sizes.
    tree
        A contraction tree over every tensor of ``network``.
    data_arrays
        Data tensor name to array.
    draw_embedding
        ``draw_embedding(seed) -> dict`` of embedding tensor name to array,
        such as :func:`embedding_sampler`'s result.
    trials
        The number of independent draws, at least 1.
    seed
        See :mod:`tncost.random`; the same int seed gives the same ratios.
    eps
        The distortion target: a trial is outside when ``|ratio - 1| > eps``.
    subspace
        Also measure the subspace distortion.
    rtol
        Eigenvalue cut-off of :func:`whitening`.
    max_columns
        The largest |E2| for the subspace distortion.
    budget_bytes
        Memory budget for the plan's live peak, checked once before any draw.
    executor
        The function that contracts each trial, with the signature of
        :func:`execute_tree` (default); for example
        :func:`tncost.dask_engine.execute_tree_dask`.

    Returns
    -------
    DistortionStats

    Raises
    ------
    SpecError
        For a non-positive ``trials`` or ``eps``.
    PathError
        If the tree does not cover every tensor.
    NetworkError
        If x is zero or the network has no embedding tensors.
    MemoryBudgetError
        If the plan's live peak exceeds the budget.

    Examples
    --------
    >>> from tncost.network import Tensor, TensorNetwork
    >>> from tncost.tree import ContractionTree
    >>> joint = TensorNetwork((Tensor("x", ("a",)), Tensor("S", ("k", "a"), "embedding")), {"a": 50, "k": 40}, ("k",))
    >>> data = random_data(joint, seed=0)
    >>> draw = embedding_sampler(joint, embedding_stddevs({"S": 40}))
    >>> stats = distortion_trials(joint, ContractionTree.from_path([(0, 1)], 2), data, draw, trials=20, seed=1)
    >>> stats.trials, len(stats.ratios), 0.5 < stats.mean < 1.5
    (20, 20, True)
    """
    count = _positive_int(trials, "number of trials")
    target = _positive_float(eps, "eps")
    if set(tree.leaves) != set(range(len(network.tensors))):
        raise PathError(
            f"the tree covers positions {sorted(tree.leaves)}, but a sketch contracts every tensor "
            f"(positions 0..{len(network.tensors) - 1})"
        )
    x = data_network(network)
    _check_data_arrays(x, data_arrays)
    dtype = np.result_type(*(np.asarray(data_arrays[t.name]) for t in x.tensors))
    check_memory(tree_cost(network, tree).live_peak, dtype, budget_bytes)

    norm = squared_norm(x, data_arrays)
    if norm <= 0:
        raise NetworkError(_ZERO_DATA)
    whiten = None
    kept: tuple[Index, ...] = ()
    if subspace:
        gram, kept = gram_matrix(x, data_arrays, max_columns)
        whiten = whitening(gram, rtol)

    ratios: list[float] = []
    seconds: list[float] = []
    sigma_min: list[float] = []
    sigma_max: list[float] = []
    executed_ops = 0
    for child in spawn_seeds(seed, count):
        sketch = dict(draw_embedding(child))
        run = (executor or execute_tree)(network, tree, {**data_arrays, **sketch}, memory_check=False)
        flat = run.result.ravel()
        ratios.append(float(np.real(np.vdot(flat, flat))) / norm)
        seconds.append(run.seconds)
        executed_ops = run.executed_ops
        if whiten is not None:
            low, high = _extreme_singular_values(run, kept, whiten)
            sigma_min.append(low)
            sigma_max.append(high)
        del sketch, run, flat

    values = np.asarray(ratios)
    sub = None
    if whiten is not None:
        outside = sum(lo * lo < 1 - target or hi * hi > 1 + target for lo, hi in zip(sigma_min, sigma_max))
        sub = SubspaceStats(
            sigma_min=tuple(sigma_min),
            sigma_max=tuple(sigma_max),
            rank=int(whiten.shape[1]),
            columns=int(whiten.shape[0]),
            eps=target,
            fraction_outside=outside / count,
        )
    return DistortionStats(
        ratios=tuple(ratios),
        mean=float(values.mean()),
        std=float(values.std(ddof=1)) if count > 1 else 0.0,
        min=float(values.min()),
        max=float(values.max()),
        fraction_outside=float(np.count_nonzero(np.abs(values - 1) > target)) / count,
        eps=target,
        trials=count,
        squared_norm=norm,
        executed_ops=executed_ops,
        seconds=tuple(seconds),
        subspace=sub,
    )


def _extreme_singular_values(run: ExecutionResult, kept: tuple[Index, ...], whiten: np.ndarray) -> tuple[float, float]:
    """Return the smallest and largest singular value of (S·x reshaped to rows × E2) · W."""
    kept_set = set(kept)
    rows = [k for k, i in enumerate(run.result_indices) if i not in kept_set]
    columns = [run.result_indices.index(i) for i in kept]
    matrix = np.transpose(run.result, rows + columns).reshape(-1, whiten.shape[0])
    values = np.linalg.svd(matrix @ whiten, compute_uv=False)
    low = float(values.min()) if matrix.shape[0] >= whiten.shape[1] else 0.0
    return low, float(values.max())
