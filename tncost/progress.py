"""Progress bars for long loops: shown on a terminal, silent otherwise.

:func:`progress` wraps an iterable in a ``tqdm`` bar on standard error when
standard error is a terminal. Otherwise (a pipe, a file, a test run or a CI
log) it returns the iterable unchanged, so redirected output contains no bar
redraws.

Examples
--------
>>> list(progress(range(3), desc="trials"))
[0, 1, 2]
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress", "progress_enabled"]

Item = TypeVar("Item")


def progress_enabled() -> bool:
    """Return True when standard error is a terminal, where a bar is shown."""
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        # A replaced or closed stream has no usable terminal.
        return False


def progress(iterable: Iterable[Item], *, desc: str = "", total: int | None = None) -> Iterable[Item]:
    """Iterate over ``iterable`` with a progress bar on a terminal, silently elsewhere.

    Parameters
    ----------
    iterable
        The items to iterate over.
    desc
        A short label shown before the bar.
    total
        The number of items when ``len(iterable)`` is not defined.
    """
    if not progress_enabled():
        return iterable
    from tqdm import tqdm

    return _closing(tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False, dynamic_ncols=True))


def _closing(bar: Iterable[Item]) -> Iterator[Item]:
    # Closing the bar on early exit (an exception or a break) clears its line.
    try:
        yield from bar
    finally:
        bar.close()  # type: ignore[attr-defined]
