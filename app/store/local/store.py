"""A loaded local index version: FAISS vectors, BM25 arrays and SQLite text, read-only."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app.errors import IndexMismatchError
from app.store.base import (
    KEY_LENGTH,
    DocumentInfo,
    DocumentMeta,
    Filter,
    Groups,
    document_key,
    is_document_key,
)
from app.store.local.bm25 import LexicalIndex
from app.store.local.dense import exact_among, prepare, search_params
from app.store.local.manifest import FORMAT_VERSION, UPGRADABLE, Manifest, parse_manifest
from app.store.local.version import damaged, live_version, verify_files
from app.types import Chunk, SourceDocument

__all__ = ["IndexStore"]

# A filter allowing fewer chunks than this is searched exactly among them (a few ms).
_EXACT_UNDER = 50_000
# Chunk-id arrays of recent filters (a version never changes): readers of the same groups
# ask again and again; 32 arrays of a million ids are 256 MB at most.
_FILTERS_KEPT = 32


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
            self.dense = prepare(faiss.read_index(str(folder / "dense.faiss")))
            self.lexical = LexicalIndex.load(folder / "bm25")
            uri = f"file:{folder / 'docs.sqlite'}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db_lock = threading.Lock()  # one handle, shared by the server's threads
        except (RuntimeError, OSError, ValueError, TypeError, KeyError, sqlite3.Error) as exc:
            raise damaged(root, f"{folder.name} cannot be loaded ({type(exc).__name__})") from None
        self._stamps = self._file_stamps()
        self._check_shapes()
        self._allowed_cache: dict[Filter, np.ndarray] = {}

    def _check_shapes(self) -> None:
        root, manifest = self.folder.parent, self.manifest
        if self.dense.d != manifest.dimension:
            raise damaged(
                root, f"its vectors have {self.dense.d} dimensions, the manifest says "
                f"{manifest.dimension}"
            )  # fmt: skip
        if self.dense.ntotal != manifest.chunks:
            raise damaged(
                root, f"it holds {self.dense.ntotal} vectors for {manifest.chunks} chunks"
            )
        if problem := self.lexical.problem(manifest.chunks):
            raise damaged(root, f"its BM25 index {problem}")
        check = self._query("PRAGMA quick_check")
        if [tuple(r) for r in check] != [("ok",)]:
            raise damaged(root, f"docs.sqlite fails SQLite's check ({str(check[0][0])[:80]})")
        ((documents, rows),) = self._query(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
        )
        if documents != len(manifest.documents) or rows != manifest.chunks:
            raise damaged(
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
            raise damaged(self.folder.parent, f"the files of {self.folder.name} changed on disk")

    @classmethod
    def open(cls, root: Path, embedder: str | None = None, *, upgrade: bool = False) -> IndexStore:
        """Load the live index; refuse one built with another embedder than ``embedder``.

        ``upgrade``: an index run reads a version of an older format it can still reuse.
        """
        folder = live_version(root)
        manifest = parse_manifest(folder / "manifest.json")
        readable = UPGRADABLE if upgrade else (FORMAT_VERSION,)
        if manifest.format_version not in readable:
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
        self, vector: np.ndarray, k: int, where: Filter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks ``where`` allows, by cosine, as ``(chunk_id, score)``,
        best first; a narrow filter is searched among its chunks alone."""
        if self.size == 0 or k <= 0:
            return []
        query = vector.reshape(1, -1).astype(np.float32)
        selector = None
        among = self._allowed(where) if where is not None else None
        if among is not None and len(among) < self.size:
            if len(among) == 0:
                return []
            if self.manifest.dense.kind != "flat" and len(among) <= _EXACT_UNDER:
                # A graph or a few lists would find too few of a narrow filter's chunks.
                return exact_among(self.dense, query, among, k)
            selector = faiss.IDSelectorBatch(among)
            k = min(k, len(among))
        params = search_params(self.dense, self.manifest.dense, k, selector)
        scores, ids = self.dense.search(query, min(k, self.size), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        where: Filter | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 scores of the ``k`` best chunks ``where`` allows, and of the ``also`` chunks."""
        scores = self.lexical.scores(list(terms))
        if scores is None:
            return {}
        if where is not None:
            inside = np.zeros(len(scores), dtype=bool)
            inside[self._allowed(where)] = True
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
        return np.asarray(
            self.dense.reconstruct_batch(np.asarray(chunk_ids, dtype=np.int64)), dtype=np.float32
        )

    def chunk_ids(self) -> list[int]:
        """Every chunk's id, in order."""
        return list(range(self.size))

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

    def _allowed(self, where: Filter) -> np.ndarray:
        """Ids of the chunks ``where`` allows, in order (kept for the next question)."""
        found = self._allowed_cache.get(where)
        if found is not None:
            return found
        conditions: list[str] = ["1"]
        parameters: list[str] = []
        if where.dated:
            conditions.append("d.date IS NOT NULL AND d.date >= ? AND d.date <= ?")
            parameters += where.bounds
        if where.groups is not None:
            groups = sorted(where.groups)
            conditions.append(
                "c.doc_id IN (SELECT doc_id FROM document_groups "
                f"WHERE grp IN ({','.join('?' * len(groups))}))"
            )
            parameters += groups
        rows = self._query(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id "
            f"WHERE {' AND '.join(conditions)} ORDER BY c.id",
            parameters,
        )
        found = np.array([r[0] for r in rows], dtype=np.int64)
        if len(self._allowed_cache) >= _FILTERS_KEPT:
            self._allowed_cache.pop(next(iter(self._allowed_cache)), None)
        self._allowed_cache[where] = found
        return found

    def _readable_where(self, groups: Groups) -> tuple[str, list[str]]:
        """An SQL condition on ``documents`` for what ``groups`` may read."""
        if groups is None:
            return "1", []
        names = sorted(groups)
        marks = ",".join("?" * len(names))
        return f"id IN (SELECT doc_id FROM document_groups WHERE grp IN ({marks}))", names

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
            raise damaged(self.folder.parent, f"docs.sqlite cannot be read ({exc})") from None

    def _document_where(self, condition: str, parameters: Sequence[Any]) -> SourceDocument | None:
        rows = self._query(
            "SELECT source, text, title, date, sha256, groups FROM documents "
            f"WHERE {condition} LIMIT 1",
            parameters,
        )
        if not rows:
            return None
        source, text, title, date, sha, groups = rows[0]
        return SourceDocument(source, text, title, date, sha, groups=tuple(json.loads(groups)))

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        return self._document_where("id = ?", (doc_id,))

    def document_by_key(self, key: str, groups: Groups = None) -> SourceDocument | None:
        """A document by its public key (see ``document_key``), or None (also when
        ``groups`` may not read it)."""
        if not is_document_key(key):
            return None
        readable, names = self._readable_where(groups)
        return self._document_where(
            f"substr(sha256, 1, ?) = ? AND {readable}", (KEY_LENGTH, key, *names)
        )

    def catalogue(
        self, offset: int = 0, limit: int = 100, groups: Groups = None
    ) -> list[DocumentInfo]:
        """Documents ``groups`` may read (None: all), in source order, without their texts."""
        readable, names = self._readable_where(groups)
        rows = self._query(
            "SELECT d.sha256, d.source, d.title, d.date, d.groups, "
            "(SELECT count(*) FROM chunks c WHERE c.doc_id = d.id) FROM documents d "
            f"WHERE {readable} ORDER BY d.source LIMIT ? OFFSET ?",
            (*names, limit, offset),
        )
        return [
            DocumentInfo(document_key(sha), source, title, date, tuple(json.loads(groups)), n)
            for sha, source, title, date, groups, n in rows
        ]

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

    def groups_of(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """``doc_id -> the groups that may read it``, without loading texts."""
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        rows = self._query(
            f"SELECT id, groups FROM documents WHERE id IN ({marks})", list(map(int, doc_ids))
        )
        return {r[0]: tuple(json.loads(r[1])) for r in rows}

    def sources(self) -> dict[int, str]:
        """Every document's source, by document id."""
        return dict(enumerate(d.source for d in self.manifest.documents))

    def hashes(self, sources: Sequence[str]) -> dict[str, str]:
        """The content hash of each of ``sources`` the version holds."""
        wanted = set(sources)
        return {d.source: d.sha256 for d in self.manifest.documents if d.source in wanted}

    def sample_texts(self, limit: int, groups: Groups = None) -> list[str]:
        """The texts of up to ``limit`` documents ``groups`` may read, newest first (for
        example questions)."""
        readable, names = self._readable_where(groups)
        rows = self._query(
            f"SELECT text FROM documents WHERE {readable} ORDER BY date DESC, id LIMIT ?",
            (*names, limit),
        )
        return [r[0] for r in rows]

    def coverage(self, groups: Groups = None) -> tuple[int, str | None, str | None]:
        """How many documents ``groups`` may read, and the first and last of their dates."""
        readable, names = self._readable_where(groups)
        ((count, first, last),) = self._query(
            f"SELECT count(*), min(date), max(date) FROM documents WHERE {readable}", names
        )
        return int(count), first, last

    def reusable(self) -> dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]]:
        """Every stored document by content hash, with its chunks and vectors, for rebuilds."""
        out: dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]] = {}
        # A format 2 version has no groups: its documents take theirs in the run.
        groups_column = "groups" if self.manifest.format_version >= 3 else "'[]'"
        for doc_id, source, title, date, sha, text, groups in self._query(
            f"SELECT id, source, title, date, sha256, text, {groups_column} FROM documents"
        ):
            ids = [r[0] for r in self._query(
                "SELECT id FROM chunks WHERE doc_id = ? ORDER BY id", (doc_id,)
            )]  # fmt: skip
            document = SourceDocument(
                source, text, title, date, sha, groups=tuple(json.loads(groups))
            )
            out[sha] = (document, self.chunks(ids), self.vectors(ids))
        return out

    def stats(self) -> dict[str, Any]:
        """A summary for `docqa info` and health checks."""
        return {
            "backend": f"local folder (FAISS {faiss.__version__} {self.manifest.dense.kind}, "
            "BM25, SQLite)",
            "folder": str(self.folder),
            "version": self.version,
            "documents": len(self.manifest.documents),
            "chunks": self.size,
            "embedder": self.manifest.embedder,
            "created": self.manifest.created,
            "dates": _span(d.date for d in self.manifest.documents),
        }


def _span(dates: Iterable[str | None]) -> list[str] | None:
    """The first and last of the dates given, or None when none is."""
    known = sorted(d for d in dates if d)
    return [known[0], known[-1]] if known else None
