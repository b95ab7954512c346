"""The cp-als and tucker commands: output, JSON history, prediction and one-line errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tncost.apps.data import low_rank_plus_noise, tucker_plus_noise
from tncost.cli import cli


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def cp_file(tmp_path):
    path = tmp_path / "cp.npy"
    np.save(path, low_rank_plus_noise((12, 13, 14), 2, 0.0, seed=0))
    return path


def test_cp_als_text(cp_file):
    result = _invoke("cp-als", cp_file, "--rank", 2, "--family", "ms22", "--m", 20, "--sweeps", 30, "--init", "svd")
    assert result.exit_code == 0, result.output
    assert "family ms22, mode reuse, m 20" in result.output
    fit = float(result.output.split("fit ")[1].split()[0])
    assert fit > 0.9999


def test_cp_als_json_history(cp_file):
    result = _invoke("cp-als", cp_file, "--rank", 2, "--family", "tt", "--m", 10, "--sweeps", 3, "--tol", 0, "--mode", "redraw", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "redraw"
    assert data["family"] == "tt"
    assert [entry["sweep"] for entry in data["history"]] == [1, 2, 3]
    assert all(entry["ops"] == entry["predicted_ops"] for entry in data["history"])


def test_cp_als_predict_only(cp_file):
    result = _invoke("cp-als", cp_file, "--rank", 2, "--m", 8, "--predict-only", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    families = [row["family"] for row in data["predicted"]]
    assert families == ["none", "ms22", "tt", "tree", "khatri-rao", "dense", "tensorsketch", "leverage"]
    # Exact ALS with the default QR solver: per mode Qᵀ·X_(n)ᵀ, counted as |X|·R.
    none = data["predicted"][0]["sweep_ops"]
    assert none == 3 * (12 * 13 * 14 * 2)
    # With normal equations, per mode X meets a factor (|X|·R), and the cheapest second step
    # is one of s_a·s_b·R over the three pairs of sizes (12·13 = 156 is the smallest for every mode).
    normal = json.loads(
        _invoke("cp-als", cp_file, "--rank", 2, "--m", 8, "--solver", "normal", "--predict-only", "--format", "json").output
    )
    assert normal["predicted"][0]["sweep_ops"] == 3 * (12 * 13 * 14 * 2) + 3 * (12 * 13 * 2)
    text = _invoke("cp-als", cp_file, "--rank", 2, "--m", 8, "--predict-only")
    assert "tensorsketch" in text.output
    assert "history" not in text.output


def test_tucker_command(tmp_path):
    path = tmp_path / "tucker.npy"
    np.save(path, tucker_plus_noise((12, 13, 14), [2, 3, 2], 0.0, seed=1))
    result = _invoke("tucker", path, "--ranks", "2,3,2", "--family", "leverage", "--m", 30, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["residual"] < 1e-6
    assert data["family"] == "leverage"
    text = _invoke("tucker", path, "--ranks", "2,3,2")
    assert "sweep 1: relative residual" in text.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["cp-als", "missing.npy", "--rank", "2"], "not found"),
        (["cp-als", "{matrix}", "--rank", "2"], "order 2"),
        (["cp-als", "{cp}", "--rank", "0"], "invalid --rank 0"),
        (["cp-als", "{cp}", "--rank", "2", "--family", "gauss"], "gauss"),
        (["tucker", "{cp}", "--ranks", "2,2"], "one rank per mode"),
        (["tucker", "{cp}", "--ranks", "a,b,c"], "invalid --ranks"),
        (["tucker", "{cp}", "--ranks", "2,2,40"], "invalid Tucker ranks"),
        (["cp-als", "{text}", "--rank", "2"], "cannot read"),
    ],
)
def test_errors_one_line(tmp_path, cp_file, args, message):
    matrix = tmp_path / "matrix.npy"
    np.save(matrix, np.ones((3, 4)))
    text = tmp_path / "text.npy"
    text.write_text("not an array")
    filled = [a.format(matrix=matrix, cp=cp_file, text=text) for a in args]
    result = CliRunner().invoke(cli, filled)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]
