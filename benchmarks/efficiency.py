"""Execution efficiency: achieved GFLOP/s of executing a plan against a plain numpy GEMM.

The cases are built-in structures at sizes where the steps are matrix
products of some size. For each case and each planner family whose predicted
live peak fits in ``--max-gb`` gigabytes, the plan's data and embedding
arrays are drawn once and the plan is executed with
``tncost.execute.execute_tree``. Its real flop
count is ``tree_cost(joint, tree).convert("flops")`` (two per multiply-add of a
summing step, one per entry of an outer product: opt_einsum's convention).

Beside each execution, in the same repeat, a square float64 ``np.dot`` of
n x n matrices with 2 n^3 close to the plan's flops is timed. Each timed sample
loops until it has run for at least ``--min-seconds`` and divides by the loop
count; there are ``--repeats`` samples of each, interleaved, and the medians
are reported. The ratio is (plan GFLOP/s) / (GEMM GFLOP/s) per repeat, median.

For reference, the same steps are also timed as plain products of
contiguous matrices of the step's dimensions (``np.matmul`` of batch x M x K
by batch x K x N, see ``step_rows``): what the step shapes allow without the
transpositions, index bookkeeping and einsum fallbacks of a general
contraction (median of 3 samples, after the repeats above).

Two plan times are kept: the wall time of the ``execute_tree`` call (what a
user waits for; includes the Python bookkeeping between steps) and the sum of
the steps' contraction times that ``execute_tree`` reports. The ratio uses the
wall time. Per-step times (the mean over the executions of the median repeat)
are written to the JSON with each step's GEMM dimensions, to show where the
time goes.

The number of BLAS threads is numpy's default unless OPENBLAS_NUM_THREADS (or
OMP_NUM_THREADS) is set; the result file name says which.

Run: python benchmarks/efficiency.py
     OPENBLAS_NUM_THREADS=1 python benchmarks/efficiency.py
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import _common

import numpy as np

from tncost import execute
from tncost.cost import kept_indices, tree_cost
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
)
TARGET_RATIO = 0.5


def timed(function, min_seconds: float) -> tuple[float, int, object]:
    """Call ``function`` until ``min_seconds`` have passed; return seconds per call, the count and the last result."""
    count = 0
    start = time.perf_counter()
    while True:
        result = function()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / count, count, result


def step_rows(joint, runs) -> list[dict]:
    """Summarize each step over the executions ``runs``: shapes, GEMM dimensions, flops, mean time, GFLOP/s.

    A step joins A and B: indices on both and kept are batch indices, indices on
    both and summed make K, the other indices of A make M and those of B make N.
    A step with M or N equal to 1 is a matrix-vector product.
    """
    rows = []
    for number, step in enumerate(runs[0].steps):
        seconds = statistics.fmean(run.steps[number].seconds for run in runs)
        # Operands carry the kept indices of their node, in that order (as execute_tree builds them).
        left = dict(zip(kept_indices(joint, step.left), step.shapes[0]))
        right = dict(zip(kept_indices(joint, step.right), step.shapes[1]))
        kept = set(step.result_indices)
        both = [i for i in left if i in right]
        batch = math.prod(left[i] for i in both if i in kept)
        k = math.prod(left[i] for i in both if i not in kept)
        m_dim = math.prod(v for i, v in left.items() if i not in right)
        n_dim = math.prod(v for i, v in right.items() if i not in left)
        summed = any(i not in kept for i in both)
        flops = step.ops * (2 if summed else 1)
        rows.append(
            {
                "shapes": [list(step.shapes[0]), list(step.shapes[1])],
                "result_shape": list(step.result_shape),
                "gemm_dims": {"batch": batch, "M": m_dim, "N": n_dim, "K": k},
                "kind": _kind(batch, m_dim, n_dim, k),
                "ops": step.ops,
                "flops": flops,
                "seconds": seconds,
                "gflops": flops / seconds / 1e9 if seconds > 0 else None,
            }
        )
    return rows


def _kind(batch: int, m_dim: int, n_dim: int, k: int) -> str:
    if k == 1:
        return "outer or elementwise product"
    if batch > 1:
        return "batched product"
    if min(m_dim, n_dim) == 1:
        return "matrix-vector"
    return "matrix-matrix"


def shaped_products(steps: list[dict], rng) -> list[tuple]:
    """Draw contiguous operands for the plain (batched) matrix product that each step amounts to."""
    operands = []
    for step in steps:
        d = step["gemm_dims"]
        left = rng.standard_normal((d["batch"], d["M"], d["K"]))
        right = rng.standard_normal((d["batch"], d["K"], d["N"]))
        operands.append((left[0], right[0]) if d["batch"] == 1 else (left, right))
    return operands


def run_shaped(operands: list[tuple]) -> None:
    for left, right in operands:
        np.matmul(left, right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.2, help="minimum duration of one timed sample, in seconds")
    parser.add_argument("--max-gb", type=float, default=2.0, help="skip plans whose predicted live peak exceeds this")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    name = "efficiency" if threads is None else f"efficiency-threads-{threads}"
    machine = _common.machine_info()
    rng = np.random.default_rng(args.seed)
    rows = []
    start = time.perf_counter()
    for spec, sizes, m in CASES:
        network = parse_builtin(spec)
        sizes = {k: v for k, v in sizes.items() if k in network.symbols}
        plan = plan_sketch(network, sizes=sizes, m=m, families=list(FAMILY_NAMES))
        data = plan_data(plan, args.seed)
        for family in plan.families:
            live_gb = family.live_peak_at_point * 8 / 1e9
            row: dict = {"case": spec, "sizes": sizes, "m": m, "family": family.family, "live_peak_gb": live_gb}
            if live_gb > args.max_gb:
                row["skipped"] = f"predicted live peak {live_gb:.1f} GB exceeds {args.max_gb} GB"
                rows.append(row)
                print(f"{spec:16s} {family.family:11s} skipped: {row['skipped']}", flush=True)
                continue
            joint = family.numeric_joint()
            flops = int(tree_cost(joint, family.tree).convert("flops"))
            rows_of = {t.name: int(r) for t, r in zip(family.embedding.tensors, _numeric_rows(family))}
            stddevs = execute.embedding_stddevs(rows_of, family.embedding.scaling, family.m)
            arrays = {**data, **execute.embedding_sampler(joint, stddevs)(args.seed + 1)}
            n = max(2, round((flops / 2) ** (1 / 3)))
            a = rng.standard_normal((n, n))
            b = rng.standard_normal((n, n))
            gemm_flops = 2 * n**3

            def run_plan_once():
                return execute.execute_tree(joint, family.tree, arrays, memory_check=False)

            run_plan_once()  # warm-up: first-touch of the arrays, opt_einsum caches
            np.dot(a, b)
            samples = []
            for _ in range(args.repeats):
                runs = []

                def run_and_keep():
                    runs.append(run_plan_once())

                plan_seconds, _, _ = timed(run_and_keep, args.min_seconds)
                gemm_seconds, _, _ = timed(lambda: np.dot(a, b), args.min_seconds)
                step_seconds = statistics.fmean(run.seconds for run in runs)
                samples.append((plan_seconds, step_seconds, gemm_seconds, runs))
            ratios = [(flops / p) / (gemm_flops / g) for p, _, g, _ in samples]
            plan_median = statistics.median(p for p, _, _, _ in samples)
            steps_median = statistics.median(s for _, s, _, _ in samples)
            gemm_median = statistics.median(g for _, _, g, _ in samples)
            ratio = statistics.median(ratios)
            middle = sorted(samples, key=lambda sample: sample[0])[len(samples) // 2][3]
            steps = step_rows(joint, middle)
            operands = shaped_products(steps, rng)
            run_shaped(operands)
            shaped_median = statistics.median(timed(lambda: run_shaped(operands), args.min_seconds)[0] for _ in range(3))
            del operands
            row.update(
                {
                    "flops": flops,
                    "ops": family.cost_at_point,
                    "plan_seconds": plan_median,
                    "plan_step_seconds": steps_median,
                    "plan_gflops": flops / plan_median / 1e9,
                    "plan_gflops_steps_only": flops / steps_median / 1e9,
                    "gemm_n": n,
                    "gemm_flops": gemm_flops,
                    "gemm_seconds": gemm_median,
                    "gemm_gflops": gemm_flops / gemm_median / 1e9,
                    "ratio": ratio,
                    "ratios": ratios,
                    "target_met": ratio >= TARGET_RATIO,
                    "same_shape_seconds": shaped_median,
                    "same_shape_gflops": flops / shaped_median / 1e9,
                    "ratio_to_same_shape": shaped_median / plan_median,
                    "steps": steps,
                }
            )
            rows.append(row)
            print(
                f"{spec:16s} {family.family:11s} flops={flops:.3e} plan={row['plan_gflops']:6.2f} GF/s "
                f"(steps only {row['plan_gflops_steps_only']:6.2f}) gemm n={n} {row['gemm_gflops']:6.2f} GF/s "
                f"ratio={ratio:.2f} same-shape {row['same_shape_gflops']:6.2f} GF/s",
                flush=True,
            )
            del arrays, a, b, samples, middle
    path = _common.write_result(
        name,
        {
            "benchmark": "efficiency",
            "command": _common.command_line(),
            "machine": machine,
            "settings": {
                "families": list(FAMILY_NAMES),
                "repeats": args.repeats,
                "min_seconds": args.min_seconds,
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
