"""The lower bound on the cost of sketching plans that follow a data tree T0.

For a data network x with sketched indices E1, a data tree T0 over its
tensors and a sketch size m with ``2 <= m <= s_e`` for every sketched index e,
:func:`lower_bound` returns LB, a sum of three kinds of term:

* **merge** terms, one per internal T0 node A with children L and R:
  ``|B(L) ∪ B(R)| · m^(k(L) + k(R))``;
* **sketch** terms, one per sketched index e on the data tensor v:
  ``m · s_e · min over the T0 nodes A from v to the root of |B(A)| · m^[K(A) \\ {e} ≠ ∅]``;
* **leaf** terms, one per data tensor v that carries a sketched index:
  ``m · |idx(v)|`` when the sibling of v in T0 contains sketched indices or v is
  the whole network, else ``min(m · |idx(v)|, |idx(v) ∪ B(sib(v))|)``.

Here X_A is the intermediate of the data network over the tensors of the T0
node A (its indices are those of A's tensors that are open or shared with a
data tensor outside A), K(A) its sketched indices, B(A) its other indices,
and k(A) = 1 when K(A) is not empty. Every T0-consistent plan whose embedding
satisfies the sequence condition with row sizes at least m costs at least
``LB / (3 + 1/m)``; when no data tensor holds two sketched indices, at least
``LB / 3``. :func:`bound_constant` gives the divisor. The proof is in the
documentation page on the lower bound.

Examples
--------
>>> from tncost.network import TensorNetwork
>>> from tncost.tree import ContractionTree
>>> net = TensorNetwork.from_inputs([("a",), ("b",)], size_dict={"a": 8, "b": 8}, sketched=("a", "b"))
>>> bound = lower_bound(net, ContractionTree.from_nested((0, 1)), 4)
>>> bound.total, [(t.kind, t.value) for t in bound.terms]
(144, [('merge', 16), ('sketch', 32), ('sketch', 32), ('leaf', 32), ('leaf', 32)])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, Union

import sympy

from .cost import total
from .errors import NetworkError, PathError, SizeError, SketchSizeError
from .network import Index, TensorNetwork
from .embeddings.sequence import at_least
from .symbolic.sizes import Size, parse_size, product, substitute
from .tree import ContractionTree, Node

__all__ = [
    "BoundTerm",
    "LowerBound",
    "TermKind",
    "lower_bound",
    "bound_constant",
    "BOUND_CONSTANT",
]

#: The kind of a lower-bound term: a merge of two T0 children, a sketched index, or a leaf tensor.
TermKind = Literal["merge", "sketch", "leaf"]

BOUND_CONSTANT = Fraction(7, 2)
"""The divisor that holds for every m >= 2: ``3 + 1/m <= 7/2``, so every plan costs at least ``(2/7) · LB``."""

Expression = Union[int, sympy.Expr]


def bound_constant(m: Size, network: TensorNetwork | None = None) -> Union[Fraction, sympy.Expr]:
    """The proven divisor c: every T0-consistent sequence plan costs at least ``LB / c``.

    Parameters
    ----------
    m
        The sketch size: an int (the result is a :class:`~fractions.Fraction`)
        or a sympy size (the result is a sympy expression).
    network
        If given and none of its data tensors carries two or more sketched indices,
        the sharper divisor 3 applies.

    Returns
    -------
    Fraction or sympy.Expr
        ``3 + 1/m`` in general, ``3`` for networks whose tensors hold at most
        one sketched index each.

    Examples
    --------
    >>> bound_constant(2), bound_constant(16)
    (Fraction(7, 2), Fraction(49, 16))
    >>> bound_constant(sympy.Symbol("m"))
    3 + 1/m
    """
    if network is not None and all(
        sum(index in set(network.sketched) for index in tensor.indices) <= 1 for tensor in network.tensors
    ):
        return Fraction(3) if isinstance(m, int) else sympy.Integer(3)
    if isinstance(m, int):
        return Fraction(3 * m + 1, m)
    return 3 + 1 / parse_size(m)


@dataclass(frozen=True)
class BoundTerm:
    """One term of the lower bound.

    Attributes
    ----------
    kind
        ``"merge"``, ``"sketch"`` or ``"leaf"``.
    owner
        What the term belongs to: the tensor names of the T0 node (merge),
        the sketched index (sketch, a one-element tuple), or the data tensor
        (leaf, a one-element tuple).
    expression
        The term: an int, a sympy monomial, or a ``sympy.Min`` of the
        candidates when the minimum depends on the sizes.
    candidates
        The alternatives whose minimum is the term (one element when there
        is no minimum to take).
    value
        The term as an int when every size is a number, else ``None``.
    """

    kind: TermKind
    owner: tuple[str, ...]
    expression: Expression
    candidates: tuple[Expression, ...]
    value: int | None

    def at(self, sizes: Mapping[str, int]) -> int:
        """Evaluate the term at numeric ``sizes`` (symbol name to value) as an exact int."""
        return min(_as_int(substitute(c, sizes), c) for c in self.candidates)

    def to_dict(self) -> dict:
        """Return a JSON-ready description, with symbolic expressions as strings."""
        key = {"merge": "node", "sketch": "index", "leaf": "tensor"}[self.kind]
        owner: object = list(self.owner) if self.kind == "merge" else self.owner[0]
        return {
            "kind": self.kind,
            key: owner,
            "expression": _json_value(self.expression),
            "candidates": [_json_value(c) for c in self.candidates],
            "value": self.value,
        }


@dataclass(frozen=True)
class LowerBound:
    """The lower bound LB(x, E1, T0, m) with its per-term breakdown.

    Attributes
    ----------
    total
        LB: an int for numeric sizes, else a sympy expression (a polynomial
        plus ``Min`` terms).
    terms
        The merge terms (T0 nodes in execution order), then the sketch terms
        (in the network's sketched order), then the leaf terms (in tensor
        order).
    m
        The sketch size the bound is for.
    constant
        The proven divisor (:func:`bound_constant`) for this network and m.
    assumptions
        Conditions on the sizes that the bound assumes but that could not be
        decided symbolically, such as ``"m <= s (size of sketched index 'a')"``;
        :meth:`at` checks them at the given sizes.
    sketched_sizes
        The size of every sketched index, for those checks.
    """

    total: Expression
    terms: tuple[BoundTerm, ...]
    m: Size
    constant: Union[Fraction, sympy.Expr]
    assumptions: tuple[str, ...] = ()
    sketched_sizes: Mapping[Index, Size] = field(default_factory=dict)

    @property
    def symbols(self) -> tuple[str, ...]:
        """The names of the size symbols the bound depends on, sorted."""
        names: set[str] = set()
        for value in (self.m, *self.sketched_sizes.values(), *(c for t in self.terms for c in t.candidates)):
            if not isinstance(value, int):
                names.update(sym.name for sym in value.free_symbols)
        return tuple(sorted(names))

    def at(self, sizes: Mapping[str, int] | None = None) -> int:
        """Evaluate LB at numeric ``sizes`` (symbol name to value) as an exact int.

        Raises
        ------
        SizeError
            If a symbol of the bound has no value.
        SketchSizeError
            If m is below 2 or above a sketched index's size at these values.

        Examples
        --------
        >>> from tncost.network import TensorNetwork
        >>> from tncost.tree import ContractionTree
        >>> net = TensorNetwork.from_inputs([("a", "c")], size_dict={"a": "s", "c": 3}, sketched=("a",))
        >>> bound = lower_bound(net, ContractionTree.from_nested(0), "m")
        >>> bound.total, bound.at({"s": 10, "m": 4})
        (6*m*s, 240)
        """
        sizes = dict(sizes or {})
        missing = [name for name in self.symbols if name not in sizes]
        if missing:
            raise SizeError(
                f"no value for symbol(s) {', '.join(missing)}; the lower bound depends on "
                f"{', '.join(self.symbols)}"
            )
        m = _as_int(substitute(self.m, sizes), self.m)
        _check_m({e: _as_int(substitute(s, sizes), s) for e, s in self.sketched_sizes.items()}, m)
        return sum(term.at(sizes) for term in self.terms)

    def guaranteed_cost(self, sizes: Mapping[str, int] | None = None) -> Fraction:
        """Return ``LB / constant`` at ``sizes``, the cost below which no T0-consistent sequence plan goes.

        Examples
        --------
        >>> from tncost.network import TensorNetwork
        >>> from tncost.tree import ContractionTree
        >>> net = TensorNetwork.from_inputs([("a", "b")], size_dict={"a": 4, "b": 4}, sketched=("a", "b"))
        >>> lower_bound(net, ContractionTree.from_nested(0), 2).guaranteed_cost()
        Fraction(128, 7)
        """
        value = self.at(sizes)
        constant = self.constant
        if not isinstance(constant, Fraction):
            exact = sympy.Rational(constant.xreplace(_symbol_values(constant, sizes or {})))
            constant = Fraction(int(exact.p), int(exact.q))
        return Fraction(value) / constant

    def ratio(self, cost: Size, sizes: Mapping[str, int] | None = None) -> Fraction:
        """Return ``cost / LB`` at ``sizes`` as an exact fraction.

        Examples
        --------
        >>> from tncost.network import TensorNetwork
        >>> from tncost.tree import ContractionTree
        >>> net = TensorNetwork.from_inputs([("a",)], size_dict={"a": 8}, sketched=("a",))
        >>> lower_bound(net, ContractionTree.from_nested(0), 4).ratio(32)
        Fraction(1, 2)
        """
        value = _as_int(substitute(cost, dict(sizes or {})), cost)
        return Fraction(value, self.at(sizes))

    def to_dict(self) -> dict:
        """Return a JSON-ready description of the bound and its terms."""
        constant = self.constant
        return {
            "total": _json_value(self.total),
            "m": _json_value(self.m),
            "constant": str(constant),
            "assumptions": list(self.assumptions),
            "terms": [term.to_dict() for term in self.terms],
        }


# Construction ---------------------------------------------------------------------


def lower_bound(network: TensorNetwork, data_tree: ContractionTree, m: object) -> LowerBound:
    """Compute the lower bound LB for sketching ``network``'s sketched indices along ``data_tree``.

    Parameters
    ----------
    network
        The data network; its ``sketched`` indices are E1 and its other open
        indices are kept.
    data_tree
        T0, a contraction tree over all of the network's tensor positions
        (``ContractionTree.from_nested(0)`` for a single tensor).
    m
        The sketch size: an int, a sympy size such as ``m`` or ``2*mu``, or a
        string such as ``"m"``.

    Returns
    -------
    LowerBound
        The total and its merge, sketch and leaf terms. With numeric sizes
        every figure is an int; otherwise the total is a sympy expression and
        :meth:`LowerBound.at` evaluates it exactly.

    Raises
    ------
    NetworkError
        If the network has no sketched indices or contains embedding tensors.
    PathError
        If ``data_tree`` does not cover exactly the network's tensors.
    SketchSizeError
        If m is not a valid size, is below 2, or exceeds the size of a
        sketched index: the bound assumes ``2 <= m <= s_e``.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> from tncost.tree import ContractionTree
    >>> net = TensorNetwork.from_inputs(
    ...     [("a", "i"), ("i", "b")], size_dict={"a": "s", "b": "s", "i": "R"}, sketched=("a", "b"))
    >>> bound = lower_bound(net, ContractionTree.from_nested((0, 1)), "m")
    >>> bound.terms[0].expression, bound.terms[1].expression
    (R*m**2, Min(m**2*s, R*m*s))
    >>> bound.at({"s": 100, "R": 3, "m": 4})
    4848
    """
    _check_network(network, data_tree)
    m = _parsed_m(m)
    sketched_sizes = {e: network.size_dict[e] for e in network.sketched}
    assumptions = _check_m(sketched_sizes, m)

    nodes = _NodeIndices(network)
    children = data_tree.children()
    parents = data_tree.parents()
    names = [t.name for t in network.tensors]

    def owner(node: Node) -> tuple[str, ...]:
        return tuple(names[p] for p in sorted(node))

    terms: list[BoundTerm] = []

    # Merge terms: one per internal node of T0.
    for node in data_tree.internal_nodes():
        left, right = children[node]
        bonds = product(network.size_dict[i] for i in dict.fromkeys(nodes.other(left) + nodes.other(right)))
        exponent = nodes.has_sketched(left) + nodes.has_sketched(right)
        terms.append(_term("merge", owner(node), [bonds * _power(m, exponent)]))

    # Sketch terms: the cheapest point on the path from e's tensor to the root.
    for index in network.sketched:
        (position,) = network.positions(index)
        node: Node = frozenset([position])
        candidates = []
        while True:
            others = [e for e in nodes.sketched(node) if e != index]
            size = product(network.size_dict[i] for i in nodes.other(node))
            candidates.append(m * network.size_dict[index] * size * _power(m, 1 if others else 0))
            if node not in parents:
                break
            node = parents[node]
        terms.append(_term("sketch", (index,), candidates))

    # Leaf terms: what the first step touching each sketched tensor must meet.
    for position, tensor in enumerate(network.tensors):
        leaf = frozenset([position])
        if not nodes.has_sketched(leaf):
            continue
        own = nodes.indices(leaf)
        first = m * product(network.size_dict[i] for i in own)
        if leaf not in parents:
            terms.append(_term("leaf", (tensor.name,), [first]))
            continue
        parent = parents[leaf]
        sibling = next(child for child in children[parent] if child != leaf)
        if nodes.has_sketched(sibling):
            terms.append(_term("leaf", (tensor.name,), [first]))
        else:
            joined = product(network.size_dict[i] for i in dict.fromkeys(own + nodes.other(sibling)))
            terms.append(_term("leaf", (tensor.name,), [first, joined]))

    numeric = all(term.value is not None for term in terms)
    if numeric:
        value: Expression = sum(term.value for term in terms)  # type: ignore[misc]
    else:
        plain = total(t.expression for t in terms if len(t.candidates) == 1)
        minima = [t.expression for t in terms if len(t.candidates) > 1]
        value = sympy.Add(plain, *minima) if minima else plain
    return LowerBound(
        total=value,
        terms=tuple(terms),
        m=m,
        constant=bound_constant(m, network),
        assumptions=assumptions,
        sketched_sizes=MappingProxyType(sketched_sizes),
    )


class _NodeIndices:
    """Indices of the data intermediates X_A, split into sketched (K) and other (B)."""

    def __init__(self, network: TensorNetwork) -> None:
        self.network = network
        self.open = set(network.output or ())
        self.e1 = set(network.sketched)
        self._cache: dict[Node, tuple[Index, ...]] = {}

    def indices(self, node: Node) -> tuple[Index, ...]:
        cached = self._cache.get(node)
        if cached is not None:
            return cached
        kept: dict[Index, None] = {}
        for position in sorted(node):
            for index in self.network.tensors[position].indices:
                if index in self.open or not set(self.network.positions(index)) <= node:
                    kept[index] = None
        self._cache[node] = tuple(kept)
        return self._cache[node]

    def sketched(self, node: Node) -> tuple[Index, ...]:
        return tuple(i for i in self.indices(node) if i in self.e1)

    def other(self, node: Node) -> tuple[Index, ...]:
        return tuple(i for i in self.indices(node) if i not in self.e1)

    def has_sketched(self, node: Node) -> int:
        return 1 if self.sketched(node) else 0


def _term(kind: TermKind, owner: tuple[str, ...], candidates: Sequence[Expression]) -> BoundTerm:
    kept = _undominated(candidates)
    if all(isinstance(c, int) for c in kept):
        value = min(kept)  # type: ignore[type-var]
        return BoundTerm(kind, owner, value, (value,), value)
    expression = kept[0] if len(kept) == 1 else sympy.Min(*kept, evaluate=False)
    return BoundTerm(kind, owner, expression, tuple(kept), None)


def _undominated(candidates: Iterable[Expression]) -> list[Expression]:
    """Drop candidates that are at least another one for all sizes; keep the order."""
    kept: list[Expression] = []
    for candidate in dict.fromkeys(candidates):
        if any(at_least(candidate, other) for other in kept):
            continue
        kept = [other for other in kept if not at_least(other, candidate)]
        kept.append(candidate)
    return kept


def _power(m: Size, exponent: int) -> Size:
    return product([m] * exponent)


# Validation -------------------------------------------------------------------------


def _check_network(network: TensorNetwork, data_tree: ContractionTree) -> None:
    if not isinstance(network, TensorNetwork):
        raise NetworkError(f"expected a TensorNetwork, got {type(network).__name__}")
    if not isinstance(data_tree, ContractionTree):
        raise PathError(f"expected a ContractionTree as the data tree, got {type(data_tree).__name__}")
    if not network.sketched:
        raise NetworkError(
            f"nothing to sketch: network {network.name or '(unnamed)'} has no sketched indices, so there is "
            "no sketching lower bound; mark indices as sketched or analyze it as a plain contraction"
        )
    embedding = [t.name for t in network.tensors if t.kind != "data"]
    if embedding:
        raise NetworkError(
            f"the lower bound takes the data network alone, but tensor {embedding[0]!r} is an embedding "
            "tensor; pass the network without its embedding"
        )
    positions = list(range(len(network.tensors)))
    if sorted(data_tree.leaves) != positions:
        raise PathError(
            f"the data tree covers positions {sorted(data_tree.leaves)}, but the network's tensors are at "
            f"positions {positions}; give a tree over every data tensor"
        )


def _parsed_m(m: object) -> Size:
    try:
        return parse_size(m)
    except SizeError as err:
        raise SketchSizeError(f"invalid sketch size m={m!r}: {err}") from err


def _check_m(sketched_sizes: Mapping[Index, Size], m: Size) -> tuple[str, ...]:
    """Raise when ``2 <= m <= s_e`` fails; return the comparisons that cannot be decided."""
    assumptions = []
    at_two = at_least(m, 2)
    if at_two is False:
        raise SketchSizeError(
            f"sketch size m = {m} is below 2; the lower bound assumes 2 <= m <= s_e for every sketched index"
        )
    if at_two is None:
        assumptions.append(f"m >= 2 (m = {m})")
    for index, size in sketched_sizes.items():
        verdict = at_least(size, m)
        if verdict is False:
            raise SketchSizeError(
                f"sketch size m = {m} exceeds the size {size} of sketched index {index!r}; the lower bound "
                "assumes 2 <= m <= s_e for every sketched index (sketching an index to more rows than "
                "it has is not a reduction), so no bound is given"
            )
        if verdict is None:
            assumptions.append(f"m <= {size} (size of sketched index {index!r})")
    return tuple(assumptions)


# Helpers ----------------------------------------------------------------------------


def _as_int(value: Size, shown: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    raise SizeError(
        f"{shown} is not a number after substitution (left with {value}); give a value for every symbol"
    )


def _symbol_values(expr: sympy.Expr, sizes: Mapping[str, int]) -> dict:
    return {sym: sympy.Integer(sizes[sym.name]) for sym in expr.free_symbols if sym.name in sizes}


def _json_value(value: object) -> object:
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    return str(value)
