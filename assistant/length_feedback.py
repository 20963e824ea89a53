"""How long the user wants drafts, learned from the drafts they kept.

The target length comes from the user's past mail (the card's typical length, the closest exemplars),
but the model's drafts miss it in its own way (the embedded model stops short, a larger one rambles),
and only the user's edits show by how much. For each kept draft, ``factor_used * final_words /
draft_words`` is the factor that would have made that draft as long as the user's final text; the
factor applied to the next draft is the median of the newest few. Because each estimate carries the
factor its draft was made with, the rule does not chase its own corrections: once drafts come out as
long as the user keeps them, the estimates equal the factor in use. Where the model's length follows its
target only in part (the embedded model stops early whatever the target), the factor climbs until drafts
are as long as kept mail or it reaches ``FACTOR_RANGE``'s end, which bounds what a slow model can do.
"""

from __future__ import annotations

import statistics

from ownvoice.store import generations as gen_table

RECENT = 12  # kept drafts the factor looks at (the newest)
MIN_KEPT = 3  # fewer kept drafts than this: no correction
FACTOR_RANGE = (0.5, 2.5)  # a correction never more than halves or multiplies the length by 2.5
PARAM_KEY = "length_factor"  # where a draft's record keeps the factor it was made with


def length_factor(db, profile_id: int) -> float:
    """The factor for the next draft's target length (1.0 until enough drafts were kept)."""
    estimates = []
    for params, output, final in gen_table.recent_approvals(db, profile_id, RECENT):
        drafted, kept = len(output.split()), len(final.split())
        if drafted and kept:
            estimates.append(float(params.get(PARAM_KEY, 1.0)) * kept / drafted)
    if len(estimates) < MIN_KEPT:
        return 1.0
    lo, hi = FACTOR_RANGE
    return min(hi, max(lo, statistics.median(estimates)))
