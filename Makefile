# NET FAQ assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPACY_MODEL := models/spacy/en_netbot/meta.json
MODEL := models/netbot.tar.gz
NLU_DATA := $(shell find data -name '*.yml' -not -path 'data/knowledge/*' | sort)
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

# Python folders for `make lint`; mypy is given only folders that hold Python files.
PY_DIRS := bot actions evaluation bench tests scripts
MYPY_DIRS := $(foreach d,$(PY_DIRS),$(if $(shell find $(d) -name '*.py' -print -quit 2>/dev/null),$(d)))
# pytest markers of the server-heavy suites (pyproject.toml); each make target selects its own.
SUITES := e2e channels browser faults hostile scale security report slow
UNIT_TESTS := not ($(subst $() $(), or ,$(strip $(SUITES))))

# Further targets live in mk/*.mk; each may add its test target to EXTRA_TESTS.
EXTRA_TESTS :=
-include $(sort $(wildcard mk/*.mk))

.PHONY: help install build train run shell test lint unit e2e conversations validate clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==23.3.2"
	$(BIN)/pip install --quiet -c constraints.txt -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(STAMP) ## Create .venv and install the pinned dependencies

$(SPACY_MODEL) data/nlu/synonyms.yml: $(STAMP) data/knowledge/subjects.yml bot/vocabulary.py bot/nlp.py
	$(BIN)/python -m bot.nlp build

build: $(SPACY_MODEL) build/credentials.yml ## Build the spaCy pipeline, synonyms and channel credentials

build/credentials.yml: $(STAMP) credentials.yml bot/serving/credentials.py FORCE
	@$(BIN)/python -m bot.serving.credentials credentials.yml $@

FORCE:

$(MODEL): $(STAMP) $(SPACY_MODEL) config.yml domain.yml $(NLU_DATA) data/nlu/synonyms.yml $(wildcard bot/serving/nlu/*.py)
	mkdir -p models && flock models/.train.lock $(BIN)/rasa train --fixed-model-name netbot --out models --quiet

train: $(MODEL) ## Train the Rasa model (only when data or config changed)

run: build train ## Install, train if needed, and start the action server + Rasa (+ web page)
	@echo ""
	@echo "  Chat over REST:   curl -s localhost:$${RASA_PORT:-5005}/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"what is a NET?\"}'"
	@echo "  Terminal chat:    make shell"
	@echo "  Stop:             Ctrl+C"
	@echo ""
	$(BIN)/honcho start -f Procfile

shell: build train ## Chat in the terminal: the launcher's action server + `rasa shell` with the same patches and settings
	@$(BIN)/python -m bot.serving.launcher actions >/tmp/netbot-actions.log 2>&1 & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	$(BIN)/python -m bot.serving.launcher shell

lint: $(STAMP) ## ruff format --check, ruff check and mypy over every Python folder (also .pre-commit-config.yaml)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/mypy $(MYPY_DIRS)

validate: $(STAMP) $(SPACY_MODEL) ## rasa data validate --fail-on-warnings
	$(BIN)/rasa data validate --fail-on-warnings --quiet

unit: $(STAMP) $(SPACY_MODEL) ## pytest, model-free and quick: every test but the server suites (markers in pyproject.toml)
	$(BIN)/pytest -q -m "$(UNIT_TESTS)" tests

conversations: train ## rasa test on the conversation stories (fails on any error)
	rm -rf results/conversations
	$(BIN)/rasa test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --no-plot --out results/conversations --endpoints endpoints.yml
	@test ! -s results/conversations/failed_test_stories.yml || grep -q '^# None of the test stories failed' results/conversations/failed_test_stories.yml

e2e: build train ## End-to-end (marker e2e): the launcher's servers on free ports, real HTTP
	$(BIN)/pytest -q -m e2e tests/e2e

test: build lint validate unit conversations e2e $(EXTRA_TESTS) ## Install, then run every test

clean: ## Remove trained models and build output
	rm -rf models build results .rasa
