"""Fixtures shared by several test modules, and how `make test` splits the tests over its workers.

`make test` runs pytest with pytest-xdist (``-n 3`` by default) and this file's scheduler
(:func:`pytest_xdist_make_scheduler`): the tests are shared out file by file (a notebook's cells
run in order in one kernel, a module's fixtures run once), except the grading tests, each a unit
of its own. A session fixture whose work must be done once per run (the book's builds, the
assignments) is shared between the workers through a file lock (:func:`once_per_run`). Without
xdist (plain ``pytest``), everything runs in one process as before.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from book_build import run_both_builds

from bahdanau.download import DownloadError, fra_eng_path


@pytest.fixture(scope="session")
def real_corpus_path() -> Path:
    """The real fra-eng corpus, found as the package finds it ($BAHDANAU_DATA, else the cache,
    else a download). Fails, never skips: CI points BAHDANAU_DATA at its copy."""
    try:
        return fra_eng_path(progress=False)
    except DownloadError as error:
        pytest.fail(f"the real-corpus tests need fra-eng/fra.txt: {error}")


@pytest.fixture(scope="session")
def tiny_checkpoint(real_corpus_path: Path, tmp_path_factory) -> Path:
    """The `tiny` preset trained once for the whole run (about 15 s; under xdist by the first
    worker that needs it, :func:`once_per_run`). Its folder is read, never changed; a comparison
    of it with itself may be written beside it."""
    from bahdanau.cli.train import train_preset

    def make() -> Path:
        log: list[str] = []
        path = train_preset("tiny", tmp_path_factory.mktemp("runs"), corpus_path=real_corpus_path,
                            progress=False, log=log.append)
        path.with_suffix(".log").write_text("\n".join(log))
        return path

    return once_per_run(tmp_path_factory, "tiny_checkpoint", make, dump=str, load=Path)


# ----------------------------------------------------------------------------------------------
# The workers of make test: their threads, the units of work, and the work done once per run
# ----------------------------------------------------------------------------------------------

# The grading tests run Otter over whole chapters (minutes each): each is a unit of its own, so
# that two of them can run side by side. They only read _build/assignments, made once per run by
# the `assignments` fixture (`make grade` does not make them again while they are up to date).
SEPARATE_TESTS = {"test_grading.py"}
# The longest units of work, handed out first so that no worker is left with one at the end (the
# rest follow in collection order): the AVX2 re-run of every notebook, Chromium's parity sample
# (its worker builds the book, which most browser tests wait for), pip's resolution of
# requirements.txt for two Pythons, the end-to-end grading (its worker makes the assignments),
# the grading of broken submissions (mostly waiting out time limits), Firefox's parity, and
# chapter 4 (it trains two models).
LONGEST_FIRST = [
    "tests/test_portable_outputs.py",
    "tests/test_browser_parity.py",
    "tests/test_requirements.py",
    "tests/test_grading.py::test_make_grade_gives_the_references_full_points_a_wrong_answer_its_loss_and_a_blank_none",
    "tests/test_grading.py::test_a_broken_submission_is_graded_with_its_reasons",
    "tests/test_firefox.py",
    "notebooks/04_training.ipynb",
]


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or itself in :data:`SEPARATE_TESTS`."""
    path = nodeid.split("::", 1)[0]
    return nodeid.split("[", 1)[0] if Path(path).name in SEPARATE_TESTS else path


def pytest_collection_modifyitems(config, items):
    """The longest units of work first (:data:`LONGEST_FIRST`); each unit keeps its order."""
    rank = {unit: index for index, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(work_unit(item.nodeid), len(rank)))


def pytest_configure(config):
    """Under xdist, each worker's PyTorch, and every kernel, grader or script it starts, gets its
    share of the cores, at least one thread (one with three workers on two cores), unless
    OMP_NUM_THREADS says otherwise.

    PyTorch's default is a thread per core in every process: two workers then ran four threads,
    and more with their notebook kernels, on two cores. OpenMP threads spin while they wait for
    each other, so the run burned twice the CPU: `make test` took 28 minutes, and 16 once each
    process had one thread. Stored outputs do not depend on the number of threads (nbval passes
    with one thread or with the default).
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers is None:
        return
    threads = os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // int(workers))))
    import torch

    torch.set_num_threads(int(threads))


def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduler with :func:`work_unit` as the scope.

    (pytest-xdist's own ``--dist loadgroup`` renames each test's node id to carry its group, which
    pytest 9.2's node ids no longer allow.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)


def once_per_run(tmp_path_factory, name: str, make: Callable[[], Any], dump: Callable[[Any], Any],
                 load: Callable[[Any], Any]) -> Any:
    """``make()`` once for the whole run, its result shared by the xdist workers (as JSON, through
    ``dump`` and ``load``) under a file lock in the run's temporary folder; plain ``make()`` without xdist."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make()
    from filelock import FileLock

    record = tmp_path_factory.getbasetemp().parent / f"{name}.json"
    with FileLock(f"{record}.lock"):
        if record.is_file():
            return load(json.loads(record.read_text(encoding="utf-8")))
        value = make()
        record.write_text(json.dumps(dump(value)), encoding="utf-8")
        return value


@pytest.fixture(scope="session")
def build(tmp_path_factory) -> subprocess.CompletedProcess:
    """The strict book builds (what `make book` runs), once per run: _build/html and _build/html/zh.

    test_book.py reads their logs and HTML, test_browser.py serves the HTML to a browser.
    """
    return once_per_run(
        tmp_path_factory, "build", run_both_builds,
        dump=lambda result: {"args": result.args, "returncode": result.returncode, "stdout": result.stdout},
        load=lambda record: subprocess.CompletedProcess(**record))


@pytest.fixture(scope="session")
def shipped_test_translations(real_corpus_path: Path, tmp_path_factory) -> Callable[[str], Any]:
    """``NAME -> TranslatedTestSet``: a shipped model's greedy translations of its whole test split,
    made once per run (:func:`once_per_run`) for every test that scores them: the re-measured
    test BLEU (test_pretrained.py) and the exported weights' BLEU against the checkpoint's
    (test_export_web.py) read the same decoding."""
    from bahdanau.cli.evaluate import TranslatedTestSet, translate_test_set
    from bahdanau.data import held_out_pairs
    from bahdanau.pretrained import pretrained_path
    from bahdanau.training import load_checkpoint

    def make(name: str) -> TranslatedTestSet:
        checkpoint = load_checkpoint(pretrained_path(name))
        pairs = held_out_pairs(checkpoint.metadata["data_config"], path=real_corpus_path)
        return translate_test_set(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, pairs)

    def load(record: dict) -> TranslatedTestSet:
        return TranslatedTestSet(**{**record, "sources": [tuple(source) for source in record["sources"]]})

    made: dict[str, TranslatedTestSet] = {}

    def translations(name: str) -> TranslatedTestSet:
        if name not in made:
            made[name] = once_per_run(tmp_path_factory, f"test-translations-{name}", lambda: make(name),
                                      dump=dataclasses.asdict, load=load)
        return made[name]

    return translations


def _make_assignments() -> Path:
    root = Path(__file__).resolve().parents[1]
    out = root / "_build" / "assignments"
    result = subprocess.run([sys.executable, str(root / "book" / "grading" / "make_assignments.py"), str(out)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def assignments(tmp_path_factory) -> Path:
    """`make assignments`, once per run: _build/assignments with its manifest.json.

    Always regenerated, so no test reads assignments left by an older version of the notebooks.
    """
    return once_per_run(tmp_path_factory, "assignments", _make_assignments, dump=str, load=Path)
