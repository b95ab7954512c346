"""Plots of tncost.report: the plotted numbers against hand-derived costs and bounds.

The Kronecker product of two vectors v1(p1), v2(p2) of size s, both sketched
to m rows, has closed forms derived by hand:

* lower bound: one merge term m², two sketch terms m·s, two leaf terms m·s,
  so LB = m² + 4ms;
* Khatri–Rao embedding: v1·S1 and v2·S2 cost m·s each, the Hadamard join m,
  so 2ms + m;
* dense embedding S(m, p1, p2): S·v1 costs m·s², then ·v2 costs m·s;
* tensor-train embedding S1(r, p1), S2(out, r, p2): v1·S1 costs m·s,
  v2·S2 costs m²·s, the join m², so m²s + ms + m² (cheapest while m ≤ s).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from tncost.network import TensorNetwork
from tncost.planner import plan_sketch
from tncost.report import plots, sweeps
from tncost.structures import kronecker
from tncost.tree import ContractionTree


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines_by_label(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def test_cost_sweep_lower_bound_line():
    values = [8, 16, 32, 64]
    m = 4
    data = sweeps.cost_sweep(kronecker(2), "s", values, {"s": 16}, m=m, families=["khatri-rao", "dense"])
    fig, ax = plots.plot_cost_sweep(data)
    lines = _lines_by_label(ax)

    bound = lines["lower bound"]
    assert list(bound.get_xdata()) == values
    assert list(bound.get_ydata()) == [float(m * m + 4 * m * s) for s in values]
    assert list(lines["khatri-rao"].get_ydata()) == [float(2 * m * s + m) for s in values]
    assert list(lines["dense"].get_ydata()) == [float(m * s * s + m * s) for s in values]
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"


def test_cost_sweep_exact_ints():
    data = sweeps.cost_sweep(kronecker(2), "s", [8, 16], {"s": 8}, m=4, families=["khatri-rao"])

    assert data["lower_bound"] == [4 * 4 + 16 * 8, 4 * 4 + 16 * 16]
    assert all(type(v) is int for v in data["lower_bound"])
    assert data["families"]["khatri-rao"] == [2 * 4 * 8 + 4, 2 * 4 * 16 + 4]


def test_cost_sweep_undefined_bound_is_gap():
    # m = 16 exceeds s = 8, where the lower bound is not defined.
    data = sweeps.cost_sweep(kronecker(2), "s", [8, 32], {"s": 32}, m=16, families=["khatri-rao"])

    assert data["lower_bound"][0] is None
    assert data["lower_bound"][1] == 16 * 16 + 4 * 16 * 32
    fig, ax = plots.plot_cost_sweep(data)
    assert list(_lines_by_label(ax)["lower bound"].get_xdata()) == [32]


def test_ratio_sweep_against_hand_ratio():
    s = 64
    m_values = [2, 4, 8]
    data = sweeps.ratio_sweep(kronecker(2), m_values, {"s": s}, families=["khatri-rao"])
    fig, ax = plots.plot_ratio_sweep(data)
    expected = [(2 * m * s + m) / (m * m + 4 * m * s) for m in m_values]

    assert data["lower_bound"] == [m * m + 4 * m * s for m in m_values]
    assert np.allclose(_lines_by_label(ax)["khatri-rao"].get_ydata(), expected, rtol=0, atol=1e-15)
    # At m = 2: (256 + 2) / (4 + 512) = 1/2 exactly.
    assert data["ratio_exact"]["khatri-rao"][0] == "1/2"


def test_tree_plot_step_labels():
    network = TensorNetwork.from_inputs(
        [("a", "b"), ("b", "c"), ("c", "d")], ("a", "d"), {"a": 2, "b": 3, "c": 5, "d": 7}
    )
    tree = ContractionTree.from_nested(((0, 1), 2))
    fig, ax = plots.plot_tree(network, tree)
    labels = [text.get_text() for text in ax.texts]

    # Step 1 joins (a,b) and (b,c): 2*3*5 ops; step 2 joins (a,c) and (c,d): 2*5*7.
    assert "1: 30" in labels
    assert "2: 70" in labels
    assert {"T0", "T1", "T2"} <= set(labels)
    assert "100 ops" in ax.get_title()


def test_tree_layout_parents_above_children():
    tree = ContractionTree.from_nested(((0, 1), (2, 3)))
    layout = plots.tree_layout(tree)

    assert layout[frozenset({0, 1, 2, 3})][1] == 2.0
    assert layout[frozenset({0, 1})] == (0.5, 1.0)
    assert layout[frozenset({2, 3})] == (2.5, 1.0)


def test_network_plot_colours_and_labels():
    plan = plan_sketch(kronecker(2), sizes={"s": 8}, m=4, families=["tt"])
    joint = plan.family("tt").joint
    fig, ax = plots.plot_network(joint)
    edge_labels = {t.get_text() for t in ax.texts}

    assert {"p1=s", "p2=s"} <= edge_labels
    assert any(label.endswith("=m") for label in edge_labels)
    node_colours = set()
    for collection in ax.collections:
        for colour in collection.get_facecolors():
            node_colours.add(matplotlib.colors.to_hex(colour))
    assert plots.DATA_COLOR.lower() in node_colours
    assert plots.EMBEDDING_COLOR.lower() in node_colours
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"sketched index", "kept index", "inner index"} <= set(legend)


def test_network_plot_kept_index_kind():
    network = TensorNetwork.from_inputs(
        [("a", "i"), ("i", "b")], ("a", "b"), {"a": 4, "b": 5, "i": 3}, sketched=("a",)
    )

    assert plots._index_kind(network, "a") == "sketched"
    assert plots._index_kind(network, "b") == "kept"
    assert plots._index_kind(network, "i") == "inner"


def test_predicted_executed_points():
    runs = [
        {"family": "tt", "m": 4, "predicted_ops": 176, "executed_ops": 176, "seconds": 1e-4},
        {"family": "dense", "m": 4, "predicted_ops": 288, "skipped": "too large"},
    ]
    fig, ax = plots.plot_predicted_executed(runs)
    offsets = [tuple(c.get_offsets()[0]) for c in ax.collections]

    assert offsets == [(176.0, 176.0)]
    fig, ax = plots.plot_time_ops(runs)
    assert [tuple(c.get_offsets()[0]) for c in ax.collections] == [(176.0, pytest.approx(0.1))]


def test_distortion_histogram_counts():
    ratios = {"tt": [0.5, 0.9, 1.1, 1.2, 3.0], "tree": [0.8, 1.0]}
    fig, ax = plots.plot_distortion(ratios, 0.25)
    vertical = sorted(line.get_xdata()[0] for line in ax.get_lines())

    assert vertical == [0.75, 1.25]
    heights = {}
    for patch in ax.patches:
        label = patch.get_label()
        if "trials" in label:
            heights[label] = patch
    assert set(heights) == {"tt (5 trials)", "tree (2 trials)"}


def test_regime_map_winners_by_hand():
    s_values = [4, 8, 16]
    m_values = [2, 4]
    grid = sweeps.regime_grid(kronecker(2), "s", s_values, "m", m_values, {"s": 8}, m=4, families=["dense", "tt"])
    expected = []
    for m in m_values:
        row = []
        for s in s_values:
            dense = m * s * s + m * s
            tt = m * m * s + m * s + m * m
            row.append("dense" if dense < tt else "tt")
        expected.append(row)

    assert grid["winner"] == expected
    fig, ax = plots.plot_regime_map(grid)
    assert [t.get_text() for t in ax.texts[:3]] == expected[0]
    assert grid["fixed"] == {}


def test_scaled_values():
    assert sweeps.scaled_values(8) == [2, 4, 8, 16, 32]
    assert sweeps.scaled_values(3, steps=(-2, 0), low=1) == [3]
