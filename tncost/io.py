"""Input formats: einsum strings, YAML/JSON spec files, and opt_einsum interop.

Three kinds of text describe a network (see :func:`load_network`):

* a spec file (``.yaml``, ``.yml`` or ``.json``) with the fields of
  :data:`SPEC_FIELDS`;
* a built-in structure such as ``"tt:N=6"`` (see :mod:`tncost.structures`);
* an einsum equation such as ``"ai,ibj,jc->abc"`` together with the size of
  every index.

:func:`load_network` turns each into a :class:`Spec`: the network, the
user's data contraction tree ``T0`` if one was given, the regime text if one
was given, and where it came from. Loading never writes to disk.

Einsum equations come in two forms. In the *letter form* every index is one
letter (``"ai,ibj->ab"``), as in numpy. In the *token form* the indices of
each operand are separated by whitespace (``"p1 r1, r1 p2 -> p1 p2"``), which
allows names of several characters. The token form is used whenever some
operand or the output contains two names separated by whitespace, and the letter
form otherwise. In the letter form a character that is not a letter is an
error, so ``"p1,p2->p1p2"`` is rejected rather than read as the indices
``p``, ``1``, ``p``, ``2``.

Examples
--------
>>> net = parse_einsum("ai,ibj,jc->abc", "a=s,b=s,c=s,i=R,j=R")
>>> net.inputs, net.output
([('a', 'i'), ('i', 'b', 'j'), ('j', 'c')], ('a', 'b', 'c'))
>>> to_opt_einsum(net.at_sizes({"s": 4, "R": 2}))[2]
{'a': 4, 'i': 2, 'b': 4, 'j': 2, 'c': 4}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import opt_einsum
import yaml

from .errors import NetworkError, PathError, SizeError, SpecError
from .network import Index, Tensor, TensorNetwork
from .structures import builtin_name, parse_builtin, physical_indices
from .symbolic.sizes import Size, parse_size
from .tree import ContractionTree

__all__ = [
    "Spec",
    "SPEC_FIELDS",
    "SizeMapping",
    "parse_index_sizes",
    "parse_einsum",
    "einsum_equation",
    "parse_spec",
    "load_spec",
    "load_network",
    "is_existing_file",
    "to_opt_einsum",
    "from_opt_einsum",
    "to_spec_dict",
    "dump_spec",
]

#: The fields a spec file may have; only ``tensors`` and ``sizes`` are required.
SPEC_FIELDS = ("name", "tensors", "sizes", "symbols", "output", "sketch", "keep", "data_tree", "regime")
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")

#: Index sizes as a mapping from index to size, or as text such as ``"a=s,i=R"``.
SizeMapping = Union[Mapping[Index, object], str]


@dataclass(frozen=True)
class Spec:
    """A loaded network with the extra information a spec can carry.

    Attributes
    ----------
    network
        The validated network.
    data_tree
        The data contraction tree ``T0`` over tensor positions, or None when
        the input gave none.
    regime
        The regime text, stored as given (for example ``"m <= R <= s"``), or None.
    source
        Where the network came from: a file path, ``"builtin"`` or ``"einsum"``.
    """

    network: TensorNetwork
    data_tree: ContractionTree | None = None
    regime: str | None = None
    source: str = ""


# Einsum equations -----------------------------------------------------------------


def parse_index_sizes(text: str) -> dict[Index, Size]:
    """Parse index sizes written as ``"a=s,i=R,b=4,k=R**2"``.

    Each value is a size for :func:`~tncost.symbolic.sizes.parse_size`: a
    positive integer or a monomial in symbols. These are sizes of *indices*,
    unlike the symbol values ``s=1000,R=20`` that the command line's
    ``--sizes`` option gives.

    Raises
    ------
    SpecError
        For an entry that is not ``index=size`` or an index given twice.
    SizeError
        For an invalid size.

    Examples
    --------
    >>> parse_index_sizes("a=s, i=R**2, b=3")
    {'a': s, 'i': R**2, 'b': 3}
    """
    sizes: dict[Index, Size] = {}
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        index, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not index or not value:
            raise SpecError(f"invalid index size {entry!r}: write index=size, for example a=s or i=64")
        if index in sizes:
            raise SpecError(f"index {index!r} is given two sizes in {text!r}; give each index one size")
        try:
            sizes[index] = parse_size(value)
        except SizeError as err:
            raise SizeError(f"index {index!r}: {err}") from err
    return sizes


def _split_operand(text: str, tokens: bool, where: str, equation: str) -> tuple[Index, ...]:
    text = text.strip()
    if tokens:
        names = tuple(text.split())
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                raise SpecError(
                    f"invalid index name {name!r} in {where} of {equation!r}: names start with a letter or "
                    "'_' and continue with letters, digits, '_' or '.'"
                )
        return names
    for char in text:
        if not char.isalpha():
            raise SpecError(
                f"invalid index character {char!r} in {where} of {equation!r}: in the letter form every "
                "index is one letter; for longer names separate the indices with spaces, "
                "as in 'p1 r1, r1 p2 -> p1 p2'"
            )
    return tuple(text)


def _split_equation(equation: str) -> tuple[list[tuple[Index, ...]], tuple[Index, ...] | None]:
    """Split an equation into operand index tuples and the output (None when implicit)."""
    if not isinstance(equation, str):
        raise SpecError(f"invalid einsum equation {equation!r}: expected a string such as 'ab,bc->ac'")
    if not equation.strip():
        raise SpecError("the einsum equation is empty; write operands and an optional output, such as 'ab,bc->ac'")
    if "..." in equation:
        raise SpecError(
            f"invalid einsum equation {equation!r}: broadcasting with '...' is not modeled; name every index"
        )
    if equation.count("->") > 1:
        raise SpecError(f"invalid einsum equation {equation!r}: '->' appears more than once")
    left, arrow, right = equation.partition("->")

    operand_texts = left.split(",")
    parts = operand_texts + ([right] if arrow else [])
    tokens = any(len(part.split()) > 1 for part in parts)

    inputs = []
    for number, text in enumerate(operand_texts):
        if not text.strip():
            raise SpecError(
                f"invalid einsum equation {equation!r}: operand {number} has no indices; "
                "scalars are not modeled, and a trailing or doubled ',' leaves an empty operand"
            )
        inputs.append(_split_operand(text, tokens, f"operand {number}", equation))
    output = _split_operand(right, tokens, "the output", equation) if arrow else None
    return inputs, output


def parse_einsum(
    equation: str,
    sizes: SizeMapping,
    *,
    sketched: Iterable[Index] | Literal["all"] = (),
    name: str = "",
) -> TensorNetwork:
    """Build a network from an einsum equation and the size of every index.

    Parameters
    ----------
    equation
        ``"ai,ibj,jc->abc"`` in the letter form, or ``"a i, i b j -> a b"`` in
        the token form (see the module notes). Without ``->`` the output is
        numpy's implicit one: the indices on exactly one operand, sorted.
    sizes
        The size of every index, as a mapping from index to an int, a sympy
        expression or a string such as ``"s"`` or ``"R**2"``, or as text
        ``"a=s,i=R,..."`` (see :func:`parse_index_sizes`).
    sketched
        The open indices to sketch, or ``"all"`` for every open index.
        None are sketched by default (a plain contraction).
    name
        A label; defaults to the equation.

    Returns
    -------
    TensorNetwork
        Tensors are named ``T0``, ``T1``, ... in operand order.

    Raises
    ------
    SpecError
        For a malformed equation: several ``->``, an empty operand,
        ``...`` broadcasting, or an invalid index character.
    NetworkError
        For an output index on no operand, an index repeated in one operand
        (a trace, which tncost does not model), or a repeated output index.
    SizeError
        For an index without a size or an invalid size.

    Examples
    --------
    >>> parse_einsum("ab,bc", {"a": 2, "b": 3, "c": 4}).output
    ('a', 'c')
    >>> parse_einsum("p1 r, r p2 -> p1 p2", "p1=s,p2=s,r=R", sketched="all").sketched
    ('p1', 'p2')
    """
    inputs, output = _split_equation(equation)

    if output is None:
        counts: dict[Index, int] = {}
        for operand in inputs:
            for index in operand:
                counts[index] = counts.get(index, 0) + 1
        output = tuple(sorted(index for index, count in counts.items() if count == 1))

    size_dict = _size_mapping(sizes, "sizes")
    tensors = tuple(Tensor(f"T{k}", operand) for k, operand in enumerate(inputs))
    network = TensorNetwork(tensors, size_dict, output, (), name or equation.strip())
    if sketched == "all":
        return network.with_sketch(physical_indices(network))
    return network.with_sketch(tuple(sketched))


def _size_mapping(sizes: SizeMapping | None, what: str) -> dict[Index, object]:
    if sizes is None:
        return {}
    if isinstance(sizes, str):
        return dict(parse_index_sizes(sizes))
    if not isinstance(sizes, Mapping):
        raise SizeError(
            f"invalid {what} of type {type(sizes).__name__}: "
            "give a mapping from index to size or text such as 'a=s,i=R'"
        )
    return dict(sizes)


def _einsum_symbols(network: TensorNetwork) -> dict[Index, str]:
    """Map each index to one character: itself if every index is a letter, else opt_einsum's symbols."""
    if all(len(index) == 1 and index.isalpha() for index in network.indices):
        return {index: index for index in network.indices}
    return {index: opt_einsum.get_symbol(k) for k, index in enumerate(network.indices)}


def einsum_equation(network: TensorNetwork) -> str:
    """Return ``network`` as an einsum equation with one character per index.

    Single-letter indices are kept. Otherwise indices are renamed, in order of
    first appearance, to ``opt_einsum.get_symbol(0)``, ``get_symbol(1)``, ...
    (``a``, ``b``, ...), so the equation suits ``numpy.einsum`` and
    ``opt_einsum.contract`` for any network.

    Examples
    --------
    >>> from tncost.structures import tensor_train
    >>> einsum_equation(tensor_train(3))
    'ab,bcd,de->ace'
    """
    symbol = _einsum_symbols(network)
    operands = ",".join("".join(symbol[i] for i in indices) for indices in network.inputs)
    return operands + "->" + "".join(symbol[i] for i in network.output or ())


# opt_einsum interop ------------------------------------------------------------------


def to_opt_einsum(network: TensorNetwork) -> tuple[list[tuple[Index, ...]], tuple[Index, ...], dict[Index, int]]:
    """Return opt_einsum's ``inputs``, ``output`` and ``size_dict`` for a numeric network.

    The index names are the network's own. opt_einsum's path functions, such
    as ``opt_einsum.paths.optimal(inputs, output, size_dict)``, accept any
    hashable index names; for an equation string use :func:`einsum_equation`.

    Raises
    ------
    SizeError
        If a size is still symbolic; substitute values with
        :meth:`TensorNetwork.at_sizes` first.

    Examples
    --------
    >>> net = parse_einsum("ab,bc->ac", {"a": 2, "b": 3, "c": 4})
    >>> to_opt_einsum(net)
    ([('a', 'b'), ('b', 'c')], ('a', 'c'), {'a': 2, 'b': 3, 'c': 4})
    """
    symbolic = [index for index, size in network.size_dict.items() if not isinstance(size, int)]
    if symbolic:
        raise SizeError(
            f"opt_einsum needs numeric sizes, but indices {', '.join(symbolic)} use the symbol(s) "
            f"{', '.join(network.symbols)}; substitute values first, for example "
            f"network.at_sizes({{{', '.join(repr(s) + ': 64' for s in network.symbols)}}})"
        )
    size_dict = {index: int(size) for index, size in network.size_dict.items()}
    return list(network.inputs), tuple(network.output or ()), size_dict


def from_opt_einsum(
    inputs: str | Sequence[Iterable[Index]],
    output: Iterable[Index] | None = None,
    size_dict: SizeMapping | None = None,
    sketched: Iterable[Index] | Literal["all"] = (),
    *,
    names: Sequence[str] | None = None,
    name: str = "",
) -> TensorNetwork:
    """Build a network from opt_einsum's ``inputs``, ``output`` and ``size_dict``.

    Parameters
    ----------
    inputs
        One entry per tensor: a string of one-letter indices (``"ab"``) or a
        sequence of index names. A set (as opt_einsum's path functions use)
        has no order, so its indices are sorted. A single string holding
        ``","`` or ``"->"`` is read as a whole equation by
        :func:`parse_einsum`; ``output`` must then be None.
    output
        The open indices; None means every index on exactly one tensor.
    size_dict
        The size of every index.
    sketched
        The open indices to sketch, or ``"all"``.
    names
        The tensor names; ``T0``, ``T1``, ... by default.
    name
        A label for reports.

    Raises
    ------
    SpecError
        If an equation string is combined with a separate ``output`` or ``names``.
    NetworkError, SizeError
        For invalid networks, as :class:`TensorNetwork` raises them.

    Examples
    --------
    >>> from_opt_einsum([{"b", "a"}, "bc"], "ac", {"a": 2, "b": 3, "c": 4}).inputs
    [('a', 'b'), ('b', 'c')]
    >>> from_opt_einsum("ab,bc->ac", size_dict={"a": 2, "b": 3, "c": 4}).output
    ('a', 'c')
    """
    if isinstance(inputs, str):
        if output is not None:
            raise SpecError(
                f"the equation {inputs!r} already fixes the output; leave output=None "
                "or pass inputs as a list of operands"
            )
        if names is not None:
            raise SpecError(
                f"the equation {inputs!r} names its tensors T0, T1, ...; to choose names, "
                "pass inputs as a list of operands"
            )
        return parse_einsum(inputs, size_dict or {}, sketched=sketched, name=name)

    operands: list[tuple[Index, ...]] = []
    for operand in inputs:
        if isinstance(operand, (set, frozenset)):
            operands.append(tuple(sorted(operand)))
        else:
            operands.append(tuple(operand))
    network = TensorNetwork.from_inputs(
        operands,
        None if output is None else tuple(output),
        _size_mapping(size_dict, "size_dict"),
        (),
        names=names,
        name=name,
    )
    if sketched == "all":
        return network.with_sketch(physical_indices(network))
    return network.with_sketch(tuple(sketched))


# Spec files --------------------------------------------------------------------------


def _fail(source: str, field: str | None, message: str) -> SpecError:
    where = f"{source}: field '{field}'" if field else source
    return SpecError(f"{where}: {message}")


def _name_list(value: object, source: str, field: str, what: str) -> list[str]:
    """Check that ``value`` is a list of non-empty strings and return it."""
    if not isinstance(value, list):
        raise _fail(source, field, f"expected a list of {what}, got {type(value).__name__} {value!r}")
    for item in value:
        if not isinstance(item, str) or not item:
            raise _fail(
                source,
                field,
                f"invalid entry {item!r} of type {type(item).__name__}; {what} are non-empty strings "
                "(quote names that YAML reads as numbers or booleans, such as '1' or 'on')",
            )
    return value


class _DuplicateKeyError(Exception):
    """A mapping in the spec text repeats a key; the second value would silently win."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a repeated mapping key is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise _DuplicateKeyError(f"key {key!r} appears twice (second time at line {line}); keep one")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"key {key!r} appears twice; keep one")
        result[key] = value
    return result


def _decode(text: str, source: str, format: str | None) -> object:
    if format is None:
        suffix = Path(source).suffix.lower()
        looks_like_json = suffix not in (".yaml", ".yml") and text.lstrip().startswith("{")
        format = "json" if suffix == ".json" or looks_like_json else "yaml"

    if format == "json":
        try:
            return json.loads(text, object_pairs_hook=_json_object)
        except RecursionError as err:
            raise SpecError(f"{source}: malformed JSON: lists or mappings are nested too deeply") from err
        except json.JSONDecodeError as err:
            raise SpecError(f"{source}: malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
        except _DuplicateKeyError as err:
            raise SpecError(f"{source}: malformed JSON: {err}") from err

    if format == "yaml":
        try:
            return yaml.load(text, Loader=_StrictLoader)
        except RecursionError as err:
            raise SpecError(f"{source}: malformed YAML: lists or mappings are nested too deeply") from err
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(err, "problem", None) or str(err)
            raise SpecError(f"{source}: malformed YAML{place}: {problem}") from err
        except _DuplicateKeyError as err:
            raise SpecError(f"{source}: malformed YAML: {err}") from err

    raise SpecError(f"invalid spec format {format!r}; use 'yaml' or 'json'")


def _tensors_field(value: object, source: str) -> list[Tensor]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(
            source,
            "tensors",
            "expected a non-empty mapping from tensor name to its list of indices, "
            "for example {G1: [p1, r1], G2: [r1, p2]}",
        )
    tensors = []
    for tensor_name, indices in value.items():
        if not isinstance(tensor_name, str) or not tensor_name:
            raise _fail(
                source, "tensors", f"invalid tensor name {tensor_name!r}; quote names that YAML reads as numbers"
            )
        indices = _name_list(indices, source, f"tensors.{tensor_name}", "index names")
        try:
            tensors.append(Tensor(tensor_name, tuple(indices)))
        except NetworkError as err:
            raise NetworkError(f"{source}: field 'tensors': {err}") from err
    return tensors


def _sizes_field(value: object, symbols: list[str] | None, source: str) -> dict[Index, Size]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(source, "sizes", "expected a mapping from index name to size, for example {p1: s, r1: R}")
    sizes: dict[Index, Size] = {}
    for index, size in value.items():
        if not isinstance(index, str):
            raise _fail(source, "sizes", f"invalid index name {index!r}; quote names that YAML reads as numbers")
        try:
            sizes[index] = parse_size(size, declared=symbols)
        except SizeError as err:
            raise SizeError(f"{source}: field 'sizes', index {index!r}: {err}") from err
    return sizes


def _data_tree_field(value: object, tensors: list[Tensor], source: str) -> ContractionTree:
    positions = {tensor.name: k for k, tensor in enumerate(tensors)}

    def to_positions(item: object) -> object:
        if isinstance(item, str):
            if item not in positions:
                raise _fail(
                    source, "data_tree", f"unknown tensor {item!r}; the tensors are {', '.join(positions)}"
                )
            return positions[item]
        if isinstance(item, list):
            return tuple(to_positions(child) for child in item)
        raise _fail(
            source,
            "data_tree",
            f"invalid entry {item!r}; write nested pairs of tensor names, for example [[G1, G2], G3]",
        )

    try:
        data_tree = ContractionTree.from_nested(to_positions(value))
    except RecursionError as err:
        raise _fail(source, "data_tree", "the tree is nested too deeply to read") from err
    except PathError as err:
        raise PathError(f"{source}: field 'data_tree': {err}; write nested pairs such as [[G1, G2], G3]") from err
    missing = [tensor.name for k, tensor in enumerate(tensors) if k not in data_tree.leaves]
    if missing:
        raise _fail(
            source, "data_tree", f"the tree leaves out tensor(s) {', '.join(missing)}; include every tensor once"
        )
    return data_tree


def _check_open(indices: Iterable[Index], open_indices: tuple[Index, ...], source: str, field: str) -> None:
    for index in indices:
        if index not in open_indices:
            shown = ", ".join(open_indices) or "none"
            raise _fail(source, field, f"index {index!r} is not open; open indices: {shown}")


def _sketch_and_keep(network: TensorNetwork, sketch: object, keep: object, source: str) -> tuple[Index, ...]:
    """Resolve the ``sketch`` and ``keep`` fields into the sketched indices."""
    open_indices = tuple(network.output or ())

    if sketch is None:
        sketched: tuple[Index, ...] | None = None
    elif sketch == "all":
        sketched = physical_indices(network)
    else:
        sketched = tuple(_name_list(sketch, source, "sketch", "index names (or the word all)"))
        _check_open(sketched, open_indices, source, "sketch")

    if keep is None:
        return sketched or ()
    kept = _name_list(keep, source, "keep", "index names")
    _check_open(kept, open_indices, source, "keep")
    if sketched is None:
        return tuple(index for index in open_indices if index not in kept)

    expected = [index for index in open_indices if index not in sketched]
    if set(kept) != set(expected) or len(kept) != len(expected):
        raise _fail(
            source,
            "keep",
            f"keep lists {', '.join(kept) or 'nothing'}, but the open indices minus the sketched ones are "
            f"{', '.join(expected) or 'nothing'}; fix keep or sketch, or omit keep",
        )
    return sketched


def parse_spec(text: str, *, source: str = "<spec>", format: Literal["yaml", "json"] | None = None) -> Spec:
    """Build a :class:`Spec` from the text of a YAML or JSON spec.

    Parameters
    ----------
    text
        The spec: a mapping with the fields of :data:`SPEC_FIELDS`.

        * ``tensors`` (required) maps each tensor name to its list of
          indices, in order.
        * ``sizes`` (required) maps each index to a size.
        * ``name`` is a label; it defaults to the file name without suffix.
        * ``symbols`` lists the only symbol names that sizes may use.
        * ``output`` lists the open indices. It defaults to every index on
          exactly one tensor.
        * ``sketch`` lists the open indices to sketch, or is ``all``.
        * ``keep`` lists the open indices that are not sketched. It is
          checked against ``sketch``, or gives the sketch when ``sketch`` is
          absent.
        * ``data_tree`` is nested pairs of tensor names, such as
          ``[[G1, G2], G3]``.
        * ``regime`` is text, stored as given.
    source
        The name used in error messages and stored in the result.
    format
        ``"yaml"`` or ``"json"``; by default from the suffix of ``source``,
        else JSON when the text starts with ``{`` and YAML otherwise.

    Raises
    ------
    SpecError
        For malformed YAML or JSON, unknown fields, wrong field types, and
        ``keep`` or ``data_tree`` that do not fit the network.
    NetworkError, SizeError, PathError
        For an invalid network, size or tree; the message names the source.

    Examples
    --------
    >>> spec = parse_spec('''
    ... tensors: {G1: [p1, r], G2: [r, p2]}
    ... sizes: {p1: s, p2: s, r: R}
    ... sketch: all
    ... data_tree: [G1, G2]
    ... ''')
    >>> spec.network.sketched, spec.data_tree.nested()
    (('p1', 'p2'), (0, 1))
    """
    data = _decode(text, source, format)
    if not isinstance(data, Mapping):
        raise SpecError(
            f"{source}: expected a mapping with the fields tensors and sizes at the top, got {type(data).__name__}"
        )
    for field in data:
        if field not in SPEC_FIELDS:
            raise SpecError(f"{source}: unknown field {field!r}; valid fields: {', '.join(SPEC_FIELDS)}")
    for field in ("tensors", "sizes"):
        if field not in data:
            raise SpecError(f"{source}: missing field '{field}'; a spec needs at least tensors and sizes")

    name = data.get("name", Path(source).stem if source != "<spec>" else "")
    if not isinstance(name, str):
        raise _fail(source, "name", f"expected text, got {type(name).__name__} {name!r}")
    regime = data.get("regime")
    if regime is not None and not isinstance(regime, str):
        raise _fail(source, "regime", f"expected text such as 'm <= R <= s', got {type(regime).__name__} {regime!r}")
    symbols = data.get("symbols")
    if symbols is not None:
        symbols = _name_list(symbols, source, "symbols", "symbol names")
        invalid = [symbol for symbol in symbols if not symbol.isidentifier()]
        if invalid:
            raise _fail(source, "symbols", f"invalid symbol name {invalid[0]!r}; use identifiers such as s or R1")

    tensors = _tensors_field(data["tensors"], source)
    sizes = _sizes_field(data["sizes"], symbols, source)
    output = data.get("output")
    if output is not None:
        output = tuple(_name_list(output, source, "output", "index names"))

    try:
        network = TensorNetwork(tuple(tensors), sizes, output, (), name)
        network = network.with_sketch(_sketch_and_keep(network, data.get("sketch"), data.get("keep"), source))
    except (NetworkError, SizeError) as err:
        if str(err).startswith(source):
            raise
        raise type(err)(f"{source}: {err}") from err

    data_tree = None
    if data.get("data_tree") is not None:
        data_tree = _data_tree_field(data["data_tree"], tensors, source)
    return Spec(network, data_tree, regime, source)


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read a YAML or JSON spec file; see :func:`parse_spec` for its fields.

    Raises
    ------
    SpecError
        If the file cannot be read, and for every error of :func:`parse_spec`.
    """
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise SpecError(f"spec file {source!r} not found") from err
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read spec file {source!r}: {err}") from err
    return parse_spec(text, source=source)


def load_network(spec_text: str | os.PathLike[str], sizes: SizeMapping | None = None) -> Spec:
    """Resolve the command line's SPEC argument into a :class:`Spec`.

    The text is tried, in order, as

    1. the path of a spec file (an existing file, or any name ending in
       ``.yaml``, ``.yml`` or ``.json``);
    2. a built-in structure, such as ``"tt:N=6"`` (see
       :func:`tncost.structures.parse_builtin`);
    3. an einsum equation (it contains ``","`` or ``"->"``), with ``sizes``
       giving the size of every index.

    Parameters
    ----------
    spec_text
        The SPEC argument.
    sizes
        Index sizes for an einsum equation, as a mapping or as text
        ``"a=s,i=R"``; unused for the other two forms.

    Raises
    ------
    SpecError
        For text that fits none of the three forms, an einsum equation
        without sizes, and every error of the form it resolves to.

    Examples
    --------
    >>> load_network("tucker:N=3").network.name
    'tucker:N=3'
    >>> load_network("ab,bc->ac", "a=2,b=3,c=4").source
    'einsum'
    """
    if isinstance(spec_text, os.PathLike):
        return load_spec(spec_text)
    if not isinstance(spec_text, str):
        raise SpecError(f"invalid SPEC {spec_text!r}: expected a file path, a built-in name or an einsum equation")
    text = spec_text.strip()

    if text.lower().endswith(_SPEC_SUFFIXES) or is_existing_file(text):
        return load_spec(text)

    if builtin_name(text) is not None or re.match(r"^[A-Za-z][A-Za-z0-9_-]*:", text):
        return Spec(parse_builtin(text), source="builtin")

    if "," in text or "->" in text:
        if sizes is None:
            raise SpecError(
                f"the einsum equation {text!r} needs the size of every index; "
                "give them as index=size pairs, for example a=s,i=R"
            )
        return Spec(parse_einsum(text, sizes), source="einsum")

    raise SpecError(
        f"cannot read SPEC {text!r}: give a spec file (.yaml, .yml or .json), a built-in such as "
        "tt:N=6 or peps:rows=2,cols=3, or an einsum equation such as 'ai,ibj,jc->abc' with index sizes"
    )


def is_existing_file(text: str) -> bool:
    """Return True when ``text`` names an existing file; False for text that cannot be a path.

    ``Path.is_file`` raises for names longer than the file system allows, and
    an einsum equation or a built-in name can be that long.
    """
    if not text:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


# Writing specs ------------------------------------------------------------------------


def _size_text(size: Size) -> Any:
    return size if isinstance(size, int) else str(size)


def to_spec_dict(
    network: TensorNetwork,
    data_tree: ContractionTree | None = None,
    regime: str | None = None,
) -> dict[str, Any]:
    """Return the spec fields of ``network`` as plain data that :func:`parse_spec` reads back.

    Sizes become ints or text such as ``"R**2"``; ``symbols`` lists the
    network's symbols; ``data_tree`` becomes nested pairs of tensor names.

    Raises
    ------
    SpecError
        If the network contains embedding tensors, because specs describe data networks.
    PathError
        If ``data_tree`` names a position the network does not have.

    Examples
    --------
    >>> from tncost.structures import tensor_train
    >>> to_spec_dict(tensor_train(2))["tensors"]
    {'G1': ['p1', 'r1'], 'G2': ['r1', 'p2']}
    """
    embedding = [t.name for t in network.tensors if t.kind != "data"]
    if embedding:
        raise SpecError(
            f"spec files describe data networks, but tensor(s) {', '.join(embedding)} are embedding tensors; "
            "write the data network alone"
        )
    fields: dict[str, Any] = {}
    if network.name:
        fields["name"] = network.name
    fields["tensors"] = {t.name: list(t.indices) for t in network.tensors}
    fields["sizes"] = {index: _size_text(size) for index, size in network.size_dict.items()}
    fields["symbols"] = list(network.symbols)
    fields["output"] = list(network.output or ())
    fields["sketch"] = list(network.sketched)

    if data_tree is not None:
        names = [t.name for t in network.tensors]
        for position in data_tree.leaves:
            if not 0 <= position < len(names):
                raise PathError(f"data tree leaf {position} is not a tensor position (0..{len(names) - 1})")

        def to_names(item: object) -> object:
            if isinstance(item, int):
                return names[item]
            return [to_names(child) for child in item]  # type: ignore[union-attr]

        fields["data_tree"] = to_names(data_tree.nested())
    if regime is not None:
        fields["regime"] = regime
    return fields


def dump_spec(
    network: TensorNetwork,
    data_tree: ContractionTree | None = None,
    regime: str | None = None,
    *,
    format: Literal["yaml", "json"] = "yaml",
) -> str:
    """Return the spec text of ``network`` in YAML or JSON; nothing is written to disk.

    Examples
    --------
    >>> from tncost.structures import cp
    >>> text = dump_spec(cp(2), format="json")
    >>> parse_spec(text, format="json").network == cp(2)
    True
    """
    fields = to_spec_dict(network, data_tree, regime)
    if format == "json":
        return json.dumps(fields, indent=2) + "\n"
    if format == "yaml":
        return yaml.safe_dump(fields, sort_keys=False, default_flow_style=None)
    raise SpecError(f"invalid spec format {format!r}; use 'yaml' or 'json'")

