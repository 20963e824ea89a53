"""The base model for training, taken from the very GGUF used for drafting.

transformers dequantizes the GGUF; the result is cached as safetensors under the file's sha256, so later
runs load in ~2 s. The GGUF quantizer marker is cleared first, since transformers refuses to save or train a
model it believes is "quantized with gguf".

transformers parses the whole GGUF afresh for the tokenizer, for the config and for the weights, and rebuilds
gguf's tensor-name table once per tensor: 20 of the 27 s the embedded 135M model's conversion took here, the
dequantization itself ~2 s. Both are pure functions of their arguments, so ``_one_parse_per_file`` memoizes
them for the conversion's duration (only in the trainer's child process, which does nothing else meanwhile).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .layout import BASE_CACHE_PREFIX


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """sha256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def gguf_architecture(path: Path) -> dict:
    """Architecture facts of a GGUF model: name, layers, heads, kv heads."""
    from .gguf_header import read_header

    meta = read_header(Path(path)).metadata
    arch = meta.get("general.architecture")

    def head_count(key: str):
        value = meta.get(f"{arch}.attention.{key}")
        return value if isinstance(value, int) and value else None

    return {
        "architecture": arch,
        "n_layers": meta.get(f"{arch}.block_count"),
        "n_head": head_count("head_count"),
        "n_head_kv": head_count("head_count_kv") or head_count("head_count"),
    }


def config_from_gguf(gguf_path: Path):
    """transformers' config for a GGUF, corrected where its GGUF loader guesses instead of reading.

    It does not read the attention key length, so Qwen3 gets Qwen3's usual head_dim (128) and Gemma its usual
    query_pre_attn_scalar (256) whatever the file says; llama.cpp, which drafts, scales Gemma's queries by the
    head size (by hidden/heads for the 27B models). A config that disagrees trains an adapter for a model
    llama.cpp does not run (the architecture matrix test measured 47-54% next-token agreement on the base
    model itself before this correction).
    """
    from transformers import AutoConfig

    from .gguf_header import read_header

    config = AutoConfig.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    meta = read_header(gguf_path).metadata
    arch = meta.get("general.architecture")
    key_length = meta.get(f"{arch}.attention.key_length")
    if isinstance(key_length, int) and key_length and hasattr(config, "head_dim"):
        config.head_dim = key_length
    if arch in ("gemma2", "gemma3") and hasattr(config, "query_pre_attn_scalar"):
        layers, heads = meta.get(f"{arch}.block_count"), meta.get(f"{arch}.attention.head_count")
        hidden = meta.get(f"{arch}.embedding_length")
        big = (arch, layers) in (("gemma2", 46), ("gemma3", 62))  # llama.cpp's 27B rule
        config.query_pre_attn_scalar = hidden // heads if big and heads else config.head_dim
    return config


def plain_array_reader(gguf_reader: type) -> type:
    """A subclass of gguf's reader that slices a plain ndarray view of the file instead of its np.memmap.

    Every slice of a memmap runs numpy's ``__array_finalize__`` for memmaps; the reader takes 3-4 slices per
    item of every metadata array, so a 262k-token vocabulary (Gemma 3) took 15-25 s to parse here, 4.7 s this
    way. The view shares the memmap's buffer: the weights are still read lazily from the file.
    """
    import numpy as np

    class PlainArrayReader(gguf_reader):
        def _get(self, offset, dtype, count=1, override_order=None):
            plain = self.__dict__.get("_plain")
            if plain is None:
                plain = self.__dict__["_plain"] = self.data.view(np.ndarray)
            count = int(count)
            arr = plain[offset : offset + np.dtype(dtype).itemsize * count].view(dtype=dtype)[:count]
            order = self.byte_order if override_order is None else override_order
            return arr.view(arr.dtype.newbyteorder(order))

    return PlainArrayReader


@contextmanager
def _one_parse_per_file() -> Iterator[None]:
    """gguf's reader and tensor-name table memoized while transformers converts a GGUF (see the module)."""
    import gguf

    real: dict[str, Any] = {name: getattr(gguf, name) for name in ("GGUFReader", "get_tensor_name_map")}
    fast_reader = plain_array_reader(real["GGUFReader"])
    readers: dict = {}

    def reader(path, mode="r"):
        key = (os.path.realpath(path), mode)  # the tokenizer passes the full path, the weights a relative one
        if key not in readers:
            readers[key] = fast_reader(path, mode)
        return readers[key]

    name_map = functools.lru_cache(maxsize=None)(real["get_tensor_name_map"])
    for name, value in (("GGUFReader", reader), ("get_tensor_name_map", name_map)):
        setattr(gguf, name, value)  # transformers imports both from gguf at each call
    try:
        yield
    finally:
        for name, value in real.items():
            setattr(gguf, name, value)


def _complete(folder: Path) -> bool:
    """Whether a converted base folder has its config and weights."""
    return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


def cached_base_dir(gguf_path: Path, cache_dir: Path, sha256: str = "") -> Path:
    """Folder of the dequantized safetensors copy of ``gguf_path`` (created on first use)."""
    sha = sha256 or file_sha256(gguf_path)
    target = Path(cache_dir) / f"{BASE_CACHE_PREFIX}{sha[:16]}"
    if _complete(target):
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # per process: two trainings (app and CLI) sharing a cache may convert at once; the first rename wins
    tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, mode=0o700)
    try:
        with _one_parse_per_file():
            tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
            model = AutoModelForCausalLM.from_pretrained(
                str(gguf_path.parent),
                gguf_file=gguf_path.name,
                config=config_from_gguf(gguf_path),
                dtype=torch.float32,
            )
        setattr(model, "hf_quantizer", None)  # noqa: B010 - the attribute is untyped in transformers
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(str(tmp), safe_serialization=True)
        tok.save_pretrained(str(tmp))
        (tmp / "source.json").write_text(json.dumps({"gguf": str(gguf_path), "sha256": sha}))
        if target.exists() and not _complete(target):
            shutil.rmtree(target)  # a copy left half-made by an older version
        try:
            os.replace(tmp, target)
        except OSError:
            if not _complete(target):  # not another process's finished copy: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_base(base_dir: Path, device: str, quantize_nf4: bool, gradient_checkpointing: bool = False):
    """(model, tokenizer) from the cached folder: fp32 on CPU, bf16 on CUDA, or 4-bit NF4 (QLoRA)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_dir))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    kwargs: dict = {}
    if quantize_nf4:
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if device == "cuda" else torch.float32
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        kwargs["device_map"] = {"": 0} if device == "cuda" else {"": "cpu"}
        kwargs["dtype"] = compute
    else:
        kwargs["dtype"] = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), **kwargs)
    if quantize_nf4:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    else:
        model.to(torch.device(device))  # type: ignore[arg-type]  # transformers' to() is typed for dtypes only
        if gradient_checkpointing:
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()
    return model, tok
