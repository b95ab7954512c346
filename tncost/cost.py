"""Exact costs of contraction trees under the dense cost model.

Contracting two operands A and B costs ``ops(A, B) = |idx(A) ∪ idx(B)|``, the
product of the sizes of every distinct index of the pair, summed or not; this
is cotengra's ``contraction_cost`` convention. An intermediate keeps the
indices of its leaves that are open or still sit on a tensor outside it.
Costs are Python ints for numeric sizes and sympy polynomials for symbolic
ones, never floats.

Other conventions, by name:

* ``"ops"`` and ``"cotengra"``: ``ops`` itself.
* ``"opt_einsum"``: ``opt_einsum.helpers.flop_count`` for a pairwise step,
  which is ``2 * ops`` when the step sums an index and ``ops`` when it does not.
* ``"flops"``: real floating-point operations of multiply-add kernels, which
  is the same count as ``"opt_einsum"`` (one multiply and one add per term of
  a summing step, one multiply per entry of an outer product).

Examples
--------
>>> from tncost.network import TensorNetwork
>>> from tncost.tree import ContractionTree
>>> net = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 2, "b": 3, "c": 4})
>>> cost = tree_cost(net, ContractionTree.from_path([(0, 1)], 2))
>>> cost.ops, cost.convert("opt_einsum")
(24, 48)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy

from .errors import PathError, SpecError
from .network import Index, TensorNetwork
from .symbolic.sizes import Size, product
from .tree import ContractionTree, Node

__all__ = [
    "StepCost",
    "TreeCost",
    "CONVENTIONS",
    "kept_indices",
    "step_ops",
    "tree_cost",
    "substitute_cost",
    "total",
]

#: The named cost conventions that :meth:`TreeCost.convert` accepts (see the module notes).
CONVENTIONS = ("ops", "cotengra", "opt_einsum", "flops")


@dataclass(frozen=True)
class StepCost:
    """One pairwise step: its operands, the indices involved, and its exact ops."""

    left: Node
    right: Node
    indices: tuple[Index, ...]
    summed: tuple[Index, ...]
    result: tuple[Index, ...]
    ops: Size
    result_size: Size

    def convert(self, convention: str) -> Size:
        """This step's count in a named convention (see :data:`CONVENTIONS`)."""
        return _convert(self.ops, bool(self.summed), convention)


@dataclass(frozen=True)
class TreeCost:
    """Exact cost and memory figures of a contraction tree.

    ``largest_intermediate`` is the largest tensor a step creates (inputs
    excluded); ``live_peak`` is the largest total number of entries alive at
    once along the execution order, counting every leaf of the tree as alive
    throughout and freeing each intermediate once it is consumed.
    """

    steps: tuple[StepCost, ...]
    ops: Size
    largest_intermediate: Size
    live_peak: Size
    input_size: Size

    def convert(self, convention: str) -> Size:
        """The total in a named convention (see :data:`CONVENTIONS`)."""
        return total(step.convert(convention) for step in self.steps)


def _convert(ops: Size, sums: bool, convention: str) -> Size:
    if convention in ("ops", "cotengra"):
        return ops
    if convention in ("opt_einsum", "flops"):
        return 2 * ops if sums else ops
    raise SpecError(f"unknown cost convention {convention!r}; use one of {', '.join(CONVENTIONS)}")


def total(values: Iterable[Size]) -> Size:
    """Sum exact sizes: an int when all are ints, else an expanded sympy expression."""
    numeric = 0
    symbolic = []
    for value in values:
        if isinstance(value, int):
            numeric += value
        else:
            symbolic.append(value)
    if not symbolic:
        return numeric
    return sympy.expand(sympy.Add(numeric, *symbolic))


def _maximum(values: Iterable[Size]) -> Size:
    """Maximum of exact sizes; symbolic ones stay an unevaluated ``Max`` of the distinct values.

    Evaluating ``Max`` of many polynomials makes sympy compare them pairwise
    through its assumption system, which takes seconds on long trees; the
    figure is meant for substitution at sizes, where it becomes an int.
    """
    distinct = list(dict.fromkeys(values))
    if all(isinstance(v, int) for v in distinct):
        return max(distinct, default=0)
    if len(distinct) == 1:
        return distinct[0]
    return sympy.Max(*distinct, evaluate=False)


class _IndexOwners:
    """Which tensors carry each index, for fast kept-index queries."""

    def __init__(self, network: TensorNetwork) -> None:
        self.network = network
        self.open = set(network.output or ())
        self.owners = {index: frozenset(network.positions(index)) for index in network.indices}

    def kept(self, node: Node) -> tuple[Index, ...]:
        seen: dict[Index, None] = {}
        for position in sorted(node):
            for index in self.network.tensors[position].indices:
                if index in seen:
                    continue
                if index in self.open or not self.owners[index] <= node:
                    seen[index] = None
        return tuple(seen)


def kept_indices(network: TensorNetwork, node: Iterable[int]) -> tuple[Index, ...]:
    """Indices of the intermediate over ``node``: those open or on a tensor outside it."""
    return _IndexOwners(network).kept(frozenset(node))


def step_ops(network: TensorNetwork, left: Iterable[int], right: Iterable[int]) -> Size:
    """Exact ops of joining the intermediates over ``left`` and ``right``."""
    owners = _IndexOwners(network)
    union = dict.fromkeys(owners.kept(frozenset(left)) + owners.kept(frozenset(right)))
    return product(network.size_dict[i] for i in union)


def tree_cost(network: TensorNetwork, tree: ContractionTree) -> TreeCost:
    """Compute the exact ops of every step of ``tree`` and its memory figures.

    The tree may cover a subset of the network's tensors; indices are then
    kept when they sit on any tensor outside the node, inside the tree or not.

    Raises
    ------
    PathError
        If the tree names a position the network does not have.
    """
    count = len(network.tensors)
    bad = [p for p in tree.leaves if not 0 <= p < count]
    if bad:
        raise PathError(f"tree leaf {bad[0]} is not a tensor position; the network has positions 0..{count - 1}")
    owners = _IndexOwners(network)
    sizes = network.size_dict

    def size_of(indices: Iterable[Index]) -> Size:
        return product(sizes[i] for i in indices)

    kept: dict[Node, tuple[Index, ...]] = {}
    node_size: dict[Node, Size] = {}
    for position in tree.leaves:
        leaf = frozenset([position])
        kept[leaf] = owners.kept(leaf)
        node_size[leaf] = size_of(network.tensors[position].indices)

    input_size = total(node_size[frozenset([p])] for p in tree.leaves)
    alive: list[Size] = []
    live_values: list[Size] = [input_size]
    steps = []
    for left, right in tree.steps:
        node = left | right
        union = tuple(dict.fromkeys(kept[left] + kept[right]))
        result = owners.kept(node)
        summed = tuple(i for i in union if i not in set(result))
        ops = size_of(union)
        kept[node] = result
        node_size[node] = size_of(result)
        steps.append(StepCost(left, right, union, summed, result, ops, node_size[node]))

        # Memory: operands that are intermediates stay alive until this step ends.
        alive.append(node_size[node])
        live_values.append(total([input_size, *alive]))
        for operand in (left, right):
            if len(operand) > 1:
                alive.remove(node_size[operand])

    return TreeCost(
        steps=tuple(steps),
        ops=total(s.ops for s in steps),
        largest_intermediate=_maximum(s.result_size for s in steps),
        live_peak=_maximum(live_values),
        input_size=input_size,
    )


def substitute_cost(value: Size, values: Mapping[str, int]) -> Size:
    """Substitute symbol values into a cost polynomial; an int when no symbol remains."""
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Max):
        return _maximum(substitute_cost(a, values) for a in value.args)
    result = value.xreplace({sym: sympy.Integer(values[sym.name]) for sym in value.free_symbols if sym.name in values})
    return int(result) if result.is_Integer else result
