"""Tests for einsum parsing, spec files, the SPEC resolver and opt_einsum interop."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import opt_einsum
import pytest
import sympy

from tncost import io
from tncost.errors import NetworkError, PathError, SizeError, SpecError
from tncost.io import (
    Spec,
    dump_spec,
    einsum_equation,
    from_opt_einsum,
    load_network,
    load_spec,
    parse_einsum,
    parse_index_sizes,
    parse_spec,
    to_opt_einsum,
    to_spec_dict,
)
from tncost.network import Tensor, TensorNetwork
from tncost.structures import BUILTINS, khatri_rao, parse_builtin, physical_indices, tensor_train
from tncost.tree import ContractionTree

s, R = sympy.Symbol("s", positive=True, integer=True), sympy.Symbol("R", positive=True, integer=True)


def _sizes_for(equation, size=2):
    letters = {c for c in equation if c.isalpha()}
    return {c: size for c in letters}


# Einsum equations ---------------------------------------------------------------------

EQUATIONS = [
    # (id, equation, inputs, output)
    ("chain", "ai,ibj,jc->abc", [("a", "i"), ("i", "b", "j"), ("j", "c")], ("a", "b", "c")),
    ("implicit-sorted", "ba,ac", [("b", "a"), ("a", "c")], ("b", "c")),
    ("implicit-hyperedge", "ab,bc,bd", [("a", "b"), ("b", "c"), ("b", "d")], ("a", "c", "d")),
    ("implicit-uppercase-first", "aB,ac", [("a", "B"), ("a", "c")], ("B", "c")),
    ("open-hyperedge", "ir,jr,kr->ijkr", [("i", "r"), ("j", "r"), ("k", "r")], ("i", "j", "k", "r")),
    ("summed-single", "ab->a", [("a", "b")], ("a",)),
    ("scalar-output", "ab,ab->", [("a", "b"), ("a", "b")], ()),
    ("outer-product", "a,b->ab", [("a",), ("b",)], ("a", "b")),
    ("letters-with-spaces", " ab , bc -> ac ", [("a", "b"), ("b", "c")], ("a", "c")),
    ("tokens", "p1 r1, r1 p2 -> p1 p2", [("p1", "r1"), ("r1", "p2")], ("p1", "p2")),
    ("tokens-one-per-operand", "p1, p2 -> p1 p2", [("p1",), ("p2",)], ("p1", "p2")),
    ("tokens-implicit", "x_1 bond, bond y.2", [("x_1", "bond"), ("bond", "y.2")], ("x_1", "y.2")),
    ("letters-as-tokens", "a b, b c -> a c", [("a", "b"), ("b", "c")], ("a", "c")),
]


@pytest.mark.parametrize(("equation", "inputs", "output"), [c[1:] for c in EQUATIONS], ids=[c[0] for c in EQUATIONS])
def test_parse_einsum_forms(equation, inputs, output):
    indices = {i for operand in inputs for i in operand}
    net = parse_einsum(equation, {i: 3 for i in indices})
    assert net.inputs == inputs
    assert net.output == output
    assert net.sketched == ()
    assert [t.name for t in net.tensors] == [f"T{k}" for k in range(len(inputs))]


@pytest.mark.parametrize(
    "equation", ["ai,ibj,jc->abc", "ba,ac", "ab,bc,bd", "ir,jr,kr->ijkr", "ab,ab->", "abc,cd,de->ebda"]
)
def test_einsum_agrees_with_numpy(equation):
    rng = np.random.default_rng(7)
    net = parse_einsum(equation, _sizes_for(equation, 3))
    arrays = [rng.standard_normal(net.shape(k)) for k in range(len(net.tensors))]
    np.testing.assert_allclose(np.einsum(einsum_equation(net), *arrays), np.einsum(equation, *arrays))


def test_parse_einsum_symbolic_sizes():
    net = parse_einsum("ai,ij->aj", {"a": "s", "i": R**2, "j": 4})
    assert dict(net.size_dict) == {"a": s, "i": R**2, "j": 4}
    assert net.symbols == ("R", "s")


def test_parse_einsum_size_text():
    net = parse_einsum("ai,ibj,jc->abc", "a=s,i=R,b=s,j=R,c=s")
    assert dict(net.size_dict) == {"a": s, "i": R, "b": s, "j": R, "c": s}


def test_parse_einsum_sketch_options():
    assert parse_einsum("ab,bc->ac", "a=2,b=2,c=2", sketched=["c"]).sketched == ("c",)
    assert parse_einsum("ab,bc->ac", "a=2,b=2,c=2", sketched="all").sketched == ("a", "c")
    assert parse_einsum("ab,bc->ac", "a=2,b=2,c=2").name == "ab,bc->ac"
    assert parse_einsum("ab,bc->ac", "a=2,b=2,c=2", name="pair").name == "pair"


@pytest.mark.parametrize(
    ("equation", "sizes", "error", "match"),
    [
        ("", {}, SpecError, r"the einsum equation is empty"),
        ("ab->a->b", "a=2,b=2", SpecError, r"'->' appears more than once"),
        ("ab,,bc->ac", "a=2,b=2,c=2", SpecError, r"operand 1 has no indices; scalars are not modeled"),
        ("ab,->a", "a=2,b=2", SpecError, r"operand 1 has no indices"),
        ("...a,ab->b", "a=2,b=2", SpecError, r"broadcasting with '\.\.\.' is not modeled"),
        ("p1,p2->p1p2", "p1=2,p2=2", SpecError, r"invalid index character '1' in operand 0 .* separate the indices with spaces"),
        ("ab,b 2c->ac", {}, SpecError, r"invalid index name '2c' in operand 1"),
        ("ab,bc->ad", "a=2,b=2,c=2", NetworkError, r"output index 'd' is on no tensor"),
        ("ab,bc->aa", "a=2,b=2,c=2", NetworkError, r"output index 'a' is listed twice"),
        ("aab->b", "a=2,b=2", NetworkError, r"repeats index 'a'.*traces and diagonals are not modeled"),
        ("ab,bc->ac", "a=2,b=2", SizeError, r"index 'c' has no size"),
        ("ab,bc->ac", {"a": 2, "b": 0, "c": 2}, SizeError, r"index 'b': invalid size 0"),
        ("ab,bc->ac", {"a": 2, "b": 1.5, "c": 2}, SizeError, r"index 'b': invalid size 1.5"),
        ("ab,bc->ac", "a=2,b=s+R,c=2", SizeError, r"index 'b': .*sums are not sizes"),
        ("ab->ab", "a=2,b=2,z=3", NetworkError, r"size given for unknown index 'z'"),
        ("ab->ab", 7, SizeError, r"invalid sizes of type int"),
        (["ab"], {}, SpecError, r"expected a string such as 'ab,bc->ac'"),
    ],
    ids=[
        "empty",
        "two-arrows",
        "doubled-comma",
        "empty-last-operand",
        "ellipsis",
        "digit-in-letter-form",
        "digit-token",
        "output-on-no-tensor",
        "output-repeated",
        "trace",
        "missing-size",
        "zero-size",
        "fraction-size",
        "sum-size",
        "extra-size",
        "sizes-wrong-type",
        "equation-wrong-type",
    ],
)
def test_parse_einsum_errors(equation, sizes, error, match):
    with pytest.raises(error, match=match):
        parse_einsum(equation, sizes)


def test_parse_einsum_sketch_summed_index():
    with pytest.raises(NetworkError, match=r"sketched index 'b' is not open"):
        parse_einsum("ab,bc->ac", "a=2,b=2,c=2", sketched=["b"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=s,i=R", {"a": s, "i": R}),
        (" a = 4 , k = R**2 ,", {"a": 4, "k": R**2}),
        ("", {}),
    ],
    ids=["symbols", "spaces-and-trailing-comma", "empty"],
)
def test_parse_index_sizes(text, expected):
    assert parse_index_sizes(text) == expected


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("a", SpecError, r"invalid index size 'a': write index=size"),
        ("=s", SpecError, r"invalid index size '=s'"),
        ("a=", SpecError, r"invalid index size 'a='"),
        ("a=s,a=R", SpecError, r"index 'a' is given two sizes"),
        ("a=-3", SizeError, r"index 'a': invalid size"),
    ],
    ids=["no-equals", "no-index", "no-size", "twice", "negative"],
)
def test_parse_index_sizes_errors(text, error, match):
    with pytest.raises(error, match=match):
        parse_index_sizes(text)


def test_einsum_equation_renames_long_indices():
    net = tensor_train(3)
    assert einsum_equation(net) == "ab,bcd,de->ace"
    assert einsum_equation(parse_einsum("xy,yz", "x=2,y=2,z=2")) == "xy,yz->xz"


# opt_einsum interop -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [entry.example() for entry in BUILTINS.values()])
def test_opt_einsum_round_trip(text):
    symbolic = parse_builtin(text)
    net = symbolic.at_sizes({name: {"s": 5, "R": 3}[name] for name in symbolic.symbols})
    inputs, output, size_dict = to_opt_einsum(net)
    assert inputs == net.inputs
    assert all(isinstance(size, int) for size in size_dict.values())
    names = [t.name for t in net.tensors]
    assert from_opt_einsum(inputs, output, size_dict, net.sketched, names=names, name=net.name) == net


def test_to_opt_einsum_feeds_path_functions():
    net = tensor_train(4).at_sizes({"s": 8, "R": 2})
    inputs, output, size_dict = to_opt_einsum(net)
    path = opt_einsum.paths.optimal([set(ix) for ix in inputs], set(output), size_dict)
    assert len(path) == 3


def test_to_opt_einsum_rejects_symbols():
    with pytest.raises(SizeError, match=r"opt_einsum needs numeric sizes, but indices p1, r1, p2 use the symbol\(s\) R, s"):
        to_opt_einsum(tensor_train(2))


def test_to_opt_einsum_partly_symbolic():
    net = parse_einsum("ab,bc->ac", {"a": 2, "b": "R", "c": 3})
    with pytest.raises(SizeError, match=r"indices b use the symbol\(s\) R; substitute values first"):
        to_opt_einsum(net)


@pytest.mark.parametrize(
    ("inputs", "output", "expected_inputs", "expected_output"),
    [
        (["ab", "bc"], "ac", [("a", "b"), ("b", "c")], ("a", "c")),
        ([{"b", "a"}, frozenset("cb")], None, [("a", "b"), ("b", "c")], ("a", "c")),
        ([("x1", "bond"), ("bond", "y1")], ["y1", "x1"], [("x1", "bond"), ("bond", "y1")], ("y1", "x1")),
    ],
    ids=["strings", "sets-sorted", "long-names"],
)
def test_from_opt_einsum_operands(inputs, output, expected_inputs, expected_output):
    sizes = {i: 2 for operand in expected_inputs for i in operand}
    net = from_opt_einsum(inputs, output, sizes)
    assert [t.name for t in net.tensors] == [f"T{k}" for k in range(len(inputs))]
    assert net.inputs == expected_inputs
    assert net.output == expected_output


def test_from_opt_einsum_equation_string():
    net = from_opt_einsum("ab,bc->ac", size_dict={"a": 2, "b": 3, "c": 4}, sketched="all")
    assert net.inputs == [("a", "b"), ("b", "c")]
    assert net.sketched == ("a", "c")


def test_from_opt_einsum_equation_with_output():
    with pytest.raises(SpecError, match=r"already fixes the output; leave output=None"):
        from_opt_einsum("ab,bc->ac", "ac", {"a": 2, "b": 3, "c": 4})


def test_from_opt_einsum_parser_output():
    # opt_einsum's own parser gives the operands as one comma-joined string.
    operands, output, _ = opt_einsum.parser.parse_einsum_input(["ab,bc", np.ones((2, 3)), np.ones((3, 4))])
    net = from_opt_einsum(operands.split(","), output, {"a": 2, "b": 3, "c": 4})
    assert net.output == ("a", "c")


def test_from_opt_einsum_equation_with_names():
    with pytest.raises(SpecError, match=r"names its tensors T0, T1, \.\.\.; to choose names"):
        from_opt_einsum("ab,bc->ac", size_dict={"a": 2, "b": 3, "c": 4}, names=["A", "B"])


def test_from_opt_einsum_names_count():
    with pytest.raises(NetworkError, match=r"1 tensor names given for 2 tensors"):
        from_opt_einsum(["ab", "bc"], "ac", {"a": 2, "b": 3, "c": 4}, names=["A"])


# Spec files ------------------------------------------------------------------------------

FULL_YAML = """\
name: three-site chain
tensors:
  G1: [p1, r1]
  G2: [r1, p2, r2]
  G3: [r2, p3]
sizes: {p1: s, p2: s, p3: s, r1: R, r2: R}
symbols: [s, R]
output: [p1, p2, p3]
sketch: [p1, p2]
keep: [p3]
data_tree: [[G1, G2], G3]
regime: m <= R <= s
"""


def test_parse_spec_all_fields():
    spec = parse_spec(FULL_YAML, source="chain.yaml")
    net = spec.network
    assert net.name == "three-site chain"
    assert net.inputs == [("p1", "r1"), ("r1", "p2", "r2"), ("r2", "p3")]
    assert dict(net.size_dict) == {"p1": s, "p2": s, "p3": s, "r1": R, "r2": R}
    assert net.sketched == ("p1", "p2")
    assert net.kept == ("p3",)
    assert spec.data_tree.nested() == ((0, 1), 2)
    assert spec.regime == "m <= R <= s"
    assert spec.source == "chain.yaml"


def test_parse_spec_json_equals_yaml():
    import yaml

    as_json = json.dumps(yaml.safe_load(FULL_YAML))
    assert parse_spec(as_json).network == parse_spec(FULL_YAML).network
    assert parse_spec(as_json, source="x.txt").data_tree == parse_spec(FULL_YAML).data_tree


def test_parse_spec_defaults():
    spec = parse_spec("tensors: {A: [a, i], B: [i, b]}\nsizes: {a: 2, i: 3, b: 4}\n", source="dir/pair.yaml")
    assert spec.network.output == ("a", "b")
    assert spec.network.sketched == ()
    assert spec.network.name == "pair"
    assert spec.data_tree is None
    assert spec.regime is None


@pytest.mark.parametrize(
    ("fields", "sketched"),
    [
        ("sketch: all", ("a", "b", "c")),
        ("keep: [b]", ("a", "c")),
        ("sketch: [c, a]\nkeep: [b]", ("c", "a")),
        ("sketch: []\nkeep: [c, b, a]", ()),
        ("sketch: [a, b, c]\nkeep: []", ("a", "b", "c")),
    ],
    ids=["all", "keep-only", "both", "keep-everything", "keep-nothing"],
)
def test_parse_spec_sketch_and_keep(fields, sketched):
    text = "tensors: {A: [a, i], B: [i, b, c]}\nsizes: {a: 2, i: 3, b: 4, c: 5}\n" + fields
    assert parse_spec(text).network.sketched == sketched


def test_parse_spec_single_tensor_tree():
    spec = parse_spec("tensors: {A: [a]}\nsizes: {a: 2}\ndata_tree: A\n")
    assert spec.data_tree.leaves == (0,)
    assert len(spec.data_tree) == 0


BASE = "tensors: {A: [a, i], B: [i, b]}\nsizes: {a: s, i: R, b: s}\n"

BAD_SPECS = [
    ("malformed-yaml", "tensors: [a, b\n", SpecError, r"bad\.yaml: malformed YAML at line 2"),
    ("tabs-yaml", "tensors:\n\t- a\n", SpecError, r"bad\.yaml: malformed YAML"),
    ("duplicate-tensor", "tensors: {A: [a], A: [b]}\nsizes: {a: 2, b: 2}\n", SpecError, r"bad\.yaml: malformed YAML: key 'A' appears twice \(second time at line 1\)"),
    ("duplicate-field", BASE + "sizes: {a: 2}\n", SpecError, r"malformed YAML: key 'sizes' appears twice \(second time at line 3\)"),
    ("top-level-list", "- a\n- b\n", SpecError, r"bad\.yaml: expected a mapping .* got list"),
    ("empty-file", "", SpecError, r"bad\.yaml: expected a mapping .* got NoneType"),
    ("typo-field", BASE + "tensrs: {}\n", SpecError, r"bad\.yaml: unknown field 'tensrs'; valid fields: name, tensors, sizes"),
    ("missing-sizes", "tensors: {A: [a]}\n", SpecError, r"bad\.yaml: missing field 'sizes'"),
    ("missing-tensors", "sizes: {a: 2}\n", SpecError, r"bad\.yaml: missing field 'tensors'"),
    ("tensors-list", "tensors: [[a, b]]\nsizes: {a: 2, b: 2}\n", SpecError, r"field 'tensors': expected a non-empty mapping"),
    ("tensors-empty", "tensors: {}\nsizes: {a: 2}\n", SpecError, r"field 'tensors': expected a non-empty mapping"),
    ("indices-string", "tensors: {A: ab}\nsizes: {a: 2, b: 2}\n", SpecError, r"field 'tensors\.A': expected a list of index names, got str"),
    ("index-boolean", "tensors: {A: [on, b]}\nsizes: {b: 2}\n", SpecError, r"field 'tensors\.A': invalid entry True of type bool.*quote names"),
    ("index-number", "tensors: {A: [1, b]}\nsizes: {b: 2}\n", SpecError, r"field 'tensors\.A': invalid entry 1 of type int"),
    ("tensor-name-number", "tensors: {1: [a]}\nsizes: {a: 2}\n", SpecError, r"field 'tensors': invalid tensor name 1"),
    ("trace", "tensors: {A: [a, a]}\nsizes: {a: 2}\n", NetworkError, r"bad\.yaml: field 'tensors': tensor A repeats index 'a'.*traces"),
    ("sizes-list", "tensors: {A: [a]}\nsizes: [2]\n", SpecError, r"field 'sizes': expected a mapping from index name to size"),
    ("size-zero", "tensors: {A: [a]}\nsizes: {a: 0}\n", SizeError, r"bad\.yaml: field 'sizes', index 'a': invalid size 0"),
    ("size-boolean", "tensors: {A: [a]}\nsizes: {a: yes}\n", SizeError, r"index 'a': invalid size True.*not booleans"),
    ("size-missing", "tensors: {A: [a, b]}\nsizes: {a: 2}\n", SizeError, r"bad\.yaml: index 'b' has no size"),
    ("size-unknown-index", "tensors: {A: [a]}\nsizes: {a: 2, z: 3}\n", NetworkError, r"bad\.yaml: size given for unknown index 'z'"),
    ("undeclared-symbol", BASE + "symbols: [s]\n", SizeError, r"index 'i': size 'R' uses undeclared symbol\(s\) R; declared symbols: s"),
    ("symbols-string", BASE + "symbols: s\n", SpecError, r"field 'symbols': expected a list of symbol names"),
    ("symbol-invalid", BASE + "symbols: [s, R, 2x]\n", SpecError, r"field 'symbols': invalid symbol name '2x'"),
    ("name-number", BASE + "name: 3\n", SpecError, r"field 'name': expected text, got int 3"),
    ("regime-list", BASE + "regime: [m, s]\n", SpecError, r"field 'regime': expected text"),
    ("output-unknown", BASE + "output: [a, z]\n", NetworkError, r"bad\.yaml: output index 'z' is on no tensor"),
    ("output-string", BASE + "output: ab\n", SpecError, r"field 'output': expected a list of index names"),
    ("sketch-summed", BASE + "sketch: [i]\n", SpecError, r"field 'sketch': index 'i' is not open; open indices: a, b"),
    ("sketch-word", BASE + "sketch: every\n", SpecError, r"field 'sketch': expected a list of index names \(or the word all\)"),
    ("keep-summed", BASE + "keep: [i]\n", SpecError, r"field 'keep': index 'i' is not open"),
    ("keep-inconsistent", BASE + "sketch: [a]\nkeep: [a, b]\n", SpecError, r"field 'keep': keep lists a, b, but the open indices minus the sketched ones are b"),
    ("keep-missing-one", BASE + "sketch: [a]\nkeep: []\n", SpecError, r"keep lists nothing, but .* are b; fix keep or sketch"),
    ("tree-unknown-tensor", BASE + "data_tree: [A, C]\n", SpecError, r"field 'data_tree': unknown tensor 'C'; the tensors are A, B"),
    ("tree-three-children", "tensors: {A: [a], B: [b], C: [c]}\nsizes: {a: 2, b: 2, c: 2}\ndata_tree: [A, B, C]\n", PathError, r"bad\.yaml: field 'data_tree': .*exactly two children"),
    ("tree-repeats", BASE + "data_tree: [A, A]\n", PathError, r"field 'data_tree': .*repeats a leaf"),
    ("tree-leaves-out", "tensors: {A: [a], B: [b], C: [c]}\nsizes: {a: 2, b: 2, c: 2}\ndata_tree: [A, B]\n", SpecError, r"field 'data_tree': the tree leaves out tensor\(s\) C"),
    ("tree-number", BASE + "data_tree: [0, 1]\n", SpecError, r"field 'data_tree': invalid entry 0; write nested pairs of tensor names"),
]


@pytest.mark.parametrize(("text", "error", "match"), [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_parse_spec_errors(text, error, match):
    with pytest.raises(error, match=match):
        parse_spec(text, source="bad.yaml")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"tensors": {"A": ["a"]},}', r"bad\.json: malformed JSON at line 1, column 26"),
        ('{"tensors": {"A": ["a"]}, "sizes": {"a": 2}, "tensrs": 1}', r"unknown field 'tensrs'"),
        ('{"tensors": {"A": ["a"], "A": ["b"]}, "sizes": {"a": 2}}', r"bad\.json: malformed JSON: key 'A' appears twice"),
    ],
    ids=["trailing-comma", "typo-field", "duplicate-key"],
)
def test_parse_spec_json_errors(text, match):
    with pytest.raises(SpecError, match=match):
        parse_spec(text, source="bad.json")


def test_parse_spec_bad_format():
    with pytest.raises(SpecError, match=r"invalid spec format 'toml'; use 'yaml' or 'json'"):
        parse_spec(BASE, format="toml")


def test_load_spec_files(tmp_path):
    (tmp_path / "chain.yaml").write_text(FULL_YAML)
    (tmp_path / "chain.json").write_text(json.dumps({"tensors": {"A": ["a", "i"], "B": ["i", "b"]}, "sizes": {"a": 2, "i": 3, "b": 4}}))
    before = sorted(p.name for p in tmp_path.iterdir())

    from_yaml = load_spec(tmp_path / "chain.yaml")
    from_json = load_spec(str(tmp_path / "chain.json"))

    assert from_yaml.network.sketched == ("p1", "p2")
    assert from_yaml.source == str(tmp_path / "chain.yaml")
    assert from_json.network.name == "chain"
    assert dict(from_json.network.size_dict) == {"a": 2, "i": 3, "b": 4}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_load_spec_missing_file(tmp_path):
    with pytest.raises(SpecError, match=r"spec file '.*nowhere\.yaml' not found"):
        load_spec(tmp_path / "nowhere.yaml")


def test_load_spec_binary_file(tmp_path):
    (tmp_path / "blob.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SpecError, match=r"cannot read spec file '.*blob\.yaml'"):
        load_spec(tmp_path / "blob.yaml")


def test_load_spec_error_names_file(tmp_path):
    (tmp_path / "typo.yml").write_text(BASE + "tensrs: {}\n")
    with pytest.raises(SpecError, match=r"typo\.yml: unknown field 'tensrs'"):
        load_spec(tmp_path / "typo.yml")


# The SPEC resolver ---------------------------------------------------------------------------


def test_load_network_file(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(FULL_YAML)
    assert load_network(str(path)).data_tree.nested() == ((0, 1), 2)
    assert load_network(path).network.sketched == ("p1", "p2")


def test_load_network_file_without_suffix(tmp_path):
    path = tmp_path / "chain"
    path.write_text(FULL_YAML)
    assert load_network(str(path)).network.name == "three-site chain"


@pytest.mark.parametrize("text", ["tt:N=6", "khatri-rao:N=4", "peps:rows=2,cols=3", " mpo:N=2 "])
def test_load_network_builtin(text):
    spec = load_network(text)
    assert spec == Spec(parse_builtin(text.strip()), None, None, "builtin")


def test_load_network_einsum():
    spec = load_network("ai,ibj,jc->abc", "a=s,i=R,b=s,j=R,c=s")
    assert spec.source == "einsum"
    assert spec.network.output == ("a", "b", "c")
    assert load_network("ab,bc", {"a": 2, "b": 3, "c": 4}).network.output == ("a", "c")
    assert load_network("ab->a", {"a": 2, "b": 3}).network.inputs == [("a", "b")]


@pytest.mark.parametrize(
    ("text", "sizes", "match"),
    [
        ("ab,bc->ac", None, r"the einsum equation 'ab,bc->ac' needs the size of every index"),
        ("tensor-train", None, r"cannot read SPEC 'tensor-train': give a spec file .* a built-in such as tt:N=6 .* an einsum equation"),
        ("", None, r"cannot read SPEC ''"),
        ("train:N=3", None, r"unknown built-in structure 'train'; valid built-ins"),
        ("tt:N=x", None, r"tt: N='x' is not an integer"),
        ("missing.yaml", None, r"spec file 'missing\.yaml' not found"),
        (3, None, r"invalid SPEC 3"),
    ],
    ids=["einsum-no-sizes", "unknown-text", "empty", "unknown-builtin", "bad-builtin-value", "missing-file", "not-text"],
)
def test_load_network_errors(text, sizes, match):
    with pytest.raises(SpecError, match=match):
        load_network(text, sizes)


# Writing and reading back --------------------------------------------------------------------


@pytest.mark.parametrize("format", ["yaml", "json"])
@pytest.mark.parametrize("text", [entry.example() for entry in BUILTINS.values()])
def test_builtin_spec_round_trip(text, format):
    net = parse_builtin(text)
    spec = parse_spec(dump_spec(net, format=format), format=format)
    assert spec.network == net
    assert spec.network.name == net.name
    assert physical_indices(spec.network) == physical_indices(net)


def test_round_trip_with_tree_and_regime():
    net = tensor_train(4)
    data_tree = ContractionTree.from_nested(((0, 1), (2, 3)))
    text = dump_spec(net, data_tree, "m <= R <= s")
    spec = parse_spec(text)
    assert spec.network == net
    assert spec.data_tree.node_set() == data_tree.node_set()
    assert spec.regime == "m <= R <= s"


def test_round_trip_awkward_names_and_sizes():
    # Names YAML would read as booleans or numbers, and sizes that are monomials.
    net = TensorNetwork(
        (Tensor("on", ("yes", "1")), Tensor("2", ("1", "null"))),
        {"yes": "2*s", "1": "R**2", "null": 7},
        ("yes", "null"),
        ("yes",),
        name="no",
    )
    for format in ("yaml", "json"):
        back = parse_spec(dump_spec(net, format=format), format=format).network
        assert back == net
        assert back.name == "no"


def test_round_trip_partial_sketch_keeps_kept():
    net = khatri_rao(3).with_sketch(["p1", "p3"])
    fields = to_spec_dict(net)
    assert fields["sketch"] == ["p1", "p3"]
    assert parse_spec(dump_spec(net)).network.kept == ("p2", "r")


def test_to_spec_dict_fields():
    fields = to_spec_dict(tensor_train(2), ContractionTree.from_nested((1, 0)), "R <= s")
    assert fields == {
        "name": "tt:N=2",
        "tensors": {"G1": ["p1", "r1"], "G2": ["r1", "p2"]},
        "sizes": {"p1": "s", "r1": "R", "p2": "s"},
        "symbols": ["R", "s"],
        "output": ["p1", "p2"],
        "sketch": ["p1", "p2"],
        "data_tree": ["G2", "G1"],
        "regime": "R <= s",
    }


def test_to_spec_dict_rejects_embedding_tensors():
    net = TensorNetwork((Tensor("A", ("a", "i")), Tensor("S", ("a", "m"), "embedding")), {"a": 2, "i": 2, "m": 2})
    with pytest.raises(SpecError, match=r"tensor\(s\) S are embedding tensors; write the data network alone"):
        to_spec_dict(net)


def test_to_spec_dict_rejects_foreign_tree():
    with pytest.raises(PathError, match=r"data tree leaf 5 is not a tensor position \(0\.\.1\)"):
        to_spec_dict(tensor_train(2), ContractionTree.from_nested((0, 5)))


def test_dump_spec_bad_format():
    with pytest.raises(SpecError, match=r"invalid spec format 'xml'"):
        dump_spec(tensor_train(2), format="xml")


def test_dumped_yaml_reads_like_a_spec():
    text = dump_spec(tensor_train(2))
    assert text == textwrap.dedent(
        """\
        name: tt:N=2
        tensors:
          G1: [p1, r1]
          G2: [r1, p2]
        sizes: {p1: s, r1: R, p2: s}
        symbols: [R, s]
        output: [p1, p2]
        sketch: [p1, p2]
        """
    )


def test_exports_have_docstrings():
    for name in io.__all__:
        obj = getattr(io, name)
        if callable(obj) and not hasattr(obj, "__origin__"):
            assert obj.__doc__, name

