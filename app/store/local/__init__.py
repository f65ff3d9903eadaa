"""The local index folder: FAISS vectors, BM25 arrays, SQLite text, a checked manifest.

Layout under the index folder::

    CURRENT            name of the live version folder (replaced atomically)
    v-<stamp>/         manifest.json, docs.sqlite, dense.faiss, bm25/
    .lock              held while a run writes

A run writes a complete new version folder, then swaps ``CURRENT``; a crash at any
point leaves the previous version live. Nothing is ever unpickled.
"""

from app.store.local.bm25 import LexicalIndex
from app.store.local.manifest import FORMAT_VERSION, Manifest, StoredDocument
from app.store.local.store import IndexStore
from app.store.local.version import build_lock, live_version, read_manifest, write_index
from app.store.local.writer import LocalBackend

__all__ = [
    "FORMAT_VERSION",
    "IndexStore",
    "LexicalIndex",
    "LocalBackend",
    "Manifest",
    "StoredDocument",
    "build_lock",
    "live_version",
    "read_manifest",
    "write_index",
]
