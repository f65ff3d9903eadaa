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
    """The store ``settings.kind`` names: the PostgreSQL database, or the index folder."""
    if settings.url is not None:
        from app.extras import require

        require("postgres", "or leave DOCQA_STORE__KIND unset to keep the index in its folder")
        from app.store.postgres import PostgresBackend

        pg = settings.postgres
        return PostgresBackend(settings.url, pg.grace_seconds, pg.ef_search, pg.exact_under)
    from app.store.local import LocalBackend

    return LocalBackend(index_dir, settings.folder.dense)
