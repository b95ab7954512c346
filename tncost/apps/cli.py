"""Command-line entry points ``tncost cp-als`` and ``tncost tucker``.

Both read a tensor from a ``.npy`` file. Errors are raised as
``click.UsageError`` or :class:`~tncost.errors.TncostError`; the ``tncost``
group prints them as one ``error:`` line and exits with status 2. A progress
bar is shown on standard error when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from ..errors import SpecError
from ..progress import progress_enabled
from .cp_als import CP_FAMILIES, cost_table, cp_als, predict_costs
from .tucker_als import TUCKER_FAMILIES, tucker_als

__all__ = ["cp_als_command", "tucker_command", "load_tensor"]


def load_tensor(path: str, min_order: int) -> np.ndarray:
    """Load a numeric tensor of order at least ``min_order`` from a ``.npy`` file."""
    file = Path(path)
    if not file.is_file():
        raise click.UsageError(f"tensor file not found: {path}; give the path of a .npy file")
    if file.stat().st_size == 0:
        raise click.UsageError(f"{path} is empty; save the tensor with numpy.save")
    try:
        array = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise click.UsageError(f"cannot read {path} as a .npy array ({err}); save the tensor with numpy.save") from err
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number):
        raise click.UsageError(f"{path} does not contain a numeric array; save a float array with numpy.save")
    if np.iscomplexobj(array):
        raise click.UsageError(f"{path} contains a complex array ({array.dtype}); this command decomposes real tensors")
    if array.ndim < min_order:
        raise click.UsageError(f"{path} contains a tensor of order {array.ndim}; this command needs an order of at least {min_order}")
    array = array.astype(float, copy=False)
    if not np.all(np.isfinite(array)):
        raise click.UsageError(f"{path} contains NaN or infinite entries; remove or replace them first")
    return array


class _Progress:
    """A tqdm bar on a terminal, nothing otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self.bar = None
        if progress_enabled():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, file=sys.stderr, leave=False)

    def update(self, entry: dict) -> None:
        if self.bar is not None:
            value = entry.get("fit", entry.get("residual"))
            self.bar.set_postfix_str(f"{value:.6f}")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _stopped_at_limit(history: list[dict], sweeps: int, tol: float, key: str) -> bool:
    """Return True when the run used every sweep and its last change was still above ``tol``."""
    if len(history) < sweeps or len(history) < 2:
        return False
    return abs(history[-1][key] - history[-2][key]) >= tol


def _positive_rank(value: int) -> int:
    if value < 1:
        raise click.UsageError(f"invalid --rank {value}: give a positive integer")
    return value


@click.command("cp-als")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--rank", required=True, type=int, help="CP rank R (a positive integer).")
@click.option("--family", default="auto", show_default=True, type=click.Choice(CP_FAMILIES), help="Sketch: auto asks the planner, none runs exact ALS.")
@click.option("--mode", default="reuse", show_default=True, type=click.Choice(["reuse", "redraw"]), help="Draw each mode's sketch once (reuse) or every sweep (redraw).")
@click.option("--sweeps", default=50, show_default=True, type=click.IntRange(min=1), help="Maximum number of sweeps.")
@click.option("--tol", default=1e-6, show_default=True, type=click.FloatRange(min=0), help="Stop when the fit changes by less than this between sweeps.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of the initialization and the sketches.")
@click.option("--m", "m", default=None, type=click.IntRange(min=1), help="Sketch size (default: each family's rule).")
@click.option("--solver", default="qr", show_default=True, type=click.Choice(["qr", "normal"]), help="Least-squares solver.")
@click.option("--init", default="random", show_default=True, type=click.Choice(["random", "svd"]), help="Initial factors.")
@click.option("--format", "output_format", default="text", show_default=True, type=click.Choice(["text", "json"]), help="Output format.")
@click.option("--predict-only", is_flag=True, default=False, help="Print the predicted cost per sweep of every family and stop.")
def cp_als_command(
    file: str, rank: int, family: str, mode: str, sweeps: int, tol: float, seed: int, m: int | None,
    solver: str, init: str, output_format: str, predict_only: bool,
) -> None:
    """Decompose the tensor in FILE (.npy) into rank-R CP form by sketched ALS."""
    rank = _positive_rank(rank)
    if m is not None and family == "none":
        raise click.UsageError("--m sets a sketch size, but --family none runs exact ALS without a sketch; drop --m or pick a family")
    if m is not None and m < rank:
        raise click.UsageError(
            f"invalid --m {m}: a sketched least-squares problem with {rank} unknowns per row needs m >= {rank} rows"
        )
    tensor = load_tensor(file, 3)
    families = None if family == "auto" or predict_only else ["none", family] if family != "none" else ["none"]
    rows = predict_costs(tensor.shape, rank, m=m, families=families, mode=mode, solver=solver)
    if predict_only:
        if output_format == "json":
            click.echo(json.dumps({"shape": list(tensor.shape), "rank": rank, "mode": mode, "predicted": rows}, indent=2))
        else:
            click.echo(f"predicted cost per sweep, tensor {tensor.shape}, rank {rank}, mode {mode}")
            click.echo(cost_table(rows))
        return
    progress = _Progress(sweeps, f"cp-als {family}")
    try:
        result = cp_als(
            tensor, rank, family=family, m=m, mode=mode, solver=solver, max_sweeps=sweeps, tol=tol, init=init,
            seed=seed, callback=progress.update,
        )
    finally:
        progress.close()
    if output_format == "json":
        click.echo(json.dumps({"shape": list(tensor.shape), "rank": rank, **result.to_dict(), "predicted": rows}, indent=2))
        return
    click.echo(f"cp-als: family {result.family}, mode {result.mode}, m {result.m if result.m else '-'}, solver {result.solver}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"sweeps {len(result.history)}, fit {result.fit:.6f}")
    if _stopped_at_limit(result.history, sweeps, tol, "fit"):
        click.echo(f"note: stopped at the limit of {sweeps} sweeps before the fit changed by less than {tol}; raise --sweeps")
    click.echo(f"one-off setup: {result.setup['ops']} ops (predicted {result.setup['predicted_ops']}), {result.setup['seconds']:.4f} s")
    click.echo(cost_table([row for row in rows if row["family"] == result.family], {result.family: result}))


@click.command("tucker")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--ranks", required=True, help="Multilinear ranks, one per mode, comma-separated (for example 5,5,5).")
@click.option("--family", default="none", show_default=True, type=click.Choice(TUCKER_FAMILIES), help="Sketch; none runs HOOI.")
@click.option("--init", default="range-finder", show_default=True, type=click.Choice(["range-finder", "hosvd", "random"]), help="Initial factors.")
@click.option("--sweeps", default=10, show_default=True, type=click.IntRange(min=1), help="Maximum number of sweeps.")
@click.option("--tol", default=1e-8, show_default=True, type=click.FloatRange(min=0), help="Stop when the relative residual changes by less than this.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of the initialization and the sketches.")
@click.option("--m", "m", default=None, type=click.IntRange(min=1), help="Sketch size (default: each family's rule).")
@click.option("--format", "output_format", default="text", show_default=True, type=click.Choice(["text", "json"]), help="Output format.")
def tucker_command(file: str, ranks: str, family: str, init: str, sweeps: int, tol: float, seed: int, m: int | None, output_format: str) -> None:
    """Decompose the tensor in FILE (.npy) into Tucker form by sketched HOOI."""
    try:
        values = [int(part) for part in ranks.split(",")]
    except ValueError:
        raise click.UsageError(f"invalid --ranks {ranks!r}: give comma-separated positive integers, for example 5,5,5") from None
    if any(v < 1 for v in values):
        raise click.UsageError(f"invalid --ranks {ranks!r}: every rank must be a positive integer")
    if m is not None and family == "none":
        raise click.UsageError("--m sets a sketch size, but --family none runs HOOI without a sketch; drop --m or pick a family")
    tensor = load_tensor(file, 2)
    if len(values) != tensor.ndim:
        raise SpecError(f"--ranks gives {len(values)} ranks for a tensor of order {tensor.ndim}; give one rank per mode")
    progress = _Progress(sweeps, f"tucker {family}")
    try:
        result = tucker_als(
            tensor, values, family=family, m=m, init=init, max_sweeps=sweeps, tol=tol, seed=seed, callback=progress.update
        )
    finally:
        progress.close()
    if output_format == "json":
        click.echo(json.dumps({"shape": list(tensor.shape), "ranks": values, **result.to_dict()}, indent=2))
        return
    click.echo(f"tucker: family {result.family}, m {result.m if result.m else '-'}, ranks {values}")
    for entry in result.history:
        click.echo(f"sweep {entry['sweep']}: relative residual {entry['residual']:.6e}, {entry['seconds']:.4f} s")
    if _stopped_at_limit(result.history, sweeps, tol, "residual"):
        click.echo(f"note: stopped at the limit of {sweeps} sweeps before the residual changed by less than {tol}; raise --sweeps")
