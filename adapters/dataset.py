"""Training examples: JSONL of {"prompt": chat-formatted text, "response": the user's text}.

The prompt is rendered by the caller with the same template used at drafting time, so training
and inference see identical text. Loss is computed on the response tokens (and the end-of-turn
marker) only; a prompt that is too long is cut from its left, never the response.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

IGNORE = -100


@dataclass
class Encoded:
    """One tokenized example."""

    input_ids: list[int]
    labels: list[int]

    @property
    def n_target(self) -> int:
        """Tokens that carry loss."""
        return sum(1 for x in self.labels if x != IGNORE)


def read_examples(path: Path) -> list[dict]:
    """Examples from a JSONL file."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                out.append({"prompt": obj["prompt"], "response": obj["response"]})
    return out


def end_of_turn(tokenizer) -> str:
    """The text the chat template puts after an assistant message (e.g. '<|im_end|>\\n')."""
    if tokenizer.chat_template:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "u"}, {"role": "assistant", "content": "XYZXYZ"}], tokenize=False
        )
        tail = text.split("XYZXYZ", 1)[1]
        if tail.strip():
            return tail
    return tokenizer.eos_token or ""


def encode(tokenizer, example: dict, max_length: int, eot: str) -> Encoded:
    """Tokenize one example with loss on the response only."""
    p = tokenizer(example["prompt"], add_special_tokens=False)["input_ids"]
    r = tokenizer(example["response"] + eot, add_special_tokens=False)["input_ids"]
    r = r[: max_length - 8]
    room = max_length - len(r)
    if len(p) > room:
        p = p[len(p) - room :]
    return Encoded(p + r, [IGNORE] * len(p) + r)


def batches(
    items: list[Encoded], batch_size: int, seed: int, epoch: int, shuffle: bool = True
) -> list[list[Encoded]]:
    """Batches of similar length (less padding), order shuffled per epoch."""
    order = list(range(len(items)))
    rng = random.Random(seed * 1000 + epoch)
    if shuffle:
        rng.shuffle(order)
    # sort within windows of 8 batches by length, then shuffle the batches
    window = batch_size * 8
    grouped: list[list[Encoded]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(items[i].input_ids))
        for b in range(0, len(chunk), batch_size):
            grouped.append([items[i] for i in chunk[b : b + batch_size]])
    if shuffle:
        rng.shuffle(grouped)
    return grouped


def collate(batch: list[Encoded], pad_id: int):
    """Right-padded tensors: input_ids, attention_mask, labels."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        mask[i, :n] = 1
        labels[i, :n] = torch.tensor(e.labels)
    return ids, mask, labels
