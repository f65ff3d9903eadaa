"""The store: where chunks, vectors, term statistics and documents are kept and searched."""

from app.store.local import (
    FORMAT_VERSION,
    IndexStore,
    Manifest,
    StoredDocument,
    build_lock,
    document_key,
    live_version,
    read_manifest,
    write_index,
)

__all__ = [
    "FORMAT_VERSION",
    "IndexStore",
    "Manifest",
    "StoredDocument",
    "build_lock",
    "document_key",
    "live_version",
    "read_manifest",
    "write_index",
]
