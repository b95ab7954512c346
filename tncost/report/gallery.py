"""Rebuild the checked-in report gallery: one page per published claim and one per built-in structure.

Run from the repository root::

    python -m tncost.report.gallery reports/

Claims 1–3 are drawn from ``benchmarks/results/claims.json``
(``benchmarks/claims.py`` writes it). Claim 4 (``cp_claim.json``) and claim 5
(``tt_rounding.json``) get a page only when their result files exist. Each
built-in structure is analyzed, executed and swept at small sizes with
:func:`~tncost.report.write_report`. ``index.md`` lists every page.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..planner import plan_sketch
from ..progress import progress
from ..structures import parse_builtin
from . import plots
from .render import Report, save_report, write_report

__all__ = ["STRUCTURES", "build_gallery", "main"]

#: Built-in structures of the gallery with their sizes and shared sketch size m.
STRUCTURES: tuple[tuple[str, Mapping[str, int], int], ...] = (
    ("tt:N=4", {"s": 32, "R": 4}, 8),
    ("khatri-rao:N=3", {"s": 32, "R": 4}, 8),
    ("kronecker:N=3", {"s": 32}, 8),
    ("tucker:N=3", {"s": 32, "R": 4}, 8),
    ("cp:N=3", {"s": 32, "R": 4}, 8),
    ("tree:N=4", {"s": 32, "R": 4}, 8),
    ("peps:rows=2,cols=2", {"s": 16, "R": 3}, 4),
    ("mpo:N=3", {"s": 8, "R": 3}, 4),
)

TRIALS = 10
SEED = 0
GALLERY_COMMAND = "python -m tncost.report.gallery reports/"
RESULTS = Path("benchmarks") / "results"


def _line_plot(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, xlabel: str, ylabel: str,
               title: str, logx: bool = False, logy: bool = False, reference: tuple | None = None):
    """Plot named (x, y) series; ``reference`` is an optional (label, xs, ys) drawn dashed grey."""
    fig, ax = plots._figure()
    for name, (xs, ys) in series.items():
        ax.plot(list(xs), list(ys), marker="o", label=name)
    if reference is not None:
        label, xs, ys = reference
        ax.plot(list(xs), list(ys), color="grey", linestyle="--", lw=1, label=label)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig, ax


def _claim1(data: Mapping) -> Report:
    claim = data["claim1"]
    report = Report(title="Claim 1: the sketch size grows linearly in N")
    report.text(
        "Statement: the sketch size of the tree-following embeddings grows linearly in the number N of sketched "
        "tensors, while the Khatri–Rao embedding needs exponentially more rows for the same measured distortion."
    )
    report.heading("Sketch size from the accuracy rule")
    report.text(f"ε = {claim['eps']}, δ = {claim['delta']}; m from each family's rule, for a Kronecker product of N vectors.")
    report.table(
        ["N", "ms22 m", "ms22 m/N", "tt m", "tt m/N", "tree m", "tree m/N", "Khatri–Rao estimate"],
        [[row["N"], row["ms22"]["m"], row["ms22"]["m_over_N"]["fraction"], row["tt"]["m"], row["tt"]["m_over_N"]["fraction"],
          row["tree"]["m"], row["tree"]["m_over_N"]["fraction"], row["khatri_rao_estimate"]] for row in claim["rule"]],
    )
    rule_series = {name: ([r["N"] for r in claim["rule"]], [r[name]["m_over_N"]["float"] for r in claim["rule"]])
                   for name in ("ms22", "tt", "tree")}
    report.image("rule_m_over_n.png", "m / N from the accuracy rule stays bounded as N grows.",
                 lambda: _line_plot(rule_series, xlabel="N", ylabel="m / N", title="rule sketch size per tensor"))
    report.heading("Measured sketch size")
    report.text("The smallest m at which at most a fraction δ of seeded trials has |‖Sx‖²/‖x‖² − 1| > ε.")
    measured = claim["measured"]
    names = list(measured)
    count = max(len(rows) for rows in measured.values())
    rows = []
    for position in range(count):
        entries = [measured[name][position] if position < len(measured[name]) else None for name in names]
        first = next(e for e in entries if e is not None)
        rows.append([first["N"]] + ["-" if e is None else e["m"] for e in entries])
    report.table(["N"] + [f"{name} m" for name in names], rows)
    slopes = claim["slope_ln_m_per_N"]
    report.items([f"{name}: slope of ln m against N = {value:.3f}" for name, value in slopes.items()]
                 + [f"ln 3 = {claim['ln3']:.3f} (the growth rate of 3^N)"])
    measured_series = {name: ([r["N"] for r in rows_], [r["m"] for r in rows_]) for name, rows_ in measured.items()}
    report.image("measured_m.png", "Measured sketch size against N (log scale).",
                 lambda: _line_plot(measured_series, xlabel="N", ylabel="measured m (log scale)",
                                    title="measured sketch size", logy=True))
    report.data = claim
    return report


def _sqrt_reference(series: Mapping[str, tuple[list, list]]) -> tuple | None:
    """Return a c·√m curve through the smallest first ratio, over the union of the m values."""
    firsts = [(xs[0], ys[0]) for xs, ys in series.values() if xs]
    if not firsts:
        return None
    m0, r0 = min(firsts, key=lambda p: p[1])
    ms = sorted({m for xs, _ in series.values() for m in xs})
    return ("c·√m", ms, [r0 * math.sqrt(m / m0) for m in ms])


def _claim2(data: Mapping) -> Report:
    claim = data["claim2"]
    report = Report(title="Claim 2: cost / lower bound grows no faster than √m")
    report.text("Statement: over sweeps of m on standard inputs, the algorithm's cost divided by the lower bound "
                "grows no faster than a constant times √m.")
    for group, entries in claim.items():
        report.heading(f"Sweep {group}")
        rows = []
        series = {}
        for name, entry in entries.items():
            points = entry["rows"]
            series[name] = ([p["m"] for p in points], [p["ratio"]["float"] for p in points])
            rows.append([name, ", ".join(f"{k}={v}" for k, v in (entry.get("sizes") or {}).items()) or "s = m",
                         len(points), f"{max(p['ratio']['float'] for p in points):.3g}",
                         f"{max(p['ratio_over_sqrt_m'] for p in points):.3g}"])
        report.table(["structure", "sizes", "points", "largest cost / LB", "largest (cost / LB) / √m"], rows)
        reference = _sqrt_reference(series)
        report.image(f"ratio_{group}.png", f"cost / LB against m, sweep {group}.",
                     lambda series=series, reference=reference, group=group: _line_plot(
                         series, xlabel="m (log scale)", ylabel="cost / LB (log scale)", title=f"cost / LB, {group}",
                         logx=True, logy=True, reference=reference))
    report.data = claim
    return report


def _claim3(data: Mapping) -> Report:
    claim = data["claim3"]
    report = Report(title="Claim 3: cost / lower bound when every tensor is sketched")
    report.text("Statement: when every data tensor carries a sketched index, cost / LB stays bounded, provided the "
                "sketched sizes grow fast enough: the sweep sets s = m^α.")
    for name, by_alpha in claim["sweep"].items():
        report.heading(name)
        series = {}
        rows = []
        for alpha, entry in by_alpha.items():
            points = entry["rows"]
            series[f"α = {alpha}"] = ([p["m"] for p in points], [p["ratio"]["float"] for p in points])
            rows.append([alpha, len(points), f"{entry['slope']:.3f}", entry["largest_ratio"]["fraction"],
                         f"{entry['largest_ratio']['float']:.3g}"])
        report.table(["α (s = m^α)", "points", "slope of ln(cost / LB) in ln m", "largest cost / LB", "as a number"], rows)
        slug = name.split(" ")[0].replace(":", "_").replace("=", "").replace(",", "_")
        report.image(f"ratio_{slug}.png", f"{name}: cost / LB against m for each α.",
                     lambda series=series, name=name: _line_plot(
                         series, xlabel="m (log scale)", ylabel="cost / LB (log scale)", title=name, logx=True, logy=True))
    checks = claim.get("kronecker_formula_check") or []
    if checks:
        report.heading("Kronecker closed form")
        report.table(["N", "s", "m", "closed-form cost", "planned cost", "closed-form LB", "computed LB"],
                     [[c["N"], c["s"], c["m"], c["formula_cost"], c["cost"], c["formula_lb"], c["lower_bound"]] for c in checks])
    report.data = claim
    return report


def _sketch_rank_points(data: object, found: dict | None = None) -> dict:
    """Collect every list of points with ``L`` and ``sketch_over_bound``, grouped by their N, I and R."""
    found = {} if found is None else found
    if isinstance(data, list):
        if data and all(isinstance(p, Mapping) and "L" in p and "sketch_over_bound" in p for p in data):
            for point in data:
                label = ", ".join(f"{k}={point[k]}" for k in ("N", "I", "R") if k in point)
                found.setdefault(label, {})[point["L"]] = point["sketch_over_bound"]
            return found
        for item in data:
            _sketch_rank_points(item, found)
    elif isinstance(data, Mapping):
        for value in data.values():
            _sketch_rank_points(value, found)
    return found


def _result_page(title: str, statement: str, data: object) -> Report:
    """Build a page for a claim's result file: its top-level fields and, where present, sketch cost / LB against L."""
    report = Report(title=title)
    report.text(statement)
    if isinstance(data, Mapping):
        rows = [[key, json.dumps(value)[:200]] for key, value in data.items() if key != "machine"]
        report.table(["field", "value (first 200 characters)"], rows)
    groups = _sketch_rank_points(data)
    if groups:
        series = {label: (sorted(points), [points[L] for L in sorted(points)]) for label, points in groups.items()}
        report.table(["instance", "L values", "largest sketch cost / LB"],
                     [[label, ", ".join(str(L) for L in xs), f"{max(ys):.3g}"] for label, (xs, ys) in series.items()])
        # Only the instances with the longest L sweeps are drawn, so the legend stays readable.
        longest = dict(sorted(series.items(), key=lambda item: -len(item[1][0]))[:6])
        report.image("sketch_over_bound.png", "Sketch cost / lower bound against the sketch rank L "
                     "(the six instances with the most L values).",
                     lambda: _line_plot(longest, xlabel="sketch rank L (log scale)", ylabel="sketch cost / LB (log scale)",
                                        title="sketch cost / lower bound", logx=True, logy=True))
    report.data = data if isinstance(data, dict) else {"result": data}
    return report


def _claim_reports(root: Path) -> list[tuple[str, str, Report]]:
    pages: list[tuple[str, str, Report]] = []
    claims_file = root / RESULTS / "claims.json"
    if claims_file.exists():
        data = json.loads(claims_file.read_text())
        source = f"benchmarks/results/claims.json ({data.get('command', 'benchmarks/claims.py')})"
        for slug, build in (("claim1", _claim1), ("claim2", _claim2), ("claim3", _claim3)):
            if slug in data:
                pages.append((slug, source, build(data)))
    optional = (
        ("claim4", "cp_claim.json", "Claim 4: CP-ALS sketch regimes",
         "Statement: for CP-ALS the new sketch is asymptotically cheaper than the earlier sketches in several regimes."),
        ("claim5", "tt_rounding.json", "Claim 5: TT rounding against the lower bound",
         "Statement: the TT-embedding algorithm for TT rounding meets the lower bound when the sketch rank is at "
         "most the TT rank, and the ratio grows when it is much larger."),
    )
    for slug, name, title, statement in optional:
        path = root / RESULTS / name
        if path.exists():
            pages.append((slug, f"benchmarks/results/{name}", _result_page(title, statement, json.loads(path.read_text()))))
    return pages


def _structure_command(spec: str, sizes: Mapping[str, int], m: int, out: Path) -> str:
    size_text = ",".join(f"{k}={v}" for k, v in sizes.items())
    return " ".join(shlex.quote(w) for w in ["tncost", "report", spec, "--sizes", size_text, "--m", str(m),
                                              "--trials", str(TRIALS), "--out", str(out)])


def build_gallery(out: Path, root: Path | None = None) -> list[tuple[str, str]]:
    """Write every gallery page under ``out`` and ``out/index.md``; return (folder, title) pairs.

    ``root`` is the repository root holding ``benchmarks/results`` (default: the current folder).
    """
    root = Path.cwd() if root is None else root
    out.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, str, str]] = []
    for slug, source, report in _claim_reports(root):
        report.heading("Regenerate")
        report.text(f"Data from {source}; page written by:")
        report.code(GALLERY_COMMAND)
        save_report(report, out / slug)
        entries.append((slug, report.title, f"from {source}"))
    for spec, sizes, m in progress(STRUCTURES, desc="structures"):
        slug = spec.split(":")[0]
        folder = out / slug
        plan = plan_sketch(parse_builtin(spec), sizes=dict(sizes), m=m)
        write_report(plan, folder, trials=TRIALS, seed=SEED, command=_structure_command(spec, sizes, m, Path("reports") / slug))
        point = ", ".join(f"{k}={v}" for k, v in sizes.items())
        entries.append((slug, f"{spec} at {point}, m = {m}", f"chosen: {plan.chosen}"))

    lines = [
        "# Report gallery",
        "",
        "Each folder holds `report.md`, a self-contained `report.html`, `data.json` and the PNG plots.",
        "Regenerate the whole gallery from the repository root with:",
        "",
        "```",
        GALLERY_COMMAND,
        "```",
        "",
        "| page | content | note |",
        "|---|---|---|",
    ]
    lines += [f"| [{slug}]({slug}/report.md) | {title} | {note} |" for slug, title, note in entries]
    (out / "index.md").write_text("\n".join(lines) + "\n")
    return [(slug, title) for slug, title, _ in entries]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and rebuild the gallery."""
    parser = argparse.ArgumentParser(prog="python -m tncost.report.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="gallery folder, such as reports/")
    arguments = parser.parse_args(argv)
    pages = build_gallery(arguments.out)
    print(f"wrote {len(pages)} pages and {arguments.out / 'index.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
