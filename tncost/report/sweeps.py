"""The numbers behind a report's comparison plots: sweeps of one size, of m, and a 2-D grid.

Every point of a sweep is planned afresh with :func:`~tncost.planner.plan_sketch`
(its own data tree T0 and its own optimal T0-consistent orders), so a curve
shows what the planner would choose at each size, not one order re-evaluated.
Costs and bounds are exact ints. A point where a family or the lower bound is
undefined (for example m above a sketched index's size) is ``None``.

The results are plain dicts of lists, ready for JSON and for :mod:`.plots`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from .. import execute
from ..errors import TncostError
from ..network import TensorNetwork
from ..planner import SketchPlan, plan_sketch
from ..progress import progress
from ..random import Seed, spawn_seeds
from ..runs import plan_data
from ..tree import ContractionTree

__all__ = [
    "scaled_values",
    "sweep_symbol",
    "cost_sweep",
    "ratio_sweep",
    "regime_grid",
    "regime_axes",
    "distortion_ratios",
]


def scaled_values(center: int, steps: Sequence[int] = (-2, -1, 0, 1, 2), low: int = 1) -> list[int]:
    """Return ``center * 2**k`` for each k in ``steps``, dropping values below ``low`` and repeats.

    Examples
    --------
    >>> scaled_values(16)
    [4, 8, 16, 32, 64]
    >>> scaled_values(2, low=2)
    [2, 4, 8]
    """
    values = []
    for step in steps:
        value = center * 2**step if step >= 0 else center // 2 ** (-step)
        if value >= low and value not in values:
            values.append(int(value))
    return values


def sweep_symbol(network: TensorNetwork) -> str | None:
    """Return the size symbol to sweep: the first symbol of a sketched index, else the first symbol."""
    for index in network.sketched:
        size = network.size_dict[index]
        if not isinstance(size, int) and size.free_symbols:
            return sorted(s.name for s in size.free_symbols)[0]
    return network.symbols[0] if network.symbols else None


def _plan_at(
    network: TensorNetwork,
    sizes: Mapping[str, int],
    *,
    eps: float,
    delta: float,
    m: int | None,
    families: Sequence[str] | None,
    data_tree: ContractionTree | None,
    constant: float,
) -> SketchPlan | None:
    try:
        return plan_sketch(
            network, eps, delta, sizes=dict(sizes), m=m, families=families, data_tree=data_tree, constant=constant
        )
    except TncostError:
        return None


def _bound_at(plan: SketchPlan, m: int) -> int | None:
    if plan.lower_bound is None:
        return None
    sizes = {**plan.point, "m": m}
    try:
        return plan.lower_bound.at(sizes)
    except TncostError:
        return None


def cost_sweep(
    network: TensorNetwork,
    symbol: str,
    values: Sequence[int],
    point: Mapping[str, int],
    *,
    eps: float = 0.5,
    delta: float = 0.1,
    m: int | None = None,
    families: Sequence[str] | None = None,
    data_tree: ContractionTree | None = None,
    constant: float = 1.0,
) -> dict:
    """Plan ``network`` at each value of ``symbol`` (other symbols from ``point``) and collect the costs.

    Returns
    -------
    dict
        ``symbol``, ``values``, ``families`` (name to the list of ops at each
        value), ``m`` (name to the list of sketch sizes), ``lower_bound`` (LB
        at each value, at the fixed m or else at the chosen family's m),
        ``lower_bound_m`` and ``chosen``.
    """
    result: dict = {"symbol": symbol, "values": list(values), "families": {}, "m": {}, "lower_bound": [],
                    "lower_bound_m": [], "chosen": []}
    for position, value in enumerate(progress(list(values), desc=f"sweep {symbol}")):
        sizes = {**{k: v for k, v in point.items() if k != "m"}, symbol: value}
        plan = _plan_at(network, sizes, eps=eps, delta=delta, m=m, families=families, data_tree=data_tree, constant=constant)
        if families is not None:
            names = list(families)
        else:
            names = [f.family for f in plan.families] if plan is not None else []
        for name in names:
            result["families"].setdefault(name, [None] * len(values))
            result["m"].setdefault(name, [None] * len(values))
        if plan is None:
            result["lower_bound"].append(None)
            result["lower_bound_m"].append(None)
            result["chosen"].append(None)
            continue
        for family in plan.families:
            result["families"].setdefault(family.family, [None] * len(values))[position] = family.cost_at_point
            result["m"].setdefault(family.family, [None] * len(values))[position] = family.m
        bound_m = m if m is not None else plan.family(plan.chosen).m
        result["lower_bound"].append(_bound_at(plan, bound_m))
        result["lower_bound_m"].append(bound_m)
        result["chosen"].append(plan.chosen)
    return result


def ratio_sweep(
    network: TensorNetwork,
    m_values: Sequence[int],
    point: Mapping[str, int],
    *,
    families: Sequence[str] | None = None,
    data_tree: ContractionTree | None = None,
) -> dict:
    """Plan ``network`` at ``point`` with each fixed m and collect cost / LB for every family.

    Returns
    -------
    dict
        ``m`` (the values), ``cost`` and ``ratio`` (family name to a list),
        ``ratio_exact`` (the same ratios as fraction strings) and
        ``lower_bound`` (LB at each m).
    """
    result: dict = {"m": list(m_values), "cost": {}, "ratio": {}, "ratio_exact": {}, "lower_bound": []}
    sizes = {k: v for k, v in point.items() if k != "m"}
    for position, m in enumerate(progress(list(m_values), desc="sweep m")):
        plan = _plan_at(network, sizes, eps=0.5, delta=0.1, m=m, families=families, data_tree=data_tree, constant=1.0)
        bound = _bound_at(plan, m) if plan is not None else None
        result["lower_bound"].append(bound)
        for family in plan.families if plan is not None else ():
            for key in ("cost", "ratio", "ratio_exact"):
                result[key].setdefault(family.family, [None] * len(m_values))
            result["cost"][family.family][position] = family.cost_at_point
            if bound:
                ratio = Fraction(family.cost_at_point, bound)
                result["ratio"][family.family][position] = float(ratio)
                result["ratio_exact"][family.family][position] = str(ratio)
    return result


def regime_axes(network: TensorNetwork, m: int | None) -> tuple[str, str, str | None] | None:
    """Choose the two swept sizes of a regime map and the fixed third, or None when fewer than two vary.

    The swept sizes are the network's symbols (the sketched indices' symbol
    first) and, when m is fixed, ``m``; the first two are swept and the next
    one, if any, is held at its value.
    """
    first = sweep_symbol(network)
    names = ([first] if first else []) + [s for s in network.symbols if s != first]
    if m is not None:
        names.append("m")
    if len(names) < 2:
        return None
    return names[0], names[1], names[2] if len(names) > 2 else None


def regime_grid(
    network: TensorNetwork,
    x_symbol: str,
    x_values: Sequence[int],
    y_symbol: str,
    y_values: Sequence[int],
    point: Mapping[str, int],
    *,
    eps: float = 0.5,
    delta: float = 0.1,
    m: int | None = None,
    families: Sequence[str] | None = None,
    data_tree: ContractionTree | None = None,
    constant: float = 1.0,
) -> dict:
    """Plan ``network`` over a grid of two sizes and record the chosen family at each point.

    Either axis may be ``"m"`` (the shared sketch size). Other symbols and m
    keep their values from ``point`` and ``m``.

    Returns
    -------
    dict
        ``x``, ``x_values``, ``y``, ``y_values``, ``fixed`` (the sizes held
        constant), ``winner`` (rows over y, columns over x: the chosen family
        or None where no plan exists) and ``cost`` (the winner's ops).
    """
    base = {k: v for k, v in point.items() if k != "m"}
    fixed = {k: v for k, v in base.items() if k not in (x_symbol, y_symbol)}
    if m is not None and "m" not in (x_symbol, y_symbol):
        fixed["m"] = m
    winners: list[list[str | None]] = []
    costs: list[list[int | None]] = []
    cells = [(y, x) for y in y_values for x in x_values]
    for y, x in progress(cells, desc="regime map"):
        if x == x_values[0]:
            winners.append([])
            costs.append([])
        sizes = dict(base)
        sketch_size = m
        for name, value in ((x_symbol, x), (y_symbol, y)):
            if name == "m":
                sketch_size = value
            else:
                sizes[name] = value
        plan = _plan_at(network, sizes, eps=eps, delta=delta, m=sketch_size, families=families,
                        data_tree=data_tree, constant=constant)
        winners[-1].append(None if plan is None else plan.chosen)
        costs[-1].append(None if plan is None else plan.family(plan.chosen).cost_at_point)
    return {"x": x_symbol, "x_values": list(x_values), "y": y_symbol, "y_values": list(y_values),
            "fixed": fixed, "winner": winners, "cost": costs}


def distortion_ratios(plan: SketchPlan, trials: int, seed: Seed = 0) -> dict[str, list[float]]:
    """Redraw the trials of :func:`tncost.runs.run_plan` and return every ratio ‖Sx‖²/‖x‖² by family.

    The seeds are derived exactly as ``run_plan(plan, trials=trials, seed=seed)``
    derives them, so the ratios are those behind its distortion summaries.
    Families that do not fit the default memory budget are left out.
    """
    # NOTE: this repeats run_plan's seed derivation because its run entries keep
    # only summary figures; keep the two in step when either changes.
    data_seed, run_seed = spawn_seeds(seed, 2)
    ratios: dict[str, list[float]] = {}
    if trials <= 0:
        return ratios
    data = None
    for family_seed, family in zip(spawn_seeds(run_seed, len(plan.families)), plan.families):
        try:
            execute.check_memory(family.live_peak_at_point, np.float64, None)
        except TncostError:
            continue
        if data is None:
            data = plan_data(plan, data_seed)
        joint = family.numeric_joint()
        numeric = family.numeric_embedding()
        rows = {t.name: int(r) for t, r in zip(numeric.tensors, numeric.row_sizes)}
        draw = execute.embedding_sampler(joint, execute.embedding_stddevs(rows, numeric.scaling, family.m))
        _, trial_seed = spawn_seeds(family_seed, 2)
        stats = execute.distortion_trials(joint, family.tree, data, draw, trials, trial_seed, plan.eps)
        ratios[family.family] = [float(r) for r in stats.ratios]
    return ratios
