"""``manifest.json``: what a local index version was built with, and every file it holds.

The manifest is written last, after every other file of the version is on disk, and
records each file's size and SHA-256: a version is trusted only when every file matches.
It is parsed by pydantic from bytes, so a manifest that is not UTF-8, not JSON, nested too
deeply or of the wrong shape is one clear error, never a traceback.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import IndexCorruptError
from app.settings import DenseSettings

__all__ = [
    "FORMAT_VERSION",
    "UPGRADABLE",
    "DenseIndex",
    "FileRecord",
    "Manifest",
    "StoredDocument",
    "file_record",
    "parse_manifest",
]

# 2: every file's size and SHA-256 are recorded. 3: each document's access groups.
# Format 2 versions are read once more by the next run, which reuses their vectors;
# older ones are rebuilt.
FORMAT_VERSION = 3
UPGRADABLE = (2, 3)
# A manifest lists every document (~200 bytes each): 256 MiB is over a million of them.
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
_HASH_BLOCK = 1 << 20


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoredDocument(_Frozen):
    """A document's manifest entry."""

    source: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    title: str | None
    date: str | None
    chunks: int = Field(ge=0)
    groups: list[str] = Field(default_factory=list)


class FileRecord(_Frozen):
    """One file of a version: its size in bytes and its SHA-256."""

    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


# How the version's vectors are indexed (exact, HNSW or IVF), as it was built.
DenseIndex = DenseSettings


class Manifest(_Frozen):
    """What an index was built with, so a mismatched reader can refuse it."""

    embedder: str
    dimension: int = Field(ge=1, le=65536)
    chunking: dict[str, int]
    documents: list[StoredDocument]
    chunks: int = Field(ge=0)
    format_version: int = FORMAT_VERSION
    created: str = Field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    files: dict[str, FileRecord] = Field(default_factory=dict)
    dense: DenseIndex = DenseIndex()

    def to_json(self) -> str:
        """Serialise for manifest.json."""
        return self.model_dump_json(indent=1)


def parse_manifest(path: Path) -> Manifest:
    """Read and validate ``path``; ``IndexCorruptError`` naming what is wrong with it."""
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise _corrupt(path, f"it is {size:,} bytes, more than any index needs")
        data = path.read_bytes()
    except OSError as exc:
        raise _corrupt(path, f"it cannot be read: {exc.strerror}") from None
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise _corrupt(path, f"{where}: {first['msg']}") from None


def _corrupt(path: Path, why: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"The index manifest {path} is damaged ({why}). Rebuild the index with `docqa index PATH`."
    )


def file_record(path: Path) -> FileRecord:
    """The size and SHA-256 of ``path``, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return FileRecord(bytes=size, sha256=digest.hexdigest())
