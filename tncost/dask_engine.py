"""The dask engine: a plan's contraction tree executed as a dask.array graph.

Each pairwise step of the tree becomes one ``opt_einsum.contract`` call with
``backend="dask"`` on dask arrays, so the whole tree is one lazy graph that
dask schedules at the end: on its threaded scheduler by default, or on a
``dask.distributed`` client (a ``LocalCluster`` on one machine, or a real
cluster) when one is given. The steps, index rules and the ops count are the
numpy engine's (:func:`tncost.execute.execute_tree`): the ops are read from
the operands' shapes, so they check the cost model in the same way.

dask is an optional dependency (``pip install 'tncost[dask]'``); this module
imports it only when a function runs.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import opt_einsum

from .errors import SpecError
from .execute import Arrays, ExecutionResult, _symbols, contract_along_tree
from .network import TensorNetwork
from .tree import ContractionTree

__all__ = ["execute_tree_dask", "local_client", "dask_available", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_BYTES = 32 * 2**20
"""Leaves larger than this are split into chunks of about this many bytes along their longest axis."""


def dask_available() -> bool:
    """Return True when ``dask.array`` can be imported."""
    try:
        import dask.array  # noqa: F401
    except ImportError:
        return False
    return True


def _dask_array(array: np.ndarray, chunk_bytes: int) -> Any:
    import dask.array as da

    if array.ndim == 0 or array.nbytes <= chunk_bytes:
        return da.from_array(array, chunks=array.shape)
    axis = int(np.argmax(array.shape))
    pieces = math.ceil(array.nbytes / chunk_bytes)
    length = max(1, math.ceil(array.shape[axis] / pieces))
    chunks = tuple(length if k == axis else n for k, n in enumerate(array.shape))
    return da.from_array(array, chunks=chunks)


def execute_tree_dask(
    network: TensorNetwork,
    tree: ContractionTree,
    arrays: Arrays,
    *,
    client: Any | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    budget_bytes: int | None = None,
    memory_check: bool = True,
) -> ExecutionResult:
    """Contract ``arrays`` along ``tree`` as one dask graph and compute it.

    Parameters
    ----------
    network, tree, arrays
        As for :func:`tncost.execute.execute_tree`.
    client
        A ``dask.distributed.Client``; without one, dask's default scheduler runs the graph.
    chunk_bytes
        Leaves larger than this are chunked along their longest axis.
    budget_bytes, memory_check
        The live-peak check of :func:`tncost.execute.check_memory`, made
        before any array is built.

    Returns
    -------
    ExecutionResult
        The result as a numpy array. ``seconds`` is the wall time of the
        graph's computation. The steps carry ``seconds = 0.0``, because dask
        runs them inside one computation and does not time them one by one.

    Raises
    ------
    SpecError
        If dask is not installed.
    PathError, NetworkError, SizeError, MemoryBudgetError
        As :func:`tncost.execute.execute_tree`.

    Examples
    --------
    >>> from tncost.execute import random_data
    >>> net = TensorNetwork.from_inputs([("i", "r"), ("j", "r")], ("i", "j"), {"i": 2, "j": 3, "r": 4})
    >>> run = execute_tree_dask(net, ContractionTree.from_path([(0, 1)], 2), random_data(net, seed=0))
    >>> run.result.shape, run.executed_ops
    ((2, 3), 24)
    """
    if not dask_available():
        raise SpecError("the dask engine needs dask: pip install 'tncost[dask]', or use --engine numpy")
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes < 1:
        raise SpecError(f"invalid chunk_bytes={chunk_bytes!r}: give a positive number of bytes")

    def contract(a_indices: tuple, a: Any, b_indices: tuple, b: Any, out: tuple) -> Any:
        letters = _symbols((*a_indices, *b_indices))
        equation = (
            "".join(letters[i] for i in a_indices) + ","
            + "".join(letters[i] for i in b_indices) + "->"
            + "".join(letters[i] for i in out)
        )
        return opt_einsum.contract(equation, a, b, backend="dask")

    final_indices, final, steps = contract_along_tree(
        network, tree, arrays, contract, budget_bytes=budget_bytes, memory_check=memory_check,
        convert=lambda leaf: _dask_array(np.ascontiguousarray(leaf), chunk_bytes), timed=False,
    )
    start = time.perf_counter()
    if client is not None:
        value = client.compute(final).result()
    else:
        value = final.compute()
    seconds = time.perf_counter() - start
    return ExecutionResult(
        result=np.asarray(value),
        result_indices=final_indices,
        executed_ops=sum(step.ops for step in steps),
        steps=tuple(steps),
        seconds=seconds,
    )


def local_client(workers: int = 2, threads_per_worker: int = 1, processes: bool = False) -> Any:
    """Start a ``dask.distributed`` client on a ``LocalCluster`` of this machine, listening on loopback only.

    The caller closes it (``client.close()``, which also stops the cluster).

    Raises
    ------
    SpecError
        If dask.distributed is not installed.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise SpecError("a local cluster needs dask.distributed: pip install 'tncost[dask]'") from err
    # Worker threads in this process talk over dask's in-process transport, so no
    # socket is opened; worker processes listen on the loopback address only.
    # The scheduler's and workers' HTTP servers (health and metrics routes) get
    # a free loopback port instead of the default 8787 on every interface.
    network_options = {"host": "127.0.0.1"} if processes else {}
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=processes,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
        **network_options,
    )
    return Client(cluster)

