"""Contraction trees: binary trees over tensor positions, built from paths.

A :class:`ContractionTree` stores its pairwise steps in execution order. Each
node is the frozenset of leaf positions it covers, so a tree over a subset of a
network's tensors (a data tree T0 over the data tensors, say) needs nothing
special. Two path formats convert to and from trees:

* a *linear* path (opt_einsum's ``path``): each step names two positions in
  the current operand list; the operands are removed and the result is
  appended at the end;
* an *SSA* path (cotengra's ``ssa_path``): leaves are numbered ``0..n-1`` and
  the k-th step's result gets the number ``n + k``.

Examples
--------
>>> tree = ContractionTree.from_path([(0, 1), (0, 1)], 3)
>>> tree.ssa_path()
[(0, 1), (2, 3)]
>>> tree.nested()
(2, (0, 1))
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

from .errors import PathError

__all__ = ["ContractionTree", "Node", "Path", "SSAPath", "Nested", "is_consistent"]

#: A tree node: the frozenset of the leaf positions it covers.
Node = frozenset
#: A linear (opt_einsum) path: pairs of positions in the current operand list.
Path = list[tuple[int, int]]
#: An SSA (cotengra) path: pairs of node numbers, leaves first, then one per step.
SSAPath = list[tuple[int, int]]
#: A tree as nested pairs of leaf positions, such as ``((0, 1), 2)``.
Nested = Union[int, tuple["Nested", "Nested"]]


def _position(item: object) -> int:
    """Convert an operand position to an int, and reject bools, floats and strings (numpy integers pass)."""
    if isinstance(item, bool):
        raise TypeError(f"{item!r} is not a position")
    return operator.index(item)  # type: ignore[arg-type]


def _pair(step: object, number: int) -> tuple[int, int]:
    try:
        items = tuple(_position(i) for i in step)  # type: ignore[union-attr]
    except (TypeError, ValueError) as err:
        raise PathError(f"path step {number} is {step!r}; each step is a pair of integer positions") from err
    if len(items) != 2:
        raise PathError(f"path step {number} is {step!r} with {len(items)} entries; tncost paths are pairwise")
    if items[0] == items[1]:
        raise PathError(f"path step {number} is {step!r}: a step joins two different operands")
    return items[0], items[1]


@dataclass(frozen=True)
class ContractionTree:
    """A binary contraction tree over a set of leaf positions.

    ``steps[k] = (left, right)`` joins two disjoint nodes; nodes are frozensets
    of leaf positions. Use the ``from_*`` constructors, which validate.
    """

    leaves: tuple[int, ...]
    steps: tuple[tuple[Node, Node], ...]

    # Constructors ---------------------------------------------------------------

    @classmethod
    def from_ssa_path(cls, ssa_path: Iterable[Sequence[int]], leaves: int | Sequence[int]) -> "ContractionTree":
        """Build a tree from an SSA path; ``leaves`` is a count or the leaf positions in SSA order.

        Raises
        ------
        PathError
            If a step reuses a consumed node, names an unknown node, or the
            path does not join everything into one root.
        """
        leaf_positions = tuple(range(leaves)) if isinstance(leaves, int) else tuple(leaves)
        if len(set(leaf_positions)) != len(leaf_positions):
            raise PathError(f"leaf positions {leaf_positions} repeat a position")
        nodes: list[Node] = [frozenset([p]) for p in leaf_positions]
        alive = set(range(len(nodes)))
        steps = []
        for number, raw in enumerate(ssa_path):
            i, j = _pair(raw, number)
            for k in (i, j):
                if k < 0 or k >= len(nodes):
                    raise PathError(f"SSA path step {number} names node {k}, but only 0..{len(nodes) - 1} exist")
                if k not in alive:
                    raise PathError(f"SSA path step {number} uses node {k}, which an earlier step already consumed")
            alive -= {i, j}
            steps.append((nodes[i], nodes[j]))
            nodes.append(nodes[i] | nodes[j])
            alive.add(len(nodes) - 1)
        tree = cls(leaf_positions, tuple(steps))
        tree._check_complete(len(steps))
        return tree

    @classmethod
    def from_path(cls, path: Iterable[Sequence[int]], leaves: int | Sequence[int]) -> "ContractionTree":
        """Build a tree from a linear (opt_einsum) path.

        Raises
        ------
        PathError
            If a position is out of range or the path leaves several operands.
        """
        leaf_positions = tuple(range(leaves)) if isinstance(leaves, int) else tuple(leaves)
        operands: list[int] = list(range(len(leaf_positions)))
        next_id = len(leaf_positions)
        ssa = []
        for number, raw in enumerate(path):
            i, j = _pair(raw, number)
            for k in (i, j):
                if k < 0 or k >= len(operands):
                    raise PathError(
                        f"path step {number} names position {k}, but only {len(operands)} operands remain"
                    )
            ssa.append((operands[i], operands[j]))
            for k in sorted((i, j), reverse=True):
                del operands[k]
            operands.append(next_id)
            next_id += 1
        return cls.from_ssa_path(ssa, leaf_positions)

    @classmethod
    def from_nested(cls, nested: object) -> "ContractionTree":
        """Build a tree from nested pairs of leaf positions, such as ``((0, 1), (2, 3))``.

        Raises
        ------
        PathError
            If an inner node does not have exactly two children or a leaf repeats.
        """
        steps: list[tuple[Node, Node]] = []
        seen: list[int] = []

        def walk(item: object) -> Node:
            if isinstance(item, bool):
                raise PathError(f"invalid tree leaf {item!r}: leaves are tensor positions")
            if isinstance(item, int):
                seen.append(item)
                return frozenset([item])
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise PathError(f"invalid tree node {item!r}: every inner node has exactly two children")
            left, right = walk(item[0]), walk(item[1])
            steps.append((left, right))
            return left | right

        walk(nested)
        if len(set(seen)) != len(seen):
            raise PathError(f"tree {nested!r} repeats a leaf")
        return cls(tuple(sorted(seen)), tuple(steps))

    @classmethod
    def from_steps(cls, steps: Iterable[tuple[Iterable[int], Iterable[int]]]) -> "ContractionTree":
        """Build a tree from steps given as pairs of leaf sets, in execution order."""
        frozen = [(frozenset(a), frozenset(b)) for a, b in steps]
        leaves: set[int] = set()
        for a, b in frozen:
            leaves |= a | b
        if not frozen:
            raise PathError("a tree from steps needs at least one step; use from_nested(position) for one leaf")
        tree = cls(tuple(sorted(leaves)), tuple(frozen))
        tree._check_complete(len(frozen))
        tree._check_steps()
        return tree

    def _check_complete(self, count: int) -> None:
        if count != len(self.leaves) - 1:
            raise PathError(
                f"the path has {count} steps, but a complete tree over {len(self.leaves)} tensors "
                f"needs {len(self.leaves) - 1}"
            )

    def _check_steps(self) -> None:
        available = {frozenset([p]) for p in self.leaves}
        for number, (left, right) in enumerate(self.steps):
            if left & right or left not in available or right not in available:
                raise PathError(f"step {number} joins {sorted(left)} and {sorted(right)}, which are not both available")
            available -= {left, right}
            available.add(left | right)

    # Views ----------------------------------------------------------------------

    @property
    def root(self) -> Node:
        """The node covering every leaf."""
        return frozenset(self.leaves)

    def internal_nodes(self) -> list[Node]:
        """The nodes made by the steps, in execution order."""
        return [left | right for left, right in self.steps]

    def nodes(self) -> list[Node]:
        """Every node: leaves first (in leaf order), then internal nodes in execution order."""
        return [frozenset([p]) for p in self.leaves] + self.internal_nodes()

    def children(self) -> dict[Node, tuple[Node, Node]]:
        """Map each internal node to its two children."""
        return {left | right: (left, right) for left, right in self.steps}

    def parents(self) -> dict[Node, Node]:
        """Map each non-root node to its parent."""
        parent: dict[Node, Node] = {}
        for left, right in self.steps:
            parent[left] = parent[right] = left | right
        return parent

    def ssa_path(self) -> SSAPath:
        """The SSA path, with leaves numbered in ``self.leaves`` order."""
        ids = {frozenset([p]): k for k, p in enumerate(self.leaves)}
        path = []
        for left, right in self.steps:
            path.append((ids[left], ids[right]))
            ids[left | right] = len(ids)
        return path

    def path(self) -> Path:
        """The linear (opt_einsum) path, with leaves in ``self.leaves`` order."""
        operands: list[Node] = [frozenset([p]) for p in self.leaves]
        path = []
        for left, right in self.steps:
            i, j = operands.index(left), operands.index(right)
            path.append((min(i, j), max(i, j)))
            for k in sorted((i, j), reverse=True):
                del operands[k]
            operands.append(left | right)
        return path

    def nested(self, node: Node | None = None) -> Nested:
        """The tree as nested pairs of leaf positions."""
        children = self.children()
        node = self.root if node is None else node

        def walk(current: Node) -> Nested:
            if len(current) == 1:
                return next(iter(current))
            left, right = children[current]
            return (walk(left), walk(right))

        return walk(node)

    def restrict(self, keep: Iterable[int]) -> "ContractionTree":
        """Delete the leaves outside ``keep`` and splice out nodes left with one child."""
        keep = frozenset(keep)
        steps = []
        seen = set()
        for left, right in self.steps:
            a, b = left & keep, right & keep
            if a and b and (a, b) not in seen:
                steps.append((a, b))
                seen.add((a, b))
        leaves = tuple(p for p in self.leaves if p in keep)
        return ContractionTree(leaves, tuple(steps))

    def node_set(self) -> set[Node]:
        """Every node as a set, for comparing trees without regard to step order or sides."""
        return set(self.nodes())

    def leaf_order(self, key: Callable[[int], Any] | None = None) -> list[int]:
        """Leaves in canonical order: children of every node ordered by their smallest leaf.

        Leaves compare by position, or by ``key(position)`` when ``key`` is
        given. A key such as the tensor's name gives the same order however
        the tensors are listed.
        """
        children = self.children()
        order: list[int] = []
        rank = (lambda position: position) if key is None else key

        def walk(node: Node) -> None:
            if len(node) == 1:
                order.append(next(iter(node)))
                return
            for child in sorted(children[node], key=lambda part: min(rank(p) for p in part)):
                walk(child)

        walk(self.root)
        return order

    def __iter__(self) -> Iterator[tuple[Node, Node]]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)


def is_consistent(tree: ContractionTree, data_tree: ContractionTree) -> bool:
    """Return True when deleting non-data leaves from ``tree`` gives ``data_tree``.

    Deleting the embedding leaves (and splicing out nodes left with one child)
    must give exactly the nodes of ``data_tree``; then every intermediate's data
    content is the leaf set of one data-tree node.
    """
    restricted = tree.restrict(data_tree.leaves)
    return restricted.node_set() == data_tree.node_set() and len(restricted.steps) == len(data_tree.steps)
