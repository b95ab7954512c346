"""The ``tncost demo`` pipeline: analyze, plan, execute and check on built-in and real networks.

Each case is planned for every family, executed on seeded data, and printed as
a table of family, sketch size, predicted ops, executed ops, time and
distortion. The last case is a real photograph compressed to a tensor train
(:func:`tncost.datasets.image_tensor_train`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .datasets import image_tensor_train
from .planner import plan_sketch
from .runs import render_runs, run_plan
from .structures import parse_builtin

__all__ = ["DEMO_CASES", "run_demo"]

#: Built-in cases: (structure, symbol values, fixed sketch size m).
DEMO_CASES = (
    ("tt:N=4", {"s": 32, "R": 8}, 8),
    ("khatri-rao:N=3", {"s": 64, "R": 8}, 16),
    ("kronecker:N=3", {"s": 128}, 16),
    ("tree:N=4", {"s": 32, "R": 8}, 8),
    ("peps:rows=2,cols=2", {"s": 16, "R": 4}, 8),
)


def run_demo(seed: int = 0, trials: int = 10, echo: Callable[[str], None] = print) -> list[dict]:
    """Run every demo case and return the run reports.

    ``echo`` receives the text of each table as it is ready.
    """
    reports = []
    started = time.perf_counter()
    for text, sizes, m in DEMO_CASES:
        plan = plan_sketch(parse_builtin(text), sizes=sizes, m=m)
        report = run_plan(plan, trials=trials, seed=seed)
        echo(f"\n== {text}, m = {m} for every family (equal sketch size)")
        echo(render_runs(plan, report))
        echo(f"chosen plan: {plan.chosen}")
        reports.append(report)

    network, arrays, error = image_tensor_train(max_rank=16)
    plan = plan_sketch(network, eps=0.5, delta=0.1)
    report = run_plan(plan, data=arrays, trials=trials, seed=seed)
    echo(
        f"\n== real data: {network.name}, relative TT-SVD error {error:.3f}; "
        "each family's m from eps = 0.5, delta = 0.1 (equal accuracy)"
    )
    echo(render_runs(plan, report))
    for family in plan.families:
        for note in family.notes:
            echo(f"note [{family.family}]: {note}")
    echo(f"chosen plan: {plan.chosen}")
    reports.append(report)

    mismatches = [
        (r["network"]["name"], e["family"]) for r in reports for e in r["runs"] if "executed_ops" in e and not e["ops_match"]
    ]
    echo(
        f"\n{sum(len(r['runs']) for r in reports)} plans, executed ops equal to predicted in every executed plan: "
        f"{'yes' if not mismatches else 'NO ' + str(mismatches)}; {time.perf_counter() - started:.1f} s"
    )
    return reports
