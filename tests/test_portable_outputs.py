"""Stored notebook outputs hold on any x86-64 CPU.

A model trained in a notebook ends a few digits apart on AVX2 and AVX-512 CPUs (their kernels
sum in different orders), and then can write other words. So every cell whose output comes
from such a model (:mod:`live_training` finds them) is tagged ``nbval-ignore-output`` and
asserts what the prose says about it with a tolerance; everything else is compared exactly.
On a CPU with AVX-512, a slow test also runs nbval under the AVX2 kernels, as on an AVX2 machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from book_toc import chapter_notebooks
from live_training import live_cells

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [f"{chapter}.ipynb" for chapter in chapter_notebooks()]
IGNORED = "nbval-ignore-output"
# PyTorch's and MKL's switches that select the AVX2 kernels on an AVX-512 CPU.
AVX2_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def code_cells(notebook: str) -> list[nbformat.NotebookNode]:
    cells = nbformat.read(ROOT / notebook, as_version=4).cells
    return [cell for cell in cells if cell.cell_type == "code"]


def test_the_analysis_follows_a_trained_model_through_the_cells():
    sources = [
        "model = make_model(config)\nprint(model)",  # 0: not trained yet
        "history = fit(model, loader)",  # 1: trains
        "print(history.val_loss)",  # 2: reads the history
        "out = translate(model, 'go .')",  # 3: the model was trained in place
        "shown = [out]\nfor o in shown:\n    print(o)",  # 4: through a list and a loop
        "model = load_pretrained('attention')\nprint(translate(model, 'go .'))",  # 5: rebound: clean
        "print(out)",  # 6: still the live translation
        "out = 'fresh'\nprint(out)",  # 7: rebound
        "rows = {n: h.val_loss for n, h in histories.items()}",  # 8: histories was never live
    ]
    assert live_cells(sources) == [1, 2, 3, 4, 6]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_cell_showing_a_live_trained_model_is_ignored_and_asserts(notebook):
    cells = code_cells(notebook)
    for index in live_cells([cell.source for cell in cells]):
        cell = cells[index]
        first_line = cell.source.strip().splitlines()[0]
        if not cell.get("outputs"):
            continue  # nothing stored, nothing to compare
        assert IGNORED in cell.metadata.get("tags", []), f"{notebook}: live cell not ignored: {first_line!r}"
        assert "assert" in cell.source, f"{notebook}: live cell asserts nothing: {first_line!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_nothing_else_is_ignored(notebook):
    """Only live cells, and cells that print timings, escape nbval's comparison."""
    cells = code_cells(notebook)
    live = set(live_cells([cell.source for cell in cells]))
    for index, cell in enumerate(cells):
        if IGNORED in cell.metadata.get("tags", []) and index not in live:
            assert "time" in cell.source, f"{notebook}: ignored but neither live nor timed: {cell.source[:60]!r}"


def _has_avx512() -> bool:
    try:
        return " avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.slow  # re-executes every chapter (several minutes)
def test_nbval_passes_under_the_avx2_kernels():
    """The stored outputs, made on this CPU, hold on an AVX2 machine too."""
    if not _has_avx512():
        pytest.skip("this CPU has no AVX-512: make test's own nbval run already uses the AVX2 kernels")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "notebooks/nbval_sanitize.cfg", *NOTEBOOKS],
        cwd=ROOT, env={**os.environ, **AVX2_KERNELS}, capture_output=True, text=True, timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
