"""Tests of the tncost command: JSON output, executed against predicted ops, and user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cotengra
import pytest
import sympy
from click.testing import CliRunner

from tncost.cli import cli

REPO = Path(__file__).resolve().parents[1]
SYMBOLS = {name: sympy.Symbol(name) for name in ("s", "R", "m")}
VALID_FAMILIES = {"dense", "khatri-rao", "tt", "tree", "ms22", "best_t0"}


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def run_tncost(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the command in a fresh interpreter that imports tncost from this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from tncost.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def sympy_cost(text: str, values: dict) -> int:
    return int(sympy.sympify(text, locals=SYMBOLS).subs({SYMBOLS[k]: v for k, v in values.items()}))


def recount_ops(report: dict, family: dict) -> int:
    """Recount a family's ops with cotengra from the JSON alone: data network, embedding and order."""
    point = {**report["point"], "m": family["sketch_size"]["at_sizes"]}
    sizes = {index: sympy_cost(size, point) for index, size in report["network"]["sizes"].items()}
    embedding = family["embedding"]
    sizes.update({index: sympy_cost(size, point) for index, size in embedding["sizes"].items()})
    inputs = list(report["network"]["tensors"].values()) + list(embedding["tensors"].values())
    output = report["kept"] + embedding["output"]
    tree = cotengra.ContractionTree.from_path(inputs, output, sizes, ssa_path=family["order"])
    return tree.contraction_cost()


def assert_user_error(result, message: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


# analyze --format json --------------------------------------------------------------


@pytest.fixture(scope="module")
def analysis() -> dict:
    result = invoke("analyze", "tt:N=4", "--sketch", "all", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_analysis_network_fields(analysis):
    network = analysis["network"]
    assert network["name"] == "tt:N=4"
    assert network["tensors"]["G2"] == ["r1", "p2", "r2"]
    assert network["sizes"]["p1"] == "s"
    assert network["sizes"]["r3"] == "R"


def test_analysis_sketched_and_kept(analysis):
    assert analysis["sketched"] == ["p1", "p2", "p3", "p4"]
    assert analysis["kept"] == []
    assert analysis["m"] is None


def test_analysis_family_fields(analysis):
    assert analysis["families"]
    for family in analysis["families"]:
        assert family["name"] in VALID_FAMILIES
        assert family["cost_at_sizes"] is None
        assert isinstance(family["satisfies_sequence_condition"], bool)
        assert isinstance(family["sketch_size"]["at_sizes"], int)
        assert all(len(step) == 2 for step in family["order"])


def test_analysis_cost_is_sympy(analysis):
    for family in analysis["families"]:
        cost = sympy.sympify(family["cost"], locals=SYMBOLS)
        assert cost.free_symbols <= set(SYMBOLS.values()), family["name"]
        assert cost.is_polynomial(*SYMBOLS.values()), family["name"]


def test_analysis_cost_matches_point(analysis):
    for family in analysis["families"]:
        point = {**analysis["point"], "m": family["sketch_size"]["at_sizes"]}
        assert sympy_cost(family["cost"], point) == family["cost_at_point"], family["name"]


def test_analysis_order_is_tree(analysis):
    # An SSA order over n leaves has n - 1 steps.
    for family in analysis["families"]:
        leaves = len(analysis["network"]["tensors"]) + len(family["embedding"]["tensors"])
        assert len(family["order"]) == leaves - 1, family["name"]


def test_analysis_chosen_is_planned(analysis):
    assert analysis["chosen"] in {family["name"] for family in analysis["families"]}


def test_analyze_default_sketch_physical():
    result = invoke("analyze", "tt:N=3", "--format", "json")
    assert json.loads(result.stdout)["sketched"] == ["p1", "p2", "p3"]


def test_analysis_writes_out_folder(tmp_path):
    result = invoke("analyze", "tt:N=3", "--format", "json", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert written == json.loads(result.stdout)


def test_analysis_text_table():
    result = invoke("analyze", "tt:N=3", "--sizes", "s=64,R=4", "--m", "8")
    assert result.exit_code == 0, result.output
    assert "family" in result.stdout
    assert "chosen:" in result.stdout


# run --format json -------------------------------------------------------------------

RUN_SIZES = {"s": 64, "R": 8}


@pytest.fixture(scope="module")
def run_report() -> dict:
    # Distortion trials are skipped: the dense family alone contracts a 16.8M-entry tensor per trial.
    result = invoke("run", "tt:N=4", "--sizes", "s=64,R=8", "--m", "8", "--format", "json", "--trials", "0")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_executed_equals_predicted(run_report):
    executed = [entry for entry in run_report["runs"] if "executed_ops" in entry]
    assert executed
    for entry in executed:
        assert entry["executed_ops"] == entry["predicted_ops"], entry["family"]


def test_run_fixed_m_everywhere(run_report):
    assert run_report["m"] == 8
    assert all(family["sketch_size"]["at_sizes"] == 8 for family in run_report["families"])


def test_run_cost_matches_sympy(run_report):
    for family in run_report["families"]:
        expected = sympy_cost(family["cost"], {**RUN_SIZES, "m": 8})
        assert family["cost_at_sizes"] == expected, family["name"]


def test_run_cost_matches_cotengra(run_report):
    for family in run_report["families"]:
        assert family["cost_at_sizes"] == recount_ops(run_report, family), family["name"]


def test_run_predicted_is_cost_at_sizes(run_report):
    by_name = {family["name"]: family for family in run_report["families"]}
    for entry in run_report["runs"]:
        assert entry["predicted_ops"] == by_name[entry["family"]]["cost_at_sizes"], entry["family"]


def test_run_text_table():
    result = invoke("run", "tt:N=3", "--sizes", "s=16,R=2", "--m", "4", "--trials", "2")
    assert result.exit_code == 0, result.output
    assert "predicted ops" in result.stdout
    assert "NO" not in result.stdout.split()


def test_run_spec_file(tmp_path):
    spec = tmp_path / "chain.yaml"
    spec.write_text("tensors: {A: [a, i], B: [i, b]}\nsizes: {a: s, b: s, i: R}\nsketch: [a, b]\n")
    result = invoke("run", str(spec), "--sizes", "s=16,R=3", "--m", "4", "--trials", "0", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for family in report["families"]:
        assert family["executed_ops"] == recount_ops(report, family), family["name"]


# Plain contractions -------------------------------------------------------------------


def test_einsum_plain_contraction_text():
    result = invoke("analyze", "ab,bc->ac", "--sizes", "a=2,b=3,c=4")
    assert result.exit_code == 0, result.output
    assert "exact cost (ops): 24" in result.stdout


def test_einsum_plain_contraction_json():
    result = invoke("analyze", "ab,bc->ac", "--sizes", "a=2,b=3,c=4", "--format", "json")
    contraction = json.loads(result.stdout)["contraction"]
    assert contraction["cost"] == "24"
    assert contraction["cost_at_sizes"] == 24


def test_einsum_symbolic_sizes():
    # a = s, b = R, c = s: one step over a, b, c costs R s^2, which is 50 at s = 5, R = 2.
    result = invoke("analyze", "ab,bc->ac", "--sizes", "a=s,b=R,c=s,s=5,R=2", "--format", "json")
    contraction = json.loads(result.stdout)["contraction"]
    assert sympy.sympify(contraction["cost"], locals=SYMBOLS) == SYMBOLS["R"] * SYMBOLS["s"] ** 2
    assert contraction["cost_at_sizes"] == 50


def test_numeric_spec_cost_at_sizes(tmp_path):
    # Every size is a number, so the sizes are known without --sizes.
    spec = tmp_path / "numeric.yaml"
    spec.write_text("tensors: {A: [a, i], B: [i, b]}\nsizes: {a: 16, b: 16, i: 3}\nsketch: [a, b]\n")
    report = json.loads(invoke("analyze", str(spec), "--m", "4", "--format", "json").stdout)
    assert report["sizes_given"] is True
    for family in report["families"]:
        assert family["cost_at_sizes"] == recount_ops(report, family), family["name"]


def test_sketch_none_is_plain():
    result = invoke("analyze", "kronecker:N=3", "--sketch", "none", "--sizes", "s=4", "--format", "json")
    report = json.loads(result.stdout)
    # Outer products 4 * 4 = 16 and then 16 * 4 = 64.
    assert report["contraction"]["cost_at_sizes"] == 80


# User errors: status 2, one line, no traceback ------------------------------------------

USER_ERRORS = [
    pytest.param(["analyze", "foo:N=3"], "unknown built-in structure 'foo'", id="unknown-builtin"),
    pytest.param(["analyze", "tt:N=0"], "tt: N=0 is out of range", id="builtin-out-of-range"),
    pytest.param(["analyze", "tt:N=3", "--sizes", "s=abc"], "invalid value 'abc' for s", id="sizes-not-a-number"),
    pytest.param(["analyze", "tt:N=3", "--sizes", "s"], "invalid size assignment 's'", id="sizes-no-value"),
    pytest.param(["analyze", "tt:N=3", "--sizes", "s=8"], "no value for symbol(s) R", id="sizes-missing-symbol"),
    pytest.param(["analyze", "tt:N=3", "--sizes", "s=8,R=2,q=3"], "unknown symbol(s) q", id="sizes-unknown-symbol"),
    pytest.param(["analyze", "tt:N=3", "--family", "bogus"], "unknown family 'bogus'", id="unknown-family"),
    pytest.param(["analyze", "tt:N=3", "--sketch", "zz"], "sketched index 'zz' is on no tensor", id="unknown-sketched"),
    pytest.param(["analyze", "tt:N=3", "--sketch", "r1"], "sketched index 'r1' is not open", id="summed-sketched"),
    pytest.param(["analyze", "ab,bc->ac"], "needs index sizes", id="einsum-without-sizes"),
    pytest.param(["analyze", "ab,bc->ac", "--sizes", "a=2,b=0,c=4"], "index 'b': invalid size '0'", id="einsum-zero-size"),
    pytest.param(["analyze", "aab->b", "--sizes", "a=2,b=2"], "traces and diagonals are not modeled", id="einsum-trace"),
    pytest.param(["run", "tt:N=3"], "run needs numbers", id="run-without-sizes"),
    pytest.param(["run", "tt:N=3", "--sizes", "s=8,R=2", "--sketch", "none"], "run executes sketches", id="run-no-sketch"),
    pytest.param(["analyze", "tt:N=3", "--eps", "1.5"], "eps must lie strictly between 0 and 1", id="eps-above-one"),
    pytest.param(["analyze", "tt:N=3", "--eps", "0"], "eps must lie strictly between 0 and 1", id="eps-zero"),
    pytest.param(["analyze", "tt:N=3", "--delta", "1"], "delta must lie strictly between 0 and 1", id="delta-one"),
    pytest.param(["analyze", "tt:N=3", "--m", "0"], "invalid sketch size m=0", id="m-zero"),
    pytest.param(["analyze", "tt:N=3", "--m", "-3"], "invalid sketch size m=-3", id="m-negative"),
    pytest.param(["run", "tt:N=3", "--sizes", "s=8,R=2", "--dask-workers", "2"], "--dask-workers applies to --engine dask only", id="dask-workers"),
    pytest.param(["analyze", "tt:N=3", "--eps", "abc"], "'abc' is not a valid float", id="eps-not-a-number"),
    pytest.param(["analyze"], "Missing argument 'SPEC'", id="missing-spec"),
    pytest.param(["frobnicate"], "No such command 'frobnicate'", id="unknown-command"),
]


@pytest.mark.parametrize(("args", "message"), USER_ERRORS)
def test_user_error(args, message):
    assert_user_error(invoke(*args), message)


def test_missing_file(tmp_path):
    assert_user_error(invoke("analyze", str(tmp_path / "absent.yaml")), "not found")


def test_malformed_yaml_file(tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text("tensors: {A: [a, b]\nsizes: {a: 2, b: 2}\n")
    assert_user_error(invoke("analyze", str(spec)), "malformed YAML at line 2")


def test_out_folder_not_written_on_error(tmp_path):
    out = tmp_path / "out"
    assert_user_error(invoke("analyze", "tt:N=3", "--m", "0", "--out", str(out)), "invalid sketch size")
    assert not out.exists()


# Memory budget ------------------------------------------------------------------------


def test_memory_budget_skips_text():
    result = invoke(
        "run", "tt:N=3", "--sizes", "s=16,R=2", "--m", "4", "--trials", "0", "--memory-budget", "1000",
        "--family", "dense,khatri-rao,tt,tree",
    )
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 4
    assert all("only 1000 bytes are available" in line for line in skipped)


def test_memory_budget_skips_json():
    result = invoke(
        "run", "tt:N=3", "--sizes", "s=16,R=2", "--m", "4", "--trials", "0", "--memory-budget", "1000", "--format", "json"
    )
    report = json.loads(result.stdout)
    for entry in report["runs"]:
        assert "needs" in entry["skipped"], entry["family"]
        assert "executed_ops" not in entry


def test_default_budget_skips_huge_run():
    # The middle core alone has s * R^2 = 10**14 entries, 800 TB of float64.
    result = invoke("run", "tt:N=3", "--sizes", "s=1000000,R=10000", "--m", "4", "--trials", "0", "--family", "tt")
    assert result.exit_code == 0, result.output
    assert "skipped tt: the plan needs" in result.stdout
    assert "half of the" in result.stdout


# Demo -------------------------------------------------------------------------------------


def test_demo_prints_tables():
    # One trial per family takes about a third of the default demo's time (10 trials),
    # which runs in the slow test below.
    result = invoke("demo", "--trials", "1")
    assert result.exit_code == 0, result.output
    assert "predicted ops" in result.stdout
    assert "executed ops equal to predicted in every executed plan: yes" in result.stdout


@pytest.mark.slow
def test_demo_default_subprocess(tmp_path):
    result = run_tncost("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "executed ops equal to predicted in every executed plan: yes" in result.stdout


# Real processes -----------------------------------------------------------------------------


def test_subprocess_analyze_json(tmp_path):
    result = run_tncost("analyze", "tt:N=4", "--sketch", "all", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["network"]["name"] == "tt:N=4"


def test_subprocess_plain_contraction(tmp_path):
    result = run_tncost("analyze", "ab,bc->ac", "--sizes", "a=2,b=3,c=4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "exact cost (ops): 24" in result.stdout


def test_subprocess_user_error(tmp_path):
    result = run_tncost("analyze", "foo:N=3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown built-in structure 'foo'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_subprocess_usage_error(tmp_path):
    result = run_tncost("run", "tt:N=3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "Traceback" not in result.stderr


def test_subprocess_malformed_yaml(tmp_path):
    (tmp_path / "broken.yaml").write_text("tensors: [a, b\n")
    result = run_tncost("analyze", "broken.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: broken.yaml: malformed YAML")
    assert "Traceback" not in result.stderr


def test_unwritable_out_folder_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = invoke("analyze", "tt:N=3", "--out", str(blocker / "sub"))
    assert result.exit_code == 2
    assert "cannot write into the --out folder" in result.output


def test_huge_builtin_clean_error():
    result = invoke("analyze", "tt:N=1024", "--m", "2", "--family", "tt")
    assert result.exit_code == 2
    assert "too large for the cotengra search" in result.output
