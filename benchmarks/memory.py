"""Memory: measured peak of executing a plan against the plan's predicted live peak.

The predicted live peak (``FamilyPlan.live_peak_at_point``) is the largest
number of entries alive at once along the plan's execution order, inputs and
embedding tensors included. Times 8 bytes for float64, it is the prediction.

The measurement uses ``tracemalloc``, to which numpy reports its array
allocations. Inside the traced region the script draws the data tensors and
the embedding tensors, then runs ``execute_tree``; the traced peak minus the
traced size before the region is the measured peak. Memory that the BLAS
library allocates for itself is not seen by tracemalloc.

Each case and family whose predicted live peak is within ``--max-gb`` is
measured ``--repeats`` times (the peak is nearly deterministic; the median is
kept). Target: measured / predicted at most 1.5.

Run: python benchmarks/memory.py
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

import _common

from tncost import execute
from tncost.planner import FAMILY_NAMES, plan_sketch
from tncost.runs import _numeric_rows, plan_data
from tncost.structures import parse_builtin

CASES = (
    ("khatri-rao:N=3", {"s": 512, "R": 64}, 64),
    ("tt:N=4", {"s": 256, "R": 32}, 32),
    ("kronecker:N=3", {"s": 1024}, 64),
    ("tree:N=4", {"s": 256, "R": 32}, 32),
    ("kronecker:N=2", {"s": 1024}, 64),
    ("khatri-rao:N=2", {"s": 1024, "R": 64}, 64),
    ("peps:rows=2,cols=2", {"s": 64, "R": 8}, 16),
)
TARGET_RATIO = 1.5


def measure(plan, family, seed: int) -> tuple[int, int]:
    """Measure the traced peak bytes of drawing the arrays and executing ``family``'s plan, and the result's bytes."""
    joint = family.numeric_joint()
    rows = {t.name: int(r) for t, r in zip(family.embedding.tensors, _numeric_rows(family))}
    stddevs = execute.embedding_stddevs(rows, family.embedding.scaling, family.m)
    sampler = execute.embedding_sampler(joint, stddevs)
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        arrays = {**plan_data(plan, seed), **sampler(seed + 1)}
        run = execute.execute_tree(joint, family.tree, arrays, memory_check=False)
        _, peak = tracemalloc.get_traced_memory()
        result_bytes = run.result.nbytes
        del arrays, run
    finally:
        tracemalloc.stop()
    return peak - base, result_bytes


def step_peaks(plan, family, seed: int) -> list[dict]:
    """Record the traced memory around each pairwise step of one execution, to show where the peak happens.

    A wrapper around ``tncost.execute._pairwise`` (the function that does one
    step) records the traced size before the step, the traced peak during it
    and the size of its result. ``transient`` is what the step held beyond its
    operands' owners and its result: temporary copies made by the contraction
    (for example a transposed operand). This is a separate, diagnostic
    execution; the headline figure comes from :func:`measure`.
    """
    joint = family.numeric_joint()
    rows = {t.name: int(r) for t, r in zip(family.embedding.tensors, _numeric_rows(family))}
    stddevs = execute.embedding_stddevs(rows, family.embedding.scaling, family.m)
    sampler = execute.embedding_sampler(joint, stddevs)
    original = execute._pairwise
    records: list[dict] = []

    def traced_pairwise(a_indices, a, b_indices, b, out):
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = original(a_indices, a, b_indices, b, out)
        _, peak = tracemalloc.get_traced_memory()
        records.append(
            {
                "shapes": [list(a.shape), list(b.shape)],
                "result_shape": list(result.shape),
                "before_bytes": before,
                "peak_bytes": peak,
                "result_bytes": result.nbytes,
                "transient_bytes": max(0, peak - before - result.nbytes),
            }
        )
        return result

    gc.collect()
    tracemalloc.start()
    execute._pairwise = traced_pairwise
    try:
        base, _ = tracemalloc.get_traced_memory()
        arrays = {**plan_data(plan, seed), **sampler(seed + 1)}
        execute.execute_tree(joint, family.tree, arrays, memory_check=False)
        del arrays
    finally:
        execute._pairwise = original
        tracemalloc.stop()
    for record in records:
        record["before_bytes"] -= base
        record["peak_bytes"] -= base
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-gb", type=float, default=2.0, help="skip plans whose predicted live peak exceeds this")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    machine = _common.machine_info()
    rows = []
    start = time.perf_counter()
    for spec, sizes, m in CASES:
        network = parse_builtin(spec)
        sizes = {k: v for k, v in sizes.items() if k in network.symbols}
        plan = plan_sketch(network, sizes=sizes, m=m, families=list(FAMILY_NAMES))
        for family in plan.families:
            predicted = family.live_peak_at_point * 8
            row: dict = {
                "case": spec,
                "sizes": sizes,
                "m": m,
                "family": family.family,
                "predicted_bytes": predicted,
                "largest_intermediate_bytes": family.largest_intermediate_at_point * 8,
            }
            if predicted > args.max_gb * 1e9:
                row["skipped"] = f"predicted live peak {predicted / 1e9:.1f} GB exceeds {args.max_gb} GB"
                rows.append(row)
                print(f"{spec:20s} {family.family:11s} skipped: {row['skipped']}", flush=True)
                continue
            peaks = [measure(plan, family, args.seed)[0] for _ in range(args.repeats)]
            measured = statistics.median(peaks)
            steps = step_peaks(plan, family, args.seed)
            top = max(range(len(steps)), key=lambda k: steps[k]["peak_bytes"]) if steps else None
            row.update(
                {
                    "measured_bytes": measured,
                    "measured_all": peaks,
                    "ratio": measured / predicted,
                    "target_met": measured / predicted <= TARGET_RATIO,
                    "peak_step": None if top is None else {"number": top + 1, **steps[top]},
                    "largest_transient_bytes": max((r["transient_bytes"] for r in steps), default=0),
                    "steps": steps,
                }
            )
            rows.append(row)
            print(
                f"{spec:20s} {family.family:11s} predicted={predicted / 1e6:9.2f} MB measured={measured / 1e6:9.2f} MB "
                f"ratio={row['ratio']:.2f} largest transient {row['largest_transient_bytes'] / 1e6:.2f} MB",
                flush=True,
            )
    path = _common.write_result(
        "memory",
        {
            "benchmark": "memory",
            "command": _common.command_line(),
            "machine": machine,
            "settings": {
                "families": list(FAMILY_NAMES),
                "repeats": args.repeats,
                "max_gb": args.max_gb,
                "seed": args.seed,
                "target_ratio": TARGET_RATIO,
            },
            "rows": rows,
            "seconds": time.perf_counter() - start,
        },
    )
    print(f"wrote {path} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
