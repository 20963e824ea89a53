"""Real llama.cpp LoRA GGUFs written with the gguf package against the embedded model's tensor shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_lora_gguf(
    path: Path,
    arch: str = "llama",
    layers=range(30),
    dim_in: int = 576,
    r: int = 4,
    seed: int = 0,
    std: float = 0.01,
) -> Path:
    """A LoRA on attn_q and attn_v of ``layers``; SmolLM2-135M's attn_q is 576x576, attn_v 576x192."""
    import gguf

    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 8.0)
    for layer in layers:
        for module, out in (("attn_q", 576), ("attn_v", 192)):
            name = f"blk.{layer}.{module}.weight"
            writer.add_tensor(f"{name}.lora_a", rng.normal(0, std, (r, dim_in)).astype(np.float32))
            writer.add_tensor(f"{name}.lora_b", rng.normal(0, std, (out, r)).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
