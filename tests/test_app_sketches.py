"""Sketch operators of the decompositions: Gaussian plans, TensorSketch, leverage sampling, network inputs."""

import math

import numpy as np
import opt_einsum
import pytest
import tensorly as tl

from tncost.apps.sketches import (
    GAUSSIAN_FAMILIES,
    GaussianSketch,
    LeverageSampler,
    TensorSketch,
    cp_tensor,
    leverage_counts,
    leverage_scores,
    tensorsketch_counts,
    tt_tensor,
    tucker_tensor,
    unfold_t,
)
from tncost.errors import SizeError, SpecError

SHAPE = (9, 10, 11)


def _factors(rng, shape, rank):
    return {k: rng.standard_normal((s, rank)) for k, s in enumerate(shape)}


def _einsum_oracle(sketch, arrays):
    """Contract the joint network of S·P_n with opt_einsum, independently of the plan's tree."""
    joint = sketch.joint
    operands = []
    for tensor in joint.tensors:
        operands += [arrays[tensor.name], list(tensor.indices)]
    return opt_einsum.contract(*operands, list(joint.output))


@pytest.mark.parametrize("family", GAUSSIAN_FAMILIES)
def test_gaussian_counted_equals_predicted(family):
    rng = np.random.default_rng(0)
    factors = _factors(rng, SHAPE, 3)
    tensor = rng.standard_normal(SHAPE)
    sketch = GaussianSketch(family, SHAPE, 1, 3, 6)
    sketch.draw(5)
    left, ops = sketch.apply_structured(factors)
    assert ops == sketch.predicted_structured_ops
    right, data_ops = sketch.apply_data(tensor)
    assert data_ops == sketch.predicted_data_ops(tensor)
    assert left.shape == (6, 3)
    assert right.shape == (6, SHAPE[1])


@pytest.mark.parametrize("family", GAUSSIAN_FAMILIES)
def test_gaussian_sketch_matches_einsum(family):
    rng = np.random.default_rng(1)
    factors = _factors(rng, SHAPE, 2)
    tensor = rng.standard_normal(SHAPE)
    sketch = GaussianSketch(family, SHAPE, 0, 2, 5)
    sketch.draw(2)
    left, _ = sketch.apply_structured(factors)
    arrays = {**{f"A{k}": a for k, a in factors.items()}, **sketch.arrays}
    expected = _einsum_oracle(sketch, arrays)  # indices (r, S_out)
    assert np.allclose(left, expected.T, atol=1e-12)
    # The same S on the data side: S·X_(0)ᵀ must equal S applied to the explicit unfolding's columns.
    right, _ = sketch.apply_data(tensor)
    explicit = np.stack([_einsum_oracle_data(sketch, tensor[i]) for i in range(SHAPE[0])], axis=1)
    assert np.allclose(right, explicit, atol=1e-10)


def _einsum_oracle_data(sketch, slab):
    operands = [slab, ["e1", "e2"]]
    for tensor in sketch.embedding.tensors:
        operands += [sketch.arrays[tensor.name], list(tensor.indices)]
    return opt_einsum.contract(*operands, list(sketch.output))


def test_gaussian_same_seed_same_sketch():
    first = GaussianSketch("tt", SHAPE, 2, 3, 4)
    second = GaussianSketch("tt", SHAPE, 2, 3, 4)
    first.draw(11)
    second.draw(11)
    for name, array in first.arrays.items():
        assert np.array_equal(array, second.arrays[name])


def test_gaussian_kronecker_structure():
    rng = np.random.default_rng(2)
    ranks = [2, 3, 4]
    factors = {k: rng.standard_normal((s, r)) for k, (s, r) in enumerate(zip(SHAPE, ranks))}
    sketch = GaussianSketch("ms22", SHAPE, 0, ranks, 7)
    sketch.draw(3)
    left, ops = sketch.apply_structured(factors)
    assert ops == sketch.predicted_structured_ops
    # Sketch the explicit Kronecker product (C order over r1, r2) with the explicit S.
    kron = np.kron(factors[1], factors[2])  # rows (i1, i2), columns (r1, r2)
    explicit_s = np.stack(
        [_einsum_oracle_data(sketch, unit.reshape(SHAPE[1], SHAPE[2])) for unit in np.eye(SHAPE[1] * SHAPE[2])], axis=1
    )
    assert np.allclose(left, explicit_s @ kron, atol=1e-10)


@pytest.mark.parametrize("kind", ["tt", "tucker", "cp"])
def test_network_tensor_data_side(kind):
    rng = np.random.default_rng(3)
    if kind == "tt":
        cores = [rng.standard_normal((1, 9, 2)), rng.standard_normal((2, 10, 3)), rng.standard_normal((3, 11, 1))]
        network = tt_tensor(cores)
        dense = tl.tt_to_tensor(cores)
    elif kind == "tucker":
        core = rng.standard_normal((2, 3, 2))
        factors = [rng.standard_normal((s, r)) for s, r in zip(SHAPE, (2, 3, 2))]
        network = tucker_tensor(core, factors)
        dense = tl.tucker_to_tensor((core, factors))
    else:
        factors = [rng.standard_normal((s, 3)) for s in SHAPE]
        weights = rng.standard_normal(3)
        network = cp_tensor(factors, weights)
        dense = tl.cp_to_tensor((weights, factors))
    assert np.allclose(network.full(), dense)
    assert math.isclose(network.squared_norm(), float(np.sum(dense**2)), rel_tol=1e-10)
    sketch = GaussianSketch("ms22", SHAPE, 1, 3, 5)
    sketch.draw(4)
    from_network, ops = sketch.apply_data(network)
    assert ops == sketch.predicted_data_ops(network)
    assert np.allclose(from_network, sketch.apply_data(dense)[0], atol=1e-10)
    samples = {0: np.array([0, 3, 8]), 2: np.array([1, 1, 10])}
    fibres = network.fibres(1, samples)
    assert np.allclose(fibres, dense[samples[0], :, samples[2]])


def test_network_tensor_bond_mismatch():
    with pytest.raises(SizeError, match="b1"):
        tt_tensor([np.ones((4, 2)), np.ones((3, 5))])


def _explicit_countsketch(sketch, mode):
    """The CountSketch matrix with hash (Σ h_k) mod m and sign ∏ σ_k, built row by row."""
    others = [k for k in range(len(sketch.shape)) if k != mode]
    rows = math.prod(sketch.shape[k] for k in others)
    matrix = np.zeros((sketch.m, rows))
    for row, multi in enumerate(np.ndindex(*[sketch.shape[k] for k in others])):
        bucket = sum(int(sketch.hashes[k][i]) for k, i in zip(others, multi)) % sketch.m
        sign = np.prod([sketch.signs[k][i] for k, i in zip(others, multi)])
        matrix[bucket, row] = sign
    return matrix


def test_tensorsketch_fft_equals_countsketch():
    rng = np.random.default_rng(4)
    shape = (6, 7, 5, 4)
    factors = _factors(rng, shape, 3)
    sketch = TensorSketch(shape, 13, seed=9)
    for mode in range(len(shape)):
        explicit = _explicit_countsketch(sketch, mode)
        others = [factors[k] for k in range(len(shape)) if k != mode]
        khatri_rao = tl.tenalg.khatri_rao(others)  # rows in C order over the other modes
        assert np.abs(sketch.apply_khatri_rao(factors, mode) - explicit @ khatri_rao).max() < 1e-12
        kronecker = others[0]
        for other in others[1:]:
            kronecker = np.kron(kronecker, other)
        assert np.abs(sketch.apply_kronecker(factors, mode) - explicit @ kronecker).max() < 1e-12
        tensor = rng.standard_normal(shape)
        assert np.abs(sketch.apply_data(tensor, mode) - explicit @ unfold_t(tensor, mode)).max() < 1e-12


@pytest.mark.parametrize("ranks", [3, [2, 3, 4]])
def test_tensorsketch_model_matches_counts(ranks):
    rng = np.random.default_rng(5)
    shape = (8, 9, 10)
    rank_list = [ranks] * 3 if isinstance(ranks, int) else ranks
    factors = {k: rng.standard_normal((s, r)) for k, (s, r) in enumerate(zip(shape, rank_list))}
    sketch = TensorSketch(shape, 16, seed=1)
    if isinstance(ranks, int):
        sketch.apply_khatri_rao(factors, 1)
    else:
        sketch.apply_kronecker(factors, 1)
    sketch.apply_data(rng.standard_normal(shape), 1)
    model = tensorsketch_counts(shape, 1, ranks if isinstance(ranks, int) else rank_list, 16)
    assert sketch.counter.as_dict() == model.as_dict()
    # Hand count for the Khatri–Rao case: 3 + 3 forward FFTs and 3 inverse FFTs of length 16.
    if isinstance(ranks, int):
        assert sketch.counter.ffts == 9
        assert sketch.counter.fft_ops == 9 * 16 * 4
        assert sketch.counter.adds == 8 * 3 + 10 * 3 + 8 * 9 * 10


@pytest.mark.parametrize("kronecker", [False, True])
def test_leverage_model_matches_counts(kronecker):
    rng = np.random.default_rng(6)
    shape = (8, 9, 10)
    ranks = [2, 3, 4] if kronecker else [3, 3, 3]
    factors = {k: rng.standard_normal((s, r)) for k, (s, r) in enumerate(zip(shape, ranks))}
    sampler = LeverageSampler(shape, 12, seed=0)
    sampler.apply(factors, rng.standard_normal(shape), 0, kronecker=kronecker)
    model = leverage_counts(shape, 0, ranks if kronecker else 3, 12)
    assert sampler.counter.as_dict() == model.as_dict()


def test_kronecker_leverage_is_product_of_row_norms():
    rng = np.random.default_rng(7)
    factors = [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in ((7, 2), (6, 3), (5, 2))]
    kronecker = np.kron(np.kron(factors[0], factors[1]), factors[2])
    u, sigma, _ = np.linalg.svd(kronecker, full_matrices=False)
    exact = np.sum(u[:, sigma > 1e-12] ** 2, axis=1)
    norms = [np.sum(f**2, axis=1) for f in factors]
    product = np.einsum("i,j,k->ijk", *norms).reshape(-1)
    assert np.abs(exact - product).max() < 1e-12
    assert np.abs(leverage_scores(factors[1]) - norms[1]).max() < 1e-12


def test_leverage_weights_unbiased():
    rng = np.random.default_rng(8)
    shape = (5, 4, 6)
    factors = {k: np.linalg.qr(rng.standard_normal((s, 2)))[0] for k, s in enumerate(shape)}
    sampler = LeverageSampler(shape, 20, seed=3)
    rows = shape[1] * shape[2]
    trials = 4000
    diagonals = np.zeros((trials, rows))
    for trial in range(trials):
        samples, weights = sampler.sample(factors, 0)
        flat = samples[1] * shape[2] + samples[2]
        # SᵀS is diagonal (one row of the identity per sample): entry j adds w² per sample of row j.
        diagonals[trial] = np.bincount(flat, weights=weights**2, minlength=rows)
    mean = diagonals.mean(axis=0)
    standard_error = diagonals.std(axis=0) / math.sqrt(trials)
    assert np.all(np.abs(mean - 1.0) < 5 * standard_error + 1e-12)
    kronecker = np.kron(factors[1], factors[2])
    projected = kronecker.T @ (mean[:, None] * kronecker)
    assert np.abs(projected - np.eye(4)).max() < 0.05


def test_leverage_khatri_rao_bound():
    rng = np.random.default_rng(9)
    factors = [rng.standard_normal((s, 3)) for s in (6, 7)]
    khatri_rao = tl.tenalg.khatri_rao(factors)
    u, sigma, _ = np.linalg.svd(khatri_rao, full_matrices=False)
    exact = np.sum(u**2, axis=1)
    product = np.einsum("i,j->ij", leverage_scores(factors[0]), leverage_scores(factors[1])).reshape(-1)
    # The Khatri–Rao rows are rows of the Kronecker product, whose leverage score is the product.
    assert np.all(exact <= product + 1e-12)


def test_gaussian_sketch_rejects_unknown_family():
    with pytest.raises(SpecError, match="unknown Gaussian family"):
        GaussianSketch("gaussian", SHAPE, 0, 2, 4)


def test_leverage_fibres_when_sizes_match():
    # Mode 0 with as many samples as its size: the sampled fibres must still be (m, s_0).
    rng = np.random.default_rng(10)
    shape = (12, 5, 6)
    tensor = rng.standard_normal(shape)
    factors = {k: rng.standard_normal((s, 2)) for k, s in enumerate(shape)}
    sampler = LeverageSampler(shape, 12, seed=1)
    samples, weights = LeverageSampler(shape, 12, seed=1).sample(factors, 0)
    _, right = sampler.apply(factors, tensor, 0)
    expected = weights[:, None] * tensor[:, samples[1], samples[2]].T
    assert np.allclose(right, expected)
