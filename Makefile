# hflab: every target installs what it needs from nothing and is safe to run twice.
# Versions come from pyproject.toml (the one source of truth).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HFLAB := $(VENV)/bin/hflab
STAMP := $(VENV)/.hflab-installed
LOCK := $(VENV)/hflab-lock.txt
TOML = $(PYTHON) -c "import tomllib,sys; d=tomllib.load(open('pyproject.toml','rb'))['tool']['hflab']; v=d[sys.argv[1]]; print(' '.join(v) if isinstance(v,list) else v)"

.PHONY: setup mirror models twin test test-fast course lab student solutions grade bench test-online doctor browser clean

setup: $(STAMP) mirror models ## venv + pinned libraries + offline mirror + course models

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$$($(TOML) torch)"
	$(PYTHON) -c "import tomllib; d=tomllib.load(open('pyproject.toml','rb'))['tool']['hflab']; print('\n'.join(d['lock'] + [d['torch']]))" > $(LOCK)
	$(PIP) install -q -c $(LOCK) -e ".[dev]"
	$(PIP) install -q --no-deps $$($(TOML) nodeps)
	$(PY) -c "import torch, transformers; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

mirror: $(STAMP) ## build (first time) or check (later) the offline mirror
	$(HFLAB) mirror

models: mirror ## the course's own fine-tuned review classifier (lesson 08 recipe) in build/models
	HF_HUB_OFFLINE=1 $(HFLAB) models

twin: setup ## the Colab twin (Colab's package versions, build/colab-twin): built once, checked after
	$(PY) -m hflab.colab.twin

browser: ## Debian chromium for the Gradio browser test (lesson 12)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: setup browser ## unit tests + every notebook executed offline
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

test-fast: setup ## unit tests only (no notebooks, no Colab twin)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not notebook and not twin"

course: setup ## run the whole course offline into build/course and print the table
	$(HFLAB) course

lab: setup ## JupyterLab on the notebooks (offline mirror available)
	$(VENV)/bin/jupyter lab notebooks/

student: setup ## student notebooks (solutions stripped) into build/student
	$(HFLAB) student

solutions: setup ## instructor notebooks into build/solutions
	$(HFLAB) solutions

grade: setup ## grade submissions: make grade DIR=submissions/
	$(HFLAB) grade $(DIR)

bench: setup ## the measured benchmarks as JSON (pipeline batching, padding, LoRA vs full, serve batching)
	HF_HUB_OFFLINE=1 $(HFLAB) bench pipeline
	HF_HUB_OFFLINE=1 $(HFLAB) bench padding
	HF_HUB_OFFLINE=1 $(HFLAB) bench lora
	HF_HUB_OFFLINE=1 $(HFLAB) bench serve

test-online: $(STAMP) ## the notebooks with their DEFAULT (Hub, GPU) parameters; needs internet + a GPU
	$(HFLAB) course --online

doctor: $(STAMP)
	$(HFLAB) doctor

clean:
	rm -rf build .pytest_cache
