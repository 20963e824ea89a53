"""peft LoRA -> llama.cpp LoRA GGUF.

Tensor names come from gguf's own HF->GGUF map (``model.layers.0.self_attn.q_proj`` ->
``blk.0.attn_q``) plus ``.weight.lora_a`` / ``.weight.lora_b``; peft's A [r, in] and B [out, r] are
written as they are. For llama-family bases the HF->GGUF conversion permuted the rows of q and k
for llama.cpp's rotary layout, so lora_B of q_proj/k_proj gets the same row permutation (without
it llama.cpp and transformers disagree on ~18% of next tokens); which architectures are permuted is in
``architectures``. ``adapter.lora.alpha`` must be set
or llama.cpp uses the wrong scale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import numpy as np

from .architectures import UnsupportedArchitecture, support_for

_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.default)?\.weight$")


class ExportError(Exception):
    """The adapter cannot be expressed as a llama.cpp LoRA for this base."""


def permute_rows(b: np.ndarray, n_head: int) -> np.ndarray:
    """The llama q/k row permutation applied to lora_B [out, r]."""
    out, r = b.shape
    return b.reshape(n_head, 2, out // n_head // 2, r).swapaxes(1, 2).reshape(out, r)


def lora_tensors(
    state: dict[str, np.ndarray],
    arch: str,
    n_layers: int,
    n_head: int,
    n_head_kv: int,
    permute_qk: Optional[bool] = None,
) -> dict[str, np.ndarray]:
    """GGUF tensor name -> array for every LoRA matrix in a peft state dict. ``permute_qk`` None follows the
    architecture's rule; True/False forces it (the tests' controls)."""
    import gguf

    arch_enum = next((a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == arch), None)
    if arch_enum is None:
        raise ExportError(f"llama.cpp has no architecture called {arch!r}")
    try:
        permute = support_for(arch).permute_qk if permute_qk is None else permute_qk
    except UnsupportedArchitecture as exc:
        raise ExportError(str(exc)) from exc
    name_map = gguf.get_tensor_name_map(arch_enum, n_layers)
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        m = _KEY.match(key)
        if not m:
            continue
        module = m.group("module")
        gguf_name = name_map.get_name(module)
        if gguf_name is None:
            raise ExportError(f"llama.cpp cannot take an adapter on {module!r} for architecture {arch!r}")
        arr = np.asarray(value, dtype=np.float32)
        if m.group("ab") == "B" and permute:
            if module.endswith("q_proj"):
                arr = permute_rows(arr, n_head)
            elif module.endswith("k_proj"):
                arr = permute_rows(arr, n_head_kv)
            elif module.endswith("qkv_proj"):  # fused [q | k | v] rows (Phi-3)
                head_dim = arr.shape[0] // (n_head + 2 * n_head_kv)
                q, k = n_head * head_dim, n_head_kv * head_dim
                arr = np.concatenate(
                    [permute_rows(arr[:q], n_head), permute_rows(arr[q : q + k], n_head_kv), arr[q + k :]]
                )
        out[f"{gguf_name}.weight.lora_{m.group('ab').lower()}"] = arr
    if not out:
        raise ExportError("the adapter has no LoRA matrices")
    return out


def export_gguf(
    peft_dir: Path,
    out_path: Path,
    arch_info: dict,
    alpha: float,
    permute_qk: Optional[bool] = None,
    dtype: str = "f16",
) -> Path:
    """Write ``peft_dir``'s adapter_model.safetensors as a llama.cpp LoRA GGUF."""
    import gguf
    from safetensors.numpy import load_file

    state = load_file(str(Path(peft_dir) / "adapter_model.safetensors"))
    tensors = lora_tensors(
        state,
        arch_info["architecture"],
        arch_info["n_layers"],
        arch_info["n_head"],
        arch_info["n_head_kv"],
        permute_qk,
    )
    out_path = Path(out_path)
    tmp = out_path.with_suffix(".partial")
    writer = gguf.GGUFWriter(str(tmp), arch_info["architecture"])
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    for name, arr in sorted(tensors.items()):
        writer.add_tensor(name, arr.astype(np.float16 if dtype == "f16" else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)
    return out_path
