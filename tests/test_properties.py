"""Property-based tests over generated networks (hypothesis).

The networks have 2 to 12 tensors, summed and open hyperedges, indices of
size 1, repeated sizes, scalar tensors, disconnected parts, and sizes that
are ints or monomials in the symbols ``s`` and ``R``. Every expected value
comes from an independent count: the shapes of the arrays that
:func:`tncost.execute.execute_tree` multiplies, cotengra's
``ContractionTree.contraction_cost()`` (cotengra 0.8, the same "product of
every index either operand carries" convention as tncost's ``ops``),
``opt_einsum.contract`` for the numbers themselves, and the lower bound of
:mod:`tncost.bounds` with the divisor of :func:`tncost.bounds.bound_constant`.

The hypothesis profile is registered in ``tests/conftest.py``.
"""

from __future__ import annotations

from fractions import Fraction

import cotengra
import numpy as np
import opt_einsum
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from tncost import embeddings as emb
from tncost.bounds import bound_constant, lower_bound
from tncost.consistent import consistent_tree
from tncost.cost import substitute_cost, tree_cost
from tncost.execute import execute_tree, random_data
from tncost.network import TensorNetwork
from tncost.planner import FAMILY_NAMES, plan_sketch, sketched_order
from tncost.tree import ContractionTree, is_consistent

# Sizes small enough that any tree over at most MAX_INDICES indices executes quickly.
MAX_INDICES = 10
SYMBOLIC_SIZES = ("s", "R", "R**2", "s*R")


# Strategies -------------------------------------------------------------------------


@st.composite
def networks(draw, min_tensors: int = 2, max_tensors: int = 12, symbolic: bool = True, sizes=(1, 2, 3)):
    """Draw a network and the symbol values that make it numeric.

    Index names are opt_einsum symbols, so the network also reads as an einsum
    equation. Tensors are named by their position, and their index order is
    shuffled, so no order in the output depends on the names.
    """
    count = draw(st.integers(min_tensors, max_tensors))
    index_count = draw(st.integers(1, MAX_INDICES))
    inputs: list[list[str]] = [[] for _ in range(count)]
    output: list[str] = []
    size_dict: dict[str, object] = {}
    size_choices = list(sizes) + (list(SYMBOLIC_SIZES) if symbolic else [])
    for number in range(index_count):
        name = opt_einsum.get_symbol(number)
        holders = draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=min(4, count), unique=True))
        for position in holders:
            inputs[position].append(name)
        size_dict[name] = draw(st.sampled_from(size_choices))
        # An index on one tensor may be summed (it is summed away before the first step).
        if draw(st.booleans()):
            output.append(name)
    for position in range(count):
        inputs[position] = draw(st.permutations(inputs[position]))
    output = draw(st.permutations(output))
    network = TensorNetwork.from_inputs(inputs, output, size_dict)
    values = {name: draw(st.integers(1, 3)) for name in network.symbols}
    return network, values


@st.composite
def linear_paths(draw, count: int):
    """Draw a linear (opt_einsum) path over ``count`` operands."""
    path = []
    for remaining in range(count, 1, -1):
        i = draw(st.integers(0, remaining - 2))
        j = draw(st.integers(i + 1, remaining - 1))
        path.append((i, j))
    return path


@st.composite
def sketch_networks(draw, max_tensors: int = 6):
    """Draw a numeric data network with at least one sketched index, and a sketch size m.

    Every sketched index has size at least m >= 2, the assumption of the
    lower bound. Other indices take sizes 1 to 4, with repeats.
    """
    m = draw(st.integers(2, 4))
    count = draw(st.integers(1, max_tensors))
    inputs: list[list[str]] = [[] for _ in range(count)]
    size_dict: dict[str, int] = {}
    output: list[str] = []
    sketched: list[str] = []
    number = 0

    def new_index() -> str:
        nonlocal number
        name = opt_einsum.get_symbol(number)
        number += 1
        return name

    # Bonds, including hyperedges and parallel bonds.
    for _ in range(draw(st.integers(0, count + 1)) if count > 1 else 0):
        name = new_index()
        holders = draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=min(3, count), unique=True))
        for position in holders:
            inputs[position].append(name)
        size_dict[name] = draw(st.integers(1, 4))
    # Sketched indices, each on one tensor, with size >= m.
    for _ in range(draw(st.integers(1, 4))):
        name = new_index()
        inputs[draw(st.integers(0, count - 1))].append(name)
        size_dict[name] = draw(st.integers(m, m + 3))
        output.append(name)
        sketched.append(name)
    # Kept indices: open, on one tensor, or an open hyperedge.
    for _ in range(draw(st.integers(0, 2))):
        name = new_index()
        holders = draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=min(2, count), unique=True))
        for position in holders:
            inputs[position].append(name)
        size_dict[name] = draw(st.integers(1, 3))
        output.append(name)
    network = TensorNetwork.from_inputs(inputs, output, size_dict, sketched=sketched)
    return network, m


def numeric(network: TensorNetwork, values: dict[str, int]) -> TensorNetwork:
    return network.at_sizes(values) if network.symbols else network


def equation(network: TensorNetwork) -> str:
    return ",".join("".join(term) for term in network.inputs) + "->" + "".join(network.output or ())


# Cost of a tree: symbolic, executed and cotengra's -------------------------------------


@given(networks(), st.data())
def test_tree_cost_matches_execution_and_cotengra(drawn, data):
    network, values = drawn
    path = data.draw(linear_paths(len(network.tensors)))
    note(f"network {network!r}, values {values}, path {path}")
    tree = ContractionTree.from_path(path, len(network.tensors))
    at_values = numeric(network, values)

    symbolic = tree_cost(network, tree)
    predicted = substitute_cost(symbolic.ops, values)
    assert isinstance(predicted, int)

    arrays = random_data(at_values, seed=0)
    run = execute_tree(at_values, tree, arrays)
    assert run.executed_ops == predicted

    sizes = {index: int(size) for index, size in at_values.size_dict.items()}
    reference = cotengra.ContractionTree.from_path(at_values.inputs, at_values.output, sizes, path=path)
    assert int(reference.contraction_cost()) == predicted

    expected = opt_einsum.contract(equation(at_values), *(arrays[t.name] for t in at_values.tensors))
    np.testing.assert_allclose(run.result, expected, rtol=1e-9, atol=1e-9)


@given(networks(symbolic=False), st.data())
def test_numeric_cost_is_int(drawn, data):
    network, _ = drawn
    path = data.draw(linear_paths(len(network.tensors)))
    cost = tree_cost(network, ContractionTree.from_path(path, len(network.tensors)))
    assert type(cost.ops) is int
    assert type(cost.largest_intermediate) is int
    assert type(cost.live_peak) is int
    assert cost.live_peak >= cost.input_size


# Planner: lower bound, sequence condition, T0-consistency, choice ----------------------


@pytest.fixture(scope="module")
def plans() -> dict:
    """Plans by network repr, so tests that draw the same network share one planner call."""
    return {}


def planned(network: TensorNetwork, m: int, cache: dict):
    key = (repr(network), tuple(sorted(network.size_dict.items())), m)
    if key not in cache:
        cache[key] = plan_sketch(network, m=m, families=list(FAMILY_NAMES))
    return cache[key]


@given(sketch_networks())
def test_plans_cost_at_least_bound(plans, drawn):
    network, m = drawn
    note(repr(network))
    plan = planned(network, m, plans)
    bound = lower_bound(network, plan.data_tree, m).at()
    divisor = bound_constant(m, network)
    assert divisor <= Fraction(7, 2)
    for family in plan.families:
        if not family.sequence.ok:
            continue
        assert family.lower_bound_at_point == bound, family.family
        assert family.cost_at_point * divisor >= bound, family.family


@given(sketch_networks())
def test_family_sequence_condition(plans, drawn):
    network, m = drawn
    plan = planned(network, m, plans)
    for family in plan.families:
        check = emb.check_sequence(family.numeric_embedding(), m=m)
        if family.family == "khatri-rao" and len(network.sketched) >= 2:
            assert not check.ok
            assert "condition (i) fails" in check.reason
            assert "hyperedge" in check.reason
        else:
            assert check.ok, (family.family, check.reason)
            assert all(rows >= m for rows in check.row_sizes)


@given(sketch_networks())
def test_ms22_tree_is_t0_consistent(plans, drawn):
    network, m = drawn
    plan = planned(network, m, plans)
    for name in ("ms22", "best_t0"):
        family = plan.family(name)
        assert is_consistent(family.tree, plan.data_tree), name
        assert sorted(family.tree.leaves) == list(range(len(family.joint.tensors)))


@given(sketch_networks())
def test_every_family_tree_consistent_and_costed(plans, drawn):
    network, m = drawn
    plan = planned(network, m, plans)
    for family in plan.families:
        assert is_consistent(family.tree, plan.data_tree), family.family
        recount = tree_cost(family.numeric_joint(), family.tree).ops
        assert recount == family.cost_at_point, family.family
        if family.unconstrained_ops_at_point is not None:
            assert family.unconstrained_ops_at_point <= family.cost_at_point, family.family


@given(sketch_networks())
def test_chosen_is_cheapest_candidate(plans, drawn):
    network, m = drawn
    plan = planned(network, m, plans)
    guaranteed = [f for f in plan.families if f.sequence.ok] or list(plan.families)
    chosen = plan.family(plan.chosen)
    assert chosen in guaranteed
    for family in guaranteed:
        assert chosen.cost_at_point <= family.cost_at_point, family.family


@given(sketch_networks(max_tensors=5))
def test_tt_keeps_cheaper_orientation(drawn):
    network, m = drawn
    plan = plan_sketch(network, m=m, families=["tt"])
    order = sketched_order(network, plan.data_tree)
    costs = []
    for reverse in (False, True):
        embedding = emb.build_embedding("tt", network, m, order=order, reverse=reverse)
        joint = emb.joint_network(network, embedding)
        costs.append(consistent_tree(joint, plan.data_tree).ops)
    assert plan.family("tt").cost_at_point == min(costs)
