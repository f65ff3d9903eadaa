"""The index on disk: FAISS vectors, BM25, SQLite for text and metadata, a JSON manifest.

Layout under the index folder::

    CURRENT            name of the live version folder (replaced atomically)
    v-<stamp>/         manifest.json, docs.sqlite, dense.faiss, bm25/
    .lock              held while a build writes

A build writes a complete new version folder, then swaps ``CURRENT``; a crash at
any point leaves the previous version live. Nothing is ever unpickled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from app.schema import Chunk, SourceDocument
from app.store.bm25 import LexicalIndex

__all__ = ["FORMAT_VERSION", "IndexStore", "Manifest", "StoredDocument", "write_index"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_CURRENT = "CURRENT"
_SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, title TEXT, date TEXT,
    sha256 TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
"""


@dataclass(frozen=True)
class StoredDocument:
    """A document's manifest entry."""

    source: str
    sha256: str
    title: str | None
    date: str | None
    chunks: int


@dataclass(frozen=True)
class Manifest:
    """What an index was built with, so a mismatched reader can refuse it."""

    embedder: str
    dimension: int
    chunking: dict[str, int]
    documents: list[StoredDocument]
    chunks: int
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def to_json(self) -> str:
        """Serialise for manifest.json."""
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse manifest.json."""
        data = json.loads(text)
        data["documents"] = [StoredDocument(**d) for d in data["documents"]]
        return cls(**data)


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the index folder's write lock; a second concurrent build waits."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def write_index(
    root: Path,
    manifest: Manifest,
    documents: Sequence[SourceDocument],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
) -> Path:
    """Write a complete index version and make it live atomically; returns its folder.

    ``chunks[i]`` must have id ``i`` and ``vectors[i]`` its embedding; ``chunk.doc_id``
    indexes ``documents``. The caller holds ``build_lock``.
    """
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        _write_version(staging, manifest, documents, chunks, vectors)
        _fsync_tree(staging)
        version = root / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{staging.name[5:]}"
        os.rename(staging, version)
        pointer = root / f".{_CURRENT}.tmp"
        pointer.write_text(version.name + "\n", encoding="utf-8")
        with pointer.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer, root / _CURRENT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_stale(root, keep={version.name})
    return version


def _write_version(
    folder: Path,
    manifest: Manifest,
    documents: Sequence[SourceDocument],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
) -> None:
    with contextlib.closing(sqlite3.connect(folder / "docs.sqlite")) as db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
            ((i, d.source, d.title, d.date, d.sha256, d.text) for i, d in enumerate(documents)),
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            ((c.id, c.doc_id, c.start, c.end, json.dumps(c.sentences)) for c in chunks),
        )
        db.commit()
    dense = faiss.IndexFlatIP(manifest.dimension)
    if len(vectors):
        dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(dense, str(folder / "dense.faiss"))
    (folder / "bm25").mkdir()
    LexicalIndex.build([c.text for c in chunks]).save(folder / "bm25")
    # The manifest goes last: a version folder without one is never trusted.
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Delete unfinished builds and versions other than ``keep`` (open readers keep their data)."""
    for path in root.iterdir():
        if path.is_dir() and path.name not in keep and path.name.startswith(("v-", ".tmp-")):
            shutil.rmtree(path, ignore_errors=True)


def live_version(root: Path) -> Path:
    """The folder ``CURRENT`` points at, or ``IndexNotFoundError``."""
    pointer = root / _CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(
            f"No index found in {root}. Build one with `docqa index PATH` "
            f"(or `docqa index --index-dir {root} PATH`)."
        )
    version = root / pointer.read_text(encoding="utf-8").strip()
    if not (version / "manifest.json").is_file():
        raise IndexCorruptError(
            f"The index in {root} is incomplete ({version.name} has no manifest). "
            "Rebuild it with `docqa index PATH`."
        )
    return version


KEY_LENGTH = 16


def document_key(sha256: str) -> str:
    """A document's public id: the start of its content hash, stable across rebuilds."""
    return sha256[:KEY_LENGTH]


def read_manifest(root: Path) -> Manifest:
    """The live version's manifest."""
    path = live_version(root) / "manifest.json"
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(
            f"The index manifest {path} is unreadable ({exc}). Rebuild with `docqa index PATH`."
        ) from exc


class IndexStore:
    """A loaded, read-only index version: vectors, BM25 and an SQLite handle for text."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        try:
            self.dense = faiss.read_index(str(folder / "dense.faiss"))
            self.lexical = LexicalIndex.load(folder / "bm25")
            uri = f"file:{folder / 'docs.sqlite'}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db_lock = threading.Lock()  # one handle, shared by the server's threads
        except (RuntimeError, OSError, ValueError, sqlite3.Error) as exc:
            raise IndexCorruptError(
                f"The index in {folder} is damaged ({exc}). Rebuild it with `docqa index PATH`."
            ) from exc
        if self.dense.ntotal != manifest.chunks:
            raise IndexCorruptError(
                f"The index in {folder} holds {self.dense.ntotal} vectors for "
                f"{manifest.chunks} chunks. Rebuild it with `docqa index PATH`."
            )

    @classmethod
    def open(cls, root: Path, embedder: str | None = None) -> IndexStore:
        """Load the live index; refuse one built with another embedder than ``embedder``."""
        manifest = read_manifest(root)
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {root} has format {manifest.format_version}; this docqa reads "
                f"format {FORMAT_VERSION}. Rebuild it with `docqa index --rebuild PATH`."
            )
        if embedder is not None and manifest.embedder != embedder:
            raise IndexMismatchError(
                f"The index in {root} was built with the embedder '{manifest.embedder}', but the "
                f"settings ask for '{embedder}'. Rebuild it with `docqa index --rebuild PATH`, "
                "or set DOCQA_EMBEDDING__RUNTIME to match the index."
            )
        return cls(live_version(root), manifest)

    def close(self) -> None:
        """Release the SQLite handle."""
        self._db.close()

    @property
    def size(self) -> int:
        """Number of chunks."""
        return int(self.dense.ntotal)

    def dense_search(
        self, vector: np.ndarray, k: int, among: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks by cosine as ``(chunk_id, score)``, best first.

        ``among`` restricts the search to those chunk ids.
        """
        if among is not None:
            if len(among) == 0:
                return []
            selector = faiss.IDSelectorBatch(among.astype(np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            k = min(k, len(among))
        else:
            params = None
        if self.size == 0 or k <= 0:
            return []
        scores, ids = self.dense.search(
            vector.reshape(1, -1).astype(np.float32), min(k, self.size), params=params
        )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Stored embeddings of the given chunks."""
        if not chunk_ids:
            return np.zeros((0, self.manifest.dimension), dtype=np.float32)
        return np.stack([self.dense.reconstruct(int(i)) for i in chunk_ids])

    def chunks(self, chunk_ids: Sequence[int]) -> list[Chunk]:
        """Chunks by id, in the order asked, with their text."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = self._query(
            f'SELECT c.id, c.doc_id, c.start, c."end", c.sentences, '
            f'substr(d.text, c.start + 1, c."end" - c.start) '
            f"FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})",
            list(map(int, chunk_ids)),
        )
        found = {
            r[0]: Chunk(r[0], r[1], r[2], r[3], r[5], tuple(map(tuple, json.loads(r[4]))))
            for r in rows
        }
        return [found[i] for i in chunk_ids if i in found]

    def chunks_dated(self, since: str | None, until: str | None) -> np.ndarray:
        """Ids of the chunks of documents dated within ``[since, until]`` (ISO days).

        Documents without a date are outside every range.
        """
        rows = self._query(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE d.date IS NOT NULL AND d.date >= ? AND d.date <= ? ORDER BY c.id",
            (since or "0000-00-00", until or "9999-99-99"),
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def texts(self) -> Iterator[str]:
        """Every document's text, one at a time."""
        for (doc_id,) in self._query("SELECT id FROM documents ORDER BY id"):
            rows = self._query("SELECT text FROM documents WHERE id = ?", (doc_id,))
            if rows:
                yield rows[0][0]

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._db_lock:
            return self._db.execute(sql, parameters).fetchall()

    def _document_where(self, condition: str, parameters: Sequence[Any]) -> SourceDocument | None:
        rows = self._query(
            f"SELECT source, text, title, date, sha256 FROM documents WHERE {condition} LIMIT 1",
            parameters,
        )
        return SourceDocument(*rows[0]) if rows else None

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        return self._document_where("id = ?", (doc_id,))

    def document_by_key(self, key: str) -> SourceDocument | None:
        """A document by its public key (see ``document_key``), or None."""
        if len(key) != KEY_LENGTH or any(c not in "0123456789abcdef" for c in key):
            return None
        return self._document_where("substr(sha256, 1, ?) = ?", (KEY_LENGTH, key))

    def document_meta(
        self, doc_ids: Sequence[int]
    ) -> dict[int, tuple[str, str | None, str | None, str]]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        rows = self._query(
            f"SELECT id, source, title, date, sha256 FROM documents WHERE id IN ({marks})",
            list(map(int, doc_ids)),
        )
        return {r[0]: (r[1], r[2], r[3], document_key(r[4])) for r in rows}

    def sample_texts(self, limit: int) -> list[str]:
        """The texts of up to ``limit`` documents, newest first (for example questions)."""
        rows = self._query("SELECT text FROM documents ORDER BY date DESC, id LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def reusable(self) -> dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]]:
        """Every stored document by content hash, with its chunks and vectors, for rebuilds."""
        out: dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]] = {}
        for doc_id, source, title, date, sha, text in self._query(
            "SELECT id, source, title, date, sha256, text FROM documents"
        ):
            ids = [r[0] for r in self._query(
                "SELECT id FROM chunks WHERE doc_id = ? ORDER BY id", (doc_id,)
            )]  # fmt: skip
            document = SourceDocument(source, text, title, date, sha)
            out[sha] = (document, self.chunks(ids), self.vectors(ids))
        return out

    def stats(self) -> dict[str, Any]:
        """A summary for `docqa info` and health checks."""
        return {
            "folder": str(self.folder),
            "documents": len(self.manifest.documents),
            "chunks": self.size,
            "embedder": self.manifest.embedder,
            "created": self.manifest.created,
        }
