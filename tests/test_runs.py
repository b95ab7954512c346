"""Tests of plan execution: executed ops, seeds, distortion and memory budget."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tncost.datasets import image_tensor_train, tt_svd
from tncost.planner import SketchPlan, plan_sketch
from tncost.runs import plan_data, run_plan
from tncost.structures import khatri_rao, parse_builtin, tensor_train


@pytest.mark.parametrize(
    "text,sizes,m",
    [
        ("tt:N=4", {"s": 16, "R": 4}, 4),
        ("khatri-rao:N=3", {"s": 16, "R": 3}, 4),
        ("kronecker:N=3", {"s": 16}, 4),
        ("tree:N=4", {"s": 8, "R": 3}, 4),
        ("peps:rows=2,cols=2", {"s": 6, "R": 2}, 4),
        ("mpo:N=3", {"s": 6, "R": 2}, 4),
        ("tucker:N=3", {"s": 12, "R": 3}, 4),
        ("cp:N=3", {"s": 12, "R": 3}, 4),
    ],
)
def test_executed_ops_equal_predicted(text: str, sizes: dict, m: int) -> None:
    plan = plan_sketch(parse_builtin(text), sizes=sizes, m=m)
    report = run_plan(plan, trials=0, seed=3)
    for entry in report["runs"]:
        assert entry["executed_ops"] == entry["predicted_ops"], entry["family"]


def test_sketch_equals_dense_reference() -> None:
    """S·x from the planned tree equals S applied as an explicit matrix to the dense x."""
    from tncost import execute
    from tncost.embeddings import embedding_network
    from tncost.io import to_opt_einsum

    plan = plan_sketch(tensor_train(3), sizes={"s": 6, "R": 2}, m=3)
    data = plan_data(plan, seed=1)
    x = np.einsum("ai,ibj,jc->abc", data["G1"], data["G2"], data["G3"]).reshape(-1)
    for family in plan.families:
        joint = family.numeric_joint()
        draws = execute.embedding_sampler(joint, 1.0)(5)
        result = execute.execute_tree(joint, family.tree, {**data, **draws})
        embedding_alone = embedding_network(family.numeric_joint_data(), family.numeric_embedding())
        inputs, _, _ = to_opt_einsum(embedding_alone)
        output = family.embedding.output + ("p1", "p2", "p3")
        arrays = [draws[t.name] for t in embedding_alone.tensors]
        matrix = np.einsum(",".join("".join(_letters(ix)) for ix in inputs) + "->" + "".join(_letters(output)), *arrays)
        matrix = matrix.reshape(family.m, -1)
        assert np.allclose(result.result.reshape(-1), matrix @ x), family.family


_LETTERS: dict[str, str] = {}


def _letters(indices) -> list[str]:
    for index in indices:
        _LETTERS.setdefault(index, chr(ord("a") + len(_LETTERS)))
    return [_LETTERS[i] for i in indices]


def test_same_seed_same_numbers_in_subprocess() -> None:
    code = (
        "import json;from tncost.planner import plan_sketch;from tncost.runs import run_plan;"
        "from tncost.structures import tensor_train;"
        "p=plan_sketch(tensor_train(3),sizes={'s':8,'R':2},m=3);"
        "r=run_plan(p,trials=4,seed=11);"
        "print(json.dumps([e['distortion'] for e in r['runs']]))"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    plan = plan_sketch(tensor_train(3), sizes={"s": 8, "R": 2}, m=3)
    here = run_plan(plan, trials=4, seed=11)
    assert json.loads(first) == [e["distortion"] for e in here["runs"]]


def test_different_seeds_differ() -> None:
    plan = plan_sketch(tensor_train(3), sizes={"s": 8, "R": 2}, m=3, families=["tt"])
    a = run_plan(plan, trials=3, seed=1)["runs"][0]["distortion"]["mean"]
    b = run_plan(plan, trials=3, seed=2)["runs"][0]["distortion"]["mean"]
    assert a != b


def test_distortion_mean_near_one() -> None:
    """E‖Sx‖² = ‖x‖²: over 200 trials the mean ratio lies within 4 standard errors of 1.

    For the dense family with m rows the ratio is a scaled chi-square with
    variance 2/m, so the standard error of the mean of 200 trials is sqrt(2/m/200).
    """
    m = 16
    plan = plan_sketch(tensor_train(3), sizes={"s": 8, "R": 2}, m=m, families=["dense"])
    stats = run_plan(plan, trials=200, seed=5)["runs"][0]["distortion"]
    assert abs(stats["mean"] - 1) < 4 * np.sqrt(2 / m / 200)


def test_subspace_distortion_with_kept_index() -> None:
    plan = plan_sketch(khatri_rao(2), sizes={"s": 16, "R": 3}, m=12, families=["tt"])
    entry = run_plan(plan, trials=5, seed=0)["runs"][0]
    subspace = entry["subspace_distortion"]
    assert subspace["columns"] == 3
    assert 0 < subspace["sigma_min"] <= subspace["sigma_max"]


def test_memory_budget_skips_family() -> None:
    plan = plan_sketch(tensor_train(3), sizes={"s": 16, "R": 4}, m=4)
    report = run_plan(plan, trials=0, seed=0, memory_budget=1000)
    for entry in report["runs"]:
        assert "skipped" in entry
        assert "bytes" in entry["skipped"]


def test_saved_plan_runs_on_new_data() -> None:
    plan = plan_sketch(tensor_train(3), sizes={"s": 16, "R": 4}, m=4)
    loaded = SketchPlan.from_json(plan.to_json())
    data = plan_data(loaded, seed=42)
    report = run_plan(loaded, data=data, trials=2, seed=0)
    for entry in report["runs"]:
        assert entry["executed_ops"] == entry["predicted_ops"]


def test_image_tensor_train_is_real_data() -> None:
    network, arrays, error = image_tensor_train(max_rank=16)
    assert [network.size_dict[p] for p in network.sketched] == [64, 64, 64]
    assert 0 < error < 0.5
    plan = plan_sketch(network, m=8, families=["tt", "tree"])
    report = run_plan(plan, data=arrays, trials=3, seed=0)
    for entry in report["runs"]:
        assert entry["executed_ops"] == entry["predicted_ops"]


def test_tt_svd_exact_at_full_rank() -> None:
    rng = np.random.default_rng(0)
    tensor = rng.standard_normal((3, 4, 5))
    cores = tt_svd(tensor, max_rank=20)
    assert np.allclose(np.einsum("aib,bjc,ckd->ijk", *cores), tensor)
