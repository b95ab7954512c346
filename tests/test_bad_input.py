"""Every kind of bad input gets a specific error, while plain contractions and outer products are not errors."""

from __future__ import annotations

import cotengra
import numpy as np
import pytest
import sympy

from tncost import execute, runs
from tncost.embeddings import build_embedding, joint_network
from tncost.errors import MemoryBudgetError, NetworkError, PathError, SizeError, SpecError, TncostError
from tncost.io import load_network, load_spec, parse_einsum, parse_index_sizes, parse_spec
from tncost.network import Tensor, TensorNetwork
from tncost.planner import plan_contraction, plan_sketch
from tncost.runs import run_family, run_plan
from tncost.structures import kronecker, tensor_train
from tncost.symbolic.sizes import parse_size
from tncost.tree import ContractionTree

# Unknown indices ---------------------------------------------------------------------

UNKNOWN_INDICES = [
    pytest.param(lambda: parse_einsum("ab,bc->az", "a=2,b=2,c=2"), r"output index 'z' is on no tensor", id="einsum-output"),
    pytest.param(lambda: parse_einsum("ab->ab", "a=2,b=2,z=3"), r"size given for unknown index 'z'", id="einsum-size"),
    pytest.param(
        lambda: parse_einsum("ab,bc->ac", "a=2,b=2,c=2", sketched=["q"]), r"sketched index 'q' is on no tensor", id="einsum-sketch"
    ),
    pytest.param(
        lambda: parse_spec("tensors: {A: [a, b]}\nsizes: {a: 2, b: 2, z: 2}\n"),
        r"<spec>: size given for unknown index 'z'",
        id="spec-size",
    ),
    pytest.param(
        lambda: parse_spec("tensors: {A: [a, b]}\nsizes: {a: 2, b: 2}\noutput: [a, z]\n"),
        r"<spec>: output index 'z' is on no tensor",
        id="spec-output",
    ),
    pytest.param(
        lambda: tensor_train(3).with_sketch(("p9",)), r"sketched index 'p9' is on no tensor; the network's indices are p1", id="builtin-sketch"
    ),
]


@pytest.mark.parametrize(("build", "match"), UNKNOWN_INDICES)
def test_unknown_index(build, match):
    with pytest.raises(NetworkError, match=match):
        build()


def test_unknown_index_in_spec_sketch():
    with pytest.raises(SpecError, match=r"field 'sketch': index 'z' is not open; open indices: a, b"):
        parse_spec("tensors: {A: [a, b]}\nsizes: {a: 2, b: 2}\nsketch: [z]\n")


# An index repeated inside one tensor (a trace or a diagonal) ---------------------------

TRACES = [
    pytest.param(lambda: Tensor("T", ("a", "b", "a")), id="tensor"),
    pytest.param(lambda: parse_einsum("aab->b", "a=2,b=2"), id="einsum"),
    pytest.param(lambda: parse_spec("tensors: {A: [i, i]}\nsizes: {i: 3}\n"), id="spec"),
]


@pytest.mark.parametrize("build", TRACES)
def test_trace_not_modeled(build):
    with pytest.raises(NetworkError, match=r"repeats index '[ai]'.*traces and diagonals are not modeled"):
        build()


# Inconsistent sizes --------------------------------------------------------------------


def test_spec_index_given_two_sizes():
    with pytest.raises(SpecError, match=r"malformed YAML: key 'b' appears twice"):
        parse_spec("tensors: {A: [a, b], B: [b, c]}\nsizes: {a: 2, b: 3, b: 4, c: 5}\n")


def test_json_spec_index_given_two_sizes():
    text = '{"tensors": {"A": ["a", "b"]}, "sizes": {"a": 2, "b": 3, "b": 4}}'
    with pytest.raises(SpecError, match=r"malformed JSON: .*'b'"):
        parse_spec(text, format="json")


def test_index_sizes_text_twice():
    with pytest.raises(SpecError, match=r"index 'a' is given two sizes in 'a=2,b=3,a=5'"):
        parse_index_sizes("a=2,b=3,a=5")


def test_einsum_index_given_two_sizes():
    with pytest.raises(SpecError, match=r"index 'a' is given two sizes"):
        load_network("ab,bc->ac", "a=2,b=3,c=4,a=5")


def test_embedding_built_for_other_size():
    small = tensor_train(2).at_sizes({"s": 8, "R": 2})
    large = tensor_train(2).at_sizes({"s": 16, "R": 2})
    embedding = build_embedding("dense", small, 4)
    with pytest.raises(NetworkError, match=r"sketched index 'p1' has size 16 in the network but the embedding was built for size 8"):
        joint_network(large, embedding)


def test_embedding_for_other_indices():
    network = tensor_train(3).at_sizes({"s": 8, "R": 2})
    embedding = build_embedding("dense", network.with_sketch(("p1", "p2")), 4)
    with pytest.raises(NetworkError, match=r"the embedding sketches \['p1', 'p2'\] but the network's sketched indices are"):
        joint_network(network, embedding)


# Zero, negative and non-integer sizes --------------------------------------------------

BAD_SIZES = [
    pytest.param({"a": 0, "b": 2}, r"index 'a': invalid size 0", id="zero"),
    pytest.param({"a": -5, "b": 2}, r"index 'a': invalid size -5", id="negative"),
    pytest.param({"a": 2.5, "b": 2}, r"index 'a': invalid size 2.5", id="fraction"),
    pytest.param({"a": "s/3", "b": 2}, r"index 'a': .*constant factor 1/3", id="symbolic-fraction"),
    pytest.param({"a": "s+1", "b": 2}, r"index 'a': .*sums are not sizes", id="sum"),
    pytest.param({"a": False, "b": 2}, r"index 'a': .*not booleans", id="boolean"),
]


@pytest.mark.parametrize(("sizes", "match"), BAD_SIZES)
def test_bad_size_einsum(sizes, match):
    with pytest.raises(SizeError, match=match):
        parse_einsum("ab->ab", sizes)


@pytest.mark.parametrize(
    ("size", "match"),
    [("0", r"invalid size 0"), ("-1", r"invalid size -1"), ("2.5", r"invalid size 2.5"), ("yes", r".*not booleans")],
    ids=["zero", "negative", "fraction", "yaml-boolean"],
)
def test_bad_size_spec(size, match):
    with pytest.raises(SizeError, match=r"<spec>: field 'sizes', index 'b': " + match):
        parse_spec(f"tensors: {{A: [a, b]}}\nsizes: {{a: 2, b: {size}}}\n")


def test_bad_symbol_value_in_plan():
    # 16.5 must not be truncated to 16.
    with pytest.raises(SizeError, match=r"invalid value 16.5 for symbol s"):
        plan_sketch(tensor_train(3), sizes={"s": 16.5, "R": 2}, m=4, families=["tt"])


def test_zero_symbol_value_in_plan():
    with pytest.raises(SizeError, match=r"invalid value 0 for symbol s"):
        plan_contraction(tensor_train(3).with_sketch(()), sizes={"s": 0, "R": 2})


# Undeclared symbols --------------------------------------------------------------------


def test_undeclared_symbol_in_spec():
    text = "tensors: {A: [a, b]}\nsizes: {a: s, b: R}\nsymbols: [s]\n"
    with pytest.raises(SizeError, match=r"index 'b': size 'R' uses undeclared symbol\(s\) R; declared symbols: s"):
        parse_spec(text)


def test_undeclared_symbol_parse_size():
    with pytest.raises(SizeError, match=r"undeclared symbol\(s\) m"):
        parse_size("m*s", declared=("s", "R"))


def test_symbol_without_value():
    with pytest.raises(SpecError, match=r"no value for symbol\(s\) R; give every symbol a size"):
        plan_sketch(tensor_train(3), sizes={"s": 16}, m=4)


def test_value_for_unknown_symbol():
    with pytest.raises(SpecError, match=r"unknown symbol\(s\) q in the sizes; the network's symbols are R, s"):
        plan_sketch(tensor_train(3), sizes={"s": 16, "R": 2, "q": 3}, m=4)


def test_reserved_sketch_symbol():
    network = parse_einsum("ab,bc->ac", "a=m,b=2,c=s", sketched=["a"])
    with pytest.raises(NetworkError, match=r"uses the symbol 'm', which tncost reserves for the sketch size"):
        plan_sketch(network)


# Sketched indices that are not open or sit on several tensors ------------------------


def test_sketched_index_summed():
    with pytest.raises(NetworkError, match=r"sketched index 'r1' is not open \(it is summed\)"):
        tensor_train(3).with_sketch(("r1",))


def test_sketched_index_on_several_tensors():
    network = parse_einsum("ir,jr->ijr", "i=2,j=3,r=4")
    with pytest.raises(NetworkError, match=r"sketched index 'r' sits on 2 tensors \(T0, T1\); a sketched index must sit on exactly one"):
        network.with_sketch(("r",))


def test_spec_sketches_hyperedge():
    text = "tensors: {A: [i, r], B: [j, r]}\nsizes: {i: 2, j: 3, r: 4}\noutput: [i, j, r]\nsketch: [r]\n"
    with pytest.raises(NetworkError, match=r"<spec>: sketched index 'r' sits on 2 tensors"):
        parse_spec(text)


# Paths that are not valid trees --------------------------------------------------------

BAD_TREES = [
    pytest.param(lambda: ContractionTree.from_path([(0, 1)], 3), r"needs 2", id="incomplete"),
    pytest.param(lambda: ContractionTree.from_path([(0, 5), (0, 1)], 3), r"names position 5", id="out-of-range"),
    pytest.param(lambda: ContractionTree.from_ssa_path([(0, 1), (1, 2)], 3), r"already consumed", id="reused"),
    pytest.param(lambda: ContractionTree.from_nested((0, (1, 0))), r"repeats a leaf", id="repeated-leaf"),
    pytest.param(
        lambda: parse_spec("tensors: {A: [a, b], B: [b, c]}\nsizes: {a: 2, b: 3, c: 4}\ndata_tree: [A, A]\n"),
        r"field 'data_tree': tree \(0, 0\) repeats a leaf",
        id="spec-data-tree",
    ),
]


@pytest.mark.parametrize(("build", "match"), BAD_TREES)
def test_invalid_tree(build, match):
    with pytest.raises(PathError, match=match):
        build()


def test_data_tree_missing_tensor():
    tree = ContractionTree.from_nested((0, 1))
    with pytest.raises(NetworkError, match=r"the data tree covers positions \[0, 1\], but the network has 3 tensors"):
        plan_sketch(tensor_train(3), sizes={"s": 16, "R": 2}, m=4, data_tree=tree)


def test_spec_data_tree_leaves_out_tensor():
    text = "tensors: {A: [a, b], B: [b, c], C: [c, d]}\nsizes: {a: 2, b: 3, c: 4, d: 5}\ndata_tree: [A, B]\n"
    with pytest.raises(SpecError, match=r"the tree leaves out tensor\(s\) C"):
        parse_spec(text)


# A sketch size at or above a sketched index's size -------------------------------------


@pytest.mark.parametrize("m", [8, 9], ids=["equal", "above"])
def test_sketch_size_too_large_noted(m):
    plan = plan_sketch(tensor_train(2), sizes={"s": 8, "R": 2}, m=m, families=["dense"])
    expected = (
        f"m = {m} is at or above the size of sketched index p1=8, p2=8: sketching cannot pay off there"
    )
    assert any(note.startswith(expected) for note in plan.family("dense").notes)


def test_sketch_size_too_large_in_json():
    plan = plan_sketch(tensor_train(2), sizes={"s": 8, "R": 2}, m=8, families=["dense"])
    notes = plan.to_dict()["families"][0]["notes"]
    assert any("at or above the size of sketched index" in note for note in notes)


def test_sketch_size_below_not_noted():
    plan = plan_sketch(tensor_train(2), sizes={"s": 8, "R": 2}, m=7, families=["dense"])
    assert not any("at or above" in note for note in plan.family("dense").notes)


def test_sketch_size_one_index_noted():
    # Only b is as small as m.
    network = parse_einsum("ai,ib->ab", "a=16,b=4,i=2", sketched=["a", "b"])
    plan = plan_sketch(network, m=4, families=["dense"])
    assert any("sketched index b=4:" in note for note in plan.family("dense").notes)


# Memory budget ---------------------------------------------------------------------------


def test_check_memory_names_both_figures():
    with pytest.raises(MemoryBudgetError, match=r"needs 8000 bytes .* but only 100 bytes are available"):
        execute.check_memory(1000, np.float64, 100)


def test_check_memory_at_budget():
    assert execute.check_memory(1000, np.float64, 8000) == 8000


def test_check_memory_huge_plan():
    with pytest.raises(MemoryBudgetError, match=r"needs 8" + "0" * 30 + " bytes"):
        execute.check_memory(10**30, np.float64, 2**40)


def test_memory_error_is_user_error():
    assert issubclass(MemoryBudgetError, TncostError)
    assert issubclass(MemoryBudgetError, MemoryError)


def _vector_plan():
    # A vector of size s = 16 sketched by one dense m x 16 matrix: the only tree
    # holds the vector (16), the matrix (4 * 16) and the result (4) at once,
    # so the live peak is 84 entries, 672 bytes of float64.
    network = TensorNetwork.from_inputs([("p",)], ("p",), {"p": 16}, ("p",), names=["v"])
    return plan_sketch(network, m=4, families=["dense"])


def test_live_peak_by_hand():
    assert _vector_plan().family("dense").live_peak_at_point == 16 + 4 * 16 + 4


def test_run_family_over_budget_skipped():
    entry = run_family(_vector_plan().family("dense"), {}, trials=0, memory_budget=671)
    assert "needs 672 bytes" in entry["skipped"]
    assert "only 671 bytes are available" in entry["skipped"]


def test_run_family_at_budget_runs():
    plan = _vector_plan()
    data = {"v": np.ones(16)}
    entry = run_family(plan.family("dense"), data, trials=0, memory_budget=672)
    assert "skipped" not in entry
    assert entry["executed_ops"] == 4 * 16


def test_run_family_checks_before_allocating(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("allocation started despite the memory budget")

    monkeypatch.setattr(execute, "embedding_sampler", fail)
    monkeypatch.setattr(execute, "execute_tree", fail)
    entry = run_family(_vector_plan().family("dense"), {}, trials=5, memory_budget=100)
    assert "skipped" in entry
    assert "executed_ops" not in entry


def test_default_budget_skips_huge_plan():
    # s = 10**6 and R = 10**4 give a middle core of 10**14 entries, 800 TB of float64.
    plan = plan_sketch(tensor_train(3), sizes={"s": 10**6, "R": 10**4}, m=4, families=["tt"])
    entry = run_family(plan.family("tt"), {}, trials=0)
    assert "half of the" in entry["skipped"]


def test_run_plan_marks_skipped():
    plan = plan_sketch(tensor_train(3), sizes={"s": 16, "R": 2}, m=4)
    report = run_plan(plan, trials=0, memory_budget=1000)
    for entry in report["runs"]:
        assert "only 1000 bytes are available" in entry["skipped"], entry["family"]
    for family in report["families"]:
        assert "needs" in family["skipped"], family["name"]


def test_run_plan_draws_no_data_over_budget(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("data drawn although no family fits the memory budget")

    monkeypatch.setattr(runs, "plan_data", fail)
    # The middle core alone has s * R^2 = 10**14 entries, 800 TB of float64.
    plan = plan_sketch(tensor_train(3), sizes={"s": 10**6, "R": 10**4}, m=4, families=["tt"])
    report = run_plan(plan, trials=0)
    assert "half of the" in report["runs"][0]["skipped"]


def test_execute_tree_checks_before_contracting(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a pairwise step ran despite the memory budget")

    monkeypatch.setattr(execute, "_pairwise", fail)
    network = parse_einsum("ab,bc->ac", "a=2,b=3,c=4")
    arrays = {"T0": np.ones((2, 3)), "T1": np.ones((3, 4))}
    # The live peak is 6 + 12 + 8 = 26 entries, 208 bytes.
    with pytest.raises(MemoryBudgetError, match=r"needs 208 bytes"):
        execute.execute_tree(network, ContractionTree.from_nested((0, 1)), arrays, budget_bytes=200)


# Huge sizes stay exact integers -----------------------------------------------------------


def test_huge_plain_contraction_exact():
    big = 10**30
    network = parse_einsum("ab,bc,cd->ad", {"a": big, "b": 2, "c": big, "d": 3})
    plan = plan_contraction(network)
    # Right first: b*c*d + a*b*d = 6*10**30 + 6*10**30. Left first costs 5*10**60.
    assert plan.cost_at_point == 12 * big
    assert type(plan.cost_at_point) is int


def test_huge_plain_contraction_memory():
    big = 10**30
    plan = plan_contraction(parse_einsum("ab,bc,cd->ad", {"a": big, "b": 2, "c": big, "d": 3}))
    # Right first: b,d (6), then a,d (3 * 10**30).
    assert plan.largest_intermediate_at_point == 3 * big


def test_huge_sketch_plan_exact():
    sizes = {"s": 10**30, "R": 10**20}
    plan = plan_sketch(tensor_train(3), sizes=sizes, m=7, families=["tt"])
    family = plan.family("tt")
    symbolic = sympy.sympify(str(family.cost)).subs({**sizes, "m": 7})
    assert type(family.cost_at_point) is int
    assert family.cost_at_point == int(symbolic)


def test_huge_sketch_plan_cotengra():
    sizes = {"s": 10**30, "R": 10**20}
    family = plan_sketch(tensor_train(3), sizes=sizes, m=7, families=["tt"]).family("tt")
    joint = family.numeric_joint()
    tree = cotengra.ContractionTree.from_path(
        joint.inputs, joint.output, dict(joint.size_dict), ssa_path=family.tree.ssa_path()
    )
    assert tree.contraction_cost() == family.cost_at_point


# Malformed YAML --------------------------------------------------------------------------

MALFORMED = [
    pytest.param("tensors: {A: [a, b], B: [b, c]\nsizes: {a: 2}\n", r"malformed YAML at line 2, column 1", id="unclosed-brace"),
    pytest.param("tensors: [a, b\n", r"malformed YAML at line 2", id="unclosed-list"),
    pytest.param("tensors:\n  A: [a, b]\n   B: [b]\n", r"malformed YAML at line 3", id="bad-indent"),
    pytest.param("- just\n- a list\n", r"expected a mapping with the fields tensors and sizes", id="not-a-mapping"),
    pytest.param("tensors: {A: [a]}\n", r"missing field 'sizes'", id="missing-sizes"),
    pytest.param("tensors: {A: [a]}\nsizes: {a: 2}\ncolor: red\n", r"unknown field 'color'", id="unknown-field"),
]


@pytest.mark.parametrize(("text", "match"), MALFORMED)
def test_malformed_yaml_text(text, match):
    with pytest.raises(SpecError, match=match):
        parse_spec(text)


def test_malformed_yaml_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("tensors: {A: [a, b]\nsizes: {a: 2, b: 2}\n")
    with pytest.raises(SpecError, match=r"broken.yaml: malformed YAML at line 2"):
        load_spec(path)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match=r"spec file '.*absent.yaml' not found"):
        load_network(str(tmp_path / "absent.yaml"))


# Not errors: an empty sketch set and a disconnected network -------------------------------


def test_empty_sketch_plain_contraction():
    network = tensor_train(3).with_sketch(())
    plan = plan_contraction(network, sizes={"s": 16, "R": 2})
    # Left to right (or right to left): s^2 R^2 + s^3 R = 1024 + 8192.
    assert plan.cost_at_point == 16**2 * 2**2 + 16**3 * 2


def test_empty_sketch_keeps_all_open():
    plan = plan_contraction(tensor_train(3).with_sketch(()), sizes={"s": 16, "R": 2})
    assert plan.to_dict()["kept"] == ["p1", "p2", "p3"]
    assert plan.to_dict()["families"] == []


def test_plan_sketch_points_to_contraction():
    with pytest.raises(NetworkError, match=r"no sketched indices; use plan_contraction"):
        plan_sketch(tensor_train(3).with_sketch(()), sizes={"s": 16, "R": 2})


def test_disconnected_plain_contraction():
    plan = plan_contraction(parse_einsum("a,b,c->abc", "a=2,b=3,c=4"))
    # Best order: a with b (6), then with c (24). Other first pairs cost 8 + 24 or 12 + 24.
    assert plan.cost_at_point == 30


def test_disconnected_sketch_plan():
    # kronecker:N=2 at s = 4 with a dense 3 x 16 sketch: the cheapest T0-consistent tree
    # applies S to one vector (4 * 3 * 4 = 48) and then the other (3 * 4 = 12).
    plan = plan_sketch(kronecker(2), sizes={"s": 4}, m=3, families=["dense"])
    assert plan.family("dense").cost_at_point == 60


def test_disconnected_components_plan():
    plan = plan_sketch(kronecker(3), sizes={"s": 16}, m=4)
    assert plan.network.connected_components() == [(0,), (1,), (2,)]
    assert all(family.cost_at_point > 0 for family in plan.families)
