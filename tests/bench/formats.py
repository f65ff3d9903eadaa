"""Extraction throughput and peak memory per file format (``--only-formats``).

Each format gets a file of ordinary prose of a few megabytes, written by the library
people write that format with (the test suite's writers, ``tests/support/files.py``). It
is extracted three times untraced for the median speed (megabytes of file, and of the
text it holds, per second), then once traced for the peak memory Python allocated.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

from app.settings import SourceSettings
from app.sources.formats import extract

__all__ = ["format_throughput"]

_SENTENCE = (
    "The council met on Tuesday to discuss the new harbour wall, which engineers say will "
    "protect the old town from the winter storms for another fifty years."
)


def _files(folder: Path) -> dict[str, tuple[str, Callable[[], bytes]]]:
    from tests.bench.hostile import many_page_pdf, paragraph_html
    from tests.bench.memory import article
    from tests.support.files import docx, email, epub, odt, pptx

    # Generated prose (no two paragraphs alike, so the zip formats compress as usual).
    many = [p.strip() for p in article(3.5).split("\n\n") if p.strip()]
    paragraph = " ".join(many[:4])
    return {
        "text": (".txt", lambda: "\n\n".join(many).encode()),
        "Markdown": (".md", lambda: ("# Harbour\n\n" + "\n\n".join(many)).encode()),
        "HTML": (".html", lambda: paragraph_html(3_500_000)),
        "PDF (1,500 pages)": (".pdf", lambda: many_page_pdf(1_500, _SENTENCE)),
        "DOCX": (".docx", lambda: docx(many, title="Harbour")),
        "PPTX (600 slides)": (".pptx", lambda: pptx(many[:600])),
        "ODT": (".odt", lambda: odt("Harbour", many)),
        "EPUB (60 chapters)": (
            ".epub",
            lambda: epub(["</p><p>".join(many[n::60]) for n in range(60)]),
        ),
        "e-mail": (".eml", lambda: email("Harbour", "\n\n".join(many))),
        "mailbox message": (".eml", lambda: _first_message(folder, paragraph)),
    }


def _first_message(folder: Path, paragraph: str) -> bytes:
    from app.sources.mail import split_mbox
    from tests.support.files import email, mbox

    box = mbox(folder, [email(f"Report {n}", paragraph * 20) for n in range(2_000)])
    start, end = split_mbox(box)[0]
    return box[start:end]


def format_throughput(rounds: int = 3) -> None:
    """Print MB/s and peak memory of extraction for each format."""
    limits = SourceSettings()
    print("\nExtraction per format (median of 3; peak = Python's allocations while extracting):")
    print(f"  {'format':20} {'file MB':>8} {'text MB':>8} {'file MB/s':>9} {'text MB/s':>9} "
          f"{'peak MB':>8}")  # fmt: skip
    with TemporaryDirectory() as tmp:
        for label, (suffix, make) in _files(Path(tmp)).items():
            data = make()
            seconds, text = [], 0
            for _ in range(rounds):  # timed without tracing, which slows allocation 3-4x
                started = time.perf_counter()
                text = len(extract(suffix, data, limits).text)
                seconds.append(time.perf_counter() - started)
            tracemalloc.start()
            extract(suffix, data, limits)
            peaks = [tracemalloc.get_traced_memory()[1]]
            tracemalloc.stop()
            size = len(data) / 1e6
            took = statistics.median(seconds)
            peak = max(peaks) / 1e6
            print(f"  {label:20} {size:8.2f} {text / 1e6:8.2f} {size / took:9.1f} "
                  f"{text / 1e6 / took:9.1f} {peak:8.1f}")  # fmt: skip


if __name__ == "__main__":
    format_throughput()
