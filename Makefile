# The course's commands. `make lab` and `make test` set everything up on first use.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
ASSIGNMENTS := $(notdir $(wildcard solutions/*))

.PHONY: setup setup-dev lab test exercises grade bench screenshot clean release kubernetes-values

# Pact (lesson 09) sends usage telemetry unless told not to: nothing the course runs leaves 127.0.0.1.
export PACT_DO_NOT_TRACK := true

# Jupyter refuses to run as root unless told to (containers and CI machines often are root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

## Open the course in JupyterLab (127.0.0.1 only).
lab: setup
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(ALLOW_ROOT) notebooks/00-start-here.ipynb

## Run every test: helpers, notebooks (headless, offline, in Chromium), grading, Binder, hygiene.
## (The learner edition that `make release` writes has no tests/: they stay with the full course.)
test: setup-dev
	@test -d tests || { echo "This is the learner edition of the course: its tests stay with the full repository."; exit 0; }
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

## Write the learner edition a class gets to DIR (make release DIR=/srv/sdh/release): the committed
## lessons, exercises, helpers and set-up, without solutions/ (reference answers, hidden tests) or tests/.
## README "Running it for a class" says how the hub uses it. Needs git, not the environment.
RELEASE_FILES := README.md CONTRIBUTING.md LICENSE LICENSE-CONTENT.md .gitignore Makefile environment.yml \
	requirements-dev.txt pyproject.toml postBuild nbgrader_config.py notebooks exercises helpers lab docs
release:
	@test -n "$(DIR)" || { echo "usage: make release DIR=folder (a new or empty folder)" >&2; exit 2; }
	@test ! -e "$(DIR)" || test -z "$$(ls -A "$(DIR)")" || { echo "$(DIR) is not empty: name a new or empty folder" >&2; exit 2; }
	mkdir -p "$(DIR)"
	set -o pipefail; git archive --format=tar HEAD -- $(RELEASE_FILES) | tar -x -C "$(DIR)"
	@git status --porcelain -- $(RELEASE_FILES) | grep -q . && echo "note: uncommitted changes are not in the release (it is the commit HEAD)" || true
	@echo "wrote the learner edition of commit $$(git rev-parse --short HEAD) to $(DIR)"

## Rewrite classroom/kubernetes/values.yaml and ngshare-values.yaml from classroom/course_hub.py.
kubernetes-values: setup
	$(BIN)/python classroom/kubernetes/make_values.py

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
