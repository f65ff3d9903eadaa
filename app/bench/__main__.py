"""`make bench`: docqa against the LangChain tutorial pipeline on SQuAD, plus seed questions.

Prints figures; asserts nothing. Options: ``--questions N`` (default 3000), ``--skip-tutorial``,
``--skip-calibration``, ``--skip-load``, ``--only-load`` (the server load test alone),
``--search-verification`` (re-derive the citation verification settings on tuning claims),
``--only-llm`` (the seed questions with the LLM answerer the DOCQA_LLM_* settings name).
With DOCQA_ANSWERER=llm set, the full run measures the LLM answerer on the seed questions too.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from app.bench.hostile import flat_html, many_page_pdf, nested_html, paragraph_html, wide_tag_html
from app.bench.load import run_load
from app.bench.squad import SquadQuestion, load_squad, normalise_answer, sample, write_corpus
from app.bench.verification import claim_cases, report_verification, search_verification
from app.cli import read_questions
from app.errors import SourceError
from app.indexing import IndexReport
from app.question.analysis import analyse_question
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import Settings
from app.sources.formats import extract
from app.text.instructions import addresses_model
from app.types import Answer, Chunk

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
    lead = normalise_answer(text[:300])
    return any(normalise_answer(a) in lead for a in q.answers)


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
    answers, lengths, latency = 0, [], []
    search = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    sources = {i: d.source for i, d in enumerate(service.store.manifest.documents)}
    for q in questions:
        hits = search.search(analyse_question(q.question), 10)
        first.append(
            next(
                (r for r, h in enumerate(hits) if _is_gold(sources[h.chunk.doc_id], h.chunk, q)),
                None,
            )
        )
        started = time.perf_counter()
        answer = service.ask(q.question)
        latency.append((time.perf_counter() - started) * 1000)
        answers += _answer_hit(answer.answer, q)
        lengths.append(len(answer.answer))
    return _row(
        first, answers, lengths,
        (report.chunks, report.documents, report.total_seconds), _percentiles(latency),
    )  # fmt: skip


def _index_fresh(corpus: Path, index_dir: Path) -> tuple[DocQA, IndexReport]:
    """A service over a new index of ``corpus``; the report times indexing alone."""
    service = DocQA(_extractive(index_dir))
    service.embeddings.warm()  # type: ignore[attr-defined]  # model load is not indexing
    return service, service.index([corpus])


def bench_tutorial(corpus: Path, questions: list[SquadQuestion]) -> dict[str, object]:
    """The reference pipeline on the same corpus and questions."""
    from app.bench.tutorial import build_tutorial

    built = build_tutorial(corpus)
    first: list[int | None] = []
    answers, lengths, latency = 0, [], []
    for q in questions:
        started = time.perf_counter()
        docs = built.store.similarity_search(q.question, k=10)
        latency.append((time.perf_counter() - started) * 1000)
        first.append(next((r for r, d in enumerate(docs) if _is_gold_doc(d, q)), None))
        lead = docs[0].page_content[:300] if docs else ""
        answers += _answer_hit(lead, q)
        lengths.append(len(lead))
    return _row(
        first, answers, lengths,
        (built.chunks, built.documents, built.seconds), _percentiles(latency) + " (search only)",
    )  # fmt: skip


def calibrate_refusal(articles: dict[str, str], questions: list[SquadQuestion], work: Path) -> None:
    """Refusal precision/recall: index half the articles, ask questions about both halves."""
    names = sorted(articles)
    random.Random(11).shuffle(names)
    inside = set(names[:24])
    folder = write_corpus({n: articles[n] for n in inside}, work / "half")
    service = DocQA(_extractive(work / "half-index"))
    service.index([folder])
    refused = [(service.ask(q.question).refused, q.source in inside) for q in questions]
    true_refusals = sum(1 for r, inside_ in refused if r and not inside_)
    all_refusals = sum(1 for r, _ in refused if r)
    unanswerable = sum(1 for _, inside_ in refused if not inside_)
    wrong = sum(1 for r, inside_ in refused if r and inside_)
    print(
        f"\nRefusal on {len(refused)} questions, {unanswerable} about articles not in the index "
        f"(threshold {service.settings.answer.min_score}):"
    )
    print(
        f"  precision {true_refusals / max(all_refusals, 1):.3f}  recall "
        f"{true_refusals / max(unanswerable, 1):.3f}  answerable questions refused "
        f"{wrong}/{len(refused) - unanswerable}"
    )


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
    limit = Settings().sources.max_pdf_pages
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
                outcome = f"{len(extract(Path(name), data, max_pdf_pages=limit).text):,} chars"
            except SourceError as exc:
                outcome = f"skipped: {exc}"
            times.append(time.perf_counter() - started)
        print(f"  {label:30} {len(data) / 1e6:6.2f} MB {float(np.median(times)):7.3f} s  {outcome}")


def _extractive(index_dir: Path) -> Settings:
    """The SQuAD runs measure the default answerer, whatever DOCQA_ANSWERER says."""
    return Settings(index_dir=index_dir, answerer="extractive")


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
        answer = service.ask(item["question"])
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


def main() -> None:
    """Run every benchmark and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m app.bench")
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--skip-tutorial", action="store_true")
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--only-load", action="store_true")
    parser.add_argument("--search-verification", action="store_true")
    parser.add_argument("--only-llm", action="store_true")
    parser.add_argument("--only-extraction", action="store_true")
    parser.add_argument(
        "--index-rounds", type=int, default=3,
        help="paired indexing measurements of both pipelines (the ratio's median is reported)",
    )  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("transformers", "torch", "root", "bm25s", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if args.only_extraction:
        extraction()
        return
    if args.only_load:
        with tempfile.TemporaryDirectory() as tmp:
            run_load(SEEDS, [q for q in read_questions(SEED_QA) if isinstance(q, str)], Path(tmp))
        return
    llm = Settings()
    if args.only_llm:
        if llm.answerer != "llm":
            raise SystemExit("--only-llm needs DOCQA_ANSWERER=llm and DOCQA_LLM_* settings.")
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
        if not args.skip_tutorial:
            rows["tutorial"] = bench_tutorial(corpus, held_out)
        _table(rows)
        if not args.skip_tutorial and args.index_rounds > 1:
            indexing_rounds(corpus, work, rows, args.index_rounds)
        verification(work, questions, held_out, search=args.search_verification)
        seed_questions(work)
        injection_patterns(articles)
        extraction()
        if llm.answerer == "llm":  # an endpoint is configured: measure the LLM answerer too
            seed_questions(work, llm.model_copy(update={"index_dir": work / "llm-index"}))
        if not args.skip_calibration:
            calibrate_refusal(articles, sample(held_out, 1200, 1), work)
        if not args.skip_load:
            run_load(SEEDS, [q for q in read_questions(SEED_QA) if isinstance(q, str)], work)


def indexing_rounds(
    corpus: Path, work: Path, rows: dict[str, dict[str, object]], rounds: int
) -> None:
    """Index the corpus again with both pipelines, in turn, and print the ratio's median.

    This machine's speed drifts by about 10 % between minutes, so one measurement of
    each pipeline can land either side of a target; pairs in alternating order (the
    first pair is the table's) cancel most of the drift.
    """
    from app.bench.tutorial import build_tutorial

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
    if "tutorial" in rows:
        ratio = float(rows["docqa"]["docs_s"]) / float(rows["tutorial"]["docs_s"])  # type: ignore[arg-type]
        print(f"indexing throughput docqa / tutorial: {ratio:.2f}x (documents per second)")


if __name__ == "__main__":
    main()
