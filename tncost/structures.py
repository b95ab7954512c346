"""Built-in tensor-network structures with symbolic sizes.

Each builder returns a validated :class:`~tncost.network.TensorNetwork`
whose physical indices have the symbolic size ``s`` and whose bonds (ranks)
have the symbolic size ``R``. By default the network sketches its physical
indices, which the command line calls the structure's *physical kind*. The
network's ``name`` is its built-in text, such as ``"tt:N=6"``, so that
:func:`parse_builtin` rebuilds the same network from it.

======================  ================================================
built-in text           structure
======================  ================================================
``tt:N=6``              tensor train (matrix product state)
``khatri-rao:N=4``      Khatri–Rao product with the open hyperedge ``r``
``kronecker:N=4``       Kronecker (outer) product of vectors
``tucker:N=3``          Tucker format: core and one factor per mode
``cp:N=3``              CP format: the hyperedge ``r`` is summed
``tree:N=8``            balanced binary tree tensor network
``peps:rows=2,cols=3``  projected entangled pair state on a grid
``mpo:N=4``             matrix product operator
======================  ================================================

Examples
--------
>>> net = parse_builtin("tt:N=3")
>>> net.inputs
[('p1', 'r1'), ('r1', 'p2', 'r2'), ('r2', 'p3')]
>>> net.sketched, net.symbols
(('p1', 'p2', 'p3'), ('R', 's'))
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import SpecError
from .network import Index, Tensor, TensorNetwork
from .symbolic.sizes import Size, size_symbol

__all__ = [
    "Builtin",
    "BUILTINS",
    "MAX_ORDER",
    "MAX_GRID_SIDE",
    "tensor_train",
    "khatri_rao",
    "kronecker",
    "tucker",
    "cp",
    "tree",
    "peps",
    "mpo",
    "parse_builtin",
    "builtin_name",
    "physical_indices",
]

#: Largest order ``N`` a built-in accepts, a guard against typing errors such as ``N=40960``.
MAX_ORDER = 4096
#: Largest number of rows or columns of a built-in PEPS grid.
MAX_GRID_SIDE = 64

_PHYSICAL = "s"
_BOND = "R"


def _check_count(value: object, parameter: str, structure: str, low: int, high: int) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise a SpecError naming the range."""
    if isinstance(value, bool):
        raise SpecError(f"{structure}: {parameter}={value!r} is not an integer; use an integer from {low} to {high}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise SpecError(
            f"{structure}: {parameter}={value!r} is not an integer; use an integer from {low} to {high}"
        ) from None
    if not low <= number <= high:
        raise SpecError(f"{structure}: {parameter}={number} is out of range; use an integer from {low} to {high}")
    return int(number)


def _sizes(physical: list[Index], bonds: list[Index]) -> dict[Index, Size]:
    s, r = size_symbol(_PHYSICAL), size_symbol(_BOND)
    sizes: dict[Index, Size] = {index: s for index in physical}
    sizes.update({index: r for index in bonds})
    return sizes


def _network(
    name: str,
    tensors: list[Tensor],
    sizes: dict[Index, Size],
    output: list[Index],
    sketched: list[Index],
) -> TensorNetwork:
    return TensorNetwork(tuple(tensors), sizes, tuple(output), tuple(sketched), name)


# Builders -----------------------------------------------------------------------


def tensor_train(N: int) -> TensorNetwork:
    """Build a tensor train (matrix product state) of order ``N``.

    The cores are ``G1(p1, r1)``, ``Gi(r{i-1}, pi, ri)`` and
    ``GN(r{N-1}, pN)``. Every ``pi`` has size ``s`` and is sketched, and every
    bond ``ri`` has size ``R``. With ``N = 1`` the network is the single vector
    ``G1(p1)``.

    Parameters
    ----------
    N
        The order, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"tt:N=<N>"``.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> tensor_train(2).inputs
    [('p1', 'r1'), ('r1', 'p2')]
    """
    N = _check_count(N, "N", "tt", 1, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    bonds = [f"r{i}" for i in range(1, N)]

    tensors = []
    for i in range(1, N + 1):
        left = (f"r{i - 1}",) if i > 1 else ()
        right = (f"r{i}",) if i < N else ()
        tensors.append(Tensor(f"G{i}", left + (f"p{i}",) + right))

    return _network(f"tt:N={N}", tensors, _sizes(physical, bonds), physical, physical)


def khatri_rao(N: int) -> TensorNetwork:
    """Build the Khatri–Rao product of ``N`` matrices ``Ai(pi, r)``.

    The index ``r`` (size ``R``) is an open hyperedge on every factor, so it
    is kept, while every ``pi`` (size ``s``) is sketched. The output is
    ``(p1, ..., pN, r)``.

    Parameters
    ----------
    N
        The number of factors, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"khatri-rao:N=<N>"``.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> net = khatri_rao(3)
    >>> net.output, net.kept
    (('p1', 'p2', 'p3', 'r'), ('r',))
    """
    N = _check_count(N, "N", "khatri-rao", 1, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    tensors = [Tensor(f"A{i}", (f"p{i}", "r")) for i in range(1, N + 1)]
    return _network(f"khatri-rao:N={N}", tensors, _sizes(physical, ["r"]), physical + ["r"], physical)


def kronecker(N: int) -> TensorNetwork:
    """Build the Kronecker (outer) product of ``N`` vectors ``vi(pi)``.

    The network is disconnected: it has no bonds, and every ``pi`` (size
    ``s``) is sketched.

    Parameters
    ----------
    N
        The number of vectors, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"kronecker:N=<N>"``.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> kronecker(2).inputs
    [('p1',), ('p2',)]
    """
    N = _check_count(N, "N", "kronecker", 1, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    tensors = [Tensor(f"v{i}", (f"p{i}",)) for i in range(1, N + 1)]
    return _network(f"kronecker:N={N}", tensors, _sizes(physical, []), physical, physical)


def tucker(N: int) -> TensorNetwork:
    """Build a Tucker network of order ``N``: a core and ``N`` factor matrices.

    The core is ``G(r1, ..., rN)`` with every ``ri`` of size ``R``. The factors
    are ``Ui(pi, ri)`` with ``pi`` of size ``s``, and every ``pi`` is sketched.

    Parameters
    ----------
    N
        The order, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"tucker:N=<N>"``, core first.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> tucker(2).inputs
    [('r1', 'r2'), ('p1', 'r1'), ('p2', 'r2')]
    """
    N = _check_count(N, "N", "tucker", 1, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    bonds = [f"r{i}" for i in range(1, N + 1)]
    tensors = [Tensor("G", tuple(bonds))]
    tensors += [Tensor(f"U{i}", (f"p{i}", f"r{i}")) for i in range(1, N + 1)]
    return _network(f"tucker:N={N}", tensors, _sizes(physical, bonds), physical, physical)


def cp(N: int) -> TensorNetwork:
    """Build a CP (canonical polyadic) network of order ``N``.

    The factors are ``Ai(pi, r)``. Unlike :func:`khatri_rao`, the hyperedge
    ``r`` (size ``R``) is summed, so the network is the tensor
    ``x = sum_r a1[:, r] ⊗ ... ⊗ aN[:, r]`` with output ``(p1, ..., pN)``.

    Parameters
    ----------
    N
        The order, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"cp:N=<N>"``.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> net = cp(2)
    >>> net.inputs, net.output
    ([('p1', 'r'), ('p2', 'r')], ('p1', 'p2'))
    """
    N = _check_count(N, "N", "cp", 1, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    tensors = [Tensor(f"A{i}", (f"p{i}", "r")) for i in range(1, N + 1)]
    return _network(f"cp:N={N}", tensors, _sizes(physical, ["r"]), physical, physical)


def tree(N: int) -> TensorNetwork:
    """Build a balanced binary tree tensor network with ``N`` leaves.

    Leaf ``i`` is ``Li(pi, bi)`` with ``pi`` of size ``s`` (sketched) and the
    bond ``bi`` of size ``R`` to its parent. The internal node over leaves
    ``lo..hi`` is ``I{lo}_{hi}``. It carries the bonds to its two children and,
    unless it is the root ``I1_N``, the bond ``b{lo}_{hi}`` to its parent. A
    node over ``n`` leaves gives its left child ``ceil(n / 2)`` of them.

    Tensors are listed leaves first, then internal nodes children before
    parents, so the root comes last.

    Parameters
    ----------
    N
        The number of leaves, from 2 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"tree:N=<N>"``, with ``N`` leaves and ``N - 1``
        internal nodes.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> tree(3).inputs
    [('p1', 'b1'), ('p2', 'b2'), ('p3', 'b3'), ('b1', 'b2', 'b1_2'), ('b1_2', 'b3')]
    """
    N = _check_count(N, "N", "tree", 2, MAX_ORDER)
    physical = [f"p{i}" for i in range(1, N + 1)]
    leaves = [Tensor(f"L{i}", (f"p{i}", f"b{i}")) for i in range(1, N + 1)]
    internal: list[Tensor] = []
    bonds = [f"b{i}" for i in range(1, N + 1)]

    def bond_above(lo: int, hi: int) -> Index:
        return f"b{lo}" if lo == hi else f"b{lo}_{hi}"

    def build(lo: int, hi: int) -> None:
        # Adds the internal nodes of the subtree over leaves lo..hi (inclusive, hi > lo).
        middle = lo + (hi - lo + 1 + 1) // 2 - 1
        for child_lo, child_hi in ((lo, middle), (middle + 1, hi)):
            if child_hi > child_lo:
                build(child_lo, child_hi)
        indices = (bond_above(lo, middle), bond_above(middle + 1, hi))
        if (lo, hi) != (1, N):
            indices += (bond_above(lo, hi),)
            bonds.append(bond_above(lo, hi))
        internal.append(Tensor(f"I{lo}_{hi}", indices))

    build(1, N)
    return _network(f"tree:N={N}", leaves + internal, _sizes(physical, bonds), physical, physical)


def peps(rows: int, cols: int) -> TensorNetwork:
    """Build a PEPS (projected entangled pair state) on a ``rows × cols`` grid.

    The site in row ``i`` and column ``j`` (both counted from 1) is
    ``A{i}_{j}``. Its indices are the physical index ``p{i}_{j}`` (size ``s``,
    sketched) followed by its bonds (size ``R``) in the order left, up, right,
    down. The horizontal bond ``h{i}_{j}`` joins columns ``j`` and ``j + 1``,
    and the vertical bond ``v{i}_{j}`` joins rows ``i`` and ``i + 1``. Sites
    are listed row by row.

    Parameters
    ----------
    rows, cols
        The grid shape, each from 1 to :data:`MAX_GRID_SIDE`.

    Returns
    -------
    TensorNetwork
        The network named ``"peps:rows=<rows>,cols=<cols>"``.

    Raises
    ------
    SpecError
        If ``rows`` or ``cols`` is not an integer in range.

    Examples
    --------
    >>> peps(1, 2).inputs
    [('p1_1', 'h1_1'), ('p1_2', 'h1_1')]
    """
    rows = _check_count(rows, "rows", "peps", 1, MAX_GRID_SIDE)
    cols = _check_count(cols, "cols", "peps", 1, MAX_GRID_SIDE)
    physical: list[Index] = []
    bonds: list[Index] = []
    tensors = []
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            site = [f"p{i}_{j}"]
            if j > 1:
                site.append(f"h{i}_{j - 1}")
            if i > 1:
                site.append(f"v{i - 1}_{j}")
            if j < cols:
                site.append(f"h{i}_{j}")
                bonds.append(f"h{i}_{j}")
            if i < rows:
                site.append(f"v{i}_{j}")
                bonds.append(f"v{i}_{j}")
            physical.append(site[0])
            tensors.append(Tensor(f"A{i}_{j}", tuple(site)))
    return _network(f"peps:rows={rows},cols={cols}", tensors, _sizes(physical, bonds), physical, physical)


def mpo(N: int) -> TensorNetwork:
    """Build a matrix product operator of order ``N``.

    The cores are ``Wi(r{i-1}, pi, qi, ri)``, without ``r0`` and ``rN``. The
    input-side indices ``pi`` (size ``s``) are sketched and the output-side
    indices ``qi`` (size ``s``) are kept. The bonds ``ri`` have size ``R``.
    The output is ``(p1, ..., pN, q1, ..., qN)``, so the network reads as an
    ``s**N × s**N`` matrix with rows ``p``.

    Parameters
    ----------
    N
        The order, from 1 to :data:`MAX_ORDER`.

    Returns
    -------
    TensorNetwork
        The network named ``"mpo:N=<N>"``.

    Raises
    ------
    SpecError
        If ``N`` is not an integer in range.

    Examples
    --------
    >>> net = mpo(2)
    >>> net.inputs
    [('p1', 'q1', 'r1'), ('r1', 'p2', 'q2')]
    >>> net.kept
    ('q1', 'q2')
    """
    N = _check_count(N, "N", "mpo", 1, MAX_ORDER)
    inputs = [f"p{i}" for i in range(1, N + 1)]
    outputs = [f"q{i}" for i in range(1, N + 1)]
    bonds = [f"r{i}" for i in range(1, N)]

    tensors = []
    for i in range(1, N + 1):
        left = (f"r{i - 1}",) if i > 1 else ()
        right = (f"r{i}",) if i < N else ()
        tensors.append(Tensor(f"W{i}", left + (f"p{i}", f"q{i}") + right))

    return _network(f"mpo:N={N}", tensors, _sizes(inputs + outputs, bonds), inputs + outputs, inputs)


# Registry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Builtin:
    """A built-in structure: its command-line name, builder and parameter names."""

    name: str
    builder: Callable[..., TensorNetwork]
    parameters: tuple[str, ...]
    description: str

    def example(self) -> str:
        """Return a sample built-in text for this structure, such as ``"tt:N=4"``."""
        values = {"N": 4, "rows": 2, "cols": 3}
        return f"{self.name}:" + ",".join(f"{p}={values[p]}" for p in self.parameters)


#: The built-in structures by command-line name.
BUILTINS: Mapping[str, Builtin] = {
    entry.name: entry
    for entry in (
        Builtin("tt", tensor_train, ("N",), "tensor train (matrix product state)"),
        Builtin("khatri-rao", khatri_rao, ("N",), "Khatri-Rao product, open hyperedge r"),
        Builtin("kronecker", kronecker, ("N",), "Kronecker product of vectors"),
        Builtin("tucker", tucker, ("N",), "Tucker core with factor matrices"),
        Builtin("cp", cp, ("N",), "CP format, summed hyperedge r"),
        Builtin("tree", tree, ("N",), "balanced binary tree tensor network"),
        Builtin("peps", peps, ("rows", "cols"), "PEPS on a grid"),
        Builtin("mpo", mpo, ("N",), "matrix product operator"),
    )
}

_BUILTIN_TEXT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?::(.*))?$", re.DOTALL)


def builtin_name(text: str) -> str | None:
    """Return the structure name of a built-in text, or None if ``text`` does not name one.

    Only the part before ``:`` is checked; the parameters are not.

    Examples
    --------
    >>> builtin_name("peps:rows=2,cols=3"), builtin_name("ab,bc->ac")
    ('peps', None)
    """
    match = _BUILTIN_TEXT.match(text)
    if match is None or match.group(1) not in BUILTINS:
        return None
    return match.group(1)


def _valid_builtins() -> str:
    return ", ".join(entry.example() for entry in BUILTINS.values())


def parse_builtin(text: str) -> TensorNetwork:
    """Build a built-in structure from text such as ``"tt:N=6"`` or ``"peps:rows=2,cols=3"``.

    Parameters
    ----------
    text
        ``name:param=value,...`` with a name from :data:`BUILTINS` and every
        parameter of that structure given once as an integer.

    Returns
    -------
    TensorNetwork
        The structure, sketching its physical indices.

    Raises
    ------
    SpecError
        For an unknown name (the message lists the valid ones), an unknown,
        repeated or missing parameter, or a value that is not an integer in
        range.

    Examples
    --------
    >>> parse_builtin("peps:rows=2,cols=2").name
    'peps:rows=2,cols=2'
    >>> len(parse_builtin("khatri-rao:N=4").tensors)
    4
    """
    if not isinstance(text, str):
        raise SpecError(f"invalid built-in {text!r}: expected text such as 'tt:N=6'")
    match = _BUILTIN_TEXT.match(text)
    if match is None:
        raise SpecError(f"invalid built-in {text!r}: write name:param=value, one of {_valid_builtins()}")
    name, arguments = match.group(1), match.group(2)
    if name not in BUILTINS:
        raise SpecError(f"unknown built-in structure {name!r}; valid built-ins: {_valid_builtins()}")
    entry = BUILTINS[name]
    usage = entry.example()

    values: dict[str, int] = {}
    for item in (arguments or "").split(","):
        item = item.strip()
        if not item:
            continue
        parameter, sep, raw = (part.strip() for part in item.partition("="))
        if not sep or not parameter:
            raise SpecError(f"{name}: invalid parameter {item!r}; write param=value, for example {usage}")
        if parameter not in entry.parameters:
            raise SpecError(
                f"{name}: unknown parameter {parameter!r}; valid parameters: {', '.join(entry.parameters)} "
                f"(for example {usage})"
            )
        if parameter in values:
            raise SpecError(f"{name}: parameter {parameter!r} is given twice in {text!r}")
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise SpecError(f"{name}: {parameter}={raw!r} is not an integer; for example {usage}")
        if len(raw.lstrip("+-")) > 18:
            raise SpecError(f"{name}: {parameter}={raw[:20]!r}... is too large; for example {usage}")
        values[parameter] = int(raw)

    missing = [p for p in entry.parameters if p not in values]
    if missing:
        raise SpecError(f"{name}: missing parameter {', '.join(missing)}; for example {usage}")
    return entry.builder(**values)


def physical_indices(network: TensorNetwork) -> tuple[Index, ...]:
    """Return the indices that ``--sketch all`` selects for ``network``.

    For a built-in structure (recognised by its ``name``, tensors and output)
    these are its physical indices, such as the ``pi`` of a tensor train or
    the input-side ``pi`` of an MPO, whatever the network currently sketches.
    For any other network they are all of its open indices.

    Examples
    --------
    >>> physical_indices(khatri_rao(2).with_sketch([]))
    ('p1', 'p2')
    >>> physical_indices(TensorNetwork.from_inputs([("a", "i"), ("i", "b")], size_dict={"a": 2, "b": 2, "i": 3}))
    ('a', 'b')
    """
    if builtin_name(network.name) is not None:
        try:
            reference = parse_builtin(network.name)
        except SpecError:
            reference = None
        if reference is not None and reference.tensors == network.tensors and reference.output == network.output:
            return reference.sketched
    return tuple(network.output or ())
