"""Applications built on the planner: sketched decompositions.

- :mod:`tncost.apps.cp_als`: sketched CP-ALS.
- :mod:`tncost.apps.tucker_als`: sketched Tucker-ALS and CP through Tucker.
- :mod:`tncost.apps.sketches`: the sketch operators the two share.
- :mod:`tncost.apps.tt`: a tensor-train class with TT-SVD and conversions.
- :mod:`tncost.apps.tt_rounding`: deterministic and randomized tensor-train rounding.
- :mod:`tncost.apps.cli` and :mod:`tncost.apps.cli_tt`: the ``cp-als``,
  ``tucker`` and ``tt-round`` commands.

The submodules are imported on use, so ``import tncost`` stays light.
"""

__all__: list[str] = []
