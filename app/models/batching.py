"""Tokenised texts in batches of similar length, padded to each batch's longest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["WIDTH_STEP", "WINDOW", "length_batches", "padded_batches", "tokenized_batches"]

# Texts tokenised at a time: memory follows this window, not the number of texts (a 4 MB
# file is 5,000 chunks, whose tokenised forms alone took 150 MB).
WINDOW = 512


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


WIDTH_STEP = 32  # bucketed widths: multiples of this many tokens
BATCH_TOKENS = 2048  # bucketed batches: at most this many tokens (rows times width)


def padded_batches(
    encodings: Sequence[Any], size: int, *, bucketed: bool = False
) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
    """``(rows, inputs)`` for each batch of ``tokenizers`` encodings: the indices it holds
    and its ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, zero-padded).

    ``bucketed``: widths rounded up to a multiple of ``WIDTH_STEP`` and every batch of a
    width padded to the same rows, so a runtime that keeps state per input shape
    (OpenVINO's CPU plugin, 10-30 MB a shape) sees one shape per width, not one per
    batch: indexing a 4 MB file through it grew by 2.9 GB with a shape per batch, by
    160 MB with widths and row counts in powers of two, and by about 35 MB less again
    with rows fixed, at the same speed (rows padded only in the few short batches). A
    wide batch holds fewer rows (``BATCH_TOKENS``): the runtime's working memory follows
    a batch's tokens, and indexing a 12 MB file peaked 50 MB lower, at the same speed.
    """
    lengths = [len(e.ids) for e in encodings]
    for group in length_batches(lengths, size):
        width = max(lengths[i] for i in group)
        if bucketed:
            width = -(-width // WIDTH_STEP) * WIDTH_STEP
        for batch, rows in _rows(group, width, size, bucketed):
            yield batch, _padded(encodings, lengths, batch, rows, width)


def _rows(
    group: list[int], width: int, size: int, bucketed: bool
) -> Iterator[tuple[list[int], int]]:
    """``group`` as batches with the rows each is padded to: as it is, or (``bucketed``)
    split into equal parts of at most ``BATCH_TOKENS`` tokens (rows times width), one
    row count per width."""
    if not bucketed:
        yield group, len(group)
        return
    width = max(width, 1)
    parts = -(-size * width // BATCH_TOKENS)
    rows = max(1, min(-(-size // parts), BATCH_TOKENS // width))
    for start in range(0, len(group), rows):
        yield group[start : start + rows], rows


def _padded(
    encodings: Sequence[Any], lengths: list[int], batch: list[int], rows: int, width: int
) -> dict[str, np.ndarray]:
    """The inputs of one batch, zero-padded to ``rows`` by ``width``."""
    ids = np.zeros((rows, width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    mask[len(batch) :, 0] = 1  # padding rows read one token: their output is dropped
    for row, i in enumerate(batch):
        n = lengths[i]
        ids[row, :n] = encodings[i].ids
        mask[row, :n] = 1
        types[row, :n] = encodings[i].type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def tokenized_batches(
    tokenizer: Any, texts: Sequence[Any], size: int, *, bucketed: bool = False
) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
    """``padded_batches`` of ``texts`` (strings, or pairs for a cross-encoder) tokenised
    ``WINDOW`` at a time; the rows are indices into ``texts``."""
    for start in range(0, len(texts), WINDOW):
        encodings = tokenizer.encode_batch(list(texts[start : start + WINDOW]))
        for batch, inputs in padded_batches(encodings, size, bucketed=bucketed):
            yield [start + i for i in batch], inputs
