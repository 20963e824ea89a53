"""Import the user's writing from mail archives and files (see sources.py for the formats)."""

from .sources import Foreign, Item, Own, Skip, detect_kind, read_path

__all__ = ["Foreign", "Item", "Own", "Skip", "detect_kind", "read_path"]
