"""Small real GGUF files for the model-manager tests (written with the gguf package, read by our reader)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_gguf(
    path: Path, arch: str = "llama", name: str = "tiny", kind: str = "model", rows: int = 64
) -> Path:
    """A GGUF with a name, an architecture, a file type and two f32 tensors (rows x 32 and 32 values)."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    writer.add_type(kind)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_block_count(1)
    rng = np.random.default_rng(len(name) + rows)
    writer.add_tensor("token_embd.weight", rng.standard_normal((rows, 32)).astype(np.float32))
    writer.add_tensor("output_norm.weight", np.ones(32, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def llama_cpp_logits(gguf: Path, adapter, ids: list[int], n_ctx: int = 256) -> np.ndarray:
    """llama.cpp's logits at every position of ``ids`` for the model ``gguf`` with ``adapter`` (or none)."""
    import llama_cpp

    from ownvoice.assistant.backends.llama_cpp_backend import AdapterSlot

    llm = llama_cpp.Llama(str(gguf), n_ctx=n_ctx, logits_all=True, verbose=False, n_threads=2)
    slot = AdapterSlot(llm)
    slot.activate(str(adapter) if adapter else None)
    llm.eval(ids)
    scores = np.array(llm.scores[: len(ids)])
    slot.activate(None)
    del llm
    return scores
