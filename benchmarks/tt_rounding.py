"""Tensor-train rounding: randomized against deterministic, and the cost against the lower bound.

Two parts, written to ``results/tt_rounding.json``:

(a) Speed and accuracy. For noisy low-rank trains (a rank-L signal plus a
    rank-(R - L) perturbation of relative size ``NOISE``, so the input has
    rank R), every method rounds to the same target rank L. After one
    untimed warm-up run of each, the methods run interleaved, one repeat of
    each in turn, so they share the machine's state. The script records the
    median wall time, the relative error ``‖T - Y‖ / ‖Y‖``, and the predicted
    and counted ops of each.
(b) The claim check. For randomize-then-orthogonalize, the ops of its
    sketching step and of the whole method are divided by the lower bound
    LB of the sketching step (m = L, right-to-left data tree) over sweeps of
    N, I, R and L <= R; then L grows past R at fixed N, I, R and the growth
    exponent of the ratio in L is fitted by least squares on log-log axes.
    The ops are the exact predictions, which equal the counted ops of a run
    (checked here on the smaller points and in ``tests/test_tt_rounding.py``).

Run from the repository root (under a minute on 2 cores; single-threaded BLAS
keeps the times stable on a shared machine)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/tt_rounding.py --markdown

``--quick`` runs a reduced sweep for a smoke test.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import command_line, machine_info, write_result  # noqa: E402

from tncost.apps.tt import TensorTrain  # noqa: E402
from tncost.apps.tt_rounding import (  # noqa: E402
    METHODS,
    _right_to_left_tree,
    predict_costs,
    predict_tt_costs,
    round_tt,
    sketch_data_network,
)
from tncost.planner import plan_sketch  # noqa: E402

SEED = 20230101
NOISE = 1e-2
REPEATS = 5
OVERSAMPLING = 5

#: (N, I, R, L) of part (a): orders 10 to 20, modes 10 to 50, input ranks up to 100.
SPEED_CASES = [
    (10, 12, 40, 8),
    (10, 20, 60, 15),
    (16, 25, 80, 20),
    (20, 30, 100, 20),
    (12, 50, 100, 30),
]
QUICK_SPEED_CASES = [(10, 12, 30, 8)]

#: Sweeps of part (b) with L <= R (and L <= I, which the bound needs).
ORDERS = (4, 8, 16, 32)
MODE_SIZES = (16, 64, 256, 1024)
RANKS = (4, 16, 64)
#: Part (b) beyond L = R: (N, I, R) and the sketch ranks.
GROWTH_CASES = [(8, 1024, 2), (8, 1024, 4), (16, 256, 8)]
GROWTH_SKETCH = (2, 4, 8, 16, 32, 64, 128, 256)


def noisy_train(order: int, size: int, rank: int, signal_rank: int, seed: int) -> TensorTrain:
    """Build a rank-``signal_rank`` train plus a perturbation of relative norm NOISE, with minimal ranks.

    Bond k of the sum has rank ``min(rank, I^k, I^(N-k))``, the largest a
    tensor of this shape allows, so no sketch is rank-deficient (needs
    ``signal_rank < I``).
    """
    limits = [min(rank, size**k, size ** (order - k)) for k in range(1, order)]
    signal = TensorTrain.random((size,) * order, signal_rank, seed=seed)
    noise = TensorTrain.random((size,) * order, [limit - signal_rank for limit in limits], seed=seed + 1)
    return signal + (NOISE * signal.norm() / noise.norm()) * noise


def variants(sketch: int) -> list[tuple[str, str, int, int | None]]:
    """(label, method, sketch rank, truncation rank) of each run at target rank ``sketch``.

    The randomized methods run twice: with sketch rank L and no truncation,
    and with sketch rank L + OVERSAMPLING truncated to L. Both give rank L.
    """
    runs = [("deterministic", "deterministic", sketch, None)]
    for method in METHODS:
        if method == "deterministic":
            continue
        runs.append((method, method, sketch, None))
        runs.append((f"{method} +{OVERSAMPLING}", method, sketch + OVERSAMPLING, sketch))
    return runs


def speed_case(order: int, size: int, rank: int, sketch: int) -> dict:
    """Round one train with every method, interleaved; return times, errors and ops."""
    tt = noisy_train(order, size, rank, sketch, SEED + order * 1000 + size)
    norm = tt.norm()
    runs = variants(sketch)

    times: dict[str, list[float]] = {label: [] for label, *_ in runs}
    last = {}
    for label, method, sketch_rank, cap in runs:  # warm-up run, not timed
        round_tt(tt, sketch_rank, method=method, seed=SEED, max_rank=cap)
    for repeat in range(REPEATS):
        for label, method, sketch_rank, cap in runs:
            result = round_tt(tt, sketch_rank, method=method, seed=SEED + repeat, max_rank=cap)
            times[label].append(result.seconds)
            last[label] = result

    rows = {}
    for label, method, sketch_rank, cap in runs:
        result = last[label]
        predicted = sum(predict_tt_costs(tt, sketch_rank, method, max_rank=cap).values())
        rows[label] = {
            "method": method,
            "sketch_rank": sketch_rank,
            "truncated_to": cap,
            "seconds_median": float(np.median(times[label])),
            "seconds": times[label],
            "relative_error": (result.tt - tt).norm() / norm,
            "ranks_out": max(result.tt.ranks),
            "predicted_ops": predicted,
            "measured_ops": result.ops,
        }

    deterministic = rows["deterministic"]
    for method, row in rows.items():
        row["speedup_vs_deterministic"] = deterministic["seconds_median"] / row["seconds_median"]
        row["error_over_deterministic"] = row["relative_error"] / deterministic["relative_error"]
    return {"N": order, "I": size, "R": rank, "L": sketch, "runs": rows}


def bound_point(order: int, size: int, rank: int, sketch: int) -> dict:
    """Ops of randomize-then-orthogonalize and its sketch over LB of the sketching step."""
    prediction = predict_costs(order, size, rank, sketch, methods=["randomize-then-orthogonalize"])
    phases = prediction.phases["randomize-then-orthogonalize"]
    bound = prediction.lower_bound.at()  # type: ignore[union-attr]
    total = prediction.methods["randomize-then-orthogonalize"]
    return {
        "N": order,
        "I": size,
        "R": rank,
        "L": sketch,
        "sketch_ops": phases["sketch"],
        "total_ops": total,
        "lower_bound": bound,
        "sketch_over_bound": phases["sketch"] / bound,
        "total_over_bound": total / bound,
    }


def planner_point(order: int, size: int, rank: int, sketch: int) -> dict:
    """Return the cost over LB of the planner's cheapest plans for the same sketch (m = L, same T0).

    ``tt`` is the tensor-train embedding in the orientation the planner finds
    cheaper; ``best_t0`` the cheapest T0-following embedding. Neither need
    produce every partial sketch W_k that the rounding sweep uses.
    """
    data = sketch_data_network(order, [size] * order, [1, *([rank] * (order - 1)), 1])
    plan = plan_sketch(data, m=sketch, families=["tt", "best_t0"], data_tree=_right_to_left_tree(order))
    bound = plan.family("tt").lower_bound_at_point
    return {name: plan.family(name).cost_at_point / bound for name in ("tt", "best_t0")}


def executed_check(order: int, size: int, rank: int, sketch: int) -> bool:
    """Run randomize-then-orthogonalize once and compare its counted ops with the prediction."""
    tt = TensorTrain.random((size,) * order, rank, seed=SEED)
    result = round_tt(tt, sketch, seed=SEED)
    return result.ops == predict_costs(order, size, rank, sketch).at({})["randomize-then-orthogonalize"]


def bound_sweep(quick: bool) -> dict:
    orders = ORDERS[:2] if quick else ORDERS
    sizes = MODE_SIZES[:2] if quick else MODE_SIZES
    points = []
    for order in orders:
        for size in sizes:
            for rank in RANKS:
                sketches = sorted({2, max(2, rank // 4), max(2, rank // 2), rank})
                for sketch in sketches:
                    if sketch <= size:
                        points.append(bound_point(order, size, rank, sketch))
    checked = [executed_check(n, i, r, l) for n, i, r, l in [(4, 16, 4, 2), (8, 64, 16, 8), (8, 16, 64, 16)]]
    return {
        "points": points,
        "max_sketch_over_bound": max(p["sketch_over_bound"] for p in points),
        "max_total_over_bound": max(p["total_over_bound"] for p in points),
        "min_total_over_bound": min(p["total_over_bound"] for p in points),
        "executed_equals_predicted": all(checked),
    }


def growth_sweep(quick: bool) -> list[dict]:
    cases = GROWTH_CASES[:1] if quick else GROWTH_CASES
    sweeps = []
    for order, size, rank in cases:
        points = [bound_point(order, size, rank, sketch) for sketch in GROWTH_SKETCH if sketch <= size]
        for point in points:
            planner = planner_point(order, size, rank, point["L"])
            point["planner_tt_over_bound"] = planner["tt"]
            point["planner_best_t0_over_bound"] = planner["best_t0"]
        beyond = [p for p in points if p["L"] >= 4 * rank]
        fits = {}
        for key in ("sketch_over_bound", "total_over_bound"):
            if len(beyond) >= 2:
                slope = np.polyfit([math.log(p["L"]) for p in beyond], [math.log(p[key]) for p in beyond], 1)[0]
                fits[key] = float(slope)
        sweeps.append({"N": order, "I": size, "R": rank, "points": points, "exponent_in_L_for_L_ge_4R": fits})
    return sweeps


def render_markdown(results: dict) -> str:
    """Render the results as Markdown tables for the benchmark page."""
    lines = ["### TT rounding: randomized against deterministic", ""]
    lines.append(f"Command: `{results['command']}`; machine: {results['machine']['cpu_model']}, "
                 f"{results['machine']['cpus_usable']} usable CPUs; median of {results['repeats']} interleaved runs.")
    lines.append("")

    lines.append("Every run returns rank L; '+5' sketches with rank L + 5 and truncates to L.")
    lines.append("")
    lines.append("| N | I | R | L | method | time (ms) | speed-up vs deterministic | relative error | error / deterministic | ops predicted = measured |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for case in results["speed"]:
        for method, row in case["runs"].items():
            same = "yes" if row["predicted_ops"] == row["measured_ops"] else f"no ({row['predicted_ops']} / {row['measured_ops']})"
            lines.append(
                f"| {case['N']} | {case['I']} | {case['R']} | {case['L']} | {method} | {row['seconds_median'] * 1e3:.1f} | "
                f"{row['speedup_vs_deterministic']:.2f} | {row['relative_error']:.3e} | {row['error_over_deterministic']:.3f} | {same} |"
            )

    bound = results["bound"]
    lines += ["", "### TT rounding: cost of randomize-then-orthogonalize over the lower bound of its sketch", ""]
    lines.append(
        f"Over {len(bound['points'])} points with L <= R (N in {list(ORDERS)}, I in {list(MODE_SIZES)}, R in {list(RANKS)}): "
        f"sketch / LB at most {bound['max_sketch_over_bound']:.3f}; whole method / LB from "
        f"{bound['min_total_over_bound']:.3f} to {bound['max_total_over_bound']:.3f}. "
        f"Counted ops equal predicted ops on the executed points: {bound['executed_equals_predicted']}."
    )
    lines += [
        "",
        "Beyond L = R. The last two columns are the planner's cheapest plans for the same data, T0 and m = L: "
        "the tensor-train embedding in its cheaper orientation, and the best T0-following embedding.",
        "",
        "| N | I | R | L | sketch / LB | total / LB | planner tt / LB | planner best_t0 / LB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sweep in results["growth"]:
        for point in sweep["points"]:
            lines.append(
                f"| {point['N']} | {point['I']} | {point['R']} | {point['L']} | {point['sketch_over_bound']:.2f} | "
                f"{point['total_over_bound']:.2f} | {point['planner_tt_over_bound']:.2f} | {point['planner_best_t0_over_bound']:.2f} |"
            )
    lines.append("")

    for sweep in results["growth"]:
        fits = sweep["exponent_in_L_for_L_ge_4R"]
        lines.append(
            f"- N={sweep['N']}, I={sweep['I']}, R={sweep['R']}: for L >= 4R, sketch / LB grows like L^{fits.get('sketch_over_bound', float('nan')):.2f}"
            f" and total / LB like L^{fits.get('total_over_bound', float('nan')):.2f}."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run a reduced sweep (a smoke test)")
    parser.add_argument("--markdown", action="store_true", help="also print the Markdown tables")
    args = parser.parse_args(argv)

    cases = QUICK_SPEED_CASES if args.quick else SPEED_CASES
    results = {
        "command": command_line(),
        "machine": machine_info(),
        "seed": SEED,
        "noise": NOISE,
        "repeats": REPEATS,
        "speed": [speed_case(*case) for case in cases],
        "bound": bound_sweep(args.quick),
        "growth": growth_sweep(args.quick),
    }
    name = "tt_rounding-quick" if args.quick else "tt_rounding"
    path = write_result(name, results)
    print(f"wrote {path}")
    if args.markdown:
        print(render_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
