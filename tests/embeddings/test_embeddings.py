"""The embedding runtimes' names and errors, without loading a model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.embeddings import embedder_id, openvino
from app.errors import ModelUnavailableError
from app.models.batching import length_batches
from app.settings import EmbeddingSettings


def test_each_runtime_has_its_own_embedder_name() -> None:
    names = {
        embedder_id(EmbeddingSettings(runtime=runtime))
        for runtime in ("openvino-int8", "onnx-int8", "onnx-fp32", "torch")
    }
    assert len(names) == 4


def test_the_quantised_models_name_follows_its_calibration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = EmbeddingSettings(runtime="openvino-int8")
    before = embedder_id(settings)
    openvino.quantisation_key.cache_clear()
    openvino.calibration_text.cache_clear()
    monkeypatch.setattr(openvino, "calibration_text", lambda: "Other calibration text.")
    try:
        # Other calibration gives other vectors: an index built before must be rebuilt.
        assert embedder_id(settings) != before
    finally:
        openvino.quantisation_key.cache_clear()


def test_a_missing_runtime_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import fails as if not installed
    with pytest.raises(ModelUnavailableError, match=r"pip install openvino nncf.*onnx-int8"):
        openvino.ensure_openvino_model(tmp_path)
    assert not any(tmp_path.rglob("model.xml"))


def test_batches_group_texts_of_similar_length() -> None:
    # Eight sentences and three sentence pairs: the pairs do not pad the sentences.
    lengths = [20, 41, 19, 22, 40, 21, 18, 42, 20, 23, 19]
    batches = length_batches(lengths, 16)
    assert [sorted(lengths[i] for i in batch) for batch in batches] == [
        [18, 19, 19, 20, 20, 21, 22, 23],
        [40, 41, 42],
    ]
    # Texts of one length fill batches up to their size; every text is in one batch.
    batches = length_batches([30] * 20, 16)
    assert [len(b) for b in batches] == [16, 4]
    assert sorted(i for b in batches for i in b) == list(range(20))
