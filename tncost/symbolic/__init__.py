"""Sizes, symbols and symbolic costs; fast cost polynomials; regimes and leading costs.

The polynomial and regime names load on first use, so importing tncost does
not import scipy's optimizer. The symbolic order search lives in
:mod:`tncost.symbolic.search` (it needs :mod:`tncost.network`, which itself
imports this package, so it is not re-exported here).
"""

from importlib import import_module

from .sizes import Size, SizeDict, parse_size, parse_size_assignments, product, size_symbol, substitute

_LAZY = {
    "Monomial": "poly",
    "Poly": "poly",
    "Regime": "regime",
    "Region": "regime",
    "Comparison": "regime",
    "Ranking": "regime",
    "leading_cost": "regime",
    "rank_costs": "regime",
}

__all__ = [
    "Size",
    "SizeDict",
    "parse_size",
    "parse_size_assignments",
    "product",
    "size_symbol",
    "substitute",
    *_LAZY,
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
