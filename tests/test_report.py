"""The report command and writer: files, content against hand-derived numbers, atomic writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tncost.cli import cli
from tncost.planner import plan_sketch
from tncost.report import plots, render, write_report
from tncost.structures import kronecker

TIMING_KEYS = {"seconds", "gflops"}


def _without_timing(value: object) -> object:
    """Drop measured times, and the available memory from skip reasons, which vary between runs."""
    if isinstance(value, dict):
        return {
            k: v.split(", but only")[0] if k == "skipped" else _without_timing(v)
            for k, v in value.items()
            if k not in TIMING_KEYS
        }
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] == first_cell:
                rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def tt_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tt") / "report"
    result = _invoke("report", "tt:N=6", "--sizes", "s=64,R=8", "--m", "8", "--trials", "3", "--no-comparisons",
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def kronecker_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kron") / "report"
    result = _invoke("report", "kronecker:N=2", "--sizes", "s=8", "--m", "4", "--trials", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_report_files_written(tt_report):
    names = {p.name for p in tt_report.iterdir()}

    assert {"report.md", "report.html", "data.json", "plots.json"} <= names
    assert {"network.png", "joint.png", "tree.png", "predicted_executed.png", "time_ops.png", "distortion.png"} <= names
    for png in tt_report.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png.name
    assert not any(p.name.endswith(".tmp") for p in tt_report.parent.iterdir())


def test_report_data_matches_run_json(tt_report):
    result = _invoke("run", "tt:N=6", "--sizes", "s=64,R=8", "--m", "8", "--trials", "3", "--format", "json")
    expected = json.loads(result.output)
    written = json.loads((tt_report / "data.json").read_text())

    assert _without_timing(written) == _without_timing(expected)


def test_report_dense_skipped_with_reason(tt_report):
    data = json.loads((tt_report / "data.json").read_text())
    dense = next(entry for entry in data["runs"] if entry["family"] == "dense")
    markdown = (tt_report / "report.md").read_text()

    assert "live peak" in dense["skipped"]
    # Dense S(m, p1..p6) against x: at least m * s^6 ops, analyzed but not executed.
    assert dense["predicted_ops"] >= 8 * 64**6
    assert "skipped: the plan needs" in markdown
    assert "Skipped families" in markdown


def test_report_executed_ops_equal_prediction(tt_report):
    data = json.loads((tt_report / "data.json").read_text())
    executed = [entry for entry in data["runs"] if "skipped" not in entry]

    assert len(executed) == 5
    for entry in executed:
        assert entry["executed_ops"] == entry["predicted_ops"], entry["family"]


def test_report_command_line_shown(tt_report):
    markdown = (tt_report / "report.md").read_text()

    assert f"tncost report tt:N=6 --m 8 --sizes s=64,R=8 --trials 3 --no-comparisons --out {tt_report}" in markdown


def test_report_lower_bound_terms_by_hand(kronecker_report):
    # Kronecker v1(p1), v2(p2), s = 8, m = 4: merge m^2 = 16, sketch m*s = 32 each, leaf m*s = 32 each.
    markdown = (kronecker_report / "report.md").read_text()

    assert [row[3] for row in _table_rows(markdown, "merge")] == ["16"]
    assert [row[3] for row in _table_rows(markdown, "sketch")] == ["32", "32"]
    assert [row[3] for row in _table_rows(markdown, "leaf")] == ["32", "32"]
    data = json.loads((kronecker_report / "data.json").read_text())
    assert data["lower_bound"]["total"] == "16*s + 16"


def test_report_family_table_by_hand(kronecker_report):
    markdown = (kronecker_report / "report.md").read_text()
    s, m = 8, 4
    expected = {
        "khatri-rao": (2 * m * s + m, "2*m*s + m"),
        "dense": (m * s * s + m * s, "m*s**2 + m*s"),
        "tt": (m * m * s + m * s + m * m, "m**2*s + m**2 + m*s"),
    }
    bound = m * m + 4 * m * s
    for name, (ops, formula) in expected.items():
        # The cost table is the one with eight columns; the sketch-size table has four.
        (row,) = [r for r in _table_rows(markdown, name) + _table_rows(markdown, "* " + name) if len(r) == 8]
        assert row[2] == formula
        assert row[4] == f"{ops:,}"
        assert row[5].endswith(f"({_fraction(ops, bound)})")
    (khatri_rao,) = [r for r in _table_rows(markdown, "khatri-rao") if len(r) == 8]
    assert khatri_rao[6].startswith("no: ")


def _fraction(numerator: int, denominator: int) -> str:
    from math import gcd

    divisor = gcd(numerator, denominator)
    numerator, denominator = numerator // divisor, denominator // divisor
    return str(numerator) if denominator == 1 else f"{numerator}/{denominator}"


def test_report_plot_data_by_hand(kronecker_report):
    data = json.loads((kronecker_report / "plots.json").read_text())
    sweep = data["cost_sweep"]

    assert sweep["symbol"] == "s"
    assert sweep["lower_bound"] == [4 * 4 + 16 * s for s in sweep["values"]]
    assert data["ratio_sweep"]["lower_bound"] == [m * m + 4 * m * 8 for m in data["ratio_sweep"]["m"]]
    assert data["regime_map"]["x"] == "s"
    assert data["regime_map"]["y"] == "m"
    assert {"cost_sweep.png", "ratio_m.png", "regime_map.png"} <= {p.name for p in kronecker_report.iterdir()}


def test_report_distortion_ratios_match_run(kronecker_report):
    data = json.loads((kronecker_report / "data.json").read_text())
    ratios = json.loads((kronecker_report / "plots.json").read_text())["distortion_ratios"]

    for entry in data["runs"]:
        values = ratios[entry["family"]]
        assert len(values) == 4
        assert sum(values) / len(values) == pytest.approx(entry["distortion"]["mean"], rel=1e-12)
        assert min(values) == pytest.approx(entry["distortion"]["min"], rel=1e-12)


def test_report_html_self_contained(kronecker_report):
    page = (kronecker_report / "report.html").read_text()
    pngs = sorted(p.name for p in kronecker_report.glob("*.png"))

    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    assert "<link" not in page
    for name in pngs:
        assert f'data-file="{name}"' in page


def test_report_markdown_and_html_sections(kronecker_report):
    markdown = (kronecker_report / "report.md").read_text()
    page = (kronecker_report / "report.html").read_text()

    for heading in ("Network", "Sketch sizes", "Cost per family", "Lower bound", "Chosen plan",
                    "Measured results", "Comparisons", "Regenerate"):
        assert f"## {heading}\n" in markdown
        assert f"<h2>{heading}</h2>" in page


def test_report_no_run_matches_analyze(tmp_path):
    out = tmp_path / "r"
    result = _invoke("report", "kronecker:N=2", "--sizes", "s=8", "--m", "4", "--no-run", "--no-comparisons",
                     "--out", str(out))
    analysis = json.loads(_invoke("analyze", "kronecker:N=2", "--sizes", "s=8", "--m", "4", "--format", "json").output)

    assert result.exit_code == 0
    assert json.loads((out / "data.json").read_text()) == analysis
    assert "Not executed" in (out / "report.md").read_text()


def test_report_symbolic_needs_sizes(tmp_path):
    result = CliRunner().invoke(cli, ["report", "tt:N=3", "--out", str(tmp_path / "r")])

    assert result.exit_code == 2
    assert result.output.startswith("error: report executes the plan")
    assert "--no-run" in result.output
    assert not (tmp_path / "r").exists()


def test_report_contraction_by_hand(tmp_path):
    out = tmp_path / "r"
    result = _invoke("report", "ab,bc->ac", "--sizes", "a=4,b=5,c=6", "--out", str(out))
    data = json.loads((out / "data.json").read_text())

    assert result.exit_code == 0
    assert data["contraction"]["cost"] == "120"
    assert "ops at the point: 120" in (out / "report.md").read_text()


def test_report_refuses_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["report", "kronecker:N=2", "--sizes", "s=8", "--m", "4", "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "is not empty and contains no earlier report" in result.output
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_report_replaces_earlier_report(tmp_path):
    out = tmp_path / "r"
    plan = plan_sketch(kronecker(2), sizes={"s": 8}, m=4, families=["tt"])
    write_report(plan, out, run=False, comparisons=False)
    (out / "stale.png").write_bytes(b"old")
    write_report(plan, out, run=False, comparisons=False)

    assert not (out / "stale.png").exists()
    assert (out / "report.md").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "r"
    plan = plan_sketch(kronecker(2), sizes={"s": 8}, m=4, families=["tt"])

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_tree", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_report(plan, out, run=False, comparisons=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_rewrite_keeps_old_report(tmp_path, monkeypatch):
    out = tmp_path / "r"
    plan = plan_sketch(kronecker(2), sizes={"s": 8}, m=4, families=["tt"])
    write_report(plan, out, run=False, comparisons=False)
    before = (out / "report.md").read_text()

    monkeypatch.setattr(render, "render_html", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_report(plan, out, run=False, comparisons=True)
    assert (out / "report.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_sigint_leaves_no_report(tmp_path):
    out = tmp_path / "r"
    process = subprocess.Popen(
        [sys.executable, "-m", "tncost", "report", "tt:N=6", "--sizes", "s=64,R=8", "--m", "8", "--trials", "2",
         "--no-comparisons", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Interrupt once the temporary folder exists, that is while the files are being written.
    deadline = time.monotonic() + 120
    while process.poll() is None and not os.listdir(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    if process.returncode == 0:
        pytest.skip("the report finished before the interrupt arrived")
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert os.listdir(tmp_path) == []


def test_gallery_claim_pages(tmp_path):
    from tncost.report import gallery

    root = Path(__file__).resolve().parent.parent
    claims = json.loads((root / "benchmarks" / "results" / "claims.json").read_text())
    pages = {slug: report for slug, _, report in gallery._claim_reports(root)}

    assert {"claim1", "claim2", "claim3"} <= set(pages)
    rule_table = next(block for block in pages["claim1"].blocks if block[0] == "table")
    assert [row[0] for row in rule_table[2]] == [str(row["N"]) for row in claims["claim1"]["rule"]]
    assert [row[1] for row in rule_table[2]] == [str(row["ms22"]["m"]) for row in claims["claim1"]["rule"]]
    folder = render.save_report(pages["claim2"], tmp_path / "claim2")
    assert json.loads((folder / "data.json").read_text()) == claims["claim2"]
    assert len(list(folder.glob("ratio_*.png"))) == len(claims["claim2"])


def test_gallery_sketch_rank_points():
    from tncost.report import gallery

    data = {
        "bound": {"points": [{"N": 4, "I": 16, "R": 4, "L": 2, "sketch_over_bound": 0.5},
                             {"N": 4, "I": 16, "R": 4, "L": 4, "sketch_over_bound": 0.75}]},
        "growth": [{"points": [{"N": 8, "I": 1024, "R": 2, "L": 256, "sketch_over_bound": 53.0}]}],
        "other": [{"L": 3}],
    }
    groups = gallery._sketch_rank_points(data)

    assert groups == {"N=4, I=16, R=4": {2: 0.5, 4: 0.75}, "N=8, I=1024, R=2": {256: 53.0}}
