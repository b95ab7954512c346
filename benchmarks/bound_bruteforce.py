"""Brute-force check of the lower bound: every plan costs at least LB / (3 + 1/m).

For small data networks (2 to 4 tensors, up to 4 sketched indices, tensors
holding two sketched indices, kept indices), every data tree T0, every
embedding of the families (dense, tt in both orientations, tree; Khatri–Rao
is recorded but is not a sequence embedding) and every sequence embedding
with up to ``--max-tensors`` tensors and row sizes in {m, m + 1}, this
computes the cheapest T0-consistent tree exactly and compares its cost with
the lower bound LB(T0, m).

Two figures come out of each case:

* the smallest ratio cost / LB over every (T0, embedding) pair, which the
  proof shows is at least 1 / (3 + 1/m) (at least 1/3 when no data tensor
  holds two sketched indices);
* for each T0, the best plan's ratio (the cheapest embedding for that T0),
  and the largest of those over the T0s: how far the best plan can be from
  LB, which shows how tight LB is.

Run it from the repository root::

    python benchmarks/bound_bruteforce.py --max-tensors 5 \\
        --out benchmarks/results/bound_bruteforce.json

The test suite imports the enumerators from this file and runs a smaller,
seeded version.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import platform
import random
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from tncost.bounds import bound_constant, lower_bound
from tncost.consistent import exact_consistent_tree
from tncost.embeddings import Embedding, build_embedding, check_sequence, joint_network
from tncost.network import Tensor, TensorNetwork
from tncost.planner import sketched_order
from tncost.tree import ContractionTree

__all__ = [
    "DataCase",
    "CaseResult",
    "CASES",
    "data_trees",
    "sequence_embeddings",
    "family_embeddings",
    "run_case",
]


# Data trees -------------------------------------------------------------------------


def _nested_trees(items: tuple[int, ...]) -> Iterator[object]:
    """Generate every unordered binary tree over ``items`` as nested pairs."""
    if len(items) == 1:
        yield items[0]
        return
    first, rest = items[0], items[1:]
    # Split into the part holding the first item and the rest (non-empty).
    for size in range(0, len(rest)):
        for chosen in itertools.combinations(rest, size):
            left = (first, *chosen)
            right = tuple(i for i in rest if i not in chosen)
            for a in _nested_trees(left):
                for b in _nested_trees(right):
                    yield (a, b)


def data_trees(count: int) -> list[ContractionTree]:
    """Return all (2n − 3)!! data trees over ``count`` tensors (one leaf for a single tensor).

    Examples
    --------
    >>> [len(data_trees(n)) for n in (1, 2, 3, 4)]
    [1, 1, 3, 15]
    """
    return [ContractionTree.from_nested(nested) for nested in _nested_trees(tuple(range(count)))]


# Sequence embeddings ---------------------------------------------------------------


def _out_sizes(degree: int, m: int) -> list[tuple[int, ...]]:
    """Output sizes of a tensor with ``degree`` output bonds (0: one final output), rows in {m, m+1}."""
    rows = (m, m + 1)
    if degree <= 1:
        return [(r,) for r in rows]
    return [(b1, r // b1) for r in rows for b1 in range(2, r) if r % b1 == 0 and r // b1 >= 2]


def _canonical(tensors: Sequence[tuple[frozenset, tuple[tuple[int, int], ...], int]]) -> tuple:
    """Return a key that is equal for embeddings that differ only by the names (and listing order) of their tensors."""
    count = len(tensors)
    best = None
    for perm in itertools.permutations(range(count)):
        relabeled = [None] * count
        for i, (sketched, bonds, final) in enumerate(tensors):
            relabeled[perm[i]] = (tuple(sorted(sketched)), final, tuple(sorted((perm[t], s) for t, s in bonds)))
        key = tuple(relabeled)
        if best is None or key < best:
            best = key
    return best  # type: ignore[return-value]


def sequence_embeddings(
    sketched: Sequence[str], sizes: Mapping[str, int], m: int, max_tensors: int
) -> Iterator[Embedding]:
    """Generate every sequence embedding of up to ``max_tensors`` tensors with row sizes in {m, m + 1}.

    A structure is a sequence order t1, ..., tk; an assignment of each
    sketched index to one tensor; and for each tensor either up to two output
    bonds to later tensors (one bond of size m or m + 1, or two bonds of sizes
    b1, b2 >= 2 with b1·b2 in {m, m + 1}, the split shape) or, when no later
    tensor consumes it, one final output of size m or m + 1. Every tensor has
    at least one input. Structures that differ only by tensor names are
    produced once. Each embedding is checked with ``check_sequence``.

    Examples
    --------
    >>> embs = list(sequence_embeddings(("a",), {"a": 2}, 2, 2))
    >>> [[t.indices for t in e.tensors] for e in embs][:3]
    [[('Q_o0', 'a')], [('Q_o0', 'a')], [('Q_b0_1', 'a'), ('Q_o1', 'Q_b0_1')]]
    >>> [dict(e.size_dict) for e in embs][:3]
    [{'Q_o0': 2}, {'Q_o0': 3}, {'Q_b0_1': 2, 'Q_o1': 2}]
    """
    for described in _structures(tuple(sketched), m, max_tensors):
        yield _embedding(described, sketched, sizes, m)


@functools.lru_cache(maxsize=None)
def _structures(sketched: tuple[str, ...], m: int, max_tensors: int) -> tuple:
    """Return the distinct embedding structures, as (sketched set, bonds, final size) per tensor."""
    seen: set = set()
    found = []
    count_sketched = len(sketched)
    for k in range(1, max_tensors + 1):
        target_choices = [
            [c for d in range(0, 3) for c in itertools.combinations(range(i + 1, k), d)] for i in range(k)
        ]
        for targets in itertools.product(*target_choices):
            incoming = [0] * k
            for ts in targets:
                for t in ts:
                    incoming[t] += 1
            for owner in itertools.product(range(k), repeat=count_sketched):
                if any(incoming[i] == 0 and i not in owner for i in range(k)):
                    continue
                size_choices = [_out_sizes(len(ts), m) for ts in targets]
                for choice in itertools.product(*size_choices):
                    described = []
                    for i in range(k):
                        held = frozenset(sketched[j] for j in range(count_sketched) if owner[j] == i)
                        if targets[i]:
                            described.append((held, tuple(zip(targets[i], choice[i])), 0))
                        else:
                            described.append((held, (), choice[i][0]))
                    key = _canonical(described)
                    if key in seen:
                        continue
                    seen.add(key)
                    found.append(tuple(described))
    return tuple(found)


def _embedding(described: Sequence, sketched: Sequence[str], sizes: Mapping[str, int], m: int) -> Embedding:
    indices: list[list[str]] = [[] for _ in described]
    size_dict: dict[str, int] = {}
    output = []
    for i, (held, bonds, final) in enumerate(described):
        if final:
            name = f"Q_o{i}"
            indices[i].append(name)
            size_dict[name] = final
            output.append(name)
        for number, (target, size) in enumerate(bonds):
            name = f"Q_b{i}_{target}" if number == 0 else f"Q_c{i}_{target}"
            indices[i].append(name)
            indices[target].append(name)
            size_dict[name] = size
        indices[i].extend(e for e in sketched if e in held)
    # Inputs go after outputs, so a bond appended to its consumer goes last there;
    # reorder each tensor as outputs first, then bonds in, then sketched.
    tensors = []
    for i, idx in enumerate(indices):
        own_out = [x for x in idx if x.startswith(f"Q_o{i}") or x.startswith(f"Q_b{i}_") or x.startswith(f"Q_c{i}_")]
        rest = [x for x in idx if x not in own_out and x not in sketched]
        held = [x for x in idx if x in sketched]
        tensors.append(Tensor(f"Q{i}", tuple(own_out + rest + held), kind="embedding"))
    check = check_sequence(tensors, tuple(sketched), size_dict, m, output=tuple(output))
    if not check.ok:
        raise AssertionError(f"enumerated embedding fails the sequence condition: {check.reason}")
    rows = dict(zip(check.order, check.row_sizes))
    return Embedding(
        "sequence",
        tuple(tensors),
        size_dict,
        tuple(sketched),
        tuple(output),
        tuple(rows[t.name] for t in tensors),
        "rows",
        len(tensors),
        {e: sizes[e] for e in sketched},
    )


def family_embeddings(network: TensorNetwork, data_tree: ContractionTree, m: int) -> list[Embedding]:
    """Build the family embeddings along T0's leaf order: dense, tt both ways, tree, and khatri-rao."""
    order = sketched_order(network, data_tree)
    built = [build_embedding("dense", network, m, order=order)]
    built.append(build_embedding("tt", network, m, order=order))
    built.append(build_embedding("tt", network, m, order=order, reverse=True))
    built.append(build_embedding("tree", network, m, order=order))
    built.append(build_embedding("khatri-rao", network, m, order=order))
    return built


# Cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataCase:
    """A data network for the brute force: einsum-style inputs, sizes, sketched indices, values of m."""

    name: str
    inputs: tuple[tuple[str, ...], ...]
    sizes: Mapping[str, int]
    sketched: tuple[str, ...]
    ms: tuple[int, ...]
    output: tuple[str, ...] | None = None

    def network(self) -> TensorNetwork:
        names = [f"v{i}" for i in range(len(self.inputs))]
        return TensorNetwork.from_inputs(self.inputs, self.output, dict(self.sizes), self.sketched, names)


CASES: tuple[DataCase, ...] = (
    DataCase("kronecker-2", (("a",), ("b",)), {"a": 3, "b": 2}, ("a", "b"), (2,)),
    DataCase("kronecker-2-kept", (("a", "c"), ("b",)), {"a": 3, "b": 3, "c": 2}, ("a", "b"), (2, 3)),
    DataCase("two-in-one", (("a", "b", "c"), ("d",)), {"a": 2, "b": 2, "c": 3, "d": 2}, ("a", "b", "d"), (2,)),
    DataCase("two-in-one-bond", (("a", "b", "i"), ("i", "d")), {"a": 3, "b": 2, "i": 2, "d": 3}, ("a", "b", "d"), (2,)),
    DataCase("two-and-two", (("a", "b"), ("c", "d")), {"a": 2, "b": 3, "c": 2, "d": 2}, ("a", "b", "c", "d"), (2,)),
    DataCase("tt-3", (("a", "i"), ("i", "b", "j"), ("j", "c")), {"a": 3, "b": 3, "c": 3, "i": 2, "j": 3}, ("a", "b", "c"), (2, 3)),
    DataCase("chain-unsketched-middle", (("a", "i"), ("i", "j"), ("j", "b")), {"a": 3, "b": 3, "i": 2, "j": 2}, ("a", "b"), (2, 3)),
    DataCase("kept-hyperedge", (("a", "r"), ("b", "r")), {"a": 3, "b": 2, "r": 2}, ("a", "b"), (2,), ("a", "b", "r")),
    DataCase("kronecker-3-kept", (("a",), ("b", "c"), ("d",)), {"a": 2, "b": 3, "c": 2, "d": 2}, ("a", "b", "d"), (2,)),
    DataCase("tt-4", (("a", "i"), ("i", "b", "j"), ("j", "c", "k"), ("k", "d")),
             {"a": 2, "b": 3, "c": 2, "d": 2, "i": 2, "j": 2, "k": 3}, ("a", "b", "c", "d"), (2,)),
    DataCase("star-4", (("h", "i", "j"), ("h", "a"), ("i", "b"), ("j", "c")),
             {"a": 3, "b": 2, "c": 2, "h": 2, "i": 3, "j": 2}, ("a", "b", "c"), (2,)),
    DataCase("two-in-one-4", (("a", "b", "i"), ("i", "c", "j"), ("j", "k"), ("k", "d", "e")),
             {"a": 2, "b": 2, "c": 3, "d": 2, "e": 2, "i": 2, "j": 2, "k": 2}, ("a", "b", "c", "d"), (2,)),
)
"""The data networks of the brute force; ``e`` in ``two-in-one-4`` is a kept index."""


@dataclass
class CaseResult:
    """Figures of one (case, m): counts, the smallest ratio and the best plan's largest ratio."""

    case: str
    m: int
    constant: Fraction
    trees: int = 0
    embeddings: int = 0
    pairs: int = 0
    smallest_ratio: Fraction | None = None
    smallest_at: str = ""
    best_plan_largest_ratio: Fraction | None = None
    best_plan_at: str = ""
    khatri_rao_smallest_ratio: Fraction | None = None
    violations: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        def show(x: Fraction | None) -> object:
            return None if x is None else {"exact": str(x), "float": round(float(x), 6)}

        return {
            "case": self.case,
            "m": self.m,
            "constant": str(self.constant),
            "trees": self.trees,
            "embeddings": self.embeddings,
            "pairs": self.pairs,
            "smallest_ratio": show(self.smallest_ratio),
            "smallest_at": self.smallest_at,
            "best_plan_largest_ratio": show(self.best_plan_largest_ratio),
            "best_plan_at": self.best_plan_at,
            "khatri_rao_smallest_ratio": show(self.khatri_rao_smallest_ratio),
            "violations": self.violations,
        }


def _describe(embedding: Embedding) -> str:
    return f"{embedding.family}[" + " ".join(",".join(t.indices) for t in embedding.tensors) + "]"


def run_case(
    case: DataCase,
    m: int,
    max_tensors: int,
    *,
    sample: int | None = None,
    seed: int = 0,
    trees: Sequence[ContractionTree] | None = None,
) -> CaseResult:
    """Run the brute force on one case and one m.

    ``sample`` keeps a seeded random subset of that many sequence embeddings
    (all of them when ``None``); ``trees`` restricts the data trees.
    """
    network = case.network()
    sequence = list(sequence_embeddings(case.sketched, case.sizes, m, max_tensors))
    if sample is not None and len(sequence) > sample:
        sequence = random.Random(seed).sample(sequence, sample)
    trees = list(trees) if trees is not None else data_trees(len(case.inputs))
    constant = bound_constant(m, network)
    result = CaseResult(case.name, m, constant, trees=len(trees))
    result.embeddings = len(sequence)

    for tree in trees:
        bound = lower_bound(network, tree, m).total
        best: Fraction | None = None
        best_name = ""
        for embedding in family_embeddings(network, tree, m) + sequence:
            ops = exact_consistent_tree(joint_network(network, embedding), tree).ops
            ratio = Fraction(ops, bound)
            if embedding.family == "khatri-rao":
                if result.khatri_rao_smallest_ratio is None or ratio < result.khatri_rao_smallest_ratio:
                    result.khatri_rao_smallest_ratio = ratio
                continue
            result.pairs += 1
            where = f"T0={tree.nested()} {_describe(embedding)} ops={ops} LB={bound}"
            if ratio * constant < 1:
                result.violations.append(where)
            if result.smallest_ratio is None or ratio < result.smallest_ratio:
                result.smallest_ratio, result.smallest_at = ratio, where
            if best is None or ratio < best:
                best, best_name = ratio, where
        if result.best_plan_largest_ratio is None or best > result.best_plan_largest_ratio:  # type: ignore[operator]
            result.best_plan_largest_ratio, result.best_plan_at = best, best_name
    return result


# Command line -----------------------------------------------------------------------


def tensor_cap(case: DataCase, m: int, max_tensors: int) -> int:
    """Embedding tensors to enumerate for a case, so that one run fits on one machine.

    ``max_tensors`` when the case has at most three data tensors, at most three
    sketched indices and m = 2; at most 4 for the other cases with at most three
    data tensors or three sketched indices; at most 3 for four data tensors
    with four sketched indices (10 474 four-tensor embeddings times 15 data
    trees would take most of an hour).
    """
    if len(case.inputs) <= 3 and len(case.sketched) <= 3 and m == 2:
        return max_tensors
    if len(case.inputs) <= 3 or len(case.sketched) <= 3:
        return min(max_tensors, 4)
    return min(max_tensors, 3)


def _job(item: tuple[int, int, int, int | None, int]) -> dict:
    index, m, max_tensors, sample, seed = item
    case = CASES[index]
    began = time.perf_counter()
    cap = tensor_cap(case, m, max_tensors)
    result = run_case(case, m, cap, sample=sample, seed=seed)
    row = result.to_dict()
    row["max_tensors"] = cap
    row["seconds"] = round(time.perf_counter() - began, 2)
    return row


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tensors", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--sample", type=int, default=None, help="sequence embeddings per case (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/bound_bruteforce.json")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    items = [(i, m, args.max_tensors, args.sample, args.seed) for i, case in enumerate(CASES) for m in case.ms]
    # Largest jobs first, so that two workers finish together.
    items.sort(key=lambda item: -len(CASES[item[0]].inputs) * len(CASES[item[0]].sketched))
    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.Pool(args.jobs) as pool:
            rows = pool.imap_unordered(_job, items)
            results = [_report(row) for row in rows]
    else:
        results = [_report(_job(item)) for item in items]
    results.sort(key=lambda row: ([c.name for c in CASES].index(row["case"]), row["m"]))
    elapsed = time.perf_counter() - start
    smallest = min(Fraction(r["smallest_ratio"]["exact"]) for r in results)
    largest = max(Fraction(r["best_plan_largest_ratio"]["exact"]) for r in results)
    summary = {
        "command": "python benchmarks/bound_bruteforce.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "max_tensors": args.max_tensors,
        "sample": args.sample,
        "seconds": round(elapsed, 1),
        "pairs": sum(r["pairs"] for r in results),
        "violations": sum(len(r["violations"]) for r in results),
        "smallest_ratio": {"exact": str(smallest), "float": round(float(smallest), 6)},
        "best_plan_largest_ratio": {"exact": str(largest), "float": round(float(largest), 6)},
        "cases": results,
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
    print(f"total {summary['pairs']} pairs, {summary['violations']} violations, smallest ratio {float(smallest):.4f}, "
          f"best-plan largest ratio {float(largest):.4f}, {elapsed:.1f} s")
    return 1 if summary["violations"] else 0


def _report(row: dict) -> dict:
    print(
        f"{row['case']:26s} m={row['m']} k<={row['max_tensors']} trees={row['trees']:2d} "
        f"embeddings={row['embeddings']:6d} pairs={row['pairs']:7d} "
        f"smallest={row['smallest_ratio']['float']:.4f} best-plan-largest={row['best_plan_largest_ratio']['float']:.4f} "
        f"violations={len(row['violations'])} ({row['seconds']} s)",
        flush=True,
    )
    return row


if __name__ == "__main__":
    raise SystemExit(main())
