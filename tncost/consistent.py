"""Cheapest contraction trees of data ∪ embedding that follow a data tree T0.

A tree T of the joint network S ∪ x is *consistent* with the data tree T0
when deleting the embedding leaves from T (and splicing out nodes left with
one child) gives T0. Two searches find cheap consistent trees:

* :func:`exact_consistent_tree` is exact over every consistent tree, by a
  dynamic program over clusters ``(T0 node or nothing, subset of embedding
  tensors)``. It is exponential in the number of embedding tensors and meant
  for small cases (about 8 embedding tensors or fewer).
* :func:`restricted_consistent_tree` is the planner's fast search. Every
  embedding tensor is *attached* to one T0 node A: it is contracted into the
  operand whose data content is A, after A's two children have been joined
  (or, for a leaf, before anything else touches it). Tensors attached to the
  same node are absorbed one after another in the best order (exact over
  orders for up to :data:`ORDER_EXACT_LIMIT` tensors, greedy beyond), and for
  up to :data:`GROUP_EXACT_LIMIT` tensors every binary tree over the operand and
  the group is tried, which lets embedding tensors of one group be
  pre-contracted with each other. Attachments start at the lowest node that
  holds all of a tensor's sketched indices and improve by coordinate descent
  over the T0 nodes on the paths from those leaves, and from the nodes of the
  tensors they share an index with, to the root: single moves, then moves
  of a tensor and one neighbour together (to every pair of nodes when the
  embedding has at most :data:`PAIR_PRODUCT_LIMIT` tensors, else to one
  shared node).

Both searches minimize total ops at numeric sizes with exact integers. The
restriction never pre-contracts embedding tensors attached to different
nodes; the tests compare the two searches on small cases to show what it
costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import NetworkError
from .network import TensorNetwork
from .tree import ContractionTree

__all__ = [
    "ConsistentSearch",
    "exact_consistent_tree",
    "restricted_consistent_tree",
    "ORDER_EXACT_LIMIT",
    "GROUP_EXACT_LIMIT",
    "EXACT_SEARCH_LIMIT",
    "consistent_tree",
]

#: Embeddings with at most this many tensors get the exact search in :func:`consistent_tree`.
EXACT_SEARCH_LIMIT = 5
#: Groups of at most this many embedding tensors on one node are absorbed in the best order (greedy beyond).
ORDER_EXACT_LIMIT = 10
#: Groups of at most this many embedding tensors also try every binary tree over the operand and the group.
GROUP_EXACT_LIMIT = 4
MAX_SWEEPS = 6
PAIR_PRODUCT_LIMIT = 12
"""Up to this many embedding tensors, pair moves try every pair of nodes, not only shared ones."""


class _Masks:
    """Bitmask view of a numeric network: kept indices and sizes of tensor sets."""

    def __init__(self, network: TensorNetwork) -> None:
        if not network.is_numeric:
            raise NetworkError(
                f"the consistent-tree search needs numeric sizes; substitute values for {', '.join(network.symbols)}"
            )
        self.network = network
        indices = network.indices
        self.index_bit = {index: 1 << k for k, index in enumerate(indices)}
        self.sizes = [network.size_dict[i] for i in indices]
        open_mask = 0
        for index in network.output or ():
            open_mask |= self.index_bit[index]
        self.open_mask = open_mask
        self.tensor_indices = []
        for tensor in network.tensors:
            mask = 0
            for index in tensor.indices:
                mask |= self.index_bit[index]
            self.tensor_indices.append(mask)
        self.owners = []
        for index in indices:
            owners = 0
            for position in network.positions(index):
                owners |= 1 << position
            self.owners.append(owners)
        self._kept: dict[int, int] = {}
        self._size: dict[int, int] = {}

    def kept(self, members: int) -> int:
        """Index mask of the intermediate over the tensor set ``members``."""
        cached = self._kept.get(members)
        if cached is not None:
            return cached
        present = 0
        rest = members
        while rest:
            low = rest & -rest
            present |= self.tensor_indices[low.bit_length() - 1]
            rest ^= low
        kept = 0
        rest = present
        while rest:
            low = rest & -rest
            k = low.bit_length() - 1
            if low & self.open_mask or self.owners[k] & ~members:
                kept |= low
            rest ^= low
        self._kept[members] = kept
        return kept

    def join(self, left: int, right: int) -> int:
        """Return ``left | right`` (disjoint tensor sets) and cache its kept indices.

        Only indices kept by one side can be kept by the union, so just those
        are checked, instead of every index of every member.
        """
        members = left | right
        if members in self._kept:
            return members
        boundary = self.kept(left) | self.kept(right)
        kept = boundary
        rest = boundary & ~self.open_mask
        outside = ~members
        while rest:
            low = rest & -rest
            if not self.owners[low.bit_length() - 1] & outside:
                kept ^= low
            rest ^= low
        self._kept[members] = kept
        return members

    def size(self, index_mask: int) -> int:
        cached = self._size.get(index_mask)
        if cached is not None:
            return cached
        value = 1
        rest = index_mask
        while rest:
            low = rest & -rest
            value *= self.sizes[low.bit_length() - 1]
            rest ^= low
        self._size[index_mask] = value
        return value

    def ops(self, left: int, right: int) -> int:
        return self.size(self.kept(left) | self.kept(right))


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


@dataclass(frozen=True)
class ConsistentSearch:
    """Result of a consistent-tree search: the tree, its ops, and the attachment of each embedding tensor.

    ``attachment`` maps each embedding tensor position to the T0 node (a
    frozenset of data positions) it is contracted into; it is empty for the
    exact search, which does not attach tensors to nodes.
    """

    tree: ContractionTree
    ops: int
    method: str
    attachment: dict[int, frozenset]


def _t0_nodes(data_tree: ContractionTree) -> list[frozenset]:
    """T0 nodes bottom-up: leaves first, then internal nodes in step order."""
    return data_tree.nodes()


def _check_inputs(network: TensorNetwork, data_tree: ContractionTree) -> tuple[list[int], list[int]]:
    data = list(network.data_positions())
    embedding = list(network.embedding_positions())
    if sorted(data_tree.leaves) != data:
        raise NetworkError(
            f"the data tree covers positions {sorted(data_tree.leaves)}, but the data tensors sit at {data}"
        )
    return data, embedding


# The exact search -----------------------------------------------------------------


def exact_consistent_tree(network: TensorNetwork, data_tree: ContractionTree) -> ConsistentSearch:
    """Find the cheapest tree of ``network`` consistent with ``data_tree``, exactly.

    Parameters
    ----------
    network
        A joint network with numeric sizes; tensors of kind ``"embedding"``
        are the sketch, the others the data.
    data_tree
        T0, a tree over the data positions.

    Notes
    -----
    The dynamic program visits ``O(nodes · 3^k)`` cluster pairs for ``k``
    embedding tensors, so it is for small embeddings only.
    """
    masks = _Masks(network)
    data, embedding = _check_inputs(network, data_tree)
    k = len(embedding)
    if k > 12:
        raise NetworkError(f"the exact consistent search is exponential; {k} embedding tensors is too many (at most 12)")
    embedding_bits = [1 << p for p in embedding]

    def emask(subset: int) -> int:
        out = 0
        for j in _bits(subset):
            out |= embedding_bits[j]
        return out

    full_e = (1 << k) - 1
    children = data_tree.children()

    # best_empty[E]: cheapest tree over the embedding subset E alone.
    best_empty: dict[int, tuple[int, tuple]] = {}
    for subset in range(1, full_e + 1):
        if subset & (subset - 1) == 0:
            best_empty[subset] = (0, ("leaf", embedding[subset.bit_length() - 1]))
            continue
        best = None
        low = subset & -subset
        sub = (subset - 1) & subset
        while sub:
            if sub & low:
                other = subset ^ sub
                cost = best_empty[sub][0] + best_empty[other][0] + masks.ops(emask(sub), emask(other))
                if best is None or cost < best[0]:
                    best = (cost, ("join", ("e", sub), ("e", other)))
            sub = (sub - 1) & subset
        best_empty[subset] = best  # type: ignore[assignment]

    def data_mask(node: frozenset) -> int:
        out = 0
        for p in node:
            out |= 1 << p
        return out

    best: dict[tuple[frozenset, int], tuple[int, tuple]] = {}
    for node in _t0_nodes(data_tree):
        dmask = data_mask(node)
        for subset in range(0, full_e + 1):
            candidates = []
            if len(node) == 1 and subset == 0:
                candidates.append((0, ("leaf", next(iter(node)))))
            if len(node) > 1:
                left, right = children[node]
                sub = subset
                while True:
                    other = subset ^ sub
                    cost = best[(left, sub)][0] + best[(right, other)][0]
                    cost += masks.ops(data_mask(left) | emask(sub), data_mask(right) | emask(other))
                    candidates.append((cost, ("join", ("d", left, sub), ("d", right, other))))
                    if sub == 0:
                        break
                    sub = (sub - 1) & subset
            # Absorb a nonempty embedding cluster into a data cluster of the same node.
            sub = (subset - 1) & subset if subset else 0
            while subset:
                other = subset ^ sub
                if other and (node, sub) in best:
                    cost = best[(node, sub)][0] + best_empty[other][0]
                    cost += masks.ops(dmask | emask(sub), emask(other))
                    candidates.append((cost, ("join", ("d", node, sub), ("e", other))))
                if sub == 0:
                    break
                sub = (sub - 1) & subset
            if candidates:
                best[(node, subset)] = min(candidates, key=lambda c: c[0])

    steps: list[tuple[frozenset, frozenset]] = []

    def leaves_of(ref: tuple) -> frozenset:
        if ref[0] == "e":
            return frozenset(embedding[j] for j in _bits(ref[1]))
        return frozenset(ref[1]) | frozenset(embedding[j] for j in _bits(ref[2]))

    def emit(ref: tuple) -> None:
        entry = best_empty[ref[1]][1] if ref[0] == "e" else best[(ref[1], ref[2])][1]
        if entry[0] == "leaf":
            return
        _, a, b = entry
        emit(a)
        emit(b)
        steps.append((leaves_of(a), leaves_of(b)))

    root = data_tree.root
    emit(("d", root, full_e))
    cost = best[(root, full_e)][0]
    tree = ContractionTree.from_steps(steps) if steps else ContractionTree.from_nested(data[0])
    return ConsistentSearch(tree, cost, "exact", {})


# The restricted search ---------------------------------------------------------------


class _Restricted:
    def __init__(self, network: TensorNetwork, data_tree: ContractionTree) -> None:
        self.masks = _Masks(network)
        self.network = network
        self.data, self.embedding = _check_inputs(network, data_tree)
        self.data_tree = data_tree
        self.nodes = _t0_nodes(data_tree)
        self.children = data_tree.children()
        self.parent = data_tree.parents()
        self.node_mask = {}
        for node in self.nodes:
            mask = 0
            for p in node:
                mask |= 1 << p
            self.node_mask[node] = mask
        self._group_cache: dict[tuple[int, int], tuple[int, list]] = {}

    # Local step: absorb a group of embedding tensors into one operand.
    def absorb(self, operand: int, group: int) -> tuple[int, list]:
        """Cheapest way to join ``operand`` (a tensor-set mask) with the embedding tensors in ``group``.

        Returns the ops and the steps as (left mask, right mask) pairs.
        """
        key = (operand, group)
        cached = self._group_cache.get(key)
        if cached is not None:
            return cached
        members = _bits(group)
        if not members:
            result: tuple[int, list] = (0, [])
        elif len(members) <= GROUP_EXACT_LIMIT:
            result = self._absorb_any_tree(operand, members)
        elif len(members) <= ORDER_EXACT_LIMIT:
            result = self._absorb_best_order(operand, members)
        else:
            result = self._absorb_greedy(operand, members)
        self._group_cache[key] = result
        return result

    def _absorb_any_tree(self, operand: int, members: list[int]) -> tuple[int, list]:
        items = [operand] + [1 << p for p in members]
        count = len(items)
        full = (1 << count) - 1
        best: dict[int, tuple[int, list]] = {}
        for k in range(count):
            best[1 << k] = (0, [])

        unions = [0] * (full + 1)
        for subset in range(1, full + 1):
            low = subset & -subset
            rest = subset ^ low
            item = items[low.bit_length() - 1]
            unions[subset] = self.masks.join(unions[rest], item) if rest else item

        for subset in range(1, full + 1):
            if subset in best:
                continue
            low = subset & -subset
            choice = None
            sub = (subset - 1) & subset
            while sub:
                if sub & low:
                    other = subset ^ sub
                    a, b = unions[sub], unions[other]
                    cost = best[sub][0] + best[other][0] + self.masks.ops(a, b)
                    if choice is None or cost < choice[0]:
                        choice = (cost, best[sub][1] + best[other][1] + [(a, b)])
                sub = (sub - 1) & subset
            best[subset] = choice  # type: ignore[assignment]
        return best[full]

    def _absorb_best_order(self, operand: int, members: list[int]) -> tuple[int, list]:
        count = len(members)
        best: dict[int, tuple[int, int, int]] = {0: (0, -1, 0)}
        for subset in range(1, 1 << count):
            choice = None
            for j in _bits(subset):
                previous = subset ^ (1 << j)
                current = operand
                for i in _bits(previous):
                    current |= 1 << members[i]
                cost = best[previous][0] + self.masks.ops(current, 1 << members[j])
                if choice is None or cost < choice[0]:
                    choice = (cost, j, previous)
            best[subset] = choice  # type: ignore[assignment]
        order = []
        subset = (1 << count) - 1
        while subset:
            _, j, previous = best[subset]
            order.append(j)
            subset = previous
        order.reverse()
        steps = []
        current = operand
        for j in order:
            steps.append((current, 1 << members[j]))
            current |= 1 << members[j]
        return best[(1 << count) - 1][0], steps

    def _absorb_greedy(self, operand: int, members: list[int]) -> tuple[int, list]:
        remaining = list(members)
        current = operand
        total = 0
        steps = []
        while remaining:
            j = min(remaining, key=lambda p: (self.masks.ops(current, 1 << p), p))
            total += self.masks.ops(current, 1 << j)
            steps.append((current, 1 << j))
            current |= 1 << j
            remaining.remove(j)
        return total, steps

    # Whole-tree evaluation for an attachment.
    def evaluate(self, attachment: dict[int, frozenset]) -> tuple[int, list]:
        groups: dict[frozenset, int] = {node: 0 for node in self.nodes}
        for position, node in attachment.items():
            groups[node] |= 1 << position
        cluster: dict[frozenset, int] = {}
        total = 0
        steps: list = []
        for node in self.nodes:
            if len(node) == 1:
                operand = self.node_mask[node]
            else:
                left, right = self.children[node]
                total += self.masks.ops(cluster[left], cluster[right])
                steps.append((cluster[left], cluster[right]))
                operand = cluster[left] | cluster[right]
            ops, local = self.absorb(operand, groups[node])
            total += ops
            steps.extend(local)
            cluster[node] = operand | groups[node]
        return total, steps

    def start(self, attachment: dict[int, frozenset]) -> None:
        """Record ``attachment`` as the current state: groups, clusters and per-node costs."""
        self.attachment = dict(attachment)
        self.groups = {node: 0 for node in self.nodes}
        for position, node in attachment.items():
            self.groups[node] |= 1 << position
        self.cluster: dict[frozenset, int] = {}
        self.node_cost: dict[frozenset, int] = {}
        for node in self.nodes:
            self.node_cost[node], self.cluster[node] = self._node(node, self.cluster, self.groups[node])
        self.total = sum(self.node_cost.values())
        self.rank = {node: k for k, node in enumerate(self.nodes)}

    def _node(self, node: frozenset, cluster: Mapping[frozenset, int], group: int) -> tuple[int, int]:
        if len(node) == 1:
            operand = self.node_mask[node]
            cost = 0
        else:
            left, right = self.children[node]
            cost = self.masks.ops(cluster[left], cluster[right])
            operand = self.masks.join(cluster[left], cluster[right])
        return cost + self.absorb(operand, group)[0], self.masks.join(operand, group) if group else operand

    def moved_total(self, moves: Mapping[int, frozenset]) -> tuple[int, dict, dict, dict]:
        """The total ops after moving tensors to new nodes, recomputing only the affected nodes.

        Returns the total and the changed groups, clusters and node costs, for :meth:`commit`.
        """
        groups: dict[frozenset, int] = {}
        affected: set[frozenset] = set()
        for position, node in moves.items():
            old = self.attachment[position]
            if old == node:
                continue
            bit = 1 << position
            groups[old] = groups.get(old, self.groups[old]) & ~bit
            groups[node] = groups.get(node, self.groups[node]) | bit
            affected.update(self.ancestors(old))
            affected.update(self.ancestors(node))
        cluster = _Overlay(self.cluster)
        costs: dict[frozenset, int] = {}
        total = self.total
        for node in sorted(affected, key=self.rank.__getitem__):
            group = groups.get(node, self.groups[node])
            cost, cluster[node] = self._node(node, cluster, group)
            costs[node] = cost
            total += cost - self.node_cost[node]
        return total, groups, cluster.changes, costs

    def commit(self, moves: Mapping[int, frozenset], groups: dict, clusters: dict, costs: dict, total: int) -> None:
        """Make a move evaluated by :meth:`moved_total` the current state."""
        self.attachment.update(moves)
        self.groups.update(groups)
        self.cluster.update(clusters)
        self.node_cost.update(costs)
        self.total = total

    def neighbours(self) -> dict[int, list[int]]:
        """For each embedding tensor, the embedding tensors it shares an index with."""
        tensor_indices = self.masks.tensor_indices
        return {
            p: [q for q in self.embedding if q != p and tensor_indices[p] & tensor_indices[q]]
            for p in self.embedding
        }

    def ancestors(self, node: frozenset) -> list[frozenset]:
        path = [node]
        while path[-1] in self.parent:
            path.append(self.parent[path[-1]])
        return path

    def lowest_common(self, nodes: list[frozenset]) -> frozenset:
        union: frozenset = frozenset().union(*nodes)
        node = nodes[0]
        while not union <= node:
            node = self.parent[node]
        return node

    def initial_attachment(self) -> tuple[dict[int, frozenset], dict[int, list[frozenset]]]:
        network = self.network
        leaf_of = {}
        for p in self.data:
            for index in network.tensors[p].indices:
                leaf_of.setdefault(index, []).append(frozenset([p]))
        attachment: dict[int, frozenset] = {}
        candidates: dict[int, list[frozenset]] = {}
        pending = []
        for p in self.embedding:
            holders = [leaf for index in network.tensors[p].indices for leaf in leaf_of.get(index, [])]
            if holders:
                attachment[p] = self.lowest_common(holders)
                nodes: dict[frozenset, None] = {}
                for leaf in holders:
                    nodes.update(dict.fromkeys(self.ancestors(leaf)))
                candidates[p] = list(nodes)
            else:
                pending.append(p)
        # Tensors that touch no data index: attach at the lowest node that holds
        # the tensors they share an index with, once those are placed.
        neighbours = self.neighbours()
        while pending:
            ready = [
                p for p in pending
                if sum(q in attachment for q in neighbours[p]) >= min(2, len(neighbours[p])) > 0
            ]
            if not ready:
                ready = [next((p for p in pending if any(q in attachment for q in neighbours[p])), pending[0])]
            for p in ready:
                placed = [attachment[q] for q in neighbours[p] if q in attachment]
                attachment[p] = self.lowest_common(placed) if placed else self.data_tree.root
                nodes: dict[frozenset, None] = {}
                for node in placed or [self.data_tree.root]:
                    nodes.update(dict.fromkeys(self.ancestors(node)))
                candidates[p] = list(nodes)
                pending.remove(p)
        return attachment, candidates


def restricted_consistent_tree(network: TensorNetwork, data_tree: ContractionTree) -> ConsistentSearch:
    """Find a cheap tree of ``network`` consistent with ``data_tree`` by the attachment search.

    Parameters
    ----------
    network
        A joint network with numeric sizes; tensors of kind ``"embedding"``
        are the sketch, the others the data.
    data_tree
        T0, a tree over the data positions.

    Returns
    -------
    ConsistentSearch
        The tree, its exact ops, and each embedding tensor's attachment node.

    Notes
    -----
    The search is restricted (see the module docstring), so the result can
    cost more than :func:`exact_consistent_tree`; it is always a valid
    consistent tree and its ``ops`` are exact.
    """
    search = _Restricted(network, data_tree)
    attachment, candidates = search.initial_attachment()
    neighbours = search.neighbours()
    search.start(attachment)

    def try_moves(moves_list: list[dict[int, frozenset]]) -> bool:
        best = None
        for moves in moves_list:
            total, groups, clusters, costs = search.moved_total(moves)
            if total < search.total and (best is None or total < best[0]):
                best = (total, moves, groups, clusters, costs)
        if best is None:
            return False
        total, moves, groups, clusters, costs = best
        search.commit(moves, groups, clusters, costs, total)
        return True

    for _ in range(MAX_SWEEPS):
        improved = False
        for p in search.embedding:
            current = search.attachment[p]
            # Besides the paths above its own data, a tensor may join the cluster
            # of any node on the paths above its embedding neighbours.
            options: dict[frozenset, None] = dict.fromkeys(candidates[p])
            for q in neighbours[p]:
                options.update(dict.fromkeys(search.ancestors(search.attachment[q])))
            improved |= try_moves([{p: node} for node in options if node != current])
        # Pair moves: a tensor and one embedding neighbour join the same node,
        # which lets the group search pre-contract them there.
        for p in search.embedding:
            for q in neighbours[p]:
                if q < p:
                    continue
                previous = (search.attachment[p], search.attachment[q])
                options = dict.fromkeys(search.ancestors(previous[0]))
                options.update(dict.fromkeys(search.ancestors(previous[1])))
                if len(search.embedding) <= PAIR_PRODUCT_LIMIT:
                    options_p = dict.fromkeys(candidates[p])
                    options_p.update(options)
                    options_q = dict.fromkeys(candidates[q])
                    options_q.update(options)
                    moves = [(a, b) for a in options_p for b in options_q]
                else:
                    moves = [(node, node) for node in options]
                improved |= try_moves([{p: a, q: b} for a, b in moves if (a, b) != previous])
        if not improved:
            break
    attachment = dict(search.attachment)
    best_cost, best_steps = search.evaluate(attachment)
    if best_cost != search.total:  # pragma: no cover - guards the incremental bookkeeping
        raise AssertionError(f"incremental total {search.total} differs from the full evaluation {best_cost}")
    tree = _tree_from_mask_steps(best_steps, network) if best_steps else ContractionTree.from_nested(search.data[0])
    return ConsistentSearch(tree, best_cost, "restricted", dict(attachment))


class _Overlay(dict):
    """A dict of changed clusters that falls back to the current ones."""

    def __init__(self, base: Mapping[frozenset, int]) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, key: frozenset) -> int:
        return self.base[key]

    @property
    def changes(self) -> dict[frozenset, int]:
        return dict(self)


def _tree_from_mask_steps(steps: Sequence[tuple[int, int]], network: TensorNetwork) -> ContractionTree:
    return ContractionTree.from_steps([(frozenset(_bits(a)), frozenset(_bits(b))) for a, b in steps])



def consistent_tree(
    network: TensorNetwork, data_tree: ContractionTree, step_tree: ContractionTree | None = None
) -> ConsistentSearch:
    """Find the cheapest consistent tree with the search that suits the embedding's size.

    The exact search runs for up to :data:`EXACT_SEARCH_LIMIT` embedding
    tensors, the restricted search beyond. When a ``step_tree`` (a consistent
    tree such as an algorithm's own step order) is given and is cheaper, it is
    returned with the method ``"step order"``, so the result never costs more
    than that tree.
    """
    if len(network.embedding_positions()) <= EXACT_SEARCH_LIMIT:
        search = exact_consistent_tree(network, data_tree)
    else:
        search = restricted_consistent_tree(network, data_tree)
    if step_tree is not None:
        from .cost import tree_cost

        step_ops = int(tree_cost(network, step_tree).ops)
        if step_ops < search.ops:
            return ConsistentSearch(step_tree, step_ops, "step order", {})
    return search
