"""Choosing among candidate drafts: instruction fidelity first, then closeness to the user's style.

The style term is a hashed character 3-gram profile of the user's own writing (cosine to its centroid):
cheap, computed once per profile, and deliberately a different model from the evaluation's authorship
classifier, so best-of-n is never scored by the model that picked it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np

from .guidance import DraftCheck

DIM = 1 << 14
FLUENCY_WEIGHT = 1.0  # per nat of mean token log-probability under the unguided model


def _vector(text: str) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    t = " ".join(text.lower().split())
    for i in range(len(t) - 2):
        v[zlib.crc32(t[i : i + 3].encode("utf-8")) & (DIM - 1)] += 1.0
    n = float(np.linalg.norm(v))
    return v / n if n else v


class StyleCentroid:
    """Mean character 3-gram profile of a set of texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        vecs = [_vector(t) for t in texts if t.strip()]
        c = np.mean(vecs, axis=0) if vecs else np.zeros(DIM, dtype=np.float32)
        n = float(np.linalg.norm(c))
        self.centroid = c / n if n else c

    def similarity(self, text: str) -> float:
        """Cosine between ``text`` and the centroid (0..1)."""
        return float(_vector(text) @ self.centroid)


def candidate_score(
    check: DraftCheck, style_similarity: float, words: int, target_words: int, mean_logprob: float = 0.0
) -> float:
    """Higher is better: facts stated, nothing invented, no defect, fluent, near the user's style and
    length."""
    length = -0.5 * abs(math.log(max(1, words) / max(1, target_words)))
    return (
        4.0 * check.coverage.ratio
        - 1.5 * len(check.unsupported)
        - 5.0 * len(check.defects)
        + style_similarity
        + length
        + FLUENCY_WEIGHT * mean_logprob
    )
