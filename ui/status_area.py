"""The status area: which model and adapter drafts use, and the jobs running or waiting (Qt thread)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import QLabel, QWidget

from .workers import Runner


def jobs_text(jobs: list[tuple[str, bool]]) -> str:
    """'Training running · Draft waiting' for the runner's queue ('idle' when empty)."""
    if not jobs:
        return "idle"
    return " · ".join(f"{label} {'running' if running else 'waiting'}" for label, running in jobs)


class StatusArea(QLabel):
    """Model · adapter · jobs, refreshed when the queue or the store changes."""

    def __init__(self, app, runner: Runner, profile_id: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.app, self.runner, self.profile_id = app, runner, profile_id
        self.setAccessibleName("Status: model, adapter and jobs")
        runner.board.changed.connect(self.refresh)
        runner.events.changed.connect(
            lambda c: self.refresh() if (c.adapters or c.models or c.settings) else None
        )
        self.refresh()

    def set_profile(self, profile_id: int) -> None:
        """Show another profile's adapter."""
        self.profile_id = profile_id
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the core's engine state and the runner's queue."""
        state = self.app.engine_state(self.profile_id)
        adapter = f"adapter v{state.adapter_version}" if state.adapter_version is not None else "no adapter"
        self.setText(f"Model: {state.model_name} · {adapter} · Jobs: {jobs_text(self.runner.jobs())}")
