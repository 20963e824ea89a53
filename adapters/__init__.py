"""LoRA/QLoRA training, adapter files and GGUF export (no Qt, no store access)."""
