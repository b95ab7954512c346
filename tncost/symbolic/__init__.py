"""Sizes, symbols and symbolic costs; fast cost polynomials; regimes and leading costs.

The symbolic order search lives in :mod:`tncost.symbolic.search` (it needs
:mod:`tncost.network`, which itself imports this package, so it is not
re-exported here).
"""

from .poly import Monomial, Poly
from .regime import Comparison, Ranking, Regime, Region, leading_cost, rank_costs
from .sizes import Size, SizeDict, parse_size, parse_size_assignments, product, size_symbol, substitute

__all__ = [
    "Size",
    "SizeDict",
    "parse_size",
    "parse_size_assignments",
    "product",
    "size_symbol",
    "substitute",
    "Monomial",
    "Poly",
    "Regime",
    "Region",
    "Comparison",
    "Ranking",
    "leading_cost",
    "rank_costs",
]
