"""Seeds: the one place where tncost turns a user's seed into random streams.

Every random function of tncost takes a ``seed`` argument and passes it
through :func:`resolve_seed` (one generator) or :func:`seed_sequence` (a
``numpy.random.SeedSequence`` to spawn independent streams from). Global
random state, ``numpy.random.seed`` included, is never read or written.

A seed may be

* ``None``: fresh entropy from the operating system (not reproducible);
* a non-negative ``int``: reproducible in any process and on any platform;
* a ``numpy.random.SeedSequence``: used as given;
* a ``numpy.random.Generator``: used as given by :func:`resolve_seed`;
  :func:`seed_sequence` draws the entropy of a new sequence from it, which
  advances the generator.

Examples
--------
>>> rng = resolve_seed(7)
>>> float(rng.standard_normal()) == float(resolve_seed(7).standard_normal())
True
>>> [child.spawn_key for child in spawn_seeds(7, 2)]
[(0,), (1,)]
"""

from __future__ import annotations

from typing import Union

import numpy as np

from .errors import SpecError

__all__ = ["Seed", "resolve_seed", "seed_sequence", "spawn_seeds"]

#: Anything :func:`resolve_seed` accepts: None, an int, a SeedSequence or a Generator.
Seed = Union[None, int, np.integer, np.random.SeedSequence, np.random.Generator]

_VALID = "None, a non-negative int, a numpy SeedSequence or a numpy Generator"


def _check_int(seed: object) -> int:
    value = int(seed)  # type: ignore[call-overload]
    if value < 0:
        raise SpecError(f"invalid seed {value}: seeds are {_VALID}")
    return value


def resolve_seed(seed: Seed = None) -> np.random.Generator:
    """Return a numpy ``Generator`` for ``seed``.

    Parameters
    ----------
    seed
        ``None``, a non-negative int, a ``SeedSequence`` or a ``Generator``
        (returned unchanged, so draws advance the caller's generator).

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    SpecError
        If ``seed`` has another type (bools included) or is a negative int.

    Examples
    --------
    >>> gen = np.random.default_rng(3)
    >>> resolve_seed(gen) is gen
    True
    >>> resolve_seed(0).integers(10, size=3).tolist() == resolve_seed(0).integers(10, size=3).tolist()
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed_sequence(seed))


def seed_sequence(seed: Seed = None) -> np.random.SeedSequence:
    """Return a ``SeedSequence`` for ``seed``, the root of independent streams.

    Parameters
    ----------
    seed
        As for :func:`resolve_seed`. A ``SeedSequence`` is returned unchanged;
        a ``Generator`` supplies 128 bits of entropy for a new sequence.

    Returns
    -------
    numpy.random.SeedSequence

    Raises
    ------
    SpecError
        If ``seed`` is not one of the accepted types or is a negative int.

    Examples
    --------
    >>> seed_sequence(5).entropy
    5
    """
    if isinstance(seed, bool):
        raise SpecError(f"invalid seed {seed!r}: seeds are {_VALID}, not booleans")
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=4, dtype=np.uint64)
        return np.random.SeedSequence([int(w) for w in words])
    if isinstance(seed, (int, np.integer)):
        return np.random.SeedSequence(_check_int(seed))
    raise SpecError(f"invalid seed {seed!r} of type {type(seed).__name__}: seeds are {_VALID}")


def spawn_seeds(seed: Seed, count: int) -> list[np.random.SeedSequence]:
    """Return ``count`` independent child seeds of ``seed``.

    The children of an int seed are the same in every process, so trial ``k``
    of a seeded experiment can be rerun alone. Spawning from a
    ``SeedSequence`` that was spawned from before gives new children, as numpy
    documents.

    Parameters
    ----------
    seed
        As for :func:`seed_sequence`.
    count
        The number of children, at least 0.

    Returns
    -------
    list of numpy.random.SeedSequence

    Raises
    ------
    SpecError
        If ``seed`` is invalid or ``count`` is negative.

    Examples
    --------
    >>> a, b = spawn_seeds(1, 2)
    >>> resolve_seed(a).random() != resolve_seed(b).random()
    True
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise SpecError(f"invalid count {count!r}: give a non-negative number of seeds")
    return seed_sequence(seed).spawn(int(count))
