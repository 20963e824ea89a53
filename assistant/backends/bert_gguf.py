"""A BERT sentence-embedding model folder (the packaged MiniLM) written as a GGUF that llama.cpp runs.

A search embeds one short query: torch took ~10.5 ms for MiniLM's forward pass here, llama.cpp 3.6 ms on an
F16 copy of the same weights (2 threads, idle; cosine to torch's vector 0.999999). The copy is written once
into the cache with the ``gguf`` package, the way llama.cpp's ``convert_hf_to_gguf.py`` writes a BertModel
(WordPiece vocabulary as "phantom space" tokens, special tokens as control tokens, 2-D weights in F16 but the
position and token-type tables), and named by the source folder and its weights' size and modification time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

GGUF_PREFIX = "embedder-"
F32_TABLES = ("position_embd.weight", "token_types.weight")  # kept F32, as llama.cpp's converter keeps them
SKIPPED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


def is_bert_folder(model_dir: Path) -> bool:
    """True for a folder with a BERT config, safetensors weights and a WordPiece tokenizer.json."""
    try:
        config = json.loads((model_dir / "config.json").read_text())
        tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "bert"
        and (model_dir / "model.safetensors").is_file()
        and tokenizer.get("model", {}).get("type") == "WordPiece"
    )


def cached_bert_gguf(model_dir: Path, cache_dir: Path) -> Path:
    """The GGUF copy of ``model_dir`` in ``cache_dir`` (written on first use; a failed write, e.g. on a full
    disk, leaves nothing behind and raises)."""
    weights = (model_dir / "model.safetensors").stat()
    folder = hashlib.sha256(os.fsencode(model_dir.resolve())).hexdigest()[:12]
    target = Path(cache_dir) / f"{GGUF_PREFIX}{folder}-{weights.st_size}-{weights.st_mtime_ns}.gguf"
    if not target.is_file():
        Path(cache_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = target.with_suffix(f".{os.getpid()}.partial")  # two processes may write it at once
        try:
            write_bert_gguf(model_dir, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _vocabulary(model_dir: Path) -> tuple[list[str], list[int], dict[str, int], bool]:
    """(phantom-space tokens, token types, special token ids, lowercase) from tokenizer.json."""
    import gguf

    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    by_id = sorted(vocab, key=vocab.__getitem__)
    special = {t["content"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    types = [int(gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL) for t in by_id]
    tokens = [t if t in special else (t[2:] if t.startswith("##") else "\u2581" + t) for t in by_id]
    special_names: tuple[str, ...] = ("[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]")
    ids = {name: vocab[name] for name in special_names if name in vocab}
    lowercase = bool((tokenizer.get("normalizer") or {}).get("lowercase", False))
    return tokens, types, ids, lowercase


def write_bert_gguf(model_dir: Path, out: Path) -> Path:
    """Write the BERT model in ``model_dir`` to ``out`` as a GGUF (mean pooling, no causal attention)."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    blocks = int(config["num_hidden_layers"])
    names = gguf.TensorNameMap(gguf.MODEL_ARCH.BERT, blocks)
    tokens, types, ids, lowercase = _vocabulary(model_dir)
    writer = gguf.GGUFWriter(str(out), "bert")
    writer.add_name(model_dir.name)
    writer.add_block_count(blocks)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("jina-v2-en")  # llama.cpp's pre-tokenizer for a plain WordPiece BERT
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_bos_token_id(ids["[CLS]"])
    writer.add_eos_token_id(ids["[SEP]"])
    writer.add_sep_token_id(ids["[SEP]"])
    writer.add_unk_token_id(ids["[UNK]"])
    writer.add_pad_token_id(ids.get("[PAD]", 0))
    if "[MASK]" in ids:
        writer.add_mask_token_id(ids["[MASK]"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    writer.add_add_sep_token(False)
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)  # llama.cpp reads it; not in gguf.Keys
    for hf_name, value in load_file(str(model_dir / "model.safetensors")).items():
        hf_name = hf_name.removeprefix("bert.")
        if hf_name in SKIPPED:
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(f"{model_dir}: no GGUF name for the tensor {hf_name!r}")
        half = value.ndim == 2 and name.endswith(".weight") and name not in F32_TABLES
        writer.add_tensor(name, value.astype(np.float16 if half else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
