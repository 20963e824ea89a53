"""Which architectures OwnVoice trains adapters for (fast: GGUF headers only; the parity matrix is
test_arch_matrix.py)."""

from __future__ import annotations

import numpy as np
import pytest


def test_an_architecture_we_cannot_train_is_refused_before_training(tmp_path):
    from ownvoice.adapters.architectures import UnsupportedArchitecture, support_for
    from ownvoice.assistant.errors import ModelError
    from ownvoice.assistant.training import architecture_support
    from tests.gguf_files import write_gguf

    with pytest.raises(UnsupportedArchitecture, match="cannot train a style adapter for the 'mamba'"):
        support_for("mamba")
    gguf = write_gguf(tmp_path / "m.gguf", arch="mamba", name="a mamba")
    with pytest.raises(ModelError, match="you can still draft with this model, without an adapter"):
        architecture_support(str(gguf))
    assert architecture_support(str(write_gguf(tmp_path / "p.gguf", arch="phi3"))).target_modules == (
        "qkv_proj",
        "o_proj",
        "gate_up_proj",
        "down_proj",
    )


def test_phi3_fused_qkv_is_permuted_block_by_block_only_when_forced():
    from ownvoice.adapters.export import lora_tensors, permute_rows

    n_head, n_kv, head_dim = 4, 2, 4
    rows = (n_head + 2 * n_kv) * head_dim
    b = np.arange(rows * 2, dtype=np.float32).reshape(rows, 2)
    state = {"base_model.model.model.layers.0.self_attn.qkv_proj.lora_B.weight": b}
    plain = lora_tensors(state, "phi3", 1, n_head, n_kv)["blk.0.attn_qkv.weight.lora_b"]
    assert np.array_equal(plain, b)  # phi3 is written unpermuted by llama.cpp's converter
    forced = lora_tensors(state, "phi3", 1, n_head, n_kv, permute_qk=True)["blk.0.attn_qkv.weight.lora_b"]
    q, k = n_head * head_dim, n_kv * head_dim
    assert np.array_equal(forced[:q], permute_rows(b[:q], n_head))
    assert np.array_equal(forced[q : q + k], permute_rows(b[q : q + k], n_kv))
    assert np.array_equal(forced[q + k :], b[q + k :])


def test_the_fast_header_reader_agrees_with_gguf_and_refuses_a_cut_file(tmp_path):
    import gguf

    from ownvoice.adapters.gguf_header import GGUFHeaderError, Skipped, read_header
    from tests.gguf_files import write_gguf

    path = write_gguf(tmp_path / "m.gguf", arch="qwen3", name="Tiny", rows=100)
    header = read_header(path)
    reader = gguf.GGUFReader(str(path))
    assert header.metadata["general.architecture"] == "qwen3" and header.metadata["general.name"] == "Tiny"
    assert header.metadata["qwen3.block_count"] == 1
    assert {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors} == {  # both in GGUF order
        name: shape for name, (shape, _kind) in header.tensors.items()
    }
    assert header.parameters == sum(int(t.n_elements) for t in reader.tensors) == 100 * 32 + 32
    with_array = tmp_path / "a.gguf"
    writer = gguf.GGUFWriter(str(with_array), "llama")
    writer.add_token_list(["a", "bb", "ccc"])
    writer.add_array("llama.attention.head_count_kv", [2, 2, 4])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    meta = read_header(with_array).metadata
    assert meta["tokenizer.ggml.tokens"] == Skipped(3) and meta["llama.attention.head_count_kv"] == Skipped(3)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(path.read_bytes()[:60])
    with pytest.raises(GGUFHeaderError, match="ends inside its header"):
        read_header(cut)


def test_the_estimate_adds_loading_steps_and_evaluation():
    from ownvoice.assistant.training import (
        FORWARD_SPEEDUP,
        OptionsError,
        TrainingOptions,
        estimate_from_probe,
    )

    probe = {
        "device": "cpu",
        "device_reason": "no CUDA GPU here",
        "precision": "fp32",
        "quantized": False,
        "total_steps": 30,
        "seconds_per_step": 4.0,
        "tokens_per_step": 800.0,
        "load_seconds": 10.0,
        "prepare_seconds": 5.0,
        "eval_tokens": 1200,
        "peak_rss_mb": 2300.0,
        "probe_steps": 3,
        "train_examples": 40,
    }
    est = estimate_from_probe(probe, eval_passes=2)
    eval_s = 2 * 1200 / (200.0 * FORWARD_SPEEDUP)  # 800 tokens in 4 s = 200 tokens/s while training
    assert est.eval_seconds == round(eval_s, 1)
    assert est.total_seconds == round(5.0 + 10.0 + 30 * 4.0 + eval_s, 1)
    assert est.peak_memory_mb == 2300.0 and est.device == "cpu"
    assert estimate_from_probe(probe | {"peak_gpu_mb": 9000.0}).peak_memory_mb == 9000.0
    with pytest.raises(OptionsError, match="probe steps must be 0..20"):
        TrainingOptions(probe_steps=50)


def test_a_conversion_parses_each_gguf_once_and_puts_gguf_back_after(tmp_path):
    import gguf

    from ownvoice.adapters.base_model import _one_parse_per_file
    from tests.gguf_files import write_gguf

    path = write_gguf(tmp_path / "m.gguf")
    real_reader, real_map = gguf.GGUFReader, gguf.get_tensor_name_map
    with _one_parse_per_file():
        first = gguf.GGUFReader(path)
        assert gguf.GGUFReader(str(path)) is first and isinstance(first, real_reader)
        assert gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2) is gguf.get_tensor_name_map(
            gguf.MODEL_ARCH.LLAMA, 2
        )
        assert gguf.GGUFReader(write_gguf(tmp_path / "other.gguf")) is not first
    assert gguf.GGUFReader is real_reader and gguf.get_tensor_name_map is real_map
    assert gguf.GGUFReader(path) is not gguf.GGUFReader(path)


def test_the_conversions_plain_array_reader_reads_what_ggufs_reader_reads(tmp_path):
    import gguf

    from ownvoice.adapters.base_model import plain_array_reader

    path = tmp_path / "vocab.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("a vocabulary")
    writer.add_token_list([f"tok{i}" for i in range(300)] + ["naïve", ""])
    writer.add_token_scores([float(-i) for i in range(302)])
    writer.add_token_types([1] * 302)
    writer.add_tensor("token_embd.weight", np.arange(302 * 8, dtype=np.float32).reshape(302, 8))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    plain, real = plain_array_reader(gguf.GGUFReader)(path), gguf.GGUFReader(path)
    assert list(plain.fields) == list(real.fields)
    for name, field in real.fields.items():
        mine = plain.fields[name]
        assert (mine.offset, mine.data, mine.types) == (field.offset, field.data, field.types), name
        assert all(np.array_equal(a, b) for a, b in zip(mine.parts, field.parts, strict=True)), name
    assert plain.fields["tokenizer.ggml.tokens"].contents()[-2:] == ["naïve", ""]
    assert [t.name for t in plain.tensors] == ["token_embd.weight"]
    assert np.array_equal(plain.tensors[0].data, real.tensors[0].data)
    assert plain.tensors[0].data[301, 7] == 302 * 8 - 1
