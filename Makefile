# The course's commands. `make lab` and `make test` set everything up on first use.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
ASSIGNMENTS := $(notdir $(wildcard solutions/*))

.PHONY: setup setup-dev lab test exercises grade bench screenshot clean

# Jupyter refuses to run as root unless told to (containers and CI machines often are root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

## Open the course in JupyterLab (127.0.0.1 only).
lab: setup
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(ALLOW_ROOT) notebooks/00-start-here.ipynb

## Run every test: helpers, notebooks (headless, offline, in Chromium), grading, Binder, hygiene.
test: setup-dev
	$(BIN)/pytest

## Regenerate the student versions in exercises/ from solutions/ (refuses to overwrite your answers
## there unless FORCE=1).
exercises: setup
	$(if $(FORCE),,$(BIN)/python -m helpers.grading --answered)
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment "$$a" --force --no-db --log-level=WARN || exit 1; done

## Grade your exercises with every test, hidden ones included (one notebook: make grade NB=path).
## HTML feedback goes to my-feedback/ (or FEEDBACK=folder).
grade: setup
	$(BIN)/python -m helpers.grading $(if $(FEEDBACK),--feedback-dir "$(FEEDBACK)") $(NB)

## Print the speed table (run times, memory, widget update times in the kernel and the browser,
## seconds to autograde a submission and a class).
bench: setup-dev
	$(BIN)/python tests/bench.py

## Refresh the README's screenshot of lesson 08 from a browser test run.
screenshot: setup-dev
	$(BIN)/pytest tests/browser/test_lessons_in_browser.py -k 08 && cp test-output/screenshots/08-consistent-hashing.png docs/screenshot-08.png

setup: $(STAMP)

# The course's own test and lint tools (requirements-dev.txt), over the learners' environment.
setup-dev: $(DEV_STAMP)

# The pip section of environment.yml is the single list of versions; postBuild is the
# same step Binder runs after installing it.
$(STAMP): environment.yml pyproject.toml postBuild
	test -x $(BIN)/python || python3 -m venv $(VENV)
	sed -n 's/^ *- \([A-Za-z0-9_.-]*==[^ #]*\).*$$/\1/p' environment.yml > $(VENV)/requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r $(VENV)/requirements.txt
	PATH="$(BIN):$$PATH" bash postBuild
	touch $@

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) test-output my-feedback .pytest_cache .mypy_cache .ruff_cache .hypothesis
