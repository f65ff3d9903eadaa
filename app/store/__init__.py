"""The store: where chunks, vectors, term statistics and documents are kept and searched."""

from app.store.base import DateWindow, DocumentMeta, Store, TermWeights
from app.store.local import IndexStore, build_lock, live_version, read_manifest, write_index
from app.store.manifest import FORMAT_VERSION, Manifest, StoredDocument, document_key

__all__ = [
    "FORMAT_VERSION",
    "DateWindow",
    "DocumentMeta",
    "IndexStore",
    "Manifest",
    "Store",
    "StoredDocument",
    "TermWeights",
    "build_lock",
    "document_key",
    "live_version",
    "read_manifest",
    "write_index",
]
