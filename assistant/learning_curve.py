"""How much the user edits OwnVoice's drafts over time: the learning curve of a profile.

Per ISO week: drafts generated, drafts approved (accepted or sent), the share approved without a change, and
the median normalised edit distance (word-level Levenshtein / the longer text's words) between the model's
text and what the user kept. Only approved drafts have an edit distance: a draft never approved says nothing
about how far it was from what the user wanted.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from .provenance import APPROVALS, edit_distance


@dataclass(frozen=True)
class Feedback:
    """One draft and what became of it."""

    created: str  # ISO timestamp
    approved: bool
    normalised_edit: Optional[float]  # None when not approved


@dataclass(frozen=True)
class WeekPoint:
    """One week of the learning curve."""

    week: str  # the Monday, 'YYYY-MM-DD'
    drafts: int
    approved: int
    approved_unedited: int
    median_edit: Optional[float]  # median normalised edit distance of the week's approved drafts

    def as_dict(self) -> dict:
        """Plain JSON-able data."""
        return asdict(self)


def normalised_edit(output: str, final: str, distance: Optional[int] = None) -> float:
    """Word-level edit distance between the draft and the final text over the longer one's words (0..1)."""
    words = max(len(output.split()), len(final.split()), 1)
    return round((edit_distance(output, final) if distance is None else distance) / words, 4)


def feedback(rows: list[tuple[str, str, Optional[int], str, str]]) -> list[Feedback]:
    """Feedback from ``store.generations.feedback_rows``."""
    out = []
    for created, status, distance, output, final in rows:
        approved = status in APPROVALS
        out.append(
            Feedback(created, approved, normalised_edit(output, final, distance) if approved else None)
        )
    return out


def week_of(created: str) -> str:
    """The Monday of the ISO week of an ISO timestamp."""
    day = datetime.fromisoformat(created.replace("Z", "+00:00")).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def weekly_curve(items: list[Feedback]) -> list[WeekPoint]:
    """The curve, one point per week that had drafts, oldest first."""
    by_week: dict[str, list[Feedback]] = {}
    for item in items:
        by_week.setdefault(week_of(item.created), []).append(item)
    out = []
    for week in sorted(by_week):
        group = by_week[week]
        edits = [f.normalised_edit for f in group if f.normalised_edit is not None]
        out.append(
            WeekPoint(
                week=week,
                drafts=len(group),
                approved=len(edits),
                approved_unedited=sum(e == 0 for e in edits),
                median_edit=round(statistics.median(edits), 4) if edits else None,
            )
        )
    return out


def curve_summary(items: list[Feedback], today: Optional[date] = None) -> dict:
    """The ``ownvoice stats --json`` learning fields: totals, the share approved unedited, the median
    normalised edit overall and over the last four weeks, and the weekly points."""
    edits = [f.normalised_edit for f in items if f.normalised_edit is not None]
    since = ((today or date.today()) - timedelta(days=28)).isoformat()
    recent = [f.normalised_edit for f in items if f.normalised_edit is not None and f.created[:10] >= since]
    return {
        "drafts": len(items),
        "approved": len(edits),
        "approved_unedited_share": round(sum(e == 0 for e in edits) / len(edits), 4) if edits else None,
        "median_edit": round(statistics.median(edits), 4) if edits else None,
        "median_edit_last_4_weeks": round(statistics.median(recent), 4) if recent else None,
        "weeks": [p.as_dict() for p in weekly_curve(items)],
    }
