# OwnVoice: `make demo` (set up + import the sample persona + draft a reply) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= .demo-home
# Portable llama.cpp build (AVX2). A -march=native build takes llama.cpp's AMX kernels on these
# Xeons and segfaults in the first decode, so native CPU features are switched off on purpose.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF
export HF_HUB_OFFLINE ?= 1

.PHONY: setup demo test lint clean

$(BIN)/.setup-done: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	# CPU build of torch (an unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[train,gui,eval,dev]'
	touch $@

setup: $(BIN)/.setup-done

demo: setup
	rm -rf $(DEMO_HOME)
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice import samples/persona.mbox --from priya@example.org
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice search "a workshop for the parents" --k 3
	OWNVOICE_HOME=$(DEMO_HOME) $(BIN)/ownvoice draft "say yes and suggest a Thursday evening" \
		--reply-to samples/incoming.eml --out $(DEMO_HOME)/reply.eml

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_HOME) *.egg-info
