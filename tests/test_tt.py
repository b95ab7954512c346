"""Tests of the TensorTrain class: TT-SVD, arithmetic, norms, and conversions, against dense numpy oracles."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorly
from tensorly.tt_tensor import tt_to_tensor

from tncost.apps.tt import TensorTrain, tt_svd_ranks
from tncost.cost import tree_cost
from tncost.errors import NetworkError, SpecError
from tncost.tree import ContractionTree


def dense_from_cores(cores: list[np.ndarray]) -> np.ndarray:
    """Contract TT cores with one np.einsum call, independently of TensorTrain.full."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    bonds, modes = letters[: len(cores) + 1], letters[len(cores) + 1 :]
    operands = [f"{bonds[k]}{modes[k]}{bonds[k + 1]}" for k in range(len(cores))]
    equation = ",".join(operands) + f"->{bonds[0]}{modes[: len(cores)]}{bonds[len(cores)]}"
    return np.einsum(equation, *cores).reshape([c.shape[1] for c in cores])


def low_rank_dense(shape: tuple[int, ...], rank: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cores, left = [], 1
    for k, size in enumerate(shape):
        right = 1 if k == len(shape) - 1 else rank
        cores.append(rng.standard_normal((left, size, right)))
        left = right
    return dense_from_cores(cores)


# TT-SVD ---------------------------------------------------------------------------------


def test_tt_svd_exact_round_trip() -> None:
    dense = np.random.default_rng(0).standard_normal((3, 4, 5, 2))
    tt = TensorTrain.from_dense(dense)
    assert np.allclose(tt.full(), dense, atol=1e-12)
    # Full ranks: min(prod of sizes left of the bond, prod right of it).
    assert tt.ranks == (1, min(3, 40), min(12, 10), min(60, 2), 1)


def test_tt_svd_finds_low_ranks() -> None:
    dense = low_rank_dense((5, 6, 7, 4), 3, seed=1)
    tt = TensorTrain.from_dense(dense, rtol=1e-10)
    assert tt.ranks == (1, 3, 3, 3, 1)
    error = np.linalg.norm(tt.full() - dense) / np.linalg.norm(dense)
    assert error < 1e-10


def test_tt_svd_error_within_tolerance() -> None:
    dense = np.random.default_rng(2).standard_normal((6, 6, 6, 6))
    for rtol in (0.3, 0.6, 0.9):
        tt = TensorTrain.from_dense(dense, rtol=rtol)
        error = np.linalg.norm(tt.full() - dense) / np.linalg.norm(dense)
        assert error <= rtol * (1 + 1e-12)
        assert max(tt.ranks) < 36


def test_tt_svd_rank_cap_order_two() -> None:
    # For order 2, TT-SVD is a truncated SVD: the error is the tail of the singular values.
    matrix = np.random.default_rng(3).standard_normal((8, 9))
    tt = TensorTrain.from_dense(matrix, max_rank=3)
    sigma = np.linalg.svd(matrix, compute_uv=False)
    assert tt.ranks == (1, 3, 1)
    assert np.isclose(np.linalg.norm(tt.full() - matrix), np.sqrt(np.sum(sigma[3:] ** 2)))


def test_tt_svd_ranks_rule() -> None:
    sigma = np.array([4.0, 3.0, 0.5, 0.1])
    assert tt_svd_ranks(sigma, None, np.sqrt(0.26) + 1e-12) == 2
    assert tt_svd_ranks(sigma, None, 0.09) == 4
    assert tt_svd_ranks(sigma, 1, 0.0) == 1
    assert tt_svd_ranks(sigma, None, 100.0) == 1


def test_order_one_train() -> None:
    vector = np.arange(5.0)
    tt = TensorTrain.from_dense(vector)
    assert tt.ranks == (1, 1)
    assert np.array_equal(tt.full(), vector)
    assert np.isclose(tt.norm(), np.linalg.norm(vector))


# Arithmetic and norms ---------------------------------------------------------------------


def test_full_matches_einsum() -> None:
    tt = TensorTrain.random((3, 4, 2, 5), [2, 3, 2], seed=4)
    assert np.allclose(tt.full(), dense_from_cores(tt.cores), atol=1e-14)


def test_addition_matches_dense_sum() -> None:
    a = TensorTrain.random((3, 4, 5), [2, 3], seed=5)
    b = TensorTrain.random((3, 4, 5), [4, 1], seed=6)
    total = a + b
    assert total.ranks == (1, 6, 4, 1)
    assert np.allclose(total.full(), a.full() + b.full(), atol=1e-14)
    assert np.allclose((a - b).full(), a.full() - b.full(), atol=1e-14)
    assert np.allclose((2.5 * a).full(), 2.5 * a.full(), atol=1e-14)


def test_inner_product_matches_vdot() -> None:
    a = TensorTrain.random((3, 4, 5, 2), 3, seed=7)
    b = TensorTrain.random((3, 4, 5, 2), 2, seed=8)
    assert np.isclose(a.inner(b), np.vdot(a.full(), b.full()), rtol=1e-12)


def test_inner_product_complex_conjugates_left() -> None:
    rng = np.random.default_rng(9)
    cores = [rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in ((1, 3, 2), (2, 4, 1))]
    a = TensorTrain(cores)
    b = TensorTrain.random((3, 4), 2, seed=10)
    assert np.isclose(a.inner(b), np.vdot(a.full(), b.full()), rtol=1e-12)


def test_norm_matches_dense_norm() -> None:
    tt = TensorTrain.random((4, 5, 6, 3), [3, 4, 2], seed=11)
    assert np.isclose(tt.norm(), np.linalg.norm(tt.full()), rtol=1e-12)


def test_random_is_seeded() -> None:
    first = TensorTrain.random((3, 4, 5), 2, seed=12).cores
    second = TensorTrain.random((3, 4, 5), 2, seed=12).cores
    other = TensorTrain.random((3, 4, 5), 2, seed=13).cores
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert not np.array_equal(first[0], other[0])


def test_random_seed_same_in_new_process() -> None:
    code = "from tncost.apps.tt import TensorTrain; print(repr(float(TensorTrain.random((3, 4), 2, seed=21).full()[1, 2])))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    here = float(TensorTrain.random((3, 4), 2, seed=21).full()[1, 2])
    assert float(output) == here


# Conversions ----------------------------------------------------------------------------


def test_to_network_sizes_and_cost() -> None:
    tt = TensorTrain.random((3, 4, 5), [2, 6], seed=14)
    network = tt.to_network()
    assert network.inputs == [("p1", "r1"), ("r1", "p2", "r2"), ("r2", "p3")]
    assert dict(network.size_dict) == {"p1": 3, "r1": 2, "p2": 4, "r2": 6, "p3": 5}
    assert network.sketched == ("p1", "p2", "p3")
    # Left to right: (3·2·4·6) then (3·4·6·5), the product of each step's distinct index sizes.
    cost = tree_cost(network, ContractionTree.from_nested(((0, 1), 2)))
    assert cost.ops == 3 * 2 * 4 * 6 + 3 * 4 * 6 * 5


def test_to_network_symbolic() -> None:
    network = TensorTrain.random((3, 4, 5), 2, seed=15).to_network(symbolic=True)
    assert network.symbols == ("R", "s")


def test_tensorly_round_trip() -> None:
    tt = TensorTrain.random((3, 4, 5, 2), [2, 3, 2], seed=16)
    converted = tt.to_tensorly()
    assert np.allclose(tensorly.to_numpy(tt_to_tensor(converted)), tt.full(), atol=1e-14)
    back = TensorTrain.from_tensorly(converted)
    assert back.ranks == tt.ranks
    assert all(np.array_equal(x, y) for x, y in zip(back.cores, tt.cores))


def test_from_tensorly_decomposition() -> None:
    from tensorly.decomposition import tensor_train

    dense = low_rank_dense((4, 5, 6), 2, seed=17)
    decomposition = tensor_train(tensorly.tensor(dense), rank=[1, 2, 2, 1])
    tt = TensorTrain.from_tensorly(decomposition)
    assert np.allclose(tt.full(), dense, atol=1e-10)


def test_quimb_round_trip() -> None:
    pytest.importorskip("quimb")
    tt = TensorTrain.random((3, 4, 5), [2, 3], seed=18)
    mps = tt.to_quimb()
    assert np.allclose(mps.to_dense().reshape(tt.shape), tt.full(), atol=1e-12)
    back = TensorTrain.from_quimb(mps)
    assert np.allclose(back.full(), tt.full(), atol=1e-12)


# Bad input --------------------------------------------------------------------------------

BAD_CORES = [
    pytest.param([], "at least one core", id="empty"),
    pytest.param([np.ones((1, 3))], "must be 3-d", id="two-d"),
    pytest.param([np.ones((2, 3, 1))], "boundary ranks are 2 and 1", id="left-boundary"),
    pytest.param([np.ones((1, 3, 2)), np.ones((3, 3, 1))], "core 0 has right rank 2 but core 1 has left rank 3", id="bond"),
    pytest.param([np.ones((1, 0, 1))], "every size must be at least 1", id="zero-size"),
    pytest.param([np.array([[["a"]]])], "cores must hold numbers", id="strings"),
]


@pytest.mark.parametrize("cores, message", BAD_CORES)
def test_invalid_cores_rejected(cores, message) -> None:
    with pytest.raises(NetworkError, match=message):
        TensorTrain(cores)


def test_shape_mismatch_rejected() -> None:
    a = TensorTrain.random((3, 4), 2, seed=19)
    b = TensorTrain.random((3, 5), 2, seed=19)
    with pytest.raises(NetworkError, match=r"shapes \(3, 4\) and \(3, 5\)"):
        a + b
    with pytest.raises(NetworkError, match="inner product"):
        a.inner(b)


def test_invalid_ranks_rejected() -> None:
    with pytest.raises(SpecError, match="has 1 entries; a tensor train of order 3 has 2 interior ranks"):
        TensorTrain.random((3, 4, 5), [2], seed=0)
    with pytest.raises(SpecError, match="every rank must be at least 1"):
        TensorTrain.random((3, 4, 5), 0, seed=0)
    with pytest.raises(SpecError, match="invalid rtol -1"):
        TensorTrain.from_dense(np.ones((2, 2)), rtol=-1)
