"""Tests of tncost.execute and tncost.random against independent oracles.

Oracles: ``np.einsum`` (and ``np.linalg.multi_dot``) for contracted values,
cotengra's ``ContractionTree.contraction_cost`` for executed ops, dense
``np.linalg.norm``, ``x.T @ x`` and QR for norms, Gram matrices and subspace
distortion, and the moments of the Gaussian distribution for scaling.
Statistical tolerances are stated with the variance they come from.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys

import cotengra as ctg
import numpy as np
import opt_einsum
import pytest

import tncost.execute as execute_module
import tncost.random as random_module
from tncost.cost import tree_cost
from tncost.errors import MemoryBudgetError, NetworkError, PathError, SizeError, SpecError
from tncost.execute import (
    MAX_GRAM_COLUMNS,
    check_memory,
    data_network,
    distortion_trials,
    embedding_sampler,
    embedding_stddevs,
    execute_tree,
    gaussian_tensors,
    gram_matrix,
    memory_budget,
    random_data,
    squared_norm,
    whitening,
)
from tncost.network import Tensor, TensorNetwork
from tncost.random import resolve_seed, seed_sequence, spawn_seeds
from tncost.tree import ContractionTree

# Helpers ------------------------------------------------------------------------


def network_from_equation(equation: str, sizes: dict[str, int]) -> TensorNetwork:
    """Build a network from a single-letter einsum equation."""
    lhs, rhs = equation.split("->")
    inputs = [tuple(term) for term in lhs.split(",")]
    used = {i for term in inputs for i in term}
    return TensorNetwork.from_inputs(inputs, tuple(rhs), {i: s for i, s in sizes.items() if i in used})


def einsum_oracle(network: TensorNetwork, arrays: dict[str, np.ndarray], positions=None) -> np.ndarray:
    """np.einsum of the tensors at ``positions`` with the network's output (all tensors)."""
    positions = range(len(network.tensors)) if positions is None else positions
    letters = {}
    for index in network.indices:
        letters[index] = opt_einsum.get_symbol(len(letters))
    terms = [
        "".join(letters[i] for i in network.tensors[p].indices) for p in positions
    ]
    output = "".join(letters[i] for i in network.output)
    operands = [arrays[network.tensors[p].name] for p in positions]
    return np.einsum(",".join(terms) + "->" + output, *operands, optimize=False)


def cotengra_cost(network: TensorNetwork, tree: ContractionTree) -> int:
    """cotengra's contraction_cost for the same path, leaves in tree.leaves order."""
    inputs = [network.tensors[p].indices for p in tree.leaves]
    sizes = {i: int(s) for i, s in network.size_dict.items()}
    cotree = ctg.ContractionTree.from_path(inputs, tuple(network.output), sizes, path=tree.path())
    return int(cotree.contraction_cost())


def random_path(count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    path = []
    while count > 1:
        i, j = sorted(rng.choice(count, size=2, replace=False).tolist())
        path.append((i, j))
        count -= 1
    return path


def random_network(rng: np.random.Generator) -> TensorNetwork:
    """A small random network: hyperedges, outer products and open hyperedges all occur."""
    letters = "abcdefgh"
    count = int(rng.integers(2, 6))
    inputs = []
    for _ in range(count):
        k = int(rng.integers(1, 4))
        inputs.append(tuple(rng.choice(list(letters), size=k, replace=False).tolist()))
    used = list(dict.fromkeys(i for term in inputs for i in term))
    output = tuple(i for i in used if rng.random() < 0.4)
    sizes = {i: int(rng.integers(1, 4)) for i in used}
    return TensorNetwork.from_inputs(inputs, output, sizes)


def joint(data: list[tuple[str, tuple[str, ...]]], embedding: list[tuple[str, tuple[str, ...]]], sizes, output):
    tensors = tuple(Tensor(n, ix) for n, ix in data) + tuple(Tensor(n, ix, "embedding") for n, ix in embedding)
    return TensorNetwork(tensors, sizes, tuple(output))


# execute_tree -------------------------------------------------------------------

CASES = {
    "matrix-chain": ("ab,bc,cd->ad", {"a": 2, "b": 3, "c": 4, "d": 5}),
    "summed-hyperedge": ("ab,bc,bd->acd", {"a": 2, "b": 3, "c": 2, "d": 3}),
    "open-hyperedge-khatri-rao": ("ir,jr,kr->ijkr", {"i": 2, "j": 3, "k": 2, "r": 4}),
    "disconnected-kronecker": ("a,b,c->abc", {"a": 2, "b": 3, "c": 4}),
    "disconnected-with-sums": ("ab,b,cd,d->ac", {"a": 2, "b": 3, "c": 4, "d": 2}),
    "scalar-output": ("ab,bc,ca->", {"a": 2, "b": 3, "c": 4}),
    "dangling-summed-index": ("abx,bc->ac", {"a": 2, "b": 3, "c": 2, "x": 5}),
    "output-reordered": ("ab,bc->ca", {"a": 2, "b": 3, "c": 4}),
    "batch-index": ("abz,bcz->acz", {"a": 2, "b": 3, "c": 2, "z": 3}),
    "size-one-index": ("ab,bc->ac", {"a": 1, "b": 3, "c": 1}),
    "tensor-train-4": ("ai,ibj,jck,kd->abcd", {"a": 2, "b": 2, "c": 2, "d": 2, "i": 3, "j": 3, "k": 3}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_execute_tree_table_cases(name: str) -> None:
    equation, sizes = CASES[name]
    network = network_from_equation(equation, sizes)
    arrays = random_data(network, seed=11)
    expected = einsum_oracle(network, arrays)
    rng = np.random.default_rng(5)
    paths = [random_path(len(network.tensors), rng) for _ in range(4)]
    paths.append(opt_einsum.contract_path(equation, *arrays.values(), optimize="greedy")[0])
    for path in paths:
        tree = ContractionTree.from_path(path, len(network.tensors))
        run = execute_tree(network, tree, arrays)
        assert run.result_indices == network.output
        np.testing.assert_allclose(run.result, expected, rtol=1e-12, atol=1e-12)
        assert isinstance(run.executed_ops, int)
        assert run.executed_ops == cotengra_cost(network, tree)
        assert run.executed_ops == tree_cost(network, tree).ops


def test_execute_tree_random_networks() -> None:
    rng = np.random.default_rng(2024)
    for case in range(60):
        network = random_network(rng)
        arrays = random_data(network, seed=case)
        expected = einsum_oracle(network, arrays)
        tree = ContractionTree.from_path(random_path(len(network.tensors), rng), len(network.tensors))
        run = execute_tree(network, tree, arrays)
        np.testing.assert_allclose(run.result, expected, rtol=1e-11, atol=1e-11, err_msg=repr(network))
        assert run.executed_ops == cotengra_cost(network, tree), repr(network)


def test_execute_tree_step_records() -> None:
    network = network_from_equation("ab,bc,cd->ad", {"a": 2, "b": 3, "c": 4, "d": 5})
    tree = ContractionTree.from_path([(1, 2), (0, 1)], 3)
    run = execute_tree(network, tree, random_data(network, seed=0))
    first, second = run.steps
    assert first.shapes == ((3, 4), (4, 5))
    assert first.result_indices == ("b", "d")
    assert first.ops == 60
    assert second.shapes == ((2, 3), (3, 5))
    assert second.result_shape == (2, 5)
    assert second.ops == 30
    assert run.executed_ops == 90
    assert run.seconds == pytest.approx(first.seconds + second.seconds)
    assert all(step.seconds >= 0 for step in run.steps)


def test_execute_tree_many_indices() -> None:
    # The chain has 61 indices, more than np.einsum's 52 letters, but each step has three.
    count = 60
    inputs = [(f"i{k}", f"i{k + 1}") for k in range(count)]
    network = TensorNetwork.from_inputs(inputs, ("i0", f"i{count}"), {f"i{k}": 2 for k in range(count + 1)})
    arrays = random_data(network, seed=3)
    nested = 0
    for k in range(1, count):
        nested = (nested, k)
    tree = ContractionTree.from_nested(nested)
    run = execute_tree(network, tree, arrays)
    expected = np.linalg.multi_dot([arrays[f"T{k}"] for k in range(count)])
    np.testing.assert_allclose(run.result, expected, rtol=1e-10)
    assert run.executed_ops == cotengra_cost(network, tree) == 8 * (count - 1)


def test_execute_tree_subset_tree() -> None:
    network = joint(
        [("x", ("a", "r")), ("y", ("r", "b"))], [("S", ("k", "a", "b"))], {"a": 3, "b": 4, "r": 2, "k": 5}, ("k",)
    )
    arrays = {**random_data(network, seed=1), **embedding_sampler(network, 1.0)(2)}
    data_tree = ContractionTree.from_path([(0, 1)], [0, 1])
    run = execute_tree(network, data_tree, arrays)
    assert run.result_indices == ("a", "b")
    np.testing.assert_allclose(run.result, arrays["x"] @ arrays["y"], rtol=1e-12)
    assert run.executed_ops == 24


def test_execute_tree_single_tensor() -> None:
    network = network_from_equation("abc->ca", {"a": 2, "b": 3, "c": 4})
    arrays = random_data(network, seed=0)
    run = execute_tree(network, ContractionTree.from_nested(0), arrays)
    assert run.steps == ()
    assert run.executed_ops == 0
    assert run.result_indices == ("c", "a")
    np.testing.assert_allclose(run.result, arrays["T0"].sum(axis=1).T, rtol=1e-12)


def test_execute_tree_rejects_bad_input() -> None:
    network = TensorNetwork.from_inputs([("a", "b"), ("b",)], ("a",), {"a": "s", "b": 3})
    with pytest.raises(SizeError, match="symbolic sizes .*at_sizes"):
        execute_tree(network, ContractionTree.from_path([(0, 1)], 2), {})
    numeric = network.at_sizes({"s": 2})
    tree = ContractionTree.from_path([(0, 1)], 2)
    with pytest.raises(SizeError, match=r"T0.*shape \(3, 3\).*sizes \(2, 3\)"):
        execute_tree(numeric, tree, {"T0": np.zeros((3, 3)), "T1": np.zeros(3)})
    with pytest.raises(NetworkError, match="no array for tensor 'T1'"):
        execute_tree(numeric, tree, {"T0": np.zeros((2, 3))})
    with pytest.raises(NetworkError, match="unknown tensor 'T9'"):
        execute_tree(numeric, tree, {"T0": np.zeros((2, 3)), "T1": np.zeros(3), "T9": np.zeros(1)})
    with pytest.raises(PathError, match="tree leaf 2 is not a tensor position"):
        execute_tree(numeric, ContractionTree.from_path([(0, 1)], [0, 2]), {})


# Memory -------------------------------------------------------------------------


def test_check_memory_over_budget() -> None:
    with pytest.raises(MemoryBudgetError, match=r"needs 8000 bytes.*only 100 bytes are available.*budget_bytes"):
        check_memory(1000, budget_bytes=100)
    assert check_memory(1000, np.float32, budget_bytes=4000) == 4000
    # Exact ints: a live peak far beyond any machine fails cleanly, without overflow.
    with pytest.raises(MemoryBudgetError, match=r"needs 8{1}0{30} bytes.*half of the \d+ bytes of available memory"):
        check_memory(10**30)


@pytest.mark.parametrize(
    ("entries", "budget", "error", "match"),
    [
        ("s*R", None, SizeError, "not a number"),
        (-1, None, SizeError, "non-negative integer"),
        (10, 0, SpecError, "budget_bytes 0"),
        (10, 2.5, SpecError, "budget_bytes 2.5"),
    ],
    ids=["symbolic", "negative", "zero-budget", "float-budget"],
)
def test_check_memory_bad_input(entries, budget, error, match) -> None:
    with pytest.raises(error, match=match):
        check_memory(entries, budget_bytes=budget)


def test_memory_budget_default(monkeypatch) -> None:
    assert memory_budget() == execute_module.available_memory() // 2

    def no_meminfo(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr("builtins.open", no_meminfo)
    assert execute_module.available_memory() > 0  # the sysconf fallback


def test_memory_check_before_allocation(monkeypatch) -> None:
    network = joint([("x", ("a",))], [("S", ("k", "a"))], {"a": 10, "k": 4}, ("k",))
    tree = ContractionTree.from_path([(0, 1)], 2)
    data = random_data(network, seed=0)

    def no_contraction(*args, **kwargs):
        raise AssertionError("contracted although the plan is over budget")

    monkeypatch.setattr(execute_module.opt_einsum, "contract", no_contraction)
    arrays = {**data, **embedding_sampler(network, 0.5)(0)}
    with pytest.raises(MemoryBudgetError, match=r"needs 432 bytes.*only 64 bytes are available"):
        execute_tree(network, tree, arrays, budget_bytes=64)

    draws = []

    def draw(seed):
        draws.append(seed)
        return {}

    with pytest.raises(MemoryBudgetError, match="needs 432 bytes"):
        distortion_trials(network, tree, data, draw, trials=3, seed=0, budget_bytes=64)
    assert draws == []


# Seeds and Gaussian draws -------------------------------------------------------

DRAW_NETWORK = TensorNetwork(
    (Tensor("x", ("a", "b")), Tensor("G0", ("k", "a"), "embedding"), Tensor("G1", ("l", "k", "b"), "embedding")),
    {"a": 5, "b": 6, "k": 4, "l": 3},
    ("l",),
)

SUBPROCESS_DRAW = """
import hashlib
from tncost.execute import gaussian_tensors
from tncost.network import Tensor, TensorNetwork
net = TensorNetwork(
    (Tensor("x", ("a", "b")), Tensor("G0", ("k", "a"), "embedding"), Tensor("G1", ("l", "k", "b"), "embedding")),
    {"a": 5, "b": 6, "k": 4, "l": 3},
    ("l",),
)
arrays = gaussian_tensors(net, [1, 2], {"G0": 0.5, "G1": 0.25}, seed=123)
print(hashlib.sha256(b"".join(arrays[k].tobytes() for k in sorted(arrays))).hexdigest())
"""


def checksum(arrays: dict[str, np.ndarray]) -> str:
    return hashlib.sha256(b"".join(arrays[k].tobytes() for k in sorted(arrays))).hexdigest()


def test_gaussian_tensors_same_seed_subprocess() -> None:
    stddevs = {"G0": 0.5, "G1": 0.25}
    arrays = gaussian_tensors(DRAW_NETWORK, [1, 2], stddevs, seed=123)
    assert arrays["G0"].shape == (4, 5)
    assert arrays["G1"].shape == (3, 4, 6)
    assert checksum(arrays) == checksum(gaussian_tensors(DRAW_NETWORK, [1, 2], stddevs, seed=123))
    command = [sys.executable, "-c", SUBPROCESS_DRAW]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == checksum(arrays)


def test_gaussian_tensors_different_seeds() -> None:
    first = gaussian_tensors(DRAW_NETWORK, [1, 2], 1.0, seed=1)
    second = gaussian_tensors(DRAW_NETWORK, [1, 2], 1.0, seed=2)
    assert not np.array_equal(first["G0"], second["G0"])
    assert not np.array_equal(first["G1"], second["G1"])
    # Tensor k's values depend on the seed and k only: resizing the other tensor changes nothing.
    other = DRAW_NETWORK.replace(size_dict={"a": 5, "b": 6, "k": 4, "l": 7})
    again = gaussian_tensors(other, [1, 2], 1.0, seed=1)
    assert np.array_equal(first["G0"], again["G0"])


def test_seed_generator_and_sequence() -> None:
    generator = np.random.default_rng(9)
    assert resolve_seed(generator) is generator
    sequence = np.random.SeedSequence(4)
    assert seed_sequence(sequence) is sequence
    a = gaussian_tensors(DRAW_NETWORK, [1], 1.0, seed=np.random.default_rng(9))
    b = gaussian_tensors(DRAW_NETWORK, [1], 1.0, seed=np.random.default_rng(9))
    assert np.array_equal(a["G0"], b["G0"])
    assert [c.spawn_key for c in spawn_seeds(4, 3)] == [(0,), (1,), (2,)]


@pytest.mark.parametrize("seed", [True, -1, "7", 1.5], ids=["bool", "negative", "string", "float"])
def test_invalid_seeds(seed) -> None:
    with pytest.raises(SpecError, match="invalid seed"):
        resolve_seed(seed)


def test_gaussian_tensors_variance() -> None:
    # With n = 204800 entries of variance v, the sample variance has relative
    # standard deviation sqrt(2 / n) = 0.0031, and the sample mean has standard
    # deviation sqrt(v / n). Six standard deviations make a false failure negligible.
    rows = 16
    sizes = {"k": rows, "a": 128, "b": 100}
    network = TensorNetwork((Tensor("G", ("k", "a", "b"), "embedding"),), sizes, ("k", "a", "b"))
    stddevs = embedding_stddevs({"G": rows})
    array = gaussian_tensors(network, [0], stddevs, seed=0)["G"]
    n = array.size
    variance = 1 / rows
    assert abs(array.var() / variance - 1) < 6 * math.sqrt(2 / n)
    assert abs(array.mean()) < 6 * math.sqrt(variance / n)


def test_gaussian_tensors_bad_input() -> None:
    draws = gaussian_tensors(DRAW_NETWORK, [1], 1.0, seed=0, dtype="float32")
    assert draws["G0"].dtype == np.float32
    with pytest.raises(SpecError, match="unsupported dtype int64"):
        gaussian_tensors(DRAW_NETWORK, [1], 1.0, dtype=np.int64)
    with pytest.raises(SpecError, match="no standard deviation for tensor 'G1'"):
        gaussian_tensors(DRAW_NETWORK, [1, 2], {"G0": 1.0})
    with pytest.raises(SpecError, match="standard deviation of G0 -1"):
        gaussian_tensors(DRAW_NETWORK, [1], {"G0": -1})
    with pytest.raises(PathError, match="position 7 is out of range"):
        gaussian_tensors(DRAW_NETWORK, [7], 1.0)


def test_random_data_data_tensors() -> None:
    arrays = random_data(DRAW_NETWORK, seed=0)
    assert list(arrays) == ["x"]
    assert arrays["x"].shape == (5, 6)


def test_embedding_stddevs() -> None:
    assert embedding_stddevs({"A": 4, "B": 25}) == {"A": 0.5, "B": 0.2}
    khatri_rao = embedding_stddevs({"A": 16, "B": 16, "C": 16}, "khatri-rao")
    assert math.prod(khatri_rao.values()) == pytest.approx(16**-0.5, rel=1e-14)
    assert embedding_stddevs({"A": 3, "B": 5}, "khatri-rao", m=9)["A"] == pytest.approx(9**-0.25)
    with pytest.raises(SpecError, match="different row sizes"):
        embedding_stddevs({"A": 3, "B": 5}, "khatri-rao")
    with pytest.raises(SpecError, match="unknown scaling 'cols'"):
        embedding_stddevs({"A": 3}, "cols")
    with pytest.raises(SizeError, match="tensor A: invalid row size 0"):
        embedding_stddevs({"A": 0})


# Norms and Gram matrices --------------------------------------------------------


NORM_CASES = [
    "matrix-chain",
    "summed-hyperedge",
    "open-hyperedge-khatri-rao",
    "disconnected-kronecker",
    "tensor-train-4",
]


@pytest.mark.parametrize("name", NORM_CASES)
def test_squared_norm_dense_oracle(name: str) -> None:
    equation, sizes = CASES[name]
    network = network_from_equation(equation, sizes)
    arrays = random_data(network, seed=4)
    dense = einsum_oracle(network, arrays)
    assert squared_norm(network, arrays) == pytest.approx(np.linalg.norm(dense) ** 2, rel=1e-12)


def test_gram_matrix_dense_oracle() -> None:
    network = TensorNetwork.from_inputs(
        [("a", "r"), ("r", "b", "c"), ("c", "d")],
        ("a", "b", "d"),
        {"a": 3, "b": 4, "c": 2, "d": 5, "r": 3},
        sketched=("a", "b"),
    )
    arrays = random_data(network, seed=8)
    dense = einsum_oracle(network, arrays).reshape(12, 5)
    gram, kept = gram_matrix(network, arrays)
    assert kept == ("d",)
    np.testing.assert_allclose(gram, dense.T @ dense, rtol=1e-12)
    with pytest.raises(NetworkError, match=r"\(d\) give 5 columns, more than the 4"):
        gram_matrix(network, arrays, max_columns=4)
    with pytest.raises(NetworkError, match="no sketched indices"):
        gram_matrix(network.with_sketch(()), arrays)
    assert MAX_GRAM_COLUMNS == 2048


def test_gram_matrix_complex_data() -> None:
    network = TensorNetwork.from_inputs([("a", "c")], ("a", "c"), {"a": 4, "c": 3}, sketched=("a",))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    gram, _ = gram_matrix(network, {"T0": x})
    np.testing.assert_allclose(gram, x.conj().T @ x, rtol=1e-12)
    assert squared_norm(network, {"T0": x}) == pytest.approx(np.linalg.norm(x) ** 2, rel=1e-12)


def test_whitening_zero_data() -> None:
    with pytest.raises(NetworkError, match="evaluates to zero"):
        whitening(np.zeros((2, 2)))


def test_data_network_from_joint() -> None:
    sizes = {"a": 3, "b": 4, "c": 2, "r": 2, "k": 5}
    network = joint([("x", ("a", "r")), ("y", ("r", "b", "c"))], [("S", ("k", "a", "b"))], sizes, ("k", "c"))
    x = data_network(network)
    assert [t.name for t in x.tensors] == ["x", "y"]
    assert x.sketched == ("a", "b")
    assert x.kept == ("c",)
    assert x.output == ("a", "b", "c")
    plain = TensorNetwork.from_inputs([("a",)], ("a",), {"a": 2})
    with pytest.raises(NetworkError, match="no embedding tensors"):
        data_network(plain)
    clash = joint([("x", ("a",))], [("S", ("k", "a"))], {"a": 3, "k": 2}, ("k", "a"))
    with pytest.raises(NetworkError, match="index 'a' sits on data and embedding tensors and is open"):
        data_network(clash)


# Distortion trials --------------------------------------------------------------


def dense_sketch_setup(m: int, n: int):
    network = joint([("x", ("a",))], [("S", ("k", "a"))], {"a": n, "k": m}, ("k",))
    tree = ContractionTree.from_path([(0, 1)], 2)
    data = random_data(network, seed=0)
    draw = embedding_sampler(network, embedding_stddevs({"S": m}))
    return network, tree, data, draw


def test_dense_gaussian_scaling() -> None:
    # For S with N(0, 1/m) entries, m·‖Sx‖²/‖x‖² is chi-square with m degrees
    # of freedom: the ratio has mean 1 and variance 2/m. Over T trials the mean
    # ratio has standard deviation sqrt(2 / (m T)). Allow five of them.
    m, trials = 16, 400
    network, tree, data, draw = dense_sketch_setup(m, 30)
    stats = distortion_trials(network, tree, data, draw, trials, seed=7, eps=0.5)
    assert stats.trials == trials
    assert len(stats.ratios) == trials
    assert abs(stats.mean - 1) < 5 * math.sqrt(2 / (m * trials))
    # The sample variance of chi-square/m ratios has relative standard deviation
    # about sqrt((2 + 12/m) / T) = 0.083 here. Allow five of them.
    assert abs(stats.std**2 / (2 / m) - 1) < 5 * math.sqrt((2 + 12 / m) / trials)
    assert stats.min == min(stats.ratios)
    assert stats.max == max(stats.ratios)
    outside = sum(abs(r - 1) > 0.5 for r in stats.ratios) / trials
    assert stats.fraction_outside == outside
    assert stats.executed_ops == m * 30
    assert len(stats.seconds) == trials
    assert stats.squared_norm == pytest.approx(float(data["x"] @ data["x"]))


def test_khatri_rao_scaling() -> None:
    # Two N(0, 1) factors sharing the open hyperedge k, scaled by 1/sqrt(m) in
    # total. For rank-one x the ratio has mean 1 and variance (3**2 - 1)/m.
    m, trials = 16, 400
    network = joint(
        [("u", ("a",)), ("v", ("b",))], [("A", ("k", "a")), ("B", ("k", "b"))], {"a": 6, "b": 5, "k": m}, ("k",)
    )
    tree = ContractionTree.from_nested(((0, 2), (1, 3)))
    stddevs = embedding_stddevs({"A": m, "B": m}, "khatri-rao")
    data, draw = random_data(network, seed=1), embedding_sampler(network, stddevs)
    stats = distortion_trials(network, tree, data, draw, trials, seed=3)
    assert abs(stats.mean - 1) < 5 * math.sqrt(8 / (m * trials))


def test_distortion_trials_reproducible() -> None:
    network, tree, data, draw = dense_sketch_setup(8, 12)
    first = distortion_trials(network, tree, data, draw, 5, seed=42)
    again = distortion_trials(network, tree, data, draw, 5, seed=42)
    other = distortion_trials(network, tree, data, draw, 5, seed=43)
    assert first.ratios == again.ratios
    assert first.ratios != other.ratios
    # Trial k uses the k-th child seed, so it can be rerun alone.
    child = spawn_seeds(42, 5)[3]
    sketch = draw(child)["S"]
    assert first.ratios[3] == pytest.approx(float(np.sum((sketch @ data["x"]) ** 2)) / first.squared_norm, rel=1e-12)


def test_distortion_trials_bad_input() -> None:
    network, tree, data, draw = dense_sketch_setup(4, 6)
    with pytest.raises(SpecError, match="number of trials 0"):
        distortion_trials(network, tree, data, draw, 0)
    with pytest.raises(SpecError, match="eps -0.1"):
        distortion_trials(network, tree, data, draw, 2, eps=-0.1)
    with pytest.raises(PathError, match="covers positions \\[0\\]"):
        distortion_trials(network, ContractionTree.from_nested(0), data, draw, 2)
    with pytest.raises(NetworkError, match="evaluates to zero"):
        distortion_trials(network, tree, {"x": np.zeros(6)}, draw, 2)


def subspace_setup():
    """x(a, b, c) = sum_r x1(a, r) x2(r, b, c): rows (a, b), kept column c."""
    return [("x1", ("a", "r")), ("x2", ("r", "b", "c"))], {"a": 3, "b": 4, "c": 3, "r": 2}


def test_subspace_orthogonal_sketch() -> None:
    data_tensors, sizes = subspace_setup()
    network = joint(data_tensors, [("S", ("k", "a", "b"))], {**sizes, "k": 12}, ("k", "c"))
    orthogonal, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((12, 12)))
    tree = ContractionTree.from_nested(((0, 1), 2))
    data = random_data(network, seed=5)
    fixed = {"S": orthogonal.reshape(12, 3, 4)}
    stats = distortion_trials(network, tree, data, lambda seed: fixed, 3, seed=0, subspace=True)
    np.testing.assert_allclose(stats.ratios, 1, rtol=1e-12)
    assert stats.subspace is not None
    assert stats.subspace.rank == 3
    assert stats.subspace.columns == 3
    np.testing.assert_allclose(stats.subspace.sigma_min, 1, rtol=1e-8)
    np.testing.assert_allclose(stats.subspace.sigma_max, 1, rtol=1e-8)
    assert stats.subspace.fraction_outside == 0


@pytest.mark.parametrize("output", [("k", "c"), ("c", "k")], ids=["rows-first", "columns-first"])
def test_subspace_dense_qr_oracle(output) -> None:
    data_tensors, sizes = subspace_setup()
    m, trials = 8, 4
    network = joint(data_tensors, [("S", ("k", "a", "b"))], {**sizes, "k": m}, output)
    tree = ContractionTree.from_nested((2, (0, 1)))
    data = random_data(network, seed=6)
    draw = embedding_sampler(network, embedding_stddevs({"S": m}))
    stats = distortion_trials(network, tree, data, draw, trials, seed=11, subspace=True)

    dense = np.einsum("ar,rbc->abc", data["x1"], data["x2"]).reshape(12, 3)
    basis, _ = np.linalg.qr(dense)
    for k, child in enumerate(spawn_seeds(11, trials)):
        sketch = draw(child)["S"].reshape(m, 12)
        values = np.linalg.svd(sketch @ basis, compute_uv=False)
        assert stats.subspace.sigma_min[k] == pytest.approx(values.min(), rel=1e-8)
        assert stats.subspace.sigma_max[k] == pytest.approx(values.max(), rel=1e-8)
        ratio = np.linalg.norm(sketch @ dense) ** 2 / np.linalg.norm(dense) ** 2
        assert stats.ratios[k] == pytest.approx(ratio, rel=1e-12)
    assert stats.subspace.sigma_min_squared[0] == pytest.approx(stats.subspace.sigma_min[0] ** 2)


def test_subspace_without_kept_indices() -> None:
    network, tree, data, draw = dense_sketch_setup(8, 12)
    stats = distortion_trials(network, tree, data, draw, 4, seed=1, subspace=True)
    assert stats.subspace.rank == 1
    np.testing.assert_allclose(stats.subspace.sigma_min_squared, stats.ratios, rtol=1e-10)
    np.testing.assert_allclose(stats.subspace.sigma_max_squared, stats.ratios, rtol=1e-10)


def test_subspace_rank_deficient_and_short() -> None:
    # x(a, c) = u(a) v(c) has rank 1 although it has 4 columns.
    network = joint([("u", ("a",)), ("v", ("c",))], [("S", ("k", "a"))], {"a": 6, "c": 4, "k": 5}, ("k", "c"))
    tree = ContractionTree.from_nested(((0, 2), 1))
    data = random_data(network, seed=2)
    draw = embedding_sampler(network, embedding_stddevs({"S": 5}))
    stats = distortion_trials(network, tree, data, draw, 3, seed=0, subspace=True)
    assert stats.subspace.rank == 1
    assert stats.subspace.columns == 4
    np.testing.assert_allclose(stats.subspace.sigma_max_squared, stats.ratios, rtol=1e-8)

    # Two sketch rows cannot embed a rank-3 column space: sigma_min is 0.
    data_tensors, sizes = subspace_setup()
    short = joint(data_tensors, [("S", ("k", "a", "b"))], {**sizes, "k": 2}, ("k", "c"))
    short_tree = ContractionTree.from_nested(((0, 1), 2))
    short_data, short_draw = random_data(short, seed=0), embedding_sampler(short, 0.5)
    stats = distortion_trials(short, short_tree, short_data, short_draw, 2, seed=0, subspace=True)
    assert stats.subspace.rank == 3
    assert stats.subspace.sigma_min == (0.0, 0.0)
    assert stats.subspace.fraction_outside == 1


# Module surface -----------------------------------------------------------------


@pytest.mark.parametrize("module", [execute_module, random_module], ids=["execute", "random"])
def test_exported_names_documented(module) -> None:
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value) and not name.isupper() and name not in ("Seed", "EmbeddingSampler"):
            assert value.__doc__, name
