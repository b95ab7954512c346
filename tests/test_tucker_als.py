"""Sketched Tucker-ALS, the rank-constrained solve, the range finder and CP through Tucker."""

import numpy as np
import pytest
import tensorly as tl
from tensorly.decomposition import tucker

from tncost.apps.cp_als import cp_als
from tncost.apps.data import image_stack, low_rank_plus_noise, tucker_plus_noise
from tncost.apps.sketches import tucker_tensor, unfold_t
from tncost.apps.tucker_als import (
    TUCKER_FAMILIES,
    cp_via_tucker,
    range_finder,
    rank_constrained_solve,
    tucker_als,
    tucker_to_tensor,
)
from tncost.errors import SizeError, SketchSizeError, SpecError

SHAPE = (16, 17, 18)
RANKS = [3, 4, 2]
SKETCHED = [f for f in TUCKER_FAMILIES if f != "none"]


def _projector(matrix):
    q = np.linalg.qr(matrix)[0]
    return q @ q.T


def _hooi_sweep(tensor, factors, ranks):
    """One HOOI sweep written from the definition: the leading left singular vectors of each projected unfolding."""
    factors = [f.copy() for f in factors]
    for n in range(tensor.ndim):
        projected = tensor
        for k in range(tensor.ndim):
            if k != n:
                projected = np.moveaxis(np.tensordot(factors[k].T, projected, axes=([1], [k])), 0, k)
        unfolding = np.moveaxis(projected, n, 0).reshape(tensor.shape[n], -1)
        factors[n] = np.linalg.svd(unfolding, full_matrices=False)[0][:, : ranks[n]]
    return factors


def _orthonormal_init(seed):
    rng = np.random.default_rng(seed)
    return [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in zip(SHAPE, RANKS)]


def test_unsketched_update_equals_hooi():
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.3, seed=0)
    init = _orthonormal_init(1)
    ours = tucker_als(tensor, RANKS, family="none", init=init, max_sweeps=1)
    expected = _hooi_sweep(tensor, init, RANKS)
    for factor, reference in zip(ours.factors, expected):
        assert np.abs(_projector(factor) - _projector(reference)).max() < 1e-10


def test_identity_sketch_rank_constrained_equals_hooi():
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.3, seed=2)
    factors = _orthonormal_init(3)
    # S = I: the left side is the explicit Kronecker product of the other orthonormal factors.
    left = np.kron(factors[1], factors[2])
    right = unfold_t(tensor, 0)
    _, v = rank_constrained_solve(left, right, RANKS[0])
    expected = _hooi_sweep(tensor, factors, RANKS)[0]
    assert np.abs(_projector(v) - _projector(expected)).max() < 1e-10


def test_hooi_residual_matches_tensorly():
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.2, seed=4)
    ours = tucker_als(tensor, RANKS, family="none", init="hosvd", max_sweeps=30, tol=1e-12)
    core, factors = tucker(tl.tensor(tensor), rank=RANKS, init="svd", n_iter_max=30, tol=1e-12)
    reference = np.linalg.norm(tensor - tl.tucker_to_tensor((core, factors))) / np.linalg.norm(tensor)
    assert abs(ours.residual - reference) < 1e-6
    direct = np.linalg.norm(tensor - ours.full()) / np.linalg.norm(tensor)
    assert abs(ours.residual - direct) < 1e-6


def test_rank_constrained_beats_candidates():
    rng = np.random.default_rng(5)
    # An ill-conditioned left side makes the truncated least-squares solution suboptimal.
    left = rng.standard_normal((40, 6)) @ np.diag([1, 1, 1, 1e-2, 1e-2, 1e-3])
    right = rng.standard_normal((40, 9))
    rank = 2

    def objective(u_sigma, v):
        return np.linalg.norm(left @ (u_sigma @ v.T) - right)

    exact = objective(*rank_constrained_solve(left, right, rank, solve="exact"))
    truncated = objective(*rank_constrained_solve(left, right, rank, solve="truncate"))
    assert exact < truncated - 1e-3
    for _ in range(200):
        candidate = rng.standard_normal((6, rank)) @ rng.standard_normal((rank, 9))
        scale = np.vdot(left @ candidate, right) / np.vdot(left @ candidate, left @ candidate)
        assert exact <= np.linalg.norm(left @ (scale * candidate) - right) + 1e-12


def test_truncate_flag_in_solver():
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.3, seed=6)
    exact = tucker_als(tensor, RANKS, family="tensorsketch", m=60, solve="exact", max_sweeps=3, seed=0)
    truncated = tucker_als(tensor, RANKS, family="tensorsketch", m=60, solve="truncate", max_sweeps=3, seed=0)
    assert exact.residual != truncated.residual
    with pytest.raises(SpecError, match="solve"):
        tucker_als(tensor, RANKS, solve="project")


@pytest.mark.parametrize("family", TUCKER_FAMILIES)
def test_factors_orthonormal(family):
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.2, seed=7)
    result = tucker_als(tensor, RANKS, family=family, m=40, max_sweeps=2, seed=1)
    for factor, rank in zip(result.factors, RANKS):
        assert np.abs(factor.T @ factor - np.eye(rank)).max() < 1e-10


@pytest.mark.parametrize("family", TUCKER_FAMILIES)
def test_exact_multilinear_rank_recovered(family):
    tensor = tucker_plus_noise(SHAPE, RANKS, 0.0, seed=8)
    result = tucker_als(tensor, RANKS, family=family, m=40, max_sweeps=2, seed=2)
    assert np.linalg.norm(tensor - result.full()) / np.linalg.norm(tensor) < 1e-10


def test_range_finder_recovers_column_spaces():
    rng = np.random.default_rng(9)
    core = rng.standard_normal(RANKS)
    factors = [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in zip(SHAPE, RANKS)]
    tensor = tucker_to_tensor(core, factors)
    found = range_finder(tensor, RANKS, seed=3)
    for estimate, truth in zip(found, factors):
        assert np.abs(_projector(estimate) - _projector(truth)).max() < 1e-10


@pytest.mark.parametrize("family", SKETCHED)
def test_noisy_within_few_percent_of_hooi(family):
    tensor = tucker_plus_noise((20, 21, 22), RANKS, 0.1, seed=10)
    hooi = tucker_als(tensor, RANKS, family="none", max_sweeps=5, seed=4)
    # Equal sketch size for every family; P_n has at least 20·21 = 420 rows.
    sketched = tucker_als(tensor, RANKS, family=family, m=200, max_sweeps=5, seed=4)
    assert sketched.residual <= 1.05 * hooi.residual
    direct = np.linalg.norm(tensor - sketched.full()) / np.linalg.norm(tensor)
    assert abs(direct - sketched.residual) < 1e-8


def test_network_input():
    rng = np.random.default_rng(11)
    core = rng.standard_normal(RANKS)
    factors = [rng.standard_normal((s, r)) for s, r in zip(SHAPE, RANKS)]
    network = tucker_tensor(core, factors)
    dense = network.full()
    for family in ("none", "ms22", "leverage"):
        result = tucker_als(network, RANKS, family=family, m=30, init="random", max_sweeps=3, seed=5)
        assert np.linalg.norm(dense - result.full()) / np.linalg.norm(dense) < 1e-10


def test_cp_via_tucker_exact_and_noisy():
    exact_tensor = low_rank_plus_noise(SHAPE, 3, 0.0, seed=12)
    result = cp_via_tucker(exact_tensor, 3, family="leverage", m=60, seed=6)
    assert np.linalg.norm(exact_tensor - result.full()) / np.linalg.norm(exact_tensor) < 1e-8
    noisy = low_rank_plus_noise(SHAPE, 3, 0.05, seed=13)
    through_tucker = cp_via_tucker(noisy, 3, family="tensorsketch", seed=7)
    direct = cp_als(noisy, 3, family="none", init="svd", max_sweeps=100, seed=7)
    assert through_tucker.fit > direct.fit - 0.01
    assert through_tucker.family == "tucker-tensorsketch"


def test_real_images():
    stack = image_stack(32, color=False)
    ranks = [4, 6, 6]
    hooi = tucker_als(stack, ranks, family="none", max_sweeps=3, seed=0)
    core, factors = tucker(tl.tensor(stack), rank=ranks, init="svd", n_iter_max=3, tol=0)
    reference = np.linalg.norm(stack - tl.tucker_to_tensor((core, factors))) / np.linalg.norm(stack)
    assert 0.0 < hooi.residual < 0.5
    assert hooi.residual < reference + 0.01
    leverage = tucker_als(stack, ranks, family="leverage", max_sweeps=3, seed=0)
    assert leverage.residual < 1.1 * hooi.residual
    # m = 100 rows for at most 36 unknowns per row: a coarse sketch, so only a loose bound.
    gaussian = tucker_als(stack, ranks, family="tt", m=100, max_sweeps=3, seed=0)
    assert gaussian.residual < 1.35 * hooi.residual

    exact_cp = cp_als(stack, 5, family="none", init="svd", max_sweeps=10, seed=0)
    tensorsketch_cp = cp_als(stack, 5, family="tensorsketch", m=400, init="svd", max_sweeps=10, seed=0)
    leverage_cp = cp_als(stack, 5, family="leverage", m=200, init="svd", max_sweeps=10, seed=0)
    assert tensorsketch_cp.fit > exact_cp.fit - 0.03
    assert leverage_cp.fit > exact_cp.fit - 0.03


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: tucker_als(x, [2, 2]), SizeError),
        (lambda x: tucker_als(x, [2, 2, 20]), SizeError),
        (lambda x: tucker_als(x, [2, 2, 2], family="gauss"), SpecError),
        (lambda x: tucker_als(x, [2, 2, 2], family="leverage", m=0), SketchSizeError),
        (lambda x: tucker_als(x, [2, 2, 2], init="magic"), SpecError),
    ],
)
def test_bad_input_raises(call, error):
    with pytest.raises(error):
        call(np.ones((4, 5, 6)))
