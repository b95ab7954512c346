"""The sketching algorithm of Ma and Solomonik (MS22): an embedding that follows the data tree T0.

The algorithm walks the data tree T0 bottom-up and decides, at sizes, how
each piece of sketched content is reduced to one index of size m:

1. **Leaf matrices.** For a sketched index e, the chain D(e) is the list of
   T0 nodes from e's tensor upward while the node's sketched indices are
   exactly {e}. A Gaussian m × s_e matrix is applied at the node of the chain
   where the chain's steps cost least (an exact search along the chain). A
   tensor with several sketched indices has an empty chain: a leaf
   matrix is applied to each of its sketched indices in index order, and the
   resulting m-indices are merged pairwise in that order (a left fold) with
   the options of step 2.
2. **Merges.** At a T0 node whose two children both hold sketched content
   (one index each), the two indices are merged into one by the cheapest of

   ============== ==========================================================
   option         steps
   ============== ==========================================================
   contract-first join the two data operands, then apply an m × m·m core
   core-left      apply the core to the left operand, then join the right
   core-right     apply the core to the right operand, then join the left
   split-right    read the right index as b1 × b2 (b1·b2 = m' ≥ m); V1 maps
                  (left index, b1) to m, then join the right operand, then
                  V2 maps (m, b2) to m
   split-left     the mirror image: the left index is read as b1 × b2
   ============== ==========================================================

   A merge inside one tensor (several sketched indices) has the options
   ``core``, ``split-right`` and ``split-left``. Split gadgets search every
   m' in [m, (1 + θ)·m] (θ = :data:`THETA`) and every divisor b1 of m'.
   The producer of a split index then outputs two indices (b1, b2), so its
   row size is m'. Ties go to the first option in the order listed, then to
   the smallest m', then to the smallest b1.

Every option is costed from the ops of its steps, never from a closed
formula, so kept shared indices (the rank hyperedge of a Khatri–Rao input)
and rounded m' are costed correctly. The comparison uses the whole subtree of
the merge node, because a split with m' > m also makes the producer's steps
dearer. The steps are costed from their index sets with the kept-index rule
of :func:`tncost.cost.tree_cost`, without building networks: each child
subtree once, with its sketched piece's size left open, so that a split
option's subtree cost is an exact polynomial c + cx·b1 + cy·b2 + cxy·b1·b2
in its factors. For a fixed m' that is convex in b1, so only the two
divisors around its minimum can be cheapest, and a lower bound that grows
with m' ends the scan of the window early; the choice is the same as trying
every pair (the tests compare with the full enumeration costed by
``tree_cost``). The step order of the final choices is costed once more by
``tree_cost``, and a mismatch is an error.

The embedding's plan, like every family's, is the cheapest T0-consistent
tree for it (:func:`plan_tree`); the algorithm's own step order is reported
beside it.

Examples
--------
>>> from tncost.structures import kronecker
>>> from tncost.tree import ContractionTree
>>> net = kronecker(2).at_sizes({"s": 64})
>>> result = run_ms22(net, ContractionTree.from_nested((0, 1)), 4)
>>> [t.name for t in result.embedding.tensors], result.embedding.k
(['S_leaf1', 'S_leaf2', 'S_core1'], 3)
>>> result.choices.merges[0].option, result.step_cost, result.plan_cost
('contract-first', 592, 592)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import isqrt

import sympy

from ..cost import tree_cost
from ..errors import NetworkError, SizeError, SketchSizeError
from ..network import Index, Tensor, TensorNetwork
from ..symbolic.sizes import Size, parse_size, product
from ..tree import ContractionTree
from .base import Embedding, joint_network
from .families import register_family
from .sketch_size import sketch_size

__all__ = [
    "THETA",
    "MERGE_OPTIONS",
    "IN_PLACE_OPTIONS",
    "LeafChoice",
    "MergeChoice",
    "MS22Choices",
    "MS22Result",
    "run_ms22",
    "ms22_plan",
    "ms22_embedding",
    "build_ms22",
    "plan_tree",
    "split_window",
    "merge_options",
    "left_fold",
    "max_factor_count",
    "sketch_size_rule",
]

THETA = Fraction(1, 4)
"""Default width of the window [m, (1 + θ)·m] searched for the split gadget's m'.

A prime m has only the divisors 1 and m, so its split gadget degenerates into
a core (b1 = 1 or b2 = 1) and costs about √m times more than a balanced
split. Rounding m up to a nearby m' with a divisor near √m' fixes that. For
m of 8 or more, a window of a quarter of m contains at least three integers.
It costs at most a factor 1.25 in the split index's size, and the tests show
the rounding paying off for prime m.
"""

MERGE_OPTIONS = ("contract-first", "core-left", "core-right", "split-right", "split-left")
"""Options of a merge at a T0 node, in tie-breaking order."""

IN_PLACE_OPTIONS = ("core", "split-right", "split-left")
"""Options of a merge of two sketched indices of one tensor, in tie-breaking order."""

Node = frozenset
Item = frozenset  # a piece of sketched content: the set of sketched indices it covers


@dataclass(frozen=True)
class LeafChoice:
    """Where the leaf matrix of one sketched index is applied.

    Attributes
    ----------
    index
        The sketched index e.
    node
        The T0 node (sorted data positions) after whose formation the leaf
        matrix is applied; the first node of ``chain`` means "on the tensor
        itself".
    chain
        The chain D(e), bottom-up (just e's tensor when the chain is empty,
        that is when the tensor has several sketched indices).
    cost
        The ops of the chain's steps at the chosen node (at the point).
    """

    index: Index
    node: tuple[int, ...]
    chain: tuple[tuple[int, ...], ...]
    cost: int


@dataclass(frozen=True)
class MergeChoice:
    """How two pieces of sketched content are merged into one index.

    Attributes
    ----------
    node
        The T0 node (sorted data positions) where the merge happens; for a
        merge inside one tensor, that tensor's leaf node.
    left, right
        The sketched indices of the two merged pieces.
    option
        One of :data:`MERGE_OPTIONS` (or :data:`IN_PLACE_OPTIONS` when
        ``in_place``).
    b1, m_prime
        For a split gadget, the first factor b1 and the size m' = b1·b2 of the
        split index; ``None`` otherwise.
    in_place
        True for a merge of two sketched indices of one tensor.
    cost
        The ops of the merge's own steps at the point.
    subtree_cost
        The ops of every step of the merge node's subtree under this option
        (the quantity the algorithm minimizes; it includes the producer's
        steps, which a split with m' > m makes dearer).
    """

    node: tuple[int, ...]
    left: tuple[Index, ...]
    right: tuple[Index, ...]
    option: str
    b1: int | None = None
    m_prime: int | None = None
    in_place: bool = False
    cost: int | None = None
    subtree_cost: int | None = None

    @property
    def side(self) -> str | None:
        """The side whose index the split gadget reads as b1 × b2, or ``None`` for a core."""
        if self.option.startswith("split-"):
            return self.option[len("split-"):]
        return None

    @property
    def b2(self) -> int | None:
        """The second factor m'/b1 of a split, or ``None`` for a core."""
        if self.b1 is None or self.m_prime is None:
            return None
        return self.m_prime // self.b1

    @property
    def tensors(self) -> int:
        """How many embedding tensors the merge uses: 1 for a core, 2 for a split gadget."""
        return 2 if self.side else 1

    @property
    def key(self) -> frozenset:
        """The sketched indices the merged piece covers (identifies the merge)."""
        return frozenset(self.left) | frozenset(self.right)

    def signature(self) -> tuple:
        """The structural choice (node, pieces, option), without b1 and m'."""
        return (self.node, self.left, self.right, self.option)


@dataclass(frozen=True)
class MS22Choices:
    """The record of an MS22 (or best-T0) construction.

    Attributes
    ----------
    m
        The numeric sketch size the choices were made at.
    leaves
        One :class:`LeafChoice` per sketched index, in sketched order.
    merges
        The merges bottom-up (their sequence order).
    shapes
        For each tensor with several sketched indices, the merge tree over its
        sketched indices as nested pairs (the default is the left fold in
        index order).
    theta
        The width of the m' window.
    """

    m: int
    leaves: tuple[LeafChoice, ...]
    merges: tuple[MergeChoice, ...]
    shapes: Mapping[int, object] = field(default_factory=dict)
    theta: Fraction = THETA

    @property
    def k(self) -> int:
        """The number of embedding tensors: leaf matrices plus one per core and two per split."""
        return len(self.leaves) + sum(merge.tensors for merge in self.merges)

    def signature(self) -> tuple:
        """The options chosen, merge by merge (b1 and m' excluded): compared by the sketch-size rule."""
        return tuple(merge.signature() for merge in self.merges)

    def placement(self) -> dict[Index, Node]:
        """Each sketched index's leaf-matrix node as a frozenset."""
        return {leaf.index: frozenset(leaf.node) for leaf in self.leaves}

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class MS22Result:
    """An MS22 embedding with its step order, its plan and the record of choices.

    Attributes
    ----------
    embedding
        The embedding (family ``"ms22"``).
    choices
        The record of choices (:class:`MS22Choices`).
    joint
        The joint network data ∪ embedding at the point.
    step_tree, step_cost
        The algorithm's own step order (a T0-consistent tree) and its ops.
    data_tree
        T0.
    plan_tree, plan_cost, search
        The cheapest T0-consistent tree found for the embedding, its ops and
        the search that found it (never dearer than the step order). The
        search runs the first time one of them is read, or is given as
        ``known_plan``.
    """

    embedding: Embedding
    choices: MS22Choices
    joint: TensorNetwork
    step_tree: ContractionTree
    step_cost: int
    data_tree: ContractionTree
    known_plan: tuple[ContractionTree, int, str] | None = None

    def _plan(self) -> tuple[ContractionTree, int, str]:
        if self.known_plan is None:
            object.__setattr__(self, "known_plan", plan_tree(self.joint, self.data_tree, self.step_tree))
        assert self.known_plan is not None
        return self.known_plan

    @property
    def plan_tree(self) -> ContractionTree:
        """The cheapest T0-consistent tree found for the embedding."""
        return self._plan()[0]

    @property
    def plan_cost(self) -> int:
        """The ops of :attr:`plan_tree`."""
        return self._plan()[1]

    @property
    def search(self) -> str:
        """The search that found :attr:`plan_tree` (``"step order"`` when the step order was cheaper)."""
        return self._plan()[2]


# The skeleton: which pieces of sketched content meet where --------------------------


@dataclass(frozen=True)
class _Slot:
    """A merge position: the T0 node and the two pieces it joins."""

    node: Node
    left: Item
    right: Item
    in_place: bool

    @property
    def key(self) -> Item:
        return self.left | self.right


def _shape_leaves(shape: object) -> list[Index]:
    if isinstance(shape, tuple):
        return [e for part in shape for e in _shape_leaves(part)]
    return [shape]  # type: ignore[list-item]


def left_fold(indices: Sequence[Index]) -> object:
    """The default merge tree of several sketched indices of one tensor: ((e1, e2), e3)..."""
    shape: object = indices[0]
    for e in indices[1:]:
        shape = (shape, e)
    return shape


class _Skeleton:
    """The data tree seen from the sketch: chains, merge slots and the content of every node."""

    def __init__(
        self,
        network: TensorNetwork,
        data_tree: ContractionTree,
        order: Sequence[Index],
        shapes: Mapping[int, object] | None = None,
    ) -> None:
        self.network = network
        self.data_tree = data_tree
        self.order = tuple(order)
        self.count = len(network.tensors)
        if sorted(data_tree.leaves) != list(range(self.count)):
            raise NetworkError(
                f"the data tree covers positions {sorted(data_tree.leaves)}, but the network has "
                f"{self.count} tensors (positions 0..{self.count - 1}); give a tree over every data tensor"
            )
        sketched = set(network.sketched)
        self.tensor_sketched = {
            p: tuple(i for i in network.tensors[p].indices if i in sketched) for p in range(self.count)
        }
        self.holder = {e: p for p, es in self.tensor_sketched.items() for e in es}
        self.nodes = data_tree.nodes()
        self.children = {
            node: tuple(sorted(pair, key=min)) for node, pair in data_tree.children().items()
        }
        self.parents = data_tree.parents()
        self.content = {node: frozenset(e for p in node for e in self.tensor_sketched[p]) for node in self.nodes}

        # Chains: from e's tensor upward while the node's sketched indices are {e}.
        self.chains: dict[Index, tuple[Node, ...]] = {}
        for e, p in self.holder.items():
            node: Node | None = frozenset([p])
            chain = []
            while node is not None and self.content[node] == {e}:
                chain.append(node)
                node = self.parents.get(node)
            self.chains[e] = tuple(chain) or (frozenset([p]),)

        # Merge slots, bottom-up: inside multi-index tensors, then at nodes.
        self.shapes = {}
        for p, es in self.tensor_sketched.items():
            if len(es) > 1:
                shape = (shapes or {}).get(p, left_fold(es))
                if sorted(_shape_leaves(shape)) != sorted(es):
                    raise NetworkError(
                        f"merge tree {shape!r} for tensor {network.tensors[p].name} does not cover its sketched "
                        f"indices {es} exactly once each"
                    )
                self.shapes[p] = shape
        self.slots: list[_Slot] = []
        for node in self.nodes:
            if len(node) == 1:
                (p,) = node
                if p in self.shapes:
                    self._shape_slots(node, self.shapes[p])
                continue
            left, right = self.children[node]
            if self.content[left] and self.content[right]:
                self.slots.append(_Slot(node, self.content[left], self.content[right], False))
        self.slot_of = {slot.key: slot for slot in self.slots}

    def _shape_slots(self, node: Node, shape: object) -> Item:
        if not isinstance(shape, tuple):
            return frozenset([shape])
        left = self._shape_slots(node, shape[0])
        right = self._shape_slots(node, shape[1])
        self.slots.append(_Slot(node, left, right, True))
        return left | right

    def sorted_item(self, item: Item) -> tuple[Index, ...]:
        return tuple(e for e in self.order if e in item)


def _node_tuple(node: Node) -> tuple[int, ...]:
    return tuple(sorted(node))


# Assembly: the embedding tensors and the step order for a set of choices ------------


@dataclass
class _Assembly:
    tensors: list[Tensor]
    sizes: dict[Index, Size]
    rows: list[Size]
    outputs: list[Index]
    positions: dict[str, int]
    nested: Callable[[Node], object]


def _split_sizes(choice: MergeChoice, m: Size, m_value: int) -> tuple[Size, Size]:
    """The sizes (b1, b2) of a split index; m^(1/2) each when m is symbolic and b1 = b2 = √m."""
    b1, b2 = choice.b1, choice.b2
    assert b1 is not None and b2 is not None
    if not isinstance(m, int) and choice.m_prime == m_value and b1 == b2:
        half = sympy.sqrt(m)
        return half, half
    return b1, b2


def _assemble(
    skeleton: _Skeleton,
    decisions: Mapping[Item, MergeChoice],
    placement: Mapping[Index, Node],
    m: Size,
    m_value: int,
    prefix: str,
) -> _Assembly:
    order = skeleton.order
    decided = [slot for slot in skeleton.slots if slot.key in decisions]

    # Index names: one per piece of content, two for a piece its consumer splits.
    name = {frozenset([e]): f"{prefix}l{i}" for i, e in enumerate(order, start=1)}
    for j, slot in enumerate(decided, start=1):
        name[slot.key] = f"{prefix}c{j}"
    whole = frozenset(order)
    if whole in name and (len(order) == 1 or whole in decisions):
        name[whole] = f"{prefix}out"
    split: dict[Item, tuple[Size, Size]] = {}
    for slot in decided:
        choice = decisions[slot.key]
        if choice.side:
            piece = slot.right if choice.side == "right" else slot.left
            split[piece] = _split_sizes(choice, m, m_value)

    sizes: dict[Index, Size] = {}

    def outputs(piece: Item) -> tuple[Index, ...]:
        if piece in split:
            first, second = f"{name[piece]}x", f"{name[piece]}y"
            sizes[first], sizes[second] = split[piece]
            return first, second
        sizes[name[piece]] = m
        return (name[piece],)

    tensors: list[Tensor] = []
    rows: list[Size] = []

    def add(tensor_name: str, outs: tuple[Index, ...], inputs: tuple[Index, ...]) -> None:
        tensors.append(Tensor(tensor_name, outs + inputs, kind="embedding"))
        rows.append(product(sizes[i] for i in outs))

    for i, e in enumerate(order, start=1):
        add(f"{prefix}leaf{i}", outputs(frozenset([e])), (e,))
    for j, slot in enumerate(decided, start=1):
        choice = decisions[slot.key]
        own = outputs(slot.key)
        if not choice.side:
            add(f"{prefix}core{j}", own, (name[slot.left], name[slot.right]))
            continue
        bond = f"{prefix}v{j}"
        sizes[bond] = m
        kept_piece, split_piece = (slot.left, slot.right) if choice.side == "right" else (slot.right, slot.left)
        first, second = f"{name[split_piece]}x", f"{name[split_piece]}y"
        add(f"{prefix}split{j}a", (bond,), (name[kept_piece], first))
        add(f"{prefix}split{j}b", own, (bond, second))

    consumed = {slot.left for slot in decided} | {slot.right for slot in decided}
    open_pieces = [piece for piece in name if piece not in consumed]
    open_outputs = [i for piece in open_pieces for i in outputs(piece)]
    start = skeleton.count
    positions = {t.name: start + k for k, t in enumerate(tensors)}
    leaf_position = {e: positions[f"{prefix}leaf{i}"] for i, e in enumerate(order, start=1)}
    slot_number = {slot.key: j for j, slot in enumerate(decided, start=1)}

    def merged(slot: _Slot, left: object, right: object | None) -> object:
        choice = decisions[slot.key]
        j = slot_number[slot.key]
        if not choice.side:
            core = positions[f"{prefix}core{j}"]
            if slot.in_place or choice.option == "contract-first":
                return ((left, right), core) if right is not None else (left, core)
            if choice.option == "core-left":
                return ((left, core), right)
            return (left, (right, core))
        first, second = positions[f"{prefix}split{j}a"], positions[f"{prefix}split{j}b"]
        if slot.in_place:
            return ((left, first), second)
        if choice.side == "right":
            return (((left, first), right), second)
        return ((left, (right, first)), second)

    def nested(node: Node) -> object:
        if len(node) == 1:
            (p,) = node
            current: object = p
            for e in skeleton.tensor_sketched[p]:
                if placement[e] == node:
                    current = (current, leaf_position[e])
            for slot in decided:
                if slot.in_place and slot.node == node:
                    current = merged(slot, current, None)
            return current
        left, right = skeleton.children[node]
        slot = skeleton.slot_of.get(skeleton.content[left] | skeleton.content[right])
        if slot is not None and not slot.in_place and slot.node == node and slot.key in decisions:
            current = merged(slot, nested(left), nested(right))
        else:
            current = (nested(left), nested(right))
        for e in sorted(skeleton.content[node], key=order.index):
            if placement[e] == node:
                current = (current, leaf_position[e])
        return current

    return _Assembly(tensors, sizes, rows, open_outputs, positions, nested)


def _joint(skeleton: _Skeleton, assembly: _Assembly) -> TensorNetwork:
    network = skeleton.network
    sizes = dict(network.size_dict)
    sizes.update(assembly.sizes)
    return TensorNetwork(
        network.tensors + tuple(assembly.tensors),
        sizes,
        output=network.kept + tuple(assembly.outputs),
        sketched=(),
        name=network.name,
    )


def _subtree_cost(
    skeleton: _Skeleton,
    decisions: Mapping[Item, MergeChoice],
    placement: Mapping[Index, Node],
    m: int,
    node: Node,
    prefix: str,
) -> tuple[int, TensorNetwork, ContractionTree]:
    """The ops of a node's subtree, by building the joint network and running ``tree_cost``.

    This is the slow reference: the search itself uses :class:`_Costing`,
    and the tests compare the two on random cases.
    """
    assembly = _assemble(skeleton, decisions, placement, m, m, prefix)
    joint = _joint(skeleton, assembly)
    tree = ContractionTree.from_nested(assembly.nested(node))
    return int(tree_cost(joint, tree).ops), joint, tree


# Exact costs without building networks ------------------------------------------------
#
# A step costs the product of the sizes of the distinct indices of its two
# operands, and an index survives a step unless it is not open and every
# tensor carrying it is now inside the step (the rule of tncost.cost.tree_cost).
# The search needs the cost of a merge node's subtree for hundreds of split
# pairs (m', b1), so the costs are kept as polynomials in the sizes of the
# embedding's piece indices: ("p", item) for the index holding a piece of
# sketched content, ("x", item) and ("y", item) for its two factors when the
# consumer splits it, and ("v", key) for a split gadget's inner bond (always
# of size m). A child subtree is costed once, with its open piece as an
# unknown. A split candidate replaces that piece by its two factors, so its
# whole subtree cost is c + cx·b1 + cy·b2 + cxy·b1·b2 with exact integer
# coefficients, evaluated for the pairs that can be cheapest without rebuilding anything.

_Poly = dict  # frozenset of unknown piece indices -> integer coefficient


class _Operand:
    """An intermediate: its indices, its hyperedge counts and the cost polynomial of its steps."""

    __slots__ = ("indices", "hyper", "poly")

    def __init__(self, indices: frozenset, hyper: dict, poly: _Poly) -> None:
        self.indices = indices
        self.hyper = hyper
        self.poly = poly


def _piece(item: Item) -> tuple:
    return ("p", item)


def _substitute(poly: _Poly, values: Mapping[object, int]) -> _Poly:
    """Replace the unknowns named in ``values`` by their sizes."""
    out: _Poly = {}
    for mono, coefficient in poly.items():
        rest = []
        for unknown in mono:
            if unknown in values:
                coefficient *= values[unknown]
            else:
                rest.append(unknown)
        key = frozenset(rest) if len(rest) != len(mono) else mono
        out[key] = out.get(key, 0) + coefficient
    return out


def _value(poly: _Poly) -> int:
    """The value of a polynomial without unknowns."""
    if any(poly_key for poly_key in poly):
        raise AssertionError(f"cost polynomial still has unknowns: {poly}")
    return sum(poly.values())


class _Costing:
    """The static part of the exact costing: sizes, open indices and index owners of the joint network."""

    def __init__(self, skeleton: _Skeleton, m: int) -> None:
        network = skeleton.network
        self.skeleton = skeleton
        self.m = m
        self.sizes = {i: int(s) for i, s in network.size_dict.items()}  # type: ignore[call-overload]
        self.open = frozenset(network.kept)
        owners: dict[Index, int] = {}
        for tensor in network.tensors:
            for i in set(tensor.indices):
                owners[i] = owners.get(i, 0) + 1
        for e in network.sketched:
            owners[e] += 1  # its leaf matrix
        self.owners = owners
        self.hyperedges = frozenset(i for i, n in owners.items() if n > 2 and i not in self.open)
        self.data = []
        for tensor in network.tensors:
            kept = frozenset(i for i in tensor.indices if i in self.open or owners[i] > 1)
            self.data.append(_Operand(kept, {i: 1 for i in kept & self.hyperedges}, {}))
        self.empty: dict[Node, _Operand] = {}  # subtrees without sketched content
        self.slot_index = {slot.key: n for n, slot in enumerate(skeleton.slots)}
        self.consumer: dict[Item, tuple[_Slot, str]] = {}
        for slot in skeleton.slots:
            self.consumer[slot.left] = (slot, "left")
            self.consumer[slot.right] = (slot, "right")

    def combine(self, a: _Operand, b: _Operand) -> _Operand:
        union = a.indices | b.indices
        summed = []
        for i in a.indices & b.indices:
            if i in self.open:
                continue
            if i in self.hyperedges and a.hyper[i] + b.hyper[i] != self.owners[i]:
                continue
            summed.append(i)
        k = 1
        unknowns = []
        for i in union:
            if type(i) is tuple:
                if i[0] == "v":
                    k *= self.m
                else:
                    unknowns.append(i)
            else:
                k *= self.sizes[i]
        poly = dict(a.poly)
        for mono, coefficient in b.poly.items():
            poly[mono] = poly.get(mono, 0) + coefficient
        mono = frozenset(unknowns)
        poly[mono] = poly.get(mono, 0) + k
        indices = union.difference(summed) if summed else union
        hyper = {}
        if a.hyper or b.hyper:
            hyper = {i: a.hyper.get(i, 0) + b.hyper.get(i, 0) for i in indices if i in self.hyperedges}
        return _Operand(indices, hyper, poly)

    @staticmethod
    def tensor(*indices: object) -> _Operand:
        return _Operand(frozenset(indices), {}, {})

    @staticmethod
    def split_operand(operand: _Operand, item: Item) -> _Operand:
        """The operand with piece ``item`` read as its two factors (x, y)."""
        piece, factors = _piece(item), frozenset([("x", item), ("y", item)])
        poly: _Poly = {}
        for mono, coefficient in operand.poly.items():
            key = (mono - {piece}) | factors if piece in mono else mono
            poly[key] = poly.get(key, 0) + coefficient
        return _Operand((operand.indices - {piece}) | factors, operand.hyper, poly)

    def merge(self, slot: _Slot, option: str, left: _Operand, right: _Operand | None) -> _Operand:
        """The steps of one merge option, in the order of the algorithm's step tree."""
        key = slot.key
        out = _piece(key)
        if not option.startswith("split-"):
            core = self.tensor(out, _piece(slot.left), _piece(slot.right))
            if right is None or option == "contract-first":
                return self.combine(self.combine(left, right) if right is not None else left, core)
            if option == "core-left":
                return self.combine(self.combine(left, core), right)
            return self.combine(left, self.combine(right, core))
        side = option[len("split-"):]
        kept, split = (slot.left, slot.right) if side == "right" else (slot.right, slot.left)
        bond = ("v", key)
        first = self.tensor(bond, _piece(kept), ("x", split))
        second = self.tensor(out, bond, ("y", split))
        if right is None:
            return self.combine(self.combine(self.split_operand(left, split), first), second)
        if side == "right":
            return self.combine(self.combine(self.combine(left, first), self.split_operand(right, split)), second)
        return self.combine(self.combine(self.split_operand(left, split), self.combine(right, first)), second)


class _Evaluator:
    """Exact subtree costs for one set of decisions and leaf placements, with subtrees memoized.

    A subtree is memoized once every merge inside it is decided. Its open
    piece stays an unknown, so the consumer can read it as one index or as
    two factors.
    """

    def __init__(
        self,
        costing: _Costing,
        decisions: Mapping[Item, MergeChoice],
        placement: Mapping[Index, Node],
        memoize: bool = True,
    ) -> None:
        self.costing = costing
        self.skeleton = costing.skeleton
        self.decisions = decisions
        self.placement = placement
        self.memo: dict[Node, _Operand] | None = {} if memoize else None
        self.leaf_index = {e: n for n, e in enumerate(self.skeleton.order, start=1)}

    def leaf_matrix(self, e: Index) -> _Operand:
        return self.costing.tensor(_piece(frozenset([e])), e)

    def concrete(self, slot: _Slot, choice: MergeChoice, left: _Operand, right: _Operand | None) -> _Operand:
        """A decided merge, with the sizes of its consumed pieces and factors filled in."""
        result = self.costing.merge(slot, choice.option, left, right)
        m = self.costing.m
        values: dict[object, int] = {_piece(slot.left): m, _piece(slot.right): m}
        if choice.side:
            split = slot.right if choice.side == "right" else slot.left
            values[("x", split)] = choice.b1  # type: ignore[assignment]
            values[("y", split)] = choice.b2  # type: ignore[assignment]
        return _Operand(result.indices, result.hyper, _substitute(result.poly, values))

    def leaf_state(self, node: Node, stop: _Slot | None = None) -> _Operand:
        """A leaf node's intermediate: the tensor, its leaf matrices, its decided merges before ``stop``."""
        (p,) = node
        costing = self.costing
        current = costing.data[p]
        for e in self.skeleton.tensor_sketched[p]:
            if self.placement[e] == node:
                current = costing.combine(current, self.leaf_matrix(e))
        for slot in self.skeleton.slots:
            if not slot.in_place or slot.node != node:
                continue
            if slot is stop:
                break
            choice = self.decisions.get(slot.key)
            if choice is not None:
                current = self.concrete(slot, choice, current, None)
        return current

    def node(self, node: Node) -> _Operand:
        skeleton = self.skeleton
        empty = not skeleton.content[node]
        memo = self.costing.empty if empty else self.memo
        if memo is not None and node in memo:
            return memo[node]
        if len(node) == 1:
            current = self.leaf_state(node)
        else:
            left, right = skeleton.children[node]
            slot = skeleton.slot_of.get(skeleton.content[left] | skeleton.content[right])
            if slot is not None and not slot.in_place and slot.node == node and slot.key in self.decisions:
                current = self.concrete(slot, self.decisions[slot.key], self.node(left), self.node(right))
            else:
                current = self.costing.combine(self.node(left), self.node(right))
            for e in sorted(skeleton.content[node], key=skeleton.order.index):
                if self.placement[e] == node:
                    current = self.costing.combine(current, self.leaf_matrix(e))
        if memo is not None:
            memo[node] = current
        return current

    def forget(self, node: Node) -> None:
        """Drop the memoized subtrees that contain ``node`` (after a decision at ``node`` changed)."""
        current: Node | None = node
        while current is not None:
            if self.memo is not None:
                self.memo.pop(current, None)
            current = self.skeleton.parents.get(current)

    def piece_size(self, item: Item) -> int:
        """The size of a piece's index: m' when its consumer is decided as a split of it, else m."""
        consumer = self.costing.consumer.get(item)
        if consumer is not None:
            choice = self.decisions.get(consumer[0].key)
            if choice is not None and choice.side == consumer[1]:
                return choice.m_prime  # type: ignore[return-value]
        return self.costing.m

    def sizes(self, poly: _Poly, unsplit: Sequence[Item] = ()) -> dict[object, int]:
        """Return the sizes of the open pieces of ``poly``, with the pieces in ``unsplit`` at m."""
        values = {u: self.piece_size(u[1]) for mono in poly for u in mono if u[0] == "p"}
        for item in unsplit:
            values[_piece(item)] = self.costing.m
        return values

    def cost(self, node: Node) -> int:
        """The ops of a node's subtree (its open piece sized by its consumer's decision)."""
        poly = self.node(node).poly
        return _value(_substitute(poly, self.sizes(poly)))


@dataclass(frozen=True)
class _Options:
    """The structural options of one merge, each as a polynomial c + cx·b1 + cy·b2 + cxy·b1·b2.

    ``whole`` is the merge node's subtree (up to the merge), ``before`` the
    part that :attr:`MergeChoice.cost` subtracts to give the merge's own cost.
    """

    names: tuple[str, ...]
    whole: dict[str, tuple[int, int, int, int]]
    before: dict[str, tuple[int, int, int, int]]


def _as_four(poly: _Poly, split: Item | None) -> tuple[int, int, int, int]:
    x, y = ("x", split), ("y", split)
    c = cx = cy = cxy = 0
    for mono, coefficient in poly.items():
        if not mono:
            c += coefficient
        elif mono == {x}:
            cx += coefficient
        elif mono == {y}:
            cy += coefficient
        elif mono == {x, y}:
            cxy += coefficient
        else:
            raise AssertionError(f"unexpected unknowns {set(mono)} in a merge's cost")
    return c, cx, cy, cxy


def _four_value(four: tuple[int, int, int, int], b1: int | None, m_prime: int | None) -> int:
    c, cx, cy, cxy = four
    if b1 is None or m_prime is None:
        return c
    return c + cx * b1 + cy * (m_prime // b1) + cxy * m_prime


def _merge_options_polys(evaluator: _Evaluator, slot: _Slot) -> _Options:
    """Cost polynomials of every structural option of ``slot``, its children's subtrees memoized.

    The pieces that ``slot`` consumes are sized m unless the option splits
    one (then its factors stay unknown); every other open piece gets the
    size its own consumer's decision gives it.
    """
    costing = evaluator.costing
    skeleton = evaluator.skeleton
    names = ("core",) if slot.in_place else MERGE_OPTIONS[:3]
    names = names + ("split-right", "split-left")
    consumed = (slot.left, slot.right)
    whole: dict[str, tuple[int, int, int, int]] = {}
    before: dict[str, tuple[int, int, int, int]] = {}

    def four(poly: _Poly, split: Item | None) -> tuple[int, int, int, int]:
        return _as_four(_substitute(poly, evaluator.sizes(poly, consumed)), split)

    if slot.in_place:
        current = evaluator.leaf_state(slot.node, stop=slot)
        base = four(current.poly, None)
        for option in names:
            split = None if not option.startswith("split-") else (slot.right if option == "split-right" else slot.left)
            whole[option] = four(costing.merge(slot, option, current, None).poly, split)
            before[option] = base
        return _Options(names, whole, before)
    left, right = (evaluator.node(child) for child in skeleton.children[slot.node])
    for option in names:
        split = None
        first, second = left, right
        if option == "split-right":
            split = slot.right
            second = costing.split_operand(right, split)
        elif option == "split-left":
            split = slot.left
            first = costing.split_operand(left, split)
        children = dict(first.poly)
        for mono, coefficient in second.poly.items():
            children[mono] = children.get(mono, 0) + coefficient
        whole[option] = four(costing.merge(slot, option, left, right).poly, split)
        before[option] = four(children, split)
    return _Options(names, whole, before)


# The choices ----------------------------------------------------------------------


def split_window(m: int, theta: Fraction | float = THETA) -> list[int]:
    """The values m' searched for a split gadget: every integer in [m, (1 + θ)·m].

    Raises
    ------
    SketchSizeError
        For m below 1 or a negative θ.

    Examples
    --------
    >>> split_window(13)
    [13, 14, 15, 16]
    >>> split_window(8, 0)
    [8]
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise SketchSizeError(f"invalid sketch size m={m!r}: give a positive integer")
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    if theta < 0:
        raise SketchSizeError(f"invalid split window theta={theta}: theta must be at least 0")
    top = (m * (1 + theta)).__floor__()
    return list(range(m, top + 1))


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


_WINDOWS: dict[tuple[int, Fraction], tuple[tuple[int, tuple[int, ...]], ...]] = {}


def _window_divisors(m: int, theta: Fraction) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """Every m' of the split window with its sorted divisors (cached)."""
    key = (m, theta)
    if key not in _WINDOWS:
        if len(_WINDOWS) > 64:
            _WINDOWS.clear()
        _WINDOWS[key] = tuple((m_prime, tuple(_divisors(m_prime))) for m_prime in split_window(m, theta))
    return _WINDOWS[key]


def _candidates(slot: _Slot, m: int, theta: Fraction) -> list[tuple[str, int | None, int | None]]:
    """Every option of a merge in tie-breaking order: the cores, then each side's (m', b1) pairs."""
    cores = ["core"] if slot.in_place else list(MERGE_OPTIONS[:3])
    out: list[tuple[str, int | None, int | None]] = [(option, None, None) for option in cores]
    for option in ("split-right", "split-left"):
        out.extend((option, b1, m_prime) for m_prime, divisors in _window_divisors(m, theta) for b1 in divisors)
    return out


def _near_optimum(four: tuple[int, int, int, int], m_prime: int, divisors: tuple[int, ...], keep: int) -> Sequence[int]:
    """The divisors b1 of m' among which the ``keep`` cheapest splits lie.

    For a fixed m' the cost is c + cxy·m' + cx·b1 + cy·m'/b1, a convex
    function of b1 > 0 with its minimum at b* = √(cy·m'/cx): it falls up to
    b* and rises after it. So the ``keep`` cheapest divisors are among the
    ``keep`` nearest on either side of b* (the smallest divisors when cy = 0,
    the largest when cx = 0).
    """
    _, cx, cy, _ = four
    if cy == 0:
        return divisors[:keep]
    if cx == 0:
        return divisors[-keep:]
    position = bisect_right(divisors, isqrt(cy * m_prime // cx))
    return divisors[max(position - keep, 0) : position + keep]


def _bound_reached(four: tuple[int, int, int, int], m_prime: int, bound: int) -> bool:
    """True when no split at m' (or at any larger m') can cost less than ``bound``.

    The least cost at m' over all real b1 is c + cxy·m' + 2·√(cx·cy·m'),
    which grows with m'; compare it with ``bound`` in exact integers.
    """
    c, cx, cy, cxy = four
    room = bound - c - cxy * m_prime
    return room <= 0 or 4 * cx * cy * m_prime >= room * room


def _best_split(
    four: tuple[int, int, int, int], windows: Sequence[tuple[int, tuple[int, ...]]], best: int | None
) -> tuple[int, int, int] | None:
    """The first pair (m', b1) in window order whose cost is below ``best`` and least, or None.

    Gives the same pair as trying every divisor of every m' in order and
    keeping strict improvements: within one m' only the two divisors around
    the optimum can be cheapest (the smaller wins a tie), and once the lower
    bound of :func:`_bound_reached` reaches the best cost no later m' can
    improve on it.
    """
    found = None
    for m_prime, divisors in windows:
        if best is not None and _bound_reached(four, m_prime, best):
            break
        for b1 in _near_optimum(four, m_prime, divisors, 1):
            cost = _four_value(four, b1, m_prime)
            if best is None or cost < best:
                best, found = cost, (cost, m_prime, b1)
    return found


def _ranked_splits(
    four: tuple[int, int, int, int], windows: Sequence[tuple[int, tuple[int, ...]]], keep: int
) -> list[tuple[int, int, int]]:
    """The ``keep`` cheapest pairs (cost, m', b1) of one side, ties in window order."""
    ranked: list[tuple[int, int, int]] = []
    for m_prime, divisors in windows:
        if len(ranked) == keep and _bound_reached(four, m_prime, ranked[-1][0]):
            break
        for b1 in _near_optimum(four, m_prime, divisors, keep):
            ranked.append((_four_value(four, b1, m_prime), m_prime, b1))
        ranked = sorted(ranked)[:keep]
    return ranked


def _choice(skeleton: _Skeleton, slot: _Slot, option: str, b1: int | None, m_prime: int | None) -> MergeChoice:
    return MergeChoice(
        _node_tuple(slot.node),
        skeleton.sorted_item(slot.left),
        skeleton.sorted_item(slot.right),
        option,
        b1,
        m_prime,
        slot.in_place,
    )


def _costed_choice(
    skeleton: _Skeleton, slot: _Slot, options: _Options, option: str, b1: int | None, m_prime: int | None
) -> MergeChoice:
    """A choice with its own cost and its subtree cost filled in from the option polynomials."""
    whole = _four_value(options.whole[option], b1, m_prime)
    before = _four_value(options.before[option], b1, m_prime)
    return replace(_choice(skeleton, slot, option, b1, m_prime), cost=whole - before, subtree_cost=whole)


def _place_leaves(costing: _Costing) -> tuple[dict[Index, Node], list[LeafChoice]]:
    skeleton = costing.skeleton
    placement = {e: skeleton.chains[e][0] for e in skeleton.order}
    leaves = []
    for e in skeleton.order:
        chain = skeleton.chains[e]
        best: tuple[int, Node] | None = None
        for node in chain:
            placement[e] = node
            cost = _Evaluator(costing, {}, placement, memoize=False).cost(chain[-1])
            if best is None or cost < best[0]:
                best = (cost, node)
        assert best is not None
        placement[e] = best[1]
        leaves.append(LeafChoice(e, _node_tuple(best[1]), tuple(_node_tuple(n) for n in chain), best[0]))
    return placement, leaves


def _choose(
    skeleton: _Skeleton,
    m: int,
    theta: Fraction,
    prefix: str,
    record: list[list[MergeChoice]] | None = None,
) -> MS22Choices:
    """MS22's choices at sketch size m: leaf placements, then every merge bottom-up.

    Each merge takes the option whose subtree cost is least, ties to the
    first in :func:`_candidates` order. The costs are exact and equal those
    of :func:`_subtree_cost` (the tests compare them); only the pairs that
    can be cheapest are evaluated (see :func:`_best_split`). With ``record``,
    every option of every merge is appended with its costs.
    """
    choices, _ = _choose_with_total(skeleton, m, theta, record)
    return choices


def _choose_with_total(
    skeleton: _Skeleton, m: int, theta: Fraction, record: list[list[MergeChoice]] | None = None
) -> tuple[MS22Choices, int]:
    """:func:`_choose`, also returning the ops of the whole step order that its costing predicts."""
    costing = _Costing(skeleton, m)
    placement, leaves = _place_leaves(costing)
    decisions: dict[Item, MergeChoice] = {}
    evaluator = _Evaluator(costing, decisions, placement)
    windows = _window_divisors(m, theta)
    for slot in skeleton.slots:
        options = _merge_options_polys(evaluator, slot)
        best: tuple[int, str, int | None, int | None] | None = None
        for option in options.names:
            if option.startswith("split-"):
                found = _best_split(options.whole[option], windows, None if best is None else best[0])
                if found is not None:
                    best = (found[0], option, found[2], found[1])
            else:
                cost = options.whole[option][0]
                if best is None or cost < best[0]:
                    best = (cost, option, None, None)
        assert best is not None
        if record is not None:
            record.append([_costed_choice(skeleton, slot, options, *candidate) for candidate in _candidates(slot, m, theta)])
        decisions[slot.key] = _costed_choice(skeleton, slot, options, *best[1:])
    merges = tuple(decisions[slot.key] for slot in skeleton.slots)
    total = evaluator.cost(skeleton.data_tree.root)
    return MS22Choices(m, tuple(leaves), merges, dict(skeleton.shapes), theta), total


def _split_shortlist(
    skeleton: _Skeleton,
    decisions: Mapping[Item, MergeChoice],
    placement: Mapping[Index, Node],
    m: int,
    theta: Fraction,
    slot: _Slot,
    keep: int,
    evaluator: _Evaluator | None = None,
) -> list[MergeChoice]:
    """The ``keep`` cheapest split pairs per side of one merge, the other merges as ``decisions`` say.

    Pairs are ranked by the merge node's subtree cost (ties in window
    order), as MS22 ranks them. For a merge inside one tensor the cost
    counted stops at this merge; the tensor's later merges add the same
    amount to every pair, so the ranking is that of the whole subtree.
    """
    if evaluator is None:
        evaluator = _Evaluator(_Costing(skeleton, m), decisions, placement)
    options = _merge_options_polys(evaluator, slot)
    windows = _window_divisors(m, theta)
    out = []
    for option in ("split-right", "split-left"):
        for _, m_prime, b1 in _ranked_splits(options.whole[option], windows, keep):
            out.append(_choice(skeleton, slot, option, b1, m_prime))
    return out


def _decided_costs(skeleton: _Skeleton, choices: MS22Choices) -> list[MergeChoice]:
    """The merges of ``choices`` with ``subtree_cost`` set to their node's subtree cost with every merge decided."""
    costing = _Costing(skeleton, choices.m)
    decisions = {c.key: c for c in choices.merges}
    evaluator = _Evaluator(costing, decisions, choices.placement())
    return [replace(merge, subtree_cost=evaluator.cost(skeleton.slot_of[merge.key].node), cost=None) for merge in choices.merges]


# Plans ------------------------------------------------------------------------------


def plan_tree(joint: TensorNetwork, data_tree: ContractionTree, step_tree: ContractionTree | None = None) -> tuple[ContractionTree, int, str]:
    """Return the cheapest T0-consistent tree found for a joint network, its ops and the search used.

    This is :func:`tncost.consistent.consistent_tree` as a tuple: the exact
    search up to ``EXACT_SEARCH_LIMIT`` embedding tensors, the restricted
    search beyond, and the ``step_tree`` instead when it is cheaper, so the
    plan never costs more than the steps that built the embedding.

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> net = kronecker(2).at_sizes({"s": 64})
    >>> t0 = ContractionTree.from_nested((0, 1))
    >>> result = run_ms22(net, t0, 4)
    >>> plan_tree(result.joint, t0)[1:]
    (592, 'exact')
    """
    from ..consistent import consistent_tree

    search = consistent_tree(joint, data_tree, step_tree)
    return search.tree, int(search.ops), search.method


# Public entry points ---------------------------------------------------------------


def _numeric(network: TensorNetwork, point: Mapping[str, int] | None) -> TensorNetwork:
    if not network.symbols:
        return network
    if point is None:
        raise SizeError(
            f"the network has symbolic sizes ({', '.join(network.symbols)}); MS22 compares options at sizes, "
            "so give a point with a value for every symbol"
        )
    return network.at_sizes({k: v for k, v in point.items() if k in network.symbols})


def _checked_m(m: object) -> int:
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise SketchSizeError(f"invalid sketch size m={m!r}: MS22 compares options at a positive integer m")
    return m


def _default_tree(network: TensorNetwork) -> ContractionTree:
    if len(network.tensors) == 1:
        return ContractionTree.from_nested(0)
    from ..paths import optimize

    return optimize(network)


def _order(network: TensorNetwork, order: Sequence[Index] | None) -> tuple[Index, ...]:
    if not network.sketched:
        raise NetworkError("the network has no sketched indices; MS22 needs at least one sketched index")
    if order is None:
        return tuple(network.sketched)
    order = tuple(order)
    if sorted(order) != sorted(network.sketched) or len(set(order)) != len(order):
        raise NetworkError(
            f"order {order} is not an ordering of the sketched indices {network.sketched}; list each once"
        )
    return order


def ms22_embedding(
    network: TensorNetwork,
    data_tree: ContractionTree,
    choices: MS22Choices,
    m: Size | None = None,
    *,
    order: Sequence[Index] | None = None,
    prefix: str = "S_",
    family: str = "ms22",
) -> tuple[Embedding, ContractionTree]:
    """Build the embedding and the step order that a record of choices describes, at any sizes.

    With a symbolic ``m`` this is the symbolic twin of the numeric build: the
    same tensors and indices, with m a symbol. A split index with
    b1 = b2 = √m (and m' = m) gets the sizes m^(1/2) and m^(1/2); any other
    split keeps its numeric b1 and b2, so its producer's row size is the
    number m'. Substituting the point's m then gives the numeric embedding.

    Parameters
    ----------
    network
        The data network (numeric or symbolic).
    data_tree
        T0, the tree the choices were made on.
    choices
        The record from :func:`ms22` or the best-T0 search.
    m
        The sketch size: an int or a sympy size; default ``choices.m``.
    order
        The sketched indices in the order of leaf numbering; default the
        network's sketched order.
    prefix
        Prefix of every embedding tensor and index name.
    family
        The family name written into the embedding.

    Returns
    -------
    (Embedding, ContractionTree)
        The embedding and the algorithm's step order over the joint positions.

    Raises
    ------
    NetworkError
        If the choices do not fit the network and tree.

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> from tncost.symbolic.sizes import size_symbol
    >>> t0 = ContractionTree.from_nested((0, 1))
    >>> choices = run_ms22(kronecker(2).at_sizes({"s": 64}), t0, 4).choices
    >>> emb, _ = ms22_embedding(kronecker(2), t0, choices, size_symbol("m"))
    >>> emb.size_dict["S_out"]
    m
    """
    order = _order(network, order)
    skeleton = _Skeleton(network, data_tree, order, choices.shapes)
    decisions = {}
    for choice in choices.merges:
        if choice.key not in skeleton.slot_of:
            raise NetworkError(
                f"merge of {choice.left} and {choice.right} does not occur on this data tree; "
                "use choices made for the same network and tree"
            )
        decisions[choice.key] = choice
    missing = [slot for slot in skeleton.slots if slot.key not in decisions]
    if missing:
        raise NetworkError(f"the choices give no merge for {skeleton.sorted_item(missing[0].key)}; they are incomplete")
    placement = choices.placement()
    size = choices.m if m is None else parse_size(m)
    assembly = _assemble(skeleton, decisions, placement, size, choices.m, prefix)
    embedding = Embedding(
        family,
        tuple(assembly.tensors),
        assembly.sizes,
        order,
        tuple(assembly.outputs),
        tuple(assembly.rows),
        "rows",
        len(assembly.tensors),
        {e: network.size_dict[e] for e in order},
    )
    return embedding, ContractionTree.from_nested(assembly.nested(skeleton.data_tree.root))


def run_ms22(
    network: TensorNetwork,
    data_tree: ContractionTree,
    m: int,
    *,
    point: Mapping[str, int] | None = None,
    order: Sequence[Index] | None = None,
    theta: Fraction | float = THETA,
    prefix: str = "S_",
) -> MS22Result:
    """Run MS22 at sketch size ``m``: the embedding, its choices, its step order and its plan.

    Parameters
    ----------
    network
        The data network; ``network.sketched`` is E1.
    data_tree
        T0 over the data positions.
    m
        The sketch size (a positive integer).
    point
        Values of the network's symbols (needed when it is symbolic).
    order
        The sketched indices in the order of leaf numbering.
    theta
        The width of the split window (see :data:`THETA`).
    prefix
        Prefix of every embedding tensor and index name.

    Returns
    -------
    MS22Result
        Everything at the point: the embedding, choices, joint network, step
        order and cost, plan tree and cost.

    Raises
    ------
    NetworkError
        For a network without sketched indices or a tree that does not cover
        the data tensors.
    SizeError
        For a symbolic network without a point.
    SketchSizeError
        For an invalid m or θ.

    Examples
    --------
    >>> from tncost.structures import khatri_rao
    >>> net = khatri_rao(2).at_sizes({"s": 100, "R": 5})
    >>> result = run_ms22(net, ContractionTree.from_nested((0, 1)), 9)
    >>> merge = result.choices.merges[0]
    >>> merge.option, merge.b1, merge.m_prime
    ('split-right', 3, 9)
    """
    m = _checked_m(m)
    numeric = _numeric(network, point)
    order = _order(numeric, order)
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    split_window(m, theta)
    skeleton = _Skeleton(numeric, data_tree, order)
    choices, total = _choose_with_total(skeleton, m, theta)
    return _result(numeric, data_tree, choices, order, prefix, "ms22", total)


def _result(
    numeric: TensorNetwork,
    data_tree: ContractionTree,
    choices: MS22Choices,
    order: Sequence[Index],
    prefix: str,
    family: str,
    predicted: int | None = None,
) -> MS22Result:
    embedding, step_tree = ms22_embedding(numeric, data_tree, choices, choices.m, order=order, prefix=prefix, family=family)
    joint = joint_network(numeric, embedding)
    step_cost = _checked_step_cost(joint, step_tree, predicted)
    return MS22Result(embedding, choices, joint, step_tree, step_cost, data_tree)


def _checked_step_cost(joint: TensorNetwork, step_tree: ContractionTree, predicted: int | None) -> int:
    """The step order's ops by :func:`tncost.cost.tree_cost`, checked against the search's own costing."""
    step_cost = int(tree_cost(joint, step_tree).ops)
    if predicted is not None and step_cost != predicted:  # pragma: no cover - an internal error
        raise AssertionError(
            f"MS22's local costing predicted {predicted} ops for the step order, but tree_cost gives {step_cost}"
        )
    return step_cost


def merge_options(
    network: TensorNetwork,
    data_tree: ContractionTree,
    m: int,
    *,
    point: Mapping[str, int] | None = None,
    theta: Fraction | float = THETA,
) -> list[list[MergeChoice]]:
    """Every option MS22 weighs at each merge, with its cost, in tie-breaking order.

    Merge j's options are costed with MS22's own choices for merges 1..j−1
    and the leaf placements; ``cost`` is the ops of the option's own steps,
    ``subtree_cost`` what MS22 compares.

    Examples
    --------
    >>> from tncost.network import TensorNetwork
    >>> net = TensorNetwork.from_inputs([("e1", "a", "b"), ("e2", "c", "b")], ("e1", "e2", "a", "c"),
    ...     {"e1": 50, "e2": 50, "a": 2, "b": 3, "c": 5}, sketched=("e1", "e2"))
    >>> options = merge_options(net, ContractionTree.from_nested((0, 1)), 4, theta=0)[0]
    >>> [(o.option, o.b1, o.cost) for o in options][:4]
    [('contract-first', None, 1120), ('core-left', None, 864), ('core-right', None, 1440), ('split-right', 1, 1216)]
    """
    m = _checked_m(m)
    numeric = _numeric(network, point)
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    split_window(m, theta)
    record: list[list[MergeChoice]] = []
    _choose(_Skeleton(numeric, data_tree, _order(numeric, None)), m, theta, "S_", record)
    return record


# The sketch-size rule ---------------------------------------------------------------


def max_factor_count(N: int) -> int:
    """k_max = N leaf matrices + 2 × (N − 1) merges: the count with every merge split.

    Examples
    --------
    >>> [max_factor_count(n) for n in (1, 2, 3, 4)]
    [1, 4, 7, 10]
    """
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise SketchSizeError(f"invalid number of sketched indices N={N!r}: give an integer of at least 1")
    return N + 2 * (N - 1)


def sketch_size_rule(
    choose: Callable[[int], MS22Choices],
    N: int,
    eps: float,
    delta: float,
    C: float,
    m: int | None = None,
) -> tuple[int, int, MS22Choices]:
    """The sketch size of an MS22-type construction, without circularity.

    Take k_max = :func:`max_factor_count` (N), m1 from k_max, and choose the
    options at m1 (``choose(m1)``); recount k1 from the tensors used and
    compute m2 from k1. If m2 < m1 and the options chosen at m2 are the same
    (compared without b1 and m'), keep m2; otherwise keep m1. With a fixed
    ``m`` the options are chosen at it and k is their count.

    Returns
    -------
    (m, k, choices)

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> net = kronecker(2).at_sizes({"s": 4096})
    >>> t0 = ContractionTree.from_nested((0, 1))
    >>> m, k, choices = sketch_size_rule(lambda m: run_ms22(net, t0, m).choices, 2, 0.5, 0.1, 1)
    >>> m, k, choices.merges[0].option
    (37, 4, 'split-right')
    """
    if m is not None:
        chosen = choose(_checked_m(m))
        return m, chosen.k, chosen
    first_m = sketch_size(max_factor_count(N), eps, delta, C)
    first = choose(first_m)
    second_m = sketch_size(first.k, eps, delta, C)
    if second_m < first_m:
        second = choose(second_m)
        if second.signature() == first.signature():
            return second_m, second.k, second
    return first_m, first.k, first


def ms22_plan(
    network: TensorNetwork,
    data_tree: ContractionTree,
    point: Mapping[str, int] | None,
    eps: float = 0.5,
    delta: float = 0.1,
    C: float = 1,
    m: int | None = None,
    *,
    theta: Fraction | float = THETA,
    prefix: str = "S_",
) -> tuple[Embedding, int, int, MS22Choices]:
    """MS22 with its sketch size: the numeric embedding, m, k and the choices.

    m follows :func:`sketch_size_rule` unless it is given.

    Examples
    --------
    >>> from tncost.structures import tensor_train
    >>> t0 = ContractionTree.from_nested(((0, 1), 2))
    >>> emb, m, k, choices = ms22_plan(tensor_train(3), t0, {"s": 1000, "R": 8})
    >>> m, k, len(emb.tensors)
    (65, 7, 7)
    """
    numeric = _numeric(network, point)
    order = _order(numeric, None)
    theta = Fraction(str(theta)) if isinstance(theta, float) else Fraction(theta)
    skeleton = _Skeleton(numeric, data_tree, order)
    totals: dict[int, int] = {}

    def choose(size: int) -> MS22Choices:
        split_window(size, theta)
        choices, totals[size] = _choose_with_total(skeleton, size, theta)
        return choices

    m_used, k, choices = sketch_size_rule(choose, len(order), eps, delta, C, m)
    embedding, step_tree = ms22_embedding(numeric, data_tree, choices, m_used, order=order, prefix=prefix)
    _checked_step_cost(joint_network(numeric, embedding), step_tree, totals[m_used])
    return embedding, m_used, k, choices


def build_ms22(
    network: TensorNetwork,
    order: Sequence[Index],
    m: Size,
    *,
    prefix: str = "S_",
    data_tree: ContractionTree | None = None,
    point: Mapping[str, int] | None = None,
    choices: MS22Choices | None = None,
    theta: Fraction | float = THETA,
) -> Embedding:
    """Family constructor of ``"ms22"`` for :func:`tncost.embeddings.build_embedding`.

    With ``choices`` the structure is rebuilt from them at the given sizes
    (the symbolic twin). Otherwise the choices are made at numeric sizes: the
    network's, or the ``point`` (which must then also give ``m`` when ``m``
    is a symbol). ``data_tree`` defaults to the data network's optimal tree.

    Raises
    ------
    SizeError
        When sizes are symbolic and no point gives their values.

    Examples
    --------
    >>> from tncost.embeddings import build_embedding
    >>> from tncost.structures import tensor_train
    >>> net = tensor_train(3).at_sizes({"s": 100, "R": 4})
    >>> [t.name for t in build_embedding("ms22", net, 8).tensors]
    ['S_leaf1', 'S_leaf2', 'S_leaf3', 'S_split1a', 'S_split1b', 'S_core2']
    """
    if data_tree is None:
        data_tree = _default_tree(_numeric(network, point))
    if choices is None:
        numeric = _numeric(network, point)
        m_value = m
        if not isinstance(m, int):
            if point is None or "m" not in point:
                raise SizeError(f"m = {m} is symbolic; give its value as point['m'] or pass the choices of a numeric build")
            m_value = point["m"]
        choices = run_ms22(numeric, data_tree, _checked_m(m_value), order=order, theta=theta, prefix=prefix).choices
    embedding, _ = ms22_embedding(network, data_tree, choices, m, order=order, prefix=prefix)
    return embedding


register_family(
    "ms22",
    build_ms22,
    count=None,
    description="the algorithm of Ma and Solomonik: leaf matrices along T0's chains, cheapest merge at each node",
    replace=True,
)
