"""Tokenised texts in batches of similar length, padded to each batch's longest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["length_batches", "padded_batches"]


def length_batches(lengths: list[int], size: int, spread: float = 1.5) -> list[list[int]]:
    """Indices of texts in batches of at most ``size``, shortest first.

    Sorting by length and padding each batch only to its own longest item roughly
    doubles throughput over padding everything to one length. A batch also ends before
    a text ``spread`` times longer than its first, so a few long texts among short ones
    (sentences and sentence pairs at answer time) do not pad every row to their length.
    """
    out: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if not out or len(out[-1]) == size or lengths[i] > spread * lengths[out[-1][0]]:
            out.append([])
        out[-1].append(i)
    return out


def padded_batches(
    encodings: Sequence[Any], size: int
) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
    """``(rows, inputs)`` for each batch of ``tokenizers`` encodings: the indices it holds
    and its ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, zero-padded)."""
    lengths = [len(e.ids) for e in encodings]
    for batch in length_batches(lengths, size):
        width = max(lengths[i] for i in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, i in enumerate(batch):
            n = lengths[i]
            ids[row, :n] = encodings[i].ids
            mask[row, :n] = 1
            types[row, :n] = encodings[i].type_ids
        yield batch, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
