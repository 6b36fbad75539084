# Two commands for a fresh machine:
#   make book   set up .venv (if needed) and build the book into _build/html
#   make test   set up .venv (if needed) and run every test
# The corpus is read through $(BAHDANAU_DATA) when set (a folder holding fra-eng/fra.txt),
# otherwise it is downloaded once into the user cache.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: setup book test clean

setup: $(STAMP)

# Reinstall only when the requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@# d2l pins numpy 1.23.5 (no wheels for Python >= 3.12): install it without its pins;
	@# its runtime imports are in requirements.txt.
	$(PIP) install --quiet --disable-pip-version-check --no-deps d2l==1.0.3
	$(PIP) install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# Strict: any warning fails the build. --all rebuilds every page, so that no warning hides in
# a page left unchanged since the last build. The book renders the notebooks' stored outputs.
book: setup
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going
	@echo "The book is in _build/html/index.html"

# The unit tests, the notebook and book checks (tests/test_notebooks.py, tests/test_book.py,
# which runs the strict build), then nbval: every notebook re-executed and its outputs compared
# with the stored ones. pytest's closing summary is the last line printed.
test: setup
	$(PY) -m pytest tests notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

clean:
	rm -rf _build
