"""``import bahdanau`` stays light: no PyTorch, no pyplot (it picks a backend), no ipywidgets (an
optional extra); and the package's public names, which load on first use, are the ones it exports.

Every Otter-Grader process (``otter assign``, each ``otter run``) imports our plugin,
``bahdanau.exercises.guard``, which needs only the standard library: importing ``bahdanau`` and
``bahdanau.exercises`` must not import PyTorch (about 2 s of each process). So both packages
import their names on first use (PEP 562 ``__getattr__``, from a table ``_SOURCES``).

The checks run in fresh interpreters, so that modules imported by other tests do not count;
:func:`loaded` records which of :data:`HEAVY` are loaded after each stage of :data:`STAGES`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib.pyplot", "ipywidgets")

STAGES = {
    "import bahdanau": "import bahdanau",
    "use every public name": "from bahdanau import *\nfrom bahdanau.exercises import *",
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


def run_fresh(code: str) -> object:
    """Run ``code`` in a fresh interpreter; the JSON it prints on its last line."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """Stage name -> the names in HEAVY that are in ``sys.modules`` after that stage."""
    lines = ["import json, sys", "loaded = {}"]
    for name, code in STAGES.items():
        lines += [code, f"loaded[{name!r}] = [m for m in {HEAVY!r} if m in sys.modules]"]
    lines.append("print(json.dumps(loaded))")
    return run_fresh("\n".join(lines))


def test_import_bahdanau_loads_neither_pyplot_nor_ipywidgets(loaded):
    assert loaded["import bahdanau"] == []


def test_the_public_names_load_neither(loaded):
    assert loaded["use every public name"] == []


def test_the_plotting_exercises_and_command_modules_load_neither(loaded):
    assert loaded["import the other modules"] == []


def test_plotting_on_a_given_axes_does_not_load_pyplot(loaded):
    assert loaded["plot on a given Axes"] == []


def test_only_a_new_figure_loads_pyplot(loaded):
    assert loaded["plot on a new figure"] == ["matplotlib.pyplot"]


# code -> whether it loads PyTorch
TORCH = {
    "import bahdanau.exercises.guard": False,  # what every Otter-Grader process does
    "import bahdanau\ndir(bahdanau)": False,
    "from bahdanau import exercises\ndir(exercises)": False,
    "import bahdanau\nbahdanau.Translator": True,
    "from bahdanau.exercises import check_encoder_shapes": True,
}


@pytest.mark.parametrize(("code", "loads"), TORCH.items(), ids=[code.replace("\n", "; ") for code in TORCH])
def test_only_a_name_that_needs_pytorch_loads_it(code, loads):
    assert run_fresh(f"import json, sys\n{code}\nprint(json.dumps('torch' in sys.modules))") is loads


RESOLVE = """
import importlib, json
import bahdanau
try:  # `import bahdanau; bahdanau.training.set_seed(0)`, as the notebooks do
    facts = {"submodule": bahdanau.training.__name__}
except AttributeError as error:
    facts = {"submodule": str(error)}
try:
    bahdanau.no_such_name
except AttributeError as error:
    facts["unknown"] = str(error)
from bahdanau import exercises

def source(package, name):
    # where the name came from when the packages imported their submodules eagerly
    module = package._SOURCES.get(name)
    if module is None:  # a public submodule (exercises.problems)
        return importlib.import_module(f"{package.__name__}.{name}")
    return getattr(importlib.import_module(f"{package.__name__}.{module}"), name)

for package in (bahdanau, exercises):
    listed = dir(package)
    first = {name: getattr(package, name) for name in package.__all__}  # through __getattr__
    facts[package.__name__] = {
        "all": package.__all__,
        "not in dir": sorted(set(package.__all__) - set(listed)),
        "not from their submodule": sorted(name for name in first if first[name] is not source(package, name)),
        "not cached": sorted(name for name in package._SOURCES if name not in vars(package)),
    }
star = {}
exec("from bahdanau.exercises import *", star)
facts["star"] = sorted(set(star) - {"__builtins__"})
from bahdanau.exercises import checks
facts["check functions"] = [sorted(checks.__all__),
                            sorted(name for name, module in exercises._SOURCES.items() if module == "checks")]
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def resolved() -> dict:
    return run_fresh(RESOLVE)


@pytest.mark.parametrize("package", ["bahdanau", "bahdanau.exercises"])
def test_every_public_name_is_the_object_from_its_submodule(resolved, package):
    facts = resolved[package]
    assert facts["all"] and facts["not from their submodule"] == []
    assert facts["not in dir"] == []
    assert facts["not cached"] == []  # the second use is a plain lookup


def test_the_lazy_table_lists_the_check_functions_of_checks(resolved):
    listed_in_checks, lazy = resolved["check functions"]
    assert listed_in_checks and lazy == listed_in_checks


def test_import_star_gives_every_public_name(resolved):
    assert resolved["star"] == sorted(resolved["bahdanau.exercises"]["all"])


def test_a_submodule_is_an_attribute_and_an_unknown_name_is_an_attribute_error(resolved):
    assert resolved["submodule"] == "bahdanau.training"
    assert resolved["unknown"] == "module 'bahdanau' has no attribute 'no_such_name'"
