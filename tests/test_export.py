"""peft -> llama.cpp LoRA GGUF: logits parity with transformers+peft, and the q/k permutation matters."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes

PROMPT = (
    "<|im_start|>user\nWrite an email: thank Anna for the report and ask for the numbers by Friday"
    "<|im_end|>\n<|im_start|>assistant\nHi Anna,\n\nThanks so much for the report, it reads really well. "
    "Could you send me the final numbers by Friday so I can add them to the board pack? The section on the "
    "riverside budget was especially clear, and the charts will help the council a lot.\n\nBest,\nSam"
)


@pytest.fixture(scope="module")
def random_lora(base_dir, tmp_path_factory):
    """A LoRA with non-trivial random weights on every projection, saved by peft."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(str(base_dir))
    cfg = LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, cfg)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:  # strongest on q/k, where the rotary row order matters
                p.normal_(0.0, 0.15 if ("q_proj" in name or "k_proj" in name) else 0.02)
    out = tmp_path_factory.mktemp("lora")
    peft_model.save_pretrained(str(out / "peft"), safe_serialization=True)
    ids = tok(PROMPT, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        adapted = peft_model(torch.tensor([ids])).logits[0].numpy()
        with peft_model.disable_adapter():
            base = peft_model(torch.tensor([ids])).logits[0].numpy()
    return out, ids, adapted, base


def _llama_logits(gguf_adapter, ids):
    from ownvoice.assistant.backends.defaults import default_gguf_path
    from tests.gguf_files import llama_cpp_logits

    return llama_cpp_logits(default_gguf_path(), gguf_adapter, ids, n_ctx=512)


def _agreement(a, b):
    return float((a.argmax(-1) == b.argmax(-1)).mean())


def test_llama_cpp_adapter_matches_transformers_peft(random_lora, tmp_path):
    from ownvoice.adapters.base_model import gguf_architecture
    from ownvoice.adapters.export import export_gguf
    from ownvoice.assistant.backends.defaults import default_gguf_path

    out, ids, adapted, base = random_lora
    assert _agreement(adapted, base) < 0.9  # the adapter really changes the predictions
    arch = gguf_architecture(default_gguf_path())
    assert arch == {"architecture": "llama", "n_layers": 30, "n_head": 9, "n_head_kv": 3}
    good = export_gguf(out / "peft", tmp_path / "good.gguf", arch, alpha=16)
    agree = _agreement(_llama_logits(good, ids), adapted)
    print("agreement", agree, _agreement(adapted, base), _agreement(_llama_logits(None, ids), base))
    assert agree >= 0.95, agree
    # the same adapter without the q/k row permutation must fail the same bar (so the test can fail)
    bad = export_gguf(out / "peft", tmp_path / "bad.gguf", arch, alpha=16, permute_qk=False)
    bad_agree = _agreement(_llama_logits(bad, ids), adapted)
    print("without permutation", bad_agree)
    assert bad_agree < 0.95


def test_export_metadata_and_names(random_lora, tmp_path):
    from gguf import GGUFReader

    from ownvoice.adapters.base_model import gguf_architecture
    from ownvoice.adapters.export import export_gguf
    from ownvoice.assistant.backends.defaults import default_gguf_path

    out, *_ = random_lora
    path = export_gguf(out / "peft", tmp_path / "a.gguf", gguf_architecture(default_gguf_path()), alpha=16)
    reader = GGUFReader(str(path))
    fields = {k: reader.fields[k] for k in ("general.type", "adapter.type", "adapter.lora.alpha")}
    assert bytes(fields["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(fields["adapter.type"].parts[-1]).decode() == "lora"
    assert float(fields["adapter.lora.alpha"].parts[-1][0]) == 16.0
    names = {t.name for t in reader.tensors}
    assert "blk.0.attn_q.weight.lora_a" in names and "blk.29.ffn_down.weight.lora_b" in names
    assert len(names) == 30 * 7 * 2


def test_architecture_llama_cpp_cannot_take_is_refused_clearly():
    from ownvoice.adapters.export import ExportError, lora_tensors

    state = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.zeros((8, 4), np.float32)}
    with pytest.raises(ExportError, match="no architecture called 'not-a-real-arch'"):
        lora_tensors(state, "not-a-real-arch", 2, 2, 2)
    odd = {"base_model.model.vision_tower.blocks.0.attn.qkv.lora_A.weight": np.zeros((8, 4), np.float32)}
    with pytest.raises(ExportError, match="cannot take an adapter on"):
        lora_tensors(odd, "llama", 2, 2, 2)
    # the permutation only reorders rows: every value is kept
    b = np.arange(18 * 2, dtype=np.float32).reshape(18, 2)
    from ownvoice.adapters.export import permute_rows

    p = permute_rows(b, 3)
    assert sorted(p[:, 0].tolist()) == sorted(b[:, 0].tolist()) and not np.array_equal(p, b)
