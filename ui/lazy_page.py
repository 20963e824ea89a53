"""Pages that load their content on the worker thread only when shown (no job at start-up, none racing
other screens); a change while hidden only marks them out of date."""

from __future__ import annotations


class LazyRefresh:
    """Mixin for a QWidget page with a ``refresh()`` that starts its loading job (Qt thread)."""

    _stale = True

    def refresh(self) -> None:  # pragma: no cover - each page has its own
        """Start loading the page's content."""
        raise NotImplementedError

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Load when shown and out of date."""
        super().showEvent(event)  # type: ignore[misc]
        if self._stale:
            self.refresh()

    def changed(self) -> None:
        """What the page shows changed: reload now if shown, else when next shown."""
        if self.isVisible():  # type: ignore[attr-defined]
            self.refresh()
        else:
            self._stale = True
