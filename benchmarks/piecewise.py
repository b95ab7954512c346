"""MS22 and best_t0 under regimes: piecewise leading costs against the lower bound.

For each built-in structure and regime, the planner's piecewise costs
(:mod:`tncost.piecewise`) give, region by region, the leading cost of the
constructions MS22 and the best-T0 search pick at samples of the regime,
and whether that cost is at most a constant times the lower bound there.
This is the symbolic side of the claims on cost / LB: bounded where the
data tensors are large enough relative to m, a factor up to m^(1/2) where
split gadgets dominate.

Run from the repository root::

    python benchmarks/piecewise.py

Results go to ``results/piecewise.json``; ``benchmarks/tables.py piecewise``
renders them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

from tncost.bounds import lower_bound  # noqa: E402
from tncost.piecewise import piecewise_cost  # noqa: E402
from tncost.planner import _resolve_minima, plan_sketch  # noqa: E402
from tncost.structures import parse_builtin  # noqa: E402
from tncost.symbolic.regime import Regime, leading_cost  # noqa: E402
from tncost.symbolic.sizes import size_symbol  # noqa: E402

CASES = [
    ("kronecker:N=3", "m <= s"),
    ("kronecker:N=4", "m <= s"),
    ("kronecker:N=4", "m**3 <= s**2"),
    ("khatri-rao:N=3", "m <= R <= s"),
    ("khatri-rao:N=4", "m <= R <= s"),
    ("khatri-rao:N=4", "m <= R, m**3 <= s**2, R <= s"),
    ("tt:N=4", "m <= R <= s"),
    ("tt:N=6", "m <= R <= s"),
    ("tt:N=6", "R <= m <= s"),
    ("tt:N=6", "R <= m, m**3 <= s**2"),
    ("tree:N=4", "m <= R <= s"),
    ("tree:N=8", "m <= R <= s"),
    ("peps:rows=2,cols=2", "m <= R <= s"),
    ("peps:rows=2,cols=3", "m <= R <= s"),
]


def _lower_bound_leading(bound: object, regime: Regime) -> str:
    resolved = _resolve_minima(bound, regime)
    try:
        return str(leading_cost(resolved, regime))
    except Exception:  # noqa: BLE001 - an unresolved minimum has no single leading form
        return str(resolved)


def run_case(spec: str, regime_text: str) -> dict:
    network = parse_builtin(spec)
    data_tree = plan_sketch(network, regime=regime_text, families=["tt"]).data_tree
    bound = lower_bound(network, data_tree, size_symbol("m")).total
    regime = Regime.parse(regime_text, symbols=(*network.symbols, "m"))
    entry: dict = {"structure": spec, "regime": regime_text, "lower_bound_leading": _lower_bound_leading(bound, regime)}
    for family in ("ms22", "best_t0"):
        start = time.perf_counter()
        result = piecewise_cost(network, family, data_tree, regime, bound=bound)
        entry[family] = {
            "seconds": time.perf_counter() - start,
            "pieces": len(result.pieces),
            "samples": sum(len(piece.samples) for piece in result.pieces),
            "regions": [dict(region) for region in result.regions],
            "bounded_everywhere": result.bounded_everywhere,
        }
    return entry


def main() -> None:
    start = time.perf_counter()
    cases = []
    for spec, regime in CASES:
        case = run_case(spec, regime)
        cases.append(case)
        print(f"{spec:22s} {regime:32s} ms22 {case['ms22']['bounded_everywhere']!s:5s} "
              f"best_t0 {case['best_t0']['bounded_everywhere']!s:5s} {case['ms22']['regions'][0]['leading_cost']}")
    result = {
        "benchmark": "piecewise",
        "command": "python benchmarks/piecewise.py",
        "machine": _common.machine_info(),
        "seconds": time.perf_counter() - start,
        "cases": cases,
    }
    _common.write_result("piecewise", result)


if __name__ == "__main__":
    main()
