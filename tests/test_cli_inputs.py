"""Inputs a first-time user fed to the commands: each gets one clear line and the right status."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import tncost.execute as execute
from tncost.apps.cp_als import cp_als, predict_costs
from tncost.apps.data import low_rank_plus_noise
from tncost.apps.sketches import GaussianSketch
from tncost.apps.tt import TensorTrain
from tncost.apps.cli_tt import save_tt
from tncost.cli import cli
from tncost.errors import MemoryBudgetError


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _one_error_line(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert text in lines[0]


@pytest.fixture
def tensor_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, low_rank_plus_noise((12, 13, 14), 2, 0.0, seed=0))
    return path


@pytest.mark.parametrize(
    "command",
    [["cp-als", "{file}", "--rank", "3"], ["tucker", "{file}", "--ranks", "2,2,2"]],
    ids=["cp-als", "tucker"],
)
def test_empty_npy_file(tmp_path, command):
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    _one_error_line(_invoke(*[str(empty) if part == "{file}" else part for part in command]), "is empty")


def test_empty_npz_file(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    _one_error_line(_invoke("tt-round", empty, "--rank", "2"), "is empty")


def test_tucker_nan_tensor(tmp_path):
    path = tmp_path / "nan.npy"
    np.save(path, np.full((5, 5, 5), np.nan))
    _one_error_line(_invoke("tucker", path, "--ranks", "2,2,2"), "NaN or infinite")


def test_complex_tensor_rejected(tmp_path):
    path = tmp_path / "complex.npy"
    np.save(path, np.ones((4, 4, 4)) * 1j)
    _one_error_line(_invoke("cp-als", path, "--rank", "3"), "complex array")


def test_sketch_size_below_rank(tensor_file):
    _one_error_line(_invoke("cp-als", tensor_file, "--rank", "5", "--m", "1", "--family", "tt"), "needs m >= 5")


@pytest.mark.parametrize("command", [["cp-als", "--rank", "2"], ["tucker", "--ranks", "2,2,2"]], ids=["cp-als", "tucker"])
def test_sketch_size_without_sketch(tensor_file, command):
    result = _invoke(command[0], tensor_file, *command[1:], "--family", "none", "--m", "10")
    _one_error_line(result, "drop --m")


@pytest.mark.parametrize("solver", ["qr", "normal"])
def test_exact_als_predicted_equals_measured(solver):
    tensor = low_rank_plus_noise((12, 13, 14), 2, 0.01, seed=1)
    result = cp_als(tensor, 2, family="none", solver=solver, max_sweeps=2, seed=0)
    predicted = predict_costs(tensor.shape, 2, families=["none"], solver=solver)[0]["sweep_ops"]
    assert result.history[-1]["ops"] == predicted
    # Independent count: with QR each mode multiplies X_(n) by Q, |X|·R; with normal equations the
    # MTTKRP adds the cheapest second step s_a·s_b·R (12·13 for every mode).
    expected = 3 * 12 * 13 * 14 * 2 + (0 if solver == "qr" else 3 * 12 * 13 * 2)
    assert predicted == expected


def test_out_parent_missing(tmp_path):
    target = tmp_path / "missing" / "deeper" / "out"
    result = _invoke("analyze", "tt:N=3", "--out", target)
    _one_error_line(result, "does not exist")
    assert not (tmp_path / "missing").exists()


def test_size_for_stray_output_index():
    result = _invoke("analyze", "ab,bc->ad", "--sizes", "a=2,b=3,c=4,d=5")
    _one_error_line(result, "output index 'd' is on no tensor")


def test_infeasible_regime_without_sketch(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('tensors: {A: [a, b], B: [b, c]}\nsizes: {a: s, b: R, c: s}\nregime: "s <= R <= s/2"\n')
    _one_error_line(_invoke("analyze", spec), "infeasible")


def test_family_without_sketch():
    _one_error_line(_invoke("analyze", "tt:N=3", "--sketch", "none", "--family", "tt"), "nothing is sketched")


def test_tt_round_rank_capped(tmp_path):
    path = tmp_path / "cores.npz"
    save_tt(TensorTrain.random((6, 6, 6, 6), 3, seed=0), path)
    result = _invoke("tt-round", path, "--rank", "1000", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rank"] == 3
    assert "exceeds the train's largest rank 3" in data["notes"][0]
    assert max(data["results"][0]["ranks"]) <= 3


def test_closed_pipe_exits_quietly():
    command = f"{sys.executable} -m tncost analyze tt:N=8 --format json | head -n 1"
    finished = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120)
    assert finished.stdout.strip() == "{"
    assert finished.stderr == ""
    assert finished.returncode == 0


def test_gaussian_draw_checks_memory(monkeypatch):
    """A sketch whose embedding does not fit the budget is rejected before the draw allocates it."""
    monkeypatch.setattr(execute, "available_memory", lambda: 2_000)
    sketch = GaussianSketch("dense", (30, 30, 30), 0, 2, 50)
    with pytest.raises(MemoryBudgetError, match="live peak"):
        sketch.draw(0)
