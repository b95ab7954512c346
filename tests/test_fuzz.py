"""Fuzzing of the parsers and of the command line (hypothesis).

Every parser of user text must either return a value or raise one of the
project's errors (:class:`tncost.errors.TncostError`) with a message that
names the bad input. Any other exception, and any hang, is a defect. The
command line must exit with status 0 or 2 on any arguments, print exactly
one ``error:`` line for status 2, and never print a traceback unless
``--debug`` is given. Cases that fuzzing found once are pinned by name below.

``benchmarks/fuzz_parsers.py`` runs the same parsers under atheris for longer
searches; it is not part of the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, note
from hypothesis import strategies as st

import tncost.cli
from tncost.cli import cli
from tncost.errors import RegimeError, SizeError, SpecError, TncostError
from tncost.io import load_network, parse_einsum, parse_index_sizes, parse_spec
from tncost.structures import parse_builtin
from tncost.symbolic.regime import Regime
from tncost.symbolic.sizes import parse_size, parse_size_assignments

REPO = Path(__file__).resolve().parents[1]

# Pieces of the input languages, so that generated text is often almost valid.
TOKENS = [
    "a", "b", "c", "s", "R", "m", "p1", "r1", "0", "1", "2", "7", "64", "10**12", "1.5", "-3",
    " ", ",", "=", ":", "->", "*", "**", "/", "(", ")", "+", "-", ".", "...", "<=", ">=", "==", "<", "and",
    "tt", "N", "rows", "cols", "khatri-rao", "peps", "all", "none", "[", "]", "{", "}", "'", '"', "#",
    "\n", "\t", "\x00", "é", "∞", "1e400", "nan", "inf", "oo", "I", "pi", "lambda", "__import__",
]
fragments = st.lists(st.sampled_from(TOKENS), max_size=16).map("".join)
texts = st.one_of(fragments, st.text(max_size=30))


def call(function, *args):
    """Call a parser; return its value or the project error it raised, and fail on anything else."""
    try:
        return function(*args)
    except TncostError as err:
        message = str(err)
        assert message.strip(), f"{type(err).__name__} without a message"
        return err


# Parsers of size text ----------------------------------------------------------------


@given(texts)
def test_parse_size_text(text):
    result = call(parse_size, text)
    if isinstance(result, SizeError):
        # The message quotes the text, unless the text is only spaces.
        assert repr(text.strip())[1:-1][:20] in str(result) or not text.strip()


@given(texts)
def test_parse_size_assignments_text(text):
    result = call(parse_size_assignments, text)
    if isinstance(result, dict):
        assert all(type(value) is int and value >= 1 for value in result.values())


@given(texts)
def test_parse_index_sizes_text(text):
    call(parse_index_sizes, text)


@given(texts, texts)
def test_parse_einsum_text(equation, sizes):
    call(parse_einsum, equation, sizes)


@given(texts)
def test_parse_builtin_text(text):
    call(parse_builtin, text)


@given(st.sampled_from(["tt", "khatri-rao", "tree", "mpo", "peps"]), st.integers(-5, 10**20))
def test_parse_builtin_counts(name, count):
    text = f"peps:rows={count},cols=2" if name == "peps" else f"{name}:N={count}"
    result = call(parse_builtin, text)
    if isinstance(result, TncostError):
        assert str(count) in str(result) or "too large" in str(result)


@given(texts, st.sampled_from([None, ("s", "R", "m")]))
def test_regime_text(text, symbols):
    call(Regime.parse, text, symbols)


@given(st.lists(st.sampled_from(["m", "R", "s", "2*R", "R**2", "10**40", "s/R", "1"]), min_size=2, max_size=4), st.data())
def test_regime_chains(sides, data):
    operators = [data.draw(st.sampled_from(["<=", ">=", "<", ">", "=="])) for _ in sides[1:]]
    text = sides[0] + "".join(f" {op} {side}" for op, side in zip(operators, sides[1:]))
    result = call(Regime.parse, text)
    if isinstance(result, RegimeError):
        assert "regime" in str(result)


@given(texts)
def test_load_network_text(text):
    call(load_network, text, "a=2,b=3,c=4")


# Spec files -----------------------------------------------------------------------------

names = st.sampled_from(["A", "B", "C", "a", "b", "c", "p1", "r1", "", "1", "all", "s"])
values = st.recursive(
    st.one_of(names, st.integers(-3, 10**15), st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)),
    max_leaves=12,
)
fields = st.sampled_from(["tensors", "sizes", "symbols", "output", "sketch", "keep", "data_tree", "regime", "name", "extra"])
specs = st.dictionaries(fields, values, max_size=6)
almost_valid = st.fixed_dictionaries(
    {
        "tensors": st.dictionaries(st.sampled_from(["A", "B", "C"]), st.lists(st.sampled_from(["a", "b", "c", "a"]), max_size=3), min_size=1),
        "sizes": st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.one_of(st.integers(-1, 5), st.sampled_from(["s", "R**2", "0", "x y"]))),
    },
    optional={
        "sketch": st.one_of(st.just("all"), st.lists(st.sampled_from(["a", "b", "c"]), max_size=3)),
        "data_tree": st.one_of(st.sampled_from(["A", "B"]), st.lists(st.sampled_from(["A", "B", "C"]), max_size=3)),
        "output": st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
        "symbols": st.lists(st.sampled_from(["s", "R", "m", "1x"]), max_size=2),
    },
)


@given(st.one_of(specs, almost_valid))
def test_parse_spec_yaml(data):
    text = yaml.safe_dump(data)
    note(text)
    call(lambda: parse_spec(text, source="spec.yaml"))


@given(st.one_of(specs, almost_valid))
def test_parse_spec_json(data):
    text = json.dumps(data)
    note(text)
    call(lambda: parse_spec(text, source="spec.json"))


@given(texts)
def test_parse_spec_text(text):
    call(parse_spec, text)


# Inputs that fuzzing found: each once raised a bare Python error or hung ----------------

FOUND = [
    pytest.param(parse_size, ("9**9**9**9",), SizeError, "too large", id="size-tower-hung"),
    pytest.param(parse_size, ("s**2**3**4**5",), SizeError, "too large", id="size-exponent-overflow"),
    pytest.param(parse_size, ("s**5000",), SizeError, "exponent 5000", id="size-symbol-exponent"),
    pytest.param(parse_size, ("(" * 3000 + "s" + ")" * 3000,), SizeError, "characters", id="size-deep-nesting"),
    pytest.param(parse_index_sizes, ("a=9**9**9**9",), SizeError, "index 'a'", id="index-size-tower"),
    pytest.param(parse_builtin, ("tt:N=" + "9" * 5000,), SpecError, "too large", id="builtin-5000-digits"),
    pytest.param(Regime.parse, ("m <= 9**9**9**9 * s",), RegimeError, "too large", id="regime-tower-hung"),
    # sympify runs eval: before the check, this text imported a module (ModuleNotFoundError).
    pytest.param(
        Regime.parse, ("s <= __import__('tncost_no_such_module')",), RegimeError, "calls are not allowed", id="regime-eval"
    ),
    pytest.param(Regime.parse, ("s <= R.func",), RegimeError, "use only numbers", id="regime-attribute"),
    pytest.param(parse_size, ("s .func",), SizeError, "use only numbers", id="size-attribute"),
    pytest.param(Regime.parse, ("s <= 1e400*R",), RegimeError, "too large", id="regime-float-overflow"),
    pytest.param(Regime.parse, ("s <= " + "1*" * 3000 + "R",), RegimeError, "characters", id="regime-recursion"),
    pytest.param(load_network, ("ab,bc->" + "a" * 2000, "a=2,b=3,c=4"), TncostError, "", id="einsum-name-too-long"),
    pytest.param(parse_spec, ("- " * 2000,), SpecError, "nested too deeply", id="yaml-deep-list"),
    pytest.param(parse_spec, ("[" * 5000,), SpecError, "", id="json-deep-list"),
    pytest.param(
        parse_spec,
        ("tensors: {A: [a]}\nsizes: {a: 9**9**9**9}",),
        SizeError,
        "field 'sizes', index 'a'",
        id="spec-size-tower",
    ),
    pytest.param(
        parse_spec,
        ("tensors: {A: [a], B: [a]}\nsizes: {a: 2}\ndata_tree: " + "[" * 3000 + "A" + "]" * 3000,),
        SpecError,
        "",
        id="spec-deep-data-tree",
    ),
]


@pytest.mark.parametrize(("function", "args", "error", "message"), FOUND)
def test_found_input_clean_error(function, args, error, message):
    with pytest.raises(error) as caught:
        function(*args)
    assert message in str(caught.value)


def test_regime_huge_constant_exact():
    # 10**1000 does not fit in a float; the regime compares logarithms of exact fractions.
    regime = Regime.parse("s >= 10**1000")
    assert regime.constraints[0].bound == 10**1000


def test_size_within_limit_exact():
    assert parse_size("2**4000") == 2**4000
    assert parse_size("10**12") == 10**12
    assert str(parse_size("s**1024")) == "s**1024"


# Command line: exit status and one line ---------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_one_error_line(result, status: int = 2) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == status, (result.exit_code, result.output, result.exception)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_cli_unknown_group_option():
    line = assert_one_error_line(invoke("--bogus", "analyze", "tt:N=3"))
    assert line == "error: No such option '--bogus'."


def test_cli_user_error_one_line():
    line = assert_one_error_line(invoke("analyze", "tt:N=3", "--sketch", "zz"))
    assert line.startswith("error: sketched index 'zz'")


def test_cli_debug_shows_user_traceback():
    result = invoke("--debug", "analyze", "tt:N=3", "--sketch", "zz")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "NetworkError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: sketched index 'zz'")


def test_cli_multiline_message_joined(monkeypatch):
    def fail(*args, **kwargs):
        raise SpecError("first line\nsecond line")

    monkeypatch.setattr(tncost.cli, "_plan", fail)
    line = assert_one_error_line(invoke("analyze", "tt:N=3"))
    assert line == "error: first line second line"


def test_cli_internal_error_exit_1(monkeypatch):
    def crash(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(tncost.cli, "_plan", crash)
    line = assert_one_error_line(invoke("analyze", "tt:N=3"), status=1)
    assert line.startswith("internal error: ZeroDivisionError: division by zero")
    assert "rerun with --debug" in line


def test_cli_internal_error_debug_traceback(monkeypatch):
    def crash(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(tncost.cli, "_plan", crash)
    result = invoke("--debug", "analyze", "tt:N=3")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise ZeroDivisionError("division by zero")' in result.stderr


def test_cli_long_einsum_spec_user_error():
    line = assert_one_error_line(invoke("analyze", "ab,bc->" + "a" * 2000, "--sizes", "a=2,b=3,c=4"))
    assert line.startswith("error: ")


def test_cli_subprocess_internal_hint(tmp_path):
    # A real process: the console entry point, a crash inside a command, status 1, no traceback.
    code = (
        "import tncost.cli as c\n"
        "def crash(*a, **k):\n    raise KeyError('boom')\n"
        "c._plan = crash\nc.main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "analyze", "tt:N=3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "internal error: KeyError: 'boom'; this is a bug in tncost, rerun with --debug to see the traceback"
    ]


cli_specs = st.one_of(
    st.sampled_from(["tt:N=3", "khatri-rao:N=2", "tree:N=3", "cp:N=2", "tucker:N=2", "ab,bc->ac", "ab,bc", "a,a->"]),
    fragments,
)
optional = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


@given(
    cli_specs,
    optional(texts),
    optional(st.one_of(st.sampled_from(["all", "none", "p1", "p1,p2", "a"]), fragments)),
    optional(st.one_of(st.integers(-2, 6).map(str), fragments)),
    optional(st.one_of(st.sampled_from(["m <= R <= s", "R <= s", "s <= R, R <= s"]), fragments)),
    optional(st.one_of(st.sampled_from(["tt", "ms22,tree", "dense"]), fragments)),
    st.sampled_from(["text", "json", "latex"]),
)
def test_cli_analyze_any_arguments(spec, sizes, sketch, m, regime, family, output_format):
    args = ["analyze", spec, "--format", output_format]
    for option, value in (("--sizes", sizes), ("--sketch", sketch), ("--m", m), ("--regime", regime), ("--family", family)):
        if value is not None:
            args += [option, value]
    note(repr(args))
    result = invoke(*args)
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        assert result.stdout == ""
    elif output_format == "json":
        json.loads(result.stdout)


# Plan files ------------------------------------------------------------------------------


def test_plan_file_cost_not_evaluated():
    from tncost.planner import SketchPlan, plan_sketch
    from tncost.structures import tensor_train

    data = plan_sketch(tensor_train(2), sizes={"s": 8, "R": 2}, m=2, families=["tt"]).to_dict()
    # Evaluating this text imports a module that does not exist, which raises ModuleNotFoundError.
    data["families"][0]["cost"] = "__import__('tncost_no_such_module')"
    with pytest.raises(TncostError):
        SketchPlan.from_dict(data)
