"""Analysis latency: how long planning takes, beside cotengra's order search on the same network.

For each network (tensor trains of order 8, 16, 32 and 64, a 4 x 4 PEPS, a
binary tree tensor network with 30 leaves), all at the default sample of the
size symbols (no sizes given, as ``tncost analyze SPEC --sketch all``):

* ``plan_sketch`` with the Gaussian families dense, khatri-rao, tt and tree
  together (median of ``--repeats`` runs), and the part of one run spent on
  the data tree T0 (``tncost.paths.optimize``, median of ``--repeats``);
* ``plan_sketch`` with each of the families ms22 and best_t0 alone, in a
  child process stopped after ``--family-timeout`` seconds plus a start-up
  allowance (runs are timed
  inside the child; up to ``--repeats`` runs, no new run once half the time
  is spent; median of the finished runs). A family that exceeded the limit on
  a tensor train is not run on the longer tensor trains;
* cotengra's ``HyperOptimizer`` (seeded, serial, ``--hyper-repeats`` trials)
  on the same data network (median of ``--repeats`` runs);
* cotengra's exact search (``OptimalOptimizer``, minimize="flops", its
  dynamic program over connected subgraphs) in a child process stopped after
  ``--exact-timeout`` seconds plus the start-up allowance; timed inside the
  child, one run.

The data network searched by cotengra is the one T0 is searched on: every
tensor of the structure, the sketched indices open, sizes at the sample.
Every order found is costed by ``tncost.cost.tree_cost`` (exact integers),
so the ops compare like with like.

Finally the whole command ``tncost analyze tt:N=32 --sketch all`` is run as
a child process. It runs with the four families above (median of
``--cli-repeats`` runs, target under 2 s) and with the default family list
(one run, stopped after 30 s). For reference, the start-up alone (``python -c "import
tncost.cli"``) is timed the same way.

Run: python benchmarks/analysis_latency.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import _common

import cotengra

from tncost.cost import tree_cost
from tncost.paths import _sub_problem, optimize, sample_sizes
from tncost.planner import FAMILY_NAMES, plan_sketch
from tncost.structures import parse_builtin, physical_indices
from tncost.tree import ContractionTree

NETWORKS = ("tt:N=8", "tt:N=16", "tt:N=32", "tt:N=64", "peps:rows=4,cols=4", "tree:N=30")
GAUSSIAN = ("dense", "khatri-rao", "tt", "tree")
SEARCHED = tuple(f for f in FAMILY_NAMES if f not in GAUSSIAN)
CLI_SPEC = "tt:N=32"
CLI_TARGET_SECONDS = 2.0
#: Seconds a child process gets beyond its limit for starting Python and importing.
STARTUP_SLACK = 4.0
#: Seconds before the one run of ``tncost analyze`` with the default family list is stopped.
CLI_DEFAULT_TIMEOUT = 30.0

_FAMILY_CHILD = r"""
import json, sys, time
from tncost.planner import plan_sketch
from tncost.structures import parse_builtin, physical_indices
spec, family, repeats, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
network = parse_builtin(spec)
network = network.with_sketch(physical_indices(network))
spent = 0.0
for _ in range(repeats):
    start = time.perf_counter()
    plan_sketch(network, families=[family])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}), flush=True)
    spent += seconds
    if spent > budget / 2:
        break
"""

_EXACT_CHILD = r"""
import json, sys, time
from cotengra.pathfinders.path_basic import OptimalOptimizer
import cotengra
problem = json.loads(sys.stdin.read())
inputs = [tuple(t) for t in problem["inputs"]]
output = tuple(problem["output"])
sizes = problem["sizes"]
start = time.perf_counter()
path = OptimalOptimizer(minimize="flops")(inputs, output, sizes)
seconds = time.perf_counter() - start
tree = cotengra.ContractionTree.from_path(inputs, output, sizes, path=path)
print(json.dumps({"seconds": seconds, "ssa_path": [list(step) for step in tree.get_ssa_path()]}))
"""


def run_child(command: list[str], timeout: float, stdin: str | None = None) -> tuple[list[str], bool]:
    """Run a child process; return its output lines and whether it finished before ``timeout``."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, _ = process.communicate(stdin, timeout=timeout)
        finished = process.returncode == 0
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        finished = False
    return [line for line in out.splitlines() if line.strip()], finished


def data_problem(spec: str):
    """Build the data network that analyze plans, at the default sample, and its cotengra inputs."""
    network = parse_builtin(spec)
    network = network.with_sketch(physical_indices(network))
    point = sample_sizes(network)
    numeric = network.at_sizes({k: v for k, v in point.items() if k in network.symbols})
    inputs, output, sizes = _sub_problem(numeric, tuple(range(len(numeric.tensors))))
    return network, numeric, point, inputs, output, sizes


def exact_ops(numeric, ssa_path) -> int:
    """Compute tncost's exact integer ops of a cotengra SSA path on the data network."""
    steps = [tuple(step) for step in ssa_path]
    return int(tree_cost(numeric, ContractionTree.from_ssa_path(steps, len(numeric.tensors))).ops)


def family_search(spec: str, family: str, repeats: int, timeout: float) -> dict:
    """Time ``plan_sketch`` with one family, in a child process with a time limit."""
    command = [sys.executable, "-c", _FAMILY_CHILD, spec, family, str(repeats), str(timeout)]
    lines, finished = run_child(command, timeout + STARTUP_SLACK)
    times = [json.loads(line)["seconds"] for line in lines]
    if not times:
        return {"finished": False, "timeout_seconds": timeout}
    return {"finished": True, "seconds": statistics.median(times), "times": times, "all_runs_finished": finished}


def exact_search(numeric, inputs, output, sizes, timeout: float) -> dict:
    """Run cotengra's exact search in a child process, stopped after ``timeout`` seconds."""
    problem = json.dumps({"inputs": [list(t) for t in inputs], "output": list(output), "sizes": sizes})
    lines, finished = run_child([sys.executable, "-c", _EXACT_CHILD], timeout + STARTUP_SLACK, problem)
    if not finished or not lines:
        return {"finished": False, "timeout_seconds": timeout}
    result = json.loads(lines[-1])
    return {"finished": True, "seconds": result["seconds"], "ops": str(exact_ops(numeric, result["ssa_path"]))}


def hyper_search(numeric, inputs, output, sizes, trials: int) -> tuple[float, int, list[str]]:
    """Run one seeded, serial cotengra HyperOptimizer search and return its wall time, ops and methods."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Couldn't import kahypar" when it is not installed
        optimizer = cotengra.HyperOptimizer(max_repeats=trials, seed=0, parallel=False, progbar=False)
    start = time.perf_counter()
    tree = optimizer.search(inputs, output, sizes)
    seconds = time.perf_counter() - start
    return seconds, exact_ops(numeric, tree.get_ssa_path()), list(getattr(optimizer, "_methods", []))


def cli_command(*extra: str) -> list[str]:
    executable = shutil.which("tncost", path=str(Path(sys.executable).parent)) or shutil.which("tncost")
    base = [executable] if executable else [sys.executable, "-c", "from tncost.cli import main; main()"]
    return [*base, "analyze", CLI_SPEC, "--sketch", "all", *extra]


def cli_time(command: list[str], repeats: int, timeout: float) -> dict:
    """Time the whole ``tncost analyze`` process (median of the finished runs)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, finished = run_child(command, timeout)
        if not finished:
            break
        times.append(time.perf_counter() - start)
    shown = "tncost " + " ".join(command[command.index("analyze"):]) if "analyze" in command else " ".join(["python", *command[1:]])
    if not times:
        return {"command": shown, "finished": False, "timeout_seconds": timeout}
    median = statistics.median(times)
    return {"command": shown, "finished": True, "seconds": times, "median_seconds": median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timed search")
    parser.add_argument("--hyper-repeats", type=int, default=32, help="max_repeats of cotengra's HyperOptimizer")
    parser.add_argument("--exact-timeout", type=float, default=12.0, help="seconds before cotengra's exact search is stopped")
    parser.add_argument("--family-timeout", type=float, default=8.0, help="seconds before a ms22 or best_t0 plan is stopped")
    parser.add_argument("--cli-repeats", type=int, default=5)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), metavar="SPEC", help="built-in specs to time")
    args = parser.parse_args()

    machine = _common.machine_info()
    rows = []
    exceeded_on_tt: set[str] = set()
    for spec in args.networks:
        network, numeric, point, inputs, output, sizes = data_problem(spec)
        plan_seconds, plan_times = _common.median_time(lambda: plan_sketch(network, families=list(GAUSSIAN)), args.repeats)
        t0_seconds, _ = _common.median_time(lambda: optimize(numeric), args.repeats)
        t0_ops = int(tree_cost(numeric, optimize(numeric)).ops)
        searched = {}
        for family in SEARCHED:
            if spec.startswith("tt:") and family in exceeded_on_tt:
                searched[family] = {"finished": False, "not_run": "exceeded the time limit on a shorter tensor train"}
                continue
            searched[family] = family_search(spec, family, args.repeats, args.family_timeout)
            if spec.startswith("tt:") and not searched[family]["finished"]:
                exceeded_on_tt.add(family)
        hyper = [hyper_search(numeric, inputs, output, sizes, args.hyper_repeats) for _ in range(args.repeats)]
        hyper_seconds = statistics.median(h[0] for h in hyper)
        hyper_ops = min(h[1] for h in hyper)
        exact = exact_search(numeric, inputs, output, sizes, args.exact_timeout)
        row = {
            "network": spec,
            "tensors": len(numeric.tensors),
            "point": dict(point),
            "gaussian_families_seconds": plan_seconds,
            "gaussian_families_times": plan_times,
            "t0_search_seconds": t0_seconds,
            "t0_ops": str(t0_ops),
            "searched_families": searched,
            "hyper_seconds": hyper_seconds,
            "hyper_times": [h[0] for h in hyper],
            "hyper_ops": str(hyper_ops),
            "hyper_methods": hyper[0][2],
            "exact": exact,
        }
        if exact.get("finished"):
            best = int(exact["ops"])
            row["t0_excess_over_exact"] = (t0_ops - best) / best  # relative; 0 when T0 is optimal
            row["hyper_excess_over_exact"] = (hyper_ops - best) / best
        rows.append(row)

        def shown(entry: dict, limit: float) -> str:
            if entry.get("finished"):
                return f"{entry['seconds']:.3f}s"
            if "not_run" in entry:
                return "not run"
            return f">{limit:.0f}s"

        print(
            f"{spec:20s} tensors={len(numeric.tensors):3d} four families={plan_seconds:7.3f}s (T0 {t0_seconds:.3f}s) "
            + " ".join(f"{f}={shown(searched[f], args.family_timeout)}" for f in SEARCHED)
            + f" hyper={hyper_seconds:6.3f}s exact={shown(exact, args.exact_timeout)}",
            flush=True,
        )

    cli = {
        "four_families": cli_time(cli_command("--family", ",".join(GAUSSIAN)), args.cli_repeats, 60.0),
        "default_families": cli_time(cli_command(), 1, CLI_DEFAULT_TIMEOUT),
        "import_only": {
            **cli_time([sys.executable, "-c", "import tncost.cli"], args.cli_repeats, 60.0),
            "command": 'python -c "import tncost.cli"',
        },
        "target_seconds": CLI_TARGET_SECONDS,
    }
    for key in ("four_families", "default_families", "import_only"):
        entry = cli[key]
        entry["target_met"] = bool(entry.get("finished")) and entry["median_seconds"] < CLI_TARGET_SECONDS
        text = f"median {entry['median_seconds']:.3f}s" if entry.get("finished") else f"not finished in {entry['timeout_seconds']:.0f}s"
        print(f"{entry['command']}: {text}", flush=True)
    path = _common.write_result(
        "analysis_latency",
        {
            "benchmark": "analysis_latency",
            "command": _common.command_line(),
            "machine": machine,
            "settings": {
                "families": list(FAMILY_NAMES),
                "repeats": args.repeats,
                "hyper_max_repeats": args.hyper_repeats,
                "exact_timeout_seconds": args.exact_timeout,
                "family_timeout_seconds": args.family_timeout,
                "cotengra": cotengra.__version__,
            },
            "networks": rows,
            "cli": cli,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
