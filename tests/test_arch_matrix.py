"""The architecture matrix: for llama, qwen2, qwen3, gemma2, gemma3 and phi3, a tiny randomly initialised
model is written as a GGUF by llama.cpp's own convert_hf_to_gguf.py (from the llama-cpp-python sdist, `make
llama-src`), read back as the product reads a user's GGUF (transformers' GGUF loader, cached_base_dir),
trained a few LoRA steps by the product's trainer with the architecture's target modules, exported by
export_gguf, and then llama.cpp + adapter must agree with transformers + peft on >= 95% of next tokens.
The control exports the same adapter with the opposite q/k rule (llama's permutation where the architecture
has none, none where it has it) and must fall below the bar, so the test can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.gguf_files import llama_cpp_logits

# torch, transformers, llama.cpp and a converter per architecture
pytestmark = [pytest.mark.slow, pytest.mark.scenario]

ARCHS = ["llama", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"]
SPM_ARCHS = {"gemma2", "gemma3", "phi3"}  # their GGUF tokenizers are SentencePiece (the others: BPE)
BAR = 0.95
SEQ = 96
SHAPE = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=512,
    initializer_range=0.1,
)


def converter() -> Path:
    """llama.cpp's convert_hf_to_gguf.py (make llama-src extracts it; the test fails without it)."""
    src = Path(
        os.environ.get("OWNVOICE_LLAMA_CPP_SRC", "build/llama-src/llama_cpp_python-0.3.36/vendor/llama.cpp")
    )
    script = src / "convert_hf_to_gguf.py"
    assert script.is_file(), (
        f"{script} missing: run `make llama-src` (the Makefile sets OWNVOICE_LLAMA_CPP_SRC)"
    )
    return script


def tiny_config(arch: str, vocab: int, bos: int, eos: int):
    """A few-layer config of the architecture's transformers class."""
    import transformers as T

    common = dict(SHAPE, vocab_size=vocab, bos_token_id=bos, eos_token_id=eos, pad_token_id=eos)
    if arch in SPM_ARCHS:  # the converter takes special token ids from config.json
        common["unk_token_id"] = 3
    if arch == "llama":
        return T.LlamaConfig(**common, tie_word_embeddings=False)
    if arch == "qwen2":
        return T.Qwen2Config(**common, tie_word_embeddings=True, use_sliding_window=False)
    if arch == "qwen3":
        # head_dim is not hidden/heads, and not the 128 transformers' GGUF loader assumes (config_from_gguf)
        return T.Qwen3Config(**common, head_dim=24, tie_word_embeddings=True)
    if arch == "gemma2":
        # query_pre_attn_scalar = head_dim as llama.cpp assumes below 27B, and not the loader's default 256
        return T.Gemma2Config(**common, head_dim=16, query_pre_attn_scalar=16, sliding_window=256)
    if arch == "gemma3":
        cfg = T.Gemma3TextConfig(**common, head_dim=16, query_pre_attn_scalar=16, sliding_window=256)
        cfg.architectures = ["Gemma3ForCausalLM"]
        return cfg
    if arch == "phi3":
        return T.Phi3Config(**common, original_max_position_embeddings=512, tie_word_embeddings=False)
    raise ValueError(arch)


@pytest.fixture(scope="module")
def tokenizers(base_dir, tmp_path_factory) -> dict[str, Path]:
    """A BPE tokenizer (SmolLM2's, whose pre-tokenizer llama.cpp knows) and a tiny SentencePiece one trained
    on the sample persona's mail."""
    import sentencepiece as spm

    root = tmp_path_factory.mktemp("tokenizers")
    bpe = root / "bpe"
    bpe.mkdir()
    for f in Path(base_dir).iterdir():
        if f.name.startswith(("tokenizer", "special_tokens", "vocab", "merges")):
            shutil.copy(f, bpe / f.name)
    spm_dir = root / "spm"
    spm_dir.mkdir()
    text = (Path(__file__).parent.parent / "samples" / "persona.mbox").read_text(encoding="utf-8")
    corpus = spm_dir / "corpus.txt"
    corpus.write_text("\n".join(line for line in text.splitlines() if line.strip()), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(spm_dir / "tokenizer"),
        vocab_size=400,
        model_type="bpe",
        bos_id=2,
        eos_id=1,
        unk_id=3,
        pad_id=0,
        minloglevel=2,
    )
    corpus.unlink()
    (spm_dir / "tokenizer.vocab").unlink()
    return {"bpe": bpe, "spm": spm_dir}


def write_tiny_gguf(arch: str, tokenizers: dict[str, Path], folder: Path) -> Path:
    """A tiny random model of ``arch`` saved by transformers, converted by llama.cpp's converter (f32)."""
    import torch
    from transformers import AutoModelForCausalLM

    hf = folder / "hf"
    tok_dir = tokenizers["spm" if arch in SPM_ARCHS else "bpe"]
    if arch in SPM_ARCHS:
        vocab, bos, eos = 400, 2, 1
    else:
        tok_cfg = json.loads((tok_dir / "tokenizer.json").read_text())
        vocab, bos, eos = len(tok_cfg["model"]["vocab"]) + len(tok_cfg.get("added_tokens", [])), 1, 2
        vocab = max(vocab, max(t["id"] for t in tok_cfg.get("added_tokens", [{"id": 0}])) + 1)
    torch.manual_seed(ARCHS.index(arch))
    model = AutoModelForCausalLM.from_config(tiny_config(arch, vocab, bos, eos), dtype=torch.float32)
    model.save_pretrained(str(hf), safe_serialization=True)
    for f in tok_dir.iterdir():
        shutil.copy(f, hf / f.name)
    out = folder / f"tiny-{arch}.gguf"
    # The converter names the BPE pre-tokenizer by hashing how AutoTokenizer splits a test text; transformers
    # builds a Qwen tokenizer around the borrowed SmolLM2 vocabulary for a qwen config, whose hash llama.cpp
    # does not know. The tokenizer is not what this test checks (ids go in directly), so the label is fixed
    # to the borrowed vocabulary's own ("smollm"); every tensor goes through the converter untouched.
    launch = (
        "import runpy, sys; sys.path.insert(0, sys.argv[1]); import conversion.base as b; "
        "b.TextModel.get_vocab_base_pre = lambda self, tokenizer: 'smollm'; "
        "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    script = converter()
    run = subprocess.run(
        [sys.executable, "-c", launch, str(script.parent), str(script), str(hf), "--outfile", str(out)]
        + ["--outtype", "f32"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return out


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float((a.argmax(-1) == b.argmax(-1)).mean())


def train_few_steps(arch: str, gguf: Path, base_dir: Path, out: Path):
    """4 LoRA steps by the product's trainer, with the architecture's target modules (high rate: the adapter
    must move the predictions for the control to mean anything)."""
    from ownvoice.adapters.architectures import support_for
    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.trainer import train

    rows = [
        {
            "prompt": f"Write a note number {i} to the team about the garden.\n",
            "response": f"Hi all, note {i}.",
        }
        for i in range(8)
    ]
    data = out / "train.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = TrainConfig(
        base_gguf=str(gguf),
        out_dir=str(out),
        cache_dir=str(out / "cache"),
        train_file=str(data),
        target_modules=list(support_for(arch).target_modules),
        learning_rate=3e-2,
        max_steps=4,
        batch_size=4,
        max_length=64,
        warmup_ratio=0.0,
        device="cpu",
        quantize="none",
        precision="fp32",
        threads=2,
        dropout=0.0,
    )
    train(cfg, base_dir, lambda event: None)
    return cfg


def _check_a_conversion_losing_the_race_keeps_the_winners_copy(gguf: Path, done: Path, tmp_path) -> None:
    """Two processes sharing a cache convert the same GGUF: the one whose rename comes second keeps the
    first one's copy and leaves no partial folder behind."""
    import os

    from ownvoice.adapters import base_model

    cache = tmp_path / "raced"
    real_replace = os.replace

    def other_process_first(src, dst):
        if Path(src).name.endswith(".partial"):  # the other process's rename lands just before this one's
            shutil.copytree(done, dst)
        real_replace(src, dst)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(base_model.os, "replace", other_process_first)
        got = base_model.cached_base_dir(gguf, cache)
    assert sorted(p.name for p in cache.iterdir()) == [got.name]
    assert (got / "model.safetensors").read_bytes() == (done / "model.safetensors").read_bytes()


@pytest.mark.parametrize("arch", ARCHS)
def test_adapter_parity_per_architecture(arch, tokenizers, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from ownvoice.adapters.architectures import support_for
    from ownvoice.adapters.base_model import cached_base_dir, gguf_architecture
    from ownvoice.adapters.export import export_gguf
    from ownvoice.adapters.layout import PEFT_DIR

    gguf = write_tiny_gguf(arch, tokenizers, tmp_path)
    facts = gguf_architecture(gguf)
    assert facts["architecture"] == arch and facts["n_layers"] == 2
    base_dir = cached_base_dir(
        gguf, tmp_path / "cache"
    )  # transformers reads the GGUF back, as for a user's model
    if arch == ARCHS[0]:
        _check_a_conversion_losing_the_race_keeps_the_winners_copy(gguf, base_dir, tmp_path)
    cfg = train_few_steps(arch, gguf, base_dir, tmp_path / "run")
    peft_dir = Path(cfg.out_dir) / PEFT_DIR
    saved = json.loads((peft_dir / "adapter_config.json").read_text())
    assert sorted(saved["target_modules"]) == sorted(support_for(arch).target_modules)

    rng = np.random.default_rng(7)
    vocab = json.loads((base_dir / "config.json").read_text())["vocab_size"]
    ids = [int(x) for x in rng.integers(4, min(vocab, 400), SEQ)]
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(model, str(peft_dir))
    with torch.no_grad():
        adapted = peft_model(torch.tensor([ids])).logits[0].numpy()
        with peft_model.disable_adapter():
            base = peft_model(torch.tensor([ids])).logits[0].numpy()
    assert _agreement(adapted, base) < 0.9, (
        "the adapter barely changes the predictions: the test would prove nothing"
    )
    plain = _agreement(llama_cpp_logits(gguf, None, ids), base)
    good = export_gguf(peft_dir, tmp_path / "good.gguf", facts, alpha=cfg.alpha, dtype="f32")
    agree = _agreement(llama_cpp_logits(gguf, good, ids), adapted)
    wrong_rule = not support_for(arch).permute_qk
    bad = export_gguf(
        peft_dir, tmp_path / "bad.gguf", facts, alpha=cfg.alpha, dtype="f32", permute_qk=wrong_rule
    )
    control = _agreement(llama_cpp_logits(gguf, bad, ids), adapted)
    print(f"{arch}: base {plain:.3f}, adapter {agree:.3f}, control {control:.3f}")
    assert plain >= BAR, f"llama.cpp and transformers disagree on the base model itself ({plain:.3f})"
    assert agree >= BAR, f"{arch}: llama.cpp + adapter agree with transformers + peft on only {agree:.3f}"
    assert control < BAR, f"{arch}: the control (opposite q/k rule) still agrees {control:.3f}"
