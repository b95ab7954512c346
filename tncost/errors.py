"""Exception hierarchy of tncost.

Every error says what was wrong, on which value, and what input is valid. The
command line turns any :class:`TncostError` into one message and exit status 2.
"""

from __future__ import annotations

__all__ = [
    "TncostError",
    "NetworkError",
    "SizeError",
    "SpecError",
    "PathError",
    "SketchSizeError",
    "RegimeError",
    "MemoryBudgetError",
    "TncostWarning",
    "SearchLimitWarning",
]


class TncostError(Exception):
    """Base class of every error raised for bad user input."""


class NetworkError(TncostError, ValueError):
    """Invalid tensor network: unknown or repeated indices, bad sketch or keep sets."""


class SizeError(NetworkError):
    """Invalid index size: zero, negative, non-integer, or an undeclared symbol."""


class SpecError(TncostError, ValueError):
    """Malformed input text: an einsum string, a spec file, a built-in name or option."""


class PathError(TncostError, ValueError):
    """A contraction path or tree that is not a valid binary tree over the tensors."""


class SketchSizeError(TncostError, ValueError):
    """A sketch size that is out of range for the requested analysis."""


class RegimeError(TncostError, ValueError):
    """A regime that cannot be parsed or that no sizes satisfy."""


class MemoryBudgetError(TncostError, MemoryError):
    """A plan whose live memory would exceed the memory budget."""


class TncostWarning(UserWarning):
    """Base class of tncost's warnings; the command line prints each as one ``warning:`` line."""


class SearchLimitWarning(TncostWarning):
    """An order search hit its size or time limit and fell back to a heuristic, so the order may not be optimal."""
