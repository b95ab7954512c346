"""The ``tncost tt-round`` command: round a tensor train and compare predicted with measured ops.

Input files
-----------
``FILE.npz`` contains the cores of a tensor train as arrays named ``core_0``,
``core_1``, ..., ``core_{N-1}``, each of shape ``(R_{k-1}, I_k, R_k)`` with
``R_0 = R_N = 1``; write one with
``numpy.savez(path, **{f"core_{k}": core for k, core in enumerate(cores)})``.
``FILE.npy`` contains a dense array, which is first decomposed by TT-SVD with
ranks at most ``--tt-rank``.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import click
import numpy as np

from ..errors import SketchSizeError, SpecError
from ..progress import progress
from .tt import TensorTrain
from .tt_rounding import (
    METHODS,
    RoundingResult,
    predict_costs,
    predict_tt_costs,
    round_tt,
    sketch_lower_bound,
)

__all__ = ["tt_round_command", "load_tt", "save_tt"]

_METHOD_CHOICES = (*METHODS, "all")


def load_tt(path: str | Path, tt_rank: int | None = None) -> TensorTrain:
    """Load a tensor train from an ``.npz`` file of cores or a dense ``.npy`` array (see the module notes).

    Raises
    ------
    SpecError
        If the file cannot be read, its suffix is neither ``.npz`` nor
        ``.npy``, the core names are not ``core_0 ... core_{N-1}``, or a dense
        array comes without ``tt_rank``.
    NetworkError
        If the cores do not form a tensor train.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_file() and path.stat().st_size == 0:
        raise SpecError(f"{path} is empty; write the cores with numpy.savez (or a dense array with numpy.save)")
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise SpecError(f"{path}: cannot read the .npz file ({err}); write it with numpy.savez") from err
        expected = [f"core_{k}" for k in range(len(arrays))]
        if sorted(arrays) != sorted(expected) or not arrays:
            found = ", ".join(sorted(arrays)) or "no arrays"
            raise SpecError(
                f"{path}: found {found}; a tensor-train file must contain exactly the arrays core_0 ... core_{{N-1}}"
            )
        return TensorTrain([arrays[name] for name in expected], copy=False)
    if suffix == ".npy":
        try:
            dense = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise SpecError(f"{path}: cannot read the .npy file ({err}); write it with numpy.save") from err
        if tt_rank is None:
            raise SpecError(f"{path} contains a dense array; give --tt-rank R to decompose it by TT-SVD first")
        return TensorTrain.from_dense(dense, max_rank=tt_rank)
    raise SpecError(f"{path}: unknown file type {suffix or '(none)'!r}; give an .npz file of TT cores or a dense .npy array")


def save_tt(tt: TensorTrain, path: str | Path) -> None:
    """Write ``tt``'s cores to an ``.npz`` file in the format :func:`load_tt` reads."""
    np.savez(Path(path), **{f"core_{k}": core for k, core in enumerate(tt.cores)})


def _relative_error(approx: TensorTrain, exact: TensorTrain, exact_norm: float) -> float:
    if exact_norm == 0.0:
        return 0.0 if approx.norm() == 0.0 else math.inf
    return (approx - exact).norm() / exact_norm


def _result_row(
    result: RoundingResult, tt: TensorTrain, rank: int | None, norm: float, max_rank: int | None
) -> dict[str, Any]:
    predicted = None
    if rank is not None and tt.order > 1:
        predicted = sum(predict_tt_costs(tt, rank, result.method, max_rank=max_rank).values())
    return {
        "method": result.method,
        "ranks": list(result.tt.ranks),
        "relative_error": _relative_error(result.tt, tt, norm),
        "predicted_ops": predicted,
        "measured_ops": result.ops,
        "phases": dict(result.breakdown),
        "seconds": result.seconds,
    }


def _bound_summary(tt: TensorTrain, rank: int | None) -> dict[str, Any]:
    if rank is None or tt.order < 2:
        return {"lower_bound": None, "note": "no sketching step (deterministic rounding or order 1)"}
    try:
        bound = sketch_lower_bound(tt, rank)
    except SketchSizeError as err:
        return {"lower_bound": None, "note": str(err)}
    phases = predict_tt_costs(tt, rank, "randomize-then-orthogonalize")
    predicted = sum(phases.values())
    sketch = phases["sketch"]
    return {
        "lower_bound": bound.at(),
        "sketch_ops": sketch,
        "sketch_over_bound": sketch / bound.at(),
        "randomize_then_orthogonalize_over_bound": predicted / bound.at(),
        "note": "",
    }


def _text_report(payload: dict[str, Any]) -> str:
    lines = [
        f"tensor train: shape {tuple(payload['shape'])}, ranks {tuple(payload['ranks'])}",
    ]
    lines.extend(f"note: {note}" for note in payload.get("notes", ()))
    if payload["rank"] is None:
        lines.append("no rank given: deterministic rounding by --rtol alone")
    else:
        lines.append(f"sketch rank L = {payload['rank']}, seed = {payload['seed']}")
    bound = payload["bound"]
    if bound["lower_bound"] is None:
        lines.append(f"lower bound of the sketching step: none ({bound['note']})")
    else:
        lines.append(
            f"lower bound of the sketching step (m = L): {bound['lower_bound']} ops; sketch {bound['sketch_ops']} ops "
            f"({bound['sketch_over_bound']:.3g} x LB); randomize-then-orthogonalize total "
            f"{bound['randomize_then_orthogonalize_over_bound']:.3g} x LB"
        )
    if "symbolic" in payload:
        lines.append("predicted ops of a uniform train (s = mode size, R = rank, L = sketch rank):")
        for method, formula in payload["symbolic"].items():
            lines.append(f"  {method:30s} {formula}")
    if "predicted" in payload:
        lines.append("predicted ops of this train:")
        for method, ops in payload["predicted"].items():
            lines.append(f"  {method:30s} {ops}")
    for row in payload.get("results", []):
        predicted = "-" if row["predicted_ops"] is None else row["predicted_ops"]
        lines.append(
            f"{row['method']}: ranks {tuple(row['ranks'])}, relative error {row['relative_error']:.3e}, "
            f"ops predicted {predicted} / measured {row['measured_ops']}, {row['seconds'] * 1e3:.2f} ms"
        )
    return "\n".join(lines)


@click.command("tt-round")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rank", "rank", type=click.IntRange(min=1), default=None,
              help="Sketch rank L of the randomized methods; the rank cap of deterministic rounding.")
@click.option("--method", type=click.Choice(_METHOD_CHOICES), default="randomize-then-orthogonalize", show_default=True,
              help="Rounding method, or 'all' to run every method side by side.")
@click.option("--max-rank", type=click.IntRange(min=1), default=None,
              help="Truncate the randomized result further to this rank (sketch with L = r + p, keep r).")
@click.option("--rtol", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Relative tolerance of deterministic rounding.")
@click.option("--tt-rank", type=click.IntRange(min=1), default=None,
              help="Largest TT-SVD rank when FILE is a dense .npy array (required then).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the Gaussian sketches.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--predict-only", is_flag=True, help="Print predicted ops and the lower bound without rounding.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rounded cores to this .npz file (one method only).")
def tt_round_command(
    file: Path,
    rank: int | None,
    method: str,
    max_rank: int | None,
    rtol: float,
    tt_rank: int | None,
    seed: int,
    output_format: str,
    predict_only: bool,
    output_path: Path | None,
) -> None:
    """Round the tensor train in FILE (.npz cores core_0 ... core_{N-1}, or a dense .npy array).

    Prints the rounded ranks, the relative error, predicted against measured
    ops, and the lower bound of the randomized sketching step at m = L.
    """
    if not file.exists():
        raise click.UsageError(f"file {str(file)!r} not found; give an .npz file of TT cores or a dense .npy array")
    methods = list(METHODS) if method == "all" else [method]
    randomized = [m for m in methods if m != "deterministic"]
    if rank is None and (randomized or (rtol == 0.0 and not predict_only)):
        raise click.UsageError("--rank L is required (the sketch rank; for deterministic rounding give --rank or --rtol)")
    if output_path is not None and len(methods) > 1:
        raise click.UsageError("--output writes one rounded train; choose one --method instead of 'all'")

    tt = load_tt(file, tt_rank)
    notes = []
    largest = max(tt.ranks)
    if rank is not None and rank > largest and tt.order > 1:
        # A sketch rank above every bond rank only adds columns that span noise and raises the output ranks.
        notes.append(f"--rank {rank} exceeds the train's largest rank {largest}; rounding with L = {largest}, which is exact")
        rank = largest
    payload: dict[str, Any] = {
        "file": str(file),
        "shape": list(tt.shape),
        "ranks": list(tt.ranks),
        "rank": rank,
        "seed": seed,
        "bound": _bound_summary(tt, rank) if tt.order > 1 else {"lower_bound": None, "note": "order 1"},
        "notes": notes,
    }
    if rank is not None and tt.order > 1:
        payload["predicted"] = {m: sum(predict_tt_costs(tt, rank, m).values()) for m in methods}
        symbolic = predict_costs(tt.order, "s", "R", "L", methods=methods)
        payload["symbolic"] = {m: str(v) for m, v in symbolic.methods.items()}

    if not predict_only:
        norm = tt.norm()
        rows = []
        for name in progress(methods, desc="rounding"):
            cap = max_rank if name != "deterministic" else None
            result = round_tt(tt, rank, method=name, seed=seed, rtol=rtol, max_rank=cap)
            rows.append(_result_row(result, tt, rank, norm, cap))
            if output_path is not None:
                save_tt(result.tt, output_path)
        payload["results"] = rows

    if output_format == "json":
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(_text_report(payload))
