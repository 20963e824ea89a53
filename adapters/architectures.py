"""Which GGUF architectures OwnVoice trains and exports adapters for, and what differs between them.

Three things differ per architecture, all checked by the architecture matrix test (tests/test_arch_matrix.py:
a tiny random model per architecture written as a GGUF by llama.cpp's own converter, a few LoRA steps,
export, llama.cpp + adapter against transformers + peft):

- *Target modules*: the projections LoRA wraps, named as transformers names them. Phi-3 fuses q/k/v into
  ``qkv_proj`` and gate/up into ``gate_up_proj`` (llama.cpp's ``attn_qkv`` and ``ffn_up``), so its adapter
  wraps those.
- *q/k row permutation*: llama.cpp's converter permutes the rows of q and k for the llama architecture
  only (``LlamaModel.modify_tensors``; Mistral GGUFs are "llama" too), and transformers undoes it when it
  reads such a GGUF, so a llama adapter's lora_B for q/k is permuted on export. Qwen2/3, Gemma 2/3 and
  Phi-3 are written unpermuted.
- *Loading*: transformers must be able to read the GGUF back into a trainable model (its GGUF loader
  knows a fixed set of architectures, and adds Gemma's +1 norm offset back); llama.cpp must take a LoRA
  for it. An architecture outside this table is refused before training with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTENTION_MLP = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
FUSED_PHI3 = ("qkv_proj", "o_proj", "gate_up_proj", "down_proj")


@dataclass(frozen=True)
class ArchitectureSupport:
    """How to train and export a LoRA for one llama.cpp architecture."""

    name: str  # GGUF general.architecture
    family: str  # what users know it as
    target_modules: tuple[str, ...]
    permute_qk: bool


SUPPORTED: dict[str, ArchitectureSupport] = {
    a.name: a
    for a in (
        ArchitectureSupport("llama", "Llama 2/3, SmolLM, Mistral", ATTENTION_MLP, True),
        ArchitectureSupport("qwen2", "Qwen 2 / 2.5", ATTENTION_MLP, False),
        ArchitectureSupport("qwen3", "Qwen 3", ATTENTION_MLP, False),
        ArchitectureSupport("gemma2", "Gemma 2", ATTENTION_MLP, False),
        ArchitectureSupport("gemma3", "Gemma 3", ATTENTION_MLP, False),
        ArchitectureSupport("phi3", "Phi-3 / 3.5", FUSED_PHI3, False),
    )
}


class UnsupportedArchitecture(Exception):
    """OwnVoice cannot train an adapter for this architecture (drafting with the model still works)."""


def support_for(architecture: str) -> ArchitectureSupport:
    """The training/export rules for ``architecture``, or UnsupportedArchitecture with a clear message."""
    try:
        return SUPPORTED[architecture]
    except KeyError:
        known = ", ".join(f"{a.family} ({a.name})" for a in SUPPORTED.values())
        raise UnsupportedArchitecture(
            f"OwnVoice cannot train a style adapter for the {architecture!r} architecture yet (it trains for "
            f"{known}); you can still draft with this model, without an adapter"
        ) from None
