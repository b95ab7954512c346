"""The published claims on sketch size and cost, measured.

Three checks, each a sweep whose figures go to ``results/claims.json``:

1. Sketch size. MS22's m from the accuracy rule, divided by N, is set
   against the Khatri–Rao estimate. Then comes the *measured* sketch size of
   the Khatri–Rao, MS22 and tensor-train embeddings: for each N, the smallest
   m at which at most a fraction δ of seeded trials has
   |‖Sx‖²/‖x‖² − 1| > ε, for a fixed rank-one (Kronecker) input x.
2. Cost against the lower bound over an m sweep with m ≤ s on the built-in
   structures: the largest cost/LB divided by √m.
3. cost/LB when every data tensor has a sketched index, with s = m^α.

Run from the repository root::

    python benchmarks/claims.py --jobs 2

``tests/test_claims.py`` imports the functions below and runs small versions.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tncost import execute  # noqa: E402
from tncost.embeddings import khatri_rao_rows  # noqa: E402
from tncost.planner import plan_sketch  # noqa: E402
from tncost.random import spawn_seeds  # noqa: E402
from tncost.runs import plan_data  # noqa: E402
from tncost.structures import khatri_rao, kronecker, peps, tensor_train, tree  # noqa: E402

EPS = 0.5
DELTA = 0.1
SEED = 20220513
RANK_ONE_SIZE = 4
"""Size s of each vector of the rank-one input in the distortion runs.

For x = v1 ⊗ … ⊗ vN, every leaf matrix and every Khatri–Rao factor meets
x only through G·vi, a Gaussian vector whose law depends on ‖vi‖ alone
(rotation invariance). So the distortion does not depend on s, and a small
s keeps the runs cheap."""


# Claim 1: sketch size ------------------------------------------------------------


def rule_sizes(N: int, eps: float = EPS, delta: float = DELTA, s: int = 4096) -> dict:
    """Sketch sizes from the accuracy rule for a Kronecker product of N vectors of size s."""
    plan = plan_sketch(kronecker(N), eps, delta, sizes={"s": s}, families=["ms22", "tt", "tree"])
    row = {"N": N}
    for name in ("ms22", "tt", "tree"):
        family = plan.family(name)
        row[name] = {"m": family.m, "k": family.k, "m_over_N": Fraction(family.m, N)}
    row["khatri_rao_estimate"] = khatri_rao_rows(N, eps, delta)
    return row


def _prepared(N: int, family: str, m: int, s: int, data_seed: int) -> tuple:
    """Joint network, tree, data arrays and embedding sampler for one family at a fixed m."""
    plan = plan_sketch(kronecker(N), sizes={"s": s}, m=m, families=[family])
    chosen = plan.family(family)
    joint = chosen.numeric_joint()
    numeric = chosen.numeric_embedding()
    rows = {t.name: int(r) for t, r in zip(numeric.tensors, numeric.row_sizes)}
    draw = execute.embedding_sampler(joint, execute.embedding_stddevs(rows, numeric.scaling, m))
    return joint, chosen.tree, plan_data(plan, seed=data_seed), draw, chosen


def failure_fraction(N: int, family: str, m: int, trials: int, seed: int, eps: float = EPS, s: int = RANK_ONE_SIZE) -> float:
    """Fraction of seeded trials with |‖Sx‖²/‖x‖² − 1| > ε, executed by tncost's plan for ``family``.

    The data (one rank-one Kronecker input) and the trial seeds do not depend
    on m, so runs at different m share their random numbers where the shapes agree.
    """
    joint, tree_, data, draw, _ = _prepared(N, family, m, s, seed)
    stats = execute.distortion_trials(joint, tree_, data, draw, trials, seed + 1, eps)
    return stats.fraction_outside


def khatri_rao_prefix_ratios(N: int, rows: int, trials: int, seed: int, s: int = RANK_ONE_SIZE) -> np.ndarray:
    """‖S_m x‖²/‖x‖² for every m ≤ ``rows`` and every trial: array (trials, rows).

    Each trial executes one Khatri–Rao embedding with ``rows`` rows through
    tncost. Its rows are independent and identically distributed, so its
    first m rows, rescaled by rows/m, are a Khatri–Rao embedding with m rows:
    one execution gives the whole curve.
    """
    joint, tree_, data, draw, _ = _prepared(N, "khatri-rao", rows, s, seed)
    norm = execute.squared_norm(execute.data_network(joint), data)
    out = np.empty((trials, rows))
    for k, child in enumerate(spawn_seeds(seed + 1, trials)):
        run = execute.execute_tree(joint, tree_, {**data, **draw(child)}, memory_check=False)
        squares = np.asarray(run.result, dtype=float).ravel() ** 2
        out[k] = np.cumsum(squares) * rows / np.arange(1, rows + 1) / norm
    return out


def smallest_m(fraction, delta: float = DELTA, start: int = 4, limit: int = 1 << 20, steps: int = 3) -> dict:
    """Find the smallest m with ``fraction(m) <= delta``: doubling, then bisection in log m.

    ``steps`` bisections of the last doubling bracket give a resolution of
    2^(1/2^steps). Returns the m found, the bracket, and every evaluation.
    """
    seen: dict[int, float] = {}

    def value(m: int) -> float:
        if m not in seen:
            seen[m] = fraction(m)
        return seen[m]

    low, high = None, start
    while value(high) > delta:
        low, high = high, 2 * high
        if high > limit:
            return {"m": None, "evaluations": seen, "note": f"no m up to {limit} met the target"}
    if low is None:
        return {"m": high, "evaluations": seen, "note": "the start value already met the target"}
    for _ in range(steps):
        middle = round(math.sqrt(low * high))
        if middle in (low, high):
            break
        if value(middle) <= delta:
            high = middle
        else:
            low = middle
    return {"m": high, "bracket": [low, high], "evaluations": seen}


def measured_sizes(N: int, family: str, trials: int, seed: int = SEED, eps: float = EPS, delta: float = DELTA) -> dict:
    """Measure the sketch size of ``family`` for the rank-one Kronecker input of order N."""
    begin = time.perf_counter()
    if family == "khatri-rao":
        rows = 1 << (8 + N)
        ratios = khatri_rao_prefix_ratios(N, rows, trials, seed)
        outside = np.abs(ratios - 1) > eps

        def fraction(m: int) -> float:
            return float(outside[:, m - 1].mean()) if m <= rows else 1.0

        found = smallest_m(fraction, delta, limit=rows, steps=4)
    else:
        found = smallest_m(lambda m: failure_fraction(N, family, m, trials, seed, eps), delta, start=16, steps=3)
    found.update({"N": N, "family": family, "trials": trials, "seconds": round(time.perf_counter() - begin, 2)})
    found["evaluations"] = {str(k): v for k, v in sorted(found["evaluations"].items())}
    return found


def log_slope(xs, ys) -> float:
    """Least-squares slope of ln(y) against x."""
    x = np.asarray(xs, dtype=float)
    y = np.log(np.asarray(ys, dtype=float))
    return float(np.polyfit(x, y, 1)[0])


def loglog_slope(xs, ys) -> float:
    """Least-squares slope of ln(y) against ln(x)."""
    return log_slope(np.log(np.asarray(xs, dtype=float)), ys)


# Claims 2 and 3: cost against the lower bound ----------------------------------------


def ms22_ratio(network, sizes: dict, m: int) -> dict:
    """MS22's plan cost, LB and their exact ratio at a fixed m (the planner's default T0)."""
    plan = plan_sketch(network, sizes=sizes, m=m, families=["ms22"])
    family = plan.family("ms22")
    ratio = family.ratio_to_lower_bound
    return {
        "m": m,
        "cost": family.cost_at_point,
        "lower_bound": family.lower_bound_at_point,
        "ratio": ratio,
        "ratio_over_sqrt_m": float(ratio) / math.sqrt(m),
    }


def kronecker_ms22_cost(N: int, s: int, m: int) -> int:
    """MS22's cost on a Kronecker product of N vectors of size s, for a perfect square m ≥ 9.

    N leaf matrices cost m·s each. Every merge joins two operands that hold
    one m-sized index each, so the split gadget with b1 = b2 = √m costs
    m²·√m (V1) + m² (join) + m²·√m (V2), against m³ + m² for a core.
    """
    root = math.isqrt(m)
    assert root * root == m, f"m = {m} is not a perfect square"
    assert m >= 9, f"m = {m} is below 9, where a core is not dearer than the split"
    return N * m * s + (N - 1) * (2 * m * m * root + m * m)


def kronecker_lower_bound(N: int, s: int, m: int) -> int:
    """LB for a Kronecker product of N ≥ 2 vectors of size s ≥ m, any T0.

    No node has a bond or kept index, so B(A) = ∅ everywhere: each of the
    N − 1 merges gives m², each sketch term is m·s (the minimum is taken at
    the leaf, where no other sketched index is present), and each leaf term
    is m·s (every sibling has sketched indices).
    """
    return (N - 1) * m * m + 2 * N * m * s


CLAIM2_INPUTS = {
    "kronecker:N=4": (lambda: kronecker(4), {}),
    "khatri-rao:N=4": (lambda: khatri_rao(4), {"R": 4}),
    "tt:N=4": (lambda: tensor_train(4), {"R": 4}),
    "tree:N=4": (lambda: tree(4), {"R": 4}),
    "peps:rows=2,cols=2": (lambda: peps(2, 2), {"R": 4}),
}

CLAIM3_INPUTS = {
    "kronecker:N=4": (lambda: kronecker(4), {}),
    "tt:N=4 (R=4)": (lambda: tensor_train(4), {"R": 4}),
    "tree:N=4 (R=4)": (lambda: tree(4), {"R": 4}),
}


def claim2_sweep(s: int, ms, inputs=CLAIM2_INPUTS) -> dict:
    """cost/LB of MS22 over the m sweep, per input, with the fitted constant c = max ratio/√m."""
    out = {}
    for name, (build, extra) in inputs.items():
        rows = [ms22_ratio(build(), {"s": s, **extra}, m) for m in ms if m <= s]
        scaled = [r["ratio_over_sqrt_m"] for r in rows]
        half = rows[len(rows) // 2 :]
        out[name] = {
            "sizes": {"s": s, **extra},
            "rows": rows,
            "c": max(scaled),
            "c_at": rows[scaled.index(max(scaled))]["m"],
            "c_upper_half": max(r["ratio_over_sqrt_m"] for r in half),
            "slope_upper_half": loglog_slope([r["m"] for r in half], [float(r["ratio"]) for r in half]),
        }
    return out


def claim2_diagonal(ms, inputs=CLAIM2_INPUTS) -> dict:
    """cost/LB of MS22 along s = m, the largest m the bound allows for each s."""
    out = {}
    for name, (build, extra) in inputs.items():
        rows = [dict(ms22_ratio(build(), {"s": m, **extra}, m), s=m) for m in ms]
        out[name] = {
            "sizes": extra,
            "rows": rows,
            "c": max(r["ratio_over_sqrt_m"] for r in rows),
            "slope": loglog_slope([r["m"] for r in rows], [float(r["ratio"]) for r in rows]),
        }
    return out


def claim3_sweep(alphas, ms, inputs=CLAIM3_INPUTS) -> dict:
    """cost/LB of MS22 with s = ⌈m^α⌉, per input and α, with the slope of ln(ratio) against ln(m)."""
    out = {}
    for name, (build, extra) in inputs.items():
        per_alpha = {}
        for alpha in alphas:
            rows = []
            for m in ms:
                s = math.ceil(m ** float(alpha))
                row = ms22_ratio(build(), {"s": s, **extra}, m)
                row["s"] = s
                rows.append(row)
            per_alpha[str(alpha)] = {
                "rows": rows,
                "slope": loglog_slope([r["m"] for r in rows], [float(r["ratio"]) for r in rows]),
                "largest_ratio": max(r["ratio"] for r in rows),
            }
        out[name] = per_alpha
    return out


# Tables ----------------------------------------------------------------------------


def _f(value) -> float:
    return value["float"] if isinstance(value, dict) else float(value)


def render(payload: dict) -> str:
    """Markdown tables of a claims.json payload, as the claims section of docs/theory.md shows them."""
    lines = []
    c1 = payload["claim1"]
    measured = {(e["family"], e["N"]): e for entries in c1["measured"].values() for e in entries}
    lines += ["| N | MS22 k | MS22 m (rule) | m/N | TT m (rule) | KR estimate | measured KR | measured MS22 | measured TT | KR / MS22 |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for row in c1["rule"]:
        N = row["N"]
        kr, ms, tt = (measured.get((f, N), {}).get("m") for f in ("khatri-rao", "ms22", "tt"))
        ratio = f"{kr / ms:.1f}" if kr and ms else "—"
        lines.append(f"| {N} | {row['ms22']['k']} | {row['ms22']['m']} | {_f(row['ms22']['m_over_N']):.2f} | {row['tt']['m']} "
                     f"| {row['khatri_rao_estimate']} | {kr} | {ms} | {tt} | {ratio} |")
    slopes = c1["slope_ln_m_per_N"]
    lines += ["", "Slope of ln(measured m) against N: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(slopes.items()))
              + f" (ln 3 = {c1['ln3']:.3f})."]

    lines += ["", "| input | s | c = max ratio/√m | at m | max ratio/√m, upper half of the sweep |", "|---|---|---|---|---|"]
    for key in ("s256", "s1024"):
        for name, r in payload["claim2"][key].items():
            lines.append(f"| {name} | {r['sizes']} | {r['c']:.3f} | {r['c_at']} | {r['c_upper_half']:.3f} |")

    diag = payload["claim2"]["diagonal"]
    ms = [row["m"] for row in next(iter(diag.values()))["rows"]]
    lines += ["", "| input (s = m) | " + " | ".join(f"m={m}" for m in ms) + " | slope |", "|---" * (len(ms) + 2) + "|"]
    for name, r in diag.items():
        lines.append(f"| {name} | " + " | ".join(f"{row['ratio_over_sqrt_m']:.3f}" for row in r["rows"]) + f" | {r['slope']:.3f} |")

    sweep = payload["claim3"]["sweep"]
    first = next(iter(next(iter(sweep.values())).values()))
    ms = [row["m"] for row in first["rows"]]
    lines += ["", "| input | α | " + " | ".join(f"m={m}" for m in ms) + " | slope of ln ratio vs ln m |", "|---" * (len(ms) + 3) + "|"]
    for name, per_alpha in sweep.items():
        for alpha, r in per_alpha.items():
            lines.append(f"| {name} | {alpha} | " + " | ".join(f"{_f(row['ratio']):.3f}" for row in r["rows"]) + f" | {r['slope']:.3f} |")

    lines += ["", "| N | s | m | MS22 cost | by hand | LB | by hand |", "|---|---|---|---|---|---|---|"]
    for row in payload["claim3"]["kronecker_formula_check"]:
        lines.append(f"| {row['N']} | {row['s']} | {row['m']} | {row['cost']} | {row['formula_cost']} | {row['lower_bound']} | {row['formula_lb']} |")
    return "\n".join(lines)


# Driver ----------------------------------------------------------------------------


def _measure(task: tuple) -> dict:
    N, family, trials = task
    result = measured_sizes(N, family, trials)
    print(f"measured {family} N={N}: m={result['m']} in {result['seconds']} s", flush=True)
    return result


def _jsonable(value):
    if isinstance(value, Fraction):
        return {"fraction": f"{value.numerator}/{value.denominator}", "float": float(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def main(argv=None) -> None:
    from _common import command_line, machine_info, write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the distortion runs")
    parser.add_argument("--trials", type=int, default=150, help="trials per (family, N, m) distortion run")
    parser.add_argument("--max-n", type=int, default=8, help="largest N of the sketch-size runs")
    parser.add_argument(
        "--max-n-ms22", type=int, default=6,
        help="largest N of MS22's measured size (a trial at N = 8 and m = 512 takes about 1.5 s)",
    )
    parser.add_argument("--render", action="store_true", help="print the tables of results/claims.json and exit")
    args = parser.parse_args(argv)
    if args.render:
        import json

        from _common import RESULTS

        print(render(json.loads((RESULTS / "claims.json").read_text(encoding="utf-8"))))
        return
    begin = time.perf_counter()
    Ns = list(range(2, args.max_n + 1))

    rule = [rule_sizes(N) for N in Ns]
    tasks = [(N, family, args.trials) for family in ("khatri-rao", "tt") for N in Ns]
    tasks += [(N, "ms22", args.trials) for N in Ns if N <= args.max_n_ms22]
    tasks.sort(key=lambda t: -t[0])  # longest first
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        measured = list(pool.map(_measure, tasks))
    by_family: dict[str, list] = {}
    for entry in sorted(measured, key=lambda e: (e["family"], e["N"])):
        by_family.setdefault(entry["family"], []).append(entry)
    slopes = {
        family: log_slope([e["N"] for e in entries if e["m"]], [e["m"] for e in entries if e["m"]])
        for family, entries in by_family.items()
    }
    claim1 = {
        "eps": EPS,
        "delta": DELTA,
        "rule": rule,
        "measured": by_family,
        "slope_ln_m_per_N": slopes,
        "ln3": math.log(3),
    }

    claim2 = claim2_sweep(256, [4, 6, 8, 9, 12, 16, 17, 25, 31, 36, 49, 64, 100, 127, 144, 196, 256])
    claim2_large = claim2_sweep(1024, [16, 64, 256, 1024], {"kronecker:N=6": (lambda: kronecker(6), {}), "tt:N=6": (lambda: tensor_train(6), {"R": 4})})
    diagonal = claim2_diagonal([16, 36, 64, 144, 256, 576, 1024])
    claim3 = claim3_sweep([1, 1.25, 1.5, 2], [16, 64, 256, 1024])
    kron_check = [
        {"N": N, "s": s, "m": m, "formula_cost": kronecker_ms22_cost(N, s, m), "formula_lb": kronecker_lower_bound(N, s, m),
         **{k: v for k, v in ms22_ratio(kronecker(N), {"s": s}, m).items() if k in ("cost", "lower_bound")}}
        for N, s, m in [(2, 64, 16), (4, 256, 64), (8, 4096, 256), (4, 65536, 1024)]
    ]
    payload = {
        "machine": machine_info(),
        "command": command_line(),
        "seconds": round(time.perf_counter() - begin, 1),
        "claim1": claim1,
        "claim2": {"s256": claim2, "s1024": claim2_large, "diagonal": diagonal},
        "claim3": {"sweep": claim3, "kronecker_formula_check": kron_check},
    }
    path = write_result("claims", _jsonable(payload))
    print(f"wrote {path} in {payload['seconds']} s")


if __name__ == "__main__":
    main()
