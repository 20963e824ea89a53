"""Where a learning curve's edit distance sits: texts that need no model, scored on the same mails.

A normalised word edit distance of 0.88 says little alone: two mails by the same person are already far
apart word for word, since a request never carries the answer's wording. So for each mail a curve is
measured on, the same distance is taken for

* ``greeting_signoff``: only the user's greeting for the addressee and their sign-off (trivial baseline);
* ``nearest_past``: the past mail retrieval puts first for the same request, sent as it is (trivial
  baseline: what copying the best exemplar would leave to edit);
* ``other_writers``: other people's mails as the draft, the median over them (the floor: another voice);
* ``own_other``: the user's own past mails as the draft, the median over them (the user's voice, written
  for other occasions);
* ``own_best``: the user's past mail closest to the real one, chosen knowing it (the ceiling: the least
  editing any text the user already wrote would need).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence

from .compose import request_recipient
from .learning_curve import normalised_edit
from .prompts import DraftRequest
from .style import StyleStats, greeting_for, nameless_greeting

BOUNDS = ("greeting_signoff", "nearest_past", "other_writers", "own_other", "own_best")
LABELS = {
    "greeting_signoff": "greeting and sign-off only",
    "nearest_past": "your past mail retrieval ranks first",
    "other_writers": "other writers' mails, median (floor)",
    "own_other": "your other past mails, median",
    "own_best": "your closest past mail, known answer (ceiling)",
}
MAX_COMPARED = 200  # past / other mails each mail is compared with (evenly spread when there are more)


def greeting_signoff(style: StyleStats, request: DraftRequest) -> str:
    """The user's greeting for the request's addressee and their sign-off, nothing between."""
    recipient = request_recipient(request) or ""
    greeting = greeting_for(style, recipient) if recipient else nameless_greeting(style, request.instruction)
    return "\n\n".join(part for part in (greeting, style.signoff_for(recipient)) if part)


def _spread(texts: Sequence[str], n: int = MAX_COMPARED) -> list[str]:
    """Up to ``n`` of ``texts``, evenly spread (all of them when there are fewer)."""
    if len(texts) <= n:
        return list(texts)
    return [texts[i * len(texts) // n] for i in range(n)]


def edit_bounds(
    finals: Sequence[str],
    requests: Sequence[DraftRequest],
    style: StyleStats,
    nearest: Callable[[DraftRequest], str],
    own_past: Sequence[str],
    others: Sequence[str] = (),
) -> dict[str, list[float]]:
    """Per mail, the edit distance each of ``BOUNDS`` leaves (``other_writers`` only with ``others``)."""
    past, other = _spread(own_past), _spread(others)
    out: dict[str, list[float]] = {key: [] for key in BOUNDS if key != "other_writers" or other}
    for final, request in zip(finals, requests, strict=True):
        own = [normalised_edit(text, final) for text in past]
        out["greeting_signoff"].append(normalised_edit(greeting_signoff(style, request), final))
        out["nearest_past"].append(normalised_edit(nearest(dataclasses.replace(request, k=1)), final))
        out["own_other"].append(statistics.median(own) if own else 1.0)
        out["own_best"].append(min(own, default=1.0))
        if other:
            out["other_writers"].append(statistics.median(normalised_edit(t, final) for t in other))
    return out
