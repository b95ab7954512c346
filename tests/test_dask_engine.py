"""The dask engine against np.einsum, the numpy engine and the cost model."""

from __future__ import annotations

import numpy as np
import pytest

from tncost.cost import tree_cost
from tncost.errors import MemoryBudgetError, SpecError
from tncost.execute import execute_tree, random_data
from tncost.network import TensorNetwork
from tncost.planner import plan_sketch
from tncost.runs import plan_data
from tncost.structures import tensor_train
from tncost.tree import ContractionTree

pytest.importorskip("dask.array")

from tncost.dask_engine import execute_tree_dask, local_client  # noqa: E402


def _einsum_reference(network: TensorNetwork, arrays: dict) -> np.ndarray:
    letters = {index: chr(ord("a") + k) for k, index in enumerate(network.size_dict)}
    inputs = ",".join("".join(letters[i] for i in t.indices) for t in network.tensors)
    output = "".join(letters[i] for i in network.output)
    return np.einsum(f"{inputs}->{output}", *(arrays[t.name] for t in network.tensors))


@pytest.fixture(scope="module")
def hyperedge_case() -> tuple[TensorNetwork, ContractionTree, dict]:
    """Four tensors; r is a hyperedge on three of them and stays open."""
    network = TensorNetwork.from_inputs(
        [("a", "b", "r"), ("b", "c", "r"), ("c", "d"), ("d", "e", "r")],
        ("a", "e", "r"),
        {"a": 5, "b": 6, "c": 7, "d": 3, "e": 4, "r": 2},
    )
    tree = ContractionTree.from_nested(((0, 1), (2, 3)))
    return network, tree, random_data(network, seed=3)


def test_matches_einsum_and_numpy(hyperedge_case) -> None:
    network, tree, arrays = hyperedge_case
    run = execute_tree_dask(network, tree, arrays)
    reference = _einsum_reference(network, arrays)
    assert run.result_indices == tuple(network.output)
    assert np.allclose(run.result, reference, rtol=1e-12, atol=1e-12)
    assert np.allclose(run.result, execute_tree(network, tree, arrays).result, rtol=1e-12, atol=1e-12)


def test_ops_match_cost_model(hyperedge_case) -> None:
    network, tree, arrays = hyperedge_case
    run = execute_tree_dask(network, tree, arrays)
    assert run.executed_ops == tree_cost(network, tree).ops
    assert run.executed_ops == execute_tree(network, tree, arrays).executed_ops


def test_small_chunks_same_result(hyperedge_case) -> None:
    network, tree, arrays = hyperedge_case
    run = execute_tree_dask(network, tree, arrays, chunk_bytes=64)
    assert np.allclose(run.result, _einsum_reference(network, arrays), rtol=1e-12, atol=1e-12)


def test_ms22_plan_on_local_cluster() -> None:
    """An MS22 sketch of a tensor train, executed on a loopback LocalCluster: ops equal the prediction."""
    plan = plan_sketch(tensor_train(4), sizes={"s": 40, "R": 3}, m=8, families=["ms22"])
    family = plan.family("ms22")
    joint = family.numeric_joint()
    rng = np.random.default_rng(1)
    sizes = joint.size_dict
    arrays = {t.name: rng.standard_normal([int(sizes[i]) for i in t.indices]) for t in joint.tensors}
    arrays.update(plan_data(plan, seed=0))
    client = local_client(workers=1, threads_per_worker=2)
    try:
        run = execute_tree_dask(joint, family.tree, arrays, client=client)
    finally:
        client.close()
    numpy_run = execute_tree(joint, family.tree, arrays)
    assert run.executed_ops == family.cost_at_point
    assert np.allclose(run.result, numpy_run.result, rtol=1e-10, atol=1e-10)


def test_invalid_chunk_bytes(hyperedge_case) -> None:
    network, tree, arrays = hyperedge_case
    with pytest.raises(SpecError, match="chunk_bytes=0"):
        execute_tree_dask(network, tree, arrays, chunk_bytes=0)


def test_memory_budget_checked_first(hyperedge_case) -> None:
    network, tree, arrays = hyperedge_case
    with pytest.raises(MemoryBudgetError):
        execute_tree_dask(network, tree, arrays, budget_bytes=8)


def test_worker_processes_on_loopback(hyperedge_case) -> None:
    """Two worker processes of a LocalCluster listening on 127.0.0.1 give the einsum result."""
    network, tree, arrays = hyperedge_case
    client = local_client(workers=2, threads_per_worker=1, processes=True)
    try:
        addresses = list(client.scheduler_info()["workers"])
        run = execute_tree_dask(network, tree, arrays, client=client, chunk_bytes=64)
    finally:
        client.close()
    assert len(addresses) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses)
    assert np.allclose(run.result, _einsum_reference(network, arrays), rtol=1e-12, atol=1e-12)


def test_run_plan_engines_agree() -> None:
    """The same seed gives the same ops and distortion ratios with either engine."""
    from tncost.runs import run_plan

    plan = plan_sketch(tensor_train(3), sizes={"s": 30, "R": 3}, m=6, families=["tt", "ms22"])
    numpy_report = run_plan(plan, trials=3, seed=5)
    dask_report = run_plan(plan, trials=3, seed=5, engine="dask")
    assert dask_report["engine"] == "dask"
    for numpy_run, dask_run in zip(numpy_report["runs"], dask_report["runs"]):
        assert dask_run["executed_ops"] == numpy_run["executed_ops"] == numpy_run["predicted_ops"]
        assert np.allclose(dask_run["distortion"]["ratios"], numpy_run["distortion"]["ratios"], rtol=1e-10)


def test_cli_run_dask_engine() -> None:
    from click.testing import CliRunner

    from tncost.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["run", "tt:N=3", "--sizes", "s=30,R=3", "--m", "6", "--family", "ms22", "--trials", "2", "--engine", "dask"])
    assert result.exit_code == 0, result.output
    assert "executed with the dask engine" in result.output
    wrong = runner.invoke(cli, ["run", "tt:N=3", "--sizes", "s=30,R=3", "--dask-workers", "2"])
    assert wrong.exit_code == 2
    assert "--dask-workers applies to --engine dask only" in wrong.output
