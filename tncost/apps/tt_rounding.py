"""Tensor-train rounding: deterministic and randomized, with predicted and counted ops.

Rounding replaces a tensor train ``Y`` of ranks ``R_k`` by one of smaller
ranks ``L_k`` that approximates it. The variants (Al Daas, Ballard, Cazeaux,
Hallman, Miedlar, Pasha, Reid and Saibaba, "Randomized algorithms for rounding
in the tensor-train format", SIAM J. Sci. Comput. 45, 2023):

* ``deterministic``: orthogonalize right to left by QR, then sweep left to
  right with truncated SVDs (by target ranks and/or a relative tolerance);
* ``randomize-then-orthogonalize``: draw a Gaussian tensor train Ω of ranks
  ``L``, compute the partial contractions ``W_k`` of ``Y``'s and Ω's cores
  ``k+1..N`` right to left (an ``R_k × L_k`` matrix each), then sweep left to
  right: ``Q = qr(Z · W_k)``, core k becomes ``Q``, ``Z ← (Qᵀ Z) · Y_{k+1}``.
  The input is never orthogonalized;
* ``orthogonalize-then-randomize``: orthogonalize right to left, then sweep
  left to right sketching each ``Z`` with a Gaussian ``R_k × L_k`` matrix;
* ``two-sided``: sketch the right partial products with a Gaussian train of
  ranks ``L`` and the left ones with a train of ranks ``2L``, and insert the
  oblique projector ``W^R (W^L W^R)^+ W^L`` at every bond;
* :func:`round_sum`: randomize-then-orthogonalize applied to a sum of trains
  without forming the sum's rank-concatenated cores.

Every function returns a :class:`RoundingResult` whose ``ops`` are counted
from the array shapes of the operations actually run, under this cost model
(exact Python ints, one unit per multiply-add, constants of factorizations
dropped):

* a matrix product ``(a × b) @ (b × c)`` costs ``a·b·c``, which is tncost's
  ``ops`` for the pairwise contraction (the product of the sizes of its
  distinct indices);
* a reduced QR or SVD of an ``a × b`` matrix costs ``a·b·min(a, b)``;
* elementwise scaling, transposes and reshapes cost nothing.

The sketching step of randomize-then-orthogonalize, which yields every
``W_k``, is the contraction of a tensor train with a tensor-train embedding
that keeps the bond ``r1`` open; :func:`sketch_network` builds it as a
:class:`~tncost.network.TensorNetwork` with the tree that the code executes,
so :func:`tncost.cost.tree_cost` predicts its ops exactly.

Examples
--------
>>> from tncost.apps.tt import TensorTrain
>>> tt = TensorTrain.random((6, 6, 6, 6), 3, seed=0)
>>> result = round_randomize_then_orthogonalize(tt, 4, seed=1)
>>> result.tt.ranks, result.sketch_ops == predict_sketch_ops(tt, 4)
((1, 4, 4, 4, 1), True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Union

import numpy as np
import sympy

from ..bounds import LowerBound, lower_bound
from ..cost import tree_cost
from ..embeddings.base import Embedding, joint_network
from ..errors import NetworkError, SketchSizeError, SpecError
from ..network import Tensor, TensorNetwork
from ..random import Seed, resolve_seed, spawn_seeds
from ..symbolic.sizes import Size, parse_size
from ..tree import ContractionTree
from .tt import TensorTrain, _as_rank_list, tt_svd_ranks

__all__ = [
    "METHODS",
    "PHASES",
    "RoundingResult",
    "CostPrediction",
    "round_tt",
    "round_deterministic",
    "round_randomize_then_orthogonalize",
    "round_orthogonalize_then_randomize",
    "round_two_sided",
    "round_sum",
    "sketch_network",
    "sketch_data_network",
    "predict_sketch_ops",
    "predict_costs",
    "predict_tt_costs",
    "sketch_lower_bound",
]

#: The rounding methods, in the order reports list them.
METHODS = (
    "randomize-then-orthogonalize",
    "orthogonalize-then-randomize",
    "two-sided",
    "deterministic",
)

Ranks = Union[int, Sequence[int]]

#: The phases of :attr:`RoundingResult.breakdown`, in execution order.
PHASES = ("sketch", "orthogonalize", "sweep", "qr", "svd", "truncate")


# Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundingResult:
    """A rounded tensor train with the ops and time that produced it.

    Attributes
    ----------
    tt
        The rounded tensor train.
    method
        The rounding method's name (one of :data:`METHODS`, or ``"sum"``).
    ops
        Total ops counted from the shapes of the executed operations (see the
        module notes for the model).
    breakdown
        The ops per phase: ``"sketch"`` (partial contractions with the
        Gaussian trains), ``"orthogonalize"`` (the right-to-left QR sweep),
        ``"sweep"`` (the left-to-right products), ``"qr"`` and ``"svd"``
        (the factorizations of the left-to-right sweep), ``"truncate"`` (the
        optional truncation of a randomized result to ``max_rank``).
    seconds
        Wall-clock time of the whole call.
    """

    tt: TensorTrain
    method: str
    ops: int
    breakdown: Mapping[str, int]
    seconds: float

    @property
    def sketch_ops(self) -> int:
        """The ops of the sketching step (0 for deterministic rounding)."""
        return self.breakdown.get("sketch", 0)


class _Counter:
    """Tally of ops per phase, counted from array shapes as the operations run."""

    def __init__(self) -> None:
        self.phases: dict[str, int] = dict.fromkeys(PHASES, 0)

    def matmul(self, phase: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        rows, inner = a.shape
        inner_b, cols = b.shape
        assert inner == inner_b, (a.shape, b.shape)
        self.phases[phase] += int(rows) * int(inner) * int(cols)
        return a @ b

    def qr(self, phase: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = a.shape
        self.phases[phase] += int(rows) * int(cols) * int(min(rows, cols))
        # LAPACK works on a contiguous copy; a transposed view passed as is is much slower.
        return np.linalg.qr(np.ascontiguousarray(a))

    def svd(self, phase: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols = a.shape
        self.phases[phase] += int(rows) * int(cols) * int(min(rows, cols))
        return np.linalg.svd(np.ascontiguousarray(a), full_matrices=False)

    def result(self, tt: TensorTrain, method: str, started: float) -> RoundingResult:
        return RoundingResult(
            tt=tt,
            method=method,
            ops=sum(self.phases.values()),
            breakdown=MappingProxyType(dict(self.phases)),
            seconds=time.perf_counter() - started,
        )


# Checks -------------------------------------------------------------------------------


def _checked_tt(tt: object) -> TensorTrain:
    if not isinstance(tt, TensorTrain):
        raise NetworkError(f"expected a TensorTrain, got {type(tt).__name__}; build one with TensorTrain(cores)")
    return tt


def _target_ranks(rank: Ranks | None, order: int, parameter: str = "rank") -> list[int] | None:
    """``[1, L_1, ..., L_{N-1}, 1]`` from one int or N - 1 ints; None stays None."""
    if rank is None:
        return None
    return _as_rank_list(rank, order, parameter)


# Shared steps -----------------------------------------------------------------------


def _right_orthogonalize(cores: list[np.ndarray], counter: _Counter) -> list[np.ndarray]:
    """Make cores 2..N right-orthogonal by QR, right to left; the norm moves into core 1."""
    cores = list(cores)
    for k in range(len(cores) - 1, 0, -1):
        left, size, right = cores[k].shape
        q, r = counter.qr("orthogonalize", cores[k].reshape(left, size * right).T)
        rank = q.shape[1]
        cores[k] = q.T.reshape(rank, size, right)
        a, b, _ = cores[k - 1].shape
        product = counter.matmul("orthogonalize", cores[k - 1].reshape(a * b, left), r.T)
        cores[k - 1] = product.reshape(a, b, rank)
    return cores


def _left_orthogonalize(cores: list[np.ndarray], counter: _Counter) -> list[np.ndarray]:
    """Make cores 1..N-1 left-orthogonal by QR, left to right (phase ``"truncate"``)."""
    cores = list(cores)
    for k in range(len(cores) - 1):
        left, size, right = cores[k].shape
        q, r = counter.qr("truncate", cores[k].reshape(left * size, right))
        rank = q.shape[1]
        cores[k] = q.reshape(left, size, rank)
        _, next_size, next_right = cores[k + 1].shape
        product = counter.matmul("truncate", r, cores[k + 1].reshape(right, next_size * next_right))
        cores[k + 1] = product.reshape(rank, next_size, next_right)
    return cores


def _truncate_left_orthogonal(cores: list[np.ndarray], caps: Sequence[int], counter: _Counter) -> list[np.ndarray]:
    """Truncate a train with left-orthogonal cores 1..N-1 to ranks ``caps`` by SVDs, right to left.

    With cores 1..k-1 left-orthogonal, the SVD of core k's ``R_{k-1} × I_k R_k``
    unfolding has the singular values of the whole tensor's unfolding at bond
    k - 1, so each step truncates optimally for that bond.
    """
    cores = list(cores)
    for k in range(len(cores) - 1, 0, -1):
        left, size, right = cores[k].shape
        u, sigma, vt = counter.svd("truncate", cores[k].reshape(left, size * right))
        rank = max(min(caps[k], len(sigma)), 1)
        cores[k] = vt[:rank].reshape(rank, size, right)
        a, b, _ = cores[k - 1].shape
        product = counter.matmul("truncate", cores[k - 1].reshape(a * b, left), u[:, :rank] * sigma[:rank])
        cores[k - 1] = product.reshape(a, b, rank)
    return cores


def _right_sketches(cores: Sequence[np.ndarray], omega: Sequence[np.ndarray], counter: _Counter) -> list[np.ndarray]:
    """Return ``W[k]``, the contraction of cores ``k+1..N`` of the train and of Ω (``R_k × L_k``), for k = 1..N-1.

    ``W[0]`` is unused and set to None. Each step contracts the previous W
    with the train's core first unless contracting it with Ω's core first is
    cheaper; :func:`sketch_tree` follows the same rule.
    """
    order = len(cores)
    sketches: list[Any] = [None] * order
    last, size, _ = cores[-1].shape
    sketches[order - 1] = counter.matmul("sketch", cores[-1].reshape(last, size), omega[-1].reshape(-1, size).T)
    for k in range(order - 2, 0, -1):
        core, gauss, previous = cores[k], omega[k], sketches[k + 1]
        r_left, size, r_right = core.shape
        l_left, _, l_right = gauss.shape
        if _train_first(r_left, size, r_right, l_left, l_right):
            # (r_k, p, r_{k+1}) · (r_{k+1}, l_{k+1}) -> (r_k, p, l_{k+1}), then Ω's core.
            partial = counter.matmul("sketch", core.reshape(r_left * size, r_right), previous)
            partial = partial.reshape(r_left, size * l_right)
            sketches[k] = counter.matmul("sketch", partial, gauss.reshape(l_left, size * l_right).T)
        else:
            # (l_k, p, l_{k+1}) · (r_{k+1}, l_{k+1})ᵀ -> (l_k, p, r_{k+1}), then the train's core.
            partial = counter.matmul("sketch", gauss.reshape(l_left * size, l_right), previous.T)
            partial = partial.reshape(l_left, size * r_right)
            sketches[k] = counter.matmul("sketch", core.reshape(r_left, size * r_right), partial.T)
    return sketches


def _train_first(r_left: Any, size: Any, r_right: Any, l_left: Any, l_right: Any) -> bool:
    """True when contracting W_{k+1} with the train's core first costs no more than with Ω's core first.

    Train first costs ``I·R_k·L_{k+1}·(R_{k+1} + L_k)``, Ω first
    ``I·L_k·R_{k+1}·(L_{k+1} + R_k)``. For symbolic sizes the train goes first.
    """
    train = size * r_left * l_right * (r_right + l_left)
    gauss = size * l_left * r_right * (l_right + r_left)
    if isinstance(train, int) and isinstance(gauss, int):
        return train <= gauss
    return True


def _left_sketches(cores: Sequence[np.ndarray], psi: Sequence[np.ndarray], counter: _Counter) -> list[np.ndarray]:
    """Return ``V[k]``, the contraction of cores ``1..k`` of Ψ and of the train (``ρ_k × R_k``), for k = 1..N-1."""
    order = len(cores)
    sketches: list[Any] = [None] * order
    _, size, right = cores[0].shape
    sketches[1] = counter.matmul("sketch", psi[0].reshape(size, -1).T, cores[0].reshape(size, right))
    for k in range(1, order - 1):
        core, gauss, previous = cores[k], psi[k], sketches[k]
        r_left, size, r_right = core.shape
        p_left, _, p_right = gauss.shape
        # (ρ_{k-1}, r_{k-1}) · (r_{k-1}, p, r_k) -> (ρ_{k-1}, p, r_k), then Ψ's core.
        partial = counter.matmul("sketch", previous, core.reshape(r_left, size * r_right))
        partial = partial.reshape(p_left * size, r_right)
        sketches[k + 1] = counter.matmul("sketch", gauss.reshape(p_left * size, p_right).T, partial)
    return sketches


def _gaussian_train(shape: Sequence[int], ranks: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
    return TensorTrain.random(shape, list(ranks[1:-1]), seed=rng).cores


# Deterministic rounding -------------------------------------------------------------


def round_deterministic(
    tt: TensorTrain, max_rank: Ranks | None = None, *, rtol: float = 0.0, seed: Seed = None
) -> RoundingResult:
    """Round by right-to-left QR orthogonalization and a left-to-right truncated SVD sweep.

    Parameters
    ----------
    tt
        The tensor train to round.
    max_rank
        The largest rank to keep: one int, N - 1 ints, or None for no cap.
    rtol
        The relative tolerance: with no rank cap binding, the result ``T``
        satisfies ``‖T - tt‖ <= rtol · ‖tt‖`` (each of the N - 1 truncations
        discards at most ``rtol · ‖tt‖ / sqrt(N - 1)``).
    seed
        Unused; accepted so that every method has the same signature.

    Raises
    ------
    NetworkError
        If ``tt`` is not a TensorTrain.
    SpecError
        If ``rtol`` is negative or ``max_rank`` is invalid.

    Examples
    --------
    >>> tt = TensorTrain.random((4, 4, 4), 2, seed=0)
    >>> (tt + tt).ranks, round_deterministic(tt + tt, rtol=1e-10).tt.ranks
    ((1, 4, 4, 1), (1, 2, 2, 1))
    """
    started = time.perf_counter()
    tt = _checked_tt(tt)
    if not rtol >= 0:
        raise SpecError(f"invalid rtol {rtol!r}: the relative tolerance must be >= 0")
    caps = _target_ranks(max_rank, tt.order, "max_rank")
    counter = _Counter()
    cores = _right_orthogonalize(tt.cores, counter)
    norm = float(np.linalg.norm(cores[0]))
    threshold = rtol * norm / np.sqrt(max(tt.order - 1, 1))

    for k in range(tt.order - 1):
        left, size, right = cores[k].shape
        u, sigma, vt = counter.svd("svd", cores[k].reshape(left * size, right))
        rank = tt_svd_ranks(sigma, None if caps is None else caps[k + 1], threshold)
        cores[k] = u[:, :rank].reshape(left, size, rank)
        carry = sigma[:rank, None] * vt[:rank]
        _, next_size, next_right = cores[k + 1].shape
        product = counter.matmul("sweep", carry, cores[k + 1].reshape(right, next_size * next_right))
        cores[k + 1] = product.reshape(rank, next_size, next_right)
    return counter.result(TensorTrain(cores, copy=False), "deterministic", started)


# Randomized rounding ------------------------------------------------------------------


def round_randomize_then_orthogonalize(
    tt: TensorTrain, rank: Ranks, *, seed: Seed = None, max_rank: Ranks | None = None
) -> RoundingResult:
    """Round by randomize-then-orthogonalize: sketch the right partial products, then QR left to right.

    Parameters
    ----------
    tt
        The tensor train to round; it is never orthogonalized.
    rank
        The sketch ranks L: one int or N - 1 ints. The result's rank k is
        ``min(L_k, R'_{k-1} · I_k)`` with ``R'`` the result's ranks.
    seed
        Seed of the Gaussian tensor train Ω (drawn as
        ``TensorTrain.random(tt.shape, rank, seed=seed)``).
    max_rank
        If given (one int or N - 1 ints), the left-orthogonal result is then
        truncated to these ranks by a right-to-left SVD sweep (phase
        ``"truncate"``), which is how a sketch rank ``L = r + p`` with
        oversampling p yields a rank-r train.

    Raises
    ------
    NetworkError
        If ``tt`` is not a TensorTrain.
    SpecError
        If ``rank`` or ``seed`` is invalid.
    """
    return _round_sum_rto([_checked_tt(tt)], rank, seed, max_rank, "randomize-then-orthogonalize")


def round_sum(
    tts: Sequence[TensorTrain], rank: Ranks, *, seed: Seed = None, max_rank: Ranks | None = None
) -> RoundingResult:
    """Round the sum of several tensor trains by randomize-then-orthogonalize, without forming the sum.

    Each summand is sketched with the same Gaussian train Ω, and the
    left-to-right sweep carries one ``Z`` per summand, so no rank-concatenated
    core is ever built. With the same seed the result equals
    ``round_randomize_then_orthogonalize(tts[0] + tts[1] + ..., rank, seed=seed)``
    up to floating-point rounding.

    Raises
    ------
    NetworkError
        If ``tts`` is empty, contains something other than tensor trains, or
        their shapes differ.
    """
    tts = list(tts)
    if not tts:
        raise NetworkError("round_sum needs at least one tensor train; got an empty list")
    for tt in tts:
        _checked_tt(tt)
        if tt.shape != tts[0].shape:
            raise NetworkError(f"summands of shapes {tts[0].shape} and {tt.shape}; every summand must have the same shape")
    return _round_sum_rto(tts, rank, seed, max_rank, "sum")


def _round_sum_rto(
    tts: list[TensorTrain], rank: Ranks, seed: Seed, max_rank: Ranks | None, method: str
) -> RoundingResult:
    started = time.perf_counter()
    order = tts[0].order
    targets = _target_ranks(rank, order)
    caps = _target_ranks(max_rank, order, "max_rank")
    rng = resolve_seed(seed)
    counter = _Counter()
    if order == 1:
        cores = [sum(tt.cores[0] for tt in tts)]
        return counter.result(TensorTrain(cores), method, started)

    omega = _gaussian_train(tts[0].shape, targets, rng)
    sketches = [_right_sketches(tt.cores, omega, counter) for tt in tts]

    result = []
    carries = [tt.cores[0] for tt in tts]  # Z per summand: (R'_{k-1}, I_k, R^{(j)}_k)
    for k in range(order - 1):
        left, size, _ = carries[0].shape
        sample = None
        for carry, sketch in zip(carries, sketches):
            term = counter.matmul("sweep", carry.reshape(left * size, carry.shape[2]), sketch[k + 1])
            sample = term if sample is None else sample + term
        q, _ = counter.qr("qr", sample)
        new_rank = q.shape[1]
        result.append(q.reshape(left, size, new_rank))

        following = []
        for carry, tt in zip(carries, tts):
            projected = counter.matmul("sweep", q.conj().T, carry.reshape(left * size, carry.shape[2]))
            core = tt.cores[k + 1]
            r_left, next_size, r_right = core.shape
            moved = counter.matmul("sweep", projected, core.reshape(r_left, next_size * r_right))
            following.append(moved.reshape(new_rank, next_size, r_right))
        carries = following
    result.append(sum(carries[1:], carries[0]))
    if caps is not None:
        result = _truncate_left_orthogonal(result, caps, counter)
    return counter.result(TensorTrain(result, copy=False), method, started)


def round_orthogonalize_then_randomize(
    tt: TensorTrain, rank: Ranks, *, seed: Seed = None, max_rank: Ranks | None = None
) -> RoundingResult:
    """Round by orthogonalize-then-randomize: QR right to left, then a sketched QR sweep left to right.

    Once cores 2..N are right-orthogonal, sketching the right partial product
    with a Gaussian train has the distribution of a Gaussian ``R_k × L_k``
    matrix, so each step draws that matrix directly.

    Parameters
    ----------
    tt, rank, seed, max_rank
        As for :func:`round_randomize_then_orthogonalize`.
    """
    started = time.perf_counter()
    tt = _checked_tt(tt)
    targets = _target_ranks(rank, tt.order)
    caps = _target_ranks(max_rank, tt.order, "max_rank")
    rng = resolve_seed(seed)
    counter = _Counter()
    cores = _right_orthogonalize(tt.cores, counter)

    for k in range(tt.order - 1):
        left, size, right = cores[k].shape
        matrix = cores[k].reshape(left * size, right)
        gauss = rng.standard_normal((right, targets[k + 1]))
        q, _ = counter.qr("qr", counter.matmul("sweep", matrix, gauss))
        new_rank = q.shape[1]
        cores[k] = q.reshape(left, size, new_rank)
        projected = counter.matmul("sweep", q.conj().T, matrix)
        _, next_size, next_right = cores[k + 1].shape
        moved = counter.matmul("sweep", projected, cores[k + 1].reshape(right, next_size * next_right))
        cores[k + 1] = moved.reshape(new_rank, next_size, next_right)
    if caps is not None:
        cores = _truncate_left_orthogonal(cores, caps, counter)
    return counter.result(TensorTrain(cores, copy=False), "orthogonalize-then-randomize", started)


def round_two_sided(
    tt: TensorTrain, rank: Ranks, *, seed: Seed = None, max_rank: Ranks | None = None
) -> RoundingResult:
    """Round by two-sided randomization: Gaussian trains of ranks L (right) and 2L (left).

    Let ``W^R_k`` (``R_k × L_k``) be the right partial products sketched by
    Ω and ``W^L_k`` (``2L_k × R_k``) the left ones sketched by Ψ. Each bond
    gets the oblique projector ``W^R_k (W^L_k W^R_k)^+ W^L_k``. The SVD
    ``W^L_k W^R_k = U Σ Vᵀ`` splits it into ``Uᵀ W^L_k``, which core k + 1
    absorbs, and ``W^R_k V Σ^+``, which core k absorbs. Singular values below
    ``max(shape) · eps · σ_1`` are dropped, as ``numpy.linalg.pinv`` does,
    so the result's rank k is at most ``L_k``. No core is orthogonalized.

    Parameters
    ----------
    tt, rank
        As for :func:`round_randomize_then_orthogonalize`.
    seed
        Seed of Ω and Ψ (two independent streams spawned from it).
    max_rank
        If given, the result is orthogonalized left to right by QR (phase
        ``"truncate"``) and truncated as in
        :func:`round_randomize_then_orthogonalize`.
    """
    started = time.perf_counter()
    tt = _checked_tt(tt)
    targets = _target_ranks(rank, tt.order)
    caps = _target_ranks(max_rank, tt.order, "max_rank")
    counter = _Counter()
    order = tt.order
    if order == 1:
        return counter.result(TensorTrain(tt.cores), "two-sided", started)

    right_seed, left_seed = spawn_seeds(seed, 2)
    omega = _gaussian_train(tt.shape, targets, resolve_seed(right_seed))
    psi = _gaussian_train(tt.shape, [1, *(2 * r for r in targets[1:-1]), 1], resolve_seed(left_seed))
    cores = tt.cores
    right = _right_sketches(cores, omega, counter)
    left = _left_sketches(cores, psi, counter)

    # Each bond k gets a left factor (q × R_k) and a right factor (R_k × q).
    left_factors: list[Any] = [None] * order
    right_factors: list[Any] = [None] * order
    for k in range(1, order):
        u, sigma, vt = counter.svd("svd", counter.matmul("sweep", left[k], right[k]))
        cutoff = max(u.shape[0], vt.shape[1]) * np.finfo(sigma.dtype).eps * sigma[0]
        keep = max(int(np.count_nonzero(sigma > cutoff)), 1)
        left_factors[k] = counter.matmul("sweep", u[:, :keep].conj().T, left[k])
        right_factors[k] = counter.matmul("sweep", right[k], vt[:keep].conj().T / sigma[:keep])

    result = []
    for k in range(order):
        core = cores[k]
        r_left, size, r_right = core.shape
        if k > 0:
            core = counter.matmul("sweep", left_factors[k], core.reshape(r_left, size * r_right))
            r_left = core.shape[0]
            core = core.reshape(r_left, size, r_right)
        if k < order - 1:
            core = counter.matmul("sweep", core.reshape(r_left * size, r_right), right_factors[k + 1])
            core = core.reshape(r_left, size, -1)
        result.append(core)
    if caps is not None:
        result = _truncate_left_orthogonal(_left_orthogonalize(result, counter), caps, counter)
    return counter.result(TensorTrain(result, copy=False), "two-sided", started)


_ROUNDERS: dict[str, Callable[..., RoundingResult]] = {
    "randomize-then-orthogonalize": round_randomize_then_orthogonalize,
    "orthogonalize-then-randomize": round_orthogonalize_then_randomize,
    "two-sided": round_two_sided,
}


def round_tt(
    tt: TensorTrain,
    rank: Ranks | None,
    *,
    method: str = "randomize-then-orthogonalize",
    seed: Seed = None,
    rtol: float = 0.0,
    max_rank: Ranks | None = None,
) -> RoundingResult:
    """Round ``tt`` with one of :data:`METHODS`.

    For ``deterministic``, ``rank`` is the largest rank kept and ``rtol`` the
    relative tolerance. The randomized methods need ``rank`` (the sketch rank
    L) and truncate further to ``max_rank`` when it is given.

    Raises
    ------
    SpecError
        For an unknown method, or a randomized method without ``rank``.
    """
    if method == "deterministic":
        return round_deterministic(tt, rank, rtol=rtol)
    if method not in _ROUNDERS:
        raise SpecError(f"unknown rounding method {method!r}; use one of {', '.join(METHODS)}")
    if rank is None:
        raise SpecError(f"method {method!r} needs a target rank; give rank=L (an int or N - 1 ints)")
    return _ROUNDERS[method](tt, rank, seed=seed, max_rank=max_rank)


# The sketching step as a tncost network ------------------------------------------------------


def _sizes_of(order: int, shape: Sequence[Size], ranks: Sequence[Size], targets: Sequence[Size]) -> dict[str, Size]:
    sizes: dict[str, Size] = {}
    for k in range(2, order + 1):
        sizes[f"p{k}"] = shape[k - 1]
    for k in range(1, order):
        sizes[f"r{k}"] = ranks[k]
        sizes[f"l{k}"] = targets[k]
    return sizes


def sketch_data_network(
    order: int, shape: Sequence[Size], ranks: Sequence[Size], *, name: str = "tt right partial product"
) -> TensorNetwork:
    """Return the data of the sketching step: cores ``G2..GN`` with ``p2..pN`` sketched and ``r1`` kept.

    ``shape`` is ``I_1..I_N`` and ``ranks`` is ``R_0..R_N``; entries are
    ints or sympy sizes.

    Raises
    ------
    NetworkError
        If ``order`` is below 2 (a train of order 1 has nothing to sketch).
    """
    if order < 2:
        raise NetworkError(f"a tensor train of order {order} has no bond to round; give order >= 2")
    tensors = []
    for k in range(2, order + 1):
        right = (f"r{k}",) if k < order else ()
        tensors.append(Tensor(f"G{k}", (f"r{k - 1}", f"p{k}", *right)))
    sizes = {f"p{k}": shape[k - 1] for k in range(2, order + 1)}
    sizes.update({f"r{k}": ranks[k] for k in range(1, order)})
    physical = tuple(f"p{k}" for k in range(2, order + 1))
    return TensorNetwork(tuple(tensors), sizes, ("r1", *physical), physical, name)


def _right_to_left_tree(order: int) -> ContractionTree:
    """T0 of the sketching step: ``(G2, (G3, (..., (G_{N-1}, G_N))))`` over positions 0..N-2."""
    nested: Any = order - 2
    for position in range(order - 3, -1, -1):
        nested = (position, nested)
    return ContractionTree.from_nested(nested)


def sketch_network(
    order: int, shape: Sequence[Size], ranks: Sequence[Size], targets: Sequence[Size]
) -> tuple[TensorNetwork, ContractionTree]:
    """Return the sketching step of randomize-then-orthogonalize as a network and the tree the code executes.

    The network contains the data cores ``G2..GN`` (positions 0..N-2) and Ω's
    cores ``ON..O2`` (embedding tensors in sequence order, positions
    N-1..2N-3) with the mode
    indices summed and ``(r1, l1)`` open. Every intermediate of the tree
    ending at Ω's core k + 1 is ``W_k``. ``shape`` is ``I_1..I_N``, ``ranks``
    ``R_0..R_N`` and ``targets`` ``L_0..L_N``; entries are ints or sympy sizes.

    Examples
    --------
    >>> net, tree = sketch_network(3, (4, 4, 4), (1, 2, 2, 1), (1, 3, 3, 1))
    >>> net.inputs, net.output
    ([('r1', 'p2', 'r2'), ('r2', 'p3'), ('l2', 'p3'), ('l1', 'p2', 'l2')], ('r1', 'l1'))
    >>> tree_cost(net, tree).ops == 2 * 4 * 3 + 2 * 4 * 2 * 3 + 2 * 4 * 3 * 3
    True
    """
    data = sketch_data_network(order, shape, ranks)
    embedding_tensors = []
    for k in range(order, 1, -1):  # sequence order: O_N first, O_2 (which outputs l1) last
        right = (f"l{k}",) if k < order else ()
        embedding_tensors.append(Tensor(f"O{k}", (f"l{k - 1}", f"p{k}", *right), kind="embedding"))
    embedding = Embedding(
        family="tt",
        tensors=tuple(embedding_tensors),
        size_dict={f"l{k}": targets[k] for k in range(1, order)},
        sketched=data.sketched,
        output=("l1",),
        row_sizes=tuple(targets[k - 1] for k in range(order, 1, -1)),
        scaling="rows",
        k=order - 1,
    )
    joint = joint_network(data, embedding)
    data_count = order - 1

    def gauss(k: int) -> int:  # position of Ω's core k (2..N) in the joint network
        return data_count + (order - k)

    def core(k: int) -> int:  # position of the train's core k (2..N)
        return k - 2

    node = frozenset([core(order), gauss(order)])
    steps = [([core(order)], [gauss(order)])]
    for k in range(order - 1, 1, -1):
        r_left, size, r_right = ranks[k - 1], shape[k - 1], ranks[k]
        l_left, l_right = targets[k - 1], targets[k]
        first, second = (core(k), gauss(k)) if _train_first(r_left, size, r_right, l_left, l_right) else (gauss(k), core(k))
        steps.append((sorted(node), [first]))
        node = node | {first}
        steps.append((sorted(node), [second]))
        node = node | {second}
    return joint, ContractionTree.from_steps(steps)


def predict_sketch_ops(tt: TensorTrain, rank: Ranks) -> int:
    """Predict the ops of randomize-then-orthogonalize's sketching step on ``tt`` with :func:`tncost.cost.tree_cost`."""
    tt = _checked_tt(tt)
    targets = _target_ranks(rank, tt.order)
    if tt.order == 1:
        return 0
    network, tree = sketch_network(tt.order, tt.shape, tt.ranks, targets)
    return int(tree_cost(network, tree).ops)


# Predicted costs ----------------------------------------------------------------------------


def _cap(value: Size, limit: Size) -> Size:
    """``min(value, limit)`` for ints; for symbolic sizes ``value`` (the regime assumes value <= limit)."""
    if isinstance(value, int) and isinstance(limit, int):
        return min(value, limit)
    return value


def _orthogonalize_flow(shape: Sequence[Size], ranks: Sequence[Size]) -> tuple[Size, list[Size]]:
    """Ops of the right-to-left QR sweep and the ranks it leaves."""
    order = len(shape)
    new = list(ranks)
    ops: Size = 0
    for k in range(order - 1, 0, -1):
        rows, cols = shape[k] * new[k + 1], new[k]
        rank = _cap(cols, rows)
        ops += rows * cols * rank
        ops += new[k - 1] * shape[k - 1] * cols * rank
        new[k] = rank
    return ops, new


def _qr_sweep_flow(
    shape: Sequence[Size], ranks: Sequence[Size], targets: Sequence[Size]
) -> tuple[dict[str, Size], list[Size]]:
    """Ops of the left-to-right sketched QR sweep (sample, QR, project, move) on a train of ``ranks``, and the ranks it leaves."""
    order = len(shape)
    sweep: Size = 0
    qr: Size = 0
    left: Size = 1
    out: list[Size] = [1] * (order + 1)
    for k in range(order - 1):
        rows, right = left * shape[k], ranks[k + 1]
        rank = _cap(targets[k + 1], rows)
        sweep += rows * right * targets[k + 1]
        qr += rows * targets[k + 1] * rank
        sweep += rank * rows * right
        sweep += rank * right * shape[k + 1] * ranks[k + 2]
        left = rank
        out[k + 1] = rank
    return {"sweep": sweep, "qr": qr}, out


def _left_orthogonalize_flow(shape: Sequence[Size], ranks: Sequence[Size]) -> tuple[Size, list[Size]]:
    """Ops of the left-to-right QR sweep of :func:`_left_orthogonalize` and the ranks it leaves."""
    new = list(ranks)
    ops: Size = 0
    for k in range(len(shape) - 1):
        rows, cols = new[k] * shape[k], new[k + 1]
        rank = _cap(cols, rows)
        ops += rows * cols * rank
        ops += rank * cols * shape[k + 1] * new[k + 2]
        new[k + 1] = rank
    return ops, new


def _truncate_flow(shape: Sequence[Size], ranks: Sequence[Size], caps: Sequence[Size]) -> Size:
    """Ops of :func:`_truncate_left_orthogonal` on a train of ``ranks``."""
    new = list(ranks)
    ops: Size = 0
    for k in range(len(shape) - 1, 0, -1):
        rows, cols = new[k], shape[k] * new[k + 1]
        smaller = _cap(rows, cols)
        ops += rows * cols * smaller
        rank = _cap(caps[k], smaller)
        ops += new[k - 1] * shape[k - 1] * rows * rank
        new[k] = rank
    return ops


def _flow(
    method: str,
    shape: Sequence[Size],
    ranks: Sequence[Size],
    targets: Sequence[Size],
    caps: Sequence[Size] | None = None,
) -> dict[str, Size]:
    """Predicted ops per phase of ``method`` (the same phases as :attr:`RoundingResult.breakdown`).

    ``caps`` are the ranks of the optional truncation of a randomized result.
    """
    order = len(shape)
    phases: dict[str, Size] = dict.fromkeys(PHASES, 0)
    if order == 1:
        return phases
    if method == "randomize-then-orthogonalize":
        network, tree = sketch_network(order, shape, ranks, targets)
        phases["sketch"] = tree_cost(network, tree).ops
        sweep, out = _qr_sweep_flow(shape, ranks, targets)
        phases.update(sweep)
    elif method == "orthogonalize-then-randomize":
        phases["orthogonalize"], orthogonal = _orthogonalize_flow(shape, ranks)
        sweep, out = _qr_sweep_flow(shape, orthogonal, targets)
        phases.update(sweep)
    elif method == "deterministic":
        phases["orthogonalize"], orthogonal = _orthogonalize_flow(shape, ranks)
        left: Size = 1
        for k in range(order - 1):
            rows, right = left * shape[k], orthogonal[k + 1]
            phases["svd"] += rows * right * _cap(right, rows)
            rank = _cap(targets[k + 1], _cap(right, rows))
            phases["sweep"] += rank * right * shape[k + 1] * orthogonal[k + 2]
            left = rank
    elif method == "two-sided":
        sweep, kept_ranks = _two_sided_flow(shape, ranks, targets)
        phases.update(sweep)
        if caps is not None:
            phases["truncate"], out = _left_orthogonalize_flow(shape, kept_ranks)
    else:
        raise SpecError(f"unknown rounding method {method!r}; use one of {', '.join(METHODS)}")
    if caps is not None and method != "deterministic":
        phases["truncate"] += _truncate_flow(shape, out, caps)
    return phases


def _two_sided_flow(
    shape: Sequence[Size], ranks: Sequence[Size], targets: Sequence[Size]
) -> tuple[dict[str, Size], list[Size]]:
    order = len(shape)
    doubled = [1, *(2 * t for t in targets[1:-1]), 1]
    network, tree = sketch_network(order, shape, ranks, targets)
    sketch = tree_cost(network, tree).ops
    sketch += doubled[1] * shape[0] * ranks[1]
    for k in range(1, order - 1):
        sketch += doubled[k] * ranks[k] * shape[k] * ranks[k + 1]
        sketch += doubled[k + 1] * doubled[k] * shape[k] * ranks[k + 1]
    sweep: Size = 0
    svd: Size = 0
    kept_ranks: list[Size] = [1] * (order + 1)
    for k in range(1, order):
        # W^L_k W^R_k factors through R_k, so its rank is at most min(2 L_k, R_k, L_k).
        rank = _cap(_cap(targets[k], doubled[k]), ranks[k])
        sweep += doubled[k] * ranks[k] * targets[k]
        svd += doubled[k] * targets[k] * _cap(targets[k], doubled[k])
        sweep += rank * doubled[k] * ranks[k] + ranks[k] * targets[k] * rank
        kept_ranks[k] = rank
    for k in range(order):
        if k > 0:
            sweep += kept_ranks[k] * ranks[k] * shape[k] * ranks[k + 1]
        if k < order - 1:
            sweep += kept_ranks[k] * shape[k] * ranks[k + 1] * kept_ranks[k + 1]
    return {"sketch": sketch, "sweep": sweep, "svd": svd}, kept_ranks


@dataclass(frozen=True)
class CostPrediction:
    """Predicted ops of each rounding method and the lower bound of the sketching step.

    Attributes
    ----------
    order, mode_size, rank, sketch_rank
        N, I, R and L as given (ints or sympy sizes).
    methods
        Predicted total ops per method: ints, or sympy polynomials in the
        symbols given. Symbolic predictions assume ``L <= R <= I``.
    phases
        Predicted ops per method and phase.
    lower_bound
        The lower bound of randomize-then-orthogonalize's sketching step at
        ``m = L`` with a right-to-left data tree, or None with ``bound_note``
        saying why (the bound needs ``2 <= L <= I``).
    """

    order: int
    mode_size: Size
    rank: Size
    sketch_rank: Size
    methods: Mapping[str, Size]
    phases: Mapping[str, Mapping[str, Size]]
    lower_bound: LowerBound | None
    bound_note: str = ""

    def at(self, values: Mapping[str, int]) -> dict[str, int]:
        """Evaluate every method's prediction at ``values`` (symbol name to int)."""
        evaluated = {}
        for method, ops in self.methods.items():
            evaluated[method] = _evaluate(ops, values)
        return evaluated

    def compare(self, results: Mapping[str, RoundingResult], values: Mapping[str, int] | None = None) -> list[dict]:
        """Return one row per method run: predicted and measured ops, their ratio, and the time."""
        predicted = self.at(values or {})
        rows = []
        for method, result in results.items():
            expected = predicted.get(method)
            rows.append(
                {
                    "method": method,
                    "predicted_ops": expected,
                    "measured_ops": result.ops,
                    "measured_over_predicted": None if not expected else result.ops / expected,
                    "seconds": result.seconds,
                }
            )
        return rows

    def to_dict(self) -> dict:
        """Return a JSON-ready description (symbolic values as strings)."""
        bound = None if self.lower_bound is None else self.lower_bound.to_dict()
        return {
            "order": self.order,
            "mode_size": _json(self.mode_size),
            "rank": _json(self.rank),
            "sketch_rank": _json(self.sketch_rank),
            "methods": {m: _json(v) for m, v in self.methods.items()},
            "phases": {m: {p: _json(v) for p, v in ph.items()} for m, ph in self.phases.items()},
            "lower_bound": bound,
            "bound_note": self.bound_note,
        }


def _json(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)


def _evaluate(value: Size, values: Mapping[str, int]) -> int:
    if isinstance(value, int):
        return value
    substituted = value.xreplace({s: sympy.Integer(values[s.name]) for s in value.free_symbols if s.name in values})
    if not substituted.is_Integer:
        missing = sorted(s.name for s in substituted.free_symbols)
        raise SpecError(f"no value for symbol(s) {', '.join(missing)}; give every symbol an int")
    return int(substituted)


def predict_costs(
    order: int,
    mode_size: object,
    rank: object,
    sketch_rank: object,
    *,
    methods: Sequence[str] = METHODS,
) -> CostPrediction:
    """Predict the ops of every rounding method on a uniform train, before running anything.

    Parameters
    ----------
    order
        N, an int >= 2.
    mode_size, rank, sketch_rank
        I, R and L: ints, or symbol names / sympy sizes such as ``"s"``,
        ``"R"``, ``"L"``. With symbols the predictions are polynomials that
        assume ``L <= R <= I`` (no rank is capped by a matrix dimension);
        with ints every cap is applied exactly.
    methods
        The methods to predict (default: all of :data:`METHODS`).

    Returns
    -------
    CostPrediction
        Predicted ops per method and phase, and the lower bound of the
        sketching step (at ``m = L``), symbolic or numeric like the input.

    Raises
    ------
    SpecError
        If ``order`` is below 2 or a method is unknown.

    Examples
    --------
    >>> prediction = predict_costs(4, "s", "R", "L")
    >>> prediction.phases["randomize-then-orthogonalize"]["sketch"]
    2*L**2*R*s + 2*L*R**2*s + L*R*s
    >>> predict_costs(4, 10, 6, 3).at({})["randomize-then-orthogonalize"] > 0
    True
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 2:
        raise SpecError(f"invalid order {order!r}: rounding needs a tensor train of order >= 2")
    order = int(order)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SpecError(f"unknown rounding method {unknown[0]!r}; use one of {', '.join(METHODS)}")
    size, bond, sketch = (parse_size(v) for v in (mode_size, rank, sketch_rank))
    shape = [size] * order
    ranks = [1, *([bond] * (order - 1)), 1]
    targets = [1, *([sketch] * (order - 1)), 1]

    phases = {}
    totals = {}
    for method in methods:
        flow = _flow(method, shape, ranks, targets)
        phases[method] = MappingProxyType(flow)
        totals[method] = _sum(flow.values())

    bound, note = _sketch_bound(order, shape, ranks, sketch)
    return CostPrediction(
        order=order,
        mode_size=size,
        rank=bond,
        sketch_rank=sketch,
        methods=MappingProxyType(totals),
        phases=MappingProxyType(phases),
        lower_bound=bound,
        bound_note=note,
    )


def predict_tt_costs(tt: TensorTrain, rank: Ranks, method: str, *, max_rank: Ranks | None = None) -> dict[str, int]:
    """Predict the ops per phase of ``method`` on this train as exact ints (any ranks).

    ``rank`` and ``max_rank`` mean what they mean for :func:`round_tt`. The
    prediction assumes that every sketch has full rank. That is true with
    probability 1 when the train's ranks are minimal. A train with redundant
    ranks can make two-sided rounding keep fewer columns and do fewer ops.
    """
    tt = _checked_tt(tt)
    targets = _target_ranks(rank, tt.order)
    caps = None if method == "deterministic" else _target_ranks(max_rank, tt.order, "max_rank")
    flow = _flow(method, list(tt.shape), list(tt.ranks), targets, caps)
    return {phase: int(ops) for phase, ops in flow.items()}



def _sum(values: Any) -> Size:
    values = list(values)
    if all(isinstance(v, int) for v in values):
        return sum(values)
    return sympy.expand(sympy.Add(*values))


def _sketch_bound(order: int, shape: Sequence[Size], ranks: Sequence[Size], m: Size) -> tuple[LowerBound | None, str]:
    data = sketch_data_network(order, shape, ranks)
    try:
        return lower_bound(data, _right_to_left_tree(order), m), ""
    except SketchSizeError as err:
        return None, f"no lower bound at m = L = {m}: {err}"


def sketch_lower_bound(tt: TensorTrain, rank: int) -> LowerBound:
    """Return the lower bound of randomize-then-orthogonalize's sketching step on ``tt`` at ``m = rank``.

    Raises
    ------
    SketchSizeError
        Unless ``2 <= rank <= I_k`` for every mode k >= 2.
    """
    tt = _checked_tt(tt)
    data = sketch_data_network(tt.order, tt.shape, tt.ranks)
    return lower_bound(data, _right_to_left_tree(tt.order), rank)

