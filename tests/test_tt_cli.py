"""Tests of ``tncost tt-round``: file formats, JSON output, predicted against measured ops, and user errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tncost.apps.cli_tt import load_tt, save_tt
from tncost.apps.tt import TensorTrain
from tncost.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, ["tt-round", *args])


def assert_user_error(result, message: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.output


@pytest.fixture
def train_file(tmp_path: Path) -> tuple[Path, TensorTrain]:
    tt = TensorTrain.random((6, 7, 6, 5), [4, 5, 4], seed=0)
    path = tmp_path / "train.npz"
    np.savez(path, **{f"core_{k}": core for k, core in enumerate(tt.cores)})
    return path, tt


def test_npz_format_round_trip(tmp_path: Path) -> None:
    tt = TensorTrain.random((3, 4, 5), 2, seed=1)
    path = tmp_path / "t.npz"
    save_tt(tt, path)
    with np.load(path) as archive:
        assert sorted(archive.files) == ["core_0", "core_1", "core_2"]
    loaded = load_tt(path)
    assert all(np.array_equal(x, y) for x, y in zip(loaded.cores, tt.cores))


def test_json_output_predicted_equals_measured(train_file) -> None:
    path, tt = train_file
    result = invoke(str(path), "--rank", "3", "--method", "all", "--seed", "4", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["shape"] == [6, 7, 6, 5]
    assert payload["ranks"] == [1, 4, 5, 4, 1]
    assert [row["method"] for row in payload["results"]] == [
        "randomize-then-orthogonalize",
        "orthogonalize-then-randomize",
        "two-sided",
        "deterministic",
    ]
    for row in payload["results"]:
        assert row["predicted_ops"] == row["measured_ops"], row
        assert row["ranks"] == [1, 3, 3, 3, 1]
        assert 0 < row["relative_error"] < 1
    assert payload["bound"]["lower_bound"] > 0


def test_json_error_matches_numpy(train_file) -> None:
    path, tt = train_file
    result = invoke(str(path), "--rank", "3", "--method", "deterministic", "--format", "json", "--output", str(path.with_name("out.npz")))
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["results"][0]
    rounded = load_tt(path.with_name("out.npz"))
    dense = tt.full()
    expected = np.linalg.norm(rounded.full() - dense) / np.linalg.norm(dense)
    assert np.isclose(row["relative_error"], expected, rtol=1e-8)


def test_predict_only_runs_nothing(train_file) -> None:
    path, _ = train_file
    result = invoke(str(path), "--rank", "3", "--predict-only", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert "results" not in payload
    assert payload["predicted"]["randomize-then-orthogonalize"] > 0
    assert "L" in payload["symbolic"]["randomize-then-orthogonalize"]


def test_text_output_names_method_and_bound(train_file) -> None:
    path, _ = train_file
    result = invoke(str(path), "--rank", "3")
    assert result.exit_code == 0, result.output
    assert "randomize-then-orthogonalize: ranks (1, 3, 3, 3, 1)" in result.stdout
    assert "lower bound of the sketching step (m = L)" in result.stdout


def test_dense_npy_input(tmp_path: Path) -> None:
    tt = TensorTrain.random((5, 6, 7), 3, seed=2)
    path = tmp_path / "dense.npy"
    np.save(path, tt.full())
    result = invoke(str(path), "--rank", "3", "--tt-rank", "5", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ranks"] == [1, 5, 5, 1]
    assert payload["results"][0]["relative_error"] < 1e-12


def test_seed_reproduces_output(train_file, tmp_path: Path) -> None:
    path, _ = train_file
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    assert invoke(str(path), "--rank", "2", "--seed", "9", "--output", str(first)).exit_code == 0
    assert invoke(str(path), "--rank", "2", "--seed", "9", "--output", str(second)).exit_code == 0
    a, b = load_tt(first), load_tt(second)
    assert all(np.array_equal(x, y) for x, y in zip(a.cores, b.cores))


USER_ERRORS = [
    pytest.param(("missing.npz", "--rank", "2"), "file 'missing.npz' not found", id="missing-file"),
    pytest.param(("{train}",), "--rank L is required", id="no-rank"),
    pytest.param(("{train}", "--rank", "0"), "0 is not in the range x>=1", id="rank-zero"),
    pytest.param(("{train}", "--rank", "2", "--method", "svd"), "'svd' is not one of", id="bad-method"),
    pytest.param(("{dense}", "--rank", "2"), "give --tt-rank R", id="dense-without-tt-rank"),
    pytest.param(("{bad}", "--rank", "2"), "must contain exactly the arrays core_0 ... core_{N-1}", id="bad-core-names"),
    pytest.param(("{chain}", "--rank", "2"), "neighbouring ranks must be equal", id="broken-chain"),
    pytest.param(("{text}", "--rank", "2"), "unknown file type '.txt'", id="bad-suffix"),
    pytest.param(("{train}", "--rank", "2", "--method", "all", "--output", "x.npz"), "choose one --method", id="output-all"),
]


@pytest.mark.parametrize("args, message", USER_ERRORS)
def test_user_errors_exit_2(args, message, train_file, tmp_path: Path) -> None:
    path, _ = train_file
    files = {
        "train": path,
        "dense": tmp_path / "d.npy",
        "bad": tmp_path / "bad.npz",
        "chain": tmp_path / "chain.npz",
        "text": tmp_path / "t.txt",
    }
    np.save(files["dense"], np.ones((2, 3)))
    np.savez(files["bad"], core_0=np.ones((1, 2, 1)), core_2=np.ones((1, 2, 1)))
    np.savez(files["chain"], core_0=np.ones((1, 2, 2)), core_1=np.ones((3, 2, 1)))
    files["text"].write_text("not a train")
    filled = [a.format(**{k: str(v) for k, v in files.items()}) if a.startswith("{") and a.endswith("}") else a for a in args]
    assert_user_error(invoke(*filled), message)
