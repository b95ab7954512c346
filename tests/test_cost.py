"""Tests of exact costs and memory figures on small cases worked out by hand."""

from __future__ import annotations

import cotengra
import opt_einsum
import pytest
import sympy

from tncost.cost import CONVENTIONS, kept_indices, step_ops, substitute_cost, tree_cost
from tncost.embeddings import build_embedding, joint_network
from tncost.errors import PathError
from tncost.io import parse_einsum
from tncost.network import TensorNetwork
from tncost.structures import tensor_train
from tncost.symbolic.sizes import size_symbol
from tncost.tree import ContractionTree

s, R, m = size_symbol("s"), size_symbol("R"), size_symbol("m")


def _cost(equation, sizes, nested):
    return tree_cost(parse_einsum(equation, sizes), ContractionTree.from_nested(nested))


# Numeric cases: ops, conventions and memory by hand --------------------------------

# (equation, sizes, tree, ops per step, opt_einsum total, largest intermediate, live peak)
CASES = [
    # ab,bc->ac: one step over a, b, c = 2*3*4 = 24. It sums b, so opt_einsum counts 48.
    # Inputs 6 + 12 = 18 stay alive, and with the result (8) the peak is 26.
    pytest.param("ab,bc->ac", "a=2,b=3,c=4", (0, 1), [24], 48, 8, 26, id="matrix-product"),
    # a,b->ab: an outer product of 2*3 = 6 sums nothing, so opt_einsum counts 6.
    # Peak: inputs 2 + 3 and the result 6.
    pytest.param("a,b->ab", "a=2,b=3", (0, 1), [6], 6, 6, 11, id="outer-product"),
    # ir,jr,kr->ijk with r summed but still on the third tensor after step one:
    # step one keeps r (2*3*7 = 42, result i,r,j of size 42, nothing summed), and
    # step two sums r (2*3*5*7 = 210, result i,j,k of size 30), so opt_einsum
    # counts 42 + 2*210 = 462. Inputs are 14 + 21 + 35 = 70. The step-two peak holds
    # the inputs, the operand of size 42 and the result of size 30, so 142.
    pytest.param("ir,jr,kr->ijk", "i=2,j=3,k=5,r=7", ((0, 1), 2), [42, 210], 462, 42, 142, id="hyperedge-summed-late"),
    # The same with r open: no step sums anything, so opt_einsum counts 42 + 210.
    # The final result i,j,k,r has size 210, so the peak is 70 + 42 + 210 = 322.
    pytest.param("ir,jr,kr->ijkr", "i=2,j=3,k=5,r=7", ((0, 1), 2), [42, 210], 252, 210, 322, id="hyperedge-open"),
    # a,b,c->abc: 2*3 = 6, then 6*4 = 24. Peak: inputs 9 + 6 + 24 = 39.
    pytest.param("a,b,c->abc", "a=2,b=3,c=4", ((0, 1), 2), [6, 24], 30, 24, 39, id="kronecker"),
    # ab,bc,cd->ad right to left: (b,c,d) = 3*4*5 = 60 with result b,d (15),
    # then (a,b,d) = 2*3*5 = 30 with result a,d (10). Both steps sum, so 2*90.
    # Inputs are 6 + 12 + 20 = 38, and step two holds 38 + 15 + 10 = 63.
    pytest.param("ab,bc,cd->ad", "a=2,b=3,c=4,d=5", (0, (1, 2)), [60, 30], 180, 15, 63, id="chain-right-first"),
]


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_step_ops(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    cost = _cost(equation, sizes, nested)
    assert [step.ops for step in cost.steps] == steps
    assert cost.ops == sum(steps)


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_opt_einsum_convention(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    assert _cost(equation, sizes, nested).convert("opt_einsum") == opt_einsum_total


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_opt_einsum_agrees(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    """opt_einsum's own count of the same path is the opt_einsum convention."""
    net = parse_einsum(equation, sizes)
    shapes = [tuple(net.size_dict[i] for i in ix) for ix in net.inputs]
    path = ContractionTree.from_nested(nested).path()
    _, info = opt_einsum.contract_path(equation, *shapes, optimize=path, shapes=True)
    assert info.opt_cost == opt_einsum_total
    assert info.largest_intermediate == largest


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_cotengra_agrees(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    net = parse_einsum(equation, sizes)
    ssa = ContractionTree.from_nested(nested).ssa_path()
    tree = cotengra.ContractionTree.from_path(net.inputs, net.output, dict(net.size_dict), ssa_path=ssa)
    assert tree.contraction_cost() == sum(steps)


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_largest_intermediate(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    assert _cost(equation, sizes, nested).largest_intermediate == largest


@pytest.mark.parametrize(("equation", "sizes", "nested", "steps", "opt_einsum_total", "largest", "peak"), CASES)
def test_live_peak(equation, sizes, nested, steps, opt_einsum_total, largest, peak):
    assert _cost(equation, sizes, nested).live_peak == peak


@pytest.mark.parametrize(
    ("equation", "sizes", "ratio"),
    [("ab,bc->ac", "a=2,b=3,c=4", 2), ("a,b->ab", "a=2,b=3", 1)],
    ids=["summing-step", "outer-product"],
)
def test_convention_ratio(equation, sizes, ratio):
    cost = _cost(equation, sizes, (0, 1))
    assert cost.convert("opt_einsum") == ratio * cost.ops
    assert cost.convert("flops") == ratio * cost.ops


@pytest.mark.parametrize("convention", ["ops", "cotengra"])
def test_ops_conventions_identical(convention):
    cost = _cost("ab,bc->ac", "a=2,b=3,c=4", (0, 1))
    assert cost.convert(convention) == 24


def test_conventions_listed():
    assert set(CONVENTIONS) == {"ops", "cotengra", "opt_einsum", "flops"}


def test_unknown_convention():
    cost = _cost("ab,bc->ac", "a=2,b=3,c=4", (0, 1))
    with pytest.raises(ValueError, match=r"unknown cost convention 'gflops'; use one of ops, cotengra, opt_einsum, flops"):
        cost.convert("gflops")


def test_step_fields_hyperedge():
    first = _cost("ir,jr,kr->ijk", "i=2,j=3,k=5,r=7", ((0, 1), 2)).steps[0]
    assert first.result == ("i", "r", "j")
    assert first.summed == ()
    assert first.result_size == 42


def test_step_fields_matrix_product():
    step = _cost("ab,bc->ac", "a=2,b=3,c=4", (0, 1)).steps[0]
    assert step.indices == ("a", "b", "c")
    assert step.summed == ("b",)
    assert step.result == ("a", "c")


def test_kept_indices_hyperedge():
    net = parse_einsum("ir,jr,kr->ijk", "i=2,j=3,k=5,r=7")
    assert kept_indices(net, [0, 1]) == ("i", "r", "j")
    assert kept_indices(net, [0, 1, 2]) == ("i", "j", "k")


def test_step_ops_hyperedge():
    net = parse_einsum("ir,jr,kr->ijk", "i=2,j=3,k=5,r=7")
    assert step_ops(net, [0], [1]) == 42
    assert step_ops(net, [0, 1], [2]) == 210


def test_subset_tree_keeps_outside_indices():
    # A tree over tensors 0 and 1 of ab,bc,cd->ad: c stays because tensor 2 has it.
    net = parse_einsum("ab,bc,cd->ad", "a=2,b=3,c=4,d=5")
    cost = tree_cost(net, ContractionTree.from_nested((0, 1)))
    assert cost.ops == 2 * 3 * 4
    assert cost.steps[0].result == ("a", "c")


def test_one_leaf_tree_cost():
    net = parse_einsum("ab,bc->ac", "a=2,b=3,c=4")
    cost = tree_cost(net, ContractionTree.from_nested(1))
    assert cost.ops == 0
    assert cost.largest_intermediate == 0
    assert cost.live_peak == 12


def test_tree_leaf_out_of_range():
    net = parse_einsum("ab,bc->ac", "a=2,b=3,c=4")
    with pytest.raises(PathError, match=r"tree leaf 5 is not a tensor position; the network has positions 0..1"):
        tree_cost(net, ContractionTree.from_nested((0, 5)))


# Symbolic costs ---------------------------------------------------------------------

# Tensor train of order 3, G1(p1,r1) G2(r1,p2,r2) G3(r2,p3), p of size s and r of size R.
TT3_ORDERS = [
    # G1 G2 over p1,r1,p2,r2 = s^2 R^2 gives p1,p2,r2. With G3: p1,p2,r2,p3 = s^3 R.
    pytest.param(((0, 1), 2), s**2 * R**2 + s**3 * R, id="left-to-right"),
    # G2 G3 over r1,p2,r2,p3 = s^2 R^2 gives r1,p2,p3. With G1: p1,r1,p2,p3 = s^3 R.
    pytest.param((0, (1, 2)), s**2 * R**2 + s**3 * R, id="right-to-left"),
    # G1 G3 is an outer product over p1,r1,r2,p3 = s^2 R^2 that keeps both bonds.
    # With G2: p1,r1,r2,p3,p2 = s^3 R^2.
    pytest.param(((0, 2), 1), s**2 * R**2 + s**3 * R**2, id="outer-first"),
]


@pytest.mark.parametrize(("nested", "expected"), TT3_ORDERS)
def test_tensor_train_polynomial(nested, expected):
    cost = tree_cost(tensor_train(3).with_sketch(()), ContractionTree.from_nested(nested))
    assert sympy.expand(cost.ops - expected) == 0


def test_tensor_train_memory_symbolic():
    cost = tree_cost(tensor_train(3).with_sketch(()), ContractionTree.from_nested(((0, 1), 2)))
    # Inputs: s R + s R^2 + s R. Step one adds p1,p2,r2 (s^2 R) and step two adds p1,p2,p3 (s^3).
    assert sympy.expand(cost.input_size - (2 * s * R + s * R**2)) == 0
    # At s = 4, R = 2 the intermediates are 32 and 64, and the peak is 32 + 32 + 64 = 128.
    assert substitute_cost(cost.largest_intermediate, {"s": 4, "R": 2}) == 64
    assert substitute_cost(cost.live_peak, {"s": 4, "R": 2}) == 128


def test_largest_intermediate_changes_winner():
    cost = tree_cost(tensor_train(3).with_sketch(()), ContractionTree.from_nested(((0, 1), 2)))
    # At s = 2, R = 8 the first intermediate s^2 R = 32 beats s^3 = 8.
    assert substitute_cost(cost.largest_intermediate, {"s": 2, "R": 8}) == 32


def test_symbolic_cost_substitutes_to_numeric():
    network = tensor_train(3).with_sketch(())
    tree = ContractionTree.from_nested(((0, 1), 2))
    symbolic = tree_cost(network, tree).ops
    numeric = tree_cost(network.at_sizes({"s": 5, "R": 3}), tree).ops
    assert substitute_cost(symbolic, {"s": 5, "R": 3}) == numeric
    assert numeric == 5**2 * 3**2 + 5**3 * 3


DENSE_SKETCH_ORDERS = [
    # Joint positions: G1(p1,r1), G2(r1,p2), S(S_out,p1,p2) with S_out of size m.
    # Data first: p1,r1,p2 = s^2 R, then S over S_out,p1,p2 = m s^2.
    pytest.param(((0, 1), 2), s**2 * R + m * s**2, id="data-first"),
    # S on G1 first: p1,r1,S_out,p2 = m s^2 R gives r1,S_out,p2, then G2 costs m s R.
    pytest.param(((0, 2), 1), m * s**2 * R + m * s * R, id="sketch-first"),
]


@pytest.mark.parametrize(("nested", "expected"), DENSE_SKETCH_ORDERS)
def test_dense_sketch_polynomial(nested, expected):
    network = tensor_train(2)
    joint = joint_network(network, build_embedding("dense", network, m))
    cost = tree_cost(joint, ContractionTree.from_nested(nested))
    assert sympy.expand(cost.ops - expected) == 0


def test_rational_exponent_cost():
    # a = m, b = m^(1/2), c = s: one step over a, b, c costs m^(3/2) s.
    net = parse_einsum("ab,bc->ac", {"a": "m", "b": "m**(1/2)", "c": "s"})
    cost = tree_cost(net, ContractionTree.from_nested((0, 1)))
    assert cost.ops == m ** sympy.Rational(3, 2) * s
    assert substitute_cost(cost.ops, {"m": 16, "s": 3}) == 64 * 3


# Huge sizes stay exact -------------------------------------------------------------


def test_huge_sizes_exact_ops():
    big = 10**30
    cost = _cost("ab,bc->ac", {"a": big, "b": big, "c": big + 1}, (0, 1))
    assert cost.ops == big * big * (big + 1)
    assert type(cost.ops) is int


def test_huge_sizes_exact_conversion():
    big = 10**30
    cost = _cost("ab,bc->ac", {"a": big, "b": big, "c": big}, (0, 1))
    assert cost.convert("opt_einsum") == 2 * 10**90
    assert type(cost.convert("opt_einsum")) is int


def test_huge_sizes_exact_memory():
    big = 10**30
    cost = _cost("ab,bc->ac", {"a": big, "b": 3, "c": big}, (0, 1))
    assert cost.largest_intermediate == big * big
    assert cost.live_peak == 3 * big + 3 * big + big * big


def test_huge_symbolic_substitution_exact():
    cost = tree_cost(tensor_train(3).with_sketch(()), ContractionTree.from_nested(((0, 1), 2)))
    value = substitute_cost(cost.ops, {"s": 10**20, "R": 10**10 + 7})
    assert value == 10**40 * (10**10 + 7) ** 2 + 10**60 * (10**10 + 7)
    assert type(value) is int

