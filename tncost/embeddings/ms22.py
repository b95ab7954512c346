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

Every option is costed from the ops of its steps (:func:`tncost.cost.tree_cost`
on the steps of the merge node's subtree), never from a closed formula, so
kept shared indices (the rank hyperedge of a Khatri–Rao input) and rounded
m' are costed correctly. The comparison uses the whole subtree of the merge
node, because a split with m' > m also makes the producer's steps dearer.

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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

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
    plan_tree, plan_cost, search
        The cheapest T0-consistent tree found for the embedding, its ops and
        the search that found it (never dearer than the step order).
    """

    embedding: Embedding
    choices: MS22Choices
    joint: TensorNetwork
    step_tree: ContractionTree
    step_cost: int
    plan_tree: ContractionTree
    plan_cost: int
    search: str


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
    assembly = _assemble(skeleton, decisions, placement, m, m, prefix)
    joint = _joint(skeleton, assembly)
    tree = ContractionTree.from_nested(assembly.nested(node))
    return int(tree_cost(joint, tree).ops), joint, tree


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


def _candidates(slot: _Slot, m: int, theta: Fraction) -> list[tuple[str, int | None, int | None]]:
    cores = ["core"] if slot.in_place else list(MERGE_OPTIONS[:3])
    out: list[tuple[str, int | None, int | None]] = [(option, None, None) for option in cores]
    window = split_window(m, theta)
    for option in ("split-right", "split-left"):
        out.extend((option, b1, m_prime) for m_prime in window for b1 in _divisors(m_prime))
    return out


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


def _costed(
    skeleton: _Skeleton,
    decisions: dict[Item, MergeChoice],
    placement: Mapping[Index, Node],
    m: int,
    slot: _Slot,
    choice: MergeChoice,
    prefix: str,
) -> MergeChoice:
    """``choice`` with its own cost and its subtree cost filled in (``decisions`` is restored)."""
    previous = decisions.get(slot.key)
    decisions[slot.key] = choice
    try:
        whole, _, _ = _subtree_cost(skeleton, decisions, placement, m, slot.node, prefix)
        if slot.in_place:
            # The steps before this merge on the same tensor are the subtree without it.
            del decisions[slot.key]
            before, _, _ = _subtree_cost(skeleton, decisions, placement, m, slot.node, prefix)
            decisions[slot.key] = choice
        else:
            left, right = skeleton.children[slot.node]
            before = sum(_subtree_cost(skeleton, decisions, placement, m, child, prefix)[0] for child in (left, right))
    finally:
        if previous is None:
            decisions.pop(slot.key, None)
        else:
            decisions[slot.key] = previous
    return replace(choice, cost=whole - before, subtree_cost=whole)


def _place_leaves(skeleton: _Skeleton, m: int, prefix: str) -> tuple[dict[Index, Node], list[LeafChoice]]:
    placement = {e: skeleton.chains[e][0] for e in skeleton.order}
    leaves = []
    for e in skeleton.order:
        chain = skeleton.chains[e]
        best: tuple[int, Node] | None = None
        for node in chain:
            placement[e] = node
            cost, _, _ = _subtree_cost(skeleton, {}, placement, m, chain[-1], prefix)
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
    placement, leaves = _place_leaves(skeleton, m, prefix)
    decisions: dict[Item, MergeChoice] = {}
    for slot in skeleton.slots:
        best: MergeChoice | None = None
        for option, b1, m_prime in _candidates(slot, m, theta):
            decisions[slot.key] = _choice(skeleton, slot, option, b1, m_prime)
            cost, _, _ = _subtree_cost(skeleton, decisions, placement, m, slot.node, prefix)
            if best is None or cost < best.subtree_cost:  # type: ignore[operator]
                best = replace(decisions[slot.key], subtree_cost=cost)
        assert best is not None
        if record is not None:
            record.append(
                [
                    _costed(skeleton, decisions, placement, m, slot, _choice(skeleton, slot, *candidate), prefix)
                    for candidate in _candidates(slot, m, theta)
                ]
            )
        decisions[slot.key] = _costed(skeleton, decisions, placement, m, slot, best, prefix)
    merges = tuple(decisions[slot.key] for slot in skeleton.slots)
    return MS22Choices(m, tuple(leaves), merges, dict(skeleton.shapes), theta)


# Plans ------------------------------------------------------------------------------


def plan_tree(joint: TensorNetwork, data_tree: ContractionTree, step_tree: ContractionTree | None = None) -> tuple[ContractionTree, int, str]:
    """The cheapest T0-consistent tree found for a joint network, its ops and the search used.

    The exact search runs for embeddings of up to the planner's
    ``EXACT_SEARCH_LIMIT`` tensors, the restricted search beyond. When a
    ``step_tree`` (a T0-consistent tree, such as the algorithm's own step
    order) is given and is cheaper than the search result, it is returned
    with the method ``"step order"``; so the plan never costs more than the
    steps that built the embedding.

    Examples
    --------
    >>> from tncost.structures import kronecker
    >>> net = kronecker(2).at_sizes({"s": 64})
    >>> t0 = ContractionTree.from_nested((0, 1))
    >>> result = run_ms22(net, t0, 4)
    >>> plan_tree(result.joint, t0)[1:]
    (592, 'exact')
    """
    from ..consistent import exact_consistent_tree, restricted_consistent_tree
    from ..planner import EXACT_SEARCH_LIMIT

    if len(joint.embedding_positions()) <= EXACT_SEARCH_LIMIT:
        search = exact_consistent_tree(joint, data_tree)
    else:
        search = restricted_consistent_tree(joint, data_tree)
    tree, ops, method = search.tree, int(search.ops), search.method
    if step_tree is not None:
        step_ops = int(tree_cost(joint, step_tree).ops)
        if step_ops < ops:
            return step_tree, step_ops, "step order"
    return tree, ops, method


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
    choices = _choose(skeleton, m, theta, prefix)
    return _result(numeric, data_tree, choices, order, prefix, "ms22")


def _result(
    numeric: TensorNetwork,
    data_tree: ContractionTree,
    choices: MS22Choices,
    order: Sequence[Index],
    prefix: str,
    family: str,
) -> MS22Result:
    embedding, step_tree = ms22_embedding(numeric, data_tree, choices, choices.m, order=order, prefix=prefix, family=family)
    joint = joint_network(numeric, embedding)
    step_cost = int(tree_cost(joint, step_tree).ops)
    plan, plan_cost, method = plan_tree(joint, data_tree, step_tree)
    return MS22Result(embedding, choices, joint, step_tree, step_cost, plan, plan_cost, method)


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
    m_used, k, choices = sketch_size_rule(
        lambda size: run_ms22(numeric, data_tree, size, order=order, theta=theta, prefix=prefix).choices,
        len(order),
        eps,
        delta,
        C,
        m,
    )
    embedding, _ = ms22_embedding(numeric, data_tree, choices, m_used, order=order, prefix=prefix)
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
