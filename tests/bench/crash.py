"""`make bench-crash`: SIGKILL `docqa index` at random moments, then check the index.

A corpus of generated articles is indexed once; then, round after round, a few articles
are added, changed or removed and `docqa index` is started and killed. The moment of
each kill is drawn from the run's own phases, measured first by watching the index
folder (when the staging folder appears, when ``CURRENT`` moves): most kills land in
the write phase, the rest anywhere from start-up to the end. After each kill the live
index must open whole (every file checked against its manifest) and hold exactly the
documents of the run before or of the run killed, never a mixture. At the end one
uninterrupted run must leave no temporary bytes and equal a clean build of the files.

Prints kills tried, kills survived, the temporary bytes left after each kill (the next
build removes them) and after the final run.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.errors import DocQAError
from app.store.local import IndexStore, live_version

_WORDS = [
    "harbour", "council", "river", "bridge", "winter", "storm", "engineers", "ferry", "school",
    "market", "station", "road", "minister", "village", "mill", "lighthouse", "farmers",
    "museum", "festival", "archive", "railway", "court", "hospital",
]  # fmt: skip


def article(rng: random.Random, number: int) -> str:
    """A dated article of a few paragraphs of generated sentences."""
    paragraphs = []
    for _ in range(rng.randint(3, 6)):
        sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(3, 6))
        ]
        paragraphs.append(" ".join(sentences))
    return f"date 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} Report {number}. " + "\n\n".join(
        paragraphs
    )


def _documents(root: Path) -> frozenset[tuple[str, str, int]]:
    """The live version's documents with their chunk counts (opening checks every file)."""
    store = IndexStore.open(root)
    try:
        return frozenset((d.source, d.sha256, d.chunks) for d in store.manifest.documents)
    finally:
        store.close()


def _sources(documents: frozenset[tuple[str, str, int]]) -> frozenset[tuple[str, str]]:
    return frozenset((source, sha) for source, sha, _ in documents)


def _expected(corpus: Path) -> frozenset[tuple[str, str]]:
    import hashlib

    return frozenset(
        (f"{corpus.name}/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(corpus.glob("*.txt"))
    )


def _leftovers(root: Path) -> tuple[int, int]:
    """Bytes and folders of staging folders and versions other than the live one."""
    try:
        live = live_version(root).name
    except DocQAError:
        live = ""
    folders = [
        d
        for d in root.iterdir()
        if d.is_dir() and d.name != live and d.name.startswith((".tmp-", "v-"))
    ]
    return sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file()), len(folders)


def _mutate(corpus: Path, rng: random.Random, counter: list[int]) -> None:
    files = sorted(corpus.glob("*.txt"))
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(("add", "change", "remove")) if len(files) > 20 else "add"
        if action == "add":
            counter[0] += 1
            (corpus / f"a{counter[0]:05d}.txt").write_text(article(rng, counter[0]), "utf-8")
        elif action == "change":
            path = rng.choice(files)
            path.write_text(article(rng, counter[0]) + f" Revised {rng.random()}.", "utf-8")
        else:
            path = rng.choice(files)
            path.unlink()
            files.remove(path)


def _command(root: Path, corpus: Path) -> list[str]:
    docqa = Path(sys.executable).parent / "docqa"
    return [str(docqa), "index", "--index-dir", str(root), str(corpus)]


def _start(root: Path, corpus: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _command(root, corpus), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _phases(root: Path, corpus: Path, rng: random.Random, counter: list[int]) -> tuple[float, ...]:
    """(write phase start, end) in seconds after the process starts, watched from outside."""
    starts, ends = [], []
    for _ in range(2):
        _mutate(corpus, rng, counter)
        before = (root / "CURRENT").stat().st_mtime_ns
        began = time.monotonic()
        process = _start(root, corpus)
        staged = None
        while process.poll() is None:
            if staged is None and any(p.name.startswith(".tmp-") for p in root.iterdir()):
                staged = time.monotonic() - began
            time.sleep(0.002)
        finished = time.monotonic() - began
        if (root / "CURRENT").stat().st_mtime_ns == before:
            raise SystemExit("calibration run did not publish a version")
        starts.append(staged if staged is not None else finished * 0.9)
        ends.append(finished)
    return statistics.median(starts), statistics.median(ends)


def main() -> int:
    """Run the kill rounds and print the figures; exit 1 if any kill was not survived."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.crash")
    parser.add_argument("--kills", type=int, default=110)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env_clean = {k for k in os.environ if k.startswith("DOCQA_INDEX")}
    for key in env_clean:
        del os.environ[key]
    with tempfile.TemporaryDirectory() as tmp:
        corpus, root = Path(tmp) / "articles", Path(tmp) / "index"
        corpus.mkdir()
        counter = [0]
        for _ in range(args.articles):
            counter[0] += 1
            (corpus / f"a{counter[0]:05d}.txt").write_text(article(rng, counter[0]), "utf-8")
        subprocess.run(_command(root, corpus), check=True, capture_output=True)
        write_start, end = _phases(root, corpus, rng, counter)
        print(
            f"one run: {end:.2f} s; the write phase from {write_start:.2f} s "
            f"({args.articles}+ articles, 1-3 changed per run)"
        )
        survived, finished_first, in_write, leftovers = 0, 0, 0, []
        for n in range(args.kills):
            previous = _documents(root)
            _mutate(corpus, rng, counter)
            target = _expected(corpus)
            in_phase = rng.random() < 0.7
            delay = rng.uniform(write_start, end) if in_phase else rng.uniform(0, end * 1.05)
            in_write += in_phase or delay >= write_start
            process = _start(root, corpus)
            time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            else:
                finished_first += 1
            process.wait()
            try:
                now = _sources(_documents(root))
                whole = now in (_sources(previous), target)
            except DocQAError as exc:
                print(f"  kill {n + 1}: the index did not open: {exc}")
                whole = False
            if not whole:
                print(f"  kill {n + 1} at {delay:.2f} s: the index holds neither version")
            survived += whole
            leftovers.append(_leftovers(root))
        subprocess.run(_command(root, corpus), check=True, capture_output=True)
        final_left = _leftovers(root)[0]
        clean = Path(tmp) / "clean"
        subprocess.run(_command(clean, corpus), check=True, capture_output=True)
        same = _documents(root) == _documents(clean) and _sources(_documents(root)) == _expected(
            corpus
        )
        print(
            f"kills tried {args.kills}, survived {survived} ({in_write} aimed at or after the "
            f"write phase, {finished_first} finished before the signal)"
        )
        left = [b for b, _ in leftovers]
        print(
            f"temporary bytes after a kill: max {max(left):,} in at most "
            f"{max(n for _, n in leftovers)} folder(s), median {int(statistics.median(left)):,}; "
            f"after the final run {final_left:,}"
        )
        print(f"final index equals a clean build of the same files: {same}")
        return 0 if survived == args.kills and final_left == 0 and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
