"""Evaluation metrics computed locally (rouge-score, sacrebleu; no hub downloads).

ROUGE-1/L F1, BLEU and chrF per draft; length ratio; novelty (share of the draft's 8-grams not
found in the training set: low novelty = copying); diversity (distinct drafts / requests); whether
a draft greets the user by their own name; paired bootstrap confidence intervals.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from .mailtext import first_name, greeted_name

_WORD = re.compile(r"\w+", re.UNICODE)


def rouge(draft: str, reference: str) -> dict[str, float]:
    """ROUGE-1 and ROUGE-L F1."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)
    s = scorer.score(reference, draft)
    return {"rouge1": s["rouge1"].fmeasure, "rougeL": s["rougeL"].fmeasure}


def bleu_chrf(draft: str, reference: str) -> dict[str, float]:
    """Sentence BLEU and chrF (0-100)."""
    import sacrebleu

    return {
        "bleu": sacrebleu.sentence_bleu(draft, [reference]).score,
        "chrf": sacrebleu.sentence_chrf(draft, [reference]).score,
    }


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> set[tuple]:
    """The set of n-grams of a token list."""
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def training_ngrams(texts: Sequence[str], n: int = 8) -> set[tuple]:
    """All n-grams of the training documents."""
    out: set[tuple] = set()
    for t in texts:
        out |= ngrams(words(t), n)
    return out


def novelty(draft: str, train_grams: set[tuple], n: int = 8) -> float:
    """Share of the draft's n-grams that are not in the training set (1.0 = nothing copied)."""
    grams = ngrams(words(draft), n)
    if not grams:
        return 1.0
    return sum(1 for g in grams if g not in train_grams) / len(grams)


def length_ratio(draft: str, reference: str) -> float:
    """Draft words / reference words."""
    return len(draft.split()) / max(1, len(reference.split()))


def diversity(drafts: Sequence[str]) -> float:
    """Distinct drafts / requests."""
    return len({" ".join(d.split()).lower() for d in drafts}) / max(1, len(drafts))


def greets_self(draft: str, own_name: str) -> bool:
    """True when the draft's greeting addresses the user by their own name."""
    own_first = first_name(own_name)
    m = greeted_name(draft.strip().split("\n", 1)[0]) if own_first else None
    return m is not None and m.group(2).lower() == own_first


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], iters: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Mean of (a - b) with a 95% paired bootstrap interval."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if not diffs:
        return {"mean": 0.0, "lo": 0.0, "hi": 0.0}
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(iters))
    return {
        "mean": sum(diffs) / len(diffs),
        "lo": means[int(0.025 * iters)],
        "hi": means[int(0.975 * iters) - 1],
    }
