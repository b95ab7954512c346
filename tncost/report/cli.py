"""The ``tncost report`` command: analyze, run and plot SPEC into a report folder."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..cli import (
    _constant_option,
    _delta_option,
    _eps_option,
    _fail,
    _family_option,
    _load,
    _m_option,
    _plan,
    _regime_option,
    _sizes_option,
    _sketch_option,
    _spec_argument,
    _apply_sketch,
)
from ..planner import ContractionPlan

__all__ = ["report_command", "report_command_line"]


def report_command_line(spec: str, out: str, **options: object) -> str:
    """Return the shell command that regenerates a report with these options.

    Options that are None or False are left out; ``no_run=True`` becomes ``--no-run``.

    Examples
    --------
    >>> report_command_line("tt:N=6", "/tmp/r", sizes="s=64,R=8", m=8, no_run=False)
    'tncost report tt:N=6 --sizes s=64,R=8 --m 8 --out /tmp/r'
    """
    words = ["tncost", "report", spec]
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        words.extend([flag] if value is True else [flag, str(value)])
    words.extend(["--out", out])
    return " ".join(shlex.quote(w) for w in words)


@click.command("report")
@_spec_argument
@_sketch_option
@_family_option
@_eps_option
@_delta_option
@_m_option
@_sizes_option
@_constant_option
@_regime_option
@click.option("--trials", default=20, show_default=True, type=click.IntRange(min=0), help="Distortion trials per family.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed for data and embeddings.")
@click.option("--no-run", "no_run", is_flag=True, help="Analyze and plot only; execute nothing.")
@click.option("--no-comparisons", "no_comparisons", is_flag=True,
              help="Leave out the cost sweeps and the regime map (each point of them is a new plan).")
@click.option("--memory-budget", "memory_budget", default=None, type=click.IntRange(min=1),
              help="Memory budget in bytes for executing a family (default: half the available memory).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Report folder: created, or replaced when it contains an earlier report.")
def report_command(
    spec: str,
    sketch: str | None,
    family: str | None,
    eps: float,
    delta: float,
    m: int | None,
    sizes: str | None,
    constant: float,
    regime: str | None,
    trials: int,
    seed: int,
    no_run: bool,
    no_comparisons: bool,
    memory_budget: int | None,
    out: str,
) -> None:
    """Write report.md, report.html, data.json and PNG plots for SPEC into --out."""
    from .render import write_report

    loaded, values = _load(spec, sizes)
    network = _apply_sketch(loaded.network, sketch)
    plan = _plan(loaded, values, sketch, family, eps, delta, m, constant, regime)
    run = not no_run and not isinstance(plan, ContractionPlan)
    if run and network.symbols and not values:
        _fail(
            "report executes the plan and so needs numbers: give --sizes for "
            + ", ".join(network.symbols)
            + " (for example --sizes " + ",".join(f"{n}=16" for n in network.symbols) + "), or add --no-run"
        )
    command = report_command_line(
        spec, out, sketch=sketch, family=family,
        eps=eps if eps != 0.5 else None, delta=delta if delta != 0.1 else None, m=m, sizes=sizes,
        constant=constant if constant != 1.0 else None, regime=regime,
        trials=trials if trials != 20 and run else None, seed=seed if seed and run else None,
        no_run=no_run, no_comparisons=no_comparisons, memory_budget=memory_budget,
    )
    folder = write_report(
        plan, out, run=run, trials=trials, seed=seed, memory_budget=memory_budget, command=command,
        comparisons=not no_comparisons, families=None if isinstance(plan, ContractionPlan) else [f.family for f in plan.families],
        data_tree=loaded.data_tree,
    )
    click.echo(f"wrote {Path(folder) / 'report.html'} and report.md, data.json, plots.json and the plots beside it")
