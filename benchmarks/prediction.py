"""Prediction: the ops a plan executes equal the ops the planner predicted, for every family.

For each case (a built-in structure at moderate sizes and a fixed sketch
size m), every planner family is planned with ``plan_sketch`` and executed
with ``tncost.runs.run_plan`` (a few distortion trials, so the public path
is the one measured). Three counts are compared:

* predicted: the plan's ``cost_at_point`` (tncost's cost model);
* executed: the sum over steps of the product of the distinct dimensions of
  the two arrays each step actually received (``execute_tree``), also
  compared step by step with the prediction of ``tree_cost``;
* opt_einsum: ``opt_einsum.contract_path`` on the joint network with the
  plan's path, whose ``opt_cost`` is in opt_einsum's flop convention and is
  compared with ``tree_cost(...).convert("opt_einsum")``.

Each case runs at m = 8 and at m = 5 (a value no other size takes, so a
mix-up of m with another size cannot go unseen).

Run: python benchmarks/prediction.py
"""

from __future__ import annotations

import argparse
import time

import _common

import opt_einsum

from tncost import execute
from tncost.cost import tree_cost
from tncost.planner import FAMILY_NAMES, plan_sketch
from tncost.runs import _numeric_rows, plan_data, run_plan
from tncost.structures import parse_builtin

CASES = (
    ("tt:N=4", {"s": 64, "R": 8}),
    ("khatri-rao:N=3", {"s": 64, "R": 8}),
    ("kronecker:N=3", {"s": 64}),
    ("tree:N=4", {"s": 64, "R": 8}),
    ("peps:rows=2,cols=2", {"s": 32, "R": 4}),
    ("tucker:N=3", {"s": 32, "R": 6}),
    ("cp:N=3", {"s": 32, "R": 6}),
    ("mpo:N=2", {"s": 16, "R": 4}),
)
SKETCH_SIZES = (8, 5)


def opt_einsum_cost(joint, tree) -> int:
    """Return opt_einsum's own flop count of the plan's path on the joint network."""
    letters = {index: opt_einsum.get_symbol(k) for k, index in enumerate(joint.indices)}
    equation = ",".join("".join(letters[i] for i in t.indices) for t in joint.tensors)
    equation += "->" + "".join(letters[i] for i in joint.output or ())
    shapes = [tuple(int(joint.size_dict[i]) for i in t.indices) for t in joint.tensors]
    _, info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=[tuple(step) for step in tree.path()])
    return int(info.opt_cost)


def step_check(plan, family, data) -> tuple[int, int]:
    """Execute once more and compare each step's executed ops with its predicted ops."""
    joint = family.numeric_joint()
    rows = {t.name: int(r) for t, r in zip(family.embedding.tensors, _numeric_rows(family))}
    stddevs = execute.embedding_stddevs(rows, family.embedding.scaling, family.m)
    arrays = {**data, **execute.embedding_sampler(joint, stddevs)(1)}
    run = execute.execute_tree(joint, family.tree, arrays)
    predicted = tree_cost(joint, family.tree).steps
    equal = sum(int(p.ops) == s.ops for p, s in zip(predicted, run.steps))
    return equal, len(predicted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3, help="distortion trials per family in run_plan")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    machine = _common.machine_info()
    rows = []
    start = time.perf_counter()
    for spec, sizes in CASES:
        network = parse_builtin(spec)
        sizes = {k: v for k, v in sizes.items() if k in network.symbols}
        for m in SKETCH_SIZES:
            plan = plan_sketch(network, sizes=sizes, m=m, families=list(FAMILY_NAMES))
            report = run_plan(plan, trials=args.trials, seed=args.seed)
            data = plan_data(plan, 0)
            for family, run in zip(plan.families, report["runs"]):
                joint = family.numeric_joint()
                cost = tree_cost(joint, family.tree)
                row = {
                    "case": spec,
                    "sizes": sizes,
                    "m": m,
                    "family": family.family,
                    "steps": len(family.tree.steps),
                    "predicted_ops": family.cost_at_point,
                    "predicted_opt_einsum": int(cost.convert("opt_einsum")),
                    "opt_einsum_count": opt_einsum_cost(joint, family.tree),
                }
                if "skipped" in run:
                    row["skipped"] = run["skipped"]
                else:
                    equal_steps, total_steps = step_check(plan, family, data)
                    row.update(
                        executed_ops=run["executed_ops"],
                        ops_equal=run["executed_ops"] == family.cost_at_point,
                        steps_equal=equal_steps == total_steps,
                        opt_einsum_equal=row["opt_einsum_count"] == row["predicted_opt_einsum"],
                        distortion_mean=run["distortion"]["mean"] if "distortion" in run else None,
                    )
                rows.append(row)
                if "skipped" in row:
                    status = "skipped"
                elif row["ops_equal"] and row["steps_equal"]:
                    status = "equal"
                else:
                    status = "DIFFERENT"
                print(
                    f"{spec:20s} m={m:2d} {family.family:11s} predicted={family.cost_at_point:>12d} "
                    f"executed={row.get('executed_ops', '-'):>12} {status}; opt_einsum "
                    f"{'agrees' if row['opt_einsum_count'] == row['predicted_opt_einsum'] else 'DIFFERS'}",
                    flush=True,
                )
    executed = [r for r in rows if "skipped" not in r]
    summary = {
        "plans": len(rows),
        "executed": len(executed),
        "all_ops_equal": all(r["ops_equal"] and r["steps_equal"] for r in executed),
        "all_opt_einsum_equal": all(r["opt_einsum_count"] == r["predicted_opt_einsum"] for r in rows),
        "seconds": time.perf_counter() - start,
    }
    print(summary)
    path = _common.write_result(
        "prediction",
        {
            "benchmark": "prediction",
            "command": _common.command_line(),
            "machine": machine,
            "settings": {"families": list(FAMILY_NAMES), "sketch_sizes": list(SKETCH_SIZES), "trials": args.trials, "seed": args.seed},
            "rows": rows,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
