"""End to end with the real packaged model on the seed articles (marker: model)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.embeddings import make_embeddings
from app.errors import IndexMismatchError
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from tests.conftest import SEEDS

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    ("question", "expected", "source"),
    [
        (
            "What did Pakistan's defense minister write on X?",
            "open war",
            "000_fce48783007ea49c.txt",
        ),
        ("On what date did Pakistani jets bomb Kabul and Kandahar?", "February 27", None),
        ("Who is Khalid Sultan?", "Islamabad-based analyst", "002_6192c1f42f175e62.txt"),
    ],
)
def test_seed_questions_are_answered_with_exact_citations(
    seeded: DocQA, question: str, expected: str, source: str | None
) -> None:
    answer = seeded.ask(question)
    assert not answer.refused
    assert expected in answer.answer
    assert len(answer.answer) <= 2 * seeded.settings.answer.max_chars
    if source:
        assert answer.citations[0].source == f"seeds/{source}"
    for citation in answer.citations:
        document = seeded.store.document(citation.doc_id)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote
        assert citation.date in {"2026-03-03", "2026-02-28"}


def test_question_about_something_absent_is_refused(seeded: DocQA) -> None:
    answer = seeded.ask("What is the capital of France?")
    assert answer.refused
    assert not answer.citations
    assert answer.closest


def test_index_built_with_another_model_is_refused(seeded: DocQA) -> None:
    other = Settings(
        index_dir=seeded.settings.index_dir, embedding=EmbeddingSettings(runtime="torch")
    )
    with pytest.raises(IndexMismatchError, match="openvino-int8"):
        DocQA(other).ask("Who is Khalid Sultan?")


TEXTS = [p.read_text(encoding="utf-8")[:700] for p in sorted(SEEDS.glob("*.txt"))] + [
    "Who is Khalid Sultan?",
    "open war",
    "Analysts said the border clashes were the worst in years.",
]


def test_exported_models_match_sentence_transformers() -> None:
    reference = make_embeddings(EmbeddingSettings(runtime="torch")).encode(TEXTS)
    fp32 = make_embeddings(EmbeddingSettings(runtime="onnx-fp32")).encode(TEXTS)
    assert np.min(np.sum(reference * fp32, axis=1)) > 0.9999
    for runtime in ("onnx-int8", "openvino-int8"):
        int8 = make_embeddings(EmbeddingSettings(runtime=runtime)).encode(TEXTS)
        assert np.min(np.sum(reference * int8, axis=1)) > 0.97, runtime


def test_static_int8_vectors_do_not_depend_on_their_batch() -> None:
    embeddings = make_embeddings(EmbeddingSettings(runtime="openvino-int8"))
    alone = np.stack([embeddings.encode([text])[0] for text in TEXTS])
    together = embeddings.encode(TEXTS)
    # Dynamic quantisation scales each batch by its own range (cosine ~0.99 here);
    # calibrated scales make a text's vector the same whatever it is batched with.
    assert np.min(np.sum(alone * together, axis=1)) > 0.99999


def test_concurrent_questions_get_the_same_vectors() -> None:
    embeddings = make_embeddings(EmbeddingSettings(runtime="openvino-int8"))
    expected = embeddings.encode(TEXTS)
    # Serving threads share one model; each call must get its own inference state.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: embeddings.encode(TEXTS), range(8)))
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-5)
