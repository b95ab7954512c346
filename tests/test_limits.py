"""Limits: search size and time, huge sizes, the memory budget, and interrupted writes.

* The exact order search (``"dp"``) runs within :data:`tncost.paths.AUTO_DP_LIMIT`
  tensors and :data:`tncost.paths.AUTO_DP_SECONDS` seconds; beyond them the
  ``"auto"`` search falls back to cotengra, then to opt_einsum's exact-integer
  greedy search, and warns with :class:`tncost.errors.SearchLimitWarning`.
* Sizes up to 10**12 on 40 sketched indices give exact integer costs.
* Execution rejects a plan over the memory budget before allocating anything.
* An interrupt leaves no partial output file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import cotengra
import networkx as nx
import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import tncost.cli
import tncost.execute as execute
import tncost.paths as paths
from tncost.cli import cli
from tncost.cost import tree_cost
from tncost.errors import MemoryBudgetError, NetworkError, SearchLimitWarning
from tncost.network import TensorNetwork
from tncost.planner import plan_contraction, plan_sketch
from tncost.structures import tensor_train
from tncost.tree import ContractionTree

REPO = Path(__file__).resolve().parents[1]


def fullerene_c60() -> nx.Graph:
    """The C60 fullerene graph (truncated icosahedron): 60 vertices, 90 edges, every degree 3.

    Each vertex v of the icosahedron becomes the five vertices (v, u), one per
    neighbour u, joined in a ring in the planar embedding's order around v.
    The vertices (v, u) and (u, v) are joined for every icosahedron edge.
    """
    icosahedron = nx.icosahedral_graph()
    _, embedding = nx.check_planarity(icosahedron)
    graph = nx.Graph()
    for v in icosahedron:
        ring = list(embedding.neighbors_cw_order(v))
        for a, b in zip(ring, ring[1:] + ring[:1]):
            graph.add_edge((v, a), (v, b))
    for u, v in icosahedron.edges:
        graph.add_edge((u, v), (v, u))
    return graph


def graph_network(graph: nx.Graph, bond: int) -> TensorNetwork:
    nodes = sorted(graph.nodes)
    position = {node: k for k, node in enumerate(nodes)}
    inputs: list[list[str]] = [[] for _ in nodes]
    sizes = {}
    for number, (u, v) in enumerate(sorted(graph.edges)):
        name = f"e{number}"
        inputs[position[u]].append(name)
        inputs[position[v]].append(name)
        sizes[name] = bond
    return TensorNetwork.from_inputs(inputs, (), sizes)


# Order search limits -------------------------------------------------------------------


def test_fullerene_graph_shape():
    graph = fullerene_c60()
    assert graph.number_of_nodes() == 60
    assert graph.number_of_edges() == 90
    assert set(dict(graph.degree).values()) == {3}
    faces = nx.minimum_cycle_basis(graph)
    assert sorted({len(face) for face in faces}) == [5, 6]


def test_fullerene_falls_back_with_warning():
    network = graph_network(fullerene_c60(), 2)
    with pytest.warns(SearchLimitWarning, match="60 tensors, more than the 14"):
        plan = plan_contraction(network)
    assert sorted(plan.tree.leaves) == list(range(60))
    assert type(plan.cost_at_point) is int
    reference = cotengra.ContractionTree.from_path(
        network.inputs, network.output, dict(network.size_dict), ssa_path=plan.tree.ssa_path()
    )
    assert plan.cost_at_point == int(reference.contraction_cost())


def test_dp_time_limit_raises():
    network = graph_network(nx.circulant_graph(12, [1, 2]), 2)
    with pytest.raises(paths.SearchTimeout, match="longer than 0"):
        paths.dp_optimal(network, time_limit=0)


def test_auto_time_limit_falls_back(monkeypatch):
    network = graph_network(nx.circulant_graph(12, [1, 2]), 2)
    optimum = tree_cost(network, paths.dp_optimal(network)).ops
    monkeypatch.setattr(paths, "AUTO_DP_SECONDS", 0)
    with pytest.warns(SearchLimitWarning, match="cotengra heuristic"):
        tree = paths.optimize(network)
    assert sorted(tree.leaves) == list(range(12))
    assert tree_cost(network, tree).ops >= optimum


def test_cli_prints_warning_line():
    result = CliRunner().invoke(cli, ["analyze", "tt:N=16", "--sizes", "s=4,R=2", "--m", "2", "--family", "tt"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: the network has 16 tensors, more than the 14 of the exact search; "
        "the order comes from the cotengra heuristic and may not be optimal"
    ]


def test_overflow_beyond_greedy_limit_is_user_error():
    network = tensor_train(paths.GREEDY_FALLBACK_LIMIT + 1).at_sizes({"s": 10**12, "R": 10**12})
    with pytest.warns(SearchLimitWarning):
        with pytest.raises(NetworkError, match="too large for the cotengra search"):
            paths.optimize(network)


# Huge sizes ----------------------------------------------------------------------------

HUGE = {"s": 10**12, "R": 10**12}


@pytest.fixture(scope="module")
def tt40():
    with pytest.warns(SearchLimitWarning):
        return plan_sketch(tensor_train(40), sizes=HUGE, m=64, families=["tt", "tree", "khatri-rao"])


def test_forty_sketched_exact_ints(tt40):
    assert len(tt40.network.sketched) == 40
    for family in tt40.families:
        assert type(family.cost_at_point) is int, family.family
        symbols = {name: sympy.Symbol(name) for name in ("s", "R", "m")}
        expected = sympy.sympify(str(family.cost), locals=symbols).subs({symbols["s"]: 10**12, symbols["R"]: 10**12, symbols["m"]: 64})
        assert family.cost_at_point == int(expected), family.family


def test_forty_sketched_cli_json():
    args = ["analyze", "tt:N=40", "--sizes", "s=1000000000000,R=1000000000000", "--m", "64", "--family", "tt", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    family = report["families"][0]
    expected = sympy.sympify(family["cost"]).subs({"s": 10**12, "R": 10**12, "m": 64})
    assert family["cost_at_sizes"] == int(expected)


def test_forty_sketched_dense_json():
    with pytest.warns(SearchLimitWarning):
        plan = plan_sketch(tensor_train(40), sizes=HUGE, m=64, families=["dense"])
    data = json.loads(json.dumps(plan.to_dict()))
    family = data["families"][0]
    exact = Fraction(family["ratio_to_lower_bound_exact"])
    assert exact > Fraction(10) ** 308
    assert family["ratio_to_lower_bound"] is None


def test_ratio_text_beyond_float():
    from fractions import Fraction

    assert tncost.cli._ratio_text(Fraction(3 * 10**500, 7)) == "4.29e+499"
    assert tncost.cli._ratio_text(Fraction(1, 3)) == "0.333"


# Memory budget -------------------------------------------------------------------------


def test_execute_rejects_before_allocating(monkeypatch):
    network = TensorNetwork.from_inputs([("a", "b"), ("b", "c")], ("a", "c"), {"a": 1000, "b": 1000, "c": 1000})
    arrays = {"T0": np.zeros((1000, 1000)), "T1": np.zeros((1000, 1000))}

    def no_contraction(*args, **kwargs):
        raise AssertionError("contracted despite the budget")

    monkeypatch.setattr(execute, "_pairwise", no_contraction)
    with pytest.raises(MemoryBudgetError) as caught:
        execute.execute_tree(network, ContractionTree.from_nested((0, 1)), arrays, budget_bytes=10**6)
    # Inputs 2 * 10**6 entries plus the result 10**6 entries, 8 bytes each.
    assert "needs 24000000 bytes" in str(caught.value)
    assert "only 1000000 bytes are available" in str(caught.value)


def test_cli_run_over_budget_names_bytes():
    args = ["run", "tt:N=3", "--sizes", "s=64,R=8", "--m", "8", "--family", "tt", "--memory-budget", "1000", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    skipped = report["runs"][0]["skipped"]
    assert "bytes" in skipped
    assert "1000" in skipped


# Interrupts ----------------------------------------------------------------------------


def test_interrupted_out_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tncost.cli.os, "replace", interrupt)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", "tt:N=3", "--out", str(out)])
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"
    assert list(out.iterdir()) == []


def test_sigint_during_run_leaves_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [
        sys.executable, "-m", "tncost", "run", "tt:N=4", "--sizes", "s=64,R=8", "--m", "8",
        "--family", "tt", "--trials", "1000000",
    ]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until the command is past its imports, so that the interrupt lands inside the run.
    time.sleep(8)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []
