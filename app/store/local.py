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
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexStoreError
from app.store.base import DateWindow, DocumentMeta
from app.store.bm25 import LexicalIndex
from app.store.manifest import (
    FORMAT_VERSION,
    KEY_LENGTH,
    Manifest,
    document_key,
    file_record,
    parse_manifest,
)
from app.types import Chunk, SourceDocument

__all__ = [
    "IndexStore",
    "build_lock",
    "live_version",
    "read_manifest",
    "verify_files",
    "write_index",
]

logger = logging.getLogger(__name__)

_CURRENT = "CURRENT"
# What CURRENT may hold: the name of a version folder directly inside the index folder.
_VERSION_NAME = re.compile(r"v-[A-Za-z0-9_-]{1,120}")
_POINTER_BYTES = 256
# Files a version must record in its manifest (the BM25 arrays are listed there too).
_REQUIRED = ("docs.sqlite", "dense.faiss", "bm25/idf.npy")
_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)?")
_SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, title TEXT, date TEXT,
    sha256 TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
"""


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
    # Under the lock, any other staging folder or version but the live one was left by a
    # build that died: removed first, so a run of crashes leaves at most one behind.
    try:
        _remove_stale(root, keep={live_version(root).name})
    except IndexStoreError:
        _remove_stale(root, keep={p.name for p in root.glob("v-*")})
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
    files = {
        path.relative_to(folder).as_posix(): file_record(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    # The manifest goes last: a version folder without one is never trusted.
    recorded = manifest.model_copy(update={"files": files})
    (folder / "manifest.json").write_text(recorded.to_json(), encoding="utf-8")


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Delete unfinished builds and versions other than ``keep`` (open readers keep their data)."""
    for path in root.iterdir():
        if path.is_dir() and path.name not in keep and path.name.startswith(("v-", ".tmp-")):
            shutil.rmtree(path, ignore_errors=True)


def _damaged(root: Path, why: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"The index in {root} is damaged: {why}. Rebuild it with `docqa index PATH` "
        "(the documents you indexed); questions cannot be answered until then.",
        damage=why,
    )


def live_version(root: Path) -> Path:
    """The version folder ``CURRENT`` names, or ``IndexNotFoundError``/``IndexCorruptError``.

    ``CURRENT`` must hold the name of a version folder directly inside ``root``: an
    absolute path, ``../elsewhere``, a link out of the folder or random bytes are damage,
    never a reason to serve another folder's index.
    """
    pointer = root / _CURRENT
    if not pointer.exists() and not pointer.is_symlink():
        raise IndexNotFoundError(
            f"No index found in {root}. Build one with `docqa index PATH` "
            f"(or `docqa index --index-dir {root} PATH`)."
        )
    try:
        if pointer.is_symlink() or not pointer.is_file():
            raise _damaged(root, "CURRENT is not a plain file")
        with pointer.open("rb") as handle:
            raw = handle.read(_POINTER_BYTES + 1)
    except OSError as exc:
        raise _damaged(root, f"CURRENT cannot be read ({exc.strerror})") from None
    name = raw.decode("ascii", errors="replace").strip()
    if len(raw) > _POINTER_BYTES or not _VERSION_NAME.fullmatch(name):
        shown = raw.strip()[:40].decode("ascii", errors="backslashreplace")
        raise _damaged(
            root,
            f"CURRENT must name a version folder (v-…) inside it, but holds '{shown}"
            + ("…'" if len(raw.strip()) > 40 else "'"),
        )
    version = root / name
    if version.is_symlink() or not version.is_dir():
        raise _damaged(root, f"CURRENT names {name}, which is not a folder there")
    if not (version / "manifest.json").is_file():
        raise _damaged(root, f"{name} has no manifest (an unfinished build)")
    return version


def read_manifest(root: Path) -> Manifest:
    """The live version's manifest."""
    return parse_manifest(live_version(root) / "manifest.json")


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest records is there, with its size and SHA-256."""
    if manifest.format_version != FORMAT_VERSION:
        return  # refused by the format check, with its own message
    missing = [name for name in _REQUIRED if name not in manifest.files]
    if missing:
        raise _damaged(folder.parent, f"its manifest does not record {', '.join(missing)}")
    for name, expected in manifest.files.items():
        if not _FILE_NAME.fullmatch(name) or ".." in name.split("/"):
            raise _damaged(folder.parent, f"its manifest names a file outside it ({name[:60]!r})")
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise _damaged(folder.parent, f"{folder.name}/{name} is missing")
        size = path.stat().st_size
        if size != expected.bytes:
            raise _damaged(
                folder.parent,
                f"{folder.name}/{name} is {size:,} bytes, the manifest says {expected.bytes:,}",
            )
        if file_record(path).sha256 != expected.sha256:
            raise _damaged(
                folder.parent, f"{folder.name}/{name} does not match its recorded checksum"
            )


class IndexStore:
    """A loaded, read-only index version: vectors, BM25 and an SQLite handle for text.

    Opening checks the whole version against its manifest (every file's size and
    checksum, the vectors' count and dimension, the BM25 arrays' shapes, SQLite's own
    ``quick_check`` and row counts), so damage is named before any question is answered.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        verify_files(folder, manifest)
        root = folder.parent
        try:
            self.dense = faiss.read_index(str(folder / "dense.faiss"))
            self.lexical = LexicalIndex.load(folder / "bm25")
            uri = f"file:{folder / 'docs.sqlite'}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db_lock = threading.Lock()  # one handle, shared by the server's threads
        except (RuntimeError, OSError, ValueError, TypeError, KeyError, sqlite3.Error) as exc:
            raise _damaged(root, f"{folder.name} cannot be loaded ({type(exc).__name__})") from None
        self._stamps = self._file_stamps()
        self._check_shapes()

    def _check_shapes(self) -> None:
        root, manifest = self.folder.parent, self.manifest
        if self.dense.d != manifest.dimension:
            raise _damaged(
                root, f"its vectors have {self.dense.d} dimensions, the manifest says "
                f"{manifest.dimension}"
            )  # fmt: skip
        if self.dense.ntotal != manifest.chunks:
            raise _damaged(
                root, f"it holds {self.dense.ntotal} vectors for {manifest.chunks} chunks"
            )
        if problem := self.lexical.problem(manifest.chunks):
            raise _damaged(root, f"its BM25 index {problem}")
        check = self._query("PRAGMA quick_check")
        if [tuple(r) for r in check] != [("ok",)]:
            raise _damaged(root, f"docs.sqlite fails SQLite's check ({str(check[0][0])[:80]})")
        ((documents, rows),) = self._query(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
        )
        if documents != len(manifest.documents) or rows != manifest.chunks:
            raise _damaged(
                root, f"docs.sqlite holds {documents} documents and {rows} chunks, the manifest "
                f"says {len(manifest.documents)} and {manifest.chunks}"
            )  # fmt: skip

    def _file_stamps(self) -> dict[str, tuple[int, int]]:
        stamps = {}
        for name in self.manifest.files:
            info = (self.folder / name).stat()
            stamps[name] = (info.st_size, info.st_mtime_ns)
        return stamps

    def check(self) -> None:
        """Cheaply confirm the version's files are as they were when opened (for health)."""
        try:
            now = self._file_stamps()
        except OSError:
            now = {}
        if now != self._stamps:
            raise _damaged(self.folder.parent, f"the files of {self.folder.name} changed on disk")

    @classmethod
    def open(cls, root: Path, embedder: str | None = None) -> IndexStore:
        """Load the live index; refuse one built with another embedder than ``embedder``."""
        folder = live_version(root)
        manifest = parse_manifest(folder / "manifest.json")
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {root} has format {manifest.format_version}; this docqa reads "
                f"format {FORMAT_VERSION}. Rebuild it with `docqa index PATH`."
            )
        if embedder is not None and manifest.embedder != embedder:
            raise IndexMismatchError(
                f"The index in {root} was built with the embedder '{manifest.embedder}', but the "
                f"settings ask for '{embedder}'. Rebuild it with `docqa index --rebuild PATH`, "
                "or set DOCQA_EMBEDDING__RUNTIME to match the index."
            )
        return cls(folder, manifest)

    def close(self) -> None:
        """Release the SQLite handle."""
        self._db.close()

    @property
    def size(self) -> int:
        """Number of chunks."""
        return int(self.dense.ntotal)

    @property
    def version(self) -> str:
        """The version folder's name."""
        return self.folder.name

    @property
    def embedder(self) -> str:
        """The embedder the vectors were made with."""
        return self.manifest.embedder

    def latest(self) -> str:
        """The name of the version live now (this store may read an older one)."""
        return live_version(self.folder.parent).name

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """The inverse document frequency of each known term."""
        return self.lexical.weights(terms)

    def knows_any(self, terms: Iterable[str]) -> bool:
        """Whether the corpus uses any of ``terms``."""
        return bool(self.lexical.term_ids(list(terms)))

    def dense_search(
        self, vector: np.ndarray, k: int, window: DateWindow | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks by cosine as ``(chunk_id, score)``, best first."""
        if window is not None:
            among = self._chunks_dated(window)
            if len(among) == 0:
                return []
            selector = faiss.IDSelectorBatch(among)
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

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        window: DateWindow | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 scores of the ``k`` best chunks in ``window``, and of the ``also`` chunks."""
        scores = self.lexical.scores(list(terms))
        if scores is None:
            return {}
        if window is not None:
            inside = np.zeros(len(scores), dtype=bool)
            inside[self._chunks_dated(window)] = True
            scores = np.where(inside, scores, 0.0)
        out = {int(i): float(scores[i]) for i in also}
        if k > 0 and len(scores):
            top = np.argpartition(-scores, min(k, len(scores)) - 1)[:k]
            out.update((int(i), float(scores[i])) for i in top if scores[i] > 0)
        return out

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

    def _chunks_dated(self, window: DateWindow) -> np.ndarray:
        """Ids of the chunks of documents dated within ``window``."""
        rows = self._query(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE d.date IS NOT NULL AND d.date >= ? AND d.date <= ? ORDER BY c.id",
            window.bounds,
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def texts(self) -> Iterator[str]:
        """Every document's text, one at a time."""
        for (doc_id,) in self._query("SELECT id FROM documents ORDER BY id"):
            rows = self._query("SELECT text FROM documents WHERE id = ?", (doc_id,))
            if rows:
                yield rows[0][0]

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._db_lock:
                return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise _damaged(self.folder.parent, f"docs.sqlite cannot be read ({exc})") from None

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

    def document_meta(self, doc_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        rows = self._query(
            f"SELECT id, source, title, date, sha256 FROM documents WHERE id IN ({marks})",
            list(map(int, doc_ids)),
        )
        return {r[0]: (r[1], r[2], r[3], document_key(r[4])) for r in rows}

    def sources(self) -> list[str]:
        """Every document's source, by document id."""
        return [d.source for d in self.manifest.documents]

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
            "backend": "local folder (FAISS, BM25, SQLite)",
            "folder": str(self.folder),
            "documents": len(self.manifest.documents),
            "chunks": self.size,
            "embedder": self.manifest.embedder,
            "created": self.manifest.created,
        }
