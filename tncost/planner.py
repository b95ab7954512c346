"""Sketching plans: for each embedding family, the embedding, its T0-consistent tree and its exact cost.

:func:`plan_sketch` is the pipeline's planning step. For a network with
sketched indices E1 it

1. fixes the numeric point at which orders are searched: the user's sizes, or
   a documented sample of the symbols (:func:`tncost.paths.sample_sizes`);
2. fixes the data tree T0: the user's, or the exact optimum of the data
   network alone at that point;
3. for each family, builds the embedding (the sketch size from the accuracy
   rule of that family, or the user's fixed ``m``), finds the cheapest
   contraction tree of data ∪ embedding consistent with T0
   (:mod:`tncost.consistent`), and derives its exact cost as a polynomial in
   the size symbols and the sketch-size symbol ``m``;
4. chooses the family with the fewest ops at the numeric point.

A network without sketched indices is planned as a plain contraction
(:func:`plan_contraction`): its optimal order, exact cost and memory.

Families are compared at equal accuracy (each family's own ``m``) unless the
user fixes ``m``, in which case all share it (equal sketch size); the plan
records which.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from . import embeddings as emb
from .bounds import LowerBound, lower_bound
from .consistent import EXACT_SEARCH_LIMIT, consistent_tree
from .cost import TreeCost, substitute_cost, tree_cost
from .errors import NetworkError, SizeError, SketchSizeError, SpecError, TncostError
from .network import Tensor, TensorNetwork
from .paths import optimize, sample_sizes
from .piecewise import Piece, PiecewiseCost, balanced_splits, piecewise_cost
from .symbolic.sizes import Size, check_expression_text, parse_size, size_symbol, substitute
from .tree import ContractionTree, is_consistent

if TYPE_CHECKING:
    from .symbolic.regime import Regime

__all__ = [
    "FAMILY_NAMES",
    "FamilyPlan",
    "SketchPlan",
    "ContractionPlan",
    "plan_sketch",
    "plan_contraction",
    "plan_family",
    "sketched_order",
    "EXACT_SEARCH_LIMIT",
    "UNCONSTRAINED_LIMIT",
]

FAMILY_NAMES = ("dense", "khatri-rao", "tt", "tree", "ms22", "best_t0")
"""The Gaussian embedding families the planner evaluates by default."""

MS22_FAMILIES = ("ms22", "best_t0")
"""Families whose embedding follows T0 and is chosen by a search at the point."""


UNCONSTRAINED_LIMIT = 12
"""Joint networks with at most this many tensors also get the unconstrained optimum (exact DP).

That optimum ignores T0 and is reported beside the plan only: the lower bound
holds for T0-consistent plans, and an unconstrained tree can cost far less.
"""

SKETCH_SYMBOL = "m"

CHOSEN_RULE = (
    "fewest ops at the numeric point among the families that satisfy the sequence condition "
    "(and so carry the accuracy guarantee); all families when none does"
)


@dataclass(frozen=True, eq=False)
class FamilyPlan:
    """One family's plan: embedding, T0-consistent tree, exact costs and checks.

    ``cost`` is a sympy polynomial in the size symbols and ``m`` (or an int
    for a numeric network with a fixed ``m``); ``cost_at_point`` is its exact
    value at the numeric point the plan was searched at (``point``).
    """

    family: str
    embedding: emb.Embedding
    joint: TensorNetwork
    tree: ContractionTree
    data_tree: ContractionTree
    m: int
    k: int | None
    sketch_size_rule: str
    cost: Size
    cost_at_point: int
    largest_intermediate_at_point: int
    live_peak_at_point: int
    point: Mapping[str, int]
    sequence: emb.SequenceCheck
    search: str
    notes: tuple[str, ...] = ()
    unconstrained_ops_at_point: int | None = None
    lower_bound_at_point: int | None = None
    lower_bound_note: str = ""
    cost_exact_in_m: bool = True
    choices: object | None = None
    data_network: TensorNetwork | None = None

    @property
    def ratio_to_lower_bound(self) -> Fraction | None:
        """The exact ratio of the plan's cost to LB at the plan's own m and T0, or None where LB is undefined."""
        if not self.lower_bound_at_point:
            return None
        return Fraction(self.cost_at_point, self.lower_bound_at_point)

    @property
    def kept(self) -> tuple[str, ...]:
        """The data network's kept indices E2."""
        output = set(self.embedding.output)
        return tuple(i for i in self.joint.output or () if i not in output)

    def numeric_joint(self) -> TensorNetwork:
        """Return the joint network at the plan's numeric point."""
        return self.joint.at_sizes({k: v for k, v in self.point.items() if k in self.joint.symbols})

    def numeric_joint_data(self) -> TensorNetwork:
        """Return the data network alone (with its sketched indices) at the plan's numeric point."""
        joint = self.numeric_joint()
        data = tuple(t for t in joint.tensors if t.kind == "data")
        indices = {i for t in data for i in t.indices}
        sizes = {i: s for i, s in joint.size_dict.items() if i in indices}
        return TensorNetwork(data, sizes, tuple(self.embedding.sketched) + self.kept, self.embedding.sketched)

    def numeric_embedding(self) -> emb.Embedding:
        """Return the embedding at the plan's numeric point."""
        point = dict(self.point)
        return emb.Embedding(
            self.embedding.family,
            self.embedding.tensors,
            {i: substitute(s, point) for i, s in self.embedding.size_dict.items()},
            self.embedding.sketched,
            self.embedding.output,
            tuple(substitute(r, point) for r in self.embedding.row_sizes),
            self.embedding.scaling,
            self.embedding.k,
        )

    def to_dict(self) -> dict:
        """Return a JSON-ready description that :func:`FamilyPlan.from_dict` can rebuild."""
        return {
            "name": self.family,
            "sketch_size": {
                "symbolic": str(
                    emb.symbolic_sketch_size(self.k) if self.k is not None
                    else emb.symbolic_khatri_rao_rows(len(self.embedding.sketched))
                ),
                "at_sizes": self.m,
                "k": self.k,
                "rule": self.sketch_size_rule,
            },
            "cost": str(self.cost),
            "cost_at_point": self.cost_at_point,
            "largest_intermediate_at_point": self.largest_intermediate_at_point,
            "live_peak_at_point": self.live_peak_at_point,
            "order": [list(step) for step in self.tree.ssa_path()],
            "order_format": "ssa over joint positions (data tensors first, then embedding tensors)",
            "search": self.search,
            "unconstrained_ops_at_point": self.unconstrained_ops_at_point,
            "lower_bound_at_point": self.lower_bound_at_point,
            "ratio_to_lower_bound": _float_or_none(self.ratio_to_lower_bound),
            "ratio_to_lower_bound_exact": None if self.ratio_to_lower_bound is None else str(self.ratio_to_lower_bound),
            "lower_bound_note": self.lower_bound_note,
            "satisfies_sequence_condition": self.sequence.ok,
            "sequence_order": list(self.sequence.order),
            "notes": list(self.notes),
            "embedding": {
                "tensors": {t.name: list(t.indices) for t in self.embedding.tensors},
                "sizes": {i: str(s) for i, s in self.embedding.size_dict.items()},
                "output": list(self.embedding.output),
                "sketched": list(self.embedding.sketched),
                "row_sizes": [str(r) for r in self.embedding.row_sizes],
                "scaling": self.embedding.scaling,
                "k": self.embedding.k,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping, network: TensorNetwork, data_tree: ContractionTree, point: Mapping[str, int]) -> "FamilyPlan":
        """Rebuild a family plan from :meth:`to_dict` output and its data network.

        The embedding, the tree and the costs are rebuilt and recomputed; a
        stored cost that disagrees with the recomputed one raises, so an edited
        or corrupted plan is never executed with wrong predictions.

        Raises
        ------
        SpecError
            For a malformed entry or a stored cost that does not match.
        """
        try:
            description = data["embedding"]
            tensors = tuple(Tensor(name, tuple(indices), "embedding") for name, indices in description["tensors"].items())
            embedding = emb.Embedding(
                family=data["name"],
                tensors=tensors,
                size_dict=dict(description["sizes"]),
                sketched=tuple(description["sketched"]),
                output=tuple(description["output"]),
                row_sizes=tuple(parse_size(r) for r in description["row_sizes"]),
                scaling=description["scaling"],
                k=description["k"],
            )
            m = int(data["sketch_size"]["at_sizes"])
            order = [tuple(step) for step in data["order"]]
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(f"malformed plan entry for family {data.get('name', '?')!r}: {err}") from err
        joint = emb.joint_network(network, embedding)
        tree = ContractionTree.from_ssa_path(order, len(joint.tensors))
        if not is_consistent(tree, data_tree):
            raise SpecError(f"the stored order of family {embedding.family!r} does not follow the stored data tree")
        full_point = {**point, SKETCH_SYMBOL: m}
        symbolic_cost = tree_cost(joint, tree)
        numeric_joint = joint.at_sizes({k: v for k, v in full_point.items() if k in joint.symbols}) if joint.symbols else joint
        numeric_cost = tree_cost(numeric_joint, tree)
        if str(symbolic_cost.ops) != data["cost"]:
            # sympify runs eval, so the stored text must be plain arithmetic first.
            check_expression_text(str(data["cost"]), SpecError, f"stored cost of family {embedding.family!r}", functions=("sqrt",))
        if str(symbolic_cost.ops) != data["cost"] and sympy.simplify(symbolic_cost.ops - sympy.sympify(data["cost"], locals=_symbol_locals(joint))) != 0:
            raise SpecError(f"stored cost of family {embedding.family!r} does not match its order: {data['cost']} != {symbolic_cost.ops}")
        if numeric_cost.ops != data["cost_at_point"]:
            raise SpecError(
                f"stored cost at the point of family {embedding.family!r} is {data['cost_at_point']}, "
                f"but its order costs {numeric_cost.ops}"
            )
        numeric_embedding = emb.Embedding(
            embedding.family, embedding.tensors,
            {i: substitute(s_, full_point) for i, s_ in embedding.size_dict.items()},
            embedding.sketched, embedding.output,
            tuple(substitute(r, full_point) for r in embedding.row_sizes), embedding.scaling, embedding.k,
        )
        return cls(
            family=embedding.family,
            embedding=embedding,
            joint=joint,
            tree=tree,
            data_tree=data_tree,
            m=m,
            k=data["sketch_size"].get("k"),
            sketch_size_rule=data["sketch_size"].get("rule", ""),
            cost=symbolic_cost.ops,
            cost_at_point=int(numeric_cost.ops),
            largest_intermediate_at_point=int(numeric_cost.largest_intermediate),
            live_peak_at_point=int(numeric_cost.live_peak),
            point=full_point,
            sequence=emb.check_sequence(numeric_embedding, m=m),
            search=data.get("search", ""),
            notes=tuple(data.get("notes", ())),
        )


def _float_or_none(value: Fraction | None) -> float | None:
    """Return ``value`` as a float, or None when it is None or beyond the float range (the exact text is stored too)."""
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _natural_key(name: str) -> tuple:
    """Sort key that orders names such as G2 before G10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part)


def _symbol_locals(network: TensorNetwork) -> dict[str, sympy.Symbol]:
    return {name: size_symbol(name) for name in (*network.symbols, SKETCH_SYMBOL)}


@dataclass(frozen=True, eq=False)
class SketchPlan:
    """The planner's result for a network with sketched indices."""

    network: TensorNetwork
    data_tree: ContractionTree
    point: Mapping[str, int]
    sizes_given: bool
    fixed_m: int | None
    eps: float
    delta: float
    constant: float
    comparison: str
    families: tuple[FamilyPlan, ...]
    chosen: str
    notes: tuple[str, ...] = field(default=())
    lower_bound: LowerBound | None = None
    asymptotics: Mapping | None = None

    def lower_bound_not_applicable(self) -> list[str]:
        """Return why LB does not apply at the numeric point, one reason per distinct family note (empty when it applies)."""
        return sorted({f.lower_bound_note for f in self.families if f.lower_bound_at_point is None and f.lower_bound_note})

    def family(self, name: str) -> FamilyPlan:
        """Return the plan of the family ``name``."""
        for plan in self.families:
            if plan.family == name:
                return plan
        raise SpecError(f"no plan for family {name!r}; planned families: {', '.join(p.family for p in self.families)}")

    def to_dict(self) -> dict:
        """Return a JSON-ready summary, the ``analyze`` command's ``--format json`` output."""
        net = self.network
        families = []
        for plan in self.families:
            entry = plan.to_dict()
            entry["cost_at_sizes"] = plan.cost_at_point if self.sizes_given else None
            families.append(entry)
        asymptotics = self.asymptotics or {}
        for entry in families:
            detail = asymptotics.get("families", {}).get(entry["name"])
            if detail is not None:
                entry.update(detail)
        return {
            "network": {
                "name": net.name,
                "tensors": {t.name: list(t.indices) for t in net.tensors},
                "sizes": {i: str(s) for i, s in net.size_dict.items()},
                "output": list(net.output or ()),
            },
            "sketched": list(net.sketched),
            "kept": list(net.kept),
            "m": self.fixed_m,
            "regime": asymptotics.get("regime"),
            "ranking": asymptotics.get("ranking"),
            "regions": asymptotics.get("regions"),
            "lower_bound_leading": asymptotics.get("lower_bound_leading"),
            "equal_accuracy": asymptotics.get("equal_accuracy"),
            "accuracy_symbol": "mu = C ln(1/delta) / eps^2",
            "sizes_given": self.sizes_given,
            "comparison": self.comparison,
            "eps": self.eps,
            "delta": self.delta,
            "C": self.constant,
            "data_tree": _nested_names(net, self.data_tree),
            "point": dict(self.point),
            "point_source": "user sizes" if self.sizes_given else "default sample of the symbols",
            "families": families,
            "lower_bound": self._lower_bound_dict(),
            "chosen": self.chosen,
            "chosen_rule": CHOSEN_RULE,
            "notes": list(self.notes),
        }

    def _lower_bound_dict(self) -> dict | None:
        if self.lower_bound is None:
            return None
        data = self.lower_bound.to_dict()
        data["proven_divisor"] = data.pop("constant")
        data["statement"] = (
            "every T0-consistent plan whose embedding satisfies the sequence condition with row sizes "
            "at least m costs at least total / proven_divisor"
        )
        return data

    def to_json(self, **kwargs: object) -> str:
        """Return the :meth:`to_dict` summary as JSON text."""
        return json.dumps(self.to_dict(), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Mapping) -> "SketchPlan":
        """Rebuild a plan from :meth:`to_dict` output (for example a saved JSON file).

        Costs are recomputed from the stored orders and checked against the
        stored values, so a loaded plan predicts exactly what it executes.

        Raises
        ------
        SpecError
            For a malformed plan or stored costs that do not match.

        Examples
        --------
        >>> from tncost.structures import tensor_train
        >>> plan = plan_sketch(tensor_train(3), sizes={"s": 16, "R": 2}, m=4, families=["tt"])
        >>> again = SketchPlan.from_json(plan.to_json())
        >>> again.family("tt").cost_at_point == plan.family("tt").cost_at_point
        True
        """
        try:
            described = data["network"]
            tensors = tuple(Tensor(name, tuple(indices)) for name, indices in described["tensors"].items())
            network = TensorNetwork(
                tensors, dict(described["sizes"]), tuple(described["output"]), tuple(data["sketched"]), described["name"]
            )
            names = {t.name: k for k, t in enumerate(tensors)}

            def positions(item: object) -> object:
                if isinstance(item, str):
                    return names[item]
                return tuple(positions(part) for part in item)  # type: ignore[union-attr]

            data_tree = ContractionTree.from_nested(positions(data["data_tree"]))
            point = {k: int(v) for k, v in data["point"].items()}
            families = tuple(FamilyPlan.from_dict(entry, network, data_tree, point) for entry in data["families"])
            if data["chosen"] not in {plan.family for plan in families}:
                raise SpecError(
                    f"the plan's chosen family {data['chosen']!r} is not among its families "
                    f"({', '.join(plan.family for plan in families)})"
                )
            return cls(
                network=network,
                data_tree=data_tree,
                point=point,
                sizes_given=bool(data.get("sizes_given", True)),
                fixed_m=data["m"],
                eps=float(data["eps"]),
                delta=float(data["delta"]),
                constant=float(data["C"]),
                comparison=data["comparison"],
                families=families,
                chosen=data["chosen"],
                notes=tuple(data.get("notes", ())),
            )
        except TncostError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(f"malformed plan: missing or invalid field {err}") from err

    @classmethod
    def from_json(cls, text: str) -> "SketchPlan":
        """Rebuild a plan from :meth:`to_json` text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise SpecError(f"invalid plan JSON: {err}") from err
        return cls.from_dict(data)


@dataclass(frozen=True, eq=False)
class ContractionPlan:
    """A plain contraction plan: the optimal order, exact cost and memory of a network."""

    network: TensorNetwork
    tree: ContractionTree
    cost: TreeCost
    point: Mapping[str, int]
    sizes_given: bool
    cost_at_point: int
    largest_intermediate_at_point: int
    live_peak_at_point: int
    method: str

    def to_dict(self) -> dict:
        """Return a JSON-ready summary."""
        net = self.network
        return {
            "network": {
                "name": net.name,
                "tensors": {t.name: list(t.indices) for t in net.tensors},
                "sizes": {i: str(s) for i, s in net.size_dict.items()},
                "output": list(net.output or ()),
            },
            "sketched": [],
            "kept": list(net.kept),
            "contraction": {
                "order": [list(step) for step in self.tree.ssa_path()],
                "order_format": "ssa over tensor positions",
                "cost": str(self.cost.ops),
                "cost_at_sizes": self.cost_at_point if self.sizes_given else None,
                "cost_at_point": self.cost_at_point,
                "largest_intermediate": str(self.cost.largest_intermediate),
                "largest_intermediate_at_point": self.largest_intermediate_at_point,
                "live_peak_at_point": self.live_peak_at_point,
                "method": self.method,
            },
            "point": dict(self.point),
            "point_source": "user sizes" if self.sizes_given else "default sample of the symbols",
            "families": [],
            "chosen": None,
        }


def _nested_names(network: TensorNetwork, tree: ContractionTree) -> object:
    def walk(item: object) -> object:
        if isinstance(item, int):
            return network.tensors[item].name
        return [walk(part) for part in item]  # type: ignore[union-attr]

    return walk(tree.nested())


def _resolve_point(network: TensorNetwork, sizes: Mapping[str, int] | None) -> tuple[dict[str, int], bool]:
    if sizes and SKETCH_SYMBOL in sizes:
        raise SpecError(
            f"{SKETCH_SYMBOL} is the sketch size, not a size of the network; "
            "fix it with --m on the command line or m= in plan_sketch"
        )
    if sizes:
        unknown = [name for name in sizes if name not in network.symbols]
        if unknown:
            raise SpecError(
                f"unknown symbol(s) {', '.join(unknown)} in the sizes; the network's symbols are "
                f"{', '.join(network.symbols) or 'none (all sizes are numbers)'}"
            )
        missing = [name for name in network.symbols if name not in sizes]
        if missing:
            raise SpecError(
                f"no value for symbol(s) {', '.join(missing)}; give every symbol a size, for example "
                + ",".join(f"{n}=64" for n in network.symbols)
            )
        return dict(sizes), True
    if not network.symbols:
        return {}, True  # every size is a number, so the costs are at the user's sizes
    return dict(sample_sizes(network)), False


def sketched_order(network: TensorNetwork, data_tree: ContractionTree) -> tuple[str, ...]:
    """Return the sketched indices in T0's canonical leaf order (index order within a tensor)."""
    order = []
    sketched = set(network.sketched)
    # Children are ordered by tensor name, so the order does not depend on how the tensors are listed.
    for position in data_tree.leaf_order(key=lambda p: _natural_key(network.tensors[p].name)):
        order.extend(i for i in network.tensors[position].indices if i in sketched)
    return tuple(order)


def _family_m(family: str, count: int, fixed_m: int | None, eps: float, delta: float, constant: float) -> tuple[int, int | None, str]:
    if family == "khatri-rao":
        rows = emb.khatri_rao_rows(count, eps, delta)
        if fixed_m is not None:
            return fixed_m, None, "fixed by the user"
        return rows, None, f"(3^N - 1)/(eps^2 delta) = {rows} (Chebyshev estimate)"
    k = emb.family_count(family, count)
    if fixed_m is not None:
        return fixed_m, k, "fixed by the user"
    m = emb.sketch_size(k, eps, delta, constant)
    return m, k, f"ceil(C k ln(1/delta)/eps^2) with k = {k}"


def _construction(choices: object) -> tuple:
    """Return what fixes an MS22-style embedding: each leaf's node and each merge's option, b1 and m'."""
    leaves = tuple((leaf.index, leaf.node) for leaf in choices.leaves)  # type: ignore[attr-defined]
    merges = tuple(
        (merge.signature(), merge.b1, merge.m_prime) for merge in choices.merges  # type: ignore[attr-defined]
    )
    return leaves, merges


def _renamed(plan: FamilyPlan, family: str, rule: str) -> FamilyPlan:
    """Return a copy of ``plan`` under another family name (same embedding structure, tree and costs)."""
    embedding = plan.embedding
    renamed = emb.Embedding(
        family, embedding.tensors, dict(embedding.size_dict), embedding.sketched, embedding.output,
        embedding.row_sizes, embedding.scaling, embedding.k,
    )
    return dataclasses.replace(
        plan,
        family=family,
        embedding=renamed,
        joint=plan.joint.replace(name=plan.joint.name.replace(plan.family, family)),
        sketch_size_rule=rule,
        notes=tuple(note.replace(plan.family, family) for note in plan.notes),
    )


def _lower_bound_at(numeric: TensorNetwork, data_tree: ContractionTree, m: int) -> tuple[int | None, str]:
    """LB of the numeric data network at sketch size m, or None with the reason it is undefined."""
    try:
        return lower_bound(numeric, data_tree, m).at(), ""
    except SketchSizeError as err:
        return None, f"lower bound not defined: {err}"


def plan_family(
    network: TensorNetwork,
    family: str,
    data_tree: ContractionTree,
    point: Mapping[str, int],
    m: int,
    *,
    k: int | None = None,
    rule: str = "",
    choices: object | None = None,
) -> FamilyPlan:
    """Plan one family at sketch size ``m``: the embedding, its consistent tree and exact costs.

    ``tt`` is built in both orientations and the cheaper is kept. ``ms22``
    and ``best_t0`` take the ``choices`` their search made at the point (see
    :func:`tncost.embeddings.ms22_plan`); their plan is never dearer than the
    algorithm's own step order.

    Raises
    ------
    SpecError
        For an unknown family.
    """
    if family not in emb.FAMILIES:
        raise SpecError(f"unknown family {family!r}; valid families: {', '.join(emb.FAMILIES)}")
    m_symbol = size_symbol(SKETCH_SYMBOL)
    order = sketched_order(network, data_tree)
    numeric = network.at_sizes({k_: v for k_, v in point.items() if k_ in network.symbols}) if network.symbols else network
    variants = [False, True] if family == "tt" and len(order) > 1 else [False]

    options: dict = {}
    if family in MS22_FAMILIES:
        if choices is None:
            raise SpecError(f"family {family!r} needs the choices of its search; use plan_sketch")
        order = tuple(network.sketched)
        options = {"data_tree": data_tree, "choices": choices}

    best = None
    for reverse in variants:
        numeric_embedding = emb.build_embedding(family, numeric, m, order=order, reverse=reverse, **options)
        joint_numeric = emb.joint_network(numeric, numeric_embedding)
        step_tree = None
        if options:
            _, step_tree = emb.ms22_embedding(numeric, data_tree, choices, m, order=order, family=family)
        search = consistent_tree(joint_numeric, data_tree, step_tree)
        if best is None or search.ops < best[1].ops:
            best = (reverse, search, numeric_embedding, joint_numeric)
    assert best is not None
    reverse, search, numeric_embedding, joint_numeric = best

    symbolic_embedding = emb.build_embedding(family, network, m_symbol, order=order, reverse=reverse, **options)
    joint = emb.joint_network(network, symbolic_embedding)
    symbolic_cost = tree_cost(joint, search.tree)
    numeric_cost = tree_cost(joint_numeric, search.tree)
    if numeric_cost.ops != search.ops:  # pragma: no cover - guards the search's own bookkeeping
        raise AssertionError(f"search ops {search.ops} differ from the tree's ops {numeric_cost.ops}")
    full_point = {**point, SKETCH_SYMBOL: m}
    if substitute_cost(symbolic_cost.ops, full_point) != numeric_cost.ops:  # pragma: no cover
        raise AssertionError("symbolic and numeric costs disagree")

    sequence = emb.check_sequence(numeric_embedding, m=m)
    bound_value, bound_note = _lower_bound_at(numeric, data_tree, m)
    if not sequence.ok and bound_value is not None:
        bound_note = (
            "the embedding does not satisfy the sequence condition, so the lower bound does not "
            "apply to it; the ratio is shown for comparison only"
        )
    unconstrained = None
    if len(joint_numeric.tensors) <= UNCONSTRAINED_LIMIT:
        unconstrained = int(tree_cost(joint_numeric, optimize(joint_numeric, method="dp")).ops)
    notes = []
    too_big = [e for e in numeric.sketched if numeric.size_dict[e] <= m]
    if too_big:
        sizes_text = ", ".join(f"{e}={numeric.size_dict[e]}" for e in too_big)
        notes.append(
            f"m = {m} is at or above the size of sketched index {sizes_text}: sketching cannot "
            "pay off there; use a larger size, a looser eps/delta, or a smaller --m"
        )
    exact_in_m = True
    if choices is not None:
        numeric_splits = [
            c for c in getattr(choices, "merges", ())
            if c.option.startswith("split") and not (c.b1 == c.b2 and c.m_prime == m)
        ]
        if numeric_splits:
            exact_in_m = False
            notes.append(
                f"{len(numeric_splits)} split gadget(s) use factor sizes chosen for m = {m} "
                "(b1 * b2 = m' with numeric b1, b2), so the symbolic cost is exact at this m only"
            )
    if len(variants) == 2:
        notes.append(f"tt chain built {'right to left' if reverse else 'left to right'} over T0's leaf order (the cheaper orientation)")
    return FamilyPlan(
        family=family,
        embedding=symbolic_embedding,
        joint=joint,
        tree=search.tree,
        data_tree=data_tree,
        m=m,
        k=k,
        sketch_size_rule=rule,
        cost=symbolic_cost.ops,
        cost_at_point=numeric_cost.ops,
        largest_intermediate_at_point=int(numeric_cost.largest_intermediate),
        live_peak_at_point=int(numeric_cost.live_peak),
        point=dict(full_point),
        sequence=sequence,
        search=search.method,
        notes=tuple(notes),
        unconstrained_ops_at_point=unconstrained,
        lower_bound_at_point=bound_value,
        lower_bound_note=bound_note,
        cost_exact_in_m=exact_in_m,
        choices=choices,
        data_network=network,
    )


def plan_sketch(
    network: TensorNetwork,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    sizes: Mapping[str, int] | None = None,
    m: int | None = None,
    families: Sequence[str] | None = None,
    data_tree: ContractionTree | None = None,
    constant: float = 1.0,
    regime: str | None = None,
) -> SketchPlan:
    """Plan a sketch of ``network``'s sketched indices with every requested family.

    Parameters
    ----------
    network
        The data network; ``network.sketched`` is E1 (at least one index).
    eps, delta
        The accuracy target: each family's sketch size follows the rule of
        :func:`tncost.embeddings.sketch_size` with its own factor count.
    sizes
        Values of the size symbols. Without them, orders are searched at
        :func:`tncost.paths.sample_sizes` and ``cost_at_sizes`` is null.
    m
        A fixed sketch size shared by every family (equal sketch size).
    families
        Family names; default :data:`FAMILY_NAMES`.
    data_tree
        T0 over the data positions; default the exact optimum of the data
        network alone at the numeric point.
    constant
        The constant C of the sketch-size rule.
    regime
        Constraints on the size symbols and ``m``, such as ``"m <= R <= s"``.
        With a regime, each family gets its leading cost, the families are
        ranked by leading cost (or the regime is split into regions where the
        ranking changes), and T0 of a data network of at most
        :data:`SYMBOLIC_T0_LIMIT` tensors is the symbolic optimum under it.
        Orders of the joint networks are still searched at the numeric point.

    Returns
    -------
    SketchPlan

    Raises
    ------
    NetworkError
        If the network has no sketched indices (use :func:`plan_contraction`)
        or already uses the symbol ``m``.
    SketchSizeError
        For an invalid ``m``, ``eps`` or ``delta``.

    Examples
    --------
    >>> from tncost.structures import tensor_train
    >>> plan = plan_sketch(tensor_train(3), sizes={"s": 64, "R": 4}, m=8, families=["tt"])
    >>> plan.chosen, plan.family("tt").cost_at_point > 0
    ('tt', True)
    """
    if not network.sketched:
        raise NetworkError("the network has no sketched indices; use plan_contraction for a plain contraction")
    if SKETCH_SYMBOL in network.symbols:
        raise NetworkError(
            f"the network uses the symbol {SKETCH_SYMBOL!r}, which tncost reserves for the sketch size; rename it"
        )
    if m is not None:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise SketchSizeError(f"invalid sketch size m={m!r}: give a positive integer")
    emb.sketch_size(1, eps, delta, constant)  # validates eps, delta and C with clear errors
    families = list(FAMILY_NAMES if families is None else families)
    unknown = [f for f in families if f not in emb.FAMILIES]
    if unknown:
        raise SpecError(f"unknown family {unknown[0]!r}; valid families: {', '.join(emb.FAMILIES)}")
    if not families:
        raise SpecError("no family requested; give at least one of " + ", ".join(emb.FAMILIES))

    point, sizes_given = _resolve_point(network, sizes)
    parsed_regime = _parse_regime(regime, network)
    data_network = network.at_sizes({k: v for k, v in point.items() if k in network.symbols}) if network.symbols else network
    t0_note = ""
    if data_tree is None and parsed_regime is not None and 1 < len(network.tensors) <= SYMBOLIC_T0_LIMIT and network.symbols:
        data_tree, t0_note = _symbolic_data_tree(network, parsed_regime, point)
    if data_tree is None:
        data_tree = optimize(data_network) if len(network.tensors) > 1 else ContractionTree.from_nested(0)
    elif sorted(data_tree.leaves) != list(range(len(network.tensors))):
        raise NetworkError(
            f"the data tree covers positions {sorted(data_tree.leaves)}, but the network has "
            f"{len(network.tensors)} tensors (positions 0..{len(network.tensors) - 1})"
        )

    count = len(network.sketched)
    plans = []
    planned_choices: dict[str, tuple] = {}
    for family in families:
        if family in MS22_FAMILIES:
            search = emb.ms22_plan if family == "ms22" else emb.best_t0_plan
            _, family_m, k, found = search(network, data_tree, point, eps, delta, constant, m)
            choices = found if family == "ms22" else found.choices
            rule = (
                "fixed by the user" if m is not None
                else f"ceil(C k ln(1/delta)/eps^2) with k = {k} tensors used (first sized with k_max = 3N - 2)"
            )
            twin = next(
                (
                    plan for plan in plans
                    if plan.family in MS22_FAMILIES and planned_choices.get(plan.family) == (_construction(choices), family_m)
                ),
                None,
            )
            if twin is not None:
                # The other T0-following family made the same choices at the same m:
                # its plan is this family's plan, so it is not searched again.
                plans.append(_renamed(twin, family, rule))
            else:
                plans.append(plan_family(network, family, data_tree, point, family_m, k=k, rule=rule, choices=choices))
            planned_choices[family] = (_construction(choices), family_m)
            continue
        family_m, k, rule = _family_m(family, count, m, eps, delta, constant)
        plans.append(plan_family(network, family, data_tree, point, family_m, k=k, rule=rule))
    # Families without the sequence form have no accuracy guarantee at a given
    # m, so they are chosen only when no family with the guarantee was planned.
    guaranteed = [p for p in plans if p.sequence.ok] or plans
    chosen = min(guaranteed, key=lambda p: (p.cost_at_point, families.index(p.family))).family

    bound = None
    try:
        bound = lower_bound(network, data_tree, m if m is not None else size_symbol(SKETCH_SYMBOL))
    except SketchSizeError as err:
        notes_bound = f"no lower bound: {err}"
    else:
        notes_bound = ""

    notes = [notes_bound] if notes_bound else []
    if t0_note:
        notes.append(t0_note)
    chosen_m = next(p.m for p in plans if p.family == chosen)
    outside = _constraints_violated(parsed_regime, {**point, SKETCH_SYMBOL: chosen_m}) if parsed_regime is not None else []
    if outside:
        notes.append(
            f"the numeric point {', '.join(f'{k}={v}' for k, v in point.items())} with the chosen family's "
            f"m = {chosen_m} violates the regime's {'; '.join(outside)}; give --sizes (and --m) inside the "
            "regime so that orders are searched and the family is chosen there"
        )
    if not sizes_given:
        notes.append(
            "no sizes given: orders were searched and the family chosen at the sample "
            + ", ".join(f"{k}={v}" for k, v in point.items())
        )
    return SketchPlan(
        network=network,
        data_tree=data_tree,
        point=point,
        sizes_given=sizes_given,
        fixed_m=m,
        eps=eps,
        delta=delta,
        constant=constant,
        comparison="equal sketch size (m fixed by the user)" if m is not None else "equal accuracy (each family its own m)",
        families=tuple(plans),
        chosen=chosen,
        notes=tuple(notes),
        lower_bound=bound,
        asymptotics=None if parsed_regime is None else _asymptotics(parsed_regime, plans, bound),
    )


SYMBOLIC_T0_LIMIT = 8
"""Data networks with at most this many tensors get their T0 from the symbolic search under a regime."""


def _parse_regime(regime: str | None, network: TensorNetwork) -> "Regime | None":
    if regime is None or not str(regime).strip():
        return None
    from .symbolic.regime import Regime

    return Regime.parse(regime, symbols=(*network.symbols, SKETCH_SYMBOL))


def _symbolic_data_tree(network: TensorNetwork, regime: "Regime", point: Mapping[str, int]) -> tuple[ContractionTree, str]:
    from .symbolic.search import symbolic_optimize

    found = symbolic_optimize(network, regime)
    if len(found.candidates) == 1:
        return found.candidates[0].tree, f"T0 is the symbolic optimum of the data network under {regime}"
    best = found.best_at(dict(point))
    return best.tree, (
        f"{len(found.candidates)} data trees are optimal in parts of {regime}; T0 is the one "
        "cheapest at the numeric point"
    )


def _balanced_split_cost(plan: FamilyPlan) -> sympy.Expr | None:
    """Return the cost of the plan's construction and tree with every split read as b1 = b2 = m^(1/2).

    The polynomial is exact at every square m for that construction and tree,
    so it shows how the construction grows with m. It is not a proven bound
    on what MS22 chooses at other m, because MS22 picks options merge by merge
    and may pick other splits there.
    """
    from .embeddings.ms22 import MS22Choices

    choices = plan.choices
    if not isinstance(choices, MS22Choices):
        return None
    balanced = balanced_splits(choices, 4)
    try:
        embedding, _ = emb.ms22_embedding(
            plan.data_network, plan.data_tree, balanced, size_symbol(SKETCH_SYMBOL), order=plan.embedding.sketched,
            family=plan.family,
        )
        joint = emb.joint_network(plan.data_network, embedding)
        return tree_cost(joint, plan.tree).ops
    except (NetworkError, SpecError, SketchSizeError, ValueError, KeyError):  # pragma: no cover - structure mismatch
        return None


def _constraints_violated(regime: "Regime", point: Mapping[str, int]) -> list[str]:
    """The regime's constraints that the numeric point does not satisfy (those on symbols it gives)."""
    violated = []
    for constraint in regime.constraints:
        names = [n for n, a in zip(constraint.symbols, constraint.coefficients) if a != 0]
        if not all(n in point for n in names):
            continue  # a constraint on a symbol the point does not give, such as m
        x = [math.log(point[n]) if n in point else 0.0 for n in constraint.symbols]
        if not constraint.holds(x, slack=1e-9):
            violated.append(str(constraint))
    return violated


def _single_region_winners(pieces: object) -> list["Piece"]:
    """Return the winning pieces of a piecewise cost with one region (tied under the regime), else []."""
    if not isinstance(pieces, PiecewiseCost) or len(pieces.regions) != 1:
        return []
    labels = pieces.regions[0]["winners"]
    return [piece for piece in pieces.pieces if piece.label in labels]


def _single_piece(pieces: object) -> "Piece | None":
    """Return the first winning piece of a piecewise cost with one region, else None."""
    winners = _single_region_winners(pieces)
    return winners[0] if winners else None


def _equal_accuracy_ranking(regime: "Regime", plans: Sequence["FamilyPlan"], piecewise: Mapping[str, object]) -> dict:
    """Rank the families at equal accuracy: each family's m becomes k·mu, mu = C ln(1/delta)/eps^2.

    Families without a factor count (Khatri-Rao, whose rows follow a
    different rule in eps and delta) are left out and listed as such.
    """
    from .symbolic.regime import Regime, leading_cost, rank_costs

    mu = emb.ACCURACY_SYMBOL
    m_symbol = size_symbol(SKETCH_SYMBOL)
    symbols = tuple(dict.fromkeys((*regime.symbols, mu.name)))
    # The regime's constraints on m do not apply to mu; only the data symbols carry over.
    kept_constraints = [str(c) for c in regime.constraints if SKETCH_SYMBOL not in _constraint_names(c)]
    mu_regime = Regime.parse(", ".join(kept_constraints) if kept_constraints else None, symbols=symbols)
    def at_equal_accuracy(cost: object, k: int) -> sympy.Expr | None:
        substituted = sympy.expand(sympy.sympify(cost).xreplace({m_symbol: k * mu}))
        try:
            leading_cost(substituted, mu_regime)
        except SizeError:
            # A power such as m^(1/2) turns k into an irrational coefficient,
            # which the exact polynomials do not represent.
            return None
        return substituted

    costs = {}
    leading = {}
    for plan in plans:
        winners = _single_region_winners(piecewise.get(plan.family))
        if winners:
            # Pieces that tie under the regime at equal m differ at equal accuracy
            # through k, so the cheapest of them after m = k mu is the family's cost.
            candidates = {
                piece.label: cost
                for piece in winners
                if (cost := at_equal_accuracy(piece.cost, piece.k)) is not None
            }
            if not candidates:
                continue
            order = rank_costs(candidates, mu_regime).order
            if order is None:
                continue
            cost = candidates[order[0][0]]
        elif not plan.cost_exact_in_m or plan.k is None:
            continue
        else:
            cost = at_equal_accuracy(plan.cost, plan.k)
            if cost is None:
                continue
        leading[plan.family] = str(leading_cost(cost, mu_regime))
        costs[plan.family] = cost
    excluded = [plan.family for plan in plans if plan.family not in costs]
    ranking = rank_costs(costs, mu_regime) if costs else None
    entry: dict = {
        "rule": (
            "m = k * mu with mu = C ln(1/delta) / eps^2; constraints on m are dropped; ms22 and best_t0 "
            "enter with their piecewise cost when one piece wins the whole regime; families without a factor "
            "count, with split factors fixed for one m, or with powers of m that make k irrational are excluded"
        ),
        "regime": str(mu_regime),
        "leading_cost": leading,
        "excluded": excluded,
    }
    if ranking is not None and ranking.order is not None:
        entry["ranking"] = [list(group) for group in ranking.order]
    elif ranking is not None:
        entry["regions"] = [
            {"inequalities": list(region.inequalities), "winners": [ranking.names[w] if isinstance(w, int) else w for w in region.winners]}
            for region in ranking.regions
        ]
    return entry


def _constraint_names(constraint: object) -> set[str]:
    return {n for n, a in zip(constraint.symbols, constraint.coefficients) if a != 0}  # type: ignore[attr-defined]


def _resolve_minima(expr: object, regime: "Regime") -> object:
    """Replace each ``Min`` whose argument is dominated by all others under the regime by that argument."""
    if not isinstance(expr, sympy.Basic):
        return expr
    replacements = {}
    for minimum in expr.atoms(sympy.Min):
        arguments = list(minimum.args)
        for candidate in arguments:
            if all(other is candidate or regime.dominates(other, candidate) for other in arguments):
                replacements[minimum] = candidate
                break
    return expr.xreplace(replacements)


def _piecewise(regime: "Regime", plans: Sequence["FamilyPlan"], bound: LowerBound | None) -> dict[str, "PiecewiseCost | str"]:
    """Piecewise costs of the planned T0-following families, or the reason there is none."""
    result: dict[str, PiecewiseCost | str] = {}
    for plan in plans:
        if plan.family not in MS22_FAMILIES or plan.data_network is None:
            continue
        try:
            result[plan.family] = piecewise_cost(
                plan.data_network, plan.family, plan.data_tree, regime,
                bound=None if bound is None else bound.total,
            )
        except SketchSizeError as err:
            result[plan.family] = f"no piecewise cost: {err}"
    return result


def _asymptotics(regime: "Regime", plans: Sequence["FamilyPlan"], bound: LowerBound | None) -> dict:
    """Leading costs, ranking or regions, and asymptotic ratios to LB under the regime."""
    from .symbolic.regime import leading_cost, rank_costs

    # A cost whose split factors were fixed as numbers for one m has the wrong
    # growth in m, so it takes no part in asymptotic statements as it is; MS22
    # and best_t0 get piecewise costs from samples of the regime instead.
    asymptotic = [plan for plan in plans if plan.cost_exact_in_m]
    costs = {plan.family: plan.cost for plan in asymptotic}
    piecewise = _piecewise(regime, plans, bound)
    families: dict[str, dict] = {}
    lb_leading = None
    lb_resolved = None
    if bound is not None:
        lb_resolved = _resolve_minima(bound.total, regime)
        if isinstance(lb_resolved, int) or not lb_resolved.atoms(sympy.Min):
            lb_leading = leading_cost(lb_resolved, regime)
    for plan in plans:
        pieces = piecewise.get(plan.family)
        winner = _single_piece(pieces)
        if winner is not None:
            # One region: the winning piece's cost is the family's cost under the regime.
            region = pieces.regions[0]
            costs[plan.family] = winner.cost
            families[plan.family] = {
                "leading_cost": region["leading_cost"],
                "asymptotic_note": (
                    "piecewise cost from the search at samples of the regime (splits balanced), "
                    "an upper bound on the family's cost; see 'piecewise'"
                ),
                "piecewise": pieces.to_dict(),
            }
            if "ratio_to_lower_bound_bounded" in region and region["ratio_to_lower_bound_bounded"] is not None:
                families[plan.family]["ratio_to_lower_bound_bounded"] = region["ratio_to_lower_bound_bounded"]
            continue
        if not plan.cost_exact_in_m:
            families[plan.family] = {
                "leading_cost": None,
                "asymptotic_note": "not ranked: split factors fixed as numbers for this m, so the cost's growth in m is unknown",
            }
            if isinstance(pieces, PiecewiseCost):
                families[plan.family]["piecewise"] = pieces.to_dict()
            elif isinstance(pieces, str):
                families[plan.family]["piecewise_note"] = pieces
            balanced = _balanced_split_cost(plan)
            if balanced is not None:
                families[plan.family]["leading_cost_balanced_splits"] = str(leading_cost(balanced, regime))
                if lb_resolved is not None and lb_leading is not None:
                    from .symbolic.poly import Poly

                    bounded = regime.at_most(Poly.from_sympy(sympy.sympify(balanced)), Poly.from_sympy(sympy.sympify(lb_resolved)))
                    families[plan.family]["ratio_to_lower_bound_bounded_balanced_splits"] = bool(bounded)
            continue
        entry = {"leading_cost": str(leading_cost(plan.cost, regime))}
        if lb_resolved is not None and lb_leading is not None and plan.sequence.ok:
            from .symbolic.poly import Poly

            bounded = regime.at_most(Poly.from_sympy(sympy.sympify(plan.cost)), Poly.from_sympy(sympy.sympify(lb_resolved)))
            entry["ratio_to_lower_bound_bounded"] = bool(bounded)
        families[plan.family] = entry
    ranking = rank_costs(costs, regime)
    result: dict = {"regime": str(regime), "families": families, "lower_bound_leading": None if lb_leading is None else str(lb_leading)}
    result["equal_accuracy"] = _equal_accuracy_ranking(regime, plans, piecewise)
    if ranking.order is not None:
        result["ranking"] = [list(group) for group in ranking.order]
        result["regions"] = None
    else:
        result["ranking"] = None
        result["regions"] = [
            {"inequalities": list(region.inequalities), "winners": [ranking.names[w] if isinstance(w, int) else w for w in region.winners]}
            for region in ranking.regions
        ]
    return result


def plan_contraction(network: TensorNetwork, *, sizes: Mapping[str, int] | None = None, method: str = "auto") -> ContractionPlan:
    """Plan a plain contraction: the optimal order at the numeric point, its exact cost and memory.

    Examples
    --------
    >>> from tncost.io import parse_einsum
    >>> plan = plan_contraction(parse_einsum("ab,bc->ac", {"a": 2, "b": 3, "c": 4}))
    >>> plan.cost_at_point
    24
    """
    point, sizes_given = _resolve_point(network, sizes)
    numeric = network.at_sizes({k: v for k, v in point.items() if k in network.symbols}) if network.symbols else network
    if len(network.tensors) == 1:
        tree = ContractionTree.from_nested(0)
    else:
        tree = optimize(numeric, method=method)
    cost = tree_cost(network, tree)
    numeric_cost = tree_cost(numeric, tree)
    return ContractionPlan(
        network=network,
        tree=tree,
        cost=cost,
        point=point,
        sizes_given=sizes_given,
        cost_at_point=int(numeric_cost.ops),
        largest_intermediate_at_point=int(numeric_cost.largest_intermediate),
        live_peak_at_point=int(numeric_cost.live_peak),
        method=method,
    )

