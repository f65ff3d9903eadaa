"""The store: where chunks, vectors, term statistics and documents are kept and searched.

``base.py`` holds the interfaces (``Store`` to read, ``Backend`` and ``IndexWriter`` to
write); ``local/`` keeps an index in a folder, ``postgres/`` in a shared database.
"""

from __future__ import annotations

from pathlib import Path

from app.settings import StoreSettings
from app.store.base import (
    Backend,
    BuildSpec,
    DocumentInfo,
    DocumentMeta,
    Filter,
    Groups,
    Published,
    Store,
    TermWeights,
    document_key,
)

__all__ = [
    "Backend",
    "BuildSpec",
    "DocumentInfo",
    "DocumentMeta",
    "Filter",
    "Groups",
    "Published",
    "Store",
    "TermWeights",
    "document_key",
    "make_backend",
]


def make_backend(index_dir: Path, settings: StoreSettings) -> Backend:
    """The PostgreSQL database DOCQA_STORE__URL names, or else the index folder."""
    if settings.postgres:
        from app.store.postgres import PostgresBackend

        return PostgresBackend(
            settings.postgres,
            settings.grace_seconds,
            settings.pg_ef_search,
            settings.pg_exact_under,
        )
    from app.store.local import LocalBackend

    return LocalBackend(index_dir, settings.dense)
