"""Benchmark of the symbolic order search.

Two comparisons, measured side by side in one run:

1. ``symbolic_optimize`` on random networks of 6-14 tensors (symbols R and s,
   regime ``R <= s``) against exact numeric searches of the same networks at
   one point (R = 20, s = 1000): cotengra's ``optimize_optimal`` with
   ``minimize="flops"`` and ``search_outer=True``, and tncost's ``dp``.
2. The fast polynomials inside the dynamic program against the same search
   written naively with sympy expressions: sympy sums for the costs and, for
   pruning, sympy expansion of each difference and the same linear programs
   per pair, without the integer-profile filters. Both must return the same
   costs.

Run: ``python benchmarks/symbolic_search.py [--max-tensors 12] [--out FILE]``.
The JSON result goes to ``benchmarks/results/symbolic_search.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path

import cotengra
import numpy as np
import scipy
import sympy
from cotengra.pathfinders.path_basic import optimize_optimal

from tncost.cost import tree_cost
from tncost.network import TensorNetwork
from tncost.paths import dp_optimal
from tncost.symbolic import regime as regime_module
from tncost.symbolic.poly import Poly
from tncost.symbolic.regime import TOLERANCE, Regime
from tncost.symbolic.search import _bit_tables, symbolic_optimize

REGIME = "R <= s"
POINT = {"R": 20, "s": 1000}


def random_network(seed: int, count: int) -> TensorNetwork:
    """A ring of ``count`` tensors plus count/2 random edges and two open indices; sizes R or s."""
    rng = np.random.default_rng(seed)
    inputs = [[] for _ in range(count)]
    sizes = {}
    names = itertools.count()
    for position in range(count):
        name = f"i{next(names)}"
        inputs[position] += [name]
        inputs[(position + 1) % count] += [name]
        sizes[name] = str(rng.choice(["R", "s"]))
    for _ in range(count // 2):
        a, b = rng.choice(count, 2, replace=False)
        name = f"i{next(names)}"
        inputs[a] += [name]
        inputs[b] += [name]
        sizes[name] = str(rng.choice(["R", "s"]))
    for _ in range(2):
        name = f"o{next(names)}"
        inputs[int(rng.integers(count))] += [name]
        sizes[name] = "s"
    return TensorNetwork.from_inputs(inputs, None, sizes)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def cotengra_optimal(network: TensorNetwork) -> list:
    numeric = network.at_sizes(POINT)
    inputs = [tuple(ix) for ix in numeric.inputs]
    return optimize_optimal(inputs, tuple(numeric.output), dict(numeric.size_dict), minimize="flops", search_outer=True)


# The naive search: sympy expressions and per-pair LPs -------------------------------------


def naive_sympy_search(network: TensorNetwork, text: str) -> list:
    """The same subset DP and pruning rule, with sympy costs and no integer filters."""
    cone = Regime.parse(text, tuple(sorted(set(network.symbols) | set(Regime.parse(text).symbols))))
    symbols = {name: sympy.Symbol(name, positive=True, integer=True) for name in cone.symbols}
    chosen = tuple(range(len(network.tensors)))
    index_bit, _, kept = _bit_tables(network, chosen)
    sizes = [sympy.sympify(network.size_dict[index]) for index in index_bit]

    def step(mask: int) -> sympy.Expr:
        return sympy.Mul(*(sizes[b] for b in range(len(sizes)) if mask >> b & 1))

    def classes(expr: sympy.Expr) -> dict:
        result: dict = {}
        for term, coefficient in sympy.expand(expr).as_coefficients_dict().items():
            powers = term.as_powers_dict()
            profile = cone.profile([sympy.Rational(powers.get(symbols[n], 0)) for n in cone.symbols])
            profile = tuple(sympy.Rational(v) for v in profile)
            result[profile] = result.get(profile, 0) + coefficient
        return result

    def precedes(first: sympy.Expr, second: sympy.Expr) -> bool:
        difference = {k: v for k, v in classes(first - second).items() if v != 0}
        positive = [k for k, v in difference.items() if v > 0]
        negative = [k for k, v in difference.items() if v < 0]
        if not positive:
            return True
        if not negative:
            return False
        return all(cone.excess(top, negative) <= TOLERANCE for top in positive)

    count = len(chosen)
    full = (1 << count) - 1
    fronts: list[list] = [[] for _ in range(full + 1)]
    for bit in range(count):
        fronts[1 << bit] = [sympy.Integer(0)]
    for subset in range(1, full + 1):
        low = subset & -subset
        if subset == low:
            continue
        rest = subset ^ low
        generated = []
        sub = rest
        while True:
            sub = (sub - 1) & rest
            left, right = low | sub, rest ^ sub
            cost = step(kept[left] | kept[right])
            for a in fronts[left]:
                for b in fronts[right]:
                    candidate = sympy.expand(a + b + cost)
                    if candidate not in generated:
                        generated.append(candidate)
            if sub == 0:
                break
        front: list = []
        for candidate in generated:
            if any(precedes(other, candidate) for other in front):
                continue
            front = [other for other in front if not precedes(candidate, other)] + [candidate]
        fronts[subset] = front
    return fronts[full]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tensors", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "symbolic_search.json"))
    args = parser.parse_args()

    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "cotengra": cotengra.__version__,
    }

    searches = []
    for count in range(6, args.max_tensors + 1, 2):
        for seed in range(args.seeds):
            network = random_network(seed, count)
            regime_module._game.cache_clear()
            result, symbolic_time = timed(symbolic_optimize, network, REGIME)
            _, cotengra_time = timed(cotengra_optimal, network)
            numeric = network.at_sizes(POINT)
            tree, dp_time = timed(dp_optimal, numeric)
            searches.append({
                "tensors": count,
                "seed": seed,
                "symbolic_s": symbolic_time,
                "cotengra_optimal_s": cotengra_time,
                "tncost_dp_s": dp_time,
                "candidates": len(result.candidates),
                "regions": len(result.regions),
                "largest_front": result.front_size,
                "dp_ops_at_point": int(tree_cost(numeric, tree).ops),
            })

    polynomials = []
    for count in (6, 7, 8):
        for seed in range(args.seeds):
            network = random_network(seed, count)
            regime_module._game.cache_clear()
            fast, fast_time = timed(symbolic_optimize, network, REGIME)
            regime_module._game.cache_clear()
            naive, naive_time = timed(naive_sympy_search, network, REGIME)
            naive_costs = {Poly.from_sympy(expr, fast.regime.symbols) for expr in naive}
            same = {c.cost for c in fast.candidates} <= naive_costs
            polynomials.append({
                "tensors": count,
                "seed": seed,
                "fast_s": fast_time,
                "sympy_s": naive_time,
                "speedup": naive_time / fast_time,
                "same_costs": bool(same),
            })

    report = {"machine": machine, "regime": REGIME, "point": POINT, "searches": searches, "polynomials": polynomials}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(args.out).with_suffix(".tmp")
    temporary.write_text(json.dumps(report, indent=2))
    temporary.replace(args.out)

    print(f"machine: {machine['processor']}, {machine['cpus']} cpus, Python {machine['python']}")
    print("| tensors | symbolic (s) | cotengra optimal (s) | tncost dp (s) | candidates | regions | largest front |")
    print("|---|---|---|---|---|---|---|")
    for count in sorted({r["tensors"] for r in searches}):
        rows = [r for r in searches if r["tensors"] == count]
        median = lambda key: float(np.median([r[key] for r in rows]))  # noqa: E731
        print(
            f"| {count} | {median('symbolic_s'):.3f} | {median('cotengra_optimal_s'):.3f} | {median('tncost_dp_s'):.4f} | "
            f"{max(r['candidates'] for r in rows)} | {max(r['regions'] for r in rows)} | {max(r['largest_front'] for r in rows)} |"
        )
    print()
    print("| tensors | fast polynomials (s) | sympy (s) | speedup | same costs |")
    print("|---|---|---|---|---|")
    for count in sorted({r["tensors"] for r in polynomials}):
        rows = [r for r in polynomials if r["tensors"] == count]
        print(
            f"| {count} | {np.median([r['fast_s'] for r in rows]):.3f} | {np.median([r['sympy_s'] for r in rows]):.2f} | "
            f"{np.median([r['speedup'] for r in rows]):.0f}x | {all(r['same_costs'] for r in rows)} |"
        )


if __name__ == "__main__":
    main()
