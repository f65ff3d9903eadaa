"""Version folders of the local index: writing one whole, finding the live one through
``CURRENT`` (never outside the folder), checking every file against the manifest."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import faiss
import numpy as np

from app.errors import (
    IndexCorruptError,
    IndexNotFoundError,
    IndexStoreError,
    StorageFullError,
    StorePermissionError,
)
from app.store.local.bm25 import LexicalIndex
from app.store.local.dense import build_dense
from app.store.local.manifest import UPGRADABLE, Manifest, file_record, parse_manifest
from app.types import Chunk, SourceDocument

__all__ = [
    "build_lock",
    "damaged",
    "live_version",
    "read_manifest",
    "verify_files",
    "write_index",
]

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
    sha256 TEXT NOT NULL, text TEXT NOT NULL, groups TEXT NOT NULL);
CREATE TABLE document_groups (
    doc_id INTEGER NOT NULL REFERENCES documents(id), grp TEXT NOT NULL);
CREATE INDEX document_groups_grp ON document_groups(grp, doc_id);
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
    vectors: np.ndarray | list[np.ndarray],
) -> Path:
    """Write a complete index version and make it live atomically; returns its folder.

    ``chunks[i]`` must have id ``i`` and the ``i``-th vector (of ``vectors``, one array or
    a list of consecutive parts, which is emptied as they go into the index) its
    embedding; ``chunk.doc_id`` indexes ``documents``. A chunk without text has its
    document's text between its offsets. The caller holds ``build_lock``.
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
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        # FAISS says "write error" where the system said the disk is full.
        shutil.rmtree(staging, ignore_errors=True)
        raise _not_written(root, exc) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_stale(root, keep={version.name})
    return version


def _not_written(root: Path, exc: BaseException) -> IndexStoreError:
    """Why a new version could not be written: the disk full, or the folder closed to
    writes; the live version is untouched either way."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    kept = "The previous version keeps serving; nothing half-written was kept."
    if code in (errno.EACCES, errno.EROFS, errno.EPERM) or "readonly" in text:
        return StorePermissionError(f"Cannot write a new index version in {root}: {exc}. {kept}")
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "write error" in text or "full" in text:
        return StorageFullError(
            f"No room left on the disk to write a new index version in {root}. Free some "
            f"space and run again. {kept}"
        )
    return StorageFullError(f"Cannot write a new index version in {root} ({exc}). {kept}")


def _write_version(
    folder: Path,
    manifest: Manifest,
    documents: Sequence[SourceDocument],
    chunks: Sequence[Chunk],
    vectors: np.ndarray | list[np.ndarray],
) -> None:
    with contextlib.closing(sqlite3.connect(folder / "docs.sqlite")) as db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (i, d.source, d.title, d.date, d.sha256, d.text, json.dumps(list(d.groups)))
                for i, d in enumerate(documents)
            ),
        )
        db.executemany(
            "INSERT INTO document_groups VALUES (?, ?)",
            ((i, g) for i, d in enumerate(documents) for g in set(d.groups)),
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            ((c.id, c.doc_id, c.start, c.end, json.dumps(list(c.sentences))) for c in chunks),
        )
        db.commit()
    parts = [vectors] if isinstance(vectors, np.ndarray) else vectors
    dense = build_dense(parts, manifest)
    faiss.write_index(dense, str(folder / "dense.faiss"))
    del dense
    (folder / "bm25").mkdir()
    texts = (c.text or documents[c.doc_id].text[c.start : c.end] for c in chunks)
    LexicalIndex.build(texts).save(folder / "bm25")
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


def damaged(root: Path, why: str) -> IndexCorruptError:
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
            raise damaged(root, "CURRENT is not a plain file")
        with pointer.open("rb") as handle:
            raw = handle.read(_POINTER_BYTES + 1)
    except OSError as exc:
        raise damaged(root, f"CURRENT cannot be read ({exc.strerror})") from None
    name = raw.decode("ascii", errors="replace").strip()
    if len(raw) > _POINTER_BYTES or not _VERSION_NAME.fullmatch(name):
        shown = raw.strip()[:40].decode("ascii", errors="backslashreplace")
        raise damaged(
            root,
            f"CURRENT must name a version folder (v-…) inside it, but holds '{shown}"
            + ("…'" if len(raw.strip()) > 40 else "'"),
        )
    version = root / name
    if version.is_symlink() or not version.is_dir():
        raise damaged(root, f"CURRENT names {name}, which is not a folder there")
    if not (version / "manifest.json").is_file():
        raise damaged(root, f"{name} has no manifest (an unfinished build)")
    return version


def read_manifest(root: Path) -> Manifest:
    """The live version's manifest."""
    return parse_manifest(live_version(root) / "manifest.json")


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest records is there, with its size and SHA-256."""
    if manifest.format_version not in UPGRADABLE:
        return  # refused by the format check, with its own message
    missing = [name for name in _REQUIRED if name not in manifest.files]
    if missing:
        raise damaged(folder.parent, f"its manifest does not record {', '.join(missing)}")
    for name, expected in manifest.files.items():
        if not _FILE_NAME.fullmatch(name) or ".." in name.split("/"):
            raise damaged(folder.parent, f"its manifest names a file outside it ({name[:60]!r})")
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise damaged(folder.parent, f"{folder.name}/{name} is missing")
        size = path.stat().st_size
        if size != expected.bytes:
            raise damaged(
                folder.parent,
                f"{folder.name}/{name} is {size:,} bytes, the manifest says {expected.bytes:,}",
            )
        if file_record(path).sha256 != expected.sha256:
            raise damaged(
                folder.parent, f"{folder.name}/{name} does not match its recorded checksum"
            )
