"""The drafting conditions an evaluation compares, as the request settings each one means.

``rag`` is the product's default prompt (style card, two style anchors, four retrieved mails);
``rag-no-card`` the same without the card; ``card`` the lean prompt the card makes possible
(``prompts.LEAN``: the card and the two closest past mails clipped to 30 words, no anchors: under half
the prompt tokens). ``lora`` conditions add the adapter; ``best-of-n`` tries every candidate of
rag+lora and keeps the reranker's pick.
"""

from __future__ import annotations

from typing import Any

from .prompts import LEAN

CONDITION_SETTINGS: dict[str, dict[str, Any]] = {
    "base": {"use_rag": False, "use_adapter": False},
    "rag": {"use_rag": True, "use_adapter": False},
    "rag-no-card": {"use_rag": True, "use_adapter": False, "use_card": False},
    "card": {"use_rag": True, "use_adapter": False, **LEAN},
    "lora": {"use_rag": False, "use_adapter": True},
    "rag+lora": {"use_rag": True, "use_adapter": True},
    "card+lora": {"use_rag": True, "use_adapter": True, **LEAN},
    "best-of-n": {"use_rag": True, "use_adapter": True, "exhaustive": True},
}


def condition_settings(condition: str) -> dict[str, Any]:
    """The DraftRequest fields a condition sets (ValueError for an unknown one)."""
    if condition not in CONDITION_SETTINGS:
        raise ValueError(f"unknown condition {condition!r}; known: {', '.join(CONDITION_SETTINGS)}")
    return dict(CONDITION_SETTINGS[condition])
