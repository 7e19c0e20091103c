# The two commands the README names: `make reproduce` and `make test`. Both install into .venv first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCALE ?= small
DEVICE ?= cpu
JOBS ?= 1

.PHONY: install test test-browser lab reproduce train export clean-nbs check-clean bench clean

$(STAMP): requirements.txt requirements-nodeps.txt setup.py settings.ini
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(VPY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(VPY) -m pip install -q --disable-pip-version-check --no-deps -e .
	$(VPY) -m avface_nb.weights install
	$(VPY) -m ipykernel install --sys-prefix --name avface --display-name "Python 3 (avface .venv)"
	touch $(STAMP)

install: $(STAMP)

test: install
	$(VENV)/bin/lint-imports .importlinter --no-cache
	$(VPY) -m pytest -q -ra tests

# the browser tests alone (headless Chromium: apt-get install chromium chromium-driver): the viewer on the committed reports,
# and JupyterLab from .venv on 127.0.0.1 running a notebook that builds ComparisonWidget (both are also part of make test)
test-browser: install
	$(VPY) -m pytest -q -ra tests/test_browser.py tests/test_browser_lab.py

# JupyterLab from .venv on the repository (kernel "Python 3 (avface .venv)"); LAB_ARGS=--no-browser on a machine without one
lab: install
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 --ServerApp.allow_root=True $(LAB_ARGS)

# every report at $(SCALE) from the recorded runs: nothing is trained (AVFACE_TRAIN=no): each report reads the evaluation
# rows committed under runs/$(SCALE)/rows, every published checkpoint (final.pt in the tree) is scored again on
# $(VERIFY_CLIPS) test clips of each report that uses it and must match its recorded rows (evaluate.VERIFY_TOL), and a
# report that uses a run trained by other code or settings than this commit's says so on its first line.
# RETRAIN=1 removes runs/$(SCALE)/ first and trains every run again (avface runs, JOBS processes of one thread each;
# DEVICE=cuda on a GPU machine), then renders every report from the new runs.
# The reports refuse uncommitted code (provenance); ALLOW_DIRTY=1 renders anyway, each page under a red banner.
VERIFY_CLIPS ?= 2
reproduce: install
	@if [ "$(RETRAIN)" = 1 ]; then echo "RETRAIN=1: removing runs/$(SCALE)/ and training every run again"; rm -rf runs/$(SCALE); \
	  $(VENV)/bin/avface runs --scale $(SCALE) --device $(DEVICE) --jobs $(JOBS) --threads 1 || exit 1; \
	  $(VENV)/bin/avface report all --scale $(SCALE) $(if $(filter 1,$(ALLOW_DIRTY)),--allow-dirty); \
	else AVFACE_TRAIN=no AVFACE_VERIFY=$(VERIFY_CLIPS) $(VENV)/bin/avface report all --scale $(SCALE) $(if $(filter 1,$(ALLOW_DIRTY)),--allow-dirty); fi

# every training run the reports need at $(SCALE) (reports/plan.yaml), resumable: finished stages are skipped.
# On a GPU machine: make train SCALE=small DEVICE=cuda JOBS=8 (tools/gpu_train.sh is the lent-GPU version).
train: install
	$(VENV)/bin/avface runs --scale $(SCALE) --device $(DEVICE) --jobs $(JOBS) --threads 1

export: install
	$(VENV)/bin/nbdev_export

clean-nbs: install
	$(VENV)/bin/nbdev_clean

# CI contract: on a clean tree, nbdev_clean and nbdev_export change nothing
check-clean: install
	$(VENV)/bin/nbdev_clean && $(VENV)/bin/nbdev_export && git diff --exit-code -- nbs avface_nb

bench: install
	$(VPY) -m avface_nb.bench

# never deletes trained checkpoints
clean:
	rm -rf _proc _docs .pytest_cache
