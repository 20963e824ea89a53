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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported when a batch is built, never on the app's start-up path
    import torch

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

    @property
    def n_prompt(self) -> int:
        """Tokens before the response (they carry no loss)."""
        return next((i for i, x in enumerate(self.labels) if x != IGNORE), len(self.labels))


@dataclass
class SplitBatch:
    """A batch cut where the response begins: the prompt part (run without gradients, its keys and values
    kept) and the response part (the last prompt token and the response, with targets)."""

    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    response_positions: torch.Tensor
    targets: torch.Tensor

    def to(self, device: str) -> SplitBatch:
        """The same batch on ``device``."""
        return SplitBatch(*(t.to(device) for t in vars(self).values()))


def read_examples(path: Path, fields: tuple[str, ...] = ("prompt", "response")) -> list[dict]:
    """Examples from a JSONL file (``fields`` of each line; preference pairs: prompt, chosen, rejected)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                out.append({k: obj[k] for k in fields})
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


def collate_split(batch: list[Encoded], pad_id: int) -> SplitBatch:
    """Right-padded prompt and response parts of ``batch`` (each example needs a prompt of 2+ tokens)."""
    import torch

    width_p = max(e.n_prompt - 1 for e in batch)
    width_r = max(len(e.input_ids) - e.n_prompt for e in batch)
    out = SplitBatch(
        torch.full((len(batch), width_p), pad_id, dtype=torch.long),
        torch.zeros((len(batch), width_p), dtype=torch.long),
        torch.full((len(batch), width_r), pad_id, dtype=torch.long),
        torch.zeros((len(batch), width_r), dtype=torch.long),
        torch.zeros((len(batch), width_r), dtype=torch.long),
        torch.full((len(batch), width_r), IGNORE, dtype=torch.long),
    )
    for i, e in enumerate(batch):
        p, n = e.n_prompt, len(e.input_ids)
        out.prompt_ids[i, : p - 1] = torch.tensor(e.input_ids[: p - 1])
        out.prompt_mask[i, : p - 1] = 1
        out.response_ids[i, : n - p] = torch.tensor(e.input_ids[p - 1 : n - 1])
        out.response_mask[i, : n - p] = 1
        out.response_positions[i] = torch.arange(p - 1, p - 1 + width_r)
        out.targets[i, : n - p] = torch.tensor(e.input_ids[p:n])
    return out


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
