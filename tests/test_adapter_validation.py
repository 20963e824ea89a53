"""Adapters are checked against the base before llama.cpp loads them: each mismatch has its own clear reason.

The adapters are real llama.cpp LoRA GGUFs written with the gguf package against the embedded model's own
tensor shapes; the valid one really loads in llama.cpp.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ownvoice.assistant.errors import ModelError
from tests.lora_files import write_lora_gguf as _write_adapter

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


@pytest.fixture(scope="module")
def llm():
    import llama_cpp

    from ownvoice.assistant.backends.defaults import default_gguf_path

    model = llama_cpp.Llama(str(default_gguf_path()), n_ctx=256, verbose=False, n_threads=2)
    yield model
    del model


def _load(llm, path: Path) -> None:
    from ownvoice.assistant.backends.llama_cpp_backend import AdapterSlot

    AdapterSlot(llm).load(str(path))


def test_a_fitting_adapter_is_checked_and_loads_in_llama_cpp(llm, tmp_path):
    from ownvoice.adapters.validate import check_adapter

    path = _write_adapter(tmp_path / "ok.gguf")
    check_adapter(path, Path(llm.model_path))  # no complaint
    _load(llm, path)  # and llama.cpp takes it


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: _write_adapter(p, layers=range(15)), "adapts attn_q in 15 of this model's 30 layers"),
        (lambda p: _write_adapter(p, dim_in=640), "made for another size of model"),
        (lambda p: _write_adapter(p, arch="gemma3"), "made for a 'gemma3' model; this model is 'llama'"),
        (lambda p: _write_adapter(p, layers=[0, 40]), "does not have"),
    ],
    ids=["half-the-layers", "another-size", "another-architecture", "a-layer-the-model-lacks"],
)
def test_an_adapter_that_does_not_fit_is_refused_with_its_reason(llm, tmp_path, make, reason):
    path = make(tmp_path / "bad.gguf")
    with pytest.raises(ModelError, match=reason):
        _load(llm, path)


def test_a_cut_short_adapter_or_a_whole_model_is_refused_clearly(llm, tmp_path):
    whole = _write_adapter(tmp_path / "ok.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelError, match="not a complete GGUF file"):
        _load(llm, cut)
    with pytest.raises(ModelError, match="is not a LoRA adapter"):
        _load(llm, Path(llm.model_path))  # the base model itself picked as an adapter


def test_control_llama_cpp_alone_accepts_an_adapter_missing_half_its_layers(llm, tmp_path):
    """Why the check exists: llama.cpp loads the half adapter without a word (and would draft worse)."""
    import llama_cpp

    path = _write_adapter(tmp_path / "half.gguf", layers=range(15))
    handle = llama_cpp.llama_adapter_lora_init(llm._model.model, str(path).encode())
    assert handle
    llama_cpp.llama_adapter_lora_free(handle)
