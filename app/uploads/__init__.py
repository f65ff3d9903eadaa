"""Files sent over the API: each one checked and kept, or refused with its own reason.

A file's name never chooses where it is written: only its last part is kept, made
printable, and written inside the uploads folder. A zip is opened in memory and its
members checked like uploads (names, count, declared sizes against a bomb's inflation);
nested zips are not opened. A file whose bytes are another type than its name says
(a PDF named .txt, an executable named .md), an empty file, and a type docqa cannot
index are each refused with their reason; the rest of the upload goes on.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import filetype

from app.settings import SourceSettings, UploadSettings
from app.sources import SUFFIXES, printable_name
from app.types import Skipped

__all__ = ["Received", "accept", "safe_name"]

_TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}
_UNSAFE = re.compile(r"[^\w.\- ()+,@=]", re.UNICODE)


@dataclass(frozen=True)
class Received:
    """An uploaded file that passed the checks: its safe name and its bytes."""

    name: str
    data: bytes


def safe_name(name: str) -> str | None:
    """The last part of ``name`` as a plain file name, or None when nothing usable is left
    (``../../etc/passwd`` becomes ``passwd``; ``..`` and ``.hidden`` are refused)."""
    last = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", printable_name(last)).strip(" ")[:200]
    if not cleaned or cleaned.startswith(".") or cleaned in ("..", "."):
        return None
    return cleaned


def accept(
    files: list[tuple[str, bytes]], limits: UploadSettings, sources: SourceSettings
) -> tuple[list[Received], list[Skipped]]:
    """The files of one upload that can be indexed, and the rest with their reasons."""
    kept: list[Received] = []
    refused: list[Skipped] = []
    for name, data in files:
        for item in _check(name, data, limits, sources, nested=False):
            if isinstance(item, Received):
                kept.append(item)
            else:
                refused.append(item)
    return kept, refused


def _check(
    name: str, data: bytes, limits: UploadSettings, sources: SourceSettings, *, nested: bool
) -> Iterator[Received | Skipped]:
    shown = printable_name(name)[:200] or "(no name)"
    safe = safe_name(name)
    if safe is None:
        yield Skipped(shown, "no usable file name (a name is its last part, not hidden)")
        return
    suffix = Path(safe).suffix.lower()
    if not data:
        yield Skipped(safe, "empty file (0 bytes)")
        return
    if len(data) > sources.max_file_mb * 1024 * 1024:
        yield Skipped(
            safe,
            f"too large ({len(data) / 1048576:.1f} MB; the limit is {sources.max_file_mb} MB, "
            "DOCQA_SOURCES__MAX_FILE_MB)",
        )
        return
    if suffix == ".zip":
        if nested:
            yield Skipped(safe, "a zip inside a zip is not opened")
            return
        yield from _unzip(safe, data, limits, sources)
        return
    if suffix not in SUFFIXES:
        yield Skipped(safe, f"unsupported file type {suffix or '(none)'}")
        return
    if (problem := _content_problem(suffix, data)) is not None:
        yield Skipped(safe, problem)
        return
    yield Received(safe, data)


def _content_problem(suffix: str, data: bytes) -> str | None:
    """Why the bytes are not what the name says, or None."""
    kind = filetype.guess(data[:8192])
    if suffix == ".pdf":
        if not data.lstrip()[:5].startswith(b"%PDF-"):
            found = f"{kind.mime}" if kind else "not a PDF"
            return f"the name says PDF but the content is {found}"
        return None
    if kind is not None:
        return f"the name says {suffix} text but the content is {kind.mime}"
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"the name says {suffix} text but the content is binary"
    return None


def _unzip(
    name: str, data: bytes, limits: UploadSettings, sources: SourceSettings
) -> Iterator[Received | Skipped]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        yield Skipped(name, "not a readable zip file")
        return
    if len(members) > limits.max_zip_files:
        yield Skipped(
            name,
            f"holds {len(members):,} files; the limit is {limits.max_zip_files:,} "
            "(DOCQA_UPLOADS__MAX_ZIP_FILES)",
        )
        return
    declared = sum(m.file_size for m in members)
    ceiling = min(limits.max_total_mb * 1024 * 1024, len(data) * limits.max_zip_ratio)
    if declared > ceiling:
        yield Skipped(
            name,
            f"would inflate to {declared / 1048576:,.0f} MB from {len(data) / 1048576:.1f} MB "
            f"(a zip bomb?); the limit is {ceiling / 1048576:,.0f} MB",
        )
        return
    for member in members:
        inner = f"{name}:{member.filename}"
        try:
            with archive.open(member) as handle:
                # Declared sizes can lie: never read more than the member may hold.
                content = handle.read(member.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
            yield Skipped(printable_name(inner)[:200], "cannot be read from the zip")
            continue
        if len(content) > member.file_size:
            yield Skipped(printable_name(inner)[:200], "larger than the zip declares")
            continue
        for item in _check(member.filename, content, limits, sources, nested=True):
            if isinstance(item, Skipped):
                item = Skipped(f"{name}:{item.source}", item.reason)
            yield item
