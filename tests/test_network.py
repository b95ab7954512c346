"""Tests of sizes and of the network model: validation, open, sketched and kept indices, graph view."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy

from tncost.errors import NetworkError, SizeError
from tncost.network import Tensor, TensorNetwork
from tncost.structures import khatri_rao, kronecker, tensor_train
from tncost.symbolic.sizes import (
    is_numeric,
    parse_size,
    parse_size_assignments,
    product,
    size_symbol,
    substitute,
)

s, R, m = size_symbol("s"), size_symbol("R"), size_symbol("m")


# Sizes -------------------------------------------------------------------------------

VALID_SIZES = [
    pytest.param(64, 64, id="int"),
    pytest.param("64", 64, id="int-text"),
    pytest.param(np.int64(5), 5, id="numpy-int"),
    pytest.param(10**30, 10**30, id="huge-int"),
    pytest.param("10**30", 10**30, id="huge-int-text"),
    pytest.param("s", s, id="symbol-text"),
    # A symbol without assumptions is the same size as the positive integer one.
    pytest.param(sympy.Symbol("s"), s, id="plain-symbol"),
    pytest.param("R**2", R**2, id="power"),
    pytest.param("2*m*s", 2 * m * s, id="product"),
    pytest.param("4*s*R**2", 4 * s * R**2, id="coefficient"),
    pytest.param("s**(3/2)", s ** sympy.Rational(3, 2), id="rational-exponent"),
    pytest.param("m**(1/2)*s", sympy.sqrt(m) * s, id="square-root"),
    # s**0 is the number 1, which is a valid size.
    pytest.param("s**0", 1, id="zeroth-power"),
]


@pytest.mark.parametrize(("value", "expected"), VALID_SIZES)
def test_parse_size_valid(value, expected):
    assert parse_size(value) == expected


@pytest.mark.parametrize(("value", "kind"), [(64, int), ("64", int), ("s", sympy.Symbol), ("R**2", sympy.Pow)], ids=str)
def test_parse_size_type(value, kind):
    assert isinstance(parse_size(value), kind)


def test_parse_size_symbol_assumptions():
    size = parse_size(sympy.Symbol("s", real=True))
    assert size.is_positive
    assert size.is_integer


INVALID_SIZES = [
    pytest.param(0, r"invalid size 0: sizes must be positive integers", id="zero"),
    pytest.param(-3, r"invalid size -3: sizes must be positive integers", id="negative"),
    pytest.param("0", r"invalid size '0'", id="zero-text"),
    pytest.param(1.5, r"invalid size 1.5: .*not fractions", id="float"),
    pytest.param(np.float64(2.5), r"invalid size .*2.5.*not fractions", id="numpy-float"),
    pytest.param("2.0", r"invalid size '2.0'", id="float-text"),
    pytest.param("1/2", r"invalid size '1/2'", id="fraction"),
    pytest.param("s/2", r"constant factor 1/2 is not a positive integer", id="fraction-coefficient"),
    pytest.param("-s", r"constant factor -1 is not a positive integer", id="negative-symbol"),
    pytest.param("s+1", r"sums are not sizes", id="sum"),
    pytest.param("s-R", r"sums are not sizes", id="difference"),
    pytest.param("s**-1", r"factor 1/s is not a positive power", id="negative-exponent"),
    pytest.param("s**0.5", r"factor s\*\*0.5 is not a positive power", id="float-exponent"),
    pytest.param("s**R", r"factor s\*\*R is not a positive power", id="symbolic-exponent"),
    pytest.param(True, r"not booleans", id="true"),
    pytest.param(False, r"not booleans", id="false"),
    pytest.param("", r"invalid size ''", id="empty"),
    pytest.param("   ", r"invalid size ''", id="blank"),
    pytest.param(None, r"of type NoneType", id="none"),
    pytest.param([4], r"of type list", id="list"),
    pytest.param("s.func", r"use only numbers, symbol names", id="attribute-access"),
    pytest.param("s[0]", r"use only numbers, symbol names", id="subscript"),
    pytest.param("lambda", r"not a number or a symbol expression", id="keyword"),
]


@pytest.mark.parametrize(("value", "match"), INVALID_SIZES)
def test_parse_size_invalid(value, match):
    with pytest.raises(SizeError, match=match):
        parse_size(value)


def test_parse_size_undeclared_symbol():
    with pytest.raises(SizeError, match=r"size 's\*R' uses undeclared symbol\(s\) R; declared symbols: s"):
        parse_size("s*R", declared=["s"])


def test_parse_size_declared_symbol():
    assert parse_size("s**2", declared=["s"]) == s**2


def test_is_numeric_int_and_symbol():
    assert is_numeric(7)
    assert not is_numeric(s)


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([2, 3, 7], 42),
        ([], 1),
        ([2, s, R, s], 2 * s**2 * R),
        ([10**30, 10**30], 10**60),
    ],
    ids=["ints", "empty", "symbols", "huge"],
)
def test_product_exact(sizes, expected):
    assert product(sizes) == expected


def test_product_ints_stay_int():
    assert type(product([10**30, 10**30])) is int


@pytest.mark.parametrize(
    ("size", "values", "expected"),
    [
        (s**2, {"s": 3}, 9),
        (s * R, {"s": 3}, 3 * R),
        (s ** sympy.Rational(3, 2), {"s": 4}, 8),
        (5, {"s": 3}, 5),
        (s, {"s": np.int64(6)}, 6),
    ],
    ids=["power", "partial", "rational-exponent", "int-unchanged", "numpy-value"],
)
def test_substitute_values(size, values, expected):
    assert substitute(size, values) == expected


@pytest.mark.parametrize(
    ("size", "values", "match"),
    [
        (sympy.sqrt(m), {"m": 2}, r"size sqrt\(m\) is not an integer at \{'m': 2\}"),
        (s, {"s": 2.5}, r"invalid value 2.5 for symbol s"),
        (s, {"s": True}, r"invalid value True for symbol s"),
        (s, {"s": 0}, r"invalid value 0 for symbol s"),
        (s, {"s": "8"}, r"invalid value '8' for symbol s"),
    ],
    ids=["irrational-result", "float-value", "bool-value", "zero-value", "text-value"],
)
def test_substitute_invalid(size, values, match):
    with pytest.raises(SizeError, match=match):
        substitute(size, values)


def test_size_assignments_parse():
    assert parse_size_assignments(" s=1000, R=20 ,") == {"s": 1000, "R": 20}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("s", r"invalid size assignment 's': write name=value"),
        ("1s=3", r"invalid size assignment '1s=3'"),
        ("s=abc", r"invalid value 'abc' for s"),
        ("s=2.5", r"invalid value '2.5' for s"),
        ("s=0", r"invalid value 0 for s"),
        ("s=-4", r"invalid value -4 for s"),
        ("s=1,s=2", r"size s is given twice"),
    ],
    ids=["no-value", "bad-name", "text-value", "float-value", "zero", "negative", "twice"],
)
def test_size_assignments_invalid(text, match):
    with pytest.raises(SizeError, match=match):
        parse_size_assignments(text)


# Tensors and network validation -----------------------------------------------------


def test_tensor_indices_become_tuple():
    assert Tensor("x", ["a", "b"]).indices == ("a", "b")


@pytest.mark.parametrize(
    ("name", "indices", "kind", "match"),
    [
        ("", ("a",), "data", r"invalid tensor name ''"),
        ("x", ("a", ""), "data", r"tensor x: invalid index ''"),
        ("x", ("a", 3), "data", r"tensor x: invalid index 3"),
        ("x", ("a", "b", "a"), "data", r"repeats index 'a'.*traces and diagonals are not modeled"),
        ("x", ("a",), "sketch", r"invalid kind 'sketch'"),
    ],
    ids=["empty-name", "empty-index", "int-index", "repeated-index", "bad-kind"],
)
def test_tensor_invalid(name, indices, kind, match):
    with pytest.raises(NetworkError, match=match):
        Tensor(name, indices, kind)


def _network(inputs, sizes, output=None, sketched=(), names=None):
    return TensorNetwork.from_inputs(inputs, output, sizes, sketched, names=names)


INVALID_NETWORKS = [
    pytest.param([], {}, None, (), NetworkError, r"needs at least one tensor", id="no-tensors"),
    pytest.param([("a", "b")], {"a": 2}, None, (), SizeError, r"index 'b' has no size", id="missing-size"),
    pytest.param(
        [("a", "b")], {"a": 2, "b": 2, "z": 3}, None, (), NetworkError, r"size given for unknown index 'z'", id="size-for-unknown"
    ),
    pytest.param([("a", "b")], {"a": 2, "b": 0}, None, (), SizeError, r"index 'b': invalid size 0", id="zero-size"),
    pytest.param([("a", "b")], {"a": 2, "b": -2}, None, (), SizeError, r"index 'b': invalid size -2", id="negative-size"),
    pytest.param([("a", "b")], {"a": 2, "b": 2.5}, None, (), SizeError, r"index 'b': invalid size 2.5", id="float-size"),
    pytest.param([("a", "b")], {"a": 2, "b": "s+R"}, None, (), SizeError, r"index 'b': .*sums are not sizes", id="sum-size"),
    pytest.param([("a", "b")], {"a": 2, "b": True}, None, (), SizeError, r"index 'b': .*not booleans", id="bool-size"),
    pytest.param([("a", "a")], {"a": 2}, None, (), NetworkError, r"traces and diagonals are not modeled", id="trace"),
    pytest.param([("a", "b")], {"a": 2, "b": 2}, ("z",), (), NetworkError, r"output index 'z' is on no tensor", id="unknown-output"),
    pytest.param(
        [("a", "b")], {"a": 2, "b": 2}, ("a", "a"), (), NetworkError, r"output index 'a' is listed twice", id="output-twice"
    ),
    pytest.param(
        [("a", "b")], {"a": 2, "b": 2}, None, ("z",), NetworkError, r"sketched index 'z' is on no tensor", id="unknown-sketched"
    ),
    pytest.param(
        [("a", "b"), ("b", "c")],
        {"a": 2, "b": 2, "c": 2},
        None,
        ("b",),
        NetworkError,
        r"sketched index 'b' is not open \(it is summed\); only open indices \(a, c\)",
        id="sketched-summed",
    ),
    pytest.param(
        [("i", "r"), ("j", "r")],
        {"i": 2, "j": 2, "r": 2},
        ("i", "j", "r"),
        ("r",),
        NetworkError,
        r"sketched index 'r' sits on 2 tensors \(T0, T1\)",
        id="sketched-hyperedge",
    ),
    pytest.param(
        [("a", "b")], {"a": 2, "b": 2}, None, ("a", "a"), NetworkError, r"sketched index 'a' is listed twice", id="sketched-twice"
    ),
]


@pytest.mark.parametrize(("inputs", "sizes", "output", "sketched", "error", "match"), INVALID_NETWORKS)
def test_network_invalid(inputs, sizes, output, sketched, error, match):
    with pytest.raises(error, match=match):
        _network(inputs, sizes, output, sketched)


def test_network_duplicate_tensor_names():
    with pytest.raises(NetworkError, match=r"tensor name 'X' is used 2 times"):
        _network([("a",), ("a",)], {"a": 2}, names=["X", "X"])


def test_network_name_count_mismatch():
    with pytest.raises(NetworkError, match=r"1 tensor names given for 2 tensors"):
        _network([("a",), ("a",)], {"a": 2}, names=["X"])


def test_network_rejects_non_tensor():
    with pytest.raises(NetworkError, match=r"expected Tensor objects"):
        TensorNetwork((("a", "b"),), {"a": 2, "b": 2})  # type: ignore[arg-type]


def test_network_unknown_index_lookup():
    with pytest.raises(NetworkError, match=r"unknown index 'z'; the network's indices are a, b"):
        _network([("a", "b")], {"a": 2, "b": 2}).positions("z")


def test_network_unknown_tensor_lookup():
    with pytest.raises(NetworkError, match=r"unknown tensor 'Q'; the tensors are T0"):
        _network([("a", "b")], {"a": 2, "b": 2}).position("Q")


# Default output, kept and sketched --------------------------------------------------

DEFAULT_OUTPUTS = [
    # a and c sit on one tensor each, but b sits on two, so it is summed.
    pytest.param([("a", "b"), ("b", "c")], ("a", "c"), id="matrix-product"),
    # The output follows first appearance, not the alphabet.
    pytest.param([("c", "b"), ("b", "a")], ("c", "a"), id="first-appearance"),
    # r sits on three tensors: a summed hyperedge unless listed as open.
    pytest.param([("i", "r"), ("j", "r"), ("k", "r")], ("i", "j", "k"), id="summed-hyperedge"),
    # No index is shared: every index is open (an outer product).
    pytest.param([("a",), ("b",)], ("a", "b"), id="outer-product"),
    # Every index is shared: a scalar.
    pytest.param([("a", "b"), ("b", "a")], (), id="scalar"),
]


@pytest.mark.parametrize(("inputs", "expected"), DEFAULT_OUTPUTS)
def test_default_output(inputs, expected):
    sizes = {index: 2 for operand in inputs for index in operand}
    assert _network(inputs, sizes).output == expected


def test_explicit_empty_output():
    assert _network([("a", "b")], {"a": 2, "b": 2}, output=()).output == ()


def test_kept_follows_output_order():
    net = _network([("a", "b", "c")], {"a": 2, "b": 3, "c": 4}, output=("c", "a", "b"), sketched=("a",))
    assert net.kept == ("c", "b")


def test_open_hyperedge_is_kept():
    net = khatri_rao(3)
    assert net.sketched == ("p1", "p2", "p3")
    assert net.kept == ("r",)


def test_with_sketch_empty():
    net = tensor_train(3).with_sketch(())
    assert net.sketched == ()
    assert net.kept == ("p1", "p2", "p3")


def test_with_sketch_keeps_sizes():
    net = tensor_train(3).with_sketch(("p2",))
    assert net.kept == ("p1", "p3")
    assert dict(net.size_dict) == dict(tensor_train(3).size_dict)


def test_symbols_sorted():
    net = _network([("a", "b", "c")], {"a": "s", "b": "R**2", "c": "m*s"})
    assert net.symbols == ("R", "m", "s")


def test_numeric_network_has_no_symbols():
    net = _network([("a", "b")], {"a": 2, "b": 3})
    assert net.symbols == ()
    assert net.is_numeric


def test_at_sizes_substitutes():
    net = _network([("a", "b", "c")], {"a": "s", "b": "R**2", "c": "s**(1/2)"}).at_sizes({"s": 4, "R": 3})
    assert dict(net.size_dict) == {"a": 4, "b": 9, "c": 2}


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"s": 2}, r"no value for symbol\(s\) R"),
        ({"s": 2, "R": 3, "q": 1}, r"unknown symbol\(s\) q; the network's symbols are R, s"),
        ({"s": 2, "R": 0}, r"invalid value 0 for symbol R"),
        # A fractional value must not be truncated to 16 silently.
        ({"s": 16.5, "R": 3}, r"invalid value 16.5 for symbol s"),
        ({"s": True, "R": 3}, r"invalid value True for symbol s"),
    ],
    ids=["missing", "unknown", "zero", "float", "bool"],
)
def test_at_sizes_invalid(values, match):
    net = _network([("a", "b")], {"a": "s", "b": "R"})
    with pytest.raises(SizeError, match=match):
        net.at_sizes(values)


def test_at_sizes_irrational_size():
    net = _network([("a", "b")], {"a": "s**(1/2)", "b": 2})
    with pytest.raises(SizeError, match=r"not an integer"):
        net.at_sizes({"s": 2})


def test_network_equality_ignores_name():
    first = _network([("a", "b")], {"a": 2, "b": 3})
    second = TensorNetwork.from_inputs([("a", "b")], None, {"a": 2, "b": 3}, name="other")
    assert first == second


def test_network_equality_sees_sketch():
    net = _network([("a", "b")], {"a": 2, "b": 3})
    assert net != net.with_sketch(("a",))


def test_network_size_dict_is_read_only():
    net = _network([("a", "b")], {"a": 2, "b": 3})
    with pytest.raises(TypeError):
        net.size_dict["a"] = 5  # type: ignore[index]


# Graph view and connected components ------------------------------------------------


def test_graph_is_bipartite():
    graph = tensor_train(4).graph()
    tensors = {node for node in graph if node[0] == "tensor"}
    assert nx.is_bipartite(graph)
    assert all((u[0] == "tensor") != (v[0] == "tensor") for u, v in graph.edges)
    assert nx.algorithms.bipartite.is_bipartite_node_set(graph, tensors)


def test_graph_node_and_edge_counts():
    # tt:N=4 has 4 tensors and 4 + 3 indices. Its tensors have 2 + 3 + 3 + 2 = 10 index slots.
    graph = tensor_train(4).graph()
    assert graph.number_of_nodes() == 4 + 7
    assert graph.number_of_edges() == 10


def test_graph_hyperedge_degree():
    # In khatri-rao:N=3 the open index r sits on A1, A2 and A3.
    graph = khatri_rao(3).graph()
    assert graph.degree[("index", "r")] == 3
    assert graph.degree[("index", "p1")] == 1


def test_graph_index_roles():
    graph = khatri_rao(2).graph()
    assert graph.nodes[("index", "p1")]["role"] == "sketched"
    assert graph.nodes[("index", "r")]["role"] == "kept"


def test_graph_inner_role_and_size():
    graph = tensor_train(3).graph()
    assert graph.nodes[("index", "r1")]["role"] == "inner"
    assert graph.nodes[("index", "r1")]["size"] == R


def test_graph_tensor_attributes():
    graph = tensor_train(2).graph()
    assert graph.nodes[("tensor", 1)]["name"] == "G2"
    assert graph.nodes[("tensor", 1)]["kind"] == "data"


COMPONENTS = [
    pytest.param(tensor_train(4), [(0, 1, 2, 3)], id="tensor-train"),
    pytest.param(kronecker(3), [(0,), (1,), (2,)], id="kronecker"),
    # T0 and T1 share b while T2 is alone. In the last case r joins T0 and T2 but not T1.
    pytest.param(_network([("a", "b"), ("b", "c"), ("d",)], {i: 2 for i in "abcd"}), [(0, 1), (2,)], id="mixed"),
    pytest.param(_network([("i", "r"), ("j",), ("k", "r")], {i: 2 for i in "ijkr"}), [(0, 2), (1,)], id="hyperedge-skip"),
]


@pytest.mark.parametrize(("network", "expected"), COMPONENTS)
def test_connected_components(network, expected):
    assert network.connected_components() == expected
