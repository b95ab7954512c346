"""Embedding families: constructors of the standard Gaussian embeddings, and their registry.

Each family turns a data network, an order of its sketched indices and a
sketch size m into an :class:`~tncost.embeddings.base.Embedding`. The names
of tensors and indices all start with a prefix (``"S_"`` by default):

=============  =====================================  ===================================
family         tensors (sequence order)               indices (output first)
=============  =====================================  ===================================
``dense``      ``S_dense``                            (``S_out``, e_1, ..., e_N)
``khatri-rao`` ``S_kr1`` ... ``S_krN``                (``S_out``, e_i): ``S_out`` a hyperedge
``tt``         ``S_tt1`` ... ``S_ttN``                (``S_r{i}``, ``S_r{i-1}``, e_i);
                                                      ``S_r0`` absent, ``S_rN`` is ``S_out``
``tree``       ``S_leaf1`` ... ``S_leafN``, then      leaf: (``S_l{i}``, e_i);
               ``S_node1`` ... ``S_node{N-1}``        node: (``S_n{j}``, left, right);
                                                      the root's output is ``S_out``
=============  =====================================  ===================================

Every new index has size m. The tree pairs its operands left to right, level
by level; an odd operand at the end of a level moves up unchanged. Internal
nodes are numbered in the order they are created, which is a valid sequence
order. With N = 1 the tree is the single matrix ``S_leaf1`` with output
``S_out``.

Further families (the algorithm of Ma and Solomonik, the best T0-following
embedding) join the registry through :func:`register_family`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import NetworkError, SizeError
from ..network import Index, Tensor, TensorNetwork
from ..symbolic.sizes import Size, parse_size
from .base import Embedding, check_name_clashes

__all__ = [
    "Builder",
    "FamilySpec",
    "FAMILIES",
    "register_family",
    "family_names",
    "build_embedding",
    "build_dense",
    "build_khatri_rao",
    "build_tt",
    "build_tree",
]

Builder = Callable[..., Embedding]
"""A family constructor: ``builder(network, order, m, prefix=..., **options) -> Embedding``."""


@dataclass(frozen=True)
class FamilySpec:
    """A registered embedding family.

    Attributes
    ----------
    name
        The family name used by the API, the command line and JSON.
    build
        The constructor, called as ``build(network, order, m, prefix=prefix, **options)``
        with ``order`` the sketched indices in the order to use.
    count
        ``count(N)``: the number of factors k of the accuracy rule for N
        sketched indices, ``None`` when the rule does not apply; ``None``
        (no function) when k depends on more than N.
    sequence
        True when the family satisfies the sequence condition.
    description
        One line for reports.
    """

    name: str
    build: Builder
    count: Callable[[int], int | None] | None
    sequence: bool
    description: str


_REGISTRY: dict[str, FamilySpec] = {}
FAMILIES: Mapping[str, FamilySpec] = MappingProxyType(_REGISTRY)
"""The registered families by name (read-only view; use :func:`register_family` to add one)."""


def register_family(
    name: str,
    build: Builder,
    *,
    count: Callable[[int], int | None] | None = None,
    sequence: bool = True,
    description: str = "",
    replace: bool = False,
) -> FamilySpec:
    """Add an embedding family to :data:`FAMILIES` and return its entry.

    Raises
    ------
    NetworkError
        If ``name`` is empty or already registered and ``replace`` is False.

    Examples
    --------
    >>> spec = register_family("dense-copy", build_dense, count=lambda n: 1)
    >>> "dense-copy" in FAMILIES
    True
    >>> _ = _REGISTRY.pop("dense-copy")
    """
    if not isinstance(name, str) or not name:
        raise NetworkError(f"invalid family name {name!r}: use a non-empty string such as 'ms22'")
    if name in _REGISTRY and not replace:
        raise NetworkError(f"family {name!r} is already registered; pass replace=True to replace it")
    spec = FamilySpec(name, build, count, sequence, description)
    _REGISTRY[name] = spec
    return spec


def family_names() -> tuple[str, ...]:
    """The registered family names, in registration order.

    Examples
    --------
    >>> family_names()[:4]
    ('dense', 'khatri-rao', 'tt', 'tree')
    """
    return tuple(_REGISTRY)


# Family constructors -------------------------------------------------------------


def _embedding_tensor(name: str, indices: Sequence[Index]) -> Tensor:
    return Tensor(name, tuple(indices), kind="embedding")


def _sketched_sizes(network: TensorNetwork, order: Sequence[Index]) -> dict[Index, Size]:
    return {e: network.size_dict[e] for e in order}


def build_dense(network: TensorNetwork, order: Sequence[Index], m: Size, *, prefix: str = "S_") -> Embedding:
    """One Gaussian tensor over E1 and the output index: an m × |E1| matrix.

    Examples
    --------
    >>> net = TensorNetwork.from_inputs([("a", "b")], size_dict={"a": 3, "b": 4}, sketched=("a", "b"))
    >>> build_dense(net, ("a", "b"), 5).tensors[0].indices
    ('S_out', 'a', 'b')
    """
    out = f"{prefix}out"
    tensor = _embedding_tensor(f"{prefix}dense", (out, *order))
    return Embedding("dense", (tensor,), {out: m}, tuple(order), (out,), (m,), "rows", 1, _sketched_sizes(network, order))


def build_khatri_rao(network: TensorNetwork, order: Sequence[Index], m: Size, *, prefix: str = "S_") -> Embedding:
    """N Gaussian m × s_e matrices sharing the output hyperedge; the product is scaled by 1/sqrt(m).

    Examples
    --------
    >>> net = TensorNetwork.from_inputs([("a",), ("b",)], size_dict={"a": 3, "b": 4}, sketched=("a", "b"))
    >>> [t.indices for t in build_khatri_rao(net, ("a", "b"), 5).tensors]
    [('S_out', 'a'), ('S_out', 'b')]
    """
    out = f"{prefix}out"
    tensors = tuple(_embedding_tensor(f"{prefix}kr{i}", (out, e)) for i, e in enumerate(order, start=1))
    rows = (m,) * len(tensors)
    return Embedding(
        "khatri-rao", tensors, {out: m}, tuple(order), (out,), rows, "khatri-rao", None, _sketched_sizes(network, order)
    )


def build_tt(network: TensorNetwork, order: Sequence[Index], m: Size, *, prefix: str = "S_") -> Embedding:
    """A tensor-train chain: core i maps (r_{i-1}, e_i) to r_i of size m; the last outputs the sketch.

    Examples
    --------
    >>> net = TensorNetwork.from_inputs([("a",), ("b",), ("c",)], size_dict={"a": 3, "b": 4, "c": 5}, sketched=("a", "b", "c"))
    >>> [t.indices for t in build_tt(net, ("a", "b", "c"), 2).tensors]
    [('S_r1', 'a'), ('S_r2', 'S_r1', 'b'), ('S_out', 'S_r2', 'c')]
    """
    n = len(order)
    out = f"{prefix}out"
    bonds = [f"{prefix}r{i}" for i in range(1, n)] + [out]
    tensors = []
    for i, e in enumerate(order):
        inputs = (e,) if i == 0 else (bonds[i - 1], e)
        tensors.append(_embedding_tensor(f"{prefix}tt{i + 1}", (bonds[i], *inputs)))
    sizes = {b: m for b in bonds}
    return Embedding("tt", tuple(tensors), sizes, tuple(order), (out,), (m,) * n, "rows", n, _sketched_sizes(network, order))


def build_tree(network: TensorNetwork, order: Sequence[Index], m: Size, *, prefix: str = "S_") -> Embedding:
    """A balanced binary tree: leaves m × s_e, internal nodes m × (m·m), paired left to right.

    Examples
    --------
    >>> net = TensorNetwork.from_inputs([("a",), ("b",), ("c",)], size_dict={"a": 3, "b": 4, "c": 5}, sketched=("a", "b", "c"))
    >>> [(t.name, t.indices) for t in build_tree(net, ("a", "b", "c"), 2).tensors]  # doctest: +NORMALIZE_WHITESPACE
    [('S_leaf1', ('S_l1', 'a')), ('S_leaf2', ('S_l2', 'b')), ('S_leaf3', ('S_l3', 'c')),
     ('S_node1', ('S_n1', 'S_l1', 'S_l2')), ('S_node2', ('S_out', 'S_n1', 'S_l3'))]
    """
    n = len(order)
    out = f"{prefix}out"
    if n == 1:
        tensor = _embedding_tensor(f"{prefix}leaf1", (out, order[0]))
        return Embedding("tree", (tensor,), {out: m}, tuple(order), (out,), (m,), "rows", 1, _sketched_sizes(network, order))

    # Leaves, then internal nodes level by level; the last node created is the root.
    leaves = [(f"{prefix}leaf{i}", f"{prefix}l{i}", e) for i, e in enumerate(order, start=1)]
    level = [bond for _, bond, _ in leaves]
    nodes: list[tuple[str, tuple[Index, Index]]] = []
    while len(level) > 1:
        paired = []
        for j in range(0, len(level) - 1, 2):
            nodes.append((f"{prefix}node{len(nodes) + 1}", (level[j], level[j + 1])))
            paired.append(f"{prefix}n{len(nodes)}")
        if len(level) % 2:
            paired.append(level[-1])
        level = paired

    root = f"{prefix}n{len(nodes)}"
    rename = {root: out}
    tensors = [_embedding_tensor(name, (bond, e)) for name, bond, e in leaves]
    for j, (name, (left, right)) in enumerate(nodes, start=1):
        own = rename.get(f"{prefix}n{j}", f"{prefix}n{j}")
        tensors.append(_embedding_tensor(name, (own, left, right)))
    sizes = {t.indices[0]: m for t in tensors}
    k = 2 * n - 1
    return Embedding("tree", tuple(tensors), sizes, tuple(order), (out,), (m,) * k, "rows", k, _sketched_sizes(network, order))


register_family("dense", build_dense, count=lambda n: 1, description="one Gaussian tensor over every sketched index")
register_family(
    "khatri-rao",
    build_khatri_rao,
    count=lambda n: None,
    sequence=False,
    description="one Gaussian matrix per sketched index, sharing the output hyperedge",
)
register_family("tt", build_tt, count=lambda n: n, description="tensor-train chain over the sketched indices")
register_family("tree", build_tree, count=lambda n: 2 * n - 1, description="balanced binary tree over the sketched indices")


# Entry point ---------------------------------------------------------------------


def _checked_order(network: TensorNetwork, order: Sequence[Index] | None) -> tuple[Index, ...]:
    if order is None:
        return tuple(network.sketched)
    order = tuple(order)
    if sorted(order) != sorted(network.sketched) or len(set(order)) != len(order):
        raise NetworkError(
            f"order {order} is not an ordering of the sketched indices {network.sketched}; "
            "list every sketched index exactly once"
        )
    return order


def build_embedding(
    family: str,
    network: TensorNetwork,
    m: int | Size,
    *,
    order: Sequence[Index] | None = None,
    reverse: bool = False,
    prefix: str = "S_",
    **options: Any,
) -> Embedding:
    """Build the ``family`` embedding of sketch size ``m`` for ``network``'s sketched indices.

    Parameters
    ----------
    family
        A name in :data:`FAMILIES`: ``"dense"``, ``"khatri-rao"``, ``"tt"``,
        ``"tree"``, or a registered one.
    network
        The data network; its ``sketched`` indices are E1.
    m
        The sketch size and row size: an int or a sympy size such as ``m``
        or ``3*mu``.
    order
        The order of the sketched indices along the embedding (the planner
        passes T0's canonical leaf order); default ``network.sketched``.
    reverse
        Build over the reversed order (for ``tt``, the chain in the other
        orientation).
    prefix
        Prefix of every embedding tensor and index name.
    **options
        Passed to the family's constructor (for families that need more, such
        as a data tree).

    Raises
    ------
    NetworkError
        For an unknown family, a network with nothing to sketch, an order
        that is not a permutation of E1, or names that clash with the data.
    SizeError
        For an invalid ``m``.

    Examples
    --------
    >>> net = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], size_dict={"a": 8, "b": 8, "i": 2}, sketched=("a", "b"))
    >>> emb = build_embedding("tt", net, 4, reverse=True)
    >>> [t.indices for t in emb.tensors], emb.k, emb.sketch_size
    ([('S_r1', 'b'), ('S_out', 'S_r1', 'a')], 2, 4)
    """
    if family not in _REGISTRY:
        raise NetworkError(f"unknown embedding family {family!r}; valid families are {', '.join(_REGISTRY)}")
    if not isinstance(network, TensorNetwork):
        raise NetworkError(f"expected a TensorNetwork, got {type(network).__name__}")
    if not network.sketched:
        raise NetworkError(
            f"nothing to sketch: network {network.name or '(unnamed)'} has no sketched indices, so there is "
            "no embedding to build; mark indices as sketched or analyze it as a plain contraction"
        )
    if not isinstance(prefix, str):
        raise NetworkError(f"invalid name prefix {prefix!r}: use a string such as 'S_'")
    try:
        size = parse_size(m)
    except SizeError as err:
        raise SizeError(f"invalid sketch size m={m!r}: {err}") from err

    order_used = _checked_order(network, order)
    if reverse:
        order_used = order_used[::-1]
    embedding = _REGISTRY[family].build(network, order_used, size, prefix=prefix, **options)
    check_name_clashes(network, embedding)
    return embedding

