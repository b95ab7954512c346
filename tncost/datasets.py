"""Real data for demos and tests: a photograph that ships with matplotlib, as a tensor train.

:func:`image_tensor_train` reads matplotlib's bundled sample photograph
``grace_hopper.jpg``, converts it to grey levels, crops it to 512 × 512, and
tensorizes it: pixel row ``r`` and column ``c`` are written in base 8 as
``(r1, r2, r3)`` and ``(c1, c2, c3)``, and the pairs ``(r_k, c_k)`` form three
modes of size 64, coarse to fine. :func:`tt_svd` then compresses the tensor to
a tensor train with a rank cap.
"""

from __future__ import annotations

import numpy as np

from .errors import SpecError
from .network import Tensor, TensorNetwork

__all__ = ["sample_image", "tt_svd", "image_tensor_train", "tensor_train_network"]


def sample_image() -> np.ndarray:
    """Return matplotlib's sample photograph as a 512 × 512 float64 grey-level array in [0, 1]."""
    from matplotlib import cbook
    from matplotlib import image as mpimg

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        pixels = np.asarray(mpimg.imread(handle, format="jpg"), dtype=np.float64)
    grey = pixels[..., :3].mean(axis=2) / 255.0
    return np.ascontiguousarray(grey[:512, :512])


def tt_svd(tensor: np.ndarray, max_rank: int, rtol: float = 0.0) -> list[np.ndarray]:
    """Compress ``tensor`` to a tensor train by sequential truncated SVDs.

    Returns cores of shapes ``(r_{k-1}, n_k, r_k)`` with ``r_0 = r_N = 1``; each
    rank is at most ``max_rank`` and drops singular values below ``rtol``
    times the largest.

    Examples
    --------
    >>> x = np.arange(24.0).reshape(2, 3, 4)
    >>> cores = tt_svd(x, max_rank=10)
    >>> np.allclose(np.einsum("aib,bjc,ckd->ijk", *cores), x)
    True
    """
    if max_rank < 1:
        raise SpecError(f"invalid max_rank {max_rank}: give a positive integer")
    shape = tensor.shape
    cores = []
    rank = 1
    rest = np.asarray(tensor, dtype=np.float64).reshape(1, -1)
    for size in shape[:-1]:
        rest = rest.reshape(rank * size, -1)
        u, s, vt = np.linalg.svd(rest, full_matrices=False)
        keep = max(1, min(max_rank, int(np.sum(s > rtol * s[0])) if s[0] > 0 else 1))
        cores.append(u[:, :keep].reshape(rank, size, keep))
        rest = s[:keep, None] * vt[:keep]
        rank = keep
    cores.append(rest.reshape(rank, shape[-1], 1))
    return cores


def tensor_train_network(cores: list[np.ndarray], name: str = "tensor train") -> tuple[TensorNetwork, dict[str, np.ndarray]]:
    """Wrap tensor-train cores as a numeric network sketching every physical index.

    The boundary ranks of size 1 are dropped, so the cores become
    ``G1(p1, r1)``, ``Gk(r_{k-1}, p_k, r_k)`` and ``GN(r_{N-1}, pN)``.
    """
    count = len(cores)
    tensors, arrays, sizes = [], {}, {}
    for k, core in enumerate(cores, start=1):
        indices = []
        if k > 1:
            indices.append(f"r{k - 1}")
        indices.append(f"p{k}")
        if k < count:
            indices.append(f"r{k}")
        array = core
        if k == 1:
            array = array[0]
        if k == count:
            array = array[..., 0]
        tensors.append(Tensor(f"G{k}", tuple(indices)))
        arrays[f"G{k}"] = np.ascontiguousarray(array)
        for index, size in zip(indices, array.shape):
            sizes[index] = int(size)
    physical = tuple(f"p{k}" for k in range(1, count + 1))
    network = TensorNetwork(tuple(tensors), sizes, output=physical, sketched=physical, name=name)
    return network, arrays


def image_tensor_train(max_rank: int = 16) -> tuple[TensorNetwork, dict[str, np.ndarray], float]:
    """Return the sample photograph as a three-core tensor train, its cores, and the relative error.

    Examples
    --------
    >>> network, arrays, error = image_tensor_train(max_rank=8)
    >>> [network.size_dict[p] for p in network.sketched], error < 0.5
    ([64, 64, 64], True)
    """
    image = sample_image()
    digits = image.reshape(8, 8, 8, 8, 8, 8)  # (r1, r2, r3, c1, c2, c3)
    tensor = digits.transpose(0, 3, 1, 4, 2, 5).reshape(64, 64, 64)
    cores = tt_svd(tensor, max_rank)
    approximation = np.einsum("aib,bjc,ckd->ijk", *cores)
    error = float(np.linalg.norm(approximation - tensor) / np.linalg.norm(tensor))
    network, arrays = tensor_train_network(cores, name=f"grace_hopper.jpg as TT (rank <= {max_rank})")
    return network, arrays, error
