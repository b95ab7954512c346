"""Executing sketch plans: seeded data and embeddings, counted ops, distortion.

:func:`run_plan` takes a :class:`~tncost.planner.SketchPlan` and, for every
family whose live memory fits the budget, draws the embedding from a seed,
contracts data and embedding along the planned tree, compares the executed
ops with the prediction, and measures ‖Sx‖²/‖x‖² over seeded trials (and
the subspace distortion when the network has kept indices). Families that
do not fit are skipped with the needed and available bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np

from . import execute
from .errors import MemoryBudgetError, SpecError
from .planner import FamilyPlan, SketchPlan
from .progress import progress
from .random import Seed, spawn_seeds

__all__ = ["run_family", "run_plan", "render_runs", "plan_data"]

#: The most kept columns for which a run also measures the subspace distortion.
SUBSPACE_COLUMN_LIMIT = 512


def plan_data(plan: SketchPlan, seed: Seed = 0) -> dict[str, np.ndarray]:
    """Draw Gaussian data tensors for the plan's network at its numeric point."""
    network = plan.network
    numeric = network.at_sizes({k: v for k, v in plan.point.items() if k in network.symbols}) if network.symbols else network
    return execute.random_data(numeric, seed=seed)


def run_family(
    plan: FamilyPlan,
    data: Mapping[str, np.ndarray],
    *,
    trials: int = 20,
    seed: Seed = 0,
    eps: float = 0.5,
    memory_budget: int | None = None,
    engine: str = "numpy",
    client: object | None = None,
) -> dict:
    """Execute one family's plan on ``data`` and measure it.

    ``engine`` is ``"numpy"`` (:func:`tncost.execute.execute_tree`) or
    ``"dask"`` (:func:`tncost.dask_engine.execute_tree_dask`, on ``client``
    when one is given); both count the executed ops from array shapes.

    Returns
    -------
    dict
        ``family``, ``m``, ``predicted_ops``, ``executed_ops``, ``ops_match``,
        ``seconds`` (one execution), ``live_peak_bytes`` and ``distortion``
        statistics; or ``skipped`` with the reason when the plan's live
        memory exceeds the budget.
    """
    joint = plan.numeric_joint()
    needed = plan.live_peak_at_point * 8
    entry: dict = {"family": plan.family, "m": plan.m, "predicted_ops": plan.cost_at_point, "live_peak_bytes": needed}
    try:
        execute.check_memory(plan.live_peak_at_point, np.float64, memory_budget)
    except MemoryBudgetError as err:
        entry["skipped"] = str(err)
        return entry

    rows = {t.name: int(r) for t, r in zip(plan.embedding.tensors, _numeric_rows(plan))}
    stddevs = execute.embedding_stddevs(rows, plan.embedding.scaling, plan.m)
    draw = execute.embedding_sampler(joint, stddevs)
    first_seed, trial_seed = spawn_seeds(seed, 2)
    arrays = {**data, **draw(first_seed)}
    executor = _executor(engine, client)
    result = executor(joint, plan.tree, arrays, budget_bytes=memory_budget)
    entry["engine"] = engine
    entry["executed_ops"] = result.executed_ops
    entry["ops_match"] = result.executed_ops == plan.cost_at_point
    entry["seconds"] = result.seconds
    entry["gflops"] = (2 * result.executed_ops / result.seconds / 1e9) if result.seconds > 0 else None

    if trials:
        kept_columns = 1
        for index in plan.kept:
            kept_columns *= int(joint.size_dict[index])
        subspace = bool(plan.kept) and kept_columns <= SUBSPACE_COLUMN_LIMIT
        stats = execute.distortion_trials(
            joint, plan.tree, data, draw, trials, trial_seed, eps, subspace=subspace, budget_bytes=memory_budget,
            executor=executor,
        )
        entry["distortion"] = {
            "trials": stats.trials,
            "mean": stats.mean,
            "std": stats.std,
            "min": stats.min,
            "max": stats.max,
            "fraction_outside": stats.fraction_outside,
            "eps": stats.eps,
            "ratios": [float(ratio) for ratio in stats.ratios],
        }
        if stats.subspace is not None:
            entry["subspace_distortion"] = {
                "sigma_min": min(stats.subspace.sigma_min),
                "sigma_max": max(stats.subspace.sigma_max),
                "fraction_outside": stats.subspace.fraction_outside,
                "columns": stats.subspace.columns,
                "rank": stats.subspace.rank,
            }
        elif plan.kept:
            entry["subspace_distortion"] = (
                f"not measured: {kept_columns} kept columns exceed the limit of {SUBSPACE_COLUMN_LIMIT}"
            )
    return entry


def _numeric_rows(plan: FamilyPlan) -> list[int]:
    values = dict(plan.point)
    rows = []
    for row in plan.embedding.row_sizes:
        if isinstance(row, int):
            rows.append(row)
        else:
            rows.append(int(row.xreplace({s: values[s.name] for s in row.free_symbols})))
    return rows


def _fits_budget(plan: FamilyPlan, memory_budget: int | None) -> bool:
    try:
        execute.check_memory(plan.live_peak_at_point, np.float64, memory_budget)
    except MemoryBudgetError:
        return False
    return True


def _executor(engine: str, client: object | None) -> Callable[..., execute.ExecutionResult]:
    if engine == "numpy":
        return execute.execute_tree
    if engine == "dask":
        from .dask_engine import execute_tree_dask

        return functools.partial(execute_tree_dask, client=client)
    raise SpecError(f"unknown engine {engine!r}; use 'numpy' or 'dask'")


def run_plan(
    plan: SketchPlan,
    *,
    data: Mapping[str, np.ndarray] | None = None,
    trials: int = 20,
    seed: Seed = 0,
    memory_budget: int | None = None,
    engine: str = "numpy",
    client: object | None = None,
) -> dict:
    """Execute every family of ``plan`` on the same data and collect the measurements.

    Parameters
    ----------
    plan
        A sketch plan with numeric sizes (``plan_sketch(..., sizes=...)``).
    data
        Data tensors by name; default Gaussian tensors drawn from ``seed``.
    trials
        Distortion trials per family (0 to skip them).
    seed
        One seed for data, the executed draw and the trials.
    memory_budget
        Bytes; default half the available memory.
    engine, client
        The execution engine, ``"numpy"`` or ``"dask"``, and for dask an
        optional ``dask.distributed`` client (see :func:`run_family`).

    Returns
    -------
    dict
        The analysis (``plan.to_dict()``) with a ``runs`` list, one entry per
        family (see :func:`run_family`), and ``seed``.
    """
    data_seed, run_seed = spawn_seeds(seed, 2)
    # Every live peak counts the data tensors, so data is drawn only when some family fits the budget.
    fits = [_fits_budget(family, memory_budget) for family in plan.families]
    if data is not None:
        arrays = dict(data)
    elif any(fits):
        arrays = plan_data(plan, data_seed)
    else:
        arrays = {}
    report = plan.to_dict()
    runs = []
    seeded = list(zip(spawn_seeds(run_seed, len(plan.families)), plan.families))
    for family_seed, family in progress(seeded, desc="families"):
        runs.append(
            run_family(
                family, arrays, trials=trials, seed=family_seed, eps=plan.eps, memory_budget=memory_budget,
                engine=engine, client=client,
            )
        )
    report["runs"] = runs
    report["seed"] = seed if isinstance(seed, int) else None
    report["engine"] = engine
    for entry, family in zip(runs, report["families"]):
        for key in ("executed_ops", "predicted_ops", "seconds", "distortion", "subspace_distortion", "skipped"):
            if key in entry:
                family[key] = entry[key]
    return report


def render_runs(plan: SketchPlan, report: Mapping) -> str:
    """Render a run report as a text table."""
    from .cli import _table

    rows = []
    skipped = []
    for entry in report["runs"]:
        if "skipped" in entry:
            rows.append([entry["family"], entry["m"], entry["predicted_ops"], "skipped", "-", "-", "-"])
            skipped.append(f"{entry['family']}: {entry['skipped']}")
            continue
        distortion = entry.get("distortion")
        spread = (
            f"{distortion['mean']:.3f} ± {distortion['std']:.3f} ({distortion['fraction_outside']:.0%} outside 1±{distortion['eps']})"
            if distortion
            else "-"
        )
        rows.append(
            [
                entry["family"],
                entry["m"],
                entry["predicted_ops"],
                entry["executed_ops"],
                "yes" if entry["ops_match"] else "NO",
                f"{entry['seconds'] * 1e3:.2f} ms",
                spread,
            ]
        )
    header = ["family", "m", "predicted ops", "executed ops", "equal", "time", "distortion ‖Sx‖²/‖x‖²"]
    point = ", ".join(f"{k}={v}" for k, v in plan.point.items()) or "its numeric sizes"
    engine = report.get("engine", "numpy")
    lines = [f"network {plan.network.name or '(unnamed)'} at {point}, executed with the {engine} engine"]
    lines.append(_table(header, rows))
    lines.extend(f"skipped {line}" for line in skipped)
    return "\n".join(lines)
