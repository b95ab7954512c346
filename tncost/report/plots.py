"""Plots of networks, contraction trees, cost sweeps and measurements.

Every function imports matplotlib inside its body, draws on the Agg backend
(files only, no window), and returns ``(fig, ax)``. The data come from
:mod:`.sweeps`, :func:`tncost.runs.run_plan` reports and plan objects, so a
plotted value can be checked against the numbers it was drawn from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cost import tree_cost
from ..network import TensorNetwork
from ..tree import ContractionTree

__all__ = [
    "plot_network",
    "plot_tree",
    "plot_cost_sweep",
    "plot_ratio_sweep",
    "plot_predicted_executed",
    "plot_time_ops",
    "plot_distortion",
    "plot_regime_map",
    "save",
]

DATA_COLOR = "#4C72B0"
EMBEDDING_COLOR = "#DD8452"
SKETCHED_COLOR = "#C44E52"
KEPT_COLOR = "#55A868"
INNER_COLOR = "#555555"
EMBEDDING_BOND_COLOR = "#DD8452"


def _figure(width: float = 6.4, height: float = 4.2):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def save(fig: object, path: str, dpi: int = 90) -> None:
    """Write ``fig`` as a PNG to ``path`` and free it."""
    import matplotlib.pyplot as plt

    fig.savefig(path, format="png", dpi=dpi, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]


def _size_text(size: object) -> str:
    return str(size).replace("**", "^").replace("*", "·")


def _index_kind(network: TensorNetwork, index: str) -> str:
    """Classify an index of a (possibly joint) network: sketched, kept, inner, or embedding."""
    kinds = {network.tensors[p].kind for p in network.positions(index)}
    open_indices = set(network.output or ())
    if kinds == {"data", "embedding"}:
        return "sketched"
    if kinds == {"embedding"}:
        return "embedding"
    if index in network.sketched:
        return "sketched"
    if index in open_indices:
        return "kept"
    return "inner"


def plot_network(network: TensorNetwork, *, title: str | None = None, seed: int = 0):
    """Draw a tensor network: data and embedding tensors in two colours, index kinds as edge styles.

    Sketched indices (E1, or data-embedding bonds in a joint network) are red,
    kept open indices green, inner bonds grey and the embedding's own bonds
    and output dashed orange. Each edge is labelled ``index=size``. An index on
    more than two tensors (a hyperedge) is drawn through a small hub node, and
    an open index ends at a small unlabelled node.
    """
    import networkx as nx

    fig, ax = _figure(7.0, 5.0)
    graph = nx.Graph()
    for tensor in network.tensors:
        graph.add_node(tensor.name, kind=tensor.kind)
    open_indices = set(network.output or ())
    edges = []
    for index in network.indices:
        owners = [network.tensors[p].name for p in network.positions(index)]
        kind = _index_kind(network, index)
        label = f"{index}={_size_text(network.size_dict[index])}"
        if len(owners) == 2 and index not in open_indices:
            edges.append((owners[0], owners[1], kind, label))
            continue
        hub = f"·{index}"
        graph.add_node(hub, kind="hub" if len(owners) > 1 else "open")
        for number, owner in enumerate(owners):
            edges.append((owner, hub, kind, label if number == 0 else ""))
        if len(owners) > 1 and index in open_indices:
            leg = f"·{index}·open"
            graph.add_node(leg, kind="open")
            edges.append((hub, leg, kind, ""))
    for left, right, kind, label in edges:
        graph.add_edge(left, right, kind=kind, label=label)

    # Kamada-Kawai spreads chains and trees evenly and is deterministic; ``seed`` feeds the
    # spring layout used for a disconnected graph, where Kamada-Kawai is undefined.
    if nx.is_connected(graph):
        layout = nx.kamada_kawai_layout(graph)
    else:
        layout = nx.spring_layout(graph, seed=seed, k=1.2 / max(1, len(graph)) ** 0.5, iterations=200)
    styles = {
        "sketched": (SKETCHED_COLOR, "solid", 2.2),
        "kept": (KEPT_COLOR, "solid", 2.0),
        "inner": (INNER_COLOR, "solid", 1.5),
        "embedding": (EMBEDDING_BOND_COLOR, "dashed", 1.5),
    }
    for kind, (color, style, width) in styles.items():
        chosen = [(u, v) for u, v, d in graph.edges(data=True) if d["kind"] == kind]
        if chosen:
            nx.draw_networkx_edges(graph, layout, edgelist=chosen, edge_color=color, style=style, width=width, ax=ax)
    for kind, color, size in (("data", DATA_COLOR, 700), ("embedding", EMBEDDING_COLOR, 500)):
        nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == kind]
        if nodes:
            nx.draw_networkx_nodes(graph, layout, nodelist=nodes, node_color=color, node_size=size, ax=ax)
    small = [n for n, d in graph.nodes(data=True) if d["kind"] in ("hub", "open")]
    if small:
        nx.draw_networkx_nodes(graph, layout, nodelist=small, node_color="#BBBBBB", node_size=40, ax=ax)
    tensor_labels = {t.name: t.name for t in network.tensors}
    nx.draw_networkx_labels(graph, layout, labels=tensor_labels, font_size=7, font_weight="bold", ax=ax)
    edge_labels = {(u, v): d["label"] for u, v, d in graph.edges(data=True) if d["label"]}
    nx.draw_networkx_edge_labels(graph, layout, edge_labels=edge_labels, font_size=7, ax=ax, rotate=False)

    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", color=DATA_COLOR, label="data tensor"),
        Line2D([], [], marker="o", linestyle="", color=EMBEDDING_COLOR, label="embedding tensor"),
        Line2D([], [], color=SKETCHED_COLOR, lw=2.2, label="sketched index"),
        Line2D([], [], color=KEPT_COLOR, lw=2, label="kept index"),
        Line2D([], [], color=INNER_COLOR, lw=1.5, label="inner index"),
        Line2D([], [], color=EMBEDDING_BOND_COLOR, lw=1.5, linestyle="dashed", label="embedding index"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title(title or f"network {network.name or '(unnamed)'}")
    ax.set_axis_off()
    return fig, ax


def tree_layout(tree: ContractionTree) -> dict:
    """Return ``{node: (x, y)}`` for a contraction tree: leaves at y = 0 in leaf order, parents above."""
    order = tree.leaf_order()
    x_of = {frozenset([leaf]): float(number) for number, leaf in enumerate(order)}
    y_of = {frozenset([leaf]): 0.0 for leaf in order}
    for left, right in tree.steps:
        node = left | right
        x_of[node] = (x_of[left] + x_of[right]) / 2
        y_of[node] = 1.0 + max(y_of[left], y_of[right])
    return {node: (x_of[node], y_of[node]) for node in x_of}


def plot_tree(network: TensorNetwork, tree: ContractionTree, *, title: str | None = None):
    """Draw a contraction tree of a numeric ``network`` with the exact ops of each step.

    Leaves carry tensor names, coloured by kind. Each internal node is labelled
    with its step number in execution order and the ops of that step.
    """
    fig, ax = _figure(max(6.4, 0.7 * len(network.tensors)), 4.6)
    positions = tree_layout(tree)
    cost = tree_cost(network, tree)
    for step_number, ((left, right), step) in enumerate(zip(tree.steps, cost.steps), start=1):
        parent = positions[left | right]
        for child in (left, right):
            x, y = positions[child]
            ax.plot([x, parent[0]], [y, parent[1]], color=INNER_COLOR, lw=1.2, zorder=1)
        ax.scatter([parent[0]], [parent[1]], color="#333333", s=18, zorder=2)
        ax.annotate(f"{step_number}: {step.ops:,}" if isinstance(step.ops, int) else f"{step_number}: {step.ops}",
                    parent, textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    for leaf in tree.leaf_order():
        tensor = network.tensors[leaf]
        x, y = positions[frozenset([leaf])]
        color = DATA_COLOR if tensor.kind == "data" else EMBEDDING_COLOR
        ax.scatter([x], [y], color=color, s=140, zorder=3)
        ax.annotate(tensor.name, (x, y), textcoords="offset points", xytext=(2, -8), ha="right", va="top",
                    fontsize=7, rotation=45, rotation_mode="anchor")
    total = cost.ops
    ax.set_title(title or f"contraction tree: {total:,} ops in {len(tree.steps)} steps" if isinstance(total, int)
                 else title or "contraction tree")
    ax.set_axis_off()
    ax.margins(0.08, 0.15)
    return fig, ax


def _series(values: Sequence[object], ys: Sequence[object]) -> tuple[list, list]:
    pairs = [(x, y) for x, y in zip(values, ys) if y is not None and x is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plot_cost_sweep(sweep: Mapping, *, title: str | None = None):
    """Plot each family's ops and the lower bound against one swept size, log–log.

    ``sweep`` is :func:`.sweeps.cost_sweep`'s result. The lower-bound line is
    the last line of the axes and carries the label ``"lower bound"``.
    """
    fig, ax = _figure()
    values = sweep["values"]
    for name, costs in sweep["families"].items():
        xs, ys = _series(values, costs)
        if xs:
            ax.plot(xs, [float(y) for y in ys], marker="o", label=name)
    xs, ys = _series(values, sweep["lower_bound"])
    if xs:
        ax.plot(xs, [float(y) for y in ys], color="black", linestyle="--", marker="s", label="lower bound")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(f"{sweep['symbol']} (log scale)")
    ax.set_ylabel("ops (log scale)")
    ax.set_title(title or f"cost against {sweep['symbol']}")
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no point of the sweep could be planned", transform=ax.transAxes, ha="center")
    return fig, ax


def plot_ratio_sweep(sweep: Mapping, *, title: str | None = None):
    """Plot each family's cost / lower bound against the shared sketch size m (log m axis).

    ``sweep`` is :func:`.sweeps.ratio_sweep`'s result. A dotted line marks
    ratio 1, and a dashed grey curve c·√m through the smallest ratio of the
    first m shows the growth the lower-bound analysis allows.
    """
    fig, ax = _figure()
    m_values = sweep["m"]
    first = [r[0] for r in sweep["ratio"].values() if r and r[0] is not None]
    for name, ratios in sweep["ratio"].items():
        xs, ys = _series(m_values, ratios)
        if xs:
            ax.plot(xs, ys, marker="o", label=name)
    ax.axhline(1.0, color="black", linestyle=":", lw=1)
    if first and m_values:
        scale = min(first) / m_values[0] ** 0.5
        ax.plot(m_values, [scale * m**0.5 for m in m_values], color="grey", linestyle="--", lw=1, label="c·√m")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sketch size m (log scale)")
    ax.set_ylabel("cost / lower bound (log scale)")
    ax.set_title(title or "cost / lower bound against m")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig, ax


def _executed(runs: Sequence[Mapping]) -> list[Mapping]:
    return [entry for entry in runs if "skipped" not in entry and entry.get("executed_ops") is not None]


def plot_predicted_executed(runs: Sequence[Mapping], *, title: str | None = None):
    """Plot executed against predicted ops for every executed family, log–log, with the line y = x."""
    fig, ax = _figure(5.2, 4.4)
    entries = _executed(runs)
    for entry in entries:
        ax.scatter([entry["predicted_ops"]], [entry["executed_ops"]], s=40, label=entry["family"], zorder=3)
    if entries:
        low = min(min(e["predicted_ops"], e["executed_ops"]) for e in entries) / 2
        high = max(max(e["predicted_ops"], e["executed_ops"]) for e in entries) * 2
        ax.plot([low, high], [low, high], color="grey", linestyle="--", lw=1, label="executed = predicted")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    ax.set_xlabel("predicted ops")
    ax.set_ylabel("executed ops")
    ax.set_title(title or "predicted against executed ops")
    ax.grid(True, alpha=0.3)
    return fig, ax


def plot_time_ops(runs: Sequence[Mapping], *, title: str | None = None):
    """Plot the measured time of one execution against its executed ops, log–log."""
    fig, ax = _figure(5.2, 4.4)
    entries = [e for e in _executed(runs) if e.get("seconds")]
    for entry in entries:
        ax.scatter([entry["executed_ops"]], [entry["seconds"] * 1e3], s=40, label=entry["family"], zorder=3)
    if entries:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    ax.set_xlabel("executed ops")
    ax.set_ylabel("time of one execution (ms)")
    ax.set_title(title or "measured time against ops")
    ax.grid(True, alpha=0.3)
    return fig, ax


def plot_distortion(ratios: Mapping[str, Sequence[float]], eps: float, *, title: str | None = None):
    """Plot a histogram of ‖Sx‖²/‖x‖² per family (log-spaced bins) with the target band 1 ± ε marked."""
    fig, ax = _figure()
    values = [v for r in ratios.values() for v in r]
    if values:
        import numpy as np

        # Ratios are positive and skewed to the right, so the bins are even on a log scale.
        low = min(min(values), 1 - eps) * 0.9
        high = max(max(values), 1 + eps) * 1.1
        bins = np.geomspace(low, high, 30)
        ax.set_xscale("log")
        for name, family_ratios in ratios.items():
            if family_ratios:
                ax.hist(family_ratios, bins=bins, histtype="step", lw=1.6, label=f"{name} ({len(family_ratios)} trials)")
    ax.axvspan(1 - eps, 1 + eps, color=KEPT_COLOR, alpha=0.08)
    ax.axvline(1 - eps, color="black", linestyle="--", lw=1, label=f"1 ± ε (ε = {eps})")
    ax.axvline(1 + eps, color="black", linestyle="--", lw=1)
    ax.set_xlabel("‖Sx‖² / ‖x‖² (log scale)")
    ax.set_ylabel("trials")
    ax.set_title(title or "distortion over seeded trials")
    ax.legend(fontsize=8)
    return fig, ax


def plot_regime_map(grid: Mapping, *, title: str | None = None):
    """Colour a grid of two log-sizes by the family the planner chooses there.

    ``grid`` is :func:`.sweeps.regime_grid`'s result. Cells without a plan
    (such as m above a sketched size) are white.
    """
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fig, ax = _figure()
    names = sorted({w for row in grid["winner"] for w in row if w is not None})
    codes = np.full((len(grid["y_values"]), len(grid["x_values"])), np.nan)
    for i, row in enumerate(grid["winner"]):
        for j, winner in enumerate(row):
            if winner is not None:
                codes[i, j] = names.index(winner)
    palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]
    colors = [palette[k % len(palette)] for k in range(max(1, len(names)))]
    ax.imshow(np.ma.masked_invalid(codes), cmap=ListedColormap(colors), vmin=-0.5, vmax=len(colors) - 0.5,
              origin="lower", aspect="auto")
    for i, row in enumerate(grid["winner"]):
        for j, winner in enumerate(row):
            ax.text(j, i, winner or "no plan", ha="center", va="center", fontsize=7, color="black" if winner is None else "white")
    ax.set_xticks(range(len(grid["x_values"])), [str(v) for v in grid["x_values"]])
    ax.set_yticks(range(len(grid["y_values"])), [str(v) for v in grid["y_values"]])
    ax.set_xlabel(f"{grid['x']} (doubling per cell)")
    ax.set_ylabel(f"{grid['y']} (doubling per cell)")
    fixed = ", ".join(f"{k}={v}" for k, v in grid["fixed"].items())
    ax.set_title(title or ("family with the fewest ops" + (f" at {fixed}" if fixed else "")))
    ax.legend(handles=[Patch(color=colors[k], label=name) for k, name in enumerate(names)],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig, ax
