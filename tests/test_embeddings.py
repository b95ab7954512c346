"""Tests of the embedding model and the family constructors."""

from __future__ import annotations

import importlib
import inspect
import string

import numpy as np
import pytest
import sympy

from tncost.embeddings import (
    FAMILIES,
    Embedding,
    build_embedding,
    check_sequence,
    embedding_network,
    family_count,
    joint_network,
    register_family,
)
from tncost.embeddings import families as families_module
from tncost.embeddings.families import build_dense
from tncost.errors import NetworkError, SizeError
from tncost.network import Tensor, TensorNetwork
from tncost.symbolic.sizes import size_symbol


def kronecker(n: int, sizes: tuple[int, ...] = (2, 3, 4, 5, 6)) -> TensorNetwork:
    """N vectors X1(e1), ..., XN(eN) with s_{e_i} = sizes[i - 1], all sketched."""
    names = [f"e{i}" for i in range(1, n + 1)]
    return TensorNetwork.from_inputs(
        [(e,) for e in names],
        size_dict={e: s for e, s in zip(names, sizes)},
        sketched=names,
        names=[f"X{i}" for i in range(1, n + 1)],
    )


# Structure of each family, written out by hand -----------------------------------

DENSE = {n: [("S_dense", ("S_out",) + tuple(f"e{i}" for i in range(1, n + 1)))] for n in range(1, 6)}

KHATRI_RAO = {n: [(f"S_kr{i}", ("S_out", f"e{i}")) for i in range(1, n + 1)] for n in range(1, 6)}

TT = {
    1: [("S_tt1", ("S_out", "e1"))],
    2: [("S_tt1", ("S_r1", "e1")), ("S_tt2", ("S_out", "S_r1", "e2"))],
    3: [("S_tt1", ("S_r1", "e1")), ("S_tt2", ("S_r2", "S_r1", "e2")), ("S_tt3", ("S_out", "S_r2", "e3"))],
    4: [
        ("S_tt1", ("S_r1", "e1")),
        ("S_tt2", ("S_r2", "S_r1", "e2")),
        ("S_tt3", ("S_r3", "S_r2", "e3")),
        ("S_tt4", ("S_out", "S_r3", "e4")),
    ],
    5: [
        ("S_tt1", ("S_r1", "e1")),
        ("S_tt2", ("S_r2", "S_r1", "e2")),
        ("S_tt3", ("S_r3", "S_r2", "e3")),
        ("S_tt4", ("S_r4", "S_r3", "e4")),
        ("S_tt5", ("S_out", "S_r4", "e5")),
    ],
}

LEAVES = [(f"S_leaf{i}", (f"S_l{i}", f"e{i}")) for i in range(1, 6)]
TREE = {
    1: [("S_leaf1", ("S_out", "e1"))],
    2: LEAVES[:2] + [("S_node1", ("S_out", "S_l1", "S_l2"))],
    3: LEAVES[:3] + [("S_node1", ("S_n1", "S_l1", "S_l2")), ("S_node2", ("S_out", "S_n1", "S_l3"))],
    4: LEAVES[:4]
    + [
        ("S_node1", ("S_n1", "S_l1", "S_l2")),
        ("S_node2", ("S_n2", "S_l3", "S_l4")),
        ("S_node3", ("S_out", "S_n1", "S_n2")),
    ],
    5: LEAVES[:5]
    + [
        ("S_node1", ("S_n1", "S_l1", "S_l2")),
        ("S_node2", ("S_n2", "S_l3", "S_l4")),
        ("S_node3", ("S_n3", "S_n1", "S_n2")),
        ("S_node4", ("S_out", "S_n3", "S_l5")),
    ],
}

STRUCTURES = {"dense": DENSE, "khatri-rao": KHATRI_RAO, "tt": TT, "tree": TREE}
COUNTS = {"dense": lambda n: 1, "khatri-rao": lambda n: None, "tt": lambda n: n, "tree": lambda n: 2 * n - 1}
SEQUENCE_FAMILIES = ("dense", "tt", "tree")

CASES = [(family, n) for family in STRUCTURES for n in range(1, 6)]


@pytest.mark.parametrize("family, n", CASES, ids=[f"{f}-N{n}" for f, n in CASES])
def test_family_structure(family: str, n: int) -> None:
    net = kronecker(n)
    emb = build_embedding(family, net, 7)
    expected = STRUCTURES[family][n]

    assert [(t.name, t.indices) for t in emb.tensors] == expected
    assert all(t.kind == "embedding" for t in emb.tensors)
    assert emb.family == family
    assert emb.sketched == net.sketched
    assert emb.output == ("S_out",)
    assert emb.sketch_size == 7
    new_indices = {i for _, indices in expected for i in indices if not i.startswith("e")}
    assert dict(emb.size_dict) == {i: 7 for i in new_indices}
    assert emb.row_sizes == (7,) * len(expected)
    assert emb.k == COUNTS[family](n)
    assert emb.scaling == ("khatri-rao" if family == "khatri-rao" else "rows")
    assert dict(emb.sketched_sizes) == dict(net.size_dict)


@pytest.mark.parametrize("family", SEQUENCE_FAMILIES)
@pytest.mark.parametrize("n", range(1, 6))
def test_factor_count_matches_tensors(family: str, n: int) -> None:
    emb = build_embedding(family, kronecker(n), 4)
    assert emb.k == family_count(family, n) == len(emb.tensors)


@pytest.mark.parametrize("family", SEQUENCE_FAMILIES)
@pytest.mark.parametrize("n", range(1, 6))
@pytest.mark.parametrize("m", [3, size_symbol("m"), 2 * size_symbol("mu")], ids=["int", "m", "2mu"])
def test_row_sizes_match_witness(family: str, n: int, m: object) -> None:
    emb = build_embedding(family, kronecker(n), m)
    check = check_sequence(emb, m=m)
    assert check.ok, check.reason
    assert check.order == emb.tensor_names
    assert check.rows == dict(zip(emb.tensor_names, emb.row_sizes))


def test_symbolic_sketch_size() -> None:
    m = size_symbol("m")
    emb = build_embedding("tree", kronecker(3), "m")
    assert emb.sketch_size == m
    assert set(emb.size_dict.values()) == {m}


def test_order_and_reverse() -> None:
    net = kronecker(3)
    emb = build_embedding("tt", net, 2, order=("e3", "e1", "e2"))
    assert [t.indices for t in emb.tensors] == [("S_r1", "e3"), ("S_r2", "S_r1", "e1"), ("S_out", "S_r2", "e2")]
    assert emb.sketched == ("e3", "e1", "e2")

    back = build_embedding("tt", net, 2, reverse=True)
    assert [t.indices for t in back.tensors] == [("S_r1", "e3"), ("S_r2", "S_r1", "e2"), ("S_out", "S_r2", "e1")]


def test_embeddings_compare_by_value() -> None:
    net = kronecker(3)
    assert build_embedding("tree", net, 4) == build_embedding("tree", net, 4)
    assert build_embedding("tree", net, 4) != build_embedding("tree", net, 5)


def test_prefix() -> None:
    emb = build_embedding("tt", kronecker(2), 2, prefix="G")
    assert emb.tensor_names == ("Gtt1", "Gtt2")
    assert emb.output == ("Gout",)


# Applying S to x: the joint network against S as an explicit matrix ----------------


def tt_data(n: int) -> TensorNetwork:
    """A tensor train X1(e1, i1), X2(i1, e2, i2), ..., XN(i_{N-1}, eN, c) with a kept index c."""
    sizes = {"c": 2}
    inputs = []
    for k in range(1, n + 1):
        sizes[f"e{k}"] = 2 + k % 2
        left = (f"i{k - 1}",) if k > 1 else ()
        right = (f"i{k}",) if k < n else ("c",)
        if k < n:
            sizes[f"i{k}"] = 2
        inputs.append(left + (f"e{k}",) + right)
    return TensorNetwork.from_inputs(inputs, size_dict=sizes, sketched=[f"e{k}" for k in range(1, n + 1)])


def draw(network: TensorNetwork, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(network.shape(p)) for p in range(len(network.tensors))]


def contract(network: TensorNetwork, arrays: list[np.ndarray], output: tuple[str, ...]) -> np.ndarray:
    letters = dict(zip(network.indices, string.ascii_letters))
    inputs = ",".join("".join(letters[i] for i in ix) for ix in network.inputs)
    return np.einsum(f"{inputs}->{''.join(letters[i] for i in output)}", *arrays, optimize=True)


MATRIX_CASES = [(family, n) for family in STRUCTURES for n in range(1, 5)]


@pytest.mark.parametrize("family, n", MATRIX_CASES, ids=[f"{f}-N{n}" for f, n in MATRIX_CASES])
def test_joint_network_applies_matrix(family: str, n: int) -> None:
    rng = np.random.default_rng(7)
    net = tt_data(n)
    emb = build_embedding(family, net, 3, reverse=(n % 2 == 0))
    joint = joint_network(net, emb)
    alone = embedding_network(net, emb)

    assert joint.sketched == ()
    assert joint.output == net.kept + emb.output
    assert joint.data_positions() == tuple(range(len(net.tensors)))
    assert len(joint.embedding_positions()) == len(emb.tensors)

    data = draw(net, rng)
    gaussians = draw(alone, rng)
    sketched = contract(joint, data + gaussians, joint.output)  # (c, out)

    e1 = emb.sketched
    matrix = contract(alone, gaussians, alone.output).reshape(emb.sketch_size, -1)
    columns = contract(net, data, e1 + net.kept).reshape(matrix.shape[1], -1)
    expected = (matrix @ columns).T.reshape(sketched.shape)
    np.testing.assert_allclose(sketched, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("family", list(STRUCTURES))
def test_scaling_preserves_mean_norm(family: str) -> None:
    # Draw the entries as the scaling field says and average |Sx|^2 / |x|^2.
    rng = np.random.default_rng(11)
    net = kronecker(3, sizes=(2, 3, 2))
    emb = build_embedding(family, net, 4)
    alone = embedding_network(net, emb)
    x = rng.standard_normal(12)
    ratios = []
    for _ in range(3000):
        if emb.scaling == "rows":
            arrays = [rng.standard_normal(alone.shape(p)) / np.sqrt(r) for p, r in enumerate(emb.row_sizes)]
            factor = 1.0
        else:
            arrays = [rng.standard_normal(alone.shape(p)) for p in range(len(emb.tensors))]
            factor = 1.0 / np.sqrt(emb.sketch_size)
        matrix = factor * contract(alone, arrays, alone.output).reshape(emb.sketch_size, -1)
        ratios.append(np.sum((matrix @ x) ** 2) / np.sum(x**2))
    assert abs(np.mean(ratios) - 1.0) < 0.15


# Registry and errors ---------------------------------------------------------------


def test_registry_lists_families() -> None:
    assert list(FAMILIES)[:4] == ["dense", "khatri-rao", "tt", "tree"]
    assert not FAMILIES["khatri-rao"].sequence
    assert all(FAMILIES[f].sequence for f in SEQUENCE_FAMILIES)


def test_register_family_then_build() -> None:
    def custom(network, order, m, *, prefix="S_", scale=1):
        return build_dense(network, order, m * scale, prefix=prefix)

    register_family("custom", custom, count=lambda n: 1)
    try:
        emb = build_embedding("custom", kronecker(2), 3, scale=2)
        assert emb.sketch_size == 6
        with pytest.raises(NetworkError, match="'custom' is already registered"):
            register_family("custom", custom)
        register_family("custom", custom, replace=True)
    finally:
        families_module._REGISTRY.pop("custom", None)
    assert "custom" not in FAMILIES


def test_nothing_to_sketch() -> None:
    net = TensorNetwork.from_inputs([("a", "b")], size_dict={"a": 2, "b": 2})
    with pytest.raises(NetworkError, match="nothing to sketch"):
        build_embedding("tt", net, 2)


def test_unknown_family() -> None:
    with pytest.raises(NetworkError, match=r"unknown embedding family 'mps'; valid families are dense, khatri-rao"):
        build_embedding("mps", kronecker(2), 2)


@pytest.mark.parametrize("m", [0, -3, 2.5, "m + 1"])
def test_invalid_m(m: object) -> None:
    with pytest.raises(SizeError, match="invalid sketch size m="):
        build_embedding("dense", kronecker(2), m)


@pytest.mark.parametrize("order", [("e1",), ("e1", "e1"), ("e1", "x")])
def test_order_must_be_permutation(order: tuple[str, ...]) -> None:
    with pytest.raises(NetworkError, match="is not an ordering of the sketched indices"):
        build_embedding("tt", kronecker(2), 2, order=order)


def test_prefix_clash_tensor_name() -> None:
    net = TensorNetwork.from_inputs([("a",)], size_dict={"a": 3}, sketched=("a",), names=["S_dense"])
    with pytest.raises(NetworkError, match="'S_dense' is also a data tensor name; choose another prefix"):
        build_embedding("dense", net, 2)
    assert build_embedding("dense", net, 2, prefix="G_").tensor_names == ("G_dense",)


def test_prefix_clash_index_name() -> None:
    net = TensorNetwork.from_inputs([("a", "S_out")], size_dict={"a": 3, "S_out": 2}, sketched=("a",))
    with pytest.raises(NetworkError, match="'S_out' is also an index of the data network"):
        build_embedding("tt", net, 2)


def test_joint_network_other_sketched() -> None:
    emb = build_embedding("dense", kronecker(2), 2)
    with pytest.raises(NetworkError, match=r"the embedding sketches \['e1', 'e2'\] but the network's"):
        joint_network(kronecker(3), emb)


def test_joint_network_other_sizes() -> None:
    emb = build_embedding("dense", kronecker(2), 2)
    other = kronecker(2, sizes=(2, 9))
    with pytest.raises(NetworkError, match="'e2' has size 9 in the network but the embedding was built for size 3"):
        joint_network(other, emb)


def gaussian(name: str, *indices: str, kind: str = "embedding") -> Tensor:
    return Tensor(name, indices, kind=kind)  # type: ignore[arg-type]


EMBEDDING_ERRORS = [
    ("kind", dict(tensors=(gaussian("A", "o", "a", kind="data"),)), NetworkError, "kind 'data'"),
    ("empty", dict(tensors=()), NetworkError, "has no tensors"),
    ("names", dict(tensors=(gaussian("A", "o", "a"), gaussian("A", "o"))), NetworkError, "'A' is used 2 times"),
    ("e1-missing", dict(sketched=("a", "z")), NetworkError, "'z' sits on 0 tensors"),
    ("e1-twice", dict(tensors=(gaussian("A", "o", "a"), gaussian("B", "a"))), NetworkError, "'a' sits on 2 tensors"),
    ("dangling", dict(output=()), NetworkError, "'o' sits only on A and is not an output"),
    ("no-size", dict(size_dict={}), SizeError, "'o' has no size"),
    ("bad-size", dict(size_dict={"o": 0}), SizeError, "embedding index 'o'"),
    ("e1-size", dict(size_dict={"o": 2, "a": 3}), NetworkError, "gives a size for the sketched index 'a'"),
    ("rows", dict(row_sizes=(2, 2)), NetworkError, "2 row sizes for 1 tensors"),
    ("scaling", dict(scaling="unit"), NetworkError, "invalid scaling 'unit'; valid scalings are rows, khatri-rao"),
    ("k", dict(k=0), NetworkError, "invalid factor count k=0"),
    ("output", dict(output=("o", "p")), NetworkError, "output index 'p'"),
]


@pytest.mark.parametrize("changes, error, message", [c[1:] for c in EMBEDDING_ERRORS], ids=[c[0] for c in EMBEDDING_ERRORS])
def test_embedding_validation(changes: dict, error: type, message: str) -> None:
    fields = dict(
        family="dense",
        tensors=(gaussian("A", "o", "a"),),
        size_dict={"o": 2},
        sketched=("a",),
        output=("o",),
        row_sizes=(2,),
        scaling="rows",
        k=1,
    )
    fields.update(changes)
    with pytest.raises(error, match=message):
        Embedding(**fields)


def test_embedding_symbolic_row_sizes() -> None:
    emb = Embedding("dense", (gaussian("A", "o", "a"),), {"o": "m"}, ("a",), ("o",), ("m",))
    assert emb.sketch_size == sympy.Symbol("m", positive=True, integer=True)


def test_exports_have_docstrings() -> None:
    # The package exports a function called sketch_size, which hides the
    # submodule of the same name as an attribute; import modules by name.
    names = ("", ".base", ".families", ".sequence", ".sketch_size")
    for module in (importlib.import_module(f"tncost.embeddings{suffix}") for suffix in names):
        assert module.__doc__
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                assert obj.__doc__, f"{module.__name__}.{name} has no docstring"
