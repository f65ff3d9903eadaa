"""SQuAD v1.1 dev as one closed corpus: 48 articles, questions with exact gold spans."""

from __future__ import annotations

import json
import random
import re
import string
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SquadQuestion", "load_squad", "normalise_answer", "write_corpus"]


@dataclass(frozen=True)
class SquadQuestion:
    """A question, its article's file name and its gold answers with document offsets."""

    id: str
    question: str
    source: str
    answers: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


def normalise_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


_MARKER = re.compile(r"\[\d+\]")


def lead(answer: str) -> str:
    """An answer's first sentence: its text before the first citation marker ``[n]``.

    Only a numbered marker ends it: a document's own brackets ("[citation needed]",
    "[note 3]", "[when?]") are part of the sentence they stand in.
    """
    return _MARKER.split(answer, maxsplit=1)[0]


def load_squad(path: Path) -> tuple[dict[str, str], list[SquadQuestion]]:
    """Articles as ``{file name: text}`` and every question with its offsets."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles: dict[str, str] = {}
    questions: list[SquadQuestion] = []
    for number, article in enumerate(data):
        name = f"{number:02d}_{article['title'][:40]}.txt"
        offset, parts = 0, []
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(a["text"] for a in qa["answers"])
                spans = tuple(
                    (offset + a["answer_start"], offset + a["answer_start"] + len(a["text"]))
                    for a in qa["answers"]
                )
                questions.append(SquadQuestion(qa["id"], qa["question"], name, answers, spans))
            parts.append(paragraph["context"])
            offset += len(paragraph["context"]) + 2
        articles[name] = "\n\n".join(parts)
    return articles, questions


def write_corpus(articles: dict[str, str], folder: Path) -> Path:
    """Write each article as a UTF-8 text file; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def sample(questions: list[SquadQuestion], n: int, seed: int) -> list[SquadQuestion]:
    """A fixed random sample (the same ``seed`` gives the same questions)."""
    rng = random.Random(seed)
    return rng.sample(questions, min(n, len(questions)))
