"""Tests of the lower bound: hand-derived values, the breakdown, symbolic forms and errors.

Every expected value below is derived by hand from the definitions of the
merge, sketch and leaf terms. The comment of each case shows the derivation.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

from tncost.bounds import BOUND_CONSTANT, BoundTerm, LowerBound, bound_constant, lower_bound
from tncost.consistent import exact_consistent_tree
from tncost.embeddings import build_embedding, joint_network
from tncost.errors import NetworkError, PathError, SizeError, SketchSizeError
from tncost.network import Tensor, TensorNetwork
from tncost.symbolic.sizes import size_symbol
from tncost.tree import ContractionTree

m_, s_, R_, C_ = (size_symbol(n) for n in ("m", "s", "R", "C"))


def network(inputs, sizes, sketched, output=None):
    names = [f"v{i}" for i in range(len(inputs))]
    return TensorNetwork.from_inputs(inputs, output, sizes, sketched, names)


# Hand-derived cases ---------------------------------------------------------------
#
# Each case: the network, T0 as nested positions, m, and the expected terms in
# the order lower_bound lists them (merges bottom-up, sketches in E1 order,
# leaves in tensor order) with the expected total.

KRONECKER = network([("a",), ("b",)], {"a": 8, "b": 5}, ("a", "b"))
# merge: |∅|·m² = 16; sketch a: m·8·min(1 at v0, m at the root) = 32;
# sketch b: 4·5·1 = 20; leaves (siblings hold sketched indices): m·8, m·5.

TT3 = network([("a", "i"), ("i", "b", "j"), ("j", "c")], {"a": 10, "b": 10, "c": 10, "i": 2, "j": 2}, ("a", "b", "c"))
# m = 3, T0 ((0,1),2). merge {0,1}: |{i,j}|·m² = 36; merge root: |{j}|·m² = 18.
# sketch a: m·s·min(R, R·m, m) = 30·2; b: 30·min(R², R·m, m) = 30·3; c: 30·min(R, m) = 60.
# leaves: m·s·R = 60, m·s·R² = 120, m·s·R = 60.

TWO_IN_ONE = network([("a", "b")], {"a": 4, "b": 6}, ("a", "b"))
# single tensor, m = 2: sketch a: m·4·(1·m) = 16; sketch b: m·6·m = 24;
# leaf (the whole network): m·24 = 48.

CHAIN = network([("a", "i"), ("i", "j"), ("j", "b")], {"a": 10, "b": 10, "i": 3, "j": 3}, ("a", "b"))
# m = 2, T0 ((0,1),2). merge {0,1}: |{i,j}|·m^1 = 18; merge root: |{j}|·m² = 12.
# sketch a: m·s·min(R, R, m) = 20·2; sketch b: 20·min(R, m) = 40.
# leaf v0: its sibling v1 holds no sketched index: min(m·s·R, |{a,i,j}|) = min(60, 90);
# leaf v2: m·s·R = 60. v1 has no sketched index and no leaf term.

CHAIN_THIN = network([("a", "i"), ("i", "j"), ("j", "b")], {"a": 10, "b": 10, "i": 1, "j": 1}, ("a", "b"))
# As CHAIN with R = 1: merges 1·2 + 1·4; sketches 20·1 each;
# leaf v0: min(m·s·R, s·R²) = min(20, 10) = 10; leaf v2: 20.

KEPT = network([("a", "b", "c"), ("d",)], {"a": 2, "b": 2, "c": 5, "d": 2}, ("a", "b", "d"))
# The tight case with C = 5, m = s = 2. merge: |{c}|·m² = 20;
# sketch a, b: m·s·min(C·m at v0, C·m at the root) = 40 each; sketch d: m·s·min(1, C·m) = 4;
# leaves: m·|idx(v0)| = 2·20 = 40, m·|idx(v1)| = 4. Total 28·C + 8 = 148.

SINGLE = network([("a", "c")], {"a": 7, "c": 3}, ("a",))
# m = 5: sketch a: m·7·|{c}| = 105; leaf (the whole network): m·21 = 105.

CASES = {
    "kronecker": (KRONECKER, (0, 1), 4, [("merge", 16), ("sketch", 32), ("sketch", 20), ("leaf", 32), ("leaf", 20)], 120),
    "tt-3-chain": (TT3, ((0, 1), 2), 3,
                   [("merge", 36), ("merge", 18), ("sketch", 60), ("sketch", 90), ("sketch", 60),
                    ("leaf", 60), ("leaf", 120), ("leaf", 60)], 504),
    "two-sketched-in-one": (TWO_IN_ONE, 0, 2, [("sketch", 16), ("sketch", 24), ("leaf", 48)], 88),
    "unsketched-middle": (CHAIN, ((0, 1), 2), 2, [("merge", 18), ("merge", 12), ("sketch", 40), ("sketch", 40),
                                                  ("leaf", 60), ("leaf", 60)], 230),
    "unsketched-middle-thin": (CHAIN_THIN, ((0, 1), 2), 2, [("merge", 2), ("merge", 4), ("sketch", 20),
                                                            ("sketch", 20), ("leaf", 10), ("leaf", 20)], 76),
    "kept-index": (KEPT, (0, 1), 2, [("merge", 20), ("sketch", 40), ("sketch", 40), ("sketch", 4),
                                     ("leaf", 40), ("leaf", 4)], 148),
    "single-tensor": (SINGLE, 0, 5, [("sketch", 105), ("leaf", 105)], 210),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hand_derived_terms(name):
    net, nested, m, expected_terms, expected_total = CASES[name]
    bound = lower_bound(net, ContractionTree.from_nested(nested), m)
    assert [(t.kind, t.value) for t in bound.terms] == expected_terms
    assert bound.total == expected_total == sum(v for _, v in expected_terms)
    assert isinstance(bound.total, int)
    assert bound.at() == expected_total


def test_term_owners_are_names():
    bound = lower_bound(TT3, ContractionTree.from_nested(((0, 1), 2)), 3)
    owners = [(t.kind, t.owner) for t in bound.terms]
    assert owners == [
        ("merge", ("v0", "v1")), ("merge", ("v0", "v1", "v2")),
        ("sketch", ("a",)), ("sketch", ("b",)), ("sketch", ("c",)),
        ("leaf", ("v0",)), ("leaf", ("v1",)), ("leaf", ("v2",)),
    ]


def test_leaf_minimum_keeps_both_candidates():
    # Numeric sizes keep the smaller candidate only; symbolic ones keep both.
    tree = ContractionTree.from_nested(((0, 1), 2))
    leaf = lower_bound(CHAIN, tree, 2).terms[4]
    assert (leaf.kind, leaf.owner, leaf.candidates, leaf.value) == ("leaf", ("v0",), (60,), 60)
    symbolic = network(*SYMBOLIC["chain"][:3])
    leaf = lower_bound(symbolic, tree, "m").terms[4]
    assert set(leaf.candidates) == {m_ * s_ * R_, s_ * R_**2}
    assert leaf.value is None
    assert leaf.at({"m": 2, "s": 10, "R": 3}) == 60
    assert leaf.at({"m": 2, "s": 10, "R": 1}) == 10


def test_to_dict_is_json_ready():
    bound = lower_bound(KEPT, ContractionTree.from_nested((0, 1)), 2)
    data = json.loads(json.dumps(bound.to_dict()))
    assert data["total"] == 148
    assert data["m"] == 2
    assert data["constant"] == "7/2"
    assert data["terms"][0] == {"kind": "merge", "node": ["v0", "v1"], "expression": 20, "candidates": [20], "value": 20}
    assert data["terms"][1]["index"] == "a"
    assert data["terms"][4]["tensor"] == "v0"


# Symbolic bounds -------------------------------------------------------------------

SYMBOLIC = {
    # name: (inputs, symbolic sizes, sketched, nested T0, expected symbolic total or None)
    "kronecker": ([("a",), ("b",)], {"a": "s", "b": "s"}, ("a", "b"), (0, 1), m_**2 + 4 * m_ * s_),
    "two-in-one": ([("a", "b")], {"a": "s", "b": "s"}, ("a", "b"), 0, 2 * m_**2 * s_ + m_ * s_**2),
    "kept": ([("a", "b", "c"), ("d",)], {"a": "s", "b": "s", "c": "C", "d": "s"}, ("a", "b", "d"), (0, 1),
             C_ * m_**2 + 2 * C_ * m_**2 * s_ + 2 * m_ * s_ + C_ * m_ * s_**2),
    "tt-3": ([("a", "i"), ("i", "b", "j"), ("j", "c")], {"a": "s", "b": "s", "c": "s", "i": "R", "j": "R"},
             ("a", "b", "c"), ((0, 1), 2), None),
    "chain": ([("a", "i"), ("i", "j"), ("j", "b")], {"a": "s", "b": "s", "i": "R", "j": "R"}, ("a", "b"),
              ((0, 1), 2), None),
}

POINTS = [{"s": 10, "R": 2, "m": 3, "C": 4}, {"s": 64, "R": 8, "m": 4, "C": 1}, {"s": 5, "R": 1, "m": 5, "C": 3},
          {"s": 9, "R": 3, "m": 2, "C": 2}]


@pytest.mark.parametrize("name", list(SYMBOLIC))
def test_symbolic_bound_substituted_equals_numeric(name):
    inputs, sizes, sketched, nested, expected = SYMBOLIC[name]
    net = network(inputs, sizes, sketched)
    tree = ContractionTree.from_nested(nested)
    bound = lower_bound(net, tree, "m")
    if expected is not None:
        assert sympy.expand(bound.total - expected) == 0
    for point in POINTS:
        values = {k: v for k, v in point.items() if k in net.symbols or k == "m"}
        numeric = lower_bound(net.at_sizes({k: v for k, v in values.items() if k != "m"}), tree, values["m"])
        assert bound.at(values) == numeric.total
        assert bound.total.xreplace({size_symbol(k): v for k, v in values.items()}) == numeric.total
        assert [t.at(values) for t in bound.terms] == [t.value for t in numeric.terms]


def test_symbolic_min_drops_dominated_candidates():
    # sketch a on TT-3: candidates m·s·R, m·s·R·m, m·s·m; the middle one is never the minimum.
    net = network(*SYMBOLIC["tt-3"][:3])
    bound = lower_bound(net, ContractionTree.from_nested(((0, 1), 2)), "m")
    sketch_a = bound.terms[2]
    assert set(sketch_a.candidates) == {m_ * s_ * R_, m_**2 * s_}
    assert isinstance(sketch_a.expression, sympy.Min) and sketch_a.value is None


def test_symbolic_m_with_numeric_network():
    bound = lower_bound(KRONECKER, ContractionTree.from_nested((0, 1)), "m")
    assert sympy.expand(bound.total - (m_**2 + 26 * m_)) == 0
    assert bound.at({"m": 4}) == 120
    assert bound.assumptions == ("m >= 2 (m = m)", "m <= 8 (size of sketched index 'a')", "m <= 5 (size of sketched index 'b')")


def test_numeric_m_on_symbolic_sizes_is_assumed():
    net = network([("a",)], {"a": "s"}, ("a",))
    bound = lower_bound(net, ContractionTree.from_nested(0), 4)
    assert bound.total == 8 * s_ and bound.assumptions == ("m <= s (size of sketched index 'a')",)
    with pytest.raises(SketchSizeError, match=r"m = 4 exceeds the size 3 of sketched index 'a'"):
        bound.at({"s": 3})


# The divisor -------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "expected"), [(2, Fraction(7, 2)), (3, Fraction(10, 3)), (64, Fraction(193, 64))])
def test_bound_constant(m, expected):
    assert bound_constant(m) == expected <= BOUND_CONSTANT


def test_bound_constant_single_index_networks():
    assert bound_constant(2, KRONECKER) == 3
    assert bound_constant(2, TWO_IN_ONE) == Fraction(7, 2)
    assert lower_bound(KRONECKER, ContractionTree.from_nested((0, 1)), 2).constant == 3
    assert sympy.simplify(bound_constant(m_) - (3 + 1 / m_)) == 0


@pytest.mark.parametrize("C", [2, 3, 5, 16, 100])
def test_tight_case_ratio(C):
    # v(e1, e2, c), w(e3), s = m = 2, dense embedding: the best plan applies the
    # embedding to w first (16 ops), then to v (8·C ops); LB = 28·C + 8.
    net = network([("a", "b", "c"), ("d",)], {"a": 2, "b": 2, "c": C, "d": 2}, ("a", "b", "d"))
    tree = ContractionTree.from_nested((0, 1))
    bound = lower_bound(net, tree, 2)
    ops = exact_consistent_tree(joint_network(net, build_embedding("dense", net, 2)), tree).ops
    assert bound.total == 28 * C + 8 and ops == 16 + 8 * C
    assert bound.ratio(ops) == Fraction(16 + 8 * C, 28 * C + 8) >= 1 / bound.constant
    assert bound.guaranteed_cost() == Fraction(2 * (28 * C + 8), 7) <= ops


def test_tight_case_with_unit_kept_index_prefers_the_other_order():
    # With C = 1 the embedding goes to v first: 16·C + 4·C = 20 < 16 + 8·C = 24.
    net = network([("a", "b", "c"), ("d",)], {"a": 2, "b": 2, "c": 1, "d": 2}, ("a", "b", "d"))
    tree = ContractionTree.from_nested((0, 1))
    ops = exact_consistent_tree(joint_network(net, build_embedding("dense", net, 2)), tree).ops
    assert ops == 20 and lower_bound(net, tree, 2).total == 36


# Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "match"),
    [
        (6, r"sketch size m = 6 exceeds the size 5 of sketched index 'b'.*assumes 2 <= m <= s_e"),
        (1, r"sketch size m = 1 is below 2; the lower bound assumes 2 <= m"),
        (0, r"invalid sketch size m=0"),
        (2.5, r"invalid sketch size m=2.5"),
    ],
)
def test_invalid_sketch_size(m, match):
    with pytest.raises(SketchSizeError, match=match):
        lower_bound(KRONECKER, ContractionTree.from_nested((0, 1)), m)


def test_nothing_sketched():
    with pytest.raises(NetworkError, match=r"nothing to sketch.*no sketching lower bound"):
        lower_bound(KRONECKER.with_sketch(()), ContractionTree.from_nested((0, 1)), 2)


def test_tree_must_cover_every_tensor():
    with pytest.raises(PathError, match=r"covers positions \[0, 1\], but the network's tensors are at positions \[0, 1, 2\]"):
        lower_bound(TT3, ContractionTree.from_nested((0, 1)), 2)


def test_embedding_tensors_are_rejected():
    joint = TensorNetwork(
        (Tensor("v", ("a",)), Tensor("S", ("o", "b"), kind="embedding"), Tensor("w", ("b",))),
        {"a": 4, "b": 4, "o": 2}, output=("a", "o"), sketched=("a",),
    )
    with pytest.raises(NetworkError, match=r"tensor 'S' is an embedding tensor"):
        lower_bound(joint, ContractionTree.from_nested(((0, 1), 2)), 2)


def test_missing_symbol_value():
    net = network([("a",)], {"a": "s"}, ("a",))
    bound = lower_bound(net, ContractionTree.from_nested(0), "m")
    with pytest.raises(SizeError, match=r"no value for symbol\(s\) s"):
        bound.at({"m": 2})
    with pytest.raises(SketchSizeError, match=r"m = 1 is below 2"):
        bound.at({"m": 1, "s": 4})


def test_exported_names_have_docstrings():
    import tncost.bounds as module

    for name in module.__all__:
        assert getattr(module, name).__doc__ or name in ("TermKind", "BOUND_CONSTANT")
    assert LowerBound.__doc__ and BoundTerm.__doc__
