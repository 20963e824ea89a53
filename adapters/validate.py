"""Does a llama.cpp LoRA GGUF fit this base GGUF? Checked from the two files' headers before llama.cpp loads
it.

llama.cpp says only "failed to load" for a truncated file, an adapter for another architecture, another
size of model, or one missing half its layers; some of these it even accepts and then drafts worse. Here
each has its own reason: not a GGUF / cut short, not a LoRA adapter, architecture, a tensor the base does not
have, a shape that does not fit the base's weight, a lora_a without its lora_b, layers missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_LORA = re.compile(r"^(?P<weight>.+\.weight)\.lora_(?P<ab>[ab])$")
_BLOCK = re.compile(r"^blk\.(?P<layer>\d+)\.(?P<module>.+)$")


class AdapterMismatch(Exception):
    """The adapter file does not fit the base model (the message says why)."""


@dataclass(frozen=True)
class GgufHeader:
    """What the checks need of a GGUF: its type, architecture, layer count and tensor shapes (GGUF order)."""

    kind: str  # 'model' | 'adapter'
    architecture: str
    block_count: int
    adapter_type: str
    shapes: dict[str, tuple[int, ...]]


_HEADERS: dict[tuple, GgufHeader] = {}


def read_header(path: Path) -> GgufHeader:
    """The header of a GGUF file (cached by path, size and mtime); AdapterMismatch when it is not a whole
    GGUF."""
    import gguf

    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _HEADERS:
        return _HEADERS[key]
    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, IndexError, OSError, KeyError) as exc:
        raise AdapterMismatch(
            f"{path.name} is not a complete GGUF file (cut short or damaged: {exc})"
        ) from exc

    def text(name: str) -> str:
        field = reader.fields.get(name)
        return str(field.contents()) if field is not None else ""

    arch = text("general.architecture")
    blocks = reader.fields.get(f"{arch}.block_count")
    header = GgufHeader(
        kind=text("general.type") or "model",
        architecture=arch,
        block_count=int(blocks.contents()) if blocks is not None else 0,
        adapter_type=text("adapter.type"),
        shapes={t.name: tuple(int(n) for n in t.shape) for t in reader.tensors},
    )
    _HEADERS[key] = header
    return header


def check_adapter(adapter_path: Path, base_path: Path) -> None:
    """Raise AdapterMismatch with the reason when ``adapter_path`` is not a LoRA that fits ``base_path``."""
    adapter, base = read_header(adapter_path), read_header(base_path)
    name = Path(adapter_path).name
    if not adapter.shapes and not adapter.architecture:
        raise AdapterMismatch(
            f"{name} is an empty GGUF (no tensors, no metadata): damaged, or not an adapter"
        )
    if adapter.kind != "adapter" or adapter.adapter_type != "lora":
        raise AdapterMismatch(f"{name} is not a LoRA adapter (it is a GGUF {adapter.kind or 'file'})")
    if adapter.architecture != base.architecture:
        raise AdapterMismatch(
            f"{name} was made for a {adapter.architecture!r} model; this model is {base.architecture!r}"
        )
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for tensor, shape in adapter.shapes.items():
        m = _LORA.match(tensor)
        if m is None:
            raise AdapterMismatch(f"{name} holds {tensor!r}, which is not a LoRA matrix")
        pairs.setdefault(m.group("weight"), {})[m.group("ab")] = shape
    if not pairs:
        raise AdapterMismatch(f"{name} holds no LoRA matrices")
    layers: dict[str, set[int]] = {}
    for weight, ab in sorted(pairs.items()):
        if set(ab) != {"a", "b"}:
            raise AdapterMismatch(
                f"{name}: {weight} has lora_{next(iter(ab))} without its partner (damaged file?)"
            )
        target = base.shapes.get(weight)
        if target is None:
            raise AdapterMismatch(
                f"{name} adapts {weight}, which this model does not have (another base model?)"
            )
        a, b = ab["a"], ab["b"]  # GGUF order: a [in, r], b [r, out]; the weight [in, out]
        if len(a) != 2 or len(b) != 2 or a[1] != b[0] or a[0] != target[0] or b[1] != target[1]:
            raise AdapterMismatch(
                f"{name}: {weight} is {target[0]}x{target[1]} in this model but the adapter's matrices are "
                f"{'x'.join(map(str, a))} and {'x'.join(map(str, b))} (made for another size of model?)"
            )
        block = _BLOCK.match(weight)
        if block is not None:
            layers.setdefault(block.group("module").removesuffix(".weight"), set()).add(
                int(block.group("layer"))
            )
    for module, seen in sorted(layers.items()):
        if base.block_count and len(seen) != base.block_count:
            raise AdapterMismatch(
                f"{name} adapts {module} in {len(seen)} of this model's {base.block_count} layers "
                "(cut short or damaged: train or export it again)"
            )
