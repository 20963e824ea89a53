"""Reading a GGUF's header fast: its scalar and string metadata and its tensors' shapes, arrays skipped.

gguf's own GGUFReader builds a numpy view of every field, the tokenizer's 50-250k strings included, which
takes seconds for one model (5.7 s for the embedded SmolLM2 here); listing models and checking an
architecture needs none of the arrays, so this reader seeks past them and keeps only their length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
STRING, ARRAY = 8, 9


@dataclass(frozen=True)
class Skipped:
    """An array the reader did not keep: how many items it had."""

    count: int


class GGUFHeaderError(ValueError):
    """The file is not a readable GGUF header."""


@dataclass
class GGUFHeader:
    """Metadata (arrays as Skipped) and tensors (name -> (shape, ggml type)) of a GGUF file."""

    version: int
    metadata: dict = field(default_factory=dict)
    tensors: dict[str, tuple[tuple[int, ...], int]] = field(default_factory=dict)

    @property
    def parameters(self) -> int:
        """Number of weights in the file."""
        return sum(prod(shape) for shape, _ in self.tensors.values())


def _read(fh: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise GGUFHeaderError("the file ends inside its header")
    return struct.unpack(fmt, data)[0]


def _string(fh: BinaryIO) -> str:
    n = _read(fh, "<Q")
    if n > 1 << 24:
        raise GGUFHeaderError("a metadata string is implausibly long")
    return fh.read(n).decode("utf-8", "replace")


def _skip_string(fh: BinaryIO) -> None:
    fh.seek(_read(fh, "<Q"), 1)


def _value(fh: BinaryIO, kind: int):
    if kind in _SCALARS:
        return _read(fh, _SCALARS[kind])
    if kind == STRING:
        return _string(fh)
    if kind == ARRAY:
        item, count = _read(fh, "<I"), _read(fh, "<Q")
        if item in _SCALARS:
            fh.seek(struct.calcsize(_SCALARS[item]) * count, 1)
        elif item == STRING:
            for _ in range(count):
                _skip_string(fh)
        else:
            for _ in range(count):
                _value(fh, item)
        return Skipped(count)
    raise GGUFHeaderError(f"unknown metadata type {kind}")


def read_header(path: Path) -> GGUFHeader:
    """The header of the GGUF at ``path`` (GGUFHeaderError when it is not one)."""
    with open(path, "rb", buffering=1 << 16) as fh:
        if fh.read(4) != MAGIC:
            raise GGUFHeaderError("no GGUF signature")
        version = _read(fh, "<I")
        if version not in (2, 3):
            raise GGUFHeaderError(f"unsupported GGUF version {version}")
        n_tensors, n_kv = _read(fh, "<Q"), _read(fh, "<Q")
        if n_tensors > 1 << 20 or n_kv > 1 << 20:
            raise GGUFHeaderError("implausible tensor or metadata count")
        header = GGUFHeader(version)
        for _ in range(n_kv):
            key = _string(fh)
            header.metadata[key] = _value(fh, _read(fh, "<I"))
        for _ in range(n_tensors):
            name = _string(fh)
            dims = _read(fh, "<I")
            if dims > 8:
                raise GGUFHeaderError(f"tensor {name!r} has {dims} dimensions")
            shape = tuple(_read(fh, "<Q") for _ in range(dims))
            kind = _read(fh, "<I")
            _read(fh, "<Q")  # offset
            header.tensors[name] = (shape, kind)
    return header
