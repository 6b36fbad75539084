# Two commands for a fresh machine:
#   make book   set up .venv (if needed) and build the book into _build/html (Chinese: _build/html/zh)
#   make test   set up .venv (if needed), install Chromium (if needed), lint, and run every test
# and a few more:
#   make student-book   the book without the exercises' solutions, in _build/student/_build/html
#   make assignments    one Otter-Grader assignment per chapter, in _build/assignments
#   make grade SUBMISSIONS=DIR   grade a folder of submitted notebooks into _build/grades
#   make translations   refresh the Chinese edition's catalogues (locales/zh_CN) after an English edit
#   make unit   the fast loop (about two minutes): the unit tests alone, with the package and its test
#               extra only (no book toolchain; no book, notebook, grading or browser tests, nothing
#               that trains or reads the whole corpus: those are marked slow)
#   make lint   ruff over src, tests, notebooks and book (pyproject.toml; notebooks/ruff.toml: 78 columns)
#   make setup  the Python packages only (.venv); make browser: the browsers (Chromium and
#               chromedriver, Firefox ESR) and axe-core only
# Only `make test` needs the browser: `make book`, `make student-book` and `make unit` never
# install it.
# The corpus is read through $(BAHDANAU_DATA) when set (a folder holding fra-eng/fra.txt),
# otherwise it is downloaded once into the user cache.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# The package, its widgets and its test extra only (pyproject.toml): what `make unit` needs.
UNIT_STAMP := $(VENV)/.unit-installed

# The browser test (tests/test_browser.py) drives headless Chromium through chromedriver: Debian's
# packages, installed once by apt-get (as root, or with sudo). To use another Chrome-compatible
# browser and its driver, set BAHDANAU_CHROMIUM and BAHDANAU_CHROMEDRIVER (the test reads them too).
CHROMIUM     := $(or $(BAHDANAU_CHROMIUM),/usr/bin/chromium)
CHROMEDRIVER := $(or $(BAHDANAU_CHROMEDRIVER),/usr/bin/chromedriver)
# The second engine (tests/test_firefox.py): Debian's Firefox ESR, driven through Marionette
# (PyPI's marionette_driver, in requirements.txt; no geckodriver). BAHDANAU_FIREFOX chooses another.
FIREFOX      := $(or $(BAHDANAU_FIREFOX),/usr/bin/firefox-esr)
SUDO         := $(if $(filter 0,$(shell id -u)),,sudo)
# The accessibility audit (tests/test_accessibility.py) injects axe-core into every page: npm's
# package, at the version tests/axe_version.txt pins, installed once into .venv/axe (needs Node.js
# and npm: Debian's nodejs and npm, installed with the browsers when missing).
AXE_VERSION := $(shell cat tests/axe_version.txt)
AXE         := $(VENV)/axe/node_modules/axe-core/axe.min.js
# npm on the PATH, or Debian's, installed when missing.
NPM         := $(or $(shell command -v npm),/usr/bin/npm)

.PHONY: setup browser lint unit book student-book assignments grade translations test clean web-models

setup: $(STAMP)

browser: $(CHROMIUM) $(CHROMEDRIVER) $(FIREFOX) $(AXE)

# pip installs without compiling each installed module to bytecode (--no-compile): compiling all
# 14,600 files took 60 s of the set-up's 110 s, and a run imports a fraction of them. Python compiles
# a module when it is first imported and keeps the result in __pycache__; so that it keeps it, a
# PYTHONDONTWRITEBYTECODE in the caller's environment is not passed on to the commands here.
unexport PYTHONDONTWRITEBYTECODE
PIP_INSTALL := $(PIP) install --quiet --disable-pip-version-check --no-compile
# The requirements themselves are installed by uv (installed first by pip), in parallel and from
# its cache, from the indexes pip's configuration names (book/install.py): 57 s with pip into a
# fresh .venv, 20 s with uv's cache empty, 3 s with it filled. uv compiles no bytecode either.
UV_INSTALL  := $(PY) book/install.py --quiet

# Reinstall only when the requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# The venv's own pip (whichever its Python bundled) installs uv, which installs the requirements.
	$(PIP_INSTALL) "uv>=0.5"
	$(UV_INSTALL) -r requirements.txt
	@# Then, in one pip run, three packages without their dependencies:
	@# - d2l pins numpy 1.23.5 (no wheels for Python >= 3.12): installed without its pins; its
	@#   runtime imports are in requirements.txt;
	@# - jieba splits Chinese words for the Chinese edition's search; it ships as a source archive
	@#   only (pure Python, no dependencies), so it cannot be in requirements.txt's wheel-only check
	@#   for newer Pythons;
	@# - this package, editable; its dependencies are in requirements.txt.
	$(PIP_INSTALL) --no-deps d2l==1.0.3 "jieba>=0.42" -e .
	@touch $(STAMP)

$(UNIT_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) "uv>=0.5"
	$(UV_INSTALL) -e ".[widgets,test]"
	$(PIP_INSTALL) --no-deps d2l==1.0.3
	@touch $(UNIT_STAMP)

# Installed only when missing (no prerequisites: never reinstalled), and only the missing ones are
# asked for: a Node.js from elsewhere stays as it is (NodeSource's nodejs carries its own npm and
# conflicts with Debian's npm package, so asking for both fails).
APT_PACKAGES := $(if $(wildcard $(CHROMIUM)),,chromium) $(if $(wildcard $(CHROMEDRIVER)),,chromium-driver) \
	$(if $(wildcard $(FIREFOX)),,firefox-esr) $(if $(wildcard $(NPM)),,nodejs npm)
$(CHROMIUM) $(CHROMEDRIVER) $(FIREFOX) $(NPM) &:
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(strip $(APT_PACKAGES))

# Reinstalled when the pin changes.
$(AXE): tests/axe_version.txt | $(NPM)
	$(NPM) install --prefix $(VENV)/axe --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)
	@touch $@

# Strict: any warning fails the build. --all rebuilds every page, so that no warning hides in
# a page left unchanged since the last build. The book renders the notebooks' stored outputs.
# Then the Chinese edition (简体中文): the same sources, every message translated from
# locales/zh_CN (gettext catalogues), built from a generated copy of _config.yml with
# `language: zh_CN` (Jupyter Book 1 has no -D option) and copied to _build/html/zh.
book: setup web-models
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going
	$(PY) book/zh_config.py _build/zh/_config.yml
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going --config _build/zh/_config.yml --toc _build/zh/_toc.yml --path-output _build/zh
	rm -rf _build/html/zh && cp -r _build/zh/_build/html _build/html/zh
	@echo "The book is in _build/html/index.html, the Chinese edition in _build/html/zh/index.html"

# After an English edit: extract the book's messages (Sphinx's gettext builder) and update the
# catalogues locales/zh_CN/LC_MESSAGES/**/*.po. A changed paragraph becomes a fuzzy or empty
# message, which tests/test_translations.py reports until it is translated.
translations: setup
	$(VENV)/bin/jupyter-book build . --all --builder custom --custom-builder gettext --path-output _build/gettext-build
	$(VENV)/bin/sphinx-intl update -p _build/gettext-build/_build/gettext -l zh_CN -d locales
	$(PY) book/translations.py || true

# The student edition: the same strict build with sphinx-exercise's hide_solutions set, from a
# generated copy of _config.yml, so the exercises and their checkers stay and the solutions go.
# The student edition's download buttons then serve the student notebooks of `make assignments`.
student-book: setup web-models assignments
	$(PY) book/student_config.py _build/student/_config.yml
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going --config _build/student/_config.yml --path-output _build/student
	$(PY) book/student_edition.py _build/assignments _build/student/_build/html
	@echo "The student edition is in _build/student/_build/html/index.html"

# The shipped models for the browser (book/_static/bahdanau-web.js): every model the registry
# (bahdanau.pretrained.SHIPPED) marks for the web, and the registry itself (models/registry.js).
# Build outputs, copied by Sphinx into _build/html/_static/models, never committed (.gitignore).
web-models: setup
	$(PY) -m bahdanau.cli.export_web --web book/_static/models

# One Otter-Grader assignment per chapter, from the chapter notebooks (book/grading/make_assignments.py):
# the student notebook, the instructor notebook and the autograder zip, points from the exercises' records
# (bahdanau.exercises; book/instructors.md's table is checked against them). Made again only when a file
# it is made from is newer than its manifest (written last), so that `make grade` does not remake them
# for every folder it grades; every source of the book counts, to be safe.
ASSIGNMENTS_MANIFEST := _build/assignments/manifest.json
ASSIGNMENT_SOURCES := $(shell find notebooks book src -type f -not -path '*/__pycache__/*' \
	-not -path 'book/_static/models/*' -not -path '*.egg-info/*' -not -name '*.pyc') _config.yml _toc.yml requirements.txt pyproject.toml
assignments: $(ASSIGNMENTS_MANIFEST)
$(ASSIGNMENTS_MANIFEST): $(STAMP) $(ASSIGNMENT_SOURCES)
	$(PY) book/grading/make_assignments.py _build/assignments

# Grade every notebook under SUBMISSIONS locally (Otter's `otter run`, no Docker): _build/grades/grades.csv,
# or GRADES/grades.csv. The folders may be relative (to this one) or absolute, with spaces: quoted here,
# made absolute by grade.py ($(abspath) would split them at spaces).
grade: assignments
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder/of/notebooks [GRADES=folder]"; exit 2; }
	$(PY) book/grading/grade.py "$(SUBMISSIONS)" --assignments _build/assignments --out "$(or $(GRADES),_build/grades)"

lint: setup
	$(VENV)/bin/ruff check src tests notebooks book

# Everything in tests/ but what needs the book's toolchain (the book, notebook, browser, translation,
# assignment and grading tests) and the tests marked slow (training, re-measured BLEU, the whole
# corpus read, PyPI asked).
UNIT_ARGS := -m "not slow and not book" \
	--ignore=tests/test_book.py --ignore=tests/test_notebooks.py \
	--ignore=tests/test_browser.py --ignore=tests/test_student_book.py \
	--ignore=tests/test_browser_views.py --ignore=tests/test_browser_parity.py --ignore=tests/test_offline.py \
	--ignore=tests/test_translations.py --ignore=tests/test_assignments.py --ignore=tests/test_grading.py \
	--ignore=tests/test_instructors.py --ignore=tests/test_guard.py \
	--ignore=tests/test_accessibility.py --ignore=tests/test_small_screen.py --ignore=tests/test_firefox.py \
	--ignore=tests/test_bench_web.py

unit: $(UNIT_STAMP)
	$(PY) -m pytest tests $(UNIT_ARGS)

# Lint first; then the unit tests (the slow ones too), the notebook and book checks
# (tests/test_notebooks.py, tests/test_book.py, which runs the strict build and an offline
# linkcheck, tests/test_browser.py, which opens that build in headless Chromium, and the
# accessibility, small-screen and Firefox tests), and nbval: every notebook re-executed and its
# outputs compared with the stored ones. Three pytest-xdist workers share the tests out, file by
# file, with the longest first (tests/conftest.py's scheduler), each process on one thread: on two
# cores a third worker runs while the others wait for a lock, a browser or the network. pytest's
# closing summary is the last line printed.
TEST_WORKERS ?= 3
test: setup browser lint
	$(PY) -m pytest tests notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg \
		-n $(TEST_WORKERS) --no-loadscope-reorder --durations=25

clean:
	rm -rf _build
