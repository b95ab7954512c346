"""Sketched CP-ALS against tensorly's ALS and randomized ALS, and the CP sketching claim table.

Three parts, written to ``results/cp_als.json`` (parts 1 and 2) and
``results/cp_claim.json`` (part 3):

1. Dense tensor (default 300×300×300, rank 10, relative noise 0.01). Every
   method starts from the same factors, the leading singular vectors of the
   unfoldings, computed once and not timed. The figure is the wall time
   to first reach a target fit (the exact ALS fit minus 0.001, and minus
   0.005), counting
   one-off setup (the data sketches of ``reuse``) and excluding the exact fit
   evaluations made for this report. tensorly's ``parafac`` and
   ``randomised_parafac`` are timed through their callbacks.
2. A tensor given as a Tucker network with large modes (default
   20000³ with an 8³ core), which is never formed: exact ALS through the
   network against sketched ALS whose right-hand sides contract the
   embedding with the network.
3. The claim table: per mode, the cost of sketching ``P_n`` (the Khatri–Rao
   product of the other factors) for N = 3, 4, 5 and several (s, R), with
   each family at its own sketch size for the same accuracy (ε = 0.5,
   δ = 0.1, subspace dimension R + 1). Gaussian families use the planner's
   exact cost, and their leading costs under ``R <= m <= s`` come from the
   planner's regime analysis (:mod:`tncost.symbolic.regime`); TensorSketch
   and leverage sampling use the models of :mod:`tncost.apps.sketches`.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 python benchmarks/cp_als.py   # all parts
    python benchmarks/cp_als.py --quick    # small sizes, for a smoke run
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import command_line, machine_info, write_result  # noqa: E402

from tncost.apps.cp_als import _fit, cp_als  # noqa: E402
from tncost.apps.data import low_rank_plus_noise  # noqa: E402
from tncost.apps.sketches import leverage_counts, tensorsketch_counts, tucker_tensor  # noqa: E402
from tncost.embeddings import sketch_size  # noqa: E402
from tncost.network import TensorNetwork  # noqa: E402
from tncost.planner import plan_sketch  # noqa: E402

EPS = 0.5
DELTA = 0.1


# Part 1: dense tensor ---------------------------------------------------------------


def _time_to_target(times: list[float], fits: list[float], target: float) -> float | None:
    for seconds, fit in zip(times, fits):
        if fit >= target:
            return seconds
    return None


def _tensorly_runs(tensor: np.ndarray, rank: int, init: list[np.ndarray], sweeps: int, samples: int, norm_x: float) -> dict:
    import tensorly as tl
    from tensorly.cp_tensor import CPTensor
    from tensorly.decomposition import parafac, randomised_parafac

    runs = {}
    for name in ("tensorly-parafac", "tensorly-randomised_parafac"):
        snapshots: list[tuple[float, list[np.ndarray], np.ndarray]] = []
        start = time.perf_counter()

        def record(cp, _error=None, snapshots=snapshots, start=start):
            weights, factors = cp
            snapshots.append((time.perf_counter() - start, [np.array(f) for f in factors], np.array(weights)))

        initial = CPTensor((np.ones(rank), [f.copy() for f in init]))
        if name == "tensorly-parafac":
            # tensorly 0.10 computes the error passed to the callback only when tol > 0.
            parafac(tl.tensor(tensor), rank, init=initial, n_iter_max=sweeps, tol=1e-14, callback=record)
        else:
            randomised_parafac(
                tl.tensor(tensor), rank, samples, init=initial, n_iter_max=sweeps, tol=1e-14, max_stagnation=0,
                callback=record, random_state=0,
            )
        times = [t for t, _, _ in snapshots]
        fits = [_fit(norm_x, tensor, factors, weights) for _, factors, weights in snapshots]
        runs[name] = {"times": times, "fits": fits, "setup_seconds": 0.0}
        if name == "tensorly-randomised_parafac":
            runs[name]["n_samples"] = samples
    return runs


def _tncost_run(data, rank: int, init: list[np.ndarray], family: str, m: int | None, sweeps: int, mode: str = "reuse") -> dict:
    result = cp_als(data, rank, family=family, m=m, mode=mode, solver="normal", max_sweeps=sweeps, tol=0.0, init=init, seed=0)
    times = []
    elapsed = result.setup["seconds"]
    for entry in result.history:
        elapsed += entry["seconds"]
        times.append(elapsed)
    return {
        "times": times,
        "fits": [entry["fit"] for entry in result.history],
        "setup_seconds": result.setup["seconds"],
        "setup_ops": result.setup["ops"],
        "setup_predicted_ops": result.setup["predicted_ops"],
        "ops_per_sweep": result.history[0]["ops"],
        "predicted_ops_per_sweep": result.history[0]["predicted_ops"],
        "mode": result.mode,
        "family": result.family,
        "m": result.m,
    }


def dense_part(shape: tuple[int, ...], rank: int, noise: float, sweeps: int, m: int) -> dict:
    """Part 1: time to a target fit on a dense low-rank-plus-noise tensor."""
    tensor = low_rank_plus_noise(shape, rank, noise, seed=0)
    norm_x = float(np.vdot(tensor, tensor))
    # Every method starts from the leading left singular vectors of the unfoldings,
    # computed once here and not timed.
    init = []
    for n in range(len(shape)):
        unfolding = np.moveaxis(tensor, n, 0).reshape(shape[n], -1)
        init.append(np.linalg.svd(unfolding @ unfolding.T)[0][:, :rank])
    runs = {}
    runs.update(_tensorly_runs(tensor, rank, init, sweeps, samples=m, norm_x=norm_x))
    runs["tncost-none"] = _tncost_run(tensor, rank, init, "none", None, sweeps)
    for family in ("ms22", "khatri-rao", "tensorsketch", "leverage"):
        size = m if family != "tensorsketch" else 4 * m
        runs[f"tncost-{family}"] = _tncost_run(tensor, rank, init, family, size, sweeps)
    runs["tncost-ms22-redraw"] = _tncost_run(tensor, rank, init, "ms22", m, min(sweeps, 15), mode="redraw")
    exact_fit = max(runs["tensorly-parafac"]["fits"][-1], runs["tncost-none"]["fits"][-1])
    targets = {"tight": exact_fit - 0.001, "loose": exact_fit - 0.005}
    for label, target in targets.items():
        reference = _time_to_target(runs["tensorly-parafac"]["times"], runs["tensorly-parafac"]["fits"], target)
        for run in runs.values():
            reached = _time_to_target(run["times"], run["fits"], target)
            run[f"seconds_to_{label}"] = reached
            run[f"speedup_{label}"] = None if reached is None or reference is None else reference / reached
    for run in runs.values():
        run["best_fit"] = max(run["fits"])
    return {"shape": list(shape), "rank": rank, "noise": noise, "sweeps": sweeps, "m": m, "targets": targets, "runs": runs}


# Part 2: a tensor given as a network ---------------------------------------------------


def network_part(side: int, core_rank: int, rank: int, sweeps: int, m: int) -> dict:
    """Part 2: CP-ALS on a Tucker network that is never formed."""
    rng = np.random.default_rng(2)
    small = [rng.standard_normal((core_rank, rank)) for _ in range(3)]
    core = np.einsum("ir,jr,kr->ijk", *small) + 0.01 * rng.standard_normal((core_rank,) * 3)
    factors = [np.linalg.qr(rng.standard_normal((side, core_rank)))[0] for _ in range(3)]
    network = tucker_tensor(core, factors)
    init = [rng.standard_normal((side, rank)) for _ in range(3)]
    runs = {"tncost-none": _tncost_run(network, rank, init, "none", None, sweeps)}
    for family in ("ms22", "tt", "leverage"):
        runs[f"tncost-{family}"] = _tncost_run(network, rank, init, family, m, sweeps)
    for run in runs.values():
        run["final_fit"] = run["fits"][-1]
        run["total_seconds"] = run["times"][-1]
    return {
        "side": side, "core_rank": core_rank, "rank": rank, "sweeps": sweeps, "m": m,
        "dense_bytes_if_formed": side**3 * 8, "runs": runs,
    }


# Part 3: the claim table -------------------------------------------------------------------


def _khatri_rao_network(N: int, symbolic: bool) -> TensorNetwork:
    inputs = [(f"e{k}", "r") for k in range(1, N)]
    sizes = {**{f"e{k}": "s" for k in range(1, N)}, "r": "R"}
    return TensorNetwork.from_inputs(inputs, [f"e{k}" for k in range(1, N)] + ["r"], sizes, sketched=[f"e{k}" for k in range(1, N)])


def equal_accuracy_sizes(N: int, R: int) -> dict[str, int]:
    """Return each family's sketch size for a (R + 1)-dimensional subspace at ε = 0.5, δ = 0.1.

    ms22: the subspace rule with k = 3(N − 1) − 2 factors (every merge split).
    khatri-rao: the per-vector Chebyshev estimate (3^{N−1} − 1)/(ε²δ) times
    d = R + 1 (an estimate). TensorSketch: (2 + 3^{N−1})·d²/(ε²δ).
    Leverage: R^{N−2}·d·ln(d/δ)/ε², because the product of per-factor
    leverage scores sums to R^{N−1}, an overestimate by R^{N−2} of the
    Khatri–Rao row scores' sum R.
    """
    d = R + 1
    others = N - 1
    scale = EPS * EPS
    return {
        "ms22": sketch_size(max(1, 3 * others - 2), EPS, DELTA, target="subspace", d=d),
        "khatri-rao": math.ceil((3**others - 1) * d / (scale * DELTA)),
        "tensorsketch": math.ceil((2 + 3**others) * d * d / (scale * DELTA)),
        "leverage": math.ceil(R ** (others - 1) * d * math.log(d / DELTA) / scale),
    }


def _structured_costs(network: TensorNetwork, N: int, s: int, R: int, sizes: dict[str, int]) -> dict[str, int]:
    """Per-mode cost of sketching P_n at side s, each family at its own sketch size."""
    costs = {}
    for family in ("ms22", "khatri-rao"):
        plan = plan_sketch(network, EPS, DELTA, sizes={"s": s, "R": R}, m=sizes[family], families=[family])
        costs[family] = int(plan.family(family).cost_at_point)
    shape = [s] * N
    costs["tensorsketch"] = tensorsketch_counts(shape, 0, R, sizes["tensorsketch"], data=False).total()
    costs["leverage"] = leverage_counts(shape, 0, R, sizes["leverage"]).total()
    return costs


def _ranges(grid: list[int], cheaper: list[bool]) -> list[list[int]]:
    """Return the maximal runs [first s, last s] of the grid where ``cheaper`` holds."""
    runs: list[list[int]] = []
    for s, flag in zip(grid, cheaper):
        if flag and runs and runs[-1][1] == grid[grid.index(s) - 1]:
            runs[-1][1] = s
        elif flag:
            runs.append([s, s])
    return runs


def claim_part(points: list[int], ranks: tuple[int, ...] = (5, 10, 50), orders: tuple[int, ...] = (3, 4, 5)) -> dict:
    """Part 3: per-mode cost of sketching P_n, each family at its equal-accuracy sketch size.

    For every (N, R): the cost at each side in ``points``, and over the grid
    s = 2^4 … 2^22 the ranges of s where ms22 is cheaper than each other family.
    """
    regime = "R <= m <= s"
    grid = [2**k for k in range(4, 23)]
    rows = []
    crossovers = []
    leading = {}
    for N in orders:
        network = _khatri_rao_network(N, True)
        plan = plan_sketch(network, EPS, DELTA, sizes={"s": 10**4, "R": 10}, regime=regime, families=["ms22", "khatri-rao"])
        leading[str(N)] = {family: str(info["leading_cost"]) for family, info in plan.asymptotics["families"].items()}
        leading[str(N)]["tensorsketch (model)"] = f"{N - 1}*R*s + {N}*R*m*log2(m) + {N - 2}*R*(m/2 + 1)"
        leading[str(N)]["leverage (model, dense data)"] = f"{N - 1}*R**2*s + 2*m*s + {2 * N - 3}*R*m"
        for R in ranks:
            sizes = equal_accuracy_sizes(N, R)
            for s in points:
                numeric = _structured_costs(network, N, s, R, sizes)
                rows.append({
                    "N": N, "s": s, "R": R, "m": sizes, "ops": numeric,
                    "cheapest": min(numeric, key=numeric.get),
                    "ms22_ratio": {f: numeric[f] / numeric["ms22"] for f in numeric if f != "ms22"},
                })
            table = [_structured_costs(network, N, s, R, sizes) for s in grid]
            crossovers.append({
                "N": N, "R": R, "m": sizes,
                "ms22_cheaper_than": {
                    other: _ranges(grid, [c["ms22"] < c[other] for c in table])
                    for other in ("khatri-rao", "tensorsketch", "leverage")
                },
            })
    return {
        "eps": EPS, "delta": DELTA, "regime": regime, "leading_costs": leading, "rows": rows,
        "grid": [grid[0], grid[-1]], "crossovers": crossovers,
    }


# Markdown ------------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.2f}"


def render_markdown(results: dict) -> str:
    """Return markdown tables for the results of :func:`main`.

    ``results`` has the keys ``dense`` and ``network`` (as in
    ``results/cp_als.json``) and ``claim`` (the content of
    ``results/cp_claim.json``). A missing key skips its table.
    """
    lines = []
    dense = results.get("dense")
    if dense:
        lines += [
            f"Dense tensor {'×'.join(map(str, dense['shape']))}, rank {dense['rank']}, relative noise {dense['noise']}, "
            f"targets: fit {dense['targets']['tight']:.4f} (tight) and {dense['targets']['loose']:.4f} (loose), "
            f"at most {dense['sweeps']} sweeps, m = {dense['m']} (TensorSketch 4m). Times include the one-off setup.",
            "",
            "| method | mode | setup s | s to tight | speedup | s to loose | speedup | best fit |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, run in dense["runs"].items():
            cells = []
            for label in ("tight", "loose"):
                speedup = run[f"speedup_{label}"]
                cells += [_seconds(run[f"seconds_to_{label}"]), "-" if speedup is None else f"{speedup:.2f}×"]
            lines.append(
                f"| {name} | {run.get('mode', '-')} | {run['setup_seconds']:.2f} | " + " | ".join(cells) + f" | {run['best_fit']:.5f} |"
            )
        lines.append("")
    network = results.get("network")
    if network:
        gib = network["dense_bytes_if_formed"] / 2**30
        lines += [
            f"Tucker network {network['side']}³ with a {network['core_rank']}³ core (the dense tensor would take "
            f"{gib:,.0f} GiB), CP rank {network['rank']}, {network['sweeps']} sweeps, m = {network['m']}.",
            "",
            "| method | total s | final fit | ops per sweep |",
            "|---|---|---|---|",
        ]
        for name, run in network["runs"].items():
            lines.append(f"| {name} | {run['total_seconds']:.2f} | {run['final_fit']:.6f} | {run['ops_per_sweep']} |")
        lines.append("")
    claim = results.get("claim")
    if claim:
        lines += [
            f"Cost of sketching P_n per mode at equal accuracy (ε = {claim['eps']}, δ = {claim['delta']}); "
            "cost ratios are family / ms22.",
            "",
            "| N | s | R | m (ms22 / KR / TS / lev) | ms22 ops | KR / ms22 | TS / ms22 | lev / ms22 | cheapest |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in claim["rows"]:
            m = row["m"]
            ratio = row["ms22_ratio"]
            lines.append(
                f"| {row['N']} | {row['s']} | {row['R']} | {m['ms22']} / {m['khatri-rao']} / {m['tensorsketch']} / {m['leverage']} | "
                f"{row['ops']['ms22']} | {ratio['khatri-rao']:.3g} | {ratio['tensorsketch']:.3g} | {ratio['leverage']:.3g} | {row['cheapest']} |"
            )
        lines += [
            "",
            f"Sides s (powers of two from {claim['grid'][0]} to {claim['grid'][1]}) where ms22 costs fewer ops than each other family.",
            "",
            "| N | R | vs khatri-rao | vs tensorsketch | vs leverage |",
            "|---|---|---|---|---|",
        ]
        for row in claim["crossovers"]:
            cells = []
            for other in ("khatri-rao", "tensorsketch", "leverage"):
                ranges = row["ms22_cheaper_than"][other]
                cells.append(", ".join(f"{a}–{b}" if a != b else str(a) for a, b in ranges) or "none")
            lines.append(f"| {row['N']} | {row['R']} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("Leading costs (s ≥ m ≥ R):")
        lines.append("")
        for N, families in claim["leading_costs"].items():
            lines.append(f"- N = {N}: " + "; ".join(f"{name}: `{cost}`" for name, cost in families.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes for a smoke run (results are not written).")
    parser.add_argument("--parts", default="dense,network,claim", help="Comma-separated parts to run.")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    results: dict = {"command": command_line(), "machine": machine_info()}
    if "dense" in parts:
        shape = (40, 40, 40) if args.quick else (300, 300, 300)
        results["dense"] = dense_part(shape, 10 if not args.quick else 4, 0.01, 30 if not args.quick else 10, 200 if not args.quick else 30)
        print(render_markdown({"dense": results["dense"]}), flush=True)
    if "network" in parts:
        side = 500 if args.quick else 20000
        results["network"] = network_part(side, 8, 5, 20 if not args.quick else 5, 100)
        print(render_markdown({"network": results["network"]}), flush=True)
    if "claim" in parts:
        points = [10**3, 10**4, 10**6]
        results["claim"] = claim_part(points) if not args.quick else claim_part(points[:1], ranks=(5,), orders=(3,))
        print(render_markdown({"claim": results["claim"]}), flush=True)
    if not args.quick:
        write_result("cp_als", {k: v for k, v in results.items() if k != "claim"})
        if "claim" in results:
            write_result("cp_claim", {"command": results["command"], "machine": results["machine"], **results["claim"]})
    return results


if __name__ == "__main__":
    main()
