"""Sketched Tucker-ALS (HOOI with rank-constrained sketched least squares) and CP through Tucker.

Mode n updates the factor A_n and the core G together. With ``P_n`` the
Kronecker product of the other (orthonormal) factors, it minimizes
``‖S·P_n·B − S·X_(n)ᵀ‖`` over rank(B) ≤ R_n. The exact minimizer
(``solve="exact"``): ``S·P_n = Q·R̂`` (thin QR), ``B = R̂⁻¹·[Qᵀ·S·X_(n)ᵀ]_{R_n}``
(the rank-R_n truncation of QᵀZ), then ``B = U·Σ·Vᵀ``, ``A_n ← V`` and the
core's mode-n unfolding becomes ``(U·Σ)ᵀ``. Without a sketch this is the HOOI
update. ``solve="truncate"`` truncates the unconstrained solution ``R̂⁻¹·QᵀZ``
instead; it is cheaper to reason about but not the minimizer in general.

The residual is ``‖X‖² − 2⟨X, X̂⟩ + ‖G‖²`` (the sketched core is not an exact
projection, so ``‖X − X̂‖² ≠ ‖X‖² − ‖G‖²`` in general).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ..errors import NetworkError, SizeError, SketchSizeError, SpecError
from ..random import Seed, resolve_seed, spawn_seeds
from .cp_als import CPResult, _fit, cp_als
from .sketches import (
    GAUSSIAN_FAMILIES,
    GaussianSketch,
    LeverageSampler,
    NetworkTensor,
    TensorSketch,
    default_gaussian_m,
    leading_left_vectors,
    unfold_t,
)

__all__ = [
    "TUCKER_FAMILIES",
    "TuckerResult",
    "tucker_als",
    "tucker_to_tensor",
    "range_finder",
    "rank_constrained_solve",
    "cp_via_tucker",
    "default_tucker_m",
]

TUCKER_FAMILIES = ("none", *GAUSSIAN_FAMILIES, "tensorsketch", "leverage")
"""The values of ``family``; ``none`` is HOOI."""


@dataclass
class TuckerResult:
    """The result of :func:`tucker_als`: core, orthonormal factors, relative residual and history per sweep."""

    core: np.ndarray
    factors: list[np.ndarray]
    residual: float
    history: list[dict]
    family: str
    m: int | None
    notes: list[str] = field(default_factory=list)

    def full(self) -> np.ndarray:
        """Return the dense reconstruction."""
        return tucker_to_tensor(self.core, self.factors)

    def to_dict(self) -> dict:
        """Return a JSON-ready summary (no arrays)."""
        return {
            "family": self.family, "m": self.m, "residual": self.residual,
            "sweeps": len(self.history), "history": self.history, "notes": self.notes,
        }


def mode_product(tensor: np.ndarray, matrix: np.ndarray, mode: int) -> np.ndarray:
    """Return ``tensor ×_mode matrix`` (matrix rows replace the mode's axis)."""
    return np.moveaxis(np.tensordot(matrix, tensor, axes=([1], [mode])), 0, mode)


def tucker_to_tensor(core: np.ndarray, factors: Sequence[np.ndarray]) -> np.ndarray:
    """Return the dense tensor G ×_1 A_1 ⋯ ×_N A_N."""
    result = core
    for k, factor in enumerate(factors):
        result = mode_product(result, factor, k)
    return result


def _project(data: np.ndarray | NetworkTensor, factors: Sequence[np.ndarray], skip: int | None = None) -> np.ndarray:
    """Return X ×_k A_kᵀ over every mode except ``skip``."""
    if isinstance(data, NetworkTensor):
        extra = [(f, (f"e{k}", f"p{k}")) for k, f in enumerate(factors) if k != skip]
        output = [f"e{k}" if k == skip else f"p{k}" for k in range(len(factors))]
        return data.contract(extra, output)
    result = data
    for k, factor in enumerate(factors):
        if k != skip:
            result = mode_product(result, factor.T, k)
    return result


def rank_constrained_solve(left: np.ndarray, right: np.ndarray, rank: int, *, solve: str = "exact") -> tuple[np.ndarray, np.ndarray]:
    """Minimize ‖left·B − right‖ over rank(B) ≤ rank; return (U·Σ, V) with B = (U·Σ)·Vᵀ.

    ``solve="exact"``: with left = Q·R̂, the minimizer is R̂⁻¹·[QᵀZ]_rank.
    ``solve="truncate"``: the rank truncation of the least-squares solution
    R̂⁻¹·QᵀZ, which is not the minimizer when R̂ is not orthogonal.
    """
    q, r = np.linalg.qr(left)
    projected = q.T @ right
    if solve == "exact":
        u, sigma, vt = np.linalg.svd(projected, full_matrices=False)
        truncated = (u[:, :rank] * sigma[:rank]) @ vt[:rank]
        solution = np.linalg.lstsq(r, truncated, rcond=None)[0]
    elif solve == "truncate":
        solution = np.linalg.lstsq(r, projected, rcond=None)[0]
    else:
        raise SpecError(f"unknown solve {solve!r}; use 'exact' or 'truncate'")
    u, sigma, vt = np.linalg.svd(solution, full_matrices=False)
    return u[:, :rank] * sigma[:rank], vt[:rank].T


def range_finder(data: np.ndarray, ranks: Sequence[int], eps: float = 0.25, seed: Seed = None) -> list[np.ndarray]:
    """Return orthonormal initial factors from a randomized range finder, one mode at a time.

    Per mode: k = ⌊R/ε⌋; a CountSketch maps the columns of X_(n) into
    k + R² buckets; a Gaussian (k + R²) × k matrix with variance 1/k follows;
    the factor is the top R left singular vectors of the s_n × k result.
    """
    rng = resolve_seed(seed)
    factors = []
    for n, rank in enumerate(ranks):
        k = max(rank, int(rank / eps))
        buckets = k + rank * rank
        columns = unfold_t(data, n)  # (∏ others, s_n): the columns of X_(n) are its rows
        hashed = rng.integers(0, buckets, size=columns.shape[0])
        signs = rng.choice(np.array([-1.0, 1.0]), size=columns.shape[0])
        countsketch = scipy.sparse.csr_matrix((signs, (hashed, np.arange(columns.shape[0]))), shape=(buckets, columns.shape[0]))
        sketched = np.asarray(countsketch @ columns)
        gaussian = rng.standard_normal((buckets, k)) / math.sqrt(k)
        u, _, _ = np.linalg.svd(sketched.T @ gaussian, full_matrices=False)
        factors.append(u[:, :rank])
    return factors


def default_tucker_m(family: str, shape: Sequence[int], ranks: Sequence[int], eps: float = 0.25, delta: float = 0.1) -> int:
    """Return the default sketch size for mode 0 of a Tucker problem.

    Leverage: ⌊R/ε⌋^{N−1}; TensorSketch: ⌊R^{N−1}/ε²⌋ (R the largest rank;
    the sizes of the original sketched Tucker experiments, ε = 0.25). Gaussian
    families: the subspace rule with d = ∏_{k≠0} R_k + 1, evaluated at ε = 0.5.
    ``shape`` and ``ranks`` list the updated mode first. Each size is capped
    at the number of rows of P_n, which is the product of the other mode sizes.
    """
    N = len(shape)
    rank = max(ranks)
    rows = math.prod(shape[1:])
    if family == "leverage":
        m = int(rank / eps) ** (N - 1)
    elif family == "tensorsketch":
        m = int(rank ** (N - 1) / (eps * eps))
    else:
        m = default_gaussian_m(family, N - 1, math.prod(ranks[1:]), max(eps, 0.5), delta)
    return max(1, min(m, rows))


def _squared_norm(data: np.ndarray | NetworkTensor) -> float:
    return float(np.vdot(data, data)) if isinstance(data, np.ndarray) else data.squared_norm()


def _initial(data: np.ndarray | NetworkTensor, ranks: Sequence[int], init: object, rng: np.random.Generator) -> list[np.ndarray]:
    shape = data.shape
    if isinstance(init, str):
        if init == "random":
            return [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in zip(shape, ranks)]
        if not isinstance(data, np.ndarray):
            raise SpecError(f"init={init!r} needs a dense tensor; use init='random' for a network input")
        if init == "range-finder":
            return range_finder(data, ranks, seed=rng)
        if init == "hosvd":
            return [leading_left_vectors(unfold_t(data, n).T, r) for n, r in enumerate(ranks)]
        raise SpecError(f"unknown init {init!r}; use 'range-finder', 'hosvd', 'random' or a list of factors")
    factors = [np.array(f, dtype=float) for f in init]  # type: ignore[union-attr]
    if len(factors) != len(shape) or any(f.shape != (s, r) for f, s, r in zip(factors, shape, ranks)):
        raise SizeError(f"init factors have shapes {[f.shape for f in factors]}; expected {list(zip(shape, ranks))}")
    return factors


def tucker_als(
    tensor: np.ndarray | NetworkTensor,
    ranks: Sequence[int],
    *,
    family: str = "none",
    m: int | None = None,
    init: str | Sequence[np.ndarray] = "range-finder",
    max_sweeps: int = 10,
    tol: float = 1e-8,
    seed: Seed = None,
    solve: str = "exact",
    eps: float = 0.25,
    delta: float = 0.1,
    callback: Callable[[dict], None] | None = None,
) -> TuckerResult:
    """Compute a Tucker decomposition with multilinear ranks ``ranks`` by (sketched) HOOI.

    Parameters
    ----------
    tensor
        A dense array, or a :class:`~tncost.apps.sketches.NetworkTensor` (with
        ``none``, ``leverage`` or a Gaussian family).
    ranks
        One rank per mode.
    family
        ``none`` (HOOI), a Gaussian family of the planner, ``tensorsketch``
        (hashes fixed for the run, data sketched once) or ``leverage``
        (fresh samples per mode problem). For orthonormal factors the product
        of squared row norms is exactly the Kronecker leverage score.
    m
        The sketch size; default :func:`default_tucker_m` (per mode).
    init
        ``range-finder``, ``hosvd``, ``random`` or a list of orthonormal factors.
    max_sweeps, tol
        Stop after ``max_sweeps`` or when the relative residual changes by less than ``tol``.
    solve
        ``exact`` (the rank-constrained minimizer) or ``truncate``.
    callback
        Called with each sweep's history entry.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> core = rng.standard_normal((2, 3, 2))
    >>> factors = [np.linalg.qr(rng.standard_normal((10, r)))[0] for r in (2, 3, 2)]
    >>> result = tucker_als(tucker_to_tensor(core, factors), [2, 3, 2], seed=0)
    >>> bool(result.residual < 1e-10)
    True
    """
    if isinstance(tensor, NetworkTensor):
        data: np.ndarray | NetworkTensor = tensor
    else:
        data = np.asarray(tensor, dtype=float)
        if data.ndim < 2:
            raise NetworkError(f"the tensor has order {data.ndim}; Tucker needs an order of at least 2")
    shape = tuple(int(s) for s in data.shape)
    ranks = [int(r) for r in ranks]
    if len(ranks) != len(shape):
        raise SizeError(f"{len(ranks)} ranks given for a tensor of order {len(shape)}; give one rank per mode")
    bad = [r for r, s in zip(ranks, shape) if r < 1 or r > s]
    if bad:
        raise SizeError(f"invalid Tucker ranks {ranks} for shape {shape}: each rank is between 1 and its mode size")
    if family not in TUCKER_FAMILIES:
        raise SpecError(f"unknown family {family!r}; valid families: {', '.join(TUCKER_FAMILIES)}")
    if solve not in ("exact", "truncate"):
        raise SpecError(f"unknown solve {solve!r}; use 'exact' or 'truncate'")
    if family == "tensorsketch" and not isinstance(data, np.ndarray):
        raise SpecError("TensorSketch needs a dense tensor; for a network input use a Gaussian family or leverage")
    if m is not None and (isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1):
        raise SketchSizeError(f"invalid sketch size m={m!r}: give a positive integer")

    init_seed, sketch_seed = spawn_seeds(seed, 2)
    rng = resolve_seed(init_seed)
    sketch_rng = resolve_seed(sketch_seed)
    factors = _initial(data, ranks, init, rng)
    N = len(shape)
    norm_x = _squared_norm(data)

    sizes = {}
    if family != "none":
        for n in range(N):
            order = [ranks[n]] + [ranks[k] for k in range(N) if k != n]
            sizes[n] = int(m) if m is not None else default_tucker_m(family, [shape[n]] + [shape[k] for k in range(N) if k != n], order, eps, delta)
    gaussian = {}
    sketched_data: dict[int, np.ndarray] = {}
    if family in GAUSSIAN_FAMILIES:
        for n in range(N):
            gaussian[n] = GaussianSketch(family, shape, n, ranks, sizes[n], 0.5, delta)
            gaussian[n].draw(np.random.SeedSequence(int(sketch_rng.integers(2**63))))
            sketched_data[n] = gaussian[n].apply_data(data)[0]
    elif family == "tensorsketch":
        # One hash family per sketch size; every mode shares the draws of its size.
        tensorsketches = {size: TensorSketch(shape, size, sketch_rng) for size in sorted(set(sizes.values()))}
    leverage = {n: LeverageSampler(shape, sizes[n], sketch_rng) for n in range(N)} if family == "leverage" else {}

    history: list[dict] = []
    residual = float("nan")
    core = np.zeros(ranks)
    for sweep in range(max_sweeps):
        start = time.perf_counter()
        for n in range(N):
            factor_map = dict(enumerate(factors))
            if family == "none":
                projected = _project(data, factors, skip=n)
                unfolded = np.moveaxis(projected, n, -1).reshape(-1, shape[n])
                u_sigma, v = _hooi_solve(unfolded, ranks[n])
            else:
                if family in GAUSSIAN_FAMILIES:
                    left = gaussian[n].apply_structured(factor_map)[0]
                    right = sketched_data[n]
                elif family == "tensorsketch":
                    sketch = tensorsketches[sizes[n]]
                    left = sketch.apply_kronecker(factor_map, n)
                    right = sketch.apply_data(data, n)  # type: ignore[arg-type]
                else:
                    left, right = leverage[n].apply(factor_map, data, n, kronecker=True)
                u_sigma, v = rank_constrained_solve(left, right, ranks[n], solve=solve)
            factors[n] = v
            other_ranks = [ranks[k] for k in range(N) if k != n]
            core = np.moveaxis(u_sigma.T.reshape([ranks[n], *other_ranks]), 0, n)
        seconds = time.perf_counter() - start
        previous = residual
        inner = float(np.vdot(_project(data, factors), core))
        residual = math.sqrt(max(norm_x - 2.0 * inner + float(np.vdot(core, core)), 0.0) / norm_x)
        history.append({"sweep": sweep + 1, "residual": residual, "seconds": seconds})
        if callback is not None:
            callback(history[-1])
        if sweep > 0 and abs(residual - previous) < tol:
            break
    return TuckerResult(core, factors, residual, history, family, None if family == "none" else sizes[0])


def _hooi_solve(unfolded: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Solve the unsketched update: P_n has orthonormal columns, so Q = P_n, R̂ = I and B = [P_nᵀ X_(n)ᵀ]_rank."""
    u, sigma, vt = np.linalg.svd(unfolded, full_matrices=False)
    return u[:, :rank] * sigma[:rank], vt[:rank].T


def cp_via_tucker(
    tensor: np.ndarray,
    rank: int,
    *,
    family: str = "leverage",
    m: int | None = None,
    tucker_sweeps: int = 5,
    max_sweeps: int = 100,
    tol: float = 1e-8,
    seed: Seed = None,
) -> CPResult:
    """Compute a rank-R CP decomposition through a sketched Tucker compression.

    Range-finder initialization with Tucker rank R in every mode, ``tucker_sweeps``
    sketched Tucker sweeps, exact CP-ALS on the R×…×R core initialized from
    the core's HOSVD, then A_n = U_n·C_n. The returned fit is measured against
    the input tensor.
    """
    data = np.asarray(tensor, dtype=float)
    shape = data.shape
    ranks = [min(rank, s) for s in shape]
    tucker_seed, cp_seed = spawn_seeds(seed, 2)
    tucker = tucker_als(data, ranks, family=family, m=m, init="range-finder", max_sweeps=tucker_sweeps, tol=0.0, seed=tucker_seed)
    core = tucker.core
    init = []
    for n in range(core.ndim):
        u = leading_left_vectors(unfold_t(core, n).T, core.shape[n])
        if u.shape[1] < rank:
            u = np.hstack([u, resolve_seed(cp_seed).standard_normal((u.shape[0], rank - u.shape[1]))])
        init.append(u[:, :rank])
    small = cp_als(core, rank, family="none", solver="normal", init=init, max_sweeps=max_sweeps, tol=tol, seed=cp_seed)
    factors = [u @ c for u, c in zip(tucker.factors, small.factors)]
    norms = [np.linalg.norm(f, axis=0) for f in factors]
    weights = small.weights * np.prod(norms, axis=0)
    factors = [f / np.where(n > 0, n, 1.0) for f, n in zip(factors, norms)]
    fit = _fit(float(np.vdot(data, data)), data, factors, weights)
    history = [{"stage": "tucker", **h} for h in tucker.history] + [{"stage": "core-cp", **h} for h in small.history]
    notes = [f"Tucker compression with family {family}, m = {tucker.m}, {len(tucker.history)} sweeps"]
    mode = {"none": "exact", "leverage": "redraw"}.get(family, "reuse")
    return CPResult(factors, weights, fit, history, mode, f"tucker-{family}", tucker.m, "normal", {}, notes)
