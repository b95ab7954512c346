"""Sketch operators for least-squares problems with Khatri–Rao or Kronecker structure.

Each mode update of CP-ALS and Tucker-ALS solves ``min ‖X_(n)ᵀ − P_n B‖``
where ``P_n`` is the Khatri–Rao (CP) or Kronecker (Tucker) product of the
other factors and ``X_(n)ᵀ`` is a dense unfolding. One sketch ``S`` is applied
to both sides. Conventions shared by every operator here:

- the rows of ``X_(n)ᵀ`` and ``P_n`` run over the other modes in increasing
  order, in C (row-major) order, so ``X_(n)ᵀ = np.moveaxis(X, n, -1).reshape(-1, s_n)``;
- the columns of a Kronecker ``P_n`` run over the other factors' columns in
  the same C order, which matches the core unfolding
  ``np.moveaxis(G, n, 0).reshape(R_n, -1)``;
- mode ``k``'s index is named ``e{k}`` in every network built here.

Operators:

- :class:`GaussianSketch`: a Gaussian network embedding planned by
  :func:`tncost.planner.plan_sketch` (families ``ms22``, ``tt``, ``tree``,
  ``khatri-rao``, ``dense``). The structured side is contracted along the
  plan's tree. The data side (a dense array or a :class:`NetworkTensor`) is
  contracted with the same embedding tensors along a tree found by
  :func:`tncost.paths.optimize`, so a dense tensor meets the Gaussian leaves
  one mode at a time. Both counts are executed ops, and they equal the
  predicted ops of :func:`tncost.cost.tree_cost`.
- :class:`TensorSketch`: CountSketch per mode, real FFT, pointwise product,
  inverse FFT. Costed by :func:`tensorsketch_counts`.
- :class:`LeverageSampler`: rows sampled with the product of per-factor
  leverage scores. Costed by :func:`leverage_counts`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .. import embeddings as emb
from ..cost import tree_cost
from ..errors import NetworkError, SizeError, SketchSizeError, SpecError
from ..execute import check_memory, embedding_stddevs, execute_tree, gaussian_tensors
from ..network import Tensor, TensorNetwork
from ..paths import optimize
from ..planner import FamilyPlan, plan_sketch
from ..random import Seed, resolve_seed

__all__ = [
    "GAUSSIAN_FAMILIES",
    "NetworkTensor",
    "tt_tensor",
    "tucker_tensor",
    "cp_tensor",
    "unfold_t",
    "mode_index",
    "GaussianSketch",
    "TensorSketch",
    "LeverageSampler",
    "OpCounter",
    "tensorsketch_counts",
    "leverage_counts",
    "leverage_scores",
    "default_gaussian_m",
    "leading_left_vectors",
]

GAUSSIAN_FAMILIES = ("ms22", "tt", "tree", "khatri-rao", "dense")
"""The Gaussian network embedding families the decompositions can use."""


def mode_index(k: int) -> str:
    """Return the index name of mode ``k`` in the networks built here."""
    return f"e{k}"


def unfold_t(tensor: np.ndarray, mode: int) -> np.ndarray:
    """Return ``X_(n)ᵀ``: rows over the other modes in C order, columns over mode ``n``."""
    return np.moveaxis(tensor, mode, -1).reshape(-1, tensor.shape[mode])


def leading_left_vectors(matrix: np.ndarray, rank: int) -> np.ndarray:
    """Return the ``rank`` leading left singular vectors of a wide matrix (rows ≤ columns).

    Computed from the eigenvectors of the Gram matrix ``M·Mᵀ``, which needs
    one matrix product and a small symmetric eigenproblem instead of an SVD
    of the wide matrix. The Gram squares the condition number, so vectors of
    singular values below about √ε·σ_max are inaccurate; that is enough for
    initialization.
    """
    gram = matrix @ matrix.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    return vectors[:, order[:rank]]


# Tensors given as networks ------------------------------------------------------


@dataclass(frozen=True)
class NetworkTensor:
    """A tensor given by the cores or factors of a TT, Tucker or CP network.

    ``arrays[t]`` carries the index names ``indices[t]``; mode ``k`` is the
    index ``e{k}`` and sits on exactly one array. Build one with
    :func:`tt_tensor`, :func:`tucker_tensor` or :func:`cp_tensor`.
    """

    kind: str
    arrays: tuple[np.ndarray, ...]
    indices: tuple[tuple[str, ...], ...]
    shape: tuple[int, ...]

    @property
    def ndim(self) -> int:
        """The order N of the tensor."""
        return len(self.shape)

    def sizes(self) -> dict[str, int]:
        """Return the size of every index of the network."""
        sizes: dict[str, int] = {}
        for array, names in zip(self.arrays, self.indices):
            sizes.update(zip(names, array.shape))
        return sizes

    def _einsum(self, extra: Sequence[tuple[np.ndarray, Sequence[str]]], output: Sequence[str]) -> np.ndarray:
        names = sorted({i for ix in self.indices for i in ix} | {i for _, ix in extra for i in ix})
        operands: list[object] = []
        for array, ix in list(zip(self.arrays, self.indices)) + list(extra):
            operands.extend([array, [names.index(i) for i in ix]])
        return np.einsum(*operands, [names.index(i) for i in output], optimize="optimal")

    def full(self) -> np.ndarray:
        """Return the dense tensor (for tests and small inputs)."""
        return self._einsum([], [mode_index(k) for k in range(self.ndim)])

    def squared_norm(self) -> float:
        """Return ‖X‖² by contracting the network with a primed copy of itself."""
        primed = [(a, tuple(i if i.startswith("e") else i + "'" for i in ix)) for a, ix in zip(self.arrays, self.indices)]
        return float(self._einsum(primed, []))

    def contract(self, extra: Sequence[tuple[np.ndarray, Sequence[str]]], output: Sequence[str]) -> np.ndarray:
        """Contract the network with extra tensors (arrays with index names) to ``output``."""
        return self._einsum(extra, output)

    def fibres(self, mode: int, samples: Mapping[int, np.ndarray]) -> np.ndarray:
        """Return the mode-``mode`` fibres at the sampled indices of the other modes.

        ``samples[k]`` contains one index of mode ``k`` per sample. The result
        has shape (number of samples, s_mode) and is computed from the cores
        without forming the tensor.
        """
        count = len(next(iter(samples.values())))
        batch = "batch"
        operands: list[object] = []
        names: list[str] = [batch]
        for array, ix in zip(self.arrays, self.indices):
            chosen = array
            chosen_ix = list(ix)
            for k, rows in samples.items():
                name = mode_index(k)
                if name in chosen_ix:
                    axis = chosen_ix.index(name)
                    chosen = np.take(chosen, rows, axis=axis)
                    chosen_ix[axis] = batch
            for i in chosen_ix:
                if i not in names:
                    names.append(i)
            operands.extend([chosen, [names.index(i) for i in chosen_ix]])
        result = np.einsum(*operands, [0, names.index(mode_index(mode))], optimize="optimal")
        assert result.shape[0] == count
        return result


def tt_tensor(cores: Sequence[np.ndarray]) -> NetworkTensor:
    """Wrap TT cores: the first is (s_0, r_1) or (1, s_0, r_1), the last (r, s) or (r, s, 1), the others (r, s, r')."""
    arrays = [np.asarray(c, dtype=float) for c in cores]
    if len(arrays) < 2:
        raise NetworkError(f"a TT needs at least 2 cores; got {len(arrays)}")
    if arrays[0].ndim == 3 and arrays[0].shape[0] == 1:
        arrays[0] = arrays[0][0]
    if arrays[-1].ndim == 3 and arrays[-1].shape[2] == 1:
        arrays[-1] = arrays[-1][:, :, 0]
    N = len(arrays)
    indices = []
    for k, core in enumerate(arrays):
        expected = 2 if k in (0, N - 1) else 3
        if core.ndim != expected:
            raise NetworkError(f"TT core {k} has {core.ndim} axes; expected {expected}")
        if k == 0:
            indices.append((mode_index(0), "b1"))
        elif k == N - 1:
            indices.append((f"b{k}", mode_index(k)))
        else:
            indices.append((f"b{k}", mode_index(k), f"b{k + 1}"))
    shape = tuple(core.shape[ix.index(mode_index(k))] for k, (core, ix) in enumerate(zip(arrays, indices)))
    network = NetworkTensor("tt", tuple(arrays), tuple(indices), shape)
    _check_bonds(network)
    return network


def tucker_tensor(core: np.ndarray, factors: Sequence[np.ndarray]) -> NetworkTensor:
    """Wrap a Tucker tensor: core (R_0, …, R_{N−1}) and factors (s_k, R_k)."""
    core = np.asarray(core, dtype=float)
    factors = [np.asarray(f, dtype=float) for f in factors]
    if core.ndim != len(factors):
        raise NetworkError(f"the core has {core.ndim} axes but {len(factors)} factors were given")
    arrays = (core, *factors)
    indices = (tuple(f"c{k}" for k in range(core.ndim)),) + tuple((mode_index(k), f"c{k}") for k in range(core.ndim))
    network = NetworkTensor("tucker", arrays, indices, tuple(f.shape[0] for f in factors))
    _check_bonds(network)
    return network


def cp_tensor(factors: Sequence[np.ndarray], weights: np.ndarray | None = None) -> NetworkTensor:
    """Wrap a CP tensor: factors (s_k, R) sharing the rank index, optional weights (R,)."""
    factors = [np.asarray(f, dtype=float) for f in factors]
    if len(factors) < 2:
        raise NetworkError(f"a CP tensor needs at least 2 factors; got {len(factors)}")
    if weights is not None:
        factors[0] = factors[0] * np.asarray(weights, dtype=float)[None, :]
    indices = tuple((mode_index(k), "r") for k in range(len(factors)))
    network = NetworkTensor("cp", tuple(factors), indices, tuple(f.shape[0] for f in factors))
    _check_bonds(network)
    return network


def _check_bonds(network: NetworkTensor) -> None:
    sizes: dict[str, int] = {}
    for array, names in zip(network.arrays, network.indices):
        for name, size in zip(names, array.shape):
            if sizes.setdefault(name, size) != size:
                raise SizeError(
                    f"index {name!r} has size {sizes[name]} on one {network.kind} array and {size} on another; "
                    "the shared sizes must agree"
                )


# Gaussian network embeddings -------------------------------------------------------


def default_gaussian_m(family: str, others: int, columns: int, eps: float, delta: float) -> int:
    """Return the default sketch size for a least-squares problem with ``columns`` unknowns per row.

    The subspace rule m = ⌈k·(d + ln(1/δ))/ε²⌉ with d = columns + 1 (the
    right-hand side's column). For ``ms22`` k is the count with every merge
    split, 3·N − 2; ``khatri-rao`` has no sequence form, so the ``tt`` count is
    used as a heuristic.
    """
    if family == "ms22":
        k = max(1, 3 * others - 2)
    elif family == "khatri-rao":
        k = emb.family_count("tt", others)
    else:
        k = emb.family_count(family, others)
    return emb.sketch_size(k, eps, delta, target="subspace", d=columns + 1)


def structured_network(shapes: Mapping[int, int], ranks: Mapping[int, int] | int) -> TensorNetwork:
    """Build the network of ``P_n``: factors ``A{k}(e{k}, r)`` (Khatri–Rao, one int rank) or ``(e{k}, r{k})`` (Kronecker)."""
    modes = sorted(shapes)
    if isinstance(ranks, int):
        inputs = [(mode_index(k), "r") for k in modes]
        sizes = {**{mode_index(k): shapes[k] for k in modes}, "r": ranks}
        output = [mode_index(k) for k in modes] + ["r"]
    else:
        inputs = [(mode_index(k), f"r{k}") for k in modes]
        sizes = {**{mode_index(k): shapes[k] for k in modes}, **{f"r{k}": ranks[k] for k in modes}}
        output = [mode_index(k) for k in modes] + [f"r{k}" for k in modes]
    return TensorNetwork.from_inputs(
        inputs, output, sizes, sketched=[mode_index(k) for k in modes], names=[f"A{k}" for k in modes]
    )


class GaussianSketch:
    """One mode's Gaussian network embedding S, planned once and drawn from seeds.

    Parameters
    ----------
    family
        One of :data:`GAUSSIAN_FAMILIES`.
    shape
        The full tensor shape.
    mode
        The mode n whose problem is sketched; S acts on the other modes.
    ranks
        One int (CP: Khatri–Rao ``P_n``) or one rank per mode (Tucker: Kronecker).
    m
        The sketch size.

    Attributes
    ----------
    plan
        The planner's :class:`~tncost.planner.FamilyPlan` for ``S·P_n``.
    predicted_structured_ops
        The planner's exact ops for ``S·P_n``.
    """

    def __init__(self, family: str, shape: Sequence[int], mode: int, ranks: int | Sequence[int], m: int, eps: float = 0.5, delta: float = 0.1) -> None:
        if family not in GAUSSIAN_FAMILIES:
            raise SpecError(f"unknown Gaussian family {family!r}; valid families: {', '.join(GAUSSIAN_FAMILIES)}")
        self.family = family
        self.shape = tuple(int(s) for s in shape)
        self.mode = mode
        self.m = int(m)
        others = {k: self.shape[k] for k in range(len(self.shape)) if k != mode}
        rank_map: int | dict[int, int] = int(ranks) if isinstance(ranks, (int, np.integer)) else {k: int(ranks[k]) for k in others}
        self.kronecker = not isinstance(rank_map, int)
        network = structured_network(others, rank_map)
        sketch_plan = plan_sketch(network, eps, delta, m=self.m, families=[family])
        self.plan: FamilyPlan = sketch_plan.family(family)
        self.joint = self.plan.numeric_joint()
        self.embedding = self.plan.numeric_embedding()
        rows = {t.name: int(r) for t, r in zip(self.embedding.tensors, self.embedding.row_sizes)}
        self.stddevs = embedding_stddevs(rows, self.embedding.scaling, self.m)
        self.predicted_structured_ops = int(self.plan.cost_at_point)
        self.output = self.embedding.output
        self._data_joint: dict[tuple, tuple[TensorNetwork, object, int]] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def draw(self, seed: Seed) -> None:
        """Draw the embedding tensors from ``seed`` (the same seed gives the same S)."""
        # The plan's live peak counts every embedding tensor, so an m too large for memory
        # is rejected here, before the draw allocates anything.
        check_memory(self.plan.live_peak_at_point, np.float64)
        positions = self.joint.embedding_positions()
        self.arrays = gaussian_tensors(self.joint, positions, self.stddevs, seed)

    def apply_structured(self, factors: Mapping[int, np.ndarray]) -> tuple[np.ndarray, int]:
        """Return ``S·P_n`` as an (m, columns) matrix and the executed ops."""
        arrays = {f"A{k}": np.asarray(a) for k, a in factors.items() if k != self.mode}
        run = execute_tree(self.joint, self.plan.tree, {**arrays, **self.arrays}, memory_check=False)
        kept = [i for i in run.result_indices if i not in self.output]
        result = np.moveaxis(run.result, [run.result_indices.index(i) for i in self.output], [0])
        return result.reshape(self.m, -1) if kept else result.reshape(self.m, 1), run.executed_ops

    def _data_network(self, data: np.ndarray | NetworkTensor) -> tuple[TensorNetwork, object, int]:
        key = ("dense",) if isinstance(data, np.ndarray) else (data.kind, tuple(a.shape for a in data.arrays))
        if key in self._data_joint:
            return self._data_joint[key]
        if isinstance(data, np.ndarray):
            data_tensors = [Tensor("X", tuple(mode_index(k) for k in range(data.ndim)))]
            sizes = {mode_index(k): data.shape[k] for k in range(data.ndim)}
        else:
            data_tensors = [Tensor(f"X{t}", ix) for t, ix in enumerate(data.indices)]
            sizes = data.sizes()
        sizes.update(self.embedding.size_dict)
        output = (mode_index(self.mode),) + tuple(self.output)
        network = TensorNetwork(tuple(data_tensors) + tuple(self.embedding.tensors), sizes, output)
        tree = optimize(network)
        predicted = int(tree_cost(network, tree).ops)
        self._data_joint[key] = (network, tree, predicted)
        return self._data_joint[key]

    def predicted_data_ops(self, data: np.ndarray | NetworkTensor) -> int:
        """Return the predicted ops of ``S·X_(n)ᵀ`` along this sketch's data tree."""
        return self._data_network(data)[2]

    def apply_data(self, data: np.ndarray | NetworkTensor) -> tuple[np.ndarray, int]:
        """Return ``S·X_(n)ᵀ`` as an (m, s_n) matrix and the executed ops.

        A :class:`NetworkTensor` is contracted core by core with S; the dense
        tensor is never formed.
        """
        network, tree, _ = self._data_network(data)
        if isinstance(data, np.ndarray):
            arrays = {"X": data}
        else:
            arrays = {f"X{t}": a for t, a in enumerate(data.arrays)}
        run = execute_tree(network, tree, {**arrays, **self.arrays})
        result = run.result.reshape(self.shape[self.mode], self.m).T
        return result, run.executed_ops


# Operation counting for the non-Gaussian sketches ---------------------------------


@dataclass
class OpCounter:
    """Counts of the elementary work done by TensorSketch and leverage sampling.

    ``ffts`` counts real FFTs and inverse FFTs, and ``fft_points`` adds up
    their lengths. ``fft_ops`` weights each transform of length L by
    L·⌈log₂ L⌉. ``adds`` counts CountSketch scatter-adds, ``products``
    pointwise complex or real multiplies, and ``gathers`` array entries read
    by index.
    """

    ffts: int = 0
    fft_points: int = 0
    fft_ops: int = 0
    adds: int = 0
    products: int = 0
    gathers: int = 0

    def record_fft(self, transforms: int, length: int) -> None:
        """Record ``transforms`` FFTs of real length ``length``."""
        self.ffts += transforms
        self.fft_points += transforms * length
        self.fft_ops += transforms * length * max(1, math.ceil(math.log2(length)))

    def total(self) -> int:
        """Return the scalar ops estimate: fft_ops + adds + products + gathers."""
        return self.fft_ops + self.adds + self.products + self.gathers

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a JSON-ready dict, with the total under ``ops``."""
        return {
            "ffts": self.ffts, "fft_points": self.fft_points, "fft_ops": self.fft_ops,
            "adds": self.adds, "products": self.products, "gathers": self.gathers, "ops": self.total(),
        }


def tensorsketch_counts(shape: Sequence[int], mode: int, ranks: int | Sequence[int], m: int, *, data: bool = True) -> OpCounter:
    """Return the documented cost model of one TensorSketch mode problem.

    Structured side, over the other modes k:

    - CountSketch of each factor: s_k·R_k adds;
    - one real FFT of length m per factor column: Σ R_k transforms;
    - pointwise products of the m//2 + 1 complex frequencies:
      (N − 2)·R·(m//2 + 1) for Khatri–Rao, and for Kronecker the size of
      each running product (R_a·R_b·(m//2 + 1), then times R_c, …);
    - one inverse FFT per output column: R or ∏R_k.

    Data side (``data=True``): one scatter-add per entry of the dense tensor.
    """
    others = [k for k in range(len(shape)) if k != mode]
    counter = OpCounter()
    half = m // 2 + 1
    if isinstance(ranks, (int, np.integer)):
        rank_list = [int(ranks)] * len(others)
        columns = int(ranks)
        counter.products += (len(others) - 1) * columns * half
    else:
        rank_list = [int(ranks[k]) for k in others]
        columns = math.prod(rank_list)
        running = rank_list[0]
        for r in rank_list[1:]:
            running *= r
            counter.products += running * half
    for k, r in zip(others, rank_list):
        counter.adds += int(shape[k]) * r
    counter.record_fft(sum(rank_list), m)
    counter.record_fft(columns, m)
    if data:
        counter.adds += math.prod(int(s) for s in shape)
    return counter


def leverage_counts(shape: Sequence[int], mode: int, ranks: int | Sequence[int], m: int, *, network_data: bool = False) -> OpCounter:
    """Return the documented cost model of one leverage-sampled mode problem.

    Gathers: m sampled rows of each other factor (m·R_k entries each) and m
    fibres of length s_n from the dense tensor. Products: the Hadamard
    (Khatri–Rao, (N − 2)·m·R) or Kronecker (m·∏R_k per extra factor) rows,
    plus one weight per entry of both sides (m·(columns + s_n)). Computing
    the leverage scores (a QR of each factor, s_k·R_k² each) is counted in
    ``products``. With ``network_data`` the fibres come from the cores and
    are not counted as gathers.
    """
    others = [k for k in range(len(shape)) if k != mode]
    counter = OpCounter()
    if isinstance(ranks, (int, np.integer)):
        rank_list = [int(ranks)] * len(others)
        columns = int(ranks)
        counter.products += (len(others) - 1) * m * columns
    else:
        rank_list = [int(ranks[k]) for k in others]
        columns = math.prod(rank_list)
        running = rank_list[0]
        for r in rank_list[1:]:
            running *= r
            counter.products += m * running
    for k, r in zip(others, rank_list):
        counter.gathers += m * r
        counter.products += int(shape[k]) * r * r
    if not network_data:
        counter.gathers += m * int(shape[mode])
    counter.products += m * (columns + int(shape[mode]))
    return counter


# TensorSketch ------------------------------------------------------------------


class TensorSketch:
    """TensorSketch of a Khatri–Rao or Kronecker product and of the matching unfolding.

    For each mode k a hash h_k: [s_k] → [m] and a sign σ_k: [s_k] → {±1} are
    drawn once from ``seed``. Mode n's sketch is the CountSketch with the
    combined hash (Σ_{k≠n} h_k(i_k)) mod m and sign ∏_{k≠n} σ_k(i_k). The
    structured side is computed without forming ``P_n``: CountSketch each
    factor, real FFT, multiply, inverse FFT. The data side is one sparse
    product (one scatter-add per entry of X). Every call adds its work to
    ``counter``; :func:`tensorsketch_counts` is the model of that work.
    """

    def __init__(self, shape: Sequence[int], m: int, seed: Seed = None) -> None:
        if int(m) < 1:
            raise SketchSizeError(f"invalid TensorSketch size m={m!r}: give a positive integer")
        rng = resolve_seed(seed)
        self.shape = tuple(int(s) for s in shape)
        self.m = int(m)
        self.hashes = [rng.integers(0, self.m, size=s) for s in self.shape]
        self.signs = [rng.choice(np.array([-1.0, 1.0]), size=s) for s in self.shape]
        self.counter = OpCounter()
        self._data_cache: dict[int, np.ndarray] = {}

    def _countsketch(self, k: int, matrix: np.ndarray) -> np.ndarray:
        rows = matrix.shape[0]
        sketch = scipy.sparse.csr_matrix((self.signs[k], (self.hashes[k], np.arange(rows))), shape=(self.m, rows))
        self.counter.adds += matrix.size
        return np.asarray(sketch @ matrix)

    def _rfft(self, matrix: np.ndarray) -> np.ndarray:
        self.counter.record_fft(matrix.shape[1], self.m)
        return np.fft.rfft(matrix, axis=0)

    def _irfft(self, matrix: np.ndarray) -> np.ndarray:
        self.counter.record_fft(matrix.shape[1], self.m)
        return np.fft.irfft(matrix, n=self.m, axis=0)

    def apply_khatri_rao(self, factors: Mapping[int, np.ndarray], mode: int) -> np.ndarray:
        """Return S·P_n for the Khatri–Rao product of the factors other than ``mode`` (m × R)."""
        product = None
        for k in range(len(self.shape)):
            if k == mode:
                continue
            spectrum = self._rfft(self._countsketch(k, np.asarray(factors[k])))
            if product is None:
                product = spectrum
            else:
                product = product * spectrum
                self.counter.products += spectrum.size
        assert product is not None
        return self._irfft(product)

    def apply_kronecker(self, factors: Mapping[int, np.ndarray], mode: int) -> np.ndarray:
        """Return S·P_n for the Kronecker product of the factors other than ``mode`` (m × ∏R_k, C order)."""
        product = None
        for k in range(len(self.shape)):
            if k == mode:
                continue
            spectrum = self._rfft(self._countsketch(k, np.asarray(factors[k])))
            if product is None:
                product = spectrum
            else:
                product = (product[:, :, None] * spectrum[:, None, :]).reshape(spectrum.shape[0], -1)
                self.counter.products += product.size
        assert product is not None
        return self._irfft(product)

    def combined(self, mode: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the combined hash and sign of every row of ``X_(n)ᵀ`` (C order over the other modes)."""
        hashed = np.zeros(1, dtype=np.int64)
        signed = np.ones(1)
        for k in range(len(self.shape)):
            if k == mode:
                continue
            hashed = (hashed[:, None] + self.hashes[k][None, :]).reshape(-1) % self.m
            signed = (signed[:, None] * self.signs[k][None, :]).reshape(-1)
        return hashed, signed

    def matrix(self, mode: int) -> scipy.sparse.csr_matrix:
        """Return mode n's sketch as an explicit sparse (m × ∏_{k≠n} s_k) CountSketch matrix."""
        hashed, signed = self.combined(mode)
        columns = np.arange(hashed.size)
        return scipy.sparse.csr_matrix((signed, (hashed, columns)), shape=(self.m, hashed.size))

    def apply_data(self, data: np.ndarray, mode: int) -> np.ndarray:
        """Return S·X_(n)ᵀ (m × s_n); computed once per mode and cached."""
        if not isinstance(data, np.ndarray):
            raise SpecError("TensorSketch sketches a dense numpy tensor; give the data as an array")
        if mode not in self._data_cache:
            self._data_cache[mode] = np.asarray(self.matrix(mode) @ unfold_t(data, mode))
            self.counter.adds += data.size
        return self._data_cache[mode]


# Leverage-score sampling -------------------------------------------------------------


def leverage_scores(matrix: np.ndarray) -> np.ndarray:
    """Return the row leverage scores of ``matrix`` (squared row norms of an orthonormal basis of its range)."""
    q, r = np.linalg.qr(np.asarray(matrix, dtype=float))
    diagonal = np.abs(np.diag(r))
    keep = diagonal > diagonal.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
    return np.sum(q[:, keep] ** 2, axis=1)


class LeverageSampler:
    """Row sampling of ``P_n`` with the product of per-factor leverage scores.

    Each other mode k is sampled independently with p_k(j) = ℓ_k(j)/rank(A_k),
    ℓ_k the leverage scores of factor A_k; a sampled row gets the weight
    1/√(m·∏p_k(j_k)), so E[SᵀS] = I.

    For a Kronecker product the product of the factors' leverage scores is
    exactly the leverage score of the Kronecker row. For a Khatri–Rao product
    (CP) the product is only an upper bound of the row's leverage score,
    because the range of the Khatri–Rao product lies inside the range of the
    Kronecker product. The bounds sum to R^{N−1} instead of R, so this
    sampling needs more rows than exact Khatri–Rao leverage sampling.
    """

    def __init__(self, shape: Sequence[int], m: int, seed: Seed = None) -> None:
        if int(m) < 1:
            raise SketchSizeError(f"invalid sample count m={m!r}: give a positive integer")
        self.shape = tuple(int(s) for s in shape)
        self.m = int(m)
        self.rng = resolve_seed(seed)
        self.counter = OpCounter()

    def sample(self, factors: Mapping[int, np.ndarray], mode: int) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """Draw m rows: per other mode, the sampled indices; and the weight of each row."""
        samples: dict[int, np.ndarray] = {}
        probability = np.ones(self.m)
        for k in range(len(self.shape)):
            if k == mode:
                continue
            scores = leverage_scores(factors[k])
            columns = np.asarray(factors[k]).shape[1]
            self.counter.products += self.shape[k] * columns * columns
            p = scores / scores.sum()
            rows = self.rng.choice(self.shape[k], size=self.m, p=p)
            samples[k] = rows
            probability *= p[rows]
        return samples, 1.0 / np.sqrt(self.m * probability)

    def _rows(self, factors: Mapping[int, np.ndarray], samples: Mapping[int, np.ndarray], kronecker: bool) -> np.ndarray:
        rows = None
        for k in sorted(samples):
            gathered = np.asarray(factors[k])[samples[k]]
            self.counter.gathers += gathered.size
            if rows is None:
                rows = gathered
            elif kronecker:
                rows = (rows[:, :, None] * gathered[:, None, :]).reshape(self.m, -1)
                self.counter.products += rows.size
            else:
                rows = rows * gathered
                self.counter.products += rows.size
        assert rows is not None
        return rows

    def apply(
        self, factors: Mapping[int, np.ndarray], data: np.ndarray | NetworkTensor, mode: int, *, kronecker: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample fresh rows and return (S·P_n, S·X_(n)ᵀ)."""
        samples, weights = self.sample(factors, mode)
        left = self._rows(factors, samples, kronecker)
        if isinstance(data, NetworkTensor):
            right = data.fibres(mode, samples)
        else:
            # With mode n moved last, the sampled indices are adjacent and lead: the result is (m, s_n).
            right = np.moveaxis(data, mode, -1)[tuple(samples[k] for k in sorted(samples))]
            self.counter.gathers += right.size
        self.counter.products += left.size + right.size
        return weights[:, None] * left, weights[:, None] * right
