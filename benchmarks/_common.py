"""Helpers shared by the benchmark scripts: machine description, timing, JSON output.

This is not a test module and not part of the package. Each script in this
folder imports it by file name, because Python puts the script's folder on
``sys.path``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REPO = HERE.parent

#: Environment variables that set the number of BLAS threads.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_info() -> dict:
    """Describe the BLAS library: threadpoolctl's report if installed, else numpy's build configuration."""
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-not-found]

        pools = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "architecture")}
            for pool in threadpool_info()
            if pool.get("user_api") == "blas"
        ]
        return {"source": "threadpoolctl", "pools": pools}
    except ImportError:
        pass
    info: dict = {"source": "numpy.show_config"}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info.update({"name": blas.get("name"), "version": blas.get("version"), "configuration": blas.get("openblas configuration")})
    except (TypeError, AttributeError):  # numpy older than 1.25 has no mode="dicts"
        info["name"] = "unknown"
    info["thread_variables"] = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    return info


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def source_digest() -> str:
    """Hash the package's Python sources (SHA-256, 12 hex digits) to name the exact code measured."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((REPO / "tncost").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info() -> dict:
    """Describe the machine and software that produce a result."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    import opt_einsum

    import tncost

    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "load_average_at_start": load,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opt_einsum": opt_einsum.__version__,
        "tncost": getattr(tncost, "__version__", None),
        "tncost_commit": _git("rev-parse", "--short", "HEAD"),
        "tncost_tree_modified": bool(status) if status is not None else None,
        "tncost_source_sha256": source_digest(),
        "blas": blas_info(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def median_time(function: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Run ``function`` ``repeats`` times; return the median wall time and all times (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def write_result(name: str, payload: dict) -> Path:
    """Write ``payload`` as results/NAME.json (via a temporary file) and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def command_line() -> str:
    """Return the command that ran this script, relative to the repository root, with BLAS thread settings."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(REPO)
    except ValueError:
        shown = script
    prefix = " ".join(f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ)
    text = " ".join(["python", str(shown), *sys.argv[1:]])
    return f"{prefix} {text}" if prefix else text
