# OwnVoice: `make demo` (set up + import the sample persona + draft a reply), `make check` (every test; CI)
# and `make test` (the development loop without the long scenarios).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= .demo-home
# Portable llama.cpp build (AVX2). A -march=native build takes llama.cpp's AMX kernels on these
# Xeons and segfaults in the first decode, so native CPU features are switched off on purpose.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF
export HF_HUB_OFFLINE ?= 1

.PHONY: setup system-deps demo test check test-fast lint screenshots bench frozen llama-server llama-src clean

# Debian packages for the GUI tests: Qt's xcb plugin under Xvfb, and a tray host (trayer)
SYSTEM_DEPS := xvfb trayer libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
	libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libegl1 libfontconfig1 libdbus-1-3

$(BIN)/.setup-done: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	# CPU build of torch (an unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[train,gui,eval,serve,dev]'
	touch $@

setup: $(BIN)/.setup-done

system-deps:
	@if command -v xvfb-run >/dev/null && command -v trayer >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_DEPS) >/dev/null; \
	else echo "please install: $(SYSTEM_DEPS)"; exit 1; fi

demo: setup
	rm -rf $(DEMO_HOME)
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice import samples/persona.mbox --from priya@example.org
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice search "a workshop for the parents" --k 3
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice draft "say yes and suggest a Thursday evening" \
		--reply-to samples/incoming.eml --out $(DEMO_HOME)/reply.eml

# llama.cpp's own llama-server, for the remote-engine tests: built once from the vendored sources of the
# llama-cpp-python sdist (the version pinned in pyproject) and cached outside the checkout, like pip's wheel.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_SERVER_CACHE ?= $(HOME)/.cache/ownvoice/llama-server-$(LLAMA_CPP_VERSION)
LLAMA_SERVER := $(LLAMA_SERVER_CACHE)/llama-server
export OWNVOICE_LLAMA_SERVER := $(LLAMA_SERVER)

# llama.cpp's sources from the same sdist: its convert_hf_to_gguf.py writes the architecture matrix test's tiny
# models (tests/test_arch_matrix.py finds it through OWNVOICE_LLAMA_CPP_SRC)
LLAMA_SRC := build/llama-src/llama_cpp_python-$(LLAMA_CPP_VERSION)/vendor/llama.cpp
export OWNVOICE_LLAMA_CPP_SRC := $(CURDIR)/$(LLAMA_SRC)

$(LLAMA_SRC)/convert_hf_to_gguf.py: | $(BIN)/.setup-done
	rm -rf build/llama-src && mkdir -p build/llama-src
	$(BIN)/python -m pip download -q --no-deps --no-binary :all: llama-cpp-python==$(LLAMA_CPP_VERSION) -d build/llama-src
	tar -xzf build/llama-src/llama_cpp_python-$(LLAMA_CPP_VERSION).tar.gz -C build/llama-src
	touch $@

llama-src: $(LLAMA_SRC)/convert_hf_to_gguf.py

$(LLAMA_SERVER): | $(LLAMA_SRC)/convert_hf_to_gguf.py
	rm -rf build/llama-server-build
	command -v cmake >/dev/null || $(BIN)/python -m pip install -q cmake
	PATH="$(CURDIR)/$(BIN):$$PATH" cmake -S build/llama-src/llama_cpp_python-$(LLAMA_CPP_VERSION)/vendor/llama.cpp -B build/llama-server-build \
		-DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
		-DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF $(CMAKE_ARGS) >/dev/null
	PATH="$(CURDIR)/$(BIN):$$PATH" cmake --build build/llama-server-build --target llama-server -j2 >/dev/null
	mkdir -p $(LLAMA_SERVER_CACHE)
	cp build/llama-server-build/bin/llama-server $@.partial && mv $@.partial $@

llama-server: $(LLAMA_SERVER)

LINT_DIRS := assistant ui adapters store tests packaging

# ruff (lint + format, pyproject [tool.ruff], line length 110), mypy ([tool.mypy]: the sources linked into
# build/mypy-src/ownvoice/ so they are checked as the package they install as) and the import-linter contracts
lint: setup
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)
	mkdir -p build/mypy-src/ownvoice
	for d in assistant ui adapters store; do ln -sfn ../../../$$d build/mypy-src/ownvoice/$$d; done
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_architecture.py -k import_linter

# PYTEST_ARGS: extra pytest arguments, e.g. make test PYTEST_ARGS="--durations=30"
PYTEST_ARGS ?=

# the development loop: lint, our own logic and the real-model integration tests, the long scenarios left out
test: setup system-deps llama-server llama-src lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -m "not scenario" $(PYTEST_ARGS)

# every test, the long scenarios (trainings, conversions, simulations, killed processes) included: .ci/run
check: setup system-deps llama-server llama-src lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# the unit tests of our own logic on the fake backends (tests marked slow load the real models)
test-fast: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

screenshots: setup system-deps
	xvfb-run -a env QT_QPA_PLATFORM=xcb $(BIN)/python packaging/screenshots.py docs/screenshots

# The one-folder desktop build (drafting AND training: CPU torch inside), then its self-check under Xvfb:
# a real window imports the sample persona, drafts with exemplars and trains 2 steps on a temp home.
frozen: setup system-deps
	$(BIN)/python -m pip install -q pyinstaller==6.22.3
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/pyi-work packaging/ownvoice.spec
	du -sh build/dist/ownvoice
	xvfb-run -a env QT_QPA_PLATFORM=xcb build/dist/ownvoice/ownvoice self-check samples/persona.mbox \
		--from priya@example.org --json

bench: setup
	$(BIN)/ownvoice bench --runs 5 --out docs/benchmarks-latest.md

clean:
	rm -rf $(VENV) $(DEMO_HOME) *.egg-info
