"""Tensor networks: indices with exact sizes, tensors, open, sketched and kept indices.

A :class:`TensorNetwork` is a tuple of :class:`Tensor` objects, the size of
every index, and its open indices (the einsum output). An index shared by
several tensors and not open is summed; an index may sit on any number of
tensors (a hyperedge). The open indices split into the sketched indices
(``sketched``, E1: the rows a sketch multiplies) and the kept indices
(``kept``, E2: the columns).

Examples
--------
>>> net = TensorNetwork.from_inputs(
...     [("a", "i"), ("i", "b", "j"), ("j", "c")],
...     output=("a", "b", "c"),
...     size_dict={"a": "s", "b": "s", "c": "s", "i": "R", "j": "R"},
...     sketched=("a", "b", "c"),
... )
>>> net.kept, net.symbols
((), ('R', 's'))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import networkx as nx

from .errors import NetworkError, SizeError
from .symbolic.sizes import Size, parse_size, substitute

__all__ = ["Tensor", "TensorNetwork", "Index", "TensorKind"]

#: An index name.
Index = str
#: The kind of a tensor: ``"data"`` for the input network, ``"embedding"`` for a sketch.
TensorKind = Literal["data", "embedding"]


@dataclass(frozen=True)
class Tensor:
    """A named tensor with an ordered tuple of distinct indices.

    ``kind`` is ``"data"`` for the input network and ``"embedding"`` for the
    Gaussian tensors of a sketch.
    """

    name: str
    indices: tuple[Index, ...]
    kind: TensorKind = "data"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise NetworkError(f"invalid tensor name {self.name!r}: names are non-empty strings")
        object.__setattr__(self, "indices", tuple(self.indices))
        for index in self.indices:
            if not isinstance(index, str) or not index:
                raise NetworkError(f"tensor {self.name}: invalid index {index!r}; indices are non-empty strings")
        repeated = sorted(i for i, count in Counter(self.indices).items() if count > 1)
        if repeated:
            raise NetworkError(
                f"tensor {self.name} repeats index {repeated[0]!r} in {self.indices}: traces and "
                "diagonals are not modeled; give each occurrence its own index name"
            )
        if self.kind not in ("data", "embedding"):
            raise NetworkError(f"tensor {self.name}: invalid kind {self.kind!r}; use 'data' or 'embedding'")


@dataclass(frozen=True, eq=False)
class TensorNetwork:
    """A validated tensor network with exact (integer or symbolic) index sizes.

    Parameters
    ----------
    tensors
        The tensors, in the user's order; paths refer to these positions.
    size_dict
        The size of every index: an int or a sympy monomial in positive
        integer symbols (strings such as ``"R**2"`` are parsed).
    output
        The open indices. ``None`` means every index on exactly one tensor, in
        order of first appearance.
    sketched
        The open indices to sketch (E1). Each must sit on exactly one tensor.
    name
        A label for reports.

    Raises
    ------
    NetworkError
        For unknown, repeated or misplaced indices.
    SizeError
        For missing or invalid sizes.
    """

    tensors: tuple[Tensor, ...]
    size_dict: Mapping[Index, Size]
    output: tuple[Index, ...] | None = None
    sketched: tuple[Index, ...] = ()
    name: str = ""
    _positions: Mapping[Index, tuple[int, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        tensors = tuple(self.tensors)
        if not tensors:
            raise NetworkError("a tensor network needs at least one tensor")
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                raise NetworkError(f"expected Tensor objects, got {tensor!r}")
        names = Counter(t.name for t in tensors)
        duplicated = sorted(n for n, c in names.items() if c > 1)
        if duplicated:
            raise NetworkError(f"tensor name {duplicated[0]!r} is used {names[duplicated[0]]} times; names must be unique")

        positions: dict[Index, list[int]] = {}
        for position, tensor in enumerate(tensors):
            for index in tensor.indices:
                positions.setdefault(index, []).append(position)

        sizes = self._validated_sizes(positions)
        output = self._validated_output(positions)
        sketched = self._validated_sketched(positions, output)

        object.__setattr__(self, "tensors", tensors)
        object.__setattr__(self, "size_dict", MappingProxyType(sizes))
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "sketched", sketched)
        object.__setattr__(self, "_positions", MappingProxyType({k: tuple(v) for k, v in positions.items()}))

    def _validated_sizes(self, positions: Mapping[Index, list[int]]) -> dict[Index, Size]:
        if not isinstance(self.size_dict, Mapping):
            raise SizeError(f"size_dict must be a mapping from index to size, got {type(self.size_dict).__name__}")
        missing = [index for index in positions if index not in self.size_dict]
        if missing:
            raise SizeError(f"index {missing[0]!r} has no size; add it to the size mapping (for example {missing[0]}=s)")
        unknown = sorted(str(index) for index in self.size_dict if index not in positions)
        stray_output = [index for index in (self.output or ()) if index not in positions]
        if stray_output:
            # A size for an output index that no tensor carries: the output list is the mistake, so report that.
            raise NetworkError(
                f"output index {stray_output[0]!r} is on no tensor; the network's indices are {', '.join(positions)}"
            )
        if unknown:
            raise NetworkError(
                f"size given for unknown index {unknown[0]!r}; the network's indices are {', '.join(positions)}"
            )
        sizes: dict[Index, Size] = {}
        for index in positions:
            try:
                sizes[index] = parse_size(self.size_dict[index])
            except SizeError as err:
                raise SizeError(f"index {index!r}: {err}") from err
        return sizes

    def _validated_output(self, positions: Mapping[Index, list[int]]) -> tuple[Index, ...]:
        if self.output is None:
            return tuple(index for index, where in positions.items() if len(where) == 1)
        output = tuple(self.output)
        for index in output:
            if index not in positions:
                raise NetworkError(
                    f"output index {index!r} is on no tensor; the network's indices are {', '.join(positions)}"
                )
        repeated = [i for i, c in Counter(output).items() if c > 1]
        if repeated:
            raise NetworkError(f"output index {repeated[0]!r} is listed twice; list each open index once")
        return output

    def _validated_sketched(self, positions: Mapping[Index, list[int]], output: tuple[Index, ...]) -> tuple[Index, ...]:
        sketched = tuple(self.sketched)
        repeated = [i for i, c in Counter(sketched).items() if c > 1]
        if repeated:
            raise NetworkError(f"sketched index {repeated[0]!r} is listed twice; list each once")
        for index in sketched:
            if index not in positions:
                raise NetworkError(
                    f"sketched index {index!r} is on no tensor; the network's indices are {', '.join(positions)}"
                )
            if index not in output:
                raise NetworkError(
                    f"sketched index {index!r} is not open (it is summed); only open indices "
                    f"({', '.join(output) or 'none'}) can be sketched"
                )
            if len(positions[index]) != 1:
                holders = ", ".join(self.tensors[p].name for p in positions[index])
                raise NetworkError(
                    f"sketched index {index!r} sits on {len(positions[index])} tensors ({holders}); "
                    "a sketched index must sit on exactly one tensor"
                )
        return sketched

    # Construction ---------------------------------------------------------------

    @classmethod
    def from_inputs(
        cls,
        inputs: Sequence[Sequence[Index]],
        output: Sequence[Index] | None = None,
        size_dict: Mapping[Index, object] | None = None,
        sketched: Iterable[Index] = (),
        names: Sequence[str] | None = None,
        name: str = "",
    ) -> "TensorNetwork":
        """Build a network from opt_einsum-style ``inputs``, ``output`` and ``size_dict``.

        Tensor names default to ``T0``, ``T1``, ... in input order.
        """
        if names is None:
            names = [f"T{i}" for i in range(len(inputs))]
        if len(names) != len(inputs):
            raise NetworkError(f"{len(names)} tensor names given for {len(inputs)} tensors")
        tensors = tuple(Tensor(n, tuple(ix)) for n, ix in zip(names, inputs))
        return cls(tensors, dict(size_dict or {}), None if output is None else tuple(output), tuple(sketched), name)

    def replace(self, **changes: object) -> "TensorNetwork":
        """Return a copy with some of ``tensors``, ``size_dict``, ``output``, ``sketched``, ``name`` changed."""
        fields = {
            "tensors": self.tensors,
            "size_dict": dict(self.size_dict),
            "output": self.output,
            "sketched": self.sketched,
            "name": self.name,
        }
        fields.update(changes)
        return TensorNetwork(**fields)  # type: ignore[arg-type]

    def with_sketch(self, sketched: Iterable[Index]) -> "TensorNetwork":
        """Return the same network with a new set of sketched indices."""
        return self.replace(sketched=tuple(sketched))

    def at_sizes(self, values: Mapping[str, int]) -> "TensorNetwork":
        """Substitute numeric values for every symbol and return the numeric network.

        Raises
        ------
        SizeError
            If a symbol of the network has no value, or a value names a symbol
            that the network does not use.
        """
        missing = [name for name in self.symbols if name not in values]
        if missing:
            raise SizeError(
                f"no value for symbol(s) {', '.join(missing)}; give every symbol a size, "
                f"for example --sizes {','.join(f'{n}=64' for n in self.symbols)}"
            )
        unknown = [name for name in values if name not in self.symbols]
        if unknown:
            raise SizeError(
                f"unknown symbol(s) {', '.join(unknown)}; the network's symbols are "
                f"{', '.join(self.symbols) or 'none (all sizes are numbers)'}"
            )
        return self.replace(size_dict={i: substitute(s, values) for i, s in self.size_dict.items()})

    # Queries --------------------------------------------------------------------

    @property
    def inputs(self) -> list[tuple[Index, ...]]:
        """The index tuple of each tensor, in tensor order (opt_einsum's ``inputs``)."""
        return [t.indices for t in self.tensors]

    @property
    def indices(self) -> tuple[Index, ...]:
        """Every index, in order of first appearance."""
        return tuple(self._positions)

    @property
    def kept(self) -> tuple[Index, ...]:
        """The open indices that are not sketched (E2), in output order."""
        sketched = set(self.sketched)
        return tuple(i for i in self.output if i not in sketched)  # type: ignore[union-attr]

    @property
    def symbols(self) -> tuple[str, ...]:
        """The names of the size symbols, sorted."""
        names: set[str] = set()
        for size in self.size_dict.values():
            if not isinstance(size, int):
                names.update(sym.name for sym in size.free_symbols)
        return tuple(sorted(names))

    @property
    def is_numeric(self) -> bool:
        """True when every size is an int."""
        return not self.symbols

    def positions(self, index: Index) -> tuple[int, ...]:
        """The positions of the tensors that carry ``index``."""
        try:
            return self._positions[index]
        except KeyError:
            raise NetworkError(f"unknown index {index!r}; the network's indices are {', '.join(self.indices)}") from None

    def position(self, name: str) -> int:
        """The position of the tensor called ``name``."""
        for position, tensor in enumerate(self.tensors):
            if tensor.name == name:
                return position
        raise NetworkError(f"unknown tensor {name!r}; the tensors are {', '.join(t.name for t in self.tensors)}")

    def data_positions(self) -> tuple[int, ...]:
        """Positions of the data tensors."""
        return tuple(p for p, t in enumerate(self.tensors) if t.kind == "data")

    def embedding_positions(self) -> tuple[int, ...]:
        """Positions of the embedding tensors."""
        return tuple(p for p, t in enumerate(self.tensors) if t.kind == "embedding")

    def shape(self, position: int) -> tuple[Size, ...]:
        """The sizes of tensor ``position``'s indices, in its index order."""
        return tuple(self.size_dict[i] for i in self.tensors[position].indices)

    def graph(self) -> nx.Graph:
        """Return the bipartite tensor–index graph.

        Tensor nodes are ``("tensor", position)`` with attributes ``name`` and
        ``kind``; index nodes are ``("index", name)`` with attributes ``size``
        and ``role`` (``"sketched"``, ``"kept"`` or ``"inner"``). Hyperedges need
        no special case: an index node simply has three or more neighbours.
        """
        graph = nx.Graph()
        sketched, kept = set(self.sketched), set(self.kept)
        for index in self.indices:
            role = "sketched" if index in sketched else "kept" if index in kept else "inner"
            graph.add_node(("index", index), bipartite=1, size=self.size_dict[index], role=role)
        for position, tensor in enumerate(self.tensors):
            graph.add_node(("tensor", position), bipartite=0, name=tensor.name, kind=tensor.kind)
            for index in tensor.indices:
                graph.add_edge(("tensor", position), ("index", index))
        return graph

    def connected_components(self) -> list[tuple[int, ...]]:
        """Tensor positions of each connected component (components are joined by outer products)."""
        graph = self.graph()
        components = []
        for nodes in nx.connected_components(graph):
            tensors = sorted(p for kind, p in nodes if kind == "tensor")
            if tensors:
                components.append(tuple(tensors))
        return sorted(components)

    def __repr__(self) -> str:
        eq = ",".join("".join(ix) if all(len(i) == 1 for i in ix) else " ".join(ix) for ix in self.inputs)
        return f"TensorNetwork(name={self.name!r}, {len(self.tensors)} tensors, {eq}->{','.join(self.output or ())}, sketched={self.sketched})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorNetwork):
            return NotImplemented
        return (
            self.tensors == other.tensors
            and dict(self.size_dict) == dict(other.size_dict)
            and self.output == other.output
            and self.sketched == other.sketched
        )

    __hash__ = None  # type: ignore[assignment]
