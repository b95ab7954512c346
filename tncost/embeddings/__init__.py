"""Gaussian tensor-network embeddings: families, the sequence condition and sketch sizes.

The families (``dense``, ``khatri-rao``, ``tt``, ``tree``) are built by
:func:`build_embedding`; further families join the registry
:data:`FAMILIES` through :func:`register_family`. :func:`check_sequence`
tests the sequence condition, and :func:`sketch_size` turns an accuracy
target into a sketch size.

Examples
--------
>>> from tncost.network import TensorNetwork
>>> net = TensorNetwork.from_inputs([("a", "i"), ("i", "b")], size_dict={"a": 64, "b": 64, "i": 4}, sketched=("a", "b"))
>>> m = sketch_size(family_count("tt", 2))
>>> emb = build_embedding("tt", net, m)
>>> check_sequence(emb, m=m).ok, emb.sketch_size
(True, 19)
"""

from .base import SCALINGS, Embedding, check_name_clashes, embedding_network, joint_network
from .families import (
    FAMILIES,
    FamilySpec,
    build_dense,
    build_embedding,
    build_khatri_rao,
    build_tree,
    build_tt,
    family_names,
    register_family,
)
from .sequence import SequenceCheck, at_least, check_sequence
from .best_t0 import BestT0Result, MS22Choices, MS22Result, best_t0_plan, build_best_t0, build_ms22, ms22_embedding, ms22_plan, run_ms22, search_best_t0  # registers "ms22" and "best_t0"
from .sketch_size import (
    ACCURACY_SYMBOL,
    DEFAULT_C,
    DEFAULT_DELTA,
    DEFAULT_EPS,
    TARGETS,
    family_count,
    khatri_rao_rows,
    sketch_size,
    symbolic_khatri_rao_rows,
    symbolic_sketch_size,
)

__all__ = [
    "Embedding",
    "SCALINGS",
    "joint_network",
    "embedding_network",
    "check_name_clashes",
    "FAMILIES",
    "FamilySpec",
    "register_family",
    "family_names",
    "build_embedding",
    "build_dense",
    "build_khatri_rao",
    "build_tt",
    "build_tree",
    "SequenceCheck",
    "check_sequence",
    "at_least",
    "sketch_size",
    "khatri_rao_rows",
    "family_count",
    "symbolic_sketch_size",
    "symbolic_khatri_rao_rows",
    "ACCURACY_SYMBOL",
    "DEFAULT_EPS",
    "DEFAULT_DELTA",
    "DEFAULT_C",
    "TARGETS",
    "MS22Choices",
    "MS22Result",
    "run_ms22",
    "ms22_plan",
    "ms22_embedding",
    "build_ms22",
    "BestT0Result",
    "search_best_t0",
    "best_t0_plan",
    "build_best_t0",
]
