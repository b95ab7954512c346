"""Sketched CP-ALS against exact ALS, tensorly and numpy.linalg."""

import numpy as np
import pytest
import tensorly as tl
from tensorly.decomposition import parafac

from tncost.apps.cp_als import CP_FAMILIES, cost_table, cp_als, cp_to_tensor, khatri_rao, predict_costs
from tncost.apps.data import low_rank_plus_noise
from tncost.apps.sketches import GAUSSIAN_FAMILIES, GaussianSketch, tt_tensor, tucker_tensor, unfold_t
from tncost.errors import NetworkError, SizeError, SketchSizeError, SpecError

SHAPE = (14, 15, 16)


def _relative_error(result, tensor):
    return np.linalg.norm(result.full() - tensor) / np.linalg.norm(tensor)


def test_exact_als_matches_tensorly():
    rng = np.random.default_rng(0)
    tensor = low_rank_plus_noise(SHAPE, 3, 0.05, seed=1)
    init = [rng.standard_normal((s, 3)) for s in SHAPE]
    ours = cp_als(tensor, 3, family="none", init=init, max_sweeps=6, tol=0.0, solver="normal")
    reference = parafac(
        tl.tensor(tensor), 3, init=tl.cp_tensor.CPTensor((np.ones(3), [f.copy() for f in init])),
        n_iter_max=6, tol=0.0, normalize_factors=False,
    )
    assert np.allclose(ours.full(), tl.cp_to_tensor(reference), atol=1e-9)


@pytest.mark.parametrize("solver", ["qr", "normal"])
def test_exact_update_is_least_squares(solver):
    tensor = low_rank_plus_noise(SHAPE, 3, 0.1, seed=2)
    rng = np.random.default_rng(3)
    init = [rng.standard_normal((s, 3)) for s in SHAPE]
    result = cp_als(tensor, 3, family="none", init=init, max_sweeps=1, solver=solver)
    # After one sweep the last factor solves its least-squares problem given the others.
    others = [result.factors[0] * result.weights[None, :], result.factors[1]]
    expected = np.linalg.lstsq(khatri_rao(others), unfold_t(tensor, 2), rcond=None)[0].T
    assert np.allclose(result.factors[2], expected / np.linalg.norm(expected, axis=0), atol=1e-10)


def test_orthogonal_sketch_gives_plain_als_update():
    rng = np.random.default_rng(4)
    tensor = low_rank_plus_noise(SHAPE, 3, 0.1, seed=5)
    factors = {k: rng.standard_normal((s, 3)) for k, s in enumerate(SHAPE)}
    rows = SHAPE[0] * SHAPE[2]
    sketch = GaussianSketch("dense", SHAPE, 1, 3, rows)
    orthogonal = np.linalg.qr(rng.standard_normal((rows, rows)))[0]
    sketch.arrays = {"S_dense": orthogonal.reshape(rows, SHAPE[0], SHAPE[2])}
    left, _ = sketch.apply_structured(factors)
    right, _ = sketch.apply_data(tensor)
    sketched = np.linalg.lstsq(left, right, rcond=None)[0]
    plain = np.linalg.lstsq(khatri_rao([factors[0], factors[2]]), unfold_t(tensor, 1), rcond=None)[0]
    assert np.abs(sketched - plain).max() < 1e-10


@pytest.mark.parametrize("family", ["ms22", "tensorsketch"])
def test_qr_and_normal_agree(family):
    tensor = low_rank_plus_noise(SHAPE, 3, 0.05, seed=6)
    first = cp_als(tensor, 3, family=family, m=60, solver="qr", max_sweeps=3, tol=0.0, seed=7, init="svd")
    second = cp_als(tensor, 3, family=family, m=60, solver="normal", max_sweeps=3, tol=0.0, seed=7, init="svd")
    assert np.allclose(first.full(), second.full(), atol=1e-8)


@pytest.mark.parametrize("family", ["ms22", "tt", "tree", "khatri-rao", "dense", "tensorsketch", "leverage"])
def test_exact_low_rank_recovered(family):
    tensor = low_rank_plus_noise(SHAPE, 3, 0.0, seed=8)
    result = cp_als(tensor, 3, family=family, m=40, max_sweeps=60, tol=0.0, seed=9, init="svd")
    assert _relative_error(result, tensor) < 1e-9


@pytest.mark.parametrize("mode", ["reuse", "redraw"])
def test_noisy_fit_close_to_exact(mode):
    tensor = low_rank_plus_noise(SHAPE, 3, 0.05, seed=10)
    exact = cp_als(tensor, 3, family="none", max_sweeps=40, seed=11, init="svd")
    sketched = cp_als(tensor, 3, family="ms22", m=80, mode=mode, max_sweeps=40, seed=11, init="svd")
    assert sketched.mode == mode
    assert sketched.fit > exact.fit - 0.02
    assert exact.fit > 0.9


@pytest.mark.parametrize("family", GAUSSIAN_FAMILIES)
def test_counted_ops_equal_prediction(family):
    tensor = low_rank_plus_noise(SHAPE, 2, 0.1, seed=12)
    for mode in ("reuse", "redraw"):
        result = cp_als(tensor, 2, family=family, m=10, mode=mode, max_sweeps=2, tol=0.0, seed=1)
        for entry in result.history:
            assert entry["ops"] == entry["predicted_ops"]
        assert result.setup["ops"] == result.setup["predicted_ops"]
    # Reuse sketches the data once, so its sweeps count less than redraw's.
    reuse = cp_als(tensor, 2, family=family, m=10, mode="reuse", max_sweeps=1, seed=1)
    redraw = cp_als(tensor, 2, family=family, m=10, mode="redraw", max_sweeps=1, seed=1)
    assert redraw.history[0]["ops"] == reuse.history[0]["ops"] + reuse.setup["ops"]


@pytest.mark.parametrize("family", ["none", "tensorsketch", "leverage"])
def test_model_ops_equal_counts(family):
    tensor = low_rank_plus_noise(SHAPE, 2, 0.1, seed=13)
    result = cp_als(tensor, 2, family=family, m=12, max_sweeps=2, tol=0.0, seed=2, solver="normal")
    for entry in result.history:
        assert entry["ops"] == entry["predicted_ops"]


def test_exact_mttkrp_ops_by_hand():
    tensor = np.ones((4, 5, 6))
    result = cp_als(tensor, 2, family="none", max_sweeps=1, solver="normal", seed=0)
    # Mode n: either X meets one factor (|X|·R = 240) and the result (s_n·s_k·R) meets the
    # other, or the two factors first form the Khatri–Rao product (s_a·s_b·R), then X (240).
    def mode_cost(n, a, b):
        sizes = (4, 5, 6)
        return min(240 + sizes[n] * sizes[b] * 2, 240 + sizes[n] * sizes[a] * 2, 240 + sizes[a] * sizes[b] * 2)

    expected = mode_cost(0, 1, 2) + mode_cost(1, 0, 2) + mode_cost(2, 0, 1)
    assert expected == 280 + 280 + 280
    assert result.history[0]["predicted_ops"] == expected


@pytest.mark.parametrize("kind", ["tucker", "tt"])
def test_network_input_matches_dense(kind):
    rng = np.random.default_rng(14)
    if kind == "tucker":
        network = tucker_tensor(rng.standard_normal((3, 3, 3)), [rng.standard_normal((s, 3)) for s in SHAPE])
    else:
        network = tt_tensor([rng.standard_normal((14, 2)), rng.standard_normal((2, 15, 3)), rng.standard_normal((3, 16))])
    dense = network.full()
    for family in ("ms22", "leverage"):
        from_network = cp_als(network, 2, family=family, m=30, max_sweeps=3, tol=0.0, seed=3)
        from_dense = cp_als(dense, 2, family=family, m=30, max_sweeps=3, tol=0.0, seed=3)
        assert np.allclose(from_network.full(), from_dense.full(), atol=1e-8)
        assert abs(from_network.fit - from_dense.fit) < 1e-8
    exact = cp_als(network, 2, family="none", solver="normal", max_sweeps=3, tol=0.0, seed=3)
    assert np.allclose(exact.full(), cp_als(dense, 2, family="none", solver="normal", max_sweeps=3, tol=0.0, seed=3).full())


def test_same_seed_same_result():
    tensor = low_rank_plus_noise(SHAPE, 2, 0.1, seed=15)
    first = cp_als(tensor, 2, family="tt", m=12, max_sweeps=2, seed=4)
    second = cp_als(tensor, 2, family="tt", m=12, max_sweeps=2, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first.factors, second.factors))


def test_auto_uses_planner_choice():
    tensor = low_rank_plus_noise(SHAPE, 2, 0.0, seed=16)
    result = cp_als(tensor, 2, family="auto", m=8, max_sweeps=1, seed=0)
    assert result.family in GAUSSIAN_FAMILIES
    assert result.m == 8
    assert any("planner" in note for note in result.notes)


def test_leverage_reports_redraw():
    tensor = low_rank_plus_noise(SHAPE, 2, 0.0, seed=17)
    result = cp_als(tensor, 2, family="leverage", mode="reuse", m=20, max_sweeps=1, seed=0)
    assert result.mode == "redraw"


def test_callback_and_tolerance():
    tensor = low_rank_plus_noise(SHAPE, 2, 0.0, seed=18)
    seen = []
    result = cp_als(tensor, 2, family="none", max_sweeps=500, tol=1e-3, seed=0, init="svd", callback=seen.append)
    assert len(seen) == len(result.history) < 500
    assert [h["sweep"] for h in seen] == list(range(1, len(seen) + 1))


def test_predict_costs_rows():
    rows = predict_costs((30, 30, 30), 4, m=12, mode="reuse")
    families = [row["family"] for row in rows]
    assert families == ["none", *GAUSSIAN_FAMILIES, "tensorsketch", "leverage"]
    by_family = {row["family"]: row for row in rows}
    # Khatri–Rao embedding of P_n: per mode an m×s matrix times an s×R factor, twice, then the R-batched product.
    assert by_family["khatri-rao"]["sweep_ops"] == 3 * (2 * 12 * 30 * 4 + 12 * 4)
    assert by_family["khatri-rao"]["setup_ops"] > 0
    assert by_family["ms22"]["lower_bound"] is not None
    assert all(isinstance(row["sweep_ops"], int) for row in rows)
    tensor = low_rank_plus_noise((30, 30, 30), 4, 0.0, seed=0)
    results = {"khatri-rao": cp_als(tensor, 4, family="khatri-rao", m=12, max_sweeps=1, seed=0)}
    table = cost_table(rows, results)
    assert "measured ops/sweep" in table
    khatri_rao_line = next(line for line in table.splitlines() if line.startswith("khatri-rao"))
    assert str(by_family["khatri-rao"]["sweep_ops"]) in khatri_rao_line


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: cp_als(x, 0), SizeError),
        (lambda x: cp_als(x[0], 2), NetworkError),
        (lambda x: cp_als(x, 2, family="gauss"), SpecError),
        (lambda x: cp_als(x, 2, mode="sometimes"), SpecError),
        (lambda x: cp_als(x, 2, solver="svd"), SpecError),
        (lambda x: cp_als(x, 2, family="ms22", m=0), SketchSizeError),
        (lambda x: cp_als(x, 2, init="magic"), SpecError),
        (lambda x: cp_als(np.zeros_like(x), 2), SpecError),
    ],
)
def test_bad_input_raises(call, error):
    with pytest.raises(error):
        call(np.ones((4, 5, 6)))


def test_families_list():
    assert set(CP_FAMILIES) == {"auto", "none", "ms22", "tt", "tree", "khatri-rao", "dense", "tensorsketch", "leverage"}


def test_cp_to_tensor_matches_tensorly():
    rng = np.random.default_rng(19)
    factors = [rng.standard_normal((s, 2)) for s in SHAPE]
    weights = rng.standard_normal(2)
    assert np.allclose(cp_to_tensor(factors, weights), tl.cp_to_tensor((weights, factors)))
