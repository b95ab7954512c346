"""Embeddings: Gaussian tensor networks that sketch the indices E1 of a data network.

An :class:`Embedding` S is a small tensor network of Gaussian tensors. Its
open indices are the sketched indices E1 of a data network x (each on exactly
one embedding tensor) and its output (sketch) indices. Applying S to x means
contracting the joint network S ∪ x with E1 summed; :func:`joint_network`
builds that network.

Conventions used by every family in this package:

* every tensor lists its output index first and its inputs after it, so
  reshaping a tensor to ``(|out_i|, |in_i|)`` gives the Gaussian matrix G_i;
* the tensors are stored in a sequence order t1, ..., tk (children before
  parents), and ``row_sizes[i]`` is |out_i| in that order;
* ``scaling == "rows"`` means the entries of t_i are i.i.d. N(0, 1/row_sizes[i]);
  ``scaling == "khatri-rao"`` means the factors have N(0, 1) entries and the
  whole product is multiplied by 1/sqrt(sketch_size).

Both scalings give E‖S·x‖² = ‖x‖².
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import NetworkError, SizeError
from ..network import Index, Tensor, TensorNetwork
from ..symbolic.sizes import Size, parse_size, product

__all__ = ["Embedding", "SCALINGS", "joint_network", "embedding_network", "check_name_clashes"]

SCALINGS = ("rows", "khatri-rao")
"""The valid values of :attr:`Embedding.scaling`."""


@dataclass(frozen=True)
class Embedding:
    """A Gaussian tensor-network embedding for a set of sketched indices.

    Parameters
    ----------
    family
        The family name (``"dense"``, ``"khatri-rao"``, ``"tt"``, ``"tree"``,
        or a registered one).
    tensors
        The embedding tensors (``kind="embedding"``, unique names), in a
        sequence order t1, ..., tk.
    size_dict
        The sizes of the embedding's own indices (bonds and outputs). The
        sketched indices are absent: they keep the data network's sizes.
    sketched
        The indices E1 that the embedding consumes; each sits on exactly one
        embedding tensor.
    output
        The output (sketch) indices.
    row_sizes
        For each tensor, the size |out_i| of its outputs in the sequence
        order; the ``"rows"`` scaling draws entries N(0, 1/row_size).
    scaling
        ``"rows"`` or ``"khatri-rao"`` (see the module docstring).
    k
        The number of factors that the accuracy rule counts, or ``None`` when
        the rule does not apply (Khatri–Rao).
    sketched_sizes
        Optional sizes of the sketched indices the embedding was built for;
        when given, :func:`joint_network` checks them against the data.

    Raises
    ------
    NetworkError
        For repeated tensor names, a tensor that is not of kind
        ``"embedding"``, a sketched index that is missing or on several
        tensors, or an index on one tensor that is neither sketched nor output.
    SizeError
        For a missing or invalid size.

    Examples
    --------
    >>> from tncost.network import Tensor
    >>> emb = Embedding(
    ...     "dense", (Tensor("S_dense", ("S_out", "a", "b"), kind="embedding"),),
    ...     {"S_out": 8}, ("a", "b"), ("S_out",), (8,), "rows", 1)
    >>> emb.sketch_size, emb.tensor_names
    (8, ('S_dense',))
    """

    family: str
    tensors: tuple[Tensor, ...]
    size_dict: Mapping[Index, Size]
    sketched: tuple[Index, ...]
    output: tuple[Index, ...]
    row_sizes: tuple[Size, ...]
    scaling: str = "rows"
    k: int | None = None
    sketched_sizes: Mapping[Index, Size] | None = None

    def __post_init__(self) -> None:
        tensors = tuple(self.tensors)
        sketched = tuple(self.sketched)
        output = tuple(self.output)
        if not isinstance(self.family, str) or not self.family:
            raise NetworkError(f"invalid embedding family {self.family!r}: give a non-empty name such as 'tt'")
        if not tensors:
            raise NetworkError(f"{self.family} embedding has no tensors; an embedding needs at least one")
        self._check_tensors(tensors)

        holders: dict[Index, list[str]] = {}
        for tensor in tensors:
            for index in tensor.indices:
                holders.setdefault(index, []).append(tensor.name)
        self._check_sketched(sketched, holders)
        sizes = self._checked_sizes(sketched, output, holders)

        if len(self.row_sizes) != len(tensors):
            raise NetworkError(
                f"{self.family} embedding gives {len(self.row_sizes)} row sizes for {len(tensors)} tensors; "
                "give one row size per tensor"
            )
        rows = tuple(parse_size(r) for r in self.row_sizes)
        if self.scaling not in SCALINGS:
            raise NetworkError(f"invalid scaling {self.scaling!r}; valid scalings are {', '.join(SCALINGS)}")
        if self.k is not None and (isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1):
            raise NetworkError(f"invalid factor count k={self.k!r}: use a positive integer or None")
        sketched_sizes = None
        if self.sketched_sizes is not None:
            sketched_sizes = {e: parse_size(self.sketched_sizes[e]) for e in sketched if e in self.sketched_sizes}

        object.__setattr__(self, "tensors", tensors)
        object.__setattr__(self, "sketched", sketched)
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "size_dict", MappingProxyType(sizes))
        object.__setattr__(self, "row_sizes", rows)
        object.__setattr__(self, "sketched_sizes", None if sketched_sizes is None else MappingProxyType(sketched_sizes))

    def _check_tensors(self, tensors: tuple[Tensor, ...]) -> None:
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                raise NetworkError(f"expected Tensor objects in the {self.family} embedding, got {tensor!r}")
            if tensor.kind != "embedding":
                raise NetworkError(
                    f"tensor {tensor.name} of the {self.family} embedding has kind {tensor.kind!r}; "
                    "embedding tensors must have kind 'embedding'"
                )
        names = Counter(t.name for t in tensors)
        repeated = sorted(n for n, c in names.items() if c > 1)
        if repeated:
            raise NetworkError(f"embedding tensor name {repeated[0]!r} is used {names[repeated[0]]} times; names must be unique")

    def _check_sketched(self, sketched: tuple[Index, ...], holders: Mapping[Index, list[str]]) -> None:
        repeated = [e for e, c in Counter(sketched).items() if c > 1]
        if repeated:
            raise NetworkError(f"sketched index {repeated[0]!r} is listed twice; list each once")
        for index in sketched:
            where = holders.get(index, [])
            if len(where) != 1:
                raise NetworkError(
                    f"sketched index {index!r} sits on {len(where)} tensors of the {self.family} embedding "
                    f"({', '.join(where) or 'none'}); it must sit on exactly one"
                )

    def _checked_sizes(
        self, sketched: tuple[Index, ...], output: tuple[Index, ...], holders: Mapping[Index, list[str]]
    ) -> dict[Index, Size]:
        if not isinstance(self.size_dict, Mapping):
            raise SizeError(f"size_dict must be a mapping from index to size, got {type(self.size_dict).__name__}")
        e1 = set(sketched)
        sizes: dict[Index, Size] = {}
        for index in holders:
            if index in e1:
                if index in self.size_dict:
                    raise NetworkError(
                        f"the embedding's size_dict gives a size for the sketched index {index!r}; "
                        "sketched indices keep the data's sizes (pass them as sketched_sizes instead)"
                    )
                continue
            if index not in self.size_dict:
                raise SizeError(f"embedding index {index!r} has no size; add it to the embedding's size_dict")
            try:
                sizes[index] = parse_size(self.size_dict[index])
            except SizeError as err:
                raise SizeError(f"embedding index {index!r}: {err}") from err
        unknown = sorted(i for i in self.size_dict if i not in holders)
        if unknown:
            raise NetworkError(f"size given for index {unknown[0]!r}, which is on no embedding tensor")

        for index in output:
            if index not in sizes:
                raise NetworkError(
                    f"output index {index!r} is not a non-sketched index of the {self.family} embedding; "
                    f"its indices are {', '.join(sizes) or 'none'}"
                )
        dangling = [i for i in sizes if len(holders[i]) == 1 and i not in output]
        if dangling:
            raise NetworkError(
                f"index {dangling[0]!r} sits only on {holders[dangling[0]][0]} and is not an output; "
                "list it in output or connect it to a second tensor"
            )
        return sizes

    @property
    def sketch_size(self) -> Size:
        """The product of the output sizes (normally m)."""
        return product(self.size_dict[i] for i in self.output)

    @property
    def tensor_names(self) -> tuple[str, ...]:
        """The names of the embedding tensors, in sequence order."""
        return tuple(t.name for t in self.tensors)

    @property
    def indices(self) -> tuple[Index, ...]:
        """Every index of the embedding (sketched ones included), in order of first appearance."""
        seen: dict[Index, None] = {}
        for tensor in self.tensors:
            for index in tensor.indices:
                seen.setdefault(index, None)
        return tuple(seen)

    __hash__ = None  # type: ignore[assignment]  # the size mappings are not hashable

    def __repr__(self) -> str:
        return (
            f"Embedding(family={self.family!r}, {len(self.tensors)} tensors, sketched={self.sketched}, "
            f"output={self.output}, sketch_size={self.sketch_size})"
        )


def check_name_clashes(network: TensorNetwork, embedding: Embedding) -> None:
    """Raise if the embedding reuses a data tensor name or a non-sketched data index.

    Raises
    ------
    NetworkError
        Naming the clashing name and suggesting another prefix.

    Examples
    --------
    >>> from tncost.embeddings import build_embedding
    >>> net = TensorNetwork.from_inputs([("a",), ("b",)], size_dict={"a": 4, "b": 4}, sketched=("a", "b"))
    >>> check_name_clashes(net, build_embedding("dense", net, 2))
    """
    data_names = {t.name for t in network.tensors}
    for name in embedding.tensor_names:
        if name in data_names:
            raise NetworkError(
                f"embedding tensor name {name!r} is also a data tensor name; choose another prefix "
                "for the embedding's names"
            )
    data_indices = set(network.indices)
    e1 = set(embedding.sketched)
    for index in embedding.indices:
        if index not in e1 and index in data_indices:
            raise NetworkError(
                f"embedding index {index!r} is also an index of the data network; choose another prefix "
                "for the embedding's names"
            )


def _checked_pair(network: TensorNetwork, embedding: Embedding) -> None:
    if not isinstance(embedding, Embedding):
        raise NetworkError(f"expected an Embedding, got {type(embedding).__name__}")
    if set(embedding.sketched) != set(network.sketched):
        raise NetworkError(
            f"the embedding sketches {sorted(embedding.sketched)} but the network's sketched indices are "
            f"{sorted(network.sketched)}; build the embedding for the same sketched indices"
        )
    if embedding.sketched_sizes is not None:
        for index, size in embedding.sketched_sizes.items():
            data_size = network.size_dict[index]
            if size != data_size:
                raise NetworkError(
                    f"sketched index {index!r} has size {data_size} in the network but the embedding "
                    f"was built for size {size}; rebuild the embedding for this network"
                )
    check_name_clashes(network, embedding)


def joint_network(network: TensorNetwork, embedding: Embedding) -> TensorNetwork:
    """Return S ∪ x: the data tensors, then the embedding tensors, with E1 summed.

    The result has no sketched indices; its output is the network's kept
    indices followed by the embedding's output indices.

    Raises
    ------
    NetworkError
        If the embedding sketches other indices than the network, was built
        for other sizes of them, or reuses a data name.

    Examples
    --------
    >>> from tncost.embeddings import build_embedding
    >>> net = TensorNetwork.from_inputs([("a", "c")], size_dict={"a": 5, "c": 3}, sketched=("a",))
    >>> joint = joint_network(net, build_embedding("dense", net, 2))
    >>> joint.inputs, joint.output
    ([('a', 'c'), ('S_out', 'a')], ('c', 'S_out'))
    """
    _checked_pair(network, embedding)
    size_dict = dict(network.size_dict)
    size_dict.update(embedding.size_dict)
    name = f"{network.name} sketched by {embedding.family}" if network.name else f"sketched by {embedding.family}"
    return TensorNetwork(
        network.tensors + embedding.tensors,
        size_dict,
        output=network.kept + embedding.output,
        sketched=(),
        name=name,
    )


def embedding_network(network: TensorNetwork, embedding: Embedding) -> TensorNetwork:
    """Return the embedding alone as a network, with the data's sizes for E1.

    Its output is the embedding's output followed by its sketched indices, so
    contracting it and reshaping gives S as a ``sketch_size × |E1|`` matrix.

    Raises
    ------
    NetworkError
        As :func:`joint_network`.

    Examples
    --------
    >>> from tncost.embeddings import build_embedding
    >>> net = TensorNetwork.from_inputs([("a",), ("b",)], size_dict={"a": 3, "b": 4}, sketched=("a", "b"))
    >>> embedding_network(net, build_embedding("tt", net, 2)).output
    ('S_out', 'a', 'b')
    """
    _checked_pair(network, embedding)
    size_dict = {e: network.size_dict[e] for e in embedding.sketched}
    size_dict.update(embedding.size_dict)
    return TensorNetwork(
        embedding.tensors,
        size_dict,
        output=embedding.output + embedding.sketched,
        sketched=(),
        name=f"{embedding.family} embedding",
    )
