"""Sketched Tucker-ALS against HOOI: time and relative residual, side by side in one run.

A dense low-rank-plus-noise tensor: 200×200×200 with multilinear rank 10,
and 80×80×80×80 with multilinear rank 5, both with relative noise 0.1.
Every method runs a fixed number of sweeps from the same range-finder
initialization, computed once and not timed. The methods are HOOI (tncost
``none`` and tensorly's ``tucker``) and the sketched rank-constrained
updates with leverage sampling, TensorSketch and, at order 3 only, two
Gaussian families of the planner. CP through Tucker is set against exact
CP-ALS on a tensor with CP-rank structure. Results go to
``results/tucker.json``.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 python benchmarks/tucker.py
    python benchmarks/tucker.py --quick    # small sizes, results not written
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import command_line, machine_info, write_result  # noqa: E402

from tncost.apps.cp_als import cp_als  # noqa: E402
from tncost.apps.data import low_rank_plus_noise, tucker_plus_noise  # noqa: E402
from tncost.apps.tucker_als import cp_via_tucker, range_finder, tucker_als  # noqa: E402


def tucker_part(side: int, order: int, rank: int, noise: float, sweeps: int, m_gaussian: int | None) -> dict:
    """Time and residual of HOOI and the sketched Tucker methods (the Gaussian ones only with ``m_gaussian``)."""
    shape = (side,) * order
    ranks = [rank] * order
    tensor = tucker_plus_noise(shape, ranks, noise, seed=0)
    init = range_finder(tensor, ranks, seed=1)
    runs = {}
    families: list[tuple[str, int | None]] = [("none", None), ("leverage", None), ("tensorsketch", None)]
    if m_gaussian is not None:
        families += [("ms22", m_gaussian), ("tt", m_gaussian)]
    for family, m in families:
        start = time.perf_counter()
        result = tucker_als(tensor, ranks, family=family, m=m, init=init, max_sweeps=sweeps, tol=0.0, seed=2)
        seconds = time.perf_counter() - start
        runs[f"tncost-{family}"] = {
            "family": family, "m": result.m, "total_seconds": seconds, "residual": result.residual,
            "seconds": sum(h["seconds"] for h in result.history),
            "sweep_seconds": [h["seconds"] for h in result.history],
        }
    import tensorly as tl
    from tensorly.decomposition import tucker

    start = time.perf_counter()
    core, factors = tucker(
        tl.tensor(tensor), rank=ranks, init=(np.zeros(ranks), [f.copy() for f in init]), n_iter_max=sweeps, tol=0
    )
    seconds = time.perf_counter() - start
    residual = float(np.linalg.norm(tensor - tl.tucker_to_tensor((core, factors))) / np.linalg.norm(tensor))
    runs["tensorly-tucker"] = {"family": "hooi", "m": None, "seconds": seconds, "total_seconds": seconds, "residual": residual}
    reference = runs["tncost-none"]
    for run in runs.values():
        run["residual_ratio_vs_hooi"] = run["residual"] / reference["residual"]
        run["speedup_vs_hooi"] = reference["seconds"] / run["seconds"]
    return {"shape": list(shape), "ranks": ranks, "noise": noise, "sweeps": sweeps, "runs": runs}


def cp_via_tucker_part(side: int, rank: int, noise: float) -> dict:
    """CP through a sketched Tucker compression against exact CP-ALS."""
    tensor = low_rank_plus_noise((side, side, side), rank, noise, seed=3)
    runs = {}
    start = time.perf_counter()
    exact = cp_als(tensor, rank, family="none", solver="normal", init="svd", max_sweeps=50, tol=1e-8, seed=4)
    runs["cp-als exact"] = {"seconds": time.perf_counter() - start, "fit": exact.fit, "sweeps": len(exact.history)}
    for family in ("leverage", "tensorsketch"):
        start = time.perf_counter()
        result = cp_via_tucker(tensor, rank, family=family, seed=4)
        runs[f"cp via tucker ({family})"] = {"seconds": time.perf_counter() - start, "fit": result.fit, "m": result.m}
    return {"shape": [side] * 3, "rank": rank, "noise": noise, "runs": runs}


def render_markdown(results: dict) -> str:
    """Return markdown tables of the results of :func:`main`."""
    lines = []
    for key in ("tucker", "tucker_order4"):
        part = results.get(key)
        if not part:
            continue
        lines += [
            f"Tucker, tensor {'×'.join(map(str, part['shape']))}, ranks {part['ranks']}, relative noise {part['noise']}, "
            f"{part['sweeps']} sweeps from the same range-finder start. 'sweeps s' excludes the residual "
            "evaluated after each sweep for this report; 'total s' includes it.",
            "",
            "| method | m | sweeps s | total s | speedup vs HOOI (sweeps) | relative residual | residual / HOOI |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, run in part["runs"].items():
            lines.append(
                f"| {name} | {run['m'] or '-'} | {run['seconds']:.2f} | {run['total_seconds']:.2f} | {run['speedup_vs_hooi']:.2f}× | "
                f"{run['residual']:.5f} | {run['residual_ratio_vs_hooi']:.4f} |"
            )
        lines.append("")
    part = results.get("cp_via_tucker")
    if part:
        lines += [
            f"CP through Tucker, tensor {'×'.join(map(str, part['shape']))}, CP rank {part['rank']}, relative noise {part['noise']}.",
            "",
            "| method | seconds | fit |",
            "|---|---|---|",
        ]
        for name, run in part["runs"].items():
            lines.append(f"| {name} | {run['seconds']:.2f} | {run['fit']:.5f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes for a smoke run (results are not written).")
    args = parser.parse_args(argv)
    results: dict = {"command": command_line(), "machine": machine_info()}
    if args.quick:
        results["tucker"] = tucker_part(40, 3, 4, 0.1, 3, 40)
        results["tucker_order4"] = tucker_part(12, 4, 3, 0.1, 3, None)
        results["cp_via_tucker"] = cp_via_tucker_part(40, 4, 0.01)
    else:
        results["tucker"] = tucker_part(200, 3, 10, 0.1, 5, 200)
        # Order 4: the Gaussian families would sketch 80^4 entries with m = 200 rows per mode, so they are left out.
        results["tucker_order4"] = tucker_part(80, 4, 5, 0.1, 5, None)
        results["cp_via_tucker"] = cp_via_tucker_part(200, 10, 0.01)
    print(render_markdown(results), flush=True)
    if not args.quick:
        write_result("tucker", results)
    return results


if __name__ == "__main__":
    main()
