"""Sketched CP-ALS: alternating least squares for the CP decomposition with one sketch per mode problem.

Mode n's update solves ``min ‖X_(n)ᵀ − P_n A_nᵀ‖`` with ``P_n`` the
Khatri–Rao product of the other factors (the network ``ir,jr,...->ij...r``
whose rank index r is kept). The sketched update applies one sketch S to both
sides, ``min ‖S·X_(n)ᵀ − S·P_n·A_nᵀ‖``, and solves it by QR (``solver="qr"``)
or by the normal equations (``solver="normal"``).

For a dense X the right-hand side ``S·X_(n)ᵀ`` costs about m·s^N per mode,
more than an exact update's R·s^N whenever m > R. Two modes of operation:

- ``reuse``: each mode's sketch is drawn once and the data sketched once,
  before the sweeps; a sweep then only sketches the small ``P_n``.
- ``redraw``: a fresh sketch every sweep (the data is sketched every sweep).

Leverage-score sampling depends on the current factors, so it samples fresh
rows for every mode problem whatever the mode, and its result reports ``redraw``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from ..cost import tree_cost
from ..errors import NetworkError, SizeError, SketchSizeError, SpecError
from ..execute import execute_tree
from ..network import Tensor, TensorNetwork
from ..paths import optimize
from ..planner import plan_sketch
from ..random import Seed, resolve_seed, spawn_seeds
from ..tree import ContractionTree
from .sketches import (
    GAUSSIAN_FAMILIES,
    GaussianSketch,
    LeverageSampler,
    NetworkTensor,
    TensorSketch,
    default_gaussian_m,
    leading_left_vectors,
    leverage_counts,
    mode_index,
    structured_network,
    tensorsketch_counts,
    unfold_t,
)

__all__ = [
    "CP_FAMILIES", "CPResult", "cp_als", "predict_costs", "cost_table", "cp_to_tensor", "khatri_rao",
    "default_m", "choose_family",
]

CP_FAMILIES = ("auto", "none", *GAUSSIAN_FAMILIES, "tensorsketch", "leverage")
"""The values of ``family``: ``none`` is exact ALS, ``auto`` takes the planner's cheapest Gaussian family."""

MODES = ("reuse", "redraw")
SOLVERS = ("qr", "normal")


@dataclass
class CPResult:
    """The result of :func:`cp_als`.

    ``factors[k]`` is (s_k, R) with unit-norm columns and ``weights`` (R,)
    carries the scale. ``history`` has one dict per sweep: ``sweep``,
    ``fit``, ``seconds`` (the sweep without the fit evaluation),
    ``fit_seconds``, ``ops`` (counted sketching ops of the sweep, the
    one-off data sketch of ``reuse`` excluded) and ``predicted_ops``.
    ``setup`` has the one-off work done before the sweeps.
    """

    factors: list[np.ndarray]
    weights: np.ndarray
    fit: float
    history: list[dict]
    mode: str
    family: str
    m: int | None
    solver: str
    setup: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def full(self) -> np.ndarray:
        """Return the dense reconstruction."""
        return cp_to_tensor(self.factors, self.weights)

    def to_dict(self) -> dict:
        """Return a JSON-ready summary (no factor arrays)."""
        return {
            "family": self.family, "mode": self.mode, "m": self.m, "solver": self.solver,
            "fit": self.fit, "sweeps": len(self.history), "history": self.history,
            "setup": self.setup, "notes": self.notes,
        }


def khatri_rao(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Return the Khatri–Rao product with rows in C order over the matrices' rows."""
    result = np.asarray(matrices[0])
    for matrix in matrices[1:]:
        result = (result[:, None, :] * np.asarray(matrix)[None, :, :]).reshape(-1, result.shape[1])
    return result


def cp_to_tensor(factors: Sequence[np.ndarray], weights: np.ndarray | None = None) -> np.ndarray:
    """Return the dense tensor Σ_r w_r a_1r ⊗ … ⊗ a_Nr."""
    first = np.asarray(factors[0]) * (1.0 if weights is None else np.asarray(weights)[None, :])
    full = khatri_rao([first, *factors[1:]]).sum(axis=1)
    return full.reshape(tuple(np.asarray(f).shape[0] for f in factors))


# Input checks --------------------------------------------------------------------


def _check_input(tensor: object) -> np.ndarray | NetworkTensor:
    if isinstance(tensor, NetworkTensor):
        return tensor
    array = np.asarray(tensor)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise SpecError(f"the tensor has dtype {array.dtype}; give a numeric numpy array or a NetworkTensor")
    if array.ndim < 3:
        raise NetworkError(f"the tensor has order {array.ndim}; CP-ALS needs an order of at least 3")
    if not np.all(np.isfinite(array)):
        raise SpecError("the tensor contains NaN or infinite entries; clean the data first")
    return array.astype(float, copy=False)


def _check_rank(rank: object) -> int:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise SizeError(f"invalid rank {rank!r}: give a positive integer")
    return int(rank)


def _check_choice(value: object, valid: Sequence[str], what: str) -> str:
    if value not in valid:
        raise SpecError(f"unknown {what} {value!r}; valid values: {', '.join(valid)}")
    return str(value)


# Exact pieces: MTTKRP through a planned contraction, norms and fit ------------------


class _Mttkrp:
    """``X_(n)·P_n`` for every mode, contracted along a tree of tncost's planner with counted ops."""

    def __init__(self, data: np.ndarray | NetworkTensor, rank: int) -> None:
        self.data = data
        shape = data.shape
        self.networks: dict[int, tuple[TensorNetwork, ContractionTree, int]] = {}
        for n in range(len(shape)):
            if isinstance(data, np.ndarray):
                tensors = [Tensor("X", tuple(mode_index(k) for k in range(len(shape))))]
                sizes = {mode_index(k): shape[k] for k in range(len(shape))}
            else:
                tensors = [Tensor(f"X{t}", ix) for t, ix in enumerate(data.indices)]
                sizes = dict(data.sizes())
                if "r" in sizes:
                    # The CP input's own rank index is renamed so it does not meet the factors' r.
                    tensors = [Tensor(t.name, tuple("rx" if i == "r" else i for i in t.indices)) for t in tensors]
                    sizes["rx"] = sizes.pop("r")
            tensors += [Tensor(f"A{k}", (mode_index(k), "r")) for k in range(len(shape)) if k != n]
            sizes["r"] = rank
            network = TensorNetwork(tuple(tensors), sizes, (mode_index(n), "r"))
            tree = optimize(network)
            self.networks[n] = (network, tree, int(tree_cost(network, tree).ops))

    def predicted(self, n: int) -> int:
        return self.networks[n][2]

    def __call__(self, factors: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, int]:
        network, tree, _ = self.networks[n]
        arrays = {f"A{k}": factors[k] for k in range(len(factors)) if k != n}
        if isinstance(self.data, np.ndarray):
            arrays["X"] = self.data
        else:
            arrays.update({f"X{t}": a for t, a in enumerate(self.data.arrays)})
        run = execute_tree(network, tree, arrays, memory_check=False)
        return run.result, run.executed_ops


def _squared_norm(data: np.ndarray | NetworkTensor) -> float:
    return float(np.vdot(data, data)) if isinstance(data, np.ndarray) else data.squared_norm()


def _inner(data: np.ndarray | NetworkTensor, factors: Sequence[np.ndarray], weights: np.ndarray) -> float:
    """Return ⟨X, X̂⟩ for the CP model, contracting X with the factors one mode at a time."""
    if isinstance(data, np.ndarray):
        partial = np.tensordot(data, factors[0] * weights[None, :], axes=([0], [0]))  # (s_1, …, s_{N−1}, R)
        for factor in factors[1:]:
            partial = np.einsum("i...r,ir->...r", partial, factor)
        return float(partial.sum())
    extra = [(factors[0] * weights[None, :], (mode_index(0), "rcp"))]
    extra += [(f, (mode_index(k), "rcp")) for k, f in enumerate(factors) if k > 0]
    renamed = NetworkTensor(data.kind, data.arrays, tuple(tuple("rx" if i == "r" else i for i in ix) for ix in data.indices), data.shape)
    return float(renamed.contract(extra, []))


def _model_norm(factors: Sequence[np.ndarray], weights: np.ndarray) -> float:
    gram = np.ones((len(weights), len(weights)))
    for factor in factors:
        gram *= factor.T @ factor
    return float(weights @ gram @ weights)


#: Reconstruction blocks of the dense residual hold at most this many entries.
RESIDUAL_BLOCK_ENTRIES = 1 << 22


def _dense_residual(data: np.ndarray, factors: Sequence[np.ndarray], weights: np.ndarray) -> float:
    """Return ‖X − X̂‖² from the reconstruction, one block of mode-0 slices at a time (|X|·R multiply-adds)."""
    others = khatri_rao(factors[1:])  # (∏_{k>0} s_k, R)
    first = factors[0] * weights[None, :]
    flat = data.reshape(data.shape[0], -1)
    step = max(1, RESIDUAL_BLOCK_ENTRIES // max(1, flat.shape[1]))
    total = 0.0
    for start in range(0, flat.shape[0], step):
        block = flat[start:start + step] - first[start:start + step] @ others.T
        total += float(np.vdot(block, block))
    return total


def _fit(norm_x: float, data: np.ndarray | NetworkTensor, factors: Sequence[np.ndarray], weights: np.ndarray) -> float:
    """Return 1 − ‖X − X̂‖/‖X‖.

    A dense X gets the residual from the reconstruction. A network X gets
    ‖X‖² − 2⟨X, X̂⟩ + ‖X̂‖², which loses accuracy by cancellation when the
    residual is small or ‖X̂‖ is much larger than ‖X‖.
    """
    if isinstance(data, np.ndarray):
        residual = _dense_residual(data, factors, weights)
    else:
        residual = norm_x - 2.0 * _inner(data, factors, weights) + _model_norm(factors, weights)
    return 1.0 - math.sqrt(max(residual, 0.0)) / math.sqrt(norm_x)


def _solve(left: np.ndarray, right: np.ndarray, solver: str) -> np.ndarray:
    """Return B minimizing ‖left·B − right‖ (QR or normal equations)."""
    if solver == "qr":
        q, r = np.linalg.qr(left)
        return np.linalg.lstsq(r, q.T @ right, rcond=None)[0]
    gram = left.T @ left
    return np.linalg.lstsq(gram, left.T @ right, rcond=None)[0]


def _normalize(factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(factor, axis=0)
    safe = np.where(norms > 0, norms, 1.0)
    return factor / safe[None, :], norms


# Sketch choice and sizes ---------------------------------------------------------------


def default_m(family: str, shape: Sequence[int], rank: int, eps: float, delta: float) -> int:
    """Return the default sketch size of ``family`` for rank R.

    Gaussian families: the subspace rule of :func:`default_gaussian_m` with
    d = R + 1. TensorSketch: ⌈R²/(ε²·δ)⌉ rows (a d-dimensional subspace needs
    a d² factor; the constant is a heuristic). Leverage: ⌈R·ln(R/δ)/ε²⌉
    samples. Each is capped at the number of rows of ``P_n``.
    """
    others = len(shape) - 1
    rows = math.prod(sorted(shape)[:-1]) if len(shape) > 1 else 1
    if family in GAUSSIAN_FAMILIES:
        m = default_gaussian_m(family, others, rank, eps, delta)
    elif family == "tensorsketch":
        m = math.ceil((rank + 1) ** 2 / (eps * eps * delta))
    else:
        m = math.ceil(rank * math.log(max(rank, 2) / delta) / (eps * eps))
    return max(1, min(m, rows))


def choose_family(shape: Sequence[int], rank: int, m: int | None, eps: float, delta: float) -> tuple[str, int]:
    """Return the planner's cheapest Gaussian family for ``S·P_0`` and its sketch size."""
    others = {k: int(shape[k]) for k in range(1, len(shape))}
    network = structured_network(others, rank)
    sizes = [m] if m is not None else [default_gaussian_m(f, len(others), rank, eps, delta) for f in GAUSSIAN_FAMILIES]
    fixed = min(sizes) if m is None else m
    plan = plan_sketch(network, eps, delta, m=fixed, families=list(GAUSSIAN_FAMILIES))
    chosen = plan.chosen
    return chosen, m if m is not None else default_gaussian_m(chosen, len(others), rank, eps, delta)


# The solver ----------------------------------------------------------------------------


def _initial(data: np.ndarray | NetworkTensor, rank: int, init: object, rng: np.random.Generator) -> list[np.ndarray]:
    shape = data.shape
    if isinstance(init, str):
        if init == "random":
            return [rng.standard_normal((s, rank)) for s in shape]
        if init == "svd":
            if not isinstance(data, np.ndarray):
                raise SpecError("init='svd' needs a dense tensor; use init='random' for a network input")
            factors = []
            for n, s in enumerate(shape):
                factor = leading_left_vectors(unfold_t(data, n).T, rank)
                if factor.shape[1] < rank:
                    factor = np.hstack([factor, rng.standard_normal((s, rank - factor.shape[1]))])
                factors.append(factor)
            return factors
        raise SpecError(f"unknown init {init!r}; use 'random', 'svd' or a list of factor arrays")
    factors = [np.array(f, dtype=float) for f in init]  # type: ignore[union-attr]
    if len(factors) != len(shape) or any(f.shape != (s, rank) for f, s in zip(factors, shape)):
        raise SizeError(
            f"init factors have shapes {[f.shape for f in factors]}; expected {[(s, rank) for s in shape]}"
        )
    return factors


def cp_als(
    tensor: np.ndarray | NetworkTensor,
    rank: int,
    *,
    family: str = "auto",
    m: int | None = None,
    eps: float = 0.5,
    delta: float = 0.1,
    mode: str = "reuse",
    solver: str = "qr",
    max_sweeps: int = 50,
    tol: float = 1e-6,
    init: str | Sequence[np.ndarray] = "random",
    seed: Seed = None,
    callback: Callable[[dict], None] | None = None,
) -> CPResult:
    """Compute a rank-R CP decomposition by (sketched) alternating least squares.

    Parameters
    ----------
    tensor
        A dense numpy array of order ≥ 3, or a :class:`~tncost.apps.sketches.NetworkTensor`
        (TT, Tucker or CP): then ``S·X_(n)ᵀ`` contracts the embedding with
        the network and the dense tensor is never formed.
    rank
        The CP rank R.
    family
        ``none`` (exact ALS), ``auto`` (the planner's cheapest Gaussian
        family for ``S·P_n``), a Gaussian family (``ms22``, ``tt``, ``tree``,
        ``khatri-rao``, ``dense``), ``tensorsketch`` or ``leverage``.
    m
        The sketch size; default :func:`default_m` from ``eps`` and ``delta``.
    mode
        ``reuse`` or ``redraw`` (see the module docstring). The result's
        ``mode`` is ``exact`` for ``family="none"``, whose updates draw no sketch.
    solver
        ``qr`` or ``normal`` (normal equations).
    max_sweeps, tol
        Stop after ``max_sweeps`` sweeps, or when the fit changes by less than
        ``tol`` between two sweeps.
    init
        ``random``, ``svd`` (leading left singular vectors of each unfolding,
        dense input only) or a list of (s_k, R) arrays.
    seed
        Seeds the initialization and every sketch.
    callback
        Called with each sweep's history entry.

    Raises
    ------
    SpecError, SizeError, NetworkError
        For an unknown family, mode, solver or init, a rank below 1 or an
        order below 3.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = cp_to_tensor([rng.standard_normal((12, 2)) for _ in range(3)])
    >>> result = cp_als(X, 2, family="none", max_sweeps=200, tol=1e-12, seed=1)
    >>> bool(result.fit > 0.999), result.mode
    (True, 'exact')
    """
    data = _check_input(tensor)
    rank = _check_rank(rank)
    family = _check_choice(family, CP_FAMILIES, "family")
    mode = _check_choice(mode, MODES, "mode")
    solver = _check_choice(solver, SOLVERS, "solver")
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, (int, np.integer)) or max_sweeps < 1:
        raise SpecError(f"invalid max_sweeps {max_sweeps!r}: give a positive integer")
    if m is not None and (isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1):
        raise SketchSizeError(f"invalid sketch size m={m!r}: give a positive integer")
    shape = tuple(int(s) for s in data.shape)
    if len(shape) < 3:
        raise NetworkError(f"the tensor has order {len(shape)}; CP-ALS needs an order of at least 3")
    if family in ("tensorsketch",) and not isinstance(data, np.ndarray):
        raise SpecError("TensorSketch needs a dense tensor; for a network input use a Gaussian family or leverage")

    notes: list[str] = []
    if family == "auto":
        family, m = choose_family(shape, rank, m, eps, delta)
        notes.append(f"family chosen by the planner: {family}")
    if family != "none" and m is None:
        m = default_m(family, shape, rank, eps, delta)
    if family == "leverage" and mode == "reuse":
        mode = "redraw"
        notes.append("leverage sampling depends on the current factors, so it samples fresh rows every mode problem")
    if family == "none":
        m = None
        mode = "exact"

    init_seed, sketch_seed = spawn_seeds(seed, 2)
    rng = resolve_seed(init_seed)
    factors = _initial(data, rank, init, rng)
    weights = np.ones(rank)
    N = len(shape)
    norm_x = _squared_norm(data)
    if norm_x == 0:
        raise SpecError("the tensor is zero; CP-ALS needs a nonzero tensor")

    runner = _ModeRunner(data, shape, rank, family, m, mode, eps, delta, sketch_seed, solver)
    setup = runner.prepare()

    history: list[dict] = []
    fit = float("nan")
    for sweep in range(max_sweeps):
        start = time.perf_counter()
        ops = 0
        for n in range(N):
            update, counted = runner.update(factors, n, sweep, solver)
            ops += counted
            factors[n], weights = _normalize(update)
        seconds = time.perf_counter() - start
        fit_start = time.perf_counter()
        previous = fit
        fit = _fit(norm_x, data, factors, weights)
        entry = {
            "sweep": sweep + 1, "fit": fit, "seconds": seconds,
            "fit_seconds": time.perf_counter() - fit_start, "ops": ops,
            "predicted_ops": runner.predicted_sweep_ops(),
        }
        history.append(entry)
        if callback is not None:
            callback(entry)
        if sweep > 0 and abs(fit - previous) < tol:
            break
    return CPResult(factors, weights, fit, history, mode, family, m, solver, setup, notes)


class _ModeRunner:
    """Builds, draws and applies one sketch per mode, and counts the ops of each update."""

    def __init__(
        self, data: np.ndarray | NetworkTensor, shape: tuple[int, ...], rank: int, family: str,
        m: int | None, mode: str, eps: float, delta: float, seed: Seed, solver: str = "normal",
    ) -> None:
        self.data, self.shape, self.rank, self.family = data, shape, rank, family
        self.m, self.mode, self.solver = m, mode, solver
        self.N = len(shape)
        self.seeds = np.random.SeedSequence(resolve_seed(seed).integers(2**63))
        self.gaussian: dict[int, GaussianSketch] = {}
        self.sketched_data: dict[int, np.ndarray] = {}
        self.mttkrp: _Mttkrp | None = None
        self.tensorsketch: TensorSketch | None = None
        self.leverage: LeverageSampler | None = None
        if family == "none":
            self.mttkrp = _Mttkrp(data, rank)
        elif family in GAUSSIAN_FAMILIES:
            assert m is not None
            self.gaussian = {n: GaussianSketch(family, shape, n, rank, m, eps, delta) for n in range(self.N)}
        elif family == "leverage":
            assert m is not None
            self.leverage = LeverageSampler(shape, m, np.random.default_rng(np.random.SeedSequence(self.seeds.entropy, spawn_key=(2,))))

    def _draw_seed(self, n: int, sweep: int) -> np.random.SeedSequence:
        key = (1, n) if self.mode == "reuse" else (1, n, sweep)
        return np.random.SeedSequence(self.seeds.entropy, spawn_key=key)

    def prepare(self) -> dict:
        """Draw the reused sketches and sketch the data once; return the one-off counts and time."""
        # NOTE: with a fixed sketch, ALS solves a different sketched problem per mode. Measured on an
        # 80³ rank-5 tensor, ms22 at m = 10·R stalled at fit 0.55 in reuse mode (redraw reached 0.985).
        start = time.perf_counter()
        ops = 0
        if self.mode == "reuse" and self.family in GAUSSIAN_FAMILIES:
            for n, sketch in self.gaussian.items():
                sketch.draw(self._draw_seed(n, 0))
                self.sketched_data[n], counted = sketch.apply_data(self.data)
                ops += counted
        if self.family == "tensorsketch":
            assert self.m is not None
            self.tensorsketch = TensorSketch(self.shape, self.m, np.random.default_rng(self._draw_seed(0, 0)))
            if self.mode == "reuse":
                for n in range(self.N):
                    self.sketched_data[n] = self.tensorsketch.apply_data(self.data, n)  # type: ignore[arg-type]
                ops = self.tensorsketch.counter.total()
        return {"seconds": time.perf_counter() - start, "ops": ops, "predicted_ops": self.predicted_setup_ops()}

    def predicted_setup_ops(self) -> int:
        """Return the predicted one-off ops (the data sketches of ``reuse``)."""
        if self.mode != "reuse":
            return 0
        if self.family in GAUSSIAN_FAMILIES:
            return sum(s.predicted_data_ops(self.data) for s in self.gaussian.values())
        if self.family == "tensorsketch":
            return self.N * math.prod(self.shape)
        return 0

    def predicted_sweep_ops(self) -> int:
        """Return the predicted ops of one sweep (sketching only, by each family's model)."""
        total = 0
        for n in range(self.N):
            if self.family == "none" and self.solver == "qr":
                total += math.prod(self.shape) * self.rank  # Qᵀ·X_(n)ᵀ, counted as |X|·R
            elif self.family == "none":
                assert self.mttkrp is not None
                total += self.mttkrp.predicted(n)
            elif self.family in GAUSSIAN_FAMILIES:
                total += self.gaussian[n].predicted_structured_ops
                if self.mode == "redraw":
                    total += self.gaussian[n].predicted_data_ops(self.data)
            elif self.family == "tensorsketch":
                assert self.m is not None
                total += tensorsketch_counts(self.shape, n, self.rank, self.m, data=self.mode == "redraw").total()
            else:
                assert self.m is not None
                total += leverage_counts(self.shape, n, self.rank, self.m, network_data=isinstance(self.data, NetworkTensor)).total()
        return total

    def update(self, factors: list[np.ndarray], n: int, sweep: int, solver: str) -> tuple[np.ndarray, int]:
        """Return the new (unnormalized) factor n and the counted ops of its update."""
        if self.family == "none":
            return self._exact(factors, n, solver)
        if self.family in GAUSSIAN_FAMILIES:
            sketch = self.gaussian[n]
            ops = 0
            if self.mode == "redraw":
                sketch.draw(self._draw_seed(n, sweep))
                right, ops = sketch.apply_data(self.data)
            else:
                right = self.sketched_data[n]
            left, counted = sketch.apply_structured(dict(enumerate(factors)))
            return _solve(left, right, solver).T, ops + counted
        if self.family == "tensorsketch":
            assert self.tensorsketch is not None
            sketch = self.tensorsketch
            before = sketch.counter.total()
            if self.mode == "redraw":
                sketch = TensorSketch(self.shape, sketch.m, np.random.default_rng(self._draw_seed(n, sweep)))
                right = sketch.apply_data(self.data, n)  # type: ignore[arg-type]
                before = 0
            else:
                right = self.sketched_data[n]
            left = sketch.apply_khatri_rao(dict(enumerate(factors)), n)
            return _solve(left, right, solver).T, sketch.counter.total() - before
        assert self.leverage is not None
        before = self.leverage.counter.total()
        left, right = self.leverage.apply(dict(enumerate(factors)), self.data, n)
        return _solve(left, right, solver).T, self.leverage.counter.total() - before

    def _exact(self, factors: list[np.ndarray], n: int, solver: str) -> tuple[np.ndarray, int]:
        assert self.mttkrp is not None
        if solver == "qr":
            if not isinstance(self.data, np.ndarray):
                raise SpecError("exact ALS with solver='qr' forms P_n and the unfolding; use solver='normal' for a network input")
            others = [factors[k] for k in range(self.N) if k != n]
            left = khatri_rao(others)
            return _solve(left, unfold_t(self.data, n), "qr").T, left.size * self.shape[n]
        product, ops = self.mttkrp(factors, n)
        gram = np.ones((self.rank, self.rank))
        for k in range(self.N):
            if k != n:
                gram *= factors[k].T @ factors[k]
        return np.linalg.lstsq(gram, product.T, rcond=None)[0].T, ops


# Cost tables ------------------------------------------------------------------------------


def _symbolic_structured(shape: Sequence[int], rank: int, family: str, m: int, eps: float, delta: float) -> tuple[sympy.Expr, int, int | None]:
    """Return the symbolic cost of S·P_0 in s, R and m, its value and the lower bound at the cubic point."""
    N = len(shape)
    inputs = [(mode_index(k), "r") for k in range(1, N)]
    sizes = {**{mode_index(k): "s" for k in range(1, N)}, "r": "R"}
    network = TensorNetwork.from_inputs(inputs, [mode_index(k) for k in range(1, N)] + ["r"], sizes, sketched=[mode_index(k) for k in range(1, N)])
    point = {"s": int(max(shape)), "R": rank}
    plan = plan_sketch(network, eps, delta, sizes=point, m=m, families=[family])
    fam = plan.family(family)
    return fam.cost, fam.cost_at_point, fam.lower_bound_at_point


def predict_costs(
    shape: Sequence[int], rank: int, *, m: int | None = None, families: Sequence[str] | None = None,
    mode: str = "reuse", eps: float = 0.5, delta: float = 0.1, solver: str = "qr",
) -> list[dict]:
    """Return, per family, the predicted cost of one sweep before running.

    Each row has ``family``, ``m``, ``structured`` (the symbolic cost of
    ``S·P_n`` in s, R and m from the planner, for a cubic tensor of side
    s = max(shape)), ``sweep_ops`` (exact, at the real shape: N structured
    sketches, plus the data sketches in ``redraw``), ``setup_ops`` (the
    one-off data sketches of ``reuse``) and ``lower_bound`` (of one
    structured sketching step, from :func:`tncost.bounds.lower_bound`, at
    the cubic point). TensorSketch and leverage rows use their documented
    models. ``none`` is exact ALS as :func:`cp_als` runs it with ``solver``:
    with ``"qr"`` the product Qᵀ·X_(n)ᵀ, counted as |X|·R per mode, and with
    ``"normal"`` the MTTKRP along the planner's contraction order.
    """
    rank = _check_rank(rank)
    shape = tuple(int(s) for s in shape)
    if len(shape) < 3:
        raise NetworkError(f"the shape {shape} has order {len(shape)}; CP-ALS needs an order of at least 3")
    mode = _check_choice(mode, MODES, "mode")
    families = list(families or ("none", *GAUSSIAN_FAMILIES, "tensorsketch", "leverage"))
    rows = []
    N = len(shape)
    s, R, msym = sympy.symbols("s R m", positive=True, integer=True)
    for family in families:
        _check_choice(family, CP_FAMILIES, "family")
        if family == "auto":
            family, _ = choose_family(shape, rank, m, eps, delta)
        size = None if family == "none" else (m or default_m(family, shape, rank, eps, delta))
        row: dict = {"family": family, "m": size}
        if family == "none":
            row["structured"] = str(R * s**N)
            row["sweep_ops"] = N * math.prod(shape) * rank if solver == "qr" else _exact_sweep_ops(shape, rank)
            row["setup_ops"] = 0
            row["lower_bound"] = None
        elif family in GAUSSIAN_FAMILIES:
            assert size is not None
            cost, _, bound = _symbolic_structured(shape, rank, family, size, eps, delta)
            sketches = [GaussianSketch(family, shape, n, rank, size, eps, delta) for n in range(N)]
            structured = sum(sk.predicted_structured_ops for sk in sketches)
            data_ops = sum(_dense_data_ops(sk, shape) for sk in sketches)
            row["structured"] = str(sympy.expand(cost))
            row["sweep_ops"] = structured + (data_ops if mode == "redraw" else 0)
            row["setup_ops"] = data_ops if mode == "reuse" else 0
            row["lower_bound"] = bound
        elif family == "tensorsketch":
            assert size is not None
            row["structured"] = str(
                (N - 1) * R * s + N * R * msym * sympy.ceiling(sympy.log(msym, 2)) + (N - 2) * R * (msym / 2 + 1)
            )
            row["sweep_ops"] = sum(tensorsketch_counts(shape, n, rank, size, data=mode == "redraw").total() for n in range(N))
            row["setup_ops"] = N * math.prod(shape) if mode == "reuse" else 0
            row["lower_bound"] = None
        else:
            assert size is not None
            row["structured"] = str(sympy.expand(
                (N - 1) * msym * R + msym * s + (N - 2) * msym * R + (N - 1) * s * R**2 + msym * (R + s)
            ))
            row["sweep_ops"] = sum(leverage_counts(shape, n, rank, size).total() for n in range(N))
            row["setup_ops"] = 0
            row["lower_bound"] = None
        rows.append(row)
    return rows


def _exact_sweep_ops(shape: Sequence[int], rank: int) -> int:
    total = 0
    for n in range(len(shape)):
        tensors = [Tensor("X", tuple(mode_index(k) for k in range(len(shape))))]
        tensors += [Tensor(f"A{k}", (mode_index(k), "r")) for k in range(len(shape)) if k != n]
        sizes = {**{mode_index(k): shape[k] for k in range(len(shape))}, "r": rank}
        network = TensorNetwork(tuple(tensors), sizes, (mode_index(n), "r"))
        total += int(tree_cost(network, optimize(network)).ops)
    return total


def _dense_data_ops(sketch: GaussianSketch, shape: Sequence[int]) -> int:
    """Return the predicted ops of ``S·X_(n)ᵀ`` for a dense tensor of ``shape`` without allocating it."""
    placeholder = np.lib.stride_tricks.as_strided(np.zeros(1), shape=tuple(shape), strides=(0,) * len(shape))
    return sketch.predicted_data_ops(placeholder)


def cost_table(rows: Sequence[dict], results: Mapping[str, CPResult] | None = None) -> str:
    """Return a text table of :func:`predict_costs` rows, with measured ops and time when ``results`` are given.

    ``results`` maps a family name to its :class:`CPResult`; the measured
    columns are the mean counted ops and seconds per sweep.
    """
    headers = ["family", "m", "structured cost (s, R, m)", "sweep ops", "setup ops", "LB (one sketch)"]
    if results:
        headers += ["measured ops/sweep", "s/sweep", "fit"]
    lines = []
    for row in rows:
        cells = [row["family"], str(row["m"] or "-"), row["structured"], str(row["sweep_ops"]), str(row["setup_ops"]),
                 str(row["lower_bound"] if row["lower_bound"] is not None else "-")]
        if results:
            result = results.get(row["family"])
            if result is None:
                cells += ["-", "-", "-"]
            else:
                sweeps = result.history
                cells += [
                    str(round(sum(h["ops"] for h in sweeps) / len(sweeps))),
                    f"{sum(h['seconds'] for h in sweeps) / len(sweeps):.4f}",
                    f"{result.fit:.6f}",
                ]
        lines.append(cells)
    widths = [max(len(headers[i]), *(len(r[i]) for r in lines)) for i in range(len(headers))]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in lines]
    return "\n".join(out)

