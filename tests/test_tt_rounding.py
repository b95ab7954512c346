"""Tests of TT rounding: accuracy against dense SVD oracles and tensorly, and predicted against executed ops."""

from __future__ import annotations

import cotengra
import numpy as np
import pytest
import sympy
import tensorly
from tensorly.decomposition import tensor_train
from tensorly.tt_tensor import tt_to_tensor

from tncost.apps.tt import TensorTrain
from tncost.apps.tt_rounding import (
    METHODS,
    _right_sketches,
    predict_costs,
    predict_sketch_ops,
    predict_tt_costs,
    round_deterministic,
    round_orthogonalize_then_randomize,
    round_randomize_then_orthogonalize,
    round_sum,
    round_tt,
    round_two_sided,
    sketch_lower_bound,
    sketch_network,
)
from tncost.cost import tree_cost
from tncost.errors import NetworkError, SketchSizeError, SpecError

RANDOMIZED = [m for m in METHODS if m != "deterministic"]


def relative_error(approx: TensorTrain, exact: np.ndarray) -> float:
    return float(np.linalg.norm(approx.full() - exact) / np.linalg.norm(exact))


def unfolding_tails(dense: np.ndarray, rank: int) -> list[float]:
    """Best rank-``rank`` approximation error of each unfolding, from numpy's SVD."""
    tails = []
    for k in range(1, dense.ndim):
        matrix = dense.reshape(int(np.prod(dense.shape[:k])), -1)
        sigma = np.linalg.svd(matrix, compute_uv=False)
        tails.append(float(np.sqrt(np.sum(sigma[rank:] ** 2))))
    return tails


def noisy_low_rank(shape: tuple[int, ...], rank: int, noise: float, seed: int) -> TensorTrain:
    """A rank-``rank`` train plus ``noise`` times a random rank-3 train (relative to the signal's norm)."""
    signal = TensorTrain.random(shape, rank, seed=seed)
    perturbation = TensorTrain.random(shape, 3, seed=seed + 1000)
    scale = noise * signal.norm() / perturbation.norm()
    return signal + scale * perturbation


def padded(tt: TensorTrain, extra: int, seed: int) -> TensorTrain:
    """The same tensor with ranks raised by ``extra``: tt + r - r with a random train r."""
    other = TensorTrain.random(tt.shape, extra, seed=seed)
    return tt + other - other


# Deterministic rounding -------------------------------------------------------------------


def test_deterministic_error_between_unfolding_bounds() -> None:
    tt = noisy_low_rank((5, 6, 5, 6), 3, 0.05, seed=1)
    dense = tt.full()
    rounded = round_deterministic(tt, 3).tt
    tails = unfolding_tails(dense, 3)
    error = float(np.linalg.norm(rounded.full() - dense))
    assert rounded.ranks == (1, 3, 3, 3, 1)
    # Every unfolding of the result has rank 3, and TT-SVD is quasi-optimal.
    assert error >= max(tails) * (1 - 1e-9)
    assert error <= np.sqrt(sum(t**2 for t in tails)) * (1 + 1e-9)


@pytest.mark.parametrize("rtol", [1e-1, 1e-2, 1e-6])
def test_deterministic_tolerance_bound(rtol: float) -> None:
    tt = noisy_low_rank((6, 5, 6, 5, 4), 4, 0.02, seed=2)
    rounded = round_deterministic(tt, rtol=rtol).tt
    assert relative_error(rounded, tt.full()) <= rtol
    assert max(rounded.ranks) <= max(tt.ranks)


def test_deterministic_recovers_minimal_ranks() -> None:
    tt = TensorTrain.random((4, 5, 6, 5), [2, 3, 2], seed=3)
    rounded = round_deterministic(padded(tt, 4, seed=4), rtol=1e-12).tt
    assert rounded.ranks == (1, 2, 3, 2, 1)
    assert relative_error(rounded, tt.full()) < 1e-12


def test_deterministic_matches_tensorly_tt_svd() -> None:
    tt = noisy_low_rank((5, 6, 7, 5), 2, 0.1, seed=5)
    dense = tt.full()
    rounded = round_deterministic(tt, 2).tt
    reference = tt_to_tensor(tensor_train(tensorly.tensor(dense), rank=[1, 2, 2, 2, 1]))
    ours = tensorly.to_numpy(tt_to_tensor(rounded.to_tensorly()))
    assert np.allclose(ours, rounded.full(), atol=1e-12)
    assert np.linalg.norm(ours - tensorly.to_numpy(reference)) / np.linalg.norm(dense) < 1e-8


# Randomized rounding: exactness and accuracy ------------------------------------------------------


@pytest.mark.parametrize("method", RANDOMIZED)
def test_randomized_exact_at_true_ranks(method: str) -> None:
    tt = TensorTrain.random((5, 6, 7, 6, 5), [3, 4, 4, 3], seed=6)
    bloated = padded(tt, 5, seed=7)
    result = round_tt(bloated, 4, method=method, seed=8)
    assert max(result.tt.ranks) <= 4
    assert relative_error(result.tt, tt.full()) < 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_complex_train_exact_at_true_ranks(method: str) -> None:
    rng = np.random.default_rng(90)
    shapes = [(1, 4, 2), (2, 5, 3), (3, 4, 1)]
    tt = TensorTrain([rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in shapes])
    bloated = padded(tt, 2, seed=91)
    result = round_tt(bloated, [2, 3], method=method, seed=9)
    assert relative_error(result.tt, tt.full()) < 1e-12


def test_randomize_then_orthogonalize_never_orthogonalizes_input() -> None:
    result = round_randomize_then_orthogonalize(TensorTrain.random((4, 5, 6), 3, seed=9), 2, seed=0)
    assert result.breakdown["orthogonalize"] == 0
    assert result.sketch_ops > 0


def test_randomized_output_left_orthogonal() -> None:
    result = round_randomize_then_orthogonalize(TensorTrain.random((4, 5, 6, 4), 5, seed=10), 3, seed=1)
    for core in result.tt.cores[:-1]:
        left, size, right = core.shape
        matrix = core.reshape(left * size, right)
        assert np.allclose(matrix.T @ matrix, np.eye(right), atol=1e-12)


@pytest.mark.parametrize("method", RANDOMIZED)
def test_randomized_within_factor_of_deterministic(method: str) -> None:
    rank = 4
    tt = noisy_low_rank((8, 8, 8, 8, 8), rank, 1e-3, seed=11)
    dense = tt.full()
    deterministic = relative_error(round_deterministic(tt, rank).tt, dense)
    for seed in range(3):
        randomized = round_tt(tt, rank + 5, method=method, seed=seed, max_rank=rank)
        assert randomized.tt.ranks == (1, rank, rank, rank, rank, 1)
        assert relative_error(randomized.tt, dense) <= 3 * deterministic


def test_sketch_rank_without_truncation_beats_deterministic_at_rank() -> None:
    # Keeping all L = r + 5 columns can only approximate better than rank r.
    tt = noisy_low_rank((8, 8, 8, 8), 3, 1e-2, seed=12)
    dense = tt.full()
    randomized = round_randomize_then_orthogonalize(tt, 8, seed=2).tt
    assert relative_error(randomized, dense) <= relative_error(round_deterministic(tt, 3).tt, dense)


def test_two_sided_order_two_is_generalized_nystrom() -> None:
    # For a matrix X = Y1·Y2 the two-sided result is X Ω (Ψᵀ X Ω)^+ Ψᵀ X, computed here with pinv.
    from tncost.random import resolve_seed, spawn_seeds

    tt = TensorTrain.random((9, 11), 6, seed=80)
    matrix = tt.full()
    result = round_two_sided(tt, 3, seed=5)
    right_seed, left_seed = spawn_seeds(5, 2)
    omega = TensorTrain.random((9, 11), 3, seed=resolve_seed(right_seed)).cores[1][:, :, 0].T
    psi = TensorTrain.random((9, 11), 6, seed=resolve_seed(left_seed)).cores[0][0]
    expected = matrix @ omega @ np.linalg.pinv(psi.T @ matrix @ omega) @ psi.T @ matrix
    assert np.allclose(result.tt.full(), expected, atol=1e-10)


def test_sum_equals_rounding_explicit_sum() -> None:
    # Every unfolding of the sum has rank >= 6 > L, so each sketch has full column rank and
    # the QR factors are determined up to rounding errors.
    parts = [TensorTrain.random((6, 6, 6, 6), r, seed=20 + r) for r in (2, 3, 4)]
    explicit = parts[0] + parts[1] + parts[2]
    separate = round_sum(parts, 5, seed=3)
    together = round_randomize_then_orthogonalize(explicit, 5, seed=3)
    assert separate.tt.ranks == together.tt.ranks
    for mine, theirs in zip(separate.tt.cores, together.tt.cores):
        assert np.allclose(mine, theirs, atol=1e-10)
    assert np.allclose(separate.tt.full(), together.tt.full(), atol=1e-12)
    # The blocks of zeros are never multiplied, so the sum variant does fewer ops.
    assert separate.ops < together.ops


def test_sum_exact_at_true_rank() -> None:
    a = TensorTrain.random((5, 5, 5, 5), 2, seed=30)
    b = TensorTrain.random((5, 5, 5, 5), 3, seed=31)
    result = round_sum([a, b, -1.0 * b], 2, seed=4)
    assert relative_error(result.tt, a.full()) < 1e-12


@pytest.mark.parametrize("method", RANDOMIZED)
def test_seed_reproduces(method: str) -> None:
    tt = TensorTrain.random((4, 5, 6, 5), 4, seed=40)
    first = round_tt(tt, 3, method=method, seed=5).tt.cores
    second = round_tt(tt, 3, method=method, seed=5).tt.cores
    other = round_tt(tt, 3, method=method, seed=6).tt.cores
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert not all(np.allclose(x, y) for x, y in zip(first, other))


# The sketching step -----------------------------------------------------------------------


def test_right_sketches_match_einsum() -> None:
    tt = TensorTrain.random((3, 4, 5, 6), [2, 3, 4], seed=50)
    omega = TensorTrain.random((3, 4, 5, 6), [5, 3, 2], seed=51)
    from tncost.apps.tt_rounding import _Counter

    sketches = _right_sketches(tt.cores, omega.cores, _Counter())
    y, o = tt.cores, omega.cores
    expected = {
        3: np.einsum("ap,bp->ab", y[3][:, :, 0], o[3][:, :, 0]),
        2: np.einsum("apc,cq,bpd,dq->ab", y[2], y[3][:, :, 0], o[2], o[3][:, :, 0], optimize=True),
        1: np.einsum("apc,cqe,er,bpd,dqf,fr->ab", y[1], y[2], y[3][:, :, 0], o[1], o[2], o[3][:, :, 0], optimize=True),
    }
    for k, value in expected.items():
        assert np.allclose(sketches[k], value, atol=1e-12), k


def test_sketch_tree_cost_matches_cotengra() -> None:
    shape, ranks, targets = (3, 4, 5, 6, 7), (1, 2, 3, 4, 5, 1), (1, 6, 2, 3, 4, 1)
    network, tree = sketch_network(5, shape, ranks, targets)
    ours = tree_cost(network, tree).ops
    sizes = {index: int(size) for index, size in network.size_dict.items()}
    reference = cotengra.ContractionTree.from_path(network.inputs, network.output, sizes, ssa_path=tree.ssa_path())
    assert ours == reference.contraction_cost()


@pytest.mark.parametrize(
    "shape, ranks, sketch",
    [
        pytest.param((6, 6, 6, 6), 5, 3, id="uniform"),
        pytest.param((3, 7, 4, 5, 6), [2, 5, 3, 4], [6, 2, 5, 3], id="mixed"),
        pytest.param((10, 10), 4, 7, id="order-two"),
        pytest.param((2, 3, 2), 2, 5, id="capped"),
    ],
)
def test_predicted_sketch_ops_equal_executed(shape, ranks, sketch) -> None:
    tt = TensorTrain.random(shape, ranks, seed=60)
    result = round_randomize_then_orthogonalize(tt, sketch, seed=7)
    assert result.sketch_ops == predict_sketch_ops(tt, sketch)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "shape, ranks, sketch",
    [
        pytest.param((6, 7, 6, 5), [4, 5, 4], 3, id="low-sketch"),
        pytest.param((3, 7, 4, 5, 6), [2, 5, 3, 4], [3, 2, 3, 3], id="mixed"),
        pytest.param((2, 3, 2), 2, 5, id="capped"),
    ],
)
def test_predicted_phases_equal_executed(method, shape, ranks, sketch) -> None:
    tt = TensorTrain.random(shape, ranks, seed=61)
    result = round_tt(tt, sketch, method=method, seed=8)
    assert dict(result.breakdown) == predict_tt_costs(tt, sketch, method)


@pytest.mark.parametrize("method", RANDOMIZED)
def test_predicted_truncation_equals_executed(method: str) -> None:
    tt = TensorTrain.random((5, 6, 7, 6, 5), [4, 6, 6, 4], seed=68)
    result = round_tt(tt, 5, method=method, seed=2, max_rank=[2, 3, 3, 2])
    assert result.tt.ranks == (1, 2, 3, 3, 2, 1)
    assert result.breakdown["truncate"] > 0
    assert dict(result.breakdown) == predict_tt_costs(tt, 5, method, max_rank=[2, 3, 3, 2])


def test_sketch_ops_equal_planner_tt_family() -> None:
    # The planner's tensor-train embedding along a right-to-left T0 is Ω; its cheapest
    # T0-consistent tree costs what the rounding code executes.
    from tncost.apps.tt_rounding import _right_to_left_tree, sketch_data_network
    from tncost.planner import plan_sketch

    order, size, rank, sketch = 4, 16, 6, 4
    data = sketch_data_network(order, [size] * order, [1, rank, rank, rank, 1])
    plan = plan_sketch(data, m=sketch, families=["tt"], data_tree=_right_to_left_tree(order))
    tt = TensorTrain.random((size,) * order, rank, seed=67)
    executed = round_randomize_then_orthogonalize(tt, sketch, seed=0).sketch_ops
    assert plan.family("tt").cost_at_point == executed


def test_sketch_ops_hand_formula() -> None:
    # W_{N-1}: R·I·L; every other W_k: R·I·R·L + R·I·L·L (train core first).
    order, size, rank, sketch = 6, 9, 5, 4
    tt = TensorTrain.random((size,) * order, rank, seed=62)
    expected = rank * size * sketch + (order - 2) * (rank * size * rank * sketch + rank * size * sketch * sketch)
    assert predict_sketch_ops(tt, sketch) == expected
    assert round_randomize_then_orthogonalize(tt, sketch, seed=9).sketch_ops == expected


def test_symbolic_prediction_matches_numeric() -> None:
    symbolic = predict_costs(5, "s", "R", "L")
    s, R, L = (sympy.Symbol(n, positive=True, integer=True) for n in ("s", "R", "L"))
    numeric = predict_costs(5, 12, 6, 4)
    values = {"s": 12, "R": 6, "L": 4}
    assert symbolic.at(values) == numeric.at({})
    sketch = symbolic.phases["randomize-then-orthogonalize"]["sketch"]
    assert sympy.expand(sketch - (R * s * L + 3 * (R**2 * s * L + R * s * L**2))) == 0


def test_prediction_compare_rows() -> None:
    tt = TensorTrain.random((8,) * 5, 6, seed=63)
    prediction = predict_costs(5, 8, 6, 4)
    results = {method: round_tt(tt, 4, method=method, seed=1) for method in METHODS}
    rows = prediction.compare(results)
    assert [row["method"] for row in rows] == list(METHODS)
    for row in rows:
        assert row["predicted_ops"] == row["measured_ops"], row
        assert row["seconds"] > 0


# The lower bound of the sketching step ------------------------------------------------------------


def test_sketch_lower_bound_hand_value() -> None:
    # Order 3: data G2(r1, p2, r2), G3(r2, p3); T0 = (G2, G3); m = L.
    # merge |{r1, r2}|·m² = R²·m²; sketch terms: p2 → m·s·min(R², R·m) (at G2, then at the
    # root where p3 is still sketched), p3 → m·s·min(R, R·m) = m·s·R; leaf terms m·R·s·R and
    # m·R·s (each sibling carries a sketched index).
    s, R, m = 10, 4, 3
    tt = TensorTrain.random((s, s, s), R, seed=64)
    bound = sketch_lower_bound(tt, m)
    assert bound.total == R * R * m * m + m * s * min(R * R, R * m) + m * s * R + m * R * s * R + m * R * s


@pytest.mark.parametrize("order, size, rank, sketch", [(4, 16, 8, 4), (6, 12, 6, 6), (5, 20, 10, 2)])
def test_sketch_cost_above_guaranteed_minimum(order, size, rank, sketch) -> None:
    tt = TensorTrain.random((size,) * order, rank, seed=65)
    bound = sketch_lower_bound(tt, sketch)
    ops = predict_sketch_ops(tt, sketch)
    assert ops >= bound.guaranteed_cost()
    # L <= R: the sketch costs a bounded multiple of LB (at most 2 here; see docs/tt_rounding.md).
    assert bound.ratio(ops) <= 2


def test_lower_bound_rejects_large_sketch_rank() -> None:
    tt = TensorTrain.random((4, 4, 4), 2, seed=66)
    with pytest.raises(SketchSizeError):
        sketch_lower_bound(tt, 5)
    prediction = predict_costs(3, 4, 2, 5)
    assert prediction.lower_bound is None
    assert "m = L = 5" in prediction.bound_note


# Bad input ---------------------------------------------------------------------------------


def test_bad_rounding_input() -> None:
    tt = TensorTrain.random((3, 4, 5), 2, seed=70)
    with pytest.raises(SpecError, match="unknown rounding method 'qr'"):
        round_tt(tt, 2, method="qr")
    with pytest.raises(SpecError, match="needs a target rank"):
        round_tt(tt, None, method="two-sided")
    with pytest.raises(SpecError, match="has 3 entries; a tensor train of order 3 has 2 interior ranks"):
        round_randomize_then_orthogonalize(tt, [2, 2, 2])
    with pytest.raises(SpecError, match="every rank must be at least 1"):
        round_orthogonalize_then_randomize(tt, 0)
    with pytest.raises(SpecError, match="invalid rtol"):
        round_deterministic(tt, rtol=-0.5)
    with pytest.raises(NetworkError, match="expected a TensorTrain, got ndarray"):
        round_two_sided(tt.full(), 2)
    with pytest.raises(NetworkError, match="same shape"):
        round_sum([tt, TensorTrain.random((3, 4, 6), 2, seed=71)], 2)
    with pytest.raises(NetworkError, match="at least one tensor train"):
        round_sum([], 2)
    with pytest.raises(SpecError, match="invalid order 1"):
        predict_costs(1, 4, 2, 2)
