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
