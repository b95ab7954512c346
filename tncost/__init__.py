"""tncost: cost analysis, planning and execution of tensor-network sketches and contractions.

The pipeline, one module per stage: :mod:`tncost.network` (the model),
:mod:`tncost.io` and :mod:`tncost.structures` (inputs), :mod:`tncost.tree` and
:mod:`tncost.cost` (exact costs), :mod:`tncost.paths` (order search),
:mod:`tncost.embeddings` (Gaussian embedding families), :mod:`tncost.consistent`
(trees that follow a data tree), :mod:`tncost.planner` (plans),
:mod:`tncost.execute` and :mod:`tncost.runs` (numeric execution), and
:mod:`tncost.cli` (the ``tncost`` command). Importing tncost does not import
matplotlib.
"""

from .cost import tree_cost
from .errors import TncostError
from .io import load_network, parse_einsum
from .network import Tensor, TensorNetwork
from .planner import plan_contraction, plan_sketch
from .tree import ContractionTree

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "TensorNetwork",
    "ContractionTree",
    "TncostError",
    "tree_cost",
    "parse_einsum",
    "load_network",
    "plan_sketch",
    "plan_contraction",
    "__version__",
]
