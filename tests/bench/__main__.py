"""`make bench`: docqa against the LangChain tutorial pipeline on SQuAD, plus seed questions.

Prints figures; asserts nothing. Options: ``--questions N`` (default 3000), ``--skip-tutorial``,
``--skip-calibration``, ``--skip-load``, ``--only-load`` (the server load test alone),
``--search-verification`` (re-derive the citation verification settings on tuning claims),
``--only-llm`` (the seed questions with the LLM answerer the DOCQA_LLM__* settings name),
``--only-memory`` (peak memory of `docqa index` per byte of text), ``--only-formats``
(extraction MB/s and peak memory per file format), ``--only-doors`` (the OpenAI-compatible
endpoint's cost over /api/ask), ``--only-intents`` (warm
latency per intent on the seed index), ``--only-startup`` (`docqa ask` and `docqa serve`
as whole processes; `python -m tests.bench.startup --baseline CHECKOUT` beside another version).
With DOCQA_ANSWERER=llm set, the full run measures the LLM answerer on the seed questions too.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from app.cli import read_questions
from app.errors import SourceError
from app.indexing import IndexReport
from app.question.analysis import analyse_question
from app.rerank import make_reranker
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from app.sources.formats import extract
from app.text.instructions import addresses_model
from app.text.sentences import split_sentences
from app.types import Answer, Chunk, Hit
from tests.bench.doors import door_overhead
from tests.bench.formats import format_throughput
from tests.bench.hostile import flat_html, many_page_pdf, nested_html, paragraph_html, wide_tag_html
from tests.bench.intents import intent_latency
from tests.bench.load import run_load
from tests.bench.memory import indexing_memory
from tests.bench.squad import (
    SquadQuestion,
    lead,
    load_squad,
    normalise_answer,
    sample,
    write_corpus,
)
from tests.bench.startup import startup
from tests.bench.verification import claim_cases, report_verification, search_verification

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SQUAD = SHARED / "bench" / "squad" / "dev-v1.1.json"
SEED_QA = SHARED / "eval" / "seed_qa_dev.jsonl"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TUNING_SEED, EVAL_SEED = 7, 2026  # the tuning sample (1,000) is excluded from evaluation


def _covers(start: int, end: int, q: SquadQuestion) -> bool:
    return any(start <= a and b <= end for a, b in q.spans)


def _is_gold(source: str, chunk: Chunk, q: SquadQuestion) -> bool:
    return source.endswith(q.source) and _covers(chunk.start, chunk.end, q)


def _is_gold_doc(document: Document, q: SquadQuestion) -> bool:
    start = document.metadata["start_index"]
    return document.metadata["source"] == q.source and _covers(
        start, start + len(document.page_content), q
    )


def _answer_hit(text: str, q: SquadQuestion) -> bool:
    return _contains(text[:300], q)


def _contains(text: str, q: SquadQuestion) -> bool:
    """Whether a normalised gold answer stands in ``text``."""
    shown = normalise_answer(text)
    return any(normalise_answer(a) in shown for a in q.answers)


def _hits_at(first: list[int | None]) -> dict[int, float]:
    return {k: sum(1 for r in first if r is not None and r < k) / len(first) for k in (1, 5, 10)}


def _percentiles(ms: list[float]) -> str:
    return f"{np.percentile(ms, 50):.1f} / {np.percentile(ms, 95):.1f}"


def _row(
    first: list[int | None],
    answers: int,
    lengths: list[int],
    indexing: tuple[int, int, float],
    latency: str,
) -> dict[str, object]:
    """One pipeline's line of the table; ``indexing`` is (chunks, documents, seconds)."""
    chunks, documents, seconds = indexing
    return {
        "hit": _hits_at(first),
        "answers": f"{answers}/{len(first)}",
        "answer_hit": answers / len(first),
        "answer_len": float(np.mean(lengths)),
        "chunks": chunks,
        "chunks_s": chunks / seconds,
        "docs_s": documents / seconds,
        "latency": latency,
    }


def bench_docqa(corpus: Path, questions: list[SquadQuestion], work: Path) -> dict[str, object]:
    """Index the corpus from scratch and answer every question."""
    service, report = _index_fresh(corpus, work / "docqa-index")
    service.warm()
    first: list[int | None] = []
    reranked: list[int | None] = []
    answers, leads, in_span, with_span, lengths, latency = 0, 0, 0, 0, [], []
    search = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    reranker = make_reranker(service.settings, service.pair_scorer, service.encoder, service.store)
    sources = service.store.sources()

    def gold_rank(hits: Sequence[Hit], q: SquadQuestion) -> int | None:
        return next(
            (r for r, h in enumerate(hits) if _is_gold(sources[h.chunk.doc_id], h.chunk, q)), None
        )

    for q in questions:
        question = analyse_question(q.question)
        hits = search.search(question, 10)
        first.append(gold_rank(hits, q))
        reranked.append(gold_rank(reranker.rerank(question, hits).hits, q))
        started = time.perf_counter()
        answer = service.ask(q.question, record=False)
        latency.append((time.perf_counter() - started) * 1000)
        answers += _answer_hit(answer.answer, q)
        leads += _contains(lead(answer.answer), q)
        if answer.sentences and (span := answer.sentences[0].answer_span):
            with_span += 1
            in_span += _contains(answer.sentences[0].text[span[0] : span[1]], q)
        lengths.append(len(answer.answer))
    row = _row(
        first, answers, lengths,
        (report.chunks, report.documents, report.total_seconds), _percentiles(latency),
    )  # fmt: skip
    n = len(questions)
    row.update(
        reranked=_hits_at(reranked),
        first_sentence=leads / n,
        span_hit=in_span / n,
        with_span=with_span / n,
        in_span=in_span / max(with_span, 1),
    )
    return row


def _index_fresh(corpus: Path, index_dir: Path) -> tuple[DocQA, IndexReport]:
    """A service over a new index of ``corpus``; the report times indexing alone."""
    service = DocQA(_extractive(index_dir))
    service.embeddings.warm()  # type: ignore[union-attr]  # model load is not indexing
    return service, service.index([corpus])


def bench_tutorial(corpus: Path, questions: list[SquadQuestion]) -> dict[str, object]:
    """The reference pipeline on the same corpus and questions."""
    from tests.bench.tutorial import build_tutorial

    built = build_tutorial(corpus)
    first: list[int | None] = []
    answers, best, lengths, latency = 0, 0, [], []
    for q in questions:
        started = time.perf_counter()
        docs = built.store.similarity_search(q.question, k=10)
        latency.append((time.perf_counter() - started) * 1000)
        first.append(next((r for r, d in enumerate(docs) if _is_gold_doc(d, q)), None))
        lead = docs[0].page_content[:300] if docs else ""
        answers += _answer_hit(lead, q)
        best += bool(docs) and _contains(_best_sentence(built.store, q.question, docs[0]), q)
        lengths.append(len(lead))
    row = _row(
        first, answers, lengths,
        (built.chunks, built.documents, built.seconds), _percentiles(latency) + " (search only)",
    )  # fmt: skip
    row["first_sentence"] = best / len(questions)
    return row


def _best_sentence(store: Any, question: str, passage: Document) -> str:
    """The tutorial's best sentence: of its top passage's sentences, the one its own
    embedder finds nearest the question."""
    text = passage.page_content
    sentences = [text[s.start : s.end] for s in split_sentences(text)] or [text]
    embedder = store.embeddings
    q = np.asarray(embedder.embed_query(question))
    vectors = np.asarray(embedder.embed_documents(sentences))
    return sentences[int(np.argmax(vectors @ q))]


def compare_embedders(corpus: Path, questions: list[SquadQuestion], work: Path) -> None:
    """The packaged embedders side by side: indexing speed, question encoding and
    retrieval, hybrid (each with its own measured dense weight) and dense alone."""
    print("\nEmbedders (retrieval before reranking):")
    print(f"  {'':18} {'chunk/s':>8} {'encode ms':>9}  hybrid hit@1/@5  dense hit@1/@5")
    for model in ("all-MiniLM-L6-v2", "bge-small-en-v1.5"):
        settings = _extractive(work / f"embedder-{model}", EmbeddingSettings(model=model))
        assert settings.retrieval.dense_weight is not None
        service = DocQA(settings)
        service.embeddings.warm()  # type: ignore[union-attr]
        report = service.index([corpus])
        sources = service.store.sources()
        encode = []
        found = {}
        for label, weight in (("hybrid", settings.retrieval.dense_weight), ("dense", 1.0)):
            search = HybridRetriever(
                store=service.store, encoder=service.encoder,
                settings=settings.retrieval.model_copy(update={"dense_weight": weight}),
            )  # fmt: skip
            ranks: list[int | None] = []
            for q in questions:
                started = time.perf_counter()
                service.encoder(f"{label} {q.question}")  # uncached: each label is new text
                encode.append((time.perf_counter() - started) * 1000)
                hits = search.search(analyse_question(q.question), 5)
                ranks.append(next((
                    r for r, h in enumerate(hits) if _is_gold(sources[h.chunk.doc_id], h.chunk, q)
                ), None))  # fmt: skip
            found[label] = _hits_at(ranks)
        print(
            f"  {model:18} {report.chunks / report.total_seconds:8.1f} "
            f"{np.percentile(encode, 50):9.1f}  "
            f"{found['hybrid'][1]:.3f} / {found['hybrid'][5]:.3f}    "
            f"{found['dense'][1]:.3f} / {found['dense'][5]:.3f}"
        )


def calibrate_refusal(articles: dict[str, str], questions: list[SquadQuestion], work: Path) -> None:
    """Refusal precision/recall: index half the articles, ask questions about both halves."""
    names = sorted(articles)
    random.Random(11).shuffle(names)
    inside = set(names[:24])
    folder = write_corpus({n: articles[n] for n in inside}, work / "half")
    service = DocQA(_extractive(work / "half-index"))
    service.index([folder])
    refused = [
        (service.ask(q.question, record=False).refused, q.source in inside) for q in questions
    ]
    true_refusals = sum(1 for r, inside_ in refused if r and not inside_)
    all_refusals = sum(1 for r, _ in refused if r)
    unanswerable = sum(1 for _, inside_ in refused if not inside_)
    wrong = sum(1 for r, inside_ in refused if r and inside_)
    print(
        f"\nRefusal on {len(refused)} questions, {unanswerable} about articles not in the index "
        f"(threshold {_threshold(service.settings)}):"
    )
    print(
        f"  precision {true_refusals / max(all_refusals, 1):.3f}  recall "
        f"{true_refusals / max(unanswerable, 1):.3f}  answerable questions refused "
        f"{wrong}/{len(refused) - unanswerable}"
    )


def _threshold(settings: Settings) -> str:
    if settings.rerank.model == "none":
        return f"rerank.no_model_threshold {settings.rerank.no_model_threshold}"
    return f"rerank.min_relevance {settings.rerank.min_relevance}"


def verification(
    work: Path, questions: list[SquadQuestion], held_out: list[SquadQuestion], search: bool
) -> None:
    """Citation verification on SQuAD claims (over the index bench_docqa built)."""
    service = DocQA(_extractive(work / "docqa-index"))
    if search:
        search_verification(service, claim_cases(service, sample(questions, 1000, TUNING_SEED), 1))
    report_verification(service, claim_cases(service, held_out[:1000], 2))


INJECTIONS = SHARED / "bench" / "cyberseceval-prompt-injection" / "prompt_injection.json"


def injection_patterns(articles: dict[str, str]) -> None:
    """How many published attacks the instruction patterns catch, and how many ordinary
    paragraphs (SQuAD, seeds) they flag."""
    attacks = json.loads(INJECTIONS.read_text(encoding="utf-8"))
    print("\nInstructions addressed to a model (passages withheld from the LLM):")
    for kind in ("indirect", "direct"):
        texts = [a["user_input"] for a in attacks if a["injection_type"] == kind]
        caught = sum(map(addresses_model, texts))
        print(f"  CyberSecEval {kind:8} attacks caught {caught}/{len(texts)}")
    paragraphs = [p for text in articles.values() for p in text.split("\n\n")]
    paragraphs += [p for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text().split("\n\n")]
    flagged = sum(map(addresses_model, paragraphs))
    print(f"  ordinary paragraphs flagged {flagged}/{len(paragraphs)} (SQuAD dev and seeds)")


def extraction() -> None:
    """Time text extraction of hostile and ordinary files (median of three runs each)."""
    limits = Settings().sources
    files = {
        "ordinary HTML page, 1 MB": ("a.html", paragraph_html(1_000_000)),
        "10,000 flat <div>, 120 KB": ("a.html", flat_html(10_000)),
        "85,000 flat <div>, 1 MB": ("a.html", flat_html(85_000)),
        "50,000 nested <div>, 550 KB": ("a.html", nested_html(50_000)),
        "one tag, 5,000 attributes": ("a.html", wide_tag_html(5_000)),
        "90,000-page PDF": ("a.pdf", many_page_pdf(90_000)),
        "1,500-page PDF": ("a.pdf", many_page_pdf(1_500)),
    }
    print("\nExtraction (median of 3):")
    for label, (name, data) in files.items():
        times, outcome = [], ""
        for _ in range(3):
            started = time.perf_counter()
            try:
                outcome = f"{len(extract(Path(name).suffix, data, limits).text):,} chars"
            except SourceError as exc:
                outcome = f"skipped: {exc}"
            times.append(time.perf_counter() - started)
        print(f"  {label:30} {len(data) / 1e6:6.2f} MB {float(np.median(times)):7.3f} s  {outcome}")


def _extractive(index_dir: Path, embedding: EmbeddingSettings | None = None) -> Settings:
    """The SQuAD runs measure the default answerer, whatever DOCQA_ANSWERER says."""
    if embedding is None:
        return Settings(index_dir=index_dir, answerer="extractive")
    return Settings(index_dir=index_dir, answerer="extractive", embedding=embedding)


def _passes(item: dict[str, Any], answer: Answer) -> bool:
    text = answer.answer.lower()
    if item.get("unanswerable"):
        return answer.refused
    cited = {Path(c.source).name for c in answer.citations}
    return (
        not answer.refused
        and (not item.get("answer_any") or any(a.lower() in text for a in item["answer_any"]))
        and all(a.lower() in text for a in item.get("answer_all", []))
        and bool(cited & set(item.get("source", [])))
    )


def seed_questions(work: Path, settings: Settings | None = None) -> None:
    """Run the seed development questions and print how many pass.

    With LLM settings, also how many answer sentences pass verification and how often
    the answer fell back to the extractive one.
    """
    settings = settings or _extractive(work / "seed-index")
    service = DocQA(settings)
    service.index([SEEDS])
    passed, lines, answers = 0, [], []
    for line in SEED_QA.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        answer = service.ask(item["question"], record=False)
        answers.append(answer)
        ok = _passes(item, answer)
        passed += ok
        lines.append(f"  {'PASS' if ok else 'FAIL'} {item['id']} {item['question']}")
    print(f"\nSeed development questions ({settings.answerer}): {passed}/{len(lines)} pass")
    print("\n".join(lines))
    if settings.answerer == "llm":
        written = [a for a in answers if a.mode == "llm" and not a.refused]
        sentences = [s for a in written for s in a.sentences]
        supported = sum(s.supported for s in sentences)
        refused = sum(a.mode == "llm" and a.refused for a in answers)
        fell_back = sum(a.mode != "llm" for a in answers)
        print(
            f"  LLM answers: {len(written)} written, {refused} refused, {fell_back} fell back to "
            f"extractive; sentences passing verification {supported}/{len(sentences)}"
            + (f" ({supported / len(sentences):.2f})" if sentences else "")
        )


# The sections that run alone with --only-NAME, and need nothing from the others.
ALONE: dict[str, Callable[[], None]] = {
    "extraction": extraction,
    "memory": indexing_memory,
    "formats": format_throughput,
    "doors": door_overhead,
    "intents": intent_latency,
    "startup": startup,
}


def main() -> None:
    """Run every benchmark and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--skip-tutorial", action="store_true")
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-embedders", action="store_true")
    parser.add_argument("--only-load", action="store_true")
    parser.add_argument("--search-verification", action="store_true")
    parser.add_argument("--only-llm", action="store_true")
    parser.add_argument("--only-squad", action="store_true", help="the SQuAD table alone")
    for name in ALONE:
        parser.add_argument(f"--only-{name}", action="store_true")
    parser.add_argument(
        "--index-rounds", type=int, default=3,
        help="paired indexing measurements of both pipelines (the ratio's median is reported)",
    )  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("transformers", "torch", "root", "bm25s", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    for name, run in ALONE.items():
        if getattr(args, f"only_{name}"):
            run()
            return
    if args.only_load:
        with tempfile.TemporaryDirectory() as tmp:
            run_load(
                SEEDS,
                [q.question for q in read_questions(SEED_QA) if not isinstance(q, Exception)],
                Path(tmp),
            )
        return
    llm = Settings()
    if args.only_llm:
        if llm.answerer != "llm":
            raise SystemExit("--only-llm needs DOCQA_ANSWERER=llm and DOCQA_LLM__* settings.")
        with tempfile.TemporaryDirectory() as tmp:
            seed_questions(Path(tmp), llm.model_copy(update={"index_dir": Path(tmp) / "llm"}))
        return
    articles, questions = load_squad(SQUAD)
    tuning = {q.id for q in sample(questions, 1000, TUNING_SEED)}
    held_out = sample([q for q in questions if q.id not in tuning], args.questions, EVAL_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = write_corpus(articles, work / "squad")
        print(f"SQuAD v1.1 dev: 48 articles, {len(held_out)} held-out questions (seed {EVAL_SEED})")
        rows = {"docqa": bench_docqa(corpus, held_out, work)}
        if not args.skip_tutorial and not args.only_squad:
            rows["tutorial"] = bench_tutorial(corpus, held_out)
        _table(rows)
        if args.only_squad:
            return
        if not args.skip_tutorial and args.index_rounds > 1:
            indexing_rounds(corpus, work, rows, args.index_rounds)
        verification(work, questions, held_out, search=args.search_verification)
        seed_questions(work)
        intent_latency()
        door_overhead()
        injection_patterns(articles)
        extraction()
        format_throughput()
        indexing_memory()
        if llm.answerer == "llm":  # an endpoint is configured: measure the LLM answerer too
            seed_questions(work, llm.model_copy(update={"index_dir": work / "llm-index"}))
        if not args.skip_embedders:
            compare_embedders(corpus, held_out, work)
        if not args.skip_calibration:
            calibrate_refusal(articles, sample(held_out, 1200, 1), work)
        startup()
        if not args.skip_load:
            run_load(
                SEEDS,
                [q.question for q in read_questions(SEED_QA) if not isinstance(q, Exception)],
                work,
            )


def indexing_rounds(
    corpus: Path, work: Path, rows: dict[str, dict[str, object]], rounds: int
) -> None:
    """Index the corpus again with both pipelines, in turn, and print the ratio's median.

    This machine's speed drifts by about 10 % between minutes, so one measurement of
    each pipeline can land either side of a target; pairs in alternating order (the
    first pair is the table's) cancel most of the drift.
    """
    from tests.bench.tutorial import build_tutorial

    def docqa() -> float:
        return _index_fresh(corpus, Path(tempfile.mkdtemp(dir=work)) / "index")[1].total_seconds

    def tutorial() -> float:
        return build_tutorial(corpus).seconds

    ratios = [float(rows["docqa"]["docs_s"]) / float(rows["tutorial"]["docs_s"])]  # type: ignore[arg-type]
    for n in range(1, rounds):
        first, second = (tutorial, docqa) if n % 2 else (docqa, tutorial)
        times = {f: f() for f in (first, second)}
        ratios.append(times[tutorial] / times[docqa])
    print(
        f"indexing ratio in {rounds} paired rounds: "
        + " ".join(f"{r:.2f}x" for r in ratios)
        + f", median {float(np.median(ratios)):.2f}x"
    )


def _table(rows: dict[str, dict[str, object]]) -> None:
    print(
        f"\n{'':10} {'hit@1':>6} {'hit@5':>6} {'hit@10':>6} {'answer':>7} {'len':>5} "
        f"{'chunks':>6} {'chunk/s':>8} {'doc/s':>6}  latency p50/p95 ms"
    )
    for name, r in rows.items():
        hit = r["hit"]
        assert isinstance(hit, dict)
        print(
            f"{name:10} {hit[1]:6.3f} {hit[5]:6.3f} {hit[10]:6.3f} {r['answer_hit']:7.3f} "
            f"{r['answer_len']:5.0f} {r['chunks']:6} {r['chunks_s']:8.1f} {r['docs_s']:6.2f}  "
            f"{r['latency']}"
        )
    print("answers with a gold answer in the lead: " + ", ".join(
        f"{name} {r['answers']}" for name, r in rows.items()
    ))  # fmt: skip
    print("first-sentence hit (gold answer in the text before the first [n]; the tutorial's "
          "best sentence of its top passage): " + ", ".join(
        f"{name} {r['first_sentence']:.3f}" for name, r in rows.items()
    ))  # fmt: skip
    own = rows["docqa"]
    hit = own["reranked"]
    assert isinstance(hit, dict)
    print(
        f"docqa passages after reranking: hit@1 {hit[1]:.3f} hit@5 {hit[5]:.3f} hit@10 "
        f"{hit[10]:.3f}; answer-span hit {own['span_hit']:.3f} (a span on "
        f"{own['with_span']:.2f} of answers, gold inside it on {own['in_span']:.3f} of those)"
    )
    if "tutorial" in rows:
        ratio = float(rows["docqa"]["docs_s"]) / float(rows["tutorial"]["docs_s"])  # type: ignore[arg-type]
        print(f"indexing throughput docqa / tutorial: {ratio:.2f}x (documents per second)")


if __name__ == "__main__":
    main()
