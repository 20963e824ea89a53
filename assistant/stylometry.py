"""Authorship ("does this read like the user?") scorer: character n-gram TF-IDF + logistic regression.

Positives: the user's training documents. Negatives: other human writers AND generic model text
(the base model's own drafts), since a model trained against humans only rates bland chatbot prose
as the user's. A masked variant blanks greetings and sign-offs so a copied signature cannot carry
the score. Trust the numbers only if the user's held-out mail outscores the base model's drafts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .mailtext import mask_frame


@dataclass
class StyleModel:
    """A fitted authorship classifier."""

    pipeline: object
    masked: bool

    def score(self, texts: Sequence[str]) -> list[float]:
        """Probability that each text is the user's."""
        if not texts:
            return []
        prepared = [mask_frame(t) if self.masked else t for t in texts]
        return [float(p) for p in self.pipeline.predict_proba(prepared)[:, 1]]  # type: ignore[attr-defined]


def fit_style_model(
    user_texts: Sequence[str], other_texts: Sequence[str], masked: bool = False, seed: int = 0
) -> StyleModel:
    """Train the user-vs-others classifier."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if not user_texts or not other_texts:
        raise ValueError("the style model needs the user's texts and other writers' texts")
    prep = (lambda t: mask_frame(t)) if masked else (lambda t: t)
    x = [prep(t) for t in user_texts] + [prep(t) for t in other_texts]
    y = [1] * len(user_texts) + [0] * len(other_texts)
    pipe = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0, random_state=seed),
    )
    pipe.fit(x, y)
    return StyleModel(pipe, masked)
