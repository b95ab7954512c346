"""Render the benchmark results (benchmarks/results/*.json) as Markdown tables.

docs/benchmarks.md shows these tables; this script makes them from the JSON
files so that no figure is copied by hand.

Run: python benchmarks/tables.py [NAME ...]
(default: summary, then every result file named in DEFAULT_NAMES)
"""

from __future__ import annotations

import json
import sys

import _common


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _limited(entry: dict) -> str:
    if entry.get("finished"):
        return _seconds(entry["seconds"])
    if "not_run" in entry:
        return "not run"
    return f"> {entry['timeout_seconds']:.0f}"


def _excess(excess: float | None) -> str:
    if excess is None:
        return "-"
    if excess == 0:
        return "equal"
    return f"+{excess:.1e} (relative)"


def _relative(value: int, reference: int) -> str:
    if value == reference:
        return "equal"
    return f"{(value - reference) / reference:+.1e} (relative)"


def _table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(result: dict) -> str:
    m = result.get("machine")
    if isinstance(m, str):  # bound_bruteforce.json records only a short platform string
        return f"Machine: {m}; {result['seconds']:.1f} s in all."
    if m is None:
        return "Machine: not recorded."
    if "blas" not in m:  # symbolic_search.json records library versions only
        versions = ", ".join(f"{k} {m[k]}" for k in ("python", "numpy", "scipy", "sympy", "cotengra") if k in m)
        return f"Machine: {m.get('processor', '?')}, {m.get('cpus', '?')} CPUs, {versions}; no load average, commit or date recorded."
    blas = m["blas"]
    threads = {k: v for k, v in blas.get("thread_variables", {}).items() if v}
    blas_text = f"{blas.get('name')} {blas.get('version')}" + (f", {', '.join(f'{k}={v}' for k, v in threads.items())}" if threads else ", default threads")
    load = m.get("load_average_at_start")
    return (
        f"Machine: {m['cpu_model']}, {m['cpu_count']} cores, Python {m['python']}, numpy {m['numpy']}, "
        f"opt_einsum {m['opt_einsum']}, BLAS {blas_text}; load average {load[0]:.1f} at start; "
        f"tncost {m['tncost_commit']}{' (modified working tree)' if m.get('tncost_tree_modified') else ''}, "
        + (f"sources {m['tncost_source_sha256']}; " if m.get("tncost_source_sha256") else "no source digest; ")
        + f"{m['date']}."
    )


def analysis_latency(result: dict) -> str:
    searched = list(next(iter(result["networks"]))["searched_families"])
    headers = ["network", "tensors", "4 Gaussian families (s)", "of which T0 (s)"]
    headers += [f"{f} alone (s)" for f in searched]
    headers += ["cotengra Hyper (s)", "cotengra exact (s)", "T0 ops vs exact", "Hyper ops vs T0"]
    rows = []
    for r in result["networks"]:
        excess = r.get("t0_excess_over_exact")
        rows.append(
            [r["network"], r["tensors"], _seconds(r["gaussian_families_seconds"]), _seconds(r["t0_search_seconds"])]
            + [_limited(r["searched_families"][f]) for f in searched]
            + [_seconds(r["hyper_seconds"]), _limited(r["exact"]),
               _excess(excess),
               _relative(int(r["hyper_ops"]), int(r["t0_ops"]))]
        )
    cli = result["cli"]
    cli_rows = []
    for key in ("four_families", "default_families", "import_only"):
        if key not in cli:
            continue
        e = cli[key]
        command = e["command"]
        verdict = "yes" if e["target_met"] else "no"
        if key == "import_only":
            command = 'python -c "import tncost.cli"'
            verdict = "(start-up only)"
        cli_rows.append([
            f"`{command}`",
            f"{e['median_seconds']:.2f}" if e.get("finished") else f"> {e['timeout_seconds']:.0f}",
            f"{min(e['seconds']):.2f} to {max(e['seconds']):.2f}" if len(e.get("seconds", [])) > 1 else "-",
            len(e.get("seconds", [])),
            verdict,
        ])
    return (
        _table(headers, rows)
        + "\n\n"
        + _table(["command", "median wall time (s)", "range (s)", "runs", f"under {cli['target_seconds']:.0f} s"], cli_rows)
    )


def prediction(result: dict) -> str:
    families = list(dict.fromkeys(r["family"] for r in result["rows"]))
    headers = ["case", "sizes", "m"] + families
    groups: dict = {}
    for r in result["rows"]:
        groups.setdefault((r["case"], r["m"]), []).append(r)
    rows = []
    for (case, m), entries in groups.items():
        sizes = ", ".join(f"{k}={v}" for k, v in entries[0]["sizes"].items())
        cells = {}
        for r in entries:
            if "skipped" in r:
                cells[r["family"]] = f"{r['predicted_ops']} (skipped)"
            else:
                same = r["ops_equal"] and r["steps_equal"] and r["opt_einsum_equal"]
                cells[r["family"]] = f"{r['predicted_ops']} " + ("(equal)" if same else f"(executed {r['executed_ops']})")
        rows.append([case, sizes, m] + [cells.get(f, "-") for f in families])
    s = result["summary"]
    return (
        _table(headers, rows)
        + f"\n\nEach cell: predicted ops; (equal) means executed ops = predicted ops in total and step by step, "
        f"and opt_einsum's count of the same path = tncost's opt_einsum conversion. {s['executed']} of {s['plans']} "
        f"plans executed; all equal: {'yes' if s['all_ops_equal'] and s['all_opt_einsum_equal'] else 'no'}."
    )


def efficiency(result: dict) -> str:
    headers = ["case", "m", "family", "GFLOP", "plan GFLOP/s", "steps only GFLOP/s", "GEMM n", "GEMM GFLOP/s", "ratio", "≥ 0.5", "same-shape products GFLOP/s", "plan / same-shape"]
    rows = []
    for r in result["rows"]:
        if "skipped" in r:
            rows.append([r["case"], r["m"], r["family"], "-", "skipped: " + r["skipped"], "", "", "", "", "", "", ""])
            continue
        rows.append([
            r["case"], r["m"], r["family"], f"{r['flops'] / 1e9:.3g}", f"{r['plan_gflops']:.2f}",
            f"{r['plan_gflops_steps_only']:.2f}", r["gemm_n"], f"{r['gemm_gflops']:.2f}", f"{r['ratio']:.2f}",
            "yes" if r["target_met"] else "no",
            f"{r['same_shape_gflops']:.2f}" if "same_shape_gflops" in r else "-",
            f"{r['ratio_to_same_shape']:.2f}" if "ratio_to_same_shape" in r else "-",
        ])
    return _table(headers, rows)


KINDS = ("matrix-matrix", "matrix-vector", "batched product", "outer or elementwise product")


def _measured(result: dict) -> list[dict]:
    return [r for r in result["rows"] if "skipped" not in r]


def efficiency_grid(result: dict) -> str:
    """Ratio to GEMM of every plan, one row per case, with the count of plans that meet the target."""
    families = list(dict.fromkeys(r["family"] for r in result["rows"]))
    target = result["settings"]["target_ratio"]
    groups: dict = {}
    for r in result["rows"]:
        groups.setdefault((r["case"], r["m"]), {})[r["family"]] = r
    rows = []
    for (case, m), entries in groups.items():
        cells = []
        for f in families:
            r = entries.get(f)
            if r is None:
                cells.append("-")
            elif "skipped" in r:
                cells.append("skipped")
            else:
                cells.append(f"{r['ratio']:.2f} " + ("yes" if r["target_met"] else "no"))
        rows.append([case, m] + cells)
    measured = _measured(result)
    met = sum(r["target_met"] for r in measured)
    return (
        _table(["case", "m"] + families, rows)
        + f"\n\nEach cell: plan GFLOP/s ÷ GEMM GFLOP/s, and whether it is ≥ {target}. "
        f"Target met by {met} of {len(measured)} measured plans ({len(result['rows']) - len(measured)} skipped). "
        f"The GEMM reference ran at {min(r['gemm_gflops'] for r in measured):.2f} to {max(r['gemm_gflops'] for r in measured):.2f} GFLOP/s; "
        "beside the plans that meet the target it ran at: "
        + ", ".join(f"{r['case']} {r['family']} {r['gemm_gflops']:.2f}" for r in measured if r["target_met"])
        + "."
    )


def _dims(step: dict) -> str:
    d = step["gemm_dims"]
    core = f"{d['M']}×{d['K']} · {d['K']}×{d['N']}"
    return core if d["batch"] == 1 else f"{d['batch']} × ({core})"


def efficiency_steps(result: dict) -> str:
    """Split the wall time of each plan below the target by kind of step, with each kind's GFLOP/s."""
    headers = ["case", "family", "ratio", "plan time (ms)", "steps", "outside steps"]
    headers += [f"{k}: share, GFLOP/s" for k in KINDS]
    headers += ["slowest step: share, batch × (M×K · K×N), GFLOP/s"]
    rows = []
    for r in _measured(result):
        if r["target_met"]:
            continue
        wall = r["plan_seconds"]
        cells = []
        for kind in KINDS:
            steps = [s for s in r["steps"] if s["kind"] == kind]
            seconds = sum(s["seconds"] for s in steps)
            flops = sum(s["flops"] for s in steps)
            cells.append(f"{seconds / wall:.0%}, {flops / seconds / 1e9:.1f}" if steps and seconds > 0 else "-")
        outside = max(0.0, wall - sum(s["seconds"] for s in r["steps"])) / wall
        slowest = max(r["steps"], key=lambda s: s["seconds"])
        rows.append(
            [r["case"], r["family"], f"{r['ratio']:.2f}", f"{wall * 1e3:.2f}", len(r["steps"]), f"{outside:.0%}"]
            + cells
            + [f"{slowest['seconds'] / wall:.0%}, {_dims(slowest)}, {slowest['gflops']:.1f}"]
        )
    return _table(headers, rows)


def memory(result: dict) -> str:
    headers = ["case", "m", "family", "predicted live peak (MB)", "measured peak (MB)", "ratio", "≤ 1.5", "largest copy inside a step (MB)", "peak step"]
    rows = []
    for r in result["rows"]:
        if "skipped" in r:
            rows.append([r["case"], r["m"], r["family"], f"{r['predicted_bytes'] / 1e6:.1f}", "skipped", "", "", "", ""])
            continue
        step = r.get("peak_step") or {}
        shapes = f"{tuple(step['shapes'][0])} · {tuple(step['shapes'][1])}" if step else "-"
        rows.append([
            r["case"], r["m"], r["family"], f"{r['predicted_bytes'] / 1e6:.2f}", f"{r['measured_bytes'] / 1e6:.2f}",
            f"{r['ratio']:.2f}", "yes" if r["target_met"] else "no", f"{r['largest_transient_bytes'] / 1e6:.2f}",
            f"{step.get('number', '-')}: {shapes}",
        ])
    measured = _measured(result)
    met = sum(r["target_met"] for r in measured)
    return _table(headers, rows) + (
        f"\n\nTarget met by {met} of {len(measured)} measured plans ({len(result['rows']) - len(measured)} skipped); "
        "ratios of the others: " + (", ".join(f"{r['ratio']:.2f}" for r in measured if not r["target_met"]) or "none") + "."
    )


def memory_copies(result: dict, threshold: float = 1.2) -> str:
    """For plans whose measured peak exceeds `threshold` × predicted: the step with the largest temporary copy and its operand sizes."""
    headers = ["case", "family", "ratio", "step", "operands", "operand sizes (MB)", "copy inside the step (MB)"]
    rows = []
    for r in _measured(result):
        if r["ratio"] <= threshold or not r.get("steps"):
            continue
        number, step = max(enumerate(r["steps"], start=1), key=lambda item: item[1]["transient_bytes"])
        sizes = [8 * _product(shape) / 1e6 for shape in step["shapes"]]
        rows.append([
            r["case"], r["family"], f"{r['ratio']:.2f}", number,
            " · ".join(str(tuple(shape)) for shape in step["shapes"]),
            ", ".join(f"{v:.2f}" for v in sizes), f"{step['transient_bytes'] / 1e6:.2f}",
        ])
    return _table(headers, rows) + f"\n\nPlans with a ratio above {threshold}; sizes are float64."


def _product(shape: list[int]) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def symbolic_search(result: dict) -> str:
    """Median over seeds of the symbolic search against numeric exact searches, and the fast polynomials against sympy."""
    by_size: dict = {}
    for r in result["searches"]:
        by_size.setdefault(r["tensors"], []).append(r)
    rows = []
    for n, entries in sorted(by_size.items()):
        symbolic = _median([e["symbolic_s"] for e in entries])
        exact = _median([e["cotengra_optimal_s"] for e in entries])
        rows.append([
            n, len(entries), f"{symbolic:.3f}", f"{exact:.3f}", f"{_median([e['tncost_dp_s'] for e in entries]):.4f}",
            f"{symbolic / exact:.0f}×", max(e["candidates"] for e in entries), max(e["largest_front"] for e in entries),
        ])
    point = ", ".join(f"{k} = {v}" for k, v in result["point"].items())
    first = _table(
        ["tensors", "seeds", "symbolic search (s)", "cotengra exact at a point (s)", "tncost dp at a point (s)",
         "symbolic ÷ cotengra", "candidates (max)", "largest front (max)"],
        rows,
    ) + f"\n\nRegime `{result['regime']}`; the numeric searches run at {point}. Times are medians over the seeds."
    by_size = {}
    for r in result["polynomials"]:
        by_size.setdefault(r["tensors"], []).append(r)
    rows = []
    for n, entries in sorted(by_size.items()):
        rows.append([
            n, len(entries), f"{_median([e['fast_s'] for e in entries]):.3f}", f"{_median([e['sympy_s'] for e in entries]):.2f}",
            f"{min(e['speedup'] for e in entries):.0f}×", f"{_median([e['speedup'] for e in entries]):.0f}×",
            "yes" if all(e["same_costs"] for e in entries) else "no",
        ])
    speedups = [e["speedup"] for e in result["polynomials"]]
    second = _table(
        ["tensors", "seeds", "fast polynomials (s)", "sympy (s)", "smallest speedup", "median speedup", "same costs"], rows
    ) + (
        f"\n\nSmallest speedup over all {len(speedups)} runs: {min(speedups):.1f}×; "
        f"at least 20× in every run: {'yes' if min(speedups) >= 20 else 'no'}."
    )
    return first + "\n\n" + second


def _ms22_cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    if entry.get("seconds") is None:
        return f"> {entry['timeout']:.0f}"
    return f"{entry['seconds']:.2f}"


def ms22_speed(result: dict) -> str:
    """Planning time of ms22, best_t0 and all six families, before and after, from ms22_speed.json."""
    runs = result["runs"]
    labels = list(runs)
    cases = [c["case"] for c in runs[labels[-1]]["cases"]]
    index = {label: {c["case"]: c for c in run["cases"]} for label, run in runs.items()}
    headers = ["structure"]
    for part in ("ms22", "best_t0", "all six"):
        headers += [f"{part} {label} (s)" for label in labels]
    headers += ["same m, k, cost"]
    rows = []
    for case in cases:
        row = [case]
        for part in ("ms22", "best_t0"):
            row += [_ms22_cell(index[label].get(case, {}).get(part)) for label in labels]
        for label in labels:
            c = index[label].get(case, {})
            seconds = c.get("all_families_seconds")
            row.append(f"{seconds:.2f}" if seconds is not None else f"> {runs[label]['timeout_seconds']:.0f}")
        compared = []
        for part in ("ms22", "best_t0"):
            answers = [index[label].get(case, {}).get(part) or {} for label in labels]
            answers = [(a.get("m"), a.get("k"), a.get("cost")) for a in answers if a.get("seconds") is not None]
            if len(answers) > 1:
                compared.append(all(a == answers[0] for a in answers))
        row.append(("yes" if all(compared) else "no") if compared else "(only one run finished)")
        rows.append(row)
    lines = [f"- {label}: `{run['command']}`; {machine_line(run)}" for label, run in runs.items()]
    return "\n".join(lines) + "\n\n" + _table(headers, rows) + (
        "\n\n\"> N\": stopped after N s. The last column compares the m, k and plan cost of ms22 and best_t0 where both runs finished."
    )


def _fraction(value: dict) -> str:
    return f"{value['exact']} ≈ {value['float']:.4f}"


def bound_bruteforce(result: dict) -> str:
    from fractions import Fraction

    rows = []
    for c in result["cases"]:
        rows.append([
            c["case"], c["m"], c["constant"], c["max_tensors"], c["trees"], c["embeddings"], c["pairs"],
            _fraction(c["smallest_ratio"]), _fraction(c["best_plan_largest_ratio"]),
            f"{c['khatri_rao_smallest_ratio']['float']:.4f}", len(c["violations"]),
        ])
    allowed = 1 / max(Fraction(c["constant"]) for c in result["cases"])
    return (
        f"Over all {result['pairs']} (T0, embedding) plans: {result['violations']} violations; smallest cost/LB "
        f"{_fraction(result['smallest_ratio'])} (the largest constant, {1 / allowed}, allows {allowed} ≈ {float(allowed):.4f}); "
        f"best-plan largest cost/LB {_fraction(result['best_plan_largest_ratio'])}.\n\n"
        + _table(
            ["case", "m", "constant", "tensors ≤", "data trees", "sequence embeddings", "plans", "smallest cost/LB",
             "best-plan largest", "Khatri–Rao smallest", "violations"],
            rows,
        )
    )


def claims(result: dict) -> str:
    """Headline figures of the three published claims; docs/theory.md has the full tables (python benchmarks/claims.py --render)."""
    c1 = result["claim1"]
    rule = c1["rule"]
    lines = [
        f"- Claim 1 (ε = {c1['eps']}, δ = {c1['delta']}): MS22's rule gives m/N from "
        f"{rule[0]['ms22']['m_over_N']['float']:.2f} at N = {rule[0]['N']} to {rule[-1]['ms22']['m_over_N']['float']:.2f} at N = {rule[-1]['N']}. "
        "Slope of ln(measured m) against N: "
        + ", ".join(f"{f} {v:.3f}" for f, v in c1["slope_ln_m_per_N"].items())
        + f" (ln 3 = {c1['ln3']:.3f})."
    ]
    for family, entries in c1["measured"].items():
        lines.append(
            f"  Measured m for {family}: {entries[0]['m']} at N = {entries[0]['N']} to {entries[-1]['m']} at N = {entries[-1]['N']}."
        )
    c2 = result["claim2"]
    candidates = []
    for sweep in ("s256", "s1024"):
        for name, entry in c2[sweep].items():
            candidates.append((entry["c"], f"{name}, s = {entry['sizes'].get('s')}, m = {entry['c_at']}"))
    for name, entry in c2["diagonal"].items():
        best = max(entry["rows"], key=lambda row: row["ratio_over_sqrt_m"])
        candidates.append((best["ratio_over_sqrt_m"], f"{name}, s = m = {best['m']}"))
    c, where = max(candidates)
    lines.append(f"- Claim 2: largest cost/LB ÷ √m over every sweep: {c:.3f} ({where}).")
    sweep = result["claim3"]["sweep"]
    for name, by_alpha in sweep.items():
        parts = ", ".join(
            f"α = {alpha}: slope {entry['slope']:.3f}, largest ratio {entry['largest_ratio']['float']:.2f}"
            for alpha, entry in by_alpha.items()
        )
        lines.append(f"- Claim 3, {name} (s = ⌈m^α⌉): {parts}.")
    checks = result["claim3"].get("kronecker_formula_check", [])
    if checks:
        agree = all(k["cost"] == k["formula_cost"] and k["lower_bound"] == k["formula_lb"] for k in checks)
        lines.append(f"- Kronecker cost and LB formulas against the code: {len(checks)} points, all equal: {'yes' if agree else 'no'}.")
    return "\n".join(lines)


def piecewise(result: dict) -> str:
    """MS22 and best_t0 under regimes: leading cost per region and whether cost / LB is bounded."""
    rows = []
    for case in result["cases"]:
        for family in ("ms22", "best_t0"):
            entry = case[family]
            for region in entry["regions"]:
                bounded = region.get("ratio_to_lower_bound_bounded")
                rows.append([
                    case["structure"], f"`{case['regime']}`", family,
                    " and ".join(region["inequalities"]) or "whole regime",
                    f"`{region['leading_cost']}`", f"`{case['lower_bound_leading']}`",
                    "-" if bounded is None else ("yes" if bounded else "no"),
                    f"{entry['pieces']} / {entry['samples']}", f"{entry['seconds']:.2f}",
                ])
    return _table(
        ["structure", "regime", "family", "region", "leading cost", "leading LB", "cost / LB bounded",
         "pieces / samples", "seconds"],
        rows,
    )


def _script_renderer(script: str):
    """Return a renderer that calls ``render_markdown`` of the benchmark script ``script``.py."""

    def render(result: dict) -> str:
        import importlib

        return importlib.import_module(script).render_markdown(result)

    render.__name__ = f"{script}_tables"
    return render


def _load(name: str) -> dict | None:
    path = _common.RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def summary(_: dict | None = None) -> str:
    """The Summary table of docs/benchmarks.md, from every result file that has a target."""
    rows = []
    latency = _load("analysis_latency")
    if latency:
        cli = latency["cli"]
        four, default = cli["four_families"], cli["default_families"]
        target = cli["target_seconds"]

        def verdict(entry: dict) -> str:
            return f"{'yes' if entry['target_met'] else 'no'} ({entry['median_seconds']:.2f} s, {len(entry['seconds'])} run{'s' if len(entry['seconds']) > 1 else ''})"

        rows.append([
            "Analysis latency", f"`tncost analyze tt:N=32 --sketch all` in under {target:.0f} s",
            f"default six families: {verdict(default)}; four Gaussian families: {verdict(four)}",
        ])
    prediction_result = _load("prediction")
    if prediction_result:
        s = prediction_result["summary"]
        equal = s["all_ops_equal"] and s["all_opt_einsum_equal"]
        rows.append([
            "Prediction", "executed ops = predicted ops, for every family",
            f"{'yes' if equal else 'no'}: {s['executed']} of {s['plans']} plans executed, "
            f"{'all' if equal else 'not all'} equal in total and step by step",
        ])
    parts = []
    for name, label in (("efficiency-threads-1", "one BLAS thread"), ("efficiency", "default threads")):
        r = _load(name)
        if r:
            measured = _measured(r)
            parts.append(f"{sum(x['target_met'] for x in measured)} of {len(measured)} plans with {label}")
    if parts:
        rows.append(["Execution efficiency", "plan GFLOP/s ≥ 0.5 × numpy GEMM GFLOP/s", "met by " + "; ".join(parts) + " (see section 3)"])
    mem = _load("memory")
    if mem:
        measured = _measured(mem)
        misses = [x for x in measured if not x["target_met"]]
        rows.append([
            "Memory", "measured peak ≤ 1.5 × predicted live peak",
            f"met by {len(measured) - len(misses)} of {len(measured)} plans; not met by {len(misses)} "
            + "(" + ", ".join(f"{x['case']} {x['family']} {x['ratio']:.2f}" for x in misses) + ")",
        ])
    sym = _load("symbolic_search")
    if sym:
        speedups = [e["speedup"] for e in sym["polynomials"]]
        rows.append([
            "Symbolic search polynomials", "fast polynomials ≥ 20 × faster than sympy",
            f"{'yes' if min(speedups) >= 20 else 'no'}: {min(speedups):.0f}× to {max(speedups):.0f}× over {len(speedups)} runs, same costs in "
            f"{sum(e['same_costs'] for e in sym['polynomials'])} of {len(speedups)}",
        ])
    bound = _load("bound_bruteforce")
    if bound:
        rows.append([
            "Lower bound, brute force", "no plan costs less than LB / constant",
            f"{'yes' if bound['violations'] == 0 else 'no'}: {bound['violations']} violations in {bound['pairs']} plans; "
            f"smallest cost/LB {bound['smallest_ratio']['exact']}",
        ])
    loads = []
    for name in DEFAULT_NAMES:
        r = _load(name)
        if not r:
            continue
        machines = [run["machine"] for run in r["runs"].values()] if "runs" in r else [r.get("machine")]
        loads += [m["load_average_at_start"][0] for m in machines if isinstance(m, dict) and m.get("load_average_at_start")]
    note = f"\n\nLoad average at the start of the runs that record it: {min(loads):.1f} to {max(loads):.1f}." if loads else ""
    return _table(["benchmark", "target", "met?"], rows) + note


DEFAULT_NAMES = (
    "analysis_latency", "prediction", "efficiency-threads-1", "efficiency", "memory",
    "symbolic_search", "ms22_speed", "bound_bruteforce", "claims", "piecewise", "tt_rounding",
    "cp_als", "tucker",
)

RENDERERS = {
    "analysis_latency": [analysis_latency],
    "prediction": [prediction],
    "efficiency": [efficiency_grid, efficiency, efficiency_steps],
    "efficiency-threads-1": [efficiency_grid, efficiency, efficiency_steps],
    "memory": [memory, memory_copies],
    "symbolic_search": [symbolic_search],
    "ms22_speed": [ms22_speed],
    "bound_bruteforce": [bound_bruteforce],
    "claims": [claims],
    "piecewise": [piecewise],
    "tt_rounding": [_script_renderer("tt_rounding")],
    "cp_als": [lambda result: _script_renderer("cp_als")({**result, "claim": _load("cp_claim")})],
    "tucker": [_script_renderer("tucker")],
}


def main() -> None:
    names = sys.argv[1:] or ["summary", *DEFAULT_NAMES]
    for name in names:
        if name == "summary":
            print(f"### summary\n\n{summary()}\n")
            continue
        result = _load(name)
        if result is None:
            print(f"### {name}\n\n(no result file {name}.json; run the benchmark first)\n")
            continue
        renderers = RENDERERS.get(name) or RENDERERS[result["benchmark"]]
        header = f"### {name}\n\n"
        if "command" in result:
            header += f"Command: `{result['command']}`\n\n"
        if name != "ms22_speed":  # its two runs carry their own machine descriptions
            header += machine_line(result) + "\n\n"
        print(header, end="")
        for render in renderers:
            print(render(result) + "\n")


if __name__ == "__main__":
    main()
