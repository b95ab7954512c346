"""Sizes, symbols and symbolic costs."""

from .sizes import Size, SizeDict, parse_size, parse_size_assignments, product, size_symbol, substitute

__all__ = ["Size", "SizeDict", "parse_size", "parse_size_assignments", "product", "size_symbol", "substitute"]
