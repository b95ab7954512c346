"""The sequence condition: when an embedding is a sequence of Gaussian sketching matrices.

An embedding S reduces to a sequence of sketching matrices with row sizes at
least m when

(i) every index of S sits on at most two tensors of S and every sketched
    index on exactly one (an output index, being open, counts the outside
    as one more end, so it may sit on one tensor only), and
(ii) its tensors can be ordered t1, ..., tk so that the outputs of each t_i
    (its indices that are neither sketched nor shared with t1, ..., t_{i-1})
    multiply to at least m.

:func:`check_sequence` decides (ii) by peeling from the end: a tensor may go
last when its indices that are not sketched and not shared with the other
remaining tensors multiply to at least m; it is removed and the search
repeats. Removing a tensor only frees more indices of the others, so the
greedy peel finds an order whenever one exists. Cycles are allowed.

With symbolic sizes, "p >= m" is decided exactly when p/m is a monomial whose
sign of growth is clear (see :func:`at_least`); a comparison that cannot be
decided blocks that tensor, and the result says so in its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from ..errors import NetworkError, SizeError
from ..network import Index, Tensor
from ..symbolic.sizes import Size, parse_size, product
from .base import Embedding

__all__ = ["SequenceCheck", "check_sequence", "at_least"]


@dataclass(frozen=True)
class SequenceCheck:
    """The result of :func:`check_sequence`.

    Attributes
    ----------
    ok
        True when the sequence condition holds.
    order
        A witness order t1, ..., tk by tensor name (empty when ``ok`` is False).
    row_sizes
        |out_i| of each tensor of ``order``.
    stuck
        The tensors left when peeling stopped (empty when ``ok`` is True or
        when condition (i) failed).
    reason
        Why the condition fails, or ``""``.
    """

    ok: bool
    order: tuple[str, ...]
    row_sizes: tuple[Size, ...]
    stuck: tuple[str, ...]
    reason: str

    @property
    def rows(self) -> dict[str, Size]:
        """The row size of each tensor of the witness order, by name."""
        return dict(zip(self.order, self.row_sizes))

    def __bool__(self) -> bool:
        return self.ok


def at_least(p: Size, m: Size) -> bool | None:
    """Decide ``p >= m`` for sizes, exactly; ``None`` when it depends on the symbols' values.

    Size symbols are positive integers, so each is at least 1. With
    ``r = p / m = c · x1**a1 · ... · xk**ak`` the answer is True when every
    exponent is positive and c >= 1, False when every exponent is negative
    and c < 1, and otherwise undecided (``None``), for example ``R >= m``.

    Examples
    --------
    >>> from tncost.symbolic.sizes import size_symbol
    >>> m, R = size_symbol("m"), size_symbol("R")
    >>> at_least(6, 4), at_least(2 * m, m), at_least(m**2, m), at_least(R, m)
    (True, True, True, None)
    """
    if isinstance(p, int) and isinstance(m, int):
        return p >= m
    ratio = sympy.powsimp(sympy.sympify(p) / sympy.sympify(m))
    if ratio.is_Number:
        return bool(ratio >= 1)
    coefficient, factors = ratio.as_coeff_mul()
    exponents = []
    for factor in factors:
        base, exponent = factor.as_base_exp()
        if not (base.is_Symbol and base.is_integer and base.is_positive and exponent.is_Rational):
            return None
        exponents.append(exponent)
    if all(a > 0 for a in exponents) and coefficient >= 1:
        return True
    if all(a < 0 for a in exponents) and coefficient < 1:
        return False
    return None


def _inputs(
    tensors: Embedding | Iterable[Tensor],
    sketched: Iterable[Index] | None,
    size_dict: Mapping[Index, Size] | None,
    output: Iterable[Index] | None,
) -> tuple[tuple[Tensor, ...], tuple[Index, ...], Mapping[Index, Size], tuple[Index, ...]]:
    if isinstance(tensors, Embedding):
        sketched = tensors.sketched if sketched is None else sketched
        size_dict = tensors.size_dict if size_dict is None else size_dict
        output = tensors.output if output is None else output
        tensors = tensors.tensors
    tensors = tuple(tensors)
    if not tensors:
        raise NetworkError("check_sequence got no tensors; give the embedding's tensors or an Embedding")
    for tensor in tensors:
        if not isinstance(tensor, Tensor):
            raise NetworkError(f"expected Tensor objects, got {tensor!r}")
    if sketched is None or size_dict is None:
        raise NetworkError("give sketched and size_dict when checking a list of tensors (or pass an Embedding)")
    return tensors, tuple(sketched), size_dict, tuple(output or ())


def _condition_one(tensors: Sequence[Tensor], sketched: Sequence[Index], output: Sequence[Index]) -> str:
    holders: dict[Index, list[str]] = {}
    for tensor in tensors:
        for index in tensor.indices:
            holders.setdefault(index, []).append(tensor.name)
    for index in sketched:
        where = holders.get(index, [])
        if len(where) != 1:
            return (
                f"condition (i) fails: sketched index {index!r} sits on {len(where)} tensors "
                f"({', '.join(where) or 'none'}); each sketched index must sit on exactly one"
            )
    for index in output:
        where = holders.get(index, [])
        if len(where) > 1:
            return (
                f"condition (i) fails: output index {index!r} is a hyperedge: it is open and sits on "
                f"{len(where)} tensors ({', '.join(where)}); an output index may sit on one tensor only"
            )
    for index, where in holders.items():
        if len(where) > 2:
            return (
                f"condition (i) fails: index {index!r} is a hyperedge on {len(where)} tensors "
                f"({', '.join(where)}); every index may sit on at most two tensors"
            )
    return ""


def check_sequence(
    tensors: Embedding | Iterable[Tensor],
    sketched: Iterable[Index] | None = None,
    size_dict: Mapping[Index, Size] | None = None,
    m: Size | None = None,
    *,
    output: Iterable[Index] | None = None,
) -> SequenceCheck:
    """Check the sequence condition with row sizes at least ``m``.

    Parameters
    ----------
    tensors
        An :class:`~tncost.embeddings.base.Embedding`, or its tensors.
    sketched
        The sketched indices E1 (default: the embedding's).
    size_dict
        Sizes of every non-sketched index (default: the embedding's).
    m
        The smallest admissible row size: an int or a sympy size.
    output
        The embedding's output indices (default: the embedding's, or none
        for a list of tensors). An open index is also attached to the
        outside, so one that sits on two tensors is a hyperedge and fails
        condition (i); without ``output`` such an index reads as a bond.

    Returns
    -------
    SequenceCheck
        With a witness order and its row sizes, or the reason it fails. When
        several tensors can go last, the one listed latest is taken, so an
        embedding listed in a valid sequence order gets that order back.

    Raises
    ------
    NetworkError
        For missing arguments or a non-sketched index without a size.
    SizeError
        For an invalid ``m``.

    Notes
    -----
    With symbolic sizes a comparison such as ``R >= m`` is undecided; the
    tensor is then not allowed to go last, and if the peel gets stuck the
    reason names the undecided comparisons. Add a regime or substitute
    numbers to decide them.

    Examples
    --------
    >>> from tncost.network import Tensor
    >>> chain = [Tensor("A", ("r", "a"), "embedding"), Tensor("B", ("out", "r", "b"), "embedding")]
    >>> check = check_sequence(chain, ("a", "b"), {"r": 4, "out": 4}, 4)
    >>> check.ok, check.order, check.row_sizes
    (True, ('A', 'B'), (4, 4))
    >>> check_sequence(chain, ("a", "b"), {"r": 3, "out": 4}, 4).reason
    "no tensor of A can go last: A's free outputs multiply to 3 < m = 4"
    """
    tensors, sketched, size_dict, output = _inputs(tensors, sketched, size_dict, output)
    if m is None:
        raise NetworkError("check_sequence needs m, the smallest admissible row size")
    try:
        m = parse_size(m)
    except SizeError as err:
        raise SizeError(f"invalid row size m={m!r}: {err}") from err

    reason = _condition_one(tensors, sketched, output)
    if reason:
        return SequenceCheck(False, (), (), (), reason)

    e1 = set(sketched)
    sizes: dict[Index, Size] = {}
    for tensor in tensors:
        for index in tensor.indices:
            if index in e1 or index in sizes:
                continue
            if index not in size_dict:
                raise NetworkError(f"index {index!r} of tensor {tensor.name} has no size; add it to size_dict")
            sizes[index] = parse_size(size_dict[index])

    # Peel from the end: the last remaining tensor (in listed order) whose free
    # outputs reach m goes last.
    remaining = list(range(len(tensors)))
    peeled: list[tuple[str, Size]] = []
    while remaining:
        uses: dict[Index, int] = {}
        for position in remaining:
            for index in tensors[position].indices:
                uses[index] = uses.get(index, 0) + 1
        verdicts = []
        chosen = None
        for position in reversed(remaining):
            tensor = tensors[position]
            free = [i for i in tensor.indices if i not in e1 and uses[i] == 1]
            rows = product(sizes[i] for i in free)
            verdict = at_least(rows, m)
            if verdict:
                chosen = (position, rows)
                break
            verdicts.append((tensor.name, rows, verdict))
        if chosen is None:
            stuck = tuple(tensors[p].name for p in remaining)
            return SequenceCheck(False, (), (), stuck, _stuck_reason(stuck, verdicts[::-1], m))
        position, rows = chosen
        remaining.remove(position)
        peeled.append((tensors[position].name, rows))

    peeled.reverse()
    return SequenceCheck(True, tuple(n for n, _ in peeled), tuple(r for _, r in peeled), (), "")


def _stuck_reason(stuck: tuple[str, ...], verdicts: list[tuple[str, Size, bool | None]], m: Size) -> str:
    parts = []
    for name, rows, verdict in verdicts:
        if verdict is None:
            parts.append(f"{name}'s free outputs multiply to {rows}, which cannot be compared with m = {m} (undecided)")
        else:
            parts.append(f"{name}'s free outputs multiply to {rows} < m = {m}")
    return f"no tensor of {', '.join(stuck)} can go last: " + "; ".join(parts)
