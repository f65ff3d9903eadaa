"""Peak memory of `docqa index` against the size of the text it indexes.

Each size is indexed in a fresh process (a generated article of that many megabytes,
the default embedder), whose peak resident memory is read back. A process that indexes
a small file gives the baseline (the models and their working memory); the figure per
byte is what a larger file adds above it, and the slope between the two largest files
is what one more byte of text costs. The embedding runtime keeps working memory for each
input width it has run (up to the batch's tokens); a 10 KB file runs few widths, a file
of 1 MB or more all of them, so the figure above the 1 MB file is the text's own cost.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["indexing_memory"]

_WORDS = [
    "the", "council", "harbour", "approved", "budget", "engineers", "river", "flood", "levee",
    "minister", "border", "talks", "ceasefire", "report", "officials", "said", "week", "attack",
    "village", "market", "school", "bridge", "storm", "ferry",
]  # fmt: skip


def article(megabytes: float, seed: int = 1) -> str:
    """A dated article of ``megabytes`` of generated sentences in paragraphs."""
    rng = random.Random(seed)
    parts, size = ["date 2026-01-01 "], 0
    while size < megabytes * 1_000_000:
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 24))).capitalize()
        parts.append(sentence + (". " if rng.random() > 0.1 else ".\n\n"))
        size += len(sentence) + 2
    return "".join(parts)


def _peak(folder: Path, index_dir: Path) -> float:
    """The peak resident memory (MB) of a fresh process indexing ``folder``."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app.service import DocQA\n"
        "from app.settings import Settings\n"
        "DocQA(Settings(index_dir=Path(sys.argv[2]))).index([Path(sys.argv[1])])\n"
        # VmHWM is this process image's own peak; ru_maxrss keeps the parent's peak
        # across fork and exec, so a child of a large benchmark would report the parent.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "print(hwm[0].split()[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(index_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def indexing_memory(sizes: tuple[float, ...] = (0.01, 1.0, 4.0, 12.0), rounds: int = 3) -> None:
    """Print peak memory per size (the median of ``rounds`` fresh processes: the runtime's
    working buffers vary by tens of MB from run to run), per byte above the baseline, and
    the slope."""
    print(f"\nIndexing memory (fresh process per file, default embedder, median of {rounds}):")
    peaks: dict[float, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / f"docs-{size}"
            folder.mkdir()
            (folder / "article.txt").write_text(article(size), encoding="utf-8")
            runs = [_peak(folder, Path(tmp) / f"index-{size}-{n}") for n in range(rounds)]
            peaks[size] = sorted(runs)[len(runs) // 2]
    base_size, *rest = sizes
    base = peaks[base_size]
    print(f"  baseline ({base_size * 1000:.0f} KB file): {base:,.0f} MB peak")
    # A file of 1 MB or more runs the embedder at every input width a larger one does:
    # above it, what remains grows with the text alone.
    warm = next((size for size in rest if size >= 1.0 and size < rest[-1]), None)
    for size in rest:
        per_byte = (peaks[size] - base) / size
        line = (f"  {size:5.1f} MB file: {peaks[size]:,.0f} MB peak, {per_byte:.1f} bytes per "
                "byte above the baseline")  # fmt: skip
        if warm is not None and size > warm:
            above = (peaks[size] - peaks[warm]) / (size - warm)
            line += f", {above:.1f} above the {warm:g} MB file (every input width in use)"
        print(line)
    if len(rest) >= 2:
        small, large = rest[-2], rest[-1]
        slope = (peaks[large] - peaks[small]) / (large - small)
        print(f"  each further byte of text costs {slope:.1f} bytes (target: at most 10)")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    indexing_memory()
