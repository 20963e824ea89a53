"""What an operation changed, so that every screen refreshes itself (Anki's ``OpChanges``).

The core records a ``Changes`` value for every write it makes and hands it to its listeners; a screen
looks at the fields it shows and reloads only then. Changes made by another process (a CLI import while
the app runs) arrive as ``Changes.from_elsewhere()``: the core cannot tell what they touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Changes:
    """Which kinds of stored things changed: each screen refreshes when one it shows did."""

    documents: bool = False  # the user's writing, drafts, imports, accepted drafts
    profiles: bool = False  # profiles created, renamed, deleted, addresses
    adapters: bool = False  # adapter versions trained, deleted, made active
    models: bool = False  # models registered
    settings: bool = False  # settings saved (model choice, default profile...)
    style: bool = False  # the user edited (or undid an edit of) a style card

    def __or__(self, other: Changes) -> Changes:
        return Changes(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @classmethod
    def from_elsewhere(cls) -> Changes:
        """Another process committed to the store: anything stored may have changed."""
        return cls(documents=True, profiles=True, adapters=True, models=True, style=True)


ChangeListener = Callable[[Changes], None]
