"""On-disk names of an adapter version folder (peft-style constants, one place)."""

from __future__ import annotations

TRAIN_CONFIG = "train_config.json"
MANIFEST = "manifest.json"
PEFT_DIR = "peft"  # adapter_config.json + adapter_model.safetensors (peft's own format)
ADAPTER_GGUF = "adapter.gguf"  # llama.cpp LoRA adapter
CHECKPOINT_DIR = "checkpoint"  # adapter + optimizer state as safetensors, step as JSON
CHECKPOINT_STATE = "state.json"
CHECKPOINT_OPTIM = "optimizer.safetensors"
TRAIN_DATA = "train.jsonl"
EVAL_DATA = "eval.jsonl"
PAIRS_DATA = "pairs.jsonl"  # (prompt, the user's final text, the model's draft): preference pairs
LOG = "train_log.jsonl"
BASE_CACHE_PREFIX = "base-"
