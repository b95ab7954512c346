"""Write a report folder: ``report.md``, a self-contained ``report.html``, ``data.json`` and PNG plots.

:func:`write_report` plans nothing itself: it takes a plan from
:func:`~tncost.planner.plan_sketch` (or :func:`~tncost.planner.plan_contraction`),
optionally executes it with :func:`~tncost.runs.run_plan`, computes the
comparison sweeps of :mod:`.sweeps`, draws the plots of :mod:`.plots`, and
writes everything into a temporary folder beside ``out`` that is renamed into
place at the end. An interrupted or failed run (including SIGINT) removes the
temporary folder, so ``out`` contains either the previous report or the new one,
never part of one.

Files written:

* ``data.json``: the same data as ``tncost run --format json`` (or
  ``tncost analyze --format json`` when nothing is executed);
* ``plots.json``: the numbers behind every plot (sweeps, grid, distortion ratios);
* ``report.md`` and ``report.html``: the same content; the HTML embeds its
  images as base64 data URIs and loads no script, style sheet or font;
* one PNG per plot.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sympy

from ..errors import SpecError, TncostError
from ..planner import CHOSEN_RULE, ContractionPlan, SketchPlan
from . import plots, sweeps

__all__ = ["Report", "write_report", "leading_term", "render_markdown", "render_html", "REPORT_FILES"]

#: The files every report folder contains, besides its PNG plots.
REPORT_FILES = ("report.md", "report.html", "data.json", "plots.json")

_MARKER = ".tncost-report"


# Content blocks ------------------------------------------------------------------------


@dataclass
class Report:
    """A report's content as blocks, its figures and the data behind them.

    Each block is a tuple whose first item names its kind: ``("heading", level,
    text)``, ``("text", text)``, ``("code", text)``, ``("formula", expression)``,
    ``("table", headers, rows)``, ``("list", items)`` or ``("image", file name,
    caption)``.
    """

    title: str
    blocks: list[tuple] = field(default_factory=list)
    figures: dict[str, Callable[[], tuple]] = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    plot_data: dict = field(default_factory=dict)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def formula(self, expression: object) -> None:
        self.blocks.append(("formula", expression))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.blocks.append(("table", list(headers), [[str(c) for c in row] for row in rows]))

    def items(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("list", list(items)))

    def image(self, name: str, caption: str, draw: Callable[[], tuple]) -> None:
        """Add the plot ``name`` (a PNG file name), drawn by ``draw()`` when the report is written."""
        self.figures[name] = draw
        self.blocks.append(("image", name, caption))


def leading_term(cost: object, point: Mapping[str, int]) -> str:
    """Return the term of an exact cost polynomial that is largest at ``point``.

    An int cost is returned as it is. For a sympy polynomial, each term of the
    expanded sum is evaluated at ``point`` (symbol name to value) and the
    largest is returned as text.

    Examples
    --------
    >>> s, m = sympy.symbols("s m", positive=True, integer=True)
    >>> leading_term(m**2 + 4*m*s, {"s": 64, "m": 8})
    '4*m*s'
    >>> leading_term(144, {})
    '144'
    """
    if isinstance(cost, int):
        return str(cost)
    expression = sympy.expand(sympy.sympify(cost))
    terms = sympy.Add.make_args(expression)
    values = {sym: sympy.Integer(point[sym.name]) for sym in expression.free_symbols if sym.name in point}

    def value(term: sympy.Expr) -> object:
        evaluated = term.xreplace(values)
        return evaluated if evaluated.is_number else 0

    return str(max(terms, key=value))


def _formula_text(expression: object) -> str:
    """Return a multi-line Unicode rendering of a sympy expression, or its text when it is not one."""
    try:
        parsed = sympy.sympify(expression) if isinstance(expression, str) else expression
        return sympy.pretty(parsed, use_unicode=True, wrap_line=True, num_columns=100)
    except (sympy.SympifyError, TypeError, ValueError):
        return str(expression)


# Renderers -----------------------------------------------------------------------------


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """Render a report as Markdown; images are referenced by their PNG file names."""
    lines = [f"# {report.title}", ""]
    for block in report.blocks:
        kind = block[0]
        if kind == "heading":
            lines += ["#" * block[1] + " " + block[2], ""]
        elif kind == "text":
            lines += [block[1], ""]
        elif kind == "code":
            lines += ["```", block[1], "```", ""]
        elif kind == "formula":
            lines += ["```", _formula_text(block[1]), "```", "", f"`{block[1]}`", ""]
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines.append("| " + " | ".join(_markdown_cell(h) for h in headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in rows]
            lines.append("")
        elif kind == "list":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "image":
            lines += [f"![{block[2]}]({block[1]})", "", f"*{block[2]}*", ""]
    return "\n".join(lines).rstrip() + "\n"


_STYLE = """
body { font-family: sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
pre { background: #f7f7f7; padding: 0.5rem; overflow-x: auto; font-size: 0.85rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-style: italic; color: #555; }
"""


def render_html(report: Report, images: Mapping[str, bytes]) -> str:
    """Render a self-contained HTML page; ``images`` maps each PNG file name to its bytes."""
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # The page loads nothing from anywhere: images are data URIs, the style is inline.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{escape(report.title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    for block in report.blocks:
        kind = block[0]
        if kind == "heading":
            level = min(6, max(2, block[1]))
            parts.append(f"<h{level}>{escape(block[2])}</h{level}>")
        elif kind == "text":
            parts.append(f"<p>{escape(block[1])}</p>")
        elif kind == "code":
            parts.append(f"<pre><code>{escape(block[1])}</code></pre>")
        elif kind == "formula":
            parts.append(f'<pre class="formula" title="{escape(str(block[1]))}">{escape(_formula_text(block[1]))}</pre>')
        elif kind == "table":
            parts.append("<table>")
            parts.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in block[1]) + "</tr>")
            for row in block[2]:
                parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
            parts.append("</table>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "image":
            encoded = base64.b64encode(images[block[1]]).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(block[2])}" '
                f'data-file="{escape(block[1])}"><figcaption>{escape(block[2])}</figcaption></figure>'
            )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# Content ------------------------------------------------------------------------------


def _point_text(point: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items()) or "its numeric sizes"


def _network_section(report: Report, plan: SketchPlan | ContractionPlan) -> None:
    network = plan.network
    report.heading("Network")
    report.text(
        f"{network.name or 'Unnamed network'}: {len(network.tensors)} tensors, "
        f"analyzed at {_point_text(plan.point)}"
        + ("" if plan.sizes_given else " (a default sample of the symbols, because no sizes were given)")
        + "."
    )
    report.table(
        ["tensor", "indices", "shape"],
        [[t.name, ", ".join(t.indices), " × ".join(str(network.size_dict[i]) for i in t.indices)] for t in network.tensors],
    )
    report.items([
        f"sketched indices (E1): {', '.join(network.sketched) or 'none'}",
        f"kept indices (E2): {', '.join(network.kept) or 'none'}",
        "index sizes: " + ", ".join(f"{i}={s}" for i, s in network.size_dict.items()),
    ])
    report.image("network.png", "The data network: sketched indices red, kept indices green, inner bonds grey.",
                 lambda: plots.plot_network(network))


def _family_rows(plan: SketchPlan, executed: Mapping[str, Mapping]) -> list[list[object]]:
    asymptotics = (plan.asymptotics or {}).get("families", {})
    rows = []
    for family in plan.families:
        point = {**plan.point, "m": family.m}
        regime_leading = asymptotics.get(family.family, {}).get("leading_cost")
        leading = regime_leading if regime_leading is not None else leading_term(family.cost, point)
        ratio = family.ratio_to_lower_bound
        ratio_text = "-" if ratio is None else f"{float(ratio):.3g} ({ratio})"
        sequence = "yes" if family.sequence.ok else f"no: {family.sequence.reason or 'no witness order'}"
        entry = executed.get(family.family, {})
        if "skipped" in entry:
            status = "skipped: " + entry["skipped"]
        elif "executed_ops" in entry:
            status = "executed"
        else:
            status = "not run"
        rows.append([
            ("* " if family.family == plan.chosen else "") + family.family,
            family.m,
            str(family.cost),
            leading,
            f"{family.cost_at_point:,}",
            ratio_text,
            sequence,
            status,
        ])
    return rows


def _sketch_section(report: Report, plan: SketchPlan, executed: Mapping[str, Mapping]) -> None:
    report.heading("Sketch sizes")
    report.text(f"Comparison: {plan.comparison}; ε = {plan.eps}, δ = {plan.delta}, C = {plan.constant}.")
    report.table(
        ["family", "m", "k", "rule"],
        [[f.family, f.m, "-" if f.k is None else f.k, f.sketch_size_rule] for f in plan.families],
    )

    report.heading("Cost per family")
    leading_source = (
        f"leading cost under the regime {plan.asymptotics.get('regime')}" if plan.asymptotics
        else "leading term: the term of the exact cost that is largest at the point"
    )
    report.text(
        "Exact cost in ops (products of index sizes, summed over the steps of the T0-consistent order); "
        f"{leading_source}; ops / LB uses the lower bound at each family's own m. "
        "The chosen family is marked with *."
    )
    report.table(
        ["family", "m", "exact cost (ops)", "leading", "ops at point", "ops / LB", "sequence condition", "execution"],
        _family_rows(plan, executed),
    )
    if plan.asymptotics and plan.asymptotics.get("ranking"):
        report.text("Ranking under the regime (cheapest first): "
                    + " < ".join(" = ".join(group) for group in plan.asymptotics["ranking"]))
    notes = [f"{f.family}: {note}" for f in plan.families for note in f.notes] + list(plan.notes)
    report.items(notes)


def _bound_section(report: Report, plan: SketchPlan) -> None:
    report.heading("Lower bound")
    bound = plan.lower_bound
    if bound is None:
        report.text("No lower bound for this plan: " + "; ".join(plan.notes))
        return
    report.text(
        f"LB for the data tree T0 = {plan.to_dict()['data_tree']} at m = {bound.m}. "
        f"Every T0-consistent plan whose embedding satisfies the sequence condition costs at least "
        f"LB / {bound.constant}."
    )
    report.formula(bound.total)
    undefined = plan.lower_bound_not_applicable()
    if undefined:
        report.text("At the numeric point the bound does not apply: " + "; ".join(undefined))
    rows = []
    for term in bound.terms:
        value = "-"
        if undefined:
            pass  # values at a point where the bound's assumptions fail would read as a bound
        elif plan.fixed_m is not None or isinstance(bound.m, int):
            try:
                value = f"{term.at({**plan.point, 'm': int(plan.fixed_m or bound.m)}):,}"
            except (TncostError, TypeError, ValueError):
                value = "-"
        rows.append([term.kind, ", ".join(term.owner), str(term.expression), value])
    report.table(["kind", "node / index / tensor", "expression", "value at the point"], rows)
    if bound.assumptions:
        report.items([f"assumes {a}" for a in bound.assumptions])


def _chosen_section(report: Report, plan: SketchPlan) -> None:
    chosen = plan.family(plan.chosen)
    report.heading("Chosen plan")
    report.text(f"Chosen: {plan.chosen}, with {chosen.cost_at_point:,} ops at {_point_text(plan.point)} (m = {chosen.m}). "
                f"Rule: {CHOSEN_RULE}.")
    report.text(f"Order search: {chosen.search}.")
    numeric = chosen.numeric_joint()
    report.image("joint.png", f"The data network with the {plan.chosen} embedding (orange tensors).",
                 lambda: plots.plot_network(chosen.joint, title=f"data and {plan.chosen} embedding"))
    report.image("tree.png", f"The {plan.chosen} contraction tree with the exact ops of each step at the point.",
                 lambda: plots.plot_tree(numeric, chosen.tree, title=f"{plan.chosen}: {chosen.cost_at_point:,} ops"))


def _runs_section(report: Report, plan: SketchPlan, data: Mapping, ratios: Mapping[str, list[float]]) -> None:
    runs = data["runs"]
    report.heading("Measured results")
    report.text(f"Executed on Gaussian data drawn from seed {data.get('seed')}; one timed execution per family.")
    rows = []
    skipped = []
    for entry in runs:
        if "skipped" in entry:
            rows.append([entry["family"], entry["m"], f"{entry['predicted_ops']:,}", "skipped", "-", "-", "-"])
            skipped.append(f"{entry['family']}: {entry['skipped']}")
            continue
        distortion = entry.get("distortion")
        spread = "-" if not distortion else (
            f"{distortion['mean']:.3f} ± {distortion['std']:.3f}, {distortion['fraction_outside']:.0%} outside 1 ± {distortion['eps']}"
        )
        rows.append([
            entry["family"], entry["m"], f"{entry['predicted_ops']:,}", f"{entry['executed_ops']:,}",
            "yes" if entry["ops_match"] else "NO", f"{entry['seconds'] * 1e3:.3f} ms", spread,
        ])
    report.table(["family", "m", "predicted ops", "executed ops", "equal", "time", "distortion ‖Sx‖²/‖x‖²"], rows)
    if skipped:
        report.text("Skipped families (analyzed above, too large to execute here):")
        report.items(skipped)
    if any("skipped" not in e for e in runs):
        report.image("predicted_executed.png", "Executed against predicted ops: every point on the line means the count was exact.",
                     lambda: plots.plot_predicted_executed(runs))
        report.image("time_ops.png", "Measured time of one execution against its ops.", lambda: plots.plot_time_ops(runs))
    if ratios:
        report.image("distortion.png", f"Distortion over {max(len(r) for r in ratios.values())} seeded trials per family, "
                     f"against the band 1 ± ε.", lambda: plots.plot_distortion(ratios, plan.eps))


def _sweep_section(report: Report, plan: SketchPlan, families: Sequence[str], data_tree: object) -> None:
    network = plan.network
    point = dict(plan.point)
    symbol = sweeps.sweep_symbol(network)
    report.heading("Comparisons")
    if symbol is not None:
        values = sweeps.scaled_values(point[symbol], low=max(2, plan.fixed_m or 2))
        cost = sweeps.cost_sweep(network, symbol, values, point, eps=plan.eps, delta=plan.delta, m=plan.fixed_m,
                                 families=families, data_tree=data_tree, constant=plan.constant)
        report.plot_data["cost_sweep"] = cost
        report.image("cost_sweep.png", f"Ops of each family and the lower bound against {symbol} (other sizes fixed), "
                     "each point planned afresh.", lambda: plots.plot_cost_sweep(cost))
    limit = _sketch_limit(plan)
    if limit is not None and limit >= 2:
        m_values = [2**k for k in range(1, 11) if 2**k <= limit][-6:]
        ratio = sweeps.ratio_sweep(network, m_values, point, families=families, data_tree=data_tree)
        report.plot_data["ratio_sweep"] = ratio
        report.image("ratio_m.png", "Cost / lower bound against a shared sketch size m.", lambda: plots.plot_ratio_sweep(ratio))
    axes = sweeps.regime_axes(network, plan.fixed_m)
    if axes is None:
        report.text("No regime map: it needs two sizes to vary (two size symbols, or one and a fixed --m).")
        return
    x_symbol, y_symbol, _ = axes
    x_center = plan.fixed_m if x_symbol == "m" else point[x_symbol]
    y_center = plan.fixed_m if y_symbol == "m" else point[y_symbol]
    x_values = sweeps.scaled_values(int(x_center), steps=(-1, 0, 1, 2), low=2)
    y_values = sweeps.scaled_values(int(y_center), steps=(-1, 0, 1, 2), low=2 if y_symbol == "m" else 1)
    grid = sweeps.regime_grid(network, x_symbol, x_values, y_symbol, y_values, point, eps=plan.eps, delta=plan.delta,
                              m=plan.fixed_m, families=families, data_tree=data_tree, constant=plan.constant)
    report.plot_data["regime_map"] = grid
    report.image("regime_map.png", f"Family chosen over a grid of {x_symbol} and {y_symbol}.", lambda: plots.plot_regime_map(grid))


def _sketch_limit(plan: SketchPlan) -> int | None:
    """Return the largest m the lower bound allows at the point: the smallest sketched index size."""
    sizes = []
    for index in plan.network.sketched:
        size = plan.network.size_dict[index]
        if not isinstance(size, int):
            size = int(size.xreplace({s: plan.point[s.name] for s in size.free_symbols}))
        sizes.append(size)
    return min(sizes) if sizes else None


def _contraction_report(plan: ContractionPlan, report: Report) -> None:
    _network_section(report, plan)
    report.heading("Contraction")
    report.text(f"No sketched indices: a plain contraction, order searched at {_point_text(plan.point)} ({plan.method}).")
    report.formula(plan.cost.ops)
    report.items([
        f"ops at the point: {plan.cost_at_point:,}",
        f"largest intermediate at the point: {plan.largest_intermediate_at_point:,} entries",
        f"live peak at the point: {plan.live_peak_at_point:,} entries",
    ])
    numeric = plan.network.at_sizes({k: v for k, v in plan.point.items() if k in plan.network.symbols}) \
        if plan.network.symbols else plan.network
    report.image("tree.png", "The contraction tree with the exact ops of each step at the point.",
                 lambda: plots.plot_tree(numeric, plan.tree))


def build_report(
    plan: SketchPlan | ContractionPlan,
    *,
    run: bool = True,
    trials: int = 20,
    seed: int = 0,
    memory_budget: int | None = None,
    command: str | None = None,
    comparisons: bool = True,
    families: Sequence[str] | None = None,
    data_tree: object = None,
) -> Report:
    """Compute a report's content: run the plan if asked, sweep the sizes, and lay out the blocks.

    Parameters
    ----------
    plan
        The analysis to report.
    run
        Execute the plan (numeric sizes only) and add the measured results.
    trials, seed, memory_budget
        Passed to :func:`~tncost.runs.run_plan`.
    command
        The command that regenerates the report, shown at its end.
    comparisons
        Add the cost sweep, the cost / LB sweep over m and the regime map.
    families, data_tree
        The families and the user's T0 that the sweeps re-plan with (default: the plan's).
    """
    from ..runs import run_plan

    name = plan.network.name or "network"
    report = Report(title=f"tncost report: {name}")
    if isinstance(plan, ContractionPlan):
        report.data = plan.to_dict()
        _contraction_report(plan, report)
        _command_section(report, command)
        return report

    data: dict
    ratios: dict[str, list[float]] = {}
    if run:
        data = run_plan(plan, trials=trials, seed=seed, memory_budget=memory_budget)
        if trials:
            ratios = sweeps.distortion_ratios(plan, trials, seed)
            report.plot_data["distortion_ratios"] = ratios
    else:
        data = plan.to_dict()
    report.data = data
    executed = {entry["family"]: entry for entry in data.get("runs", [])}

    _network_section(report, plan)
    _sketch_section(report, plan, executed)
    _bound_section(report, plan)
    _chosen_section(report, plan)
    if run:
        _runs_section(report, plan, data, ratios)
    else:
        report.heading("Measured results")
        report.text("Not executed (analysis only).")
    if comparisons:
        names = list(families) if families is not None else [f.family for f in plan.families]
        _sweep_section(report, plan, names, data_tree)
    _command_section(report, command)
    return report


def _command_section(report: Report, command: str | None) -> None:
    report.heading("Regenerate")
    if command:
        report.text("This report was written by:")
        report.code(command)
    else:
        report.text("This report was written through the Python API (tncost.report.write_report).")


# Writing ------------------------------------------------------------------------------


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {str(out)!r} is a file; give a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise SpecError(
            f"--out folder {str(out)!r} is not empty and contains no earlier report; "
            "give a new or empty folder, or a folder an earlier report was written to"
        )


def save_report(report: Report, out: str | os.PathLike[str]) -> Path:
    """Write ``report`` into the folder ``out`` atomically and return its path.

    The files are written into a temporary folder in ``out``'s parent, which
    then replaces ``out``. An existing ``out`` must be empty or an earlier
    report, which is replaced whole.

    Raises
    ------
    SpecError
        If ``out`` is a file, a non-empty folder that is not a report, or not writable.
    """
    target = Path(out).resolve()
    _check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        # mkdtemp creates the folder private (0700); a report folder gets the usual umask mode.
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o777 & ~umask)
    except OSError as err:
        raise SpecError(f"cannot write into {str(target.parent)!r}: {err.strerror or err}; choose a writable --out folder") from err
    try:
        images: dict[str, bytes] = {}
        for name, draw in report.figures.items():
            fig, _ = draw()
            plots.save(fig, str(temporary / name))
            images[name] = (temporary / name).read_bytes()
        (temporary / "data.json").write_text(json.dumps(report.data, indent=2) + "\n")
        (temporary / "plots.json").write_text(json.dumps(report.plot_data, indent=2) + "\n")
        (temporary / "report.md").write_text(render_markdown(report))
        (temporary / "report.html").write_text(render_html(report, images))
        (temporary / _MARKER).write_text("written by tncost report\n")
        _replace_folder(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def _replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an existing ``target`` is moved aside first and removed after."""
    if not target.exists():
        os.replace(new, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.replace(target, old / "report")
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old / "report", target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def write_report(plan: SketchPlan | ContractionPlan, out: str | os.PathLike[str], **options: object) -> Path:
    """Build the report of ``plan`` (see :func:`build_report` for ``options``) and save it into ``out``.

    Returns the report folder. ``out`` is checked before any work, so a bad
    folder fails fast.
    """
    _check_target(Path(out).resolve())
    report = build_report(plan, **options)  # type: ignore[arg-type]
    return save_report(report, out)
