"""Batches of tokenised texts: similar lengths together, and few input shapes when a
runtime keeps state per shape."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.batching import BATCH_TOKENS, WIDTH_STEP, padded_batches


@dataclass
class Encoding:
    ids: list[int]
    type_ids: list[int]


def encodings(lengths: list[int]) -> list[Encoding]:
    return [Encoding(list(range(1, n + 1)), [0] * n) for n in lengths]


def test_bucketed_batches_have_one_shape_per_width_and_keep_every_text() -> None:
    lengths = [5, 7, 9, 40, 41, 90, 3, 33, 70, 12, 200]
    batches = list(padded_batches(encodings(lengths), 4, bucketed=True))
    assert sorted(i for rows, _ in batches for i in rows) == list(range(len(lengths)))
    for rows, inputs in batches:
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        assert ids.shape[0] == 4  # every batch padded to the full size
        assert ids.shape[1] % WIDTH_STEP == 0
        for row, i in enumerate(rows):
            assert ids[row, : lengths[i]].tolist() == list(range(1, lengths[i] + 1))
            assert mask[row].sum() == lengths[i]
        assert (mask[len(rows) :, 0] == 1).all()  # padding rows read one token
    shapes = {inputs["input_ids"].shape for _, inputs in batches}
    widths = {-(-n // WIDTH_STEP) * WIDTH_STEP for n in lengths}
    assert len(shapes) <= len(widths)


def test_plain_batches_pad_only_to_their_longest_text() -> None:
    batches = list(padded_batches(encodings([3, 4, 30]), 4))
    assert [inputs["input_ids"].shape for _, inputs in batches] == [(2, 4), (1, 30)]


def test_wide_bucketed_batches_hold_fewer_rows_one_row_count_per_width() -> None:
    # A runtime's working memory follows the batch's tokens: wide batches hold fewer rows.
    lengths = [n % 250 + 3 for n in range(0, 2000, 7)]
    batches = list(padded_batches(encodings(lengths), 16, bucketed=True))
    assert sorted(i for rows, _ in batches for i in rows) == list(range(len(lengths)))
    rows_per_width: dict[int, set[int]] = {}
    for rows, inputs in batches:
        height, width = inputs["input_ids"].shape
        assert height * width <= BATCH_TOKENS
        rows_per_width.setdefault(width, set()).add(height)
        for row, i in enumerate(rows):
            assert inputs["attention_mask"][row].sum() == lengths[i]
    assert all(len(heights) == 1 for heights in rows_per_width.values())
    assert rows_per_width[32] == {16}
    assert rows_per_width[256] == {BATCH_TOKENS // 256}


def test_a_larger_batch_size_still_keeps_each_batch_within_its_tokens() -> None:
    lengths = [n % 190 + 3 for n in range(0, 3000, 11)]
    for size in (32, 64):
        for _, inputs in padded_batches(encodings(lengths), size, bucketed=True):
            height, width = inputs["input_ids"].shape
            assert height * width <= BATCH_TOKENS
