"""Data for the decompositions: a real image stack and low-rank-plus-noise generators.

:func:`image_stack` builds a tensor from the sample files that matplotlib
ships in ``matplotlib.get_data_path()/sample_data`` (no download): the
photograph ``grace_hopper.jpg`` (whole, and four fixed crops), the two PNG
logos, the elevation grids of ``jacksboro_fault_dem.npz`` and
``topobathy.npz`` and the MRI slice ``s1045.ima.gz``. Each image is
converted to RGB floats in [0, 1], cropped to a square about its center and
resized to a common side, giving a tensor of shape (images, side, side, 3),
or (images, side, side) in grayscale.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import SizeError, SpecError
from ..random import Seed, resolve_seed
from .cp_als import cp_to_tensor
from .tucker_als import tucker_to_tensor

__all__ = ["sample_data_path", "image_stack", "low_rank_plus_noise", "tucker_plus_noise"]


def sample_data_path() -> Path:
    """Return the folder of matplotlib's bundled sample data."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data"


def _normalized(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=float)
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def _as_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    return array[:, :, :3]


def _sources(folder: Path) -> list[np.ndarray]:
    """Load every source image as an RGB float array in [0, 1]."""
    from PIL import Image

    images = []
    photo = np.asarray(Image.open(folder / "grace_hopper.jpg").convert("RGB"), dtype=float) / 255.0
    images.append(photo)
    height, width = photo.shape[:2]
    half = min(height, width) // 2
    # Four fixed crops of the photograph: the quadrants of its central square.
    top, left = (height - 2 * half) // 2, (width - 2 * half) // 2
    for dy in (0, half):
        for dx in (0, half):
            images.append(photo[top + dy: top + dy + half, left + dx: left + dx + half])
    for name in ("Minduka_Present_Blue_Pack.png", "logo2.png"):
        rgba = np.asarray(Image.open(folder / name).convert("RGBA"), dtype=float) / 255.0
        alpha = rgba[:, :, 3:4]
        images.append(rgba[:, :, :3] * alpha + (1.0 - alpha))  # composited on white
    with np.load(folder / "jacksboro_fault_dem.npz") as grid:
        images.append(_as_rgb(_normalized(grid["elevation"])))
    with np.load(folder / "topobathy.npz") as grid:
        images.append(_as_rgb(_normalized(grid["topo"])))
    with gzip.open(folder / "s1045.ima.gz") as stream:
        slice_ = np.frombuffer(stream.read(), np.uint16).astype(float)
    side = int(math.isqrt(slice_.size))
    images.append(_as_rgb(_normalized(slice_[: side * side].reshape(side, side))))
    return images


def _square_resized(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    height, width = image.shape[:2]
    edge = min(height, width)
    top, left = (height - edge) // 2, (width - edge) // 2
    square = np.clip(image[top: top + edge, left: left + edge], 0.0, 1.0)
    picture = Image.fromarray(np.round(square * 255.0).astype(np.uint8), "RGB")
    return np.asarray(picture.resize((side, side), Image.Resampling.BILINEAR), dtype=float) / 255.0


def image_stack(side: int = 64, *, color: bool = True, folder: str | Path | None = None) -> np.ndarray:
    """Return the real-data tensor: the sample images, centered square crops resized to ``side``.

    Parameters
    ----------
    side
        The common width and height, at least 8.
    color
        RGB channels (an order-4 tensor) or their mean (order 3).
    folder
        Where the sample files are; default :func:`sample_data_path`.

    Raises
    ------
    SizeError
        For a side below 8.
    SpecError
        If a sample file is missing.

    Examples
    --------
    >>> image_stack(16).shape
    (10, 16, 16, 3)
    >>> image_stack(16, color=False).shape
    (10, 16, 16)
    """
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 8:
        raise SizeError(f"invalid image side {side!r}: give an integer of at least 8")
    where = Path(folder) if folder is not None else sample_data_path()
    try:
        images = _sources(where)
    except FileNotFoundError as err:
        raise SpecError(f"sample image not found: {err.filename}; check that matplotlib's sample_data is installed") from err
    stack = np.stack([_square_resized(image, int(side)) for image in images])
    return stack if color else stack.mean(axis=3)


def _check_shape(shape: Sequence[int]) -> tuple[int, ...]:
    values = tuple(shape)
    if len(values) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in values):
        raise SizeError(f"invalid shape {shape!r}: give at least two positive integers")
    return tuple(int(s) for s in values)


def _with_noise(signal: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise < 0:
        raise SpecError(f"invalid noise level {noise!r}: give a non-negative relative level")
    perturbation = rng.standard_normal(signal.shape)
    scale = noise * np.linalg.norm(signal) / np.linalg.norm(perturbation) if noise > 0 else 0.0
    return signal + scale * perturbation


def low_rank_plus_noise(shape: Sequence[int], rank: int, noise: float = 0.0, seed: Seed = None) -> np.ndarray:
    """Return a CP-rank-``rank`` tensor with Gaussian factors plus noise of relative norm ``noise``.

    ‖noise‖ = noise·‖signal‖ exactly.

    Examples
    --------
    >>> X = low_rank_plus_noise((5, 6, 7), 2, 0.0, seed=0)
    >>> X.shape
    (5, 6, 7)
    """
    dims = _check_shape(shape)
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise SizeError(f"invalid rank {rank!r}: give a positive integer")
    rng = resolve_seed(seed)
    signal = cp_to_tensor([rng.standard_normal((s, int(rank))) for s in dims])
    return _with_noise(signal, float(noise), rng)


def tucker_plus_noise(shape: Sequence[int], ranks: Sequence[int], noise: float = 0.0, seed: Seed = None) -> np.ndarray:
    """Return a tensor of multilinear rank ``ranks`` (Gaussian core, orthonormal factors) plus relative noise."""
    dims = _check_shape(shape)
    if len(ranks) != len(dims) or any(int(r) < 1 or int(r) > s for r, s in zip(ranks, dims)):
        raise SizeError(f"invalid ranks {ranks!r} for shape {dims}: one rank per mode, each between 1 and its size")
    rng = resolve_seed(seed)
    core = rng.standard_normal(tuple(int(r) for r in ranks))
    factors = [np.linalg.qr(rng.standard_normal((s, int(r))))[0] for s, r in zip(dims, ranks)]
    return _with_noise(tucker_to_tensor(core, factors), float(noise), rng)
