"""Tests of the sequence-condition checker."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
import sympy

from tncost.embeddings import at_least, build_embedding, check_sequence
from tncost.errors import NetworkError, SizeError
from tncost.network import Tensor, TensorNetwork
from tncost.symbolic.sizes import product, size_symbol

m_, R_, s_ = size_symbol("m"), size_symbol("R"), size_symbol("s")


def gaussian(name: str, *indices: str) -> Tensor:
    return Tensor(name, indices, kind="embedding")


def kronecker(n: int) -> TensorNetwork:
    names = [f"e{i}" for i in range(1, n + 1)]
    return TensorNetwork.from_inputs([(e,) for e in names], size_dict={e: 5 for e in names}, sketched=names)


def forward_rows(tensors: list[Tensor], order: tuple[str, ...], sketched: set[str], sizes: dict) -> list:
    """|out_i| computed forwards from the definition: indices not sketched and not on an earlier tensor."""
    by_name = {t.name: t for t in tensors}
    seen: set[str] = set()
    rows = []
    for name in order:
        indices = by_name[name].indices
        rows.append(product(sizes[i] for i in indices if i not in sketched and i not in seen))
        seen.update(indices)
    return rows


# The split gadget: a cyclic embedding --------------------------------------------------
#
# A maps e1 to mL (size m); B maps e2 to the pair (b1, b2) with b1 * b2 = m;
# V1 maps (mL, b1) to mp (size m); V2 maps (mp, b2) to the output (size m).
# B, V1 and V2 form a cycle through b1, mp and b2.

GADGET = [
    gaussian("A", "mL", "e1"),
    gaussian("B", "b1", "b2", "e2"),
    gaussian("V1", "mp", "mL", "b1"),
    gaussian("V2", "out", "mp", "b2"),
]


def gadget_sizes(b1: int, b2: int, m: int) -> dict[str, int]:
    return {"mL": m, "b1": b1, "b2": b2, "mp": m, "out": m}


def test_split_gadget_cycle_passes() -> None:
    graph = nx.Graph()
    for left, right in itertools.combinations(GADGET, 2):
        if set(left.indices) & set(right.indices):
            graph.add_edge(left.name, right.name)
    assert nx.cycle_basis(graph), "the gadget should contain a cycle"

    check = check_sequence(GADGET, ("e1", "e2"), gadget_sizes(2, 3, 6), 6)
    assert check.ok, check.reason
    assert check.order == ("A", "B", "V1", "V2")
    assert check.row_sizes == (6, 6, 6, 6)


def test_split_gadget_rounded_up_m() -> None:
    # b1 * b2 = 8 >= m = 7: every row size is at least 7, B's is 8.
    sizes = {"mL": 7, "b1": 2, "b2": 4, "mp": 7, "out": 7}
    check = check_sequence(GADGET, ("e1", "e2"), sizes, 7)
    assert check.ok
    assert check.rows == {"A": 7, "B": 8, "V1": 7, "V2": 7}


def test_split_gadget_small_factors_stuck() -> None:
    check = check_sequence(GADGET, ("e1", "e2"), gadget_sizes(2, 2, 6), 6)
    assert not check.ok
    assert check.stuck == ("B",)
    assert check.reason == "no tensor of B can go last: B's free outputs multiply to 4 < m = 6"


# Witness orders ---------------------------------------------------------------------


@pytest.mark.parametrize("family", ["dense", "tt", "tree"])
@pytest.mark.parametrize("n", range(1, 6))
def test_witness_order_meets_definition(family: str, n: int) -> None:
    emb = build_embedding(family, kronecker(n), 4)
    # List the tensors backwards so the witness order is not the listed order.
    tensors = list(emb.tensors)[::-1]
    check = check_sequence(tensors, emb.sketched, emb.size_dict, 4)
    assert check.ok
    assert sorted(check.order) == sorted(emb.tensor_names)
    rows = forward_rows(tensors, check.order, set(emb.sketched), dict(emb.size_dict))
    assert list(check.row_sizes) == rows
    assert all(r >= 4 for r in rows)


def test_valid_listed_order_kept() -> None:
    check = check_sequence(GADGET[::-1], ("e1", "e2"), gadget_sizes(2, 3, 6), 6)
    assert check.ok
    assert check.order == ("B", "A", "V1", "V2")


def test_unmerged_leaves_pass() -> None:
    # Two leaf matrices left unmerged: both are outputs, the sketch size is m^2.
    tensors = [gaussian("L1", "o1", "a"), gaussian("L2", "o2", "b")]
    check = check_sequence(tensors, ("a", "b"), {"o1": 3, "o2": 3}, 3)
    assert check.ok
    assert check.row_sizes == (3, 3)


# Failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(2, 6))
def test_khatri_rao_hyperedge_fails(n: int) -> None:
    emb = build_embedding("khatri-rao", kronecker(n), 4)
    check = check_sequence(emb, m=4)
    assert not check.ok
    assert check.order == ()
    assert check.stuck == ()
    assert f"output index 'S_out' is a hyperedge: it is open and sits on {n} tensors" in check.reason


def test_khatri_rao_tensors_without_output() -> None:
    # Given only its tensors, two factors read S_out as a bond and get stuck;
    # three or more still fail condition (i).
    two = build_embedding("khatri-rao", kronecker(2), 4)
    check = check_sequence(two.tensors, two.sketched, two.size_dict, 4)
    assert check.stuck == ("S_kr1", "S_kr2")
    three = build_embedding("khatri-rao", kronecker(3), 4)
    check = check_sequence(three.tensors, three.sketched, three.size_dict, 4)
    assert "index 'S_out' is a hyperedge on 3 tensors" in check.reason


def test_khatri_rao_one_factor_passes() -> None:
    emb = build_embedding("khatri-rao", kronecker(1), 4)
    check = check_sequence(emb, m=4)
    assert check.ok
    assert check.order == ("S_kr1",)
    assert check.row_sizes == (4,)


def test_dense_below_m_stuck() -> None:
    emb = build_embedding("dense", kronecker(3), 4)
    check = check_sequence(emb, m=5)
    assert not check.ok
    assert check.stuck == ("S_dense",)
    assert check.reason == "no tensor of S_dense can go last: S_dense's free outputs multiply to 4 < m = 5"


def test_small_bond_sticks_first_core() -> None:
    chain = [gaussian("A", "r", "a"), gaussian("B", "out", "r", "b")]
    check = check_sequence(chain, ("a", "b"), {"r": 2, "out": 4}, 4)
    assert not check.ok
    assert check.stuck == ("A",)


def test_stuck_tensors_all_named() -> None:
    tensors = [gaussian("A", "r", "a"), gaussian("B", "r", "b")]
    check = check_sequence(tensors, ("a", "b"), {"r": 8}, 2)
    assert check.stuck == ("A", "B")
    assert "A's free outputs multiply to 1 < m = 2; B's free outputs multiply to 1 < m = 2" in check.reason


def test_shared_sketched_index_fails() -> None:
    tensors = [gaussian("A", "o", "a"), gaussian("B", "o", "a")]
    check = check_sequence(tensors, ("a",), {"o": 4}, 2)
    assert not check.ok
    assert "sketched index 'a' sits on 2 tensors (A, B)" in check.reason


def test_missing_sketched_index_fails() -> None:
    check = check_sequence([gaussian("A", "o", "a")], ("a", "b"), {"o": 4}, 2)
    assert "sketched index 'b' sits on 0 tensors (none)" in check.reason


# Symbolic sizes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "p, m, expected",
    [
        (6, 4, True),
        (3, 4, False),
        (4, 4, True),
        (m_, m_, True),
        (2 * m_, m_, True),
        (m_**2, m_, True),
        (m_ * R_, m_, True),
        (m_, 2 * m_, False),
        (m_, m_**2, None),
        (R_, m_, None),
        (8, m_, None),
        (m_, 8, None),
        (sympy.sqrt(s_), s_, None),
        (m_ ** sympy.Rational(5, 2), m_**2, True),
    ],
    ids=lambda v: str(v),
)
def test_at_least(p: object, m: object, expected: bool | None) -> None:
    assert at_least(p, m) is expected


def test_symbolic_m_chain_passes() -> None:
    emb = build_embedding("tt", kronecker(4), "m")
    check = check_sequence(emb, m="m")
    assert check.ok
    assert check.row_sizes == (m_,) * 4


def test_undecided_comparison_reported() -> None:
    chain = [gaussian("A", "r", "a"), gaussian("B", "out", "r", "b")]
    check = check_sequence(chain, ("a", "b"), {"r": R_, "out": m_}, m_)
    assert not check.ok
    assert check.stuck == ("A",)
    assert "A's free outputs multiply to R, which cannot be compared with m = m (undecided)" in check.reason


# Errors -----------------------------------------------------------------------------


def test_m_is_required() -> None:
    with pytest.raises(NetworkError, match="check_sequence needs m"):
        check_sequence(GADGET, ("e1", "e2"), gadget_sizes(2, 3, 6))


def test_tensors_need_sketched_and_sizes() -> None:
    with pytest.raises(NetworkError, match="give sketched and size_dict"):
        check_sequence(GADGET, m=6)


def test_missing_size() -> None:
    with pytest.raises(NetworkError, match="index 'mp' of tensor V1 has no size"):
        check_sequence(GADGET, ("e1", "e2"), {"mL": 6, "b1": 2, "b2": 3}, 6)


@pytest.mark.parametrize("m", [0, -1, "m + 1"])
def test_invalid_m(m: object) -> None:
    with pytest.raises(SizeError, match="invalid row size m="):
        check_sequence(GADGET, ("e1", "e2"), gadget_sizes(2, 3, 6), m)


def test_output_argument_overrides_embedding() -> None:
    emb = build_embedding("tt", kronecker(2), 4)
    check = check_sequence(emb, m=4, output=("S_out", "S_r1"))
    assert "output index 'S_r1' is a hyperedge" in check.reason


def test_no_tensors() -> None:
    with pytest.raises(NetworkError, match="got no tensors"):
        check_sequence([], (), {}, 2)
