"""``import bahdanau`` stays light: no pyplot (it picks a backend), no ipywidgets (an optional extra).

The checks run in one fresh interpreter, so that modules imported by other tests do not count;
it records which of :data:`HEAVY` are loaded after each stage of :data:`STAGES`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib.pyplot", "ipywidgets")

STAGES = {
    "import bahdanau": "import bahdanau",
    "import the other modules": (
        "import bahdanau.download, bahdanau.chapters.plotting, bahdanau.exercises, "
        "bahdanau.cli.train, bahdanau.cli.evaluate"
    ),
    "plot on a given Axes": (
        "from matplotlib.figure import Figure\n"
        "from bahdanau.chapters.plotting import figure_png, plot_history\n"
        "ax = Figure().subplots()\n"
        "plot_history({'train_loss': [2.0, 1.0]}, ax=ax)\n"
        "assert figure_png(ax).startswith(b'\\x89PNG')"
    ),
    "plot on a new figure": (
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "plot_history({'train_loss': [2.0, 1.0]})"
    ),
}


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """Stage name -> the names in HEAVY that are in ``sys.modules`` after that stage."""
    lines = ["import json, sys", "loaded = {}"]
    for name, code in STAGES.items():
        lines += [code, f"loaded[{name!r}] = [m for m in {HEAVY!r} if m in sys.modules]"]
    lines.append("print(json.dumps(loaded))")
    result = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_import_bahdanau_loads_neither_pyplot_nor_ipywidgets(loaded):
    assert loaded["import bahdanau"] == []


def test_the_plotting_exercises_and_command_modules_load_neither(loaded):
    assert loaded["import the other modules"] == []


def test_plotting_on_a_given_axes_does_not_load_pyplot(loaded):
    assert loaded["plot on a given Axes"] == []


def test_only_a_new_figure_loads_pyplot(loaded):
    assert loaded["plot on a new figure"] == ["matplotlib.pyplot"]
