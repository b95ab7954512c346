"""Execute every notebook in notebooks/ with nbclient, one test per notebook.

Notebooks are found by glob, so a new notebook is tested without a change
here. A notebook that takes longer than about 30 s sets
``"tncost": {"slow": true}`` in its metadata and is then marked slow
(deselected by default; run with ``-m slow``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_SECONDS = 600


def _is_slow(path: Path) -> bool:
    import json

    metadata = json.loads(path.read_text()).get("metadata", {})
    return bool(metadata.get("tncost", {}).get("slow", False))


def _cases() -> list:
    return [
        pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if _is_slow(path) else [])
        for path in NOTEBOOKS
    ]


def test_notebooks_found():
    assert "quickstart" in {path.stem for path in NOTEBOOKS}


@pytest.mark.parametrize("path", _cases())
def test_notebook_executes(path: Path, tmp_path: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code_cells), "a code cell did not run"
