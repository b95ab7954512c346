"""Tensor trains: cores, TT-SVD, arithmetic, and conversions to networks and other libraries.

A :class:`TensorTrain` of order N stores its cores ``Y_k`` as numpy arrays of
shape ``(R_{k-1}, I_k, R_k)`` with ``R_0 = R_N = 1``, the layout that
tensorly's ``TTTensor`` uses. ``ranks`` is the tuple ``(R_0, ..., R_N)``.

Examples
--------
>>> import numpy as np
>>> dense = np.arange(24.0).reshape(2, 3, 4)
>>> tt = TensorTrain.from_dense(dense, rtol=1e-12)
>>> tt.ranks, bool(np.allclose(tt.full(), dense))
((1, 2, 2, 1), True)
>>> (tt + tt).ranks
(1, 4, 4, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import NetworkError, SpecError
from ..network import Tensor, TensorNetwork
from ..random import Seed, resolve_seed

__all__ = ["TensorTrain", "tt_svd_ranks"]


def _as_rank_list(ranks: int | Sequence[int], order: int, parameter: str) -> list[int]:
    """Expand ``ranks`` (one int, or the N - 1 interior ranks) into ``[1, R_1, ..., R_{N-1}, 1]``."""
    if isinstance(ranks, (int, np.integer)) and not isinstance(ranks, bool):
        interior = [int(ranks)] * (order - 1)
    else:
        try:
            interior = [int(r) for r in ranks]  # type: ignore[union-attr]
        except TypeError:
            raise SpecError(f"invalid {parameter} {ranks!r}: give one int or a list of {order - 1} ints") from None
        if len(interior) != order - 1:
            raise SpecError(
                f"{parameter} {list(interior)} has {len(interior)} entries; a tensor train of order {order} "
                f"has {order - 1} interior ranks"
            )
    bad = [r for r in interior if r < 1]
    if bad:
        raise SpecError(f"invalid {parameter} {interior}: every rank must be at least 1")
    return [1, *interior, 1]


def tt_svd_ranks(singular_values: np.ndarray, max_rank: int | None, threshold: float) -> int:
    """Return the smallest rank whose discarded singular values have 2-norm at most ``threshold``, capped by ``max_rank``.

    At least one singular value is always kept.

    Examples
    --------
    >>> tt_svd_ranks(np.array([3.0, 2.0, 1e-9]), None, 1e-6)
    2
    >>> tt_svd_ranks(np.array([3.0, 2.0, 1.0]), 1, 0.0)
    1
    """
    # tails[j] is the norm of the singular values from position j on.
    squares = np.asarray(singular_values, dtype=float) ** 2
    tails = np.sqrt(np.cumsum(squares[::-1])[::-1])
    rank = len(squares)
    for j in range(1, len(squares)):
        if tails[j] <= threshold:
            rank = j
            break
    if max_rank is not None:
        rank = min(rank, max_rank)
    return max(rank, 1)


class TensorTrain:
    """A tensor in the tensor-train (matrix product state) format.

    Parameters
    ----------
    cores
        The N cores, each a 3-d array of shape ``(R_{k-1}, I_k, R_k)``. The
        first left rank and the last right rank must be 1, and neighbouring
        ranks must agree.
    copy
        Copy the cores (default) or keep references to the given arrays.

    Raises
    ------
    NetworkError
        If there are no cores, a core is not 3-d, or the ranks do not chain.
    """

    def __init__(self, cores: Sequence[Any], *, copy: bool = True) -> None:
        cores = list(cores)
        if not cores:
            raise NetworkError("a tensor train needs at least one core; got an empty list")
        checked = []
        for k, core in enumerate(cores):
            array = np.array(core, copy=copy) if copy else np.asarray(core)
            if array.ndim != 3:
                raise NetworkError(
                    f"core {k} has shape {array.shape}; every core must be 3-d with shape (R_left, I, R_right)"
                )
            if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_):
                raise NetworkError(f"core {k} has dtype {array.dtype}; cores must hold numbers")
            if 0 in array.shape:
                raise NetworkError(f"core {k} has shape {array.shape}; every size must be at least 1")
            checked.append(array)
        if checked[0].shape[0] != 1 or checked[-1].shape[2] != 1:
            raise NetworkError(
                f"the boundary ranks are {checked[0].shape[0]} and {checked[-1].shape[2]}; "
                "the first core must have left rank 1 and the last core right rank 1"
            )
        for k in range(len(checked) - 1):
            if checked[k].shape[2] != checked[k + 1].shape[0]:
                raise NetworkError(
                    f"core {k} has right rank {checked[k].shape[2]} but core {k + 1} has left rank "
                    f"{checked[k + 1].shape[0]}; neighbouring ranks must be equal"
                )
        self._cores = checked

    # Construction ---------------------------------------------------------------

    @classmethod
    def from_dense(
        cls, tensor: Any, *, max_rank: int | Sequence[int] | None = None, rtol: float = 0.0
    ) -> "TensorTrain":
        """Decompose a dense tensor by TT-SVD (sequential truncated SVDs of its unfoldings).

        Parameters
        ----------
        tensor
            A dense array with at least one dimension.
        max_rank
            The largest rank to keep: one int for every bond or N - 1 ints;
            ``None`` keeps every rank the tolerance allows.
        rtol
            The relative tolerance: the result ``T`` satisfies
            ``‖T - tensor‖ <= rtol · ‖tensor‖`` when no rank cap binds
            (each of the N - 1 truncations discards at most
            ``rtol · ‖tensor‖ / sqrt(N - 1)``).

        Raises
        ------
        NetworkError
            If the tensor is 0-d or has a zero-size dimension.
        SpecError
            If ``rtol`` is negative or ``max_rank`` is invalid.
        """
        array = np.asarray(tensor)
        if array.ndim == 0 or 0 in array.shape:
            raise NetworkError(f"cannot decompose an array of shape {array.shape}; give at least one non-empty dimension")
        if not rtol >= 0:
            raise SpecError(f"invalid rtol {rtol!r}: the relative tolerance must be >= 0")
        order = array.ndim
        caps = None if max_rank is None else _as_rank_list(max_rank, order, "max_rank")
        threshold = float(rtol) * float(np.linalg.norm(array)) / np.sqrt(max(order - 1, 1))

        cores = []
        rank = 1
        remainder = array.reshape(1, -1)
        for k in range(order - 1):
            matrix = remainder.reshape(rank * array.shape[k], -1)
            u, sigma, vt = np.linalg.svd(matrix, full_matrices=False)
            new_rank = tt_svd_ranks(sigma, None if caps is None else caps[k + 1], threshold)
            cores.append(u[:, :new_rank].reshape(rank, array.shape[k], new_rank))
            remainder = sigma[:new_rank, None] * vt[:new_rank]
            rank = new_rank
        cores.append(remainder.reshape(rank, array.shape[-1], 1))
        return cls(cores, copy=False)

    @classmethod
    def random(
        cls,
        shape: Sequence[int],
        ranks: int | Sequence[int],
        *,
        seed: Seed = None,
        dtype: Any = np.float64,
    ) -> "TensorTrain":
        """Draw a tensor train with i.i.d. Gaussian cores.

        The entries of core k have variance ``1 / (I_k · R_k)``, so the
        expected squared norm of the full tensor is 1.

        Parameters
        ----------
        shape
            The mode sizes ``(I_1, ..., I_N)``.
        ranks
            One int for every interior bond, or the N - 1 interior ranks.
        seed
            An int, a numpy Generator or SeedSequence, or None.
        dtype
            ``float64`` (default) or ``float32``.

        Examples
        --------
        >>> TensorTrain.random((3, 4, 5), 2, seed=0).ranks
        (1, 2, 2, 1)
        >>> bool(np.array_equal(TensorTrain.random((3, 4), 2, seed=1).full(), TensorTrain.random((3, 4), 2, seed=1).full()))
        True
        """
        sizes = [int(i) for i in shape]
        if not sizes or any(i < 1 for i in sizes):
            raise SpecError(f"invalid shape {tuple(shape)}: give at least one mode, each of size >= 1")
        rank_list = _as_rank_list(ranks, len(sizes), "ranks")
        rng = resolve_seed(seed)
        cores = []
        for k, size in enumerate(sizes):
            scale = 1.0 / np.sqrt(size * rank_list[k + 1])
            core = rng.standard_normal((rank_list[k], size, rank_list[k + 1])) * scale
            cores.append(core.astype(dtype, copy=False))
        return cls(cores, copy=False)

    # Queries --------------------------------------------------------------------

    @property
    def cores(self) -> list[np.ndarray]:
        """The cores (a new list of the stored arrays)."""
        return list(self._cores)

    @property
    def order(self) -> int:
        """The number of modes N."""
        return len(self._cores)

    @property
    def shape(self) -> tuple[int, ...]:
        """The mode sizes ``(I_1, ..., I_N)``."""
        return tuple(core.shape[1] for core in self._cores)

    @property
    def ranks(self) -> tuple[int, ...]:
        """The TT ranks ``(R_0, R_1, ..., R_N)`` with ``R_0 = R_N = 1``."""
        return (1, *(core.shape[2] for core in self._cores))

    @property
    def dtype(self) -> np.dtype:
        """The common numpy dtype of the cores."""
        return np.result_type(*self._cores)

    @property
    def size(self) -> int:
        """The number of stored entries, the sum of the core sizes."""
        return sum(core.size for core in self._cores)

    def __repr__(self) -> str:
        return f"TensorTrain(shape={self.shape}, ranks={self.ranks})"

    # Dense results ----------------------------------------------------------------

    def full(self) -> np.ndarray:
        """Contract the cores into the dense tensor of shape ``self.shape``."""
        result = self._cores[0].reshape(self.shape[0], -1)
        for core in self._cores[1:]:
            left, size, right = core.shape
            result = (result.reshape(-1, left) @ core.reshape(left, size * right)).reshape(-1, right)
        return result.reshape(self.shape)

    def inner(self, other: "TensorTrain") -> complex | float:
        """Return ``<self, other>``, the sum of ``conj(self) * other`` (as ``np.vdot`` of the dense tensors).

        Raises
        ------
        NetworkError
            If the shapes differ.
        """
        self._check_same_shape(other, "inner product")
        # frame[a, b] is the contraction of the first k cores of conj(self) and other.
        frame = np.ones((1, 1), dtype=np.result_type(self.dtype, other.dtype))
        for mine, theirs in zip(self._cores, other._cores):
            step = np.tensordot(frame, np.conj(mine), axes=([0], [0]))  # (b, i, a')
            frame = np.tensordot(step, theirs, axes=([0, 1], [0, 1]))  # (a', b')
        value = frame[0, 0]
        return value.item() if hasattr(value, "item") else value

    def norm(self) -> float:
        """Return the Frobenius norm, computed by a QR sweep (stable, unlike ``sqrt(inner)``)."""
        factor = np.ones((1, 1), dtype=self.dtype)
        for core in self._cores:
            left, size, right = core.shape
            matrix = (factor @ core.reshape(left, size * right)).reshape(-1, right)
            _, factor = np.linalg.qr(matrix)
        return float(np.linalg.norm(factor))

    # Arithmetic -----------------------------------------------------------------

    def _check_same_shape(self, other: object, operation: str) -> None:
        if not isinstance(other, TensorTrain):
            raise NetworkError(f"{operation} needs a TensorTrain, got {type(other).__name__}")
        if other.shape != self.shape:
            raise NetworkError(f"{operation} of tensor trains of shapes {self.shape} and {other.shape}; the shapes must be equal")

    def __add__(self, other: "TensorTrain") -> "TensorTrain":
        """Add two tensor trains by concatenating their ranks (block-diagonal interior cores)."""
        self._check_same_shape(other, "addition")
        if self.order == 1:
            return TensorTrain([self._cores[0] + other._cores[0]], copy=False)
        dtype = np.result_type(self.dtype, other.dtype)
        cores = [np.concatenate([self._cores[0], other._cores[0]], axis=2).astype(dtype, copy=False)]
        for mine, theirs in zip(self._cores[1:-1], other._cores[1:-1]):
            (a, size, b), (c, _, d) = mine.shape, theirs.shape
            block = np.zeros((a + c, size, b + d), dtype=dtype)
            block[:a, :, :b] = mine
            block[a:, :, b:] = theirs
            cores.append(block)
        cores.append(np.concatenate([self._cores[-1], other._cores[-1]], axis=0).astype(dtype, copy=False))
        return TensorTrain(cores, copy=False)

    def __mul__(self, scalar: float) -> "TensorTrain":
        """Multiply by a scalar (the first core is scaled)."""
        if not np.isscalar(scalar):
            return NotImplemented
        cores = [self._cores[0] * scalar, *self._cores[1:]]
        return TensorTrain(cores, copy=False)

    __rmul__ = __mul__

    def __neg__(self) -> "TensorTrain":
        return self * -1.0

    def __sub__(self, other: "TensorTrain") -> "TensorTrain":
        return self + (-other)

    # Conversions --------------------------------------------------------------------

    def to_network(self, *, name: str = "tt", symbolic: bool = False) -> TensorNetwork:
        """Return the tensor train as a tncost network that sketches every mode.

        The cores are ``G1(p1, r1)``, ``Gk(r{k-1}, pk, rk)`` and ``GN(r{N-1}, pN)``,
        with the index names of :func:`tncost.structures.tensor_train`. With
        ``symbolic=True`` every mode has size ``s`` and every bond size ``R``
        (for uniform trains), otherwise the sizes are this train's numbers.

        Examples
        --------
        >>> TensorTrain.random((3, 4, 5), 2, seed=0).to_network().size_dict["r1"]
        2
        """
        tensors = []
        sizes: dict[str, object] = {}
        order = self.order
        for k in range(1, order + 1):
            left = (f"r{k - 1}",) if k > 1 else ()
            right = (f"r{k}",) if k < order else ()
            tensors.append(Tensor(f"G{k}", left + (f"p{k}",) + right))
            sizes[f"p{k}"] = "s" if symbolic else self.shape[k - 1]
            if k < order:
                sizes[f"r{k}"] = "R" if symbolic else self.ranks[k]
        physical = tuple(f"p{k}" for k in range(1, order + 1))
        return TensorNetwork(tuple(tensors), sizes, physical, physical, name)

    def to_tensorly(self) -> Any:
        """Return a ``tensorly.tt_tensor.TTTensor`` with the same cores (same layout).

        Raises
        ------
        ImportError
            If tensorly is not installed.
        """
        from tensorly.tt_tensor import TTTensor

        return TTTensor([core.copy() for core in self._cores])

    @classmethod
    def from_tensorly(cls, tt: Any) -> "TensorTrain":
        """Build a tensor train from a tensorly ``TTTensor`` or a list of its cores."""
        factors = getattr(tt, "factors", tt)
        import tensorly

        return cls([tensorly.to_numpy(core) for core in factors])

    def to_quimb(self) -> Any:
        """Return a ``quimb.tensor.MatrixProductState`` with the same entries.

        quimb stores the interior arrays as (left, right, physical) with
        ``shape="lrp"``; the boundary arrays lose their rank-1 bond.

        Raises
        ------
        ImportError
            If quimb is not installed.
        NetworkError
            If the train has a single core.
        """
        # NOTE: untested, because quimb is not installed in the development environment.
        from quimb.tensor import MatrixProductState

        if self.order == 1:
            raise NetworkError("quimb's MatrixProductState needs at least two sites; this train has one core")
        arrays = [self._cores[0][0, :, :].T.copy()]  # (right, physical)
        arrays += [core.transpose(0, 2, 1).copy() for core in self._cores[1:-1]]  # (left, right, physical)
        arrays.append(self._cores[-1][:, :, 0].copy())  # (left, physical)
        return MatrixProductState(arrays, shape="lrp")

    @classmethod
    def from_quimb(cls, mps: Any) -> "TensorTrain":
        """Build a tensor train from a quimb ``MatrixProductState`` (any site layout).

        Each site's tensor is read by its index names (``mps.site_ind(i)``
        and ``mps.bond(i, j)``), so any stored index order works.
        """
        # NOTE: untested, because quimb is not installed in the development environment.
        count = mps.L
        cores = []
        for site in range(count):
            tensor = mps[site]
            left = [mps.bond(site - 1, site)] if site > 0 else []
            right = [mps.bond(site, site + 1)] if site < count - 1 else []
            order = left + [mps.site_ind(site)] + right
            data = np.asarray(tensor.transpose(*order).data)
            if site == 0:
                data = data[None, ...]
            if site == count - 1:
                data = data[..., None]
            cores.append(data)
        return cls(cores)
