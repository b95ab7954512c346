"""Planning time of the MS22 and best-T0 families on the built-in structures.

For each structure, at the default sample of its size symbols (as
``tncost analyze SPEC --sketch all`` with no sizes), the script times

* ``plan_sketch(..., families=["ms22"])`` and ``families=["best_t0"]`` with
  the data tree T0 given (so T0's search is not counted), which is the
  sketch-size rule, the choices and the plan of the family;
* ``plan_sketch`` with all six families (T0's search included), the work of
  the analyze command without process start-up and printing.

Each timing is the median of ``--repeats`` runs, stopped after ``--timeout``
seconds (recorded as a timeout). Beside the times it records each family's m,
k and exact plan cost, so that two labelled runs (for example before and
after a change to the algorithm) can be checked for equal choices.

Results go to ``results/ms22_speed.json`` under the ``--label`` given; runs
with other labels already in the file are kept.

Run: python benchmarks/ms22_speed.py --label after
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, command_line, machine_info, write_result  # noqa: E402

from tncost.paths import optimize  # noqa: E402
from tncost.planner import _resolve_point, plan_sketch  # noqa: E402
from tncost.structures import parse_builtin  # noqa: E402

CASES = (
    "tt:N=8",
    "tt:N=16",
    "tt:N=32",
    "tt:N=64",
    "tree:N=16",
    "tree:N=30",
    "peps:rows=3,cols=3",
    "peps:rows=4,cols=4",
    "kronecker:N=8",
    "khatri-rao:N=6",
)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise _Timeout


def timed(function, repeats: int, timeout: float) -> dict:
    """Median wall time of ``function`` over ``repeats`` runs, or a timeout record."""
    times = []
    value = None
    for _ in range(repeats):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        start = time.perf_counter()
        try:
            value = function()
        except _Timeout:
            return {"seconds": None, "timeout": timeout, "value": None}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(time.perf_counter() - start)
    times.sort()
    return {"seconds": times[len(times) // 2], "times": times, "value": value}


def family_summary(plan) -> dict:
    family = plan.families[0] if len(plan.families) == 1 else None
    rows = {}
    for f in plan.families if family is None else [family]:
        rows[f.family] = {"m": f.m, "k": f.k, "cost": str(f.cost_at_point)}
    return rows


def run(cases, repeats: int, timeout: float) -> list[dict]:
    signal.signal(signal.SIGALRM, _alarm)
    rows = []
    for spec in cases:
        network = parse_builtin(spec)
        point, _ = _resolve_point(network, None)
        data = network.at_sizes({k: v for k, v in point.items() if k in network.symbols})
        data_tree = optimize(data)
        row = {"case": spec, "point": point}
        for family in ("ms22", "best_t0"):
            result = timed(lambda: plan_sketch(network, families=[family], data_tree=data_tree), repeats, timeout)
            row[family] = {
                "seconds": result["seconds"],
                "timeout": result.get("timeout"),
                **(family_summary(result["value"])[family] if result["value"] is not None else {}),
            }
        everything = timed(lambda: plan_sketch(network), repeats, timeout)
        row["all_families_seconds"] = everything["seconds"]
        if everything["value"] is not None:
            row["all_families"] = family_summary(everything["value"])
        rows.append(row)
        seconds = {f: row[f]["seconds"] for f in ("ms22", "best_t0")}
        print(
            f"{spec:22s} ms22 {_fmt(seconds['ms22'])}  best_t0 {_fmt(seconds['best_t0'])}  "
            f"all six {_fmt(row['all_families_seconds'])}",
            flush=True,
        )
    return rows


def _fmt(seconds: float | None) -> str:
    return "timeout" if seconds is None else f"{seconds:8.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="name of this run in the results file")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a timing is abandoned")
    parser.add_argument("--cases", nargs="*", default=list(CASES), help="built-in structures to time")
    args = parser.parse_args(argv)
    rows = run(args.cases, args.repeats, args.timeout)
    path = RESULTS / "ms22_speed.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    runs = dict(previous.get("runs", {}))
    runs[args.label] = {
        "command": command_line(),
        "machine": machine_info(),
        "repeats": args.repeats,
        "timeout_seconds": args.timeout,
        "cases": rows,
    }
    write_result("ms22_speed", {"benchmark": "ms22_speed", "runs": runs})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
