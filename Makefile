# rnnbook: two commands do all the set-up.
#   make lab    create the environment if it is missing, then open the course in JupyterLab
#   make test   create the environment if it is missing, then run the whole test suite
# and two build what is published:
#   make site   the course site, every lecture executed (book/_build/html/index.html)
#   make slides reveal.js slides of every lecture, working without a network (slides/)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rnnbook-installed
# torch is pinned in pyproject.toml (2.13.0); pip picks a CPU wheel where one is offered locally.
# PIP_ARGS passes extra options to that install (see README, "GPU users").
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check

.PHONY: lab test env exercises release grade grade-class clean-outputs site slides annotate-slides

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) $(PIP_ARGS) -e '.[test]'
	touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	@# fetch and verify the corpora now, so that no lecture waits for a download
	$(BIN)/python -m rnnbook.data
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
		--LabApp.default_url=/lab/tree/notebooks/01_dynamical_systems.ipynb

# Two test workers share the cores with the notebook kernels they start: idle OpenMP threads must
# sleep rather than spin, or a kernel that asked for 2 threads crawls.
test: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -n 2 --dist loadfile --durations=15 \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
		tests notebooks solutions

exercises: $(STAMP)
	$(BIN)/python -m rnnbook.course.exercises

# the students' copy: exercises, lectures and the library, without solutions or references
OUT ?= release
release: $(STAMP)
	$(BIN)/python -m rnnbook.course.release "$(OUT)"

grade: $(STAMP)
	@test -n "$(NB)" || (echo "usage: make grade NB=path/to/student.ipynb" && exit 2)
	$(BIN)/python -m rnnbook.course.grading "$(NB)"

# A class: DIR holds one notebook per student, or one folder per student (nbgrader's layout).
# HINT_PENALTY: points taken per hint a student revealed (default 0: hints are free)
WORKERS ?= 2
HINT_PENALTY ?= 0
grade-class: $(STAMP)
	@test -n "$(DIR)" || (echo "usage: make grade-class DIR=submissions/ [WORKERS=4] [HINT_PENALTY=0.5]" && exit 2)
	$(BIN)/python -m rnnbook.course.grading "$(DIR)" --workers $(WORKERS) \
		--hint-penalty $(HINT_PENALTY) \
		--gradebook "$(DIR)/../gradebook.csv" --feedback "$(DIR)/../feedback"

clean-outputs: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb solutions/*.ipynb

site: $(STAMP)
	$(BIN)/python book/build.py

slides: $(STAMP)
	$(BIN)/python -m rnnbook.course.slides --export

# rewrite the slide metadata of the lecture notebooks (after editing them)
annotate-slides: $(STAMP)
	$(BIN)/python -m rnnbook.course.slides --annotate
