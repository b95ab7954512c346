"""The ``tncost`` command: analyze, run, demo, the applications and reports.

Every user error (a :class:`~tncost.errors.TncostError` or a usage error)
prints one ``error: ...`` line on standard error and exits with status 2,
without a traceback. Any other exception is a defect of tncost: it prints one
``internal error: ...`` line with a hint to rerun with ``--debug`` and exits
with status 1. The global ``--debug`` option prints the traceback of both kinds.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import click

from .errors import SpecError, TncostError, TncostWarning
from .io import Spec, _split_equation, is_existing_file, load_network, parse_index_sizes
from .network import TensorNetwork
from .planner import FAMILY_NAMES, ContractionPlan, SketchPlan, plan_contraction, plan_sketch
from .structures import physical_indices
from .symbolic.sizes import parse_size_assignments

__all__ = ["main", "cli"]


# Commands defined in other modules, imported only when they are invoked or listed,
# so that ``tncost analyze`` does not pay for the applications' and reports' imports.
_LAZY_COMMANDS = {
    "cp-als": ("tncost.apps.cli", "cp_als_command"),
    "tucker": ("tncost.apps.cli", "tucker_command"),
    "tt-round": ("tncost.apps.cli_tt", "tt_round_command"),
    "report": ("tncost.report.cli", "report_command"),
}


class _Group(click.Group):
    """A click group that reports tncost errors in one line with exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY_COMMANDS:
            import importlib

            module_name, attribute = _LAZY_COMMANDS[name]
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: object
    ) -> click.Context:
        # Options of the group itself (``tncost --bogus``) fail here, before invoke runs.
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]
        except click.UsageError as err:
            if extra.get("standalone_mode", True) is False:
                raise
            click.echo(f"error: {_one_line(err.format_message())}", err=True)
            raise click.exceptions.Exit(2) from None

    def invoke(self, ctx: click.Context) -> object:
        debug = bool(ctx.params.get("debug"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", TncostWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except TncostError as err:
            _report(f"error: {_one_line(str(err))}", debug)
            ctx.exit(2)
        except click.UsageError as err:
            # Bad options, missing arguments and _fail: one line, as for TncostError.
            _report(f"error: {_one_line(err.format_message())}", debug)
            ctx.exit(2)
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, SystemExit):
            raise
        except BrokenPipeError:
            # The reader of standard output went away (``tncost ... | head``): stop quietly.
            # Standard output is pointed at /dev/null so the interpreter's final flush cannot fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except Exception as err:  # noqa: BLE001 - the last line of defence of the command
            # Anything else is a defect of tncost, not of the input: status 1, as for a crash.
            detail = _one_line(str(err)) or "no message"
            _report(
                f"internal error: {type(err).__name__}: {detail}; this is a bug in tncost, "
                "rerun with --debug to see the traceback",
                debug,
            )
            ctx.exit(1)


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """Print a tncost warning as one ``warning:`` line; other warnings keep Python's format."""
    if issubclass(category, TncostWarning):
        click.echo(f"warning: {_one_line(str(message))}", err=True)
    else:
        _PYTHON_SHOWWARNING(message, category, *args, **kwargs)  # type: ignore[arg-type]


_PYTHON_SHOWWARNING = warnings.showwarning


def _one_line(message: str) -> str:
    """Join a multi-line message into one line, so that every error is exactly one line."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def _report(line: str, debug: bool) -> None:
    """Print an error line on standard error, after the traceback when ``debug`` is set."""
    if debug:
        traceback.print_exc(file=sys.stderr)
    click.echo(line, err=True)


def _fail(message: str) -> None:
    raise click.UsageError(message)


# Shared option handling -------------------------------------------------------------


def _load(spec_text: str, sizes_text: str | None) -> tuple[Spec, dict[str, int] | None]:
    """Resolve SPEC; for an einsum SPEC, ``--sizes`` entries naming indices are index sizes."""
    symbol_values: dict[str, int] | None = None
    index_sizes = None
    is_equation = ("," in spec_text or "->" in spec_text) and not is_existing_file(spec_text) and ":" not in spec_text
    if is_equation:
        if not sizes_text:
            _fail(f"the einsum equation {spec_text!r} needs index sizes: give --sizes a=4,b=5,... (or a=s with symbols)")
        inputs, output = _split_equation(spec_text)
        indices = {i for operand in inputs for i in operand} | set(output or ())
        entries = parse_index_sizes(sizes_text or "")
        index_sizes = {k: v for k, v in entries.items() if k in indices}
        rest = {k: v for k, v in entries.items() if k not in indices}
        if rest:
            bad = [k for k, v in rest.items() if not isinstance(v, int)]
            if bad:
                _fail(f"--sizes entry {bad[0]}={rest[bad[0]]} names no index of the equation and is not a symbol value")
            symbol_values = {k: int(v) for k, v in rest.items()}
    elif sizes_text:
        symbol_values = parse_size_assignments(sizes_text)
    spec = load_network(spec_text, index_sizes)
    return spec, symbol_values


def _apply_sketch(network: TensorNetwork, sketch: str | None) -> TensorNetwork:
    if sketch is None:
        return network
    text = sketch.strip()
    if text == "all":
        return network.with_sketch(physical_indices(network))
    if text in ("none", ""):
        return network.with_sketch(())
    return network.with_sketch(tuple(i.strip() for i in text.split(",") if i.strip()))


def _families(text: str | None) -> list[str]:
    if text is None or text.strip() == "all":
        return list(FAMILY_NAMES)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        _fail("--family is empty; give names such as tt,tree or all")
    return names


def _plan(
    spec: Spec,
    sizes: Mapping[str, int] | None,
    sketch: str | None,
    families: str | None,
    eps: float,
    delta: float,
    m: int | None,
    constant: float,
    regime: str | None = None,
) -> SketchPlan | ContractionPlan:
    network = _apply_sketch(spec.network, sketch)
    if not network.sketched:
        if families:
            _fail(f"--family {families} chooses embedding families, but nothing is sketched; drop --family or give --sketch")
        chosen_regime = regime if regime is not None else spec.regime
        if chosen_regime:
            # Checked so that a wrong regime is reported even though a plain contraction does not use it.
            from .symbolic.regime import Regime

            Regime.parse(chosen_regime, symbols=(*network.symbols, "m"))
        return plan_contraction(network, sizes=sizes)
    return plan_sketch(
        network,
        eps,
        delta,
        sizes=sizes,
        m=m,
        families=_families(families),
        data_tree=spec.data_tree,
        constant=constant,
        regime=regime if regime is not None else spec.regime,
    )


def _write_atomic(path: Path, text: str) -> None:
    folder = path.parent
    if not folder.is_dir() and not folder.parent.exists():
        # Only the --out folder itself is created, so a mistyped path does not leave a trail of folders.
        raise SpecError(
            f"the parent of the --out folder {str(folder)!r} does not exist; create {str(folder.parent)!r} first "
            "or choose another folder"
        )
    try:
        folder.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise SpecError(f"cannot write into the --out folder {str(path.parent)!r}: {err.strerror or err}; choose a writable folder") from err
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Text rendering --------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[k]) for r in cells)) if cells else len(h) for k, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    return "\n".join(lines)


def _network_summary(network: TensorNetwork) -> str:
    tensors = ", ".join(f"{t.name}({','.join(t.indices)})" for t in network.tensors)
    sizes = ", ".join(f"{i}={s}" for i, s in network.size_dict.items())
    return (
        f"network {network.name or '(unnamed)'}: {len(network.tensors)} tensors {tensors}\n"
        f"sizes: {sizes}\n"
        f"sketched: {', '.join(network.sketched) or 'none'}; kept: {', '.join(network.kept) or 'none'}"
    )


def render_analysis(plan: SketchPlan | ContractionPlan) -> str:
    """Render an analysis as text."""
    lines = [_network_summary(plan.network)]
    point = ", ".join(f"{k}={v}" for k, v in plan.point.items()) or "numeric network"
    if isinstance(plan, ContractionPlan):
        data = plan.to_dict()["contraction"]
        lines.append(f"plain contraction (no sketched indices), order searched at {point}")
        lines.append(f"order (SSA): {data['order']}")
        lines.append(f"exact cost (ops): {data['cost']}")
        lines.append(f"ops at {point}: {plan.cost_at_point}")
        lines.append(f"largest intermediate: {data['largest_intermediate']} ({plan.largest_intermediate_at_point} entries at the point)")
        lines.append(f"live peak at the point: {plan.live_peak_at_point} entries")
        return "\n".join(lines)

    lines.append(
        f"data tree T0: {plan.to_dict()['data_tree']}; comparison: {plan.comparison}; "
        f"eps={plan.eps}, delta={plan.delta}, C={plan.constant}"
    )
    lines.append(f"orders searched at {point} ({'user sizes' if plan.sizes_given else 'default sample'})")
    rows = []
    for family in plan.families:
        ratio = family.ratio_to_lower_bound
        rows.append(
            [
                ("* " if family.family == plan.chosen else "  ") + family.family,
                family.m,
                family.k if family.k is not None else "-",
                "yes" if family.sequence.ok else "no",
                family.cost_at_point,
                "-" if ratio is None else _ratio_text(ratio),
                family.cost,
            ]
        )
    lines.append(_table(["family", "m", "k", "sequence", "ops at point", "ops / LB", "exact cost (ops)"], rows))
    if plan.lower_bound is not None:
        lines.append(_lower_bound_line(plan))
    lines.append(f"chosen: {plan.chosen} (fewest ops at the point among families that satisfy the sequence condition)")
    if plan.asymptotics is not None:
        lines.append(_render_asymptotics(plan))
    for family in plan.families:
        for note in family.notes:
            lines.append(f"note [{family.family}]: {note}")
    for note in plan.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _lower_bound_line(plan: SketchPlan) -> str:
    """Format the LB line with the conditions LB assumes, and note when they fail at the numeric point."""
    bound = plan.lower_bound
    assert bound is not None
    line = (
        f"lower bound LB (each family's ratio uses LB at its own m): {bound.total}; "
        f"every T0-consistent sequence plan costs at least LB / {bound.constant}"
    )
    if bound.assumptions:
        line += f", assuming {' and '.join(bound.assumptions)}"
    undefined = plan.lower_bound_not_applicable()
    if undefined:
        line += f"; at the numeric point it does not apply: {'; '.join(undefined)}"
    return line


def _ratio_text(ratio: object) -> str:
    """Format an exact ratio with three significant digits, also beyond the range of floats."""
    try:
        return f"{float(ratio):.3g}"  # type: ignore[arg-type]
    except OverflowError:
        numerator, denominator = ratio.numerator, ratio.denominator  # type: ignore[attr-defined]
        exponent = len(str(numerator // denominator)) - 1
        return f"{float(Fraction(numerator, denominator * 10**exponent)):.3g}e+{exponent}"


def _render_asymptotics(plan: SketchPlan) -> str:
    data = plan.asymptotics or {}
    lines = [f"under the regime {data.get('regime')} (every family at the same sketch size m):"]
    rows = []
    for name, entry in data.get("families", {}).items():
        bounded = entry.get("ratio_to_lower_bound_bounded", entry.get("ratio_to_lower_bound_bounded_balanced_splits"))
        leading = entry["leading_cost"]
        if leading is None:
            balanced = entry.get("leading_cost_balanced_splits")
            leading = f"{balanced} (balanced splits; not ranked)" if balanced else "not ranked (see notes)"
        rows.append([name, leading, "-" if bounded is None else ("yes" if bounded else "no")])
    lines.append(_table(["family", "leading cost", "cost / LB bounded"], rows))
    if data.get("lower_bound_leading"):
        lines.append(f"leading lower bound: {data['lower_bound_leading']}")
    if data.get("ranking") is not None:
        lines.append("ranking (cheapest first): " + " < ".join(" = ".join(group) for group in data["ranking"]))
    else:
        for region in data.get("regions") or []:
            lines.append(f"where {' and '.join(region['inequalities']) or 'the whole regime'}: cheapest {', '.join(region['winners'])}")
    accuracy = data.get("equal_accuracy")
    if accuracy:
        lines.append(f"at equal accuracy (m = k mu, under {accuracy['regime']}):")
        for name, leading in accuracy["leading_cost"].items():
            lines.append(f"  {name}: {leading}")
        if accuracy.get("ranking"):
            lines.append("  ranking (cheapest first): " + " < ".join(" = ".join(g) for g in accuracy["ranking"]))
        for region in accuracy.get("regions") or []:
            lines.append(f"  in {' and '.join(region['inequalities']) or 'the whole regime'}: cheapest {', '.join(region['winners'])}")
        if accuracy["excluded"]:
            lines.append(f"  not ranked (no factor count, or split factors fixed for one m): {', '.join(accuracy['excluded'])}")
    return "\n".join(lines)


def render_latex(plan: SketchPlan | ContractionPlan) -> str:
    """Render the analysis as a LaTeX table: family, sketch size, exact cost and leading cost."""
    import sympy

    if isinstance(plan, ContractionPlan):
        return "\\[" + sympy.latex(sympy.sympify(plan.cost.ops)) + "\\]"
    asymptotics = (plan.asymptotics or {}).get("families", {})
    lines = [
        "\\begin{tabular}{llll}",
        "\\hline",
        "family & $m$ & exact cost (ops) & leading cost \\\\",
        "\\hline",
    ]
    for family in plan.families:
        leading = asymptotics.get(family.family, {}).get("leading_cost")  # None when not ranked
        leading_tex = "--" if leading is None else f"${sympy.latex(sympy.sympify(leading))}$"
        name = family.family.replace("_", "\\_")
        lines.append(f"{name} & {family.m} & ${sympy.latex(sympy.sympify(family.cost))}$ & {leading_tex} \\\\")
    lines.extend(["\\hline", "\\end{tabular}"])
    return "\n".join(lines)


# Commands ---------------------------------------------------------------------------

_spec_argument = click.argument("spec", metavar="SPEC")
_sizes_option = click.option(
    "--sizes",
    default=None,
    metavar="s=1000,R=20",
    help="Values of the size symbols; for an einsum SPEC, also the size of every index (a=4,b=s).",
)
_sketch_option = click.option(
    "--sketch",
    default=None,
    metavar="a,b|all|none",
    help="Indices to sketch: a comma list, 'all' (a built-in's physical indices, else every open index) or 'none'.",
)
_family_option = click.option("--family", default=None, metavar="NAME,...|all", help="Embedding families to plan.")
_eps_option = click.option("--eps", default=0.5, show_default=True, type=float, help="Distortion target epsilon, in (0, 1).")
_delta_option = click.option("--delta", default=0.1, show_default=True, type=float, help="Failure probability delta, in (0, 1).")
_m_option = click.option("--m", "m", default=None, type=int, help="A fixed sketch size shared by every family.")
_constant_option = click.option("--constant", "constant", default=1.0, show_default=True, type=float, help="The constant C of the sketch-size rule.")
_format_option = click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
_analyze_format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "latex"]), default="text", show_default=True,
    help="Output format; latex prints a table of exact and leading costs for a paper.",
)
_regime_option = click.option(
    "--regime", default=None, metavar='"m <= R <= s"',
    help="Constraints on the size symbols and m; adds leading costs and a ranking under them.",
)


@click.group(cls=_Group)
@click.version_option(package_name="tncost")
@click.option(
    "--debug",
    is_flag=True,
    default=False,
    help="Print the full traceback of any error (user errors still exit with status 2, others with 1).",
)
def cli(debug: bool) -> None:
    """Cost analysis, planning and execution of tensor-network sketches."""
    if hasattr(sys, "set_int_max_str_digits"):
        # Exact costs of huge networks can have more digits than Python's default
        # limit of 4300 for converting an int to text (Python 3.11 and later).
        sys.set_int_max_str_digits(0)


@cli.command()
@_spec_argument
@_sketch_option
@_family_option
@_eps_option
@_delta_option
@_m_option
@_sizes_option
@_constant_option
@_analyze_format_option
@_regime_option
@click.option("--out", "out", default=None, type=click.Path(file_okay=False), help="Also write analysis.json into this folder.")
def analyze(
    spec: str,
    sketch: str | None,
    family: str | None,
    eps: float,
    delta: float,
    m: int | None,
    sizes: str | None,
    constant: float,
    output_format: str,
    regime: str | None,
    out: str | None,
) -> None:
    """Analyze SPEC: each family's sketch size, exact cost and T0-consistent order."""
    loaded, values = _load(spec, sizes)
    plan = _plan(loaded, values, sketch, family, eps, delta, m, constant, regime)
    data = plan.to_dict()
    if out is not None:
        _write_atomic(Path(out) / "analysis.json", json.dumps(data, indent=2) + "\n")
    if output_format == "json":
        click.echo(json.dumps(data, indent=2))
    elif output_format == "latex":
        click.echo(render_latex(plan))
    else:
        click.echo(render_analysis(plan))


@cli.command()
@_spec_argument
@_sketch_option
@_family_option
@_eps_option
@_delta_option
@_m_option
@_sizes_option
@_constant_option
@_format_option
@click.option("--trials", default=20, show_default=True, type=click.IntRange(min=0), help="Distortion trials per family.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed for data and embeddings.")
@click.option("--engine", default="numpy", show_default=True, type=click.Choice(["numpy", "dask"]), help="Execution engine.")
@click.option(
    "--dask-workers", "dask_workers", default=0, show_default=True, type=click.IntRange(min=0),
    help="With --engine dask: start a local cluster of this many worker processes on 127.0.0.1 (0: dask's threaded scheduler).",
)
@click.option("--memory-budget", "memory_budget", default=None, type=click.IntRange(min=1), help="Memory budget in bytes (default: half the available memory).")
def run(
    spec: str,
    sketch: str | None,
    family: str | None,
    eps: float,
    delta: float,
    m: int | None,
    sizes: str | None,
    constant: float,
    output_format: str,
    trials: int,
    seed: int,
    engine: str,
    dask_workers: int,
    memory_budget: int | None,
) -> None:
    """Plan SPEC at --sizes, execute each family's plan on seeded data, and check the prediction."""
    from .runs import render_runs, run_plan

    if engine == "dask":
        from .dask_engine import dask_available

        if not dask_available():
            _fail("--engine dask needs dask: pip install 'tncost[dask]', or use --engine numpy")
    elif dask_workers:
        _fail("--dask-workers applies to --engine dask only")
    loaded, values = _load(spec, sizes)
    network = _apply_sketch(loaded.network, sketch)
    if network.symbols and not values:
        _fail(f"run needs numbers: give --sizes for {', '.join(network.symbols)}, for example --sizes "
              + ",".join(f"{n}=16" for n in network.symbols))
    plan = _plan(loaded, values, sketch, family, eps, delta, m, constant)
    if isinstance(plan, ContractionPlan):
        _fail("run executes sketches; the network has no sketched indices (use --sketch, or analyze for a plain contraction)")
    client = None
    if engine == "dask" and dask_workers:
        from .dask_engine import local_client

        client = local_client(workers=dask_workers, threads_per_worker=1, processes=True)
    try:
        report = run_plan(plan, trials=trials, seed=seed, memory_budget=memory_budget, engine=engine, client=client)
    finally:
        if client is not None:
            client.close()
    if output_format == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render_runs(plan, report))
        click.echo(f"chosen plan: {plan.chosen}")
    if all("skipped" in entry for entry in report["runs"]):
        # The analysis itself succeeded, so the status stays 0; the skips are reported above.
        click.echo(
            "note: no family fits the memory budget, so nothing was executed; give smaller --sizes "
            "or a larger --memory-budget (in bytes)",
            err=True,
        )


@cli.command()
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed for data and embeddings.")
@click.option("--trials", default=10, show_default=True, type=click.IntRange(min=1), help="Distortion trials per family.")
def demo(seed: int, trials: int) -> None:
    """Run the pipeline on the built-in cases and on a tensor train of a real image."""
    from .demo import run_demo

    run_demo(seed=seed, trials=trials, echo=click.echo)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``tncost`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="tncost")
