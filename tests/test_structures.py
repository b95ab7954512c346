"""Tests for the built-in structures: shapes, numeric contents, names and bad arguments."""

from __future__ import annotations

import itertools

import numpy as np
import opt_einsum
import pytest
import sympy

from tncost import structures
from tncost.errors import SpecError
from tncost.network import TensorNetwork
from tncost.structures import (
    BUILTINS,
    cp,
    khatri_rao,
    kronecker,
    mpo,
    parse_builtin,
    peps,
    physical_indices,
    tensor_train,
    tree,
    tucker,
)

s, R = sympy.Symbol("s", positive=True, integer=True), sympy.Symbol("R", positive=True, integer=True)

# Counts worked out by hand from each structure's definition:
# (text, tensors, indices, sketched, kept)
SHAPES = [
    ("tt:N=1", 1, 1, ("p1",), ()),
    ("tt:N=6", 6, 6 + 5, tuple(f"p{i}" for i in range(1, 7)), ()),
    ("khatri-rao:N=4", 4, 4 + 1, ("p1", "p2", "p3", "p4"), ("r",)),
    ("kronecker:N=4", 4, 4, ("p1", "p2", "p3", "p4"), ()),
    ("tucker:N=3", 1 + 3, 3 + 3, ("p1", "p2", "p3"), ()),
    ("cp:N=3", 3, 3 + 1, ("p1", "p2", "p3"), ()),
    ("tree:N=2", 3, 2 + 2, ("p1", "p2"), ()),
    ("tree:N=5", 5 + 4, 5 + 8, tuple(f"p{i}" for i in range(1, 6)), ()),
    ("tree:N=8", 8 + 7, 8 + 14, tuple(f"p{i}" for i in range(1, 9)), ()),
    ("peps:rows=1,cols=1", 1, 1, ("p1_1",), ()),
    # 6 physical, 2 rows x 2 horizontal bonds, 1 x 3 vertical bonds
    ("peps:rows=2,cols=3", 6, 6 + 4 + 3, ("p1_1", "p1_2", "p1_3", "p2_1", "p2_2", "p2_3"), ()),
    ("mpo:N=1", 1, 2, ("p1",), ("q1",)),
    ("mpo:N=4", 4, 4 + 4 + 3, ("p1", "p2", "p3", "p4"), ("q1", "q2", "q3", "q4")),
]

EVERY_BUILTIN = [entry.example() for entry in BUILTINS.values()] + ["tt:N=1", "tree:N=2", "peps:rows=1,cols=1"]


@pytest.mark.parametrize(("text", "tensors", "indices", "sketched", "kept"), SHAPES, ids=[c[0] for c in SHAPES])
def test_builtin_shape(text, tensors, indices, sketched, kept):
    net = parse_builtin(text)
    assert net.name == text
    assert len(net.tensors) == tensors
    assert len(net.indices) == indices
    assert net.sketched == sketched
    assert net.kept == kept
    assert physical_indices(net) == sketched


@pytest.mark.parametrize("text", [c[0] for c in SHAPES])
def test_builtin_sizes_are_s_and_r(text):
    net = parse_builtin(text)
    open_indices = set(net.output)
    for index, size in net.size_dict.items():
        # Physical and MPO output indices have size s; every bond has size R.
        if index in open_indices and index != "r":
            assert size == s, index
        else:
            assert size == R, index


@pytest.mark.parametrize("text", [c[0] for c in SHAPES if not c[0].startswith(("khatri-rao", "cp"))])
def test_bonds_join_two_tensors(text):
    net = parse_builtin(text)
    for index in net.indices:
        expected = 1 if index in net.output else 2
        assert len(net.positions(index)) == expected, index


@pytest.mark.parametrize("builder", [khatri_rao, cp], ids=["khatri-rao", "cp"])
def test_hyperedge_on_every_factor(builder):
    net = builder(5)
    assert net.positions("r") == (0, 1, 2, 3, 4)
    assert ("r" in net.output) == (builder is khatri_rao)


def test_tree_degrees():
    net = tree(8)
    leaves, internal = net.tensors[:8], net.tensors[8:]
    assert [t.name for t in leaves] == [f"L{i}" for i in range(1, 9)]
    assert [len(t.indices) for t in leaves] == [2] * 8
    assert [len(t.indices) for t in internal[:-1]] == [3] * 6
    assert internal[-1].name == "I1_8"
    assert internal[-1].indices == ("b1_4", "b5_8")


def test_tree_odd_split():
    # Five leaves: the left child of the root takes ceil(5/2) = 3 of them.
    net = tree(5)
    assert net.tensors[-1].indices == ("b1_3", "b4_5")
    assert net.tensors[net.position("I1_3")].indices == ("b1_2", "b3", "b1_3")


def test_tree_is_connected_and_acyclic():
    for n in (2, 3, 7, 16):
        net = tree(n)
        bonds = [i for i in net.indices if i not in net.output]
        # A tree over V tensors has V - 1 edges and one component.
        assert len(bonds) == len(net.tensors) - 1
        assert len(net.connected_components()) == 1


def test_kronecker_is_disconnected():
    assert len(kronecker(4).connected_components()) == 4


def test_peps_bonds_follow_grid():
    net = peps(2, 2)
    assert net.inputs == [
        ("p1_1", "h1_1", "v1_1"),
        ("p1_2", "h1_1", "v1_2"),
        ("p2_1", "v1_1", "h2_1"),
        ("p2_2", "h2_1", "v1_2"),
    ]


# Numeric contents, checked against constructions that do not use the network ------------


def _arrays(net, values, seed=0):
    rng = np.random.default_rng(seed)
    numeric = net.at_sizes(values)
    return numeric, [rng.standard_normal(numeric.shape(k)) for k in range(len(net.tensors))]


def _contract(net, arrays):
    from tncost.io import einsum_equation

    return np.einsum(einsum_equation(net), *arrays)


def test_tt_matches_matrix_products():
    net, (g1, g2, g3) = _arrays(tensor_train(3), {"s": 3, "R": 2})
    expected = np.zeros((3, 3, 3))
    for i, j, k in itertools.product(range(3), repeat=3):
        expected[i, j, k] = g1[i, :] @ g2[:, j, :] @ g3[:, k]
    np.testing.assert_allclose(_contract(net, [g1, g2, g3]), expected)


def test_tt_rank_one_is_kronecker():
    net, arrays = _arrays(tensor_train(3), {"s": 2, "R": 1})
    vectors = [a.reshape(-1) for a in arrays]
    expected = np.kron(np.kron(vectors[0], vectors[1]), vectors[2])
    np.testing.assert_allclose(_contract(net, arrays).reshape(-1), expected)


def test_khatri_rao_matches_columnwise_kron():
    net, (a1, a2) = _arrays(khatri_rao(2), {"s": 3, "R": 4})
    expected = np.stack([np.kron(a1[:, r], a2[:, r]) for r in range(4)], axis=1)
    np.testing.assert_allclose(_contract(net, [a1, a2]).reshape(9, 4), expected)


def test_kronecker_matches_np_kron():
    net, arrays = _arrays(kronecker(3), {"s": 2})
    expected = np.kron(np.kron(arrays[0], arrays[1]), arrays[2])
    np.testing.assert_allclose(_contract(net, arrays).reshape(-1), expected)


def test_cp_matches_sum_of_outer_products():
    net, (a1, a2, a3) = _arrays(cp(3), {"s": 3, "R": 2})
    expected = sum(np.multiply.outer(np.multiply.outer(a1[:, r], a2[:, r]), a3[:, r]) for r in range(2))
    np.testing.assert_allclose(_contract(net, [a1, a2, a3]), expected)


def test_tucker_matches_mode_products():
    net, (core, u1, u2, u3) = _arrays(tucker(3), {"s": 4, "R": 2})
    expected = core
    for factor in (u1, u2, u3):
        # Mode product: contract the first remaining core mode, append the new mode last.
        expected = np.tensordot(expected, factor, axes=([0], [1]))
    np.testing.assert_allclose(_contract(net, [core, u1, u2, u3]), expected)


def test_tree_matches_nested_products():
    net, arrays = _arrays(tree(4), {"s": 2, "R": 3})
    l1, l2, l3, l4, left, right, root = arrays
    # Left subtree: y[p1, p2, b12] = sum L1[p1, b1] L2[p2, b2] I12[b1, b2, b12].
    y12 = np.tensordot(np.tensordot(l1, left, axes=([1], [0])), l2, axes=([1], [1])).transpose(0, 2, 1)
    y34 = np.tensordot(np.tensordot(l3, right, axes=([1], [0])), l4, axes=([1], [1])).transpose(0, 2, 1)
    expected = np.tensordot(np.tensordot(y12, root, axes=([2], [0])), y34, axes=([2], [2]))
    np.testing.assert_allclose(_contract(net, arrays), expected)


def test_mpo_bond_one_is_kronecker_of_matrices():
    net, (w1, w2) = _arrays(mpo(2), {"s": 3, "R": 1})
    m1, m2 = w1.reshape(3, 3), w2.reshape(3, 3)
    # Output order (p1, p2, q1, q2): rows are the p indices, columns the q indices.
    np.testing.assert_allclose(_contract(net, [w1, w2]).reshape(9, 9), np.kron(m1, m2))


@pytest.mark.parametrize("text", EVERY_BUILTIN)
def test_builtin_accepted_by_opt_einsum(text):
    from tncost.io import einsum_equation, to_opt_einsum

    symbolic = parse_builtin(text)
    net = symbolic.at_sizes({name: {"s": 3, "R": 2}[name] for name in symbolic.symbols})
    shapes = [net.shape(k) for k in range(len(net.tensors))]
    path, info = opt_einsum.contract_path(einsum_equation(net), *shapes, shapes=True, optimize="greedy")
    assert info.opt_cost > 0
    if len(net.tensors) > 1:
        assert len(path) == len(net.tensors) - 1
        inputs, output, size_dict = to_opt_einsum(net)
        greedy = opt_einsum.paths.greedy([set(ix) for ix in inputs], set(output), size_dict)
        assert len(greedy) == len(net.tensors) - 1


# Registry and parsing -----------------------------------------------------------------


def test_registry_names():
    assert list(BUILTINS) == ["tt", "khatri-rao", "kronecker", "tucker", "cp", "tree", "peps", "mpo"]
    assert BUILTINS["peps"].parameters == ("rows", "cols")


@pytest.mark.parametrize("text", EVERY_BUILTIN)
def test_name_rebuilds_network(text):
    net = parse_builtin(text)
    assert parse_builtin(net.name) == net


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tt:N=4", tensor_train(4)),
        (" tt : N = 4 ", tensor_train(4)),
        ("peps:cols=3,rows=2", peps(2, 3)),
        ("mpo:N=+2", mpo(2)),
    ],
    ids=["plain", "spaces", "parameter-order", "plus-sign"],
)
def test_parse_builtin_forms(text, expected):
    assert parse_builtin(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("train:N=3", r"unknown built-in structure 'train'; valid built-ins: tt:N=4, khatri-rao:N=4"),
        ("tt", r"tt: missing parameter N; for example tt:N=4"),
        ("peps:rows=2", r"peps: missing parameter cols"),
        ("tt:M=3", r"tt: unknown parameter 'M'; valid parameters: N"),
        ("tt:N=x", r"tt: N='x' is not an integer"),
        ("tt:N=3.5", r"tt: N='3.5' is not an integer"),
        ("tt:N=", r"tt: N='' is not an integer"),
        ("tt:N", r"tt: invalid parameter 'N'; write param=value"),
        ("tt:N=3,N=4", r"tt: parameter 'N' is given twice"),
        ("tt:N=0", r"tt: N=0 is out of range; use an integer from 1 to 4096"),
        ("tree:N=1", r"tree: N=1 is out of range; use an integer from 2 to 4096"),
        ("peps:rows=2,cols=65", r"peps: cols=65 is out of range; use an integer from 1 to 64"),
        ("3tt:N=2", r"invalid built-in '3tt:N=2'"),
    ],
    ids=[
        "unknown-name",
        "no-parameters",
        "missing-one",
        "unknown-parameter",
        "letters",
        "fraction",
        "empty-value",
        "no-equals",
        "repeated",
        "zero",
        "tree-one-leaf",
        "grid-too-wide",
        "bad-name",
    ],
)
def test_parse_builtin_errors(text, match):
    with pytest.raises(SpecError, match=match):
        parse_builtin(text)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: tensor_train(0), r"tt: N=0 is out of range; use an integer from 1 to 4096"),
        (lambda: khatri_rao(4097), r"khatri-rao: N=4097 is out of range"),
        (lambda: kronecker(-1), r"kronecker: N=-1 is out of range"),
        (lambda: tucker(2.0), r"tucker: N=2.0 is not an integer"),
        (lambda: cp(True), r"cp: N=True is not an integer"),
        (lambda: mpo("3"), r"mpo: N='3' is not an integer"),
        (lambda: tree(1), r"tree: N=1 is out of range; use an integer from 2"),
        (lambda: peps(0, 2), r"peps: rows=0 is out of range; use an integer from 1 to 64"),
        (lambda: peps(2, None), r"peps: cols=None is not an integer"),
    ],
    ids=["tt-zero", "kr-too-large", "kron-negative", "tucker-float", "cp-bool", "mpo-string", "tree-one", "peps-rows", "peps-none"],
)
def test_builder_argument_errors(call, match):
    with pytest.raises(SpecError, match=match):
        call()


def test_builder_accepts_numpy_integer():
    assert tensor_train(np.int64(3)) == tensor_train(3)


def test_largest_order_builds():
    net = tensor_train(structures.MAX_ORDER)
    assert len(net.tensors) == 4096


# Physical indices -----------------------------------------------------------------------


def test_physical_indices_ignore_current_sketch():
    assert physical_indices(mpo(2).with_sketch(["q1"])) == ("p1", "p2")


def test_physical_indices_survive_substitution():
    assert physical_indices(khatri_rao(3).at_sizes({"s": 5, "R": 2})) == ("p1", "p2", "p3")


def test_physical_indices_of_changed_builtin():
    # Same name, different output: no longer the built-in, so every open index counts.
    changed = khatri_rao(2).replace(output=("r", "p1", "p2"), sketched=())
    assert physical_indices(changed) == ("r", "p1", "p2")
    renamed = mpo(2).replace(name="custom")
    assert physical_indices(renamed) == ("p1", "p2", "q1", "q2")


def test_physical_indices_of_other_network():
    net = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], size_dict={"a": 2, "b": 2, "i": 3}, name="tt:N=9")
    assert physical_indices(net) == ("a", "b")


def test_builtin_name():
    assert structures.builtin_name("khatri-rao:N=2") == "khatri-rao"
    assert structures.builtin_name("tt") == "tt"
    assert structures.builtin_name("ttx:N=2") is None
    assert structures.builtin_name("ab,bc->ac") is None


def test_exports_have_docstrings():
    for name in structures.__all__:
        obj = getattr(structures, name)
        if callable(obj):
            assert obj.__doc__, name
