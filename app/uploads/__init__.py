"""Files sent over the API: each one checked and kept, or refused with its own reason.

A file's name is only a name: its last part is kept, made printable, and becomes the
document's name among the uploads (kept by the store, never a path on disk). A zip is
opened in memory and its members checked like uploads (names, count, declared sizes
against a bomb's inflation), each named by the zip and its path inside it
(``bundle.zip/2025/notes.md``), so members of the same name in different folders stay
apart; nested zips are not opened. Two files of one upload that would get the same name
keep the first, the second refused with that reason. A file whose bytes are another
type than its name says (a PDF named .txt, an executable named .md), an empty file, and
a type docqa cannot index are each refused with their reason; the rest goes on.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from app.settings import SourceSettings, UploadSettings
from app.sources import printable_name
from app.sources.formats import content_problem, format_of, parts
from app.store.library import NewUpload
from app.types import Skipped

__all__ = ["MAX_NAME_CHARS", "accept", "safe_name"]

_UNSAFE = re.compile(r"[^\w.\- ()+,@=]", re.UNICODE)
MAX_NAME_CHARS = 200  # one part of a name; longer ones keep their suffix, cut before it
_MAX_SUFFIX_CHARS = 16


def safe_name(name: str) -> str | None:
    """The last part of ``name`` as a plain file name, or None when nothing usable is left
    (``../../etc/passwd`` becomes ``passwd``; ``..`` and ``.hidden`` are refused). A name
    longer than ``MAX_NAME_CHARS`` is cut before its suffix, which says its format."""
    last = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", printable_name(last)).strip(" ")
    if not cleaned or cleaned.startswith(".") or cleaned in ("..", "."):
        return None
    if len(cleaned) > MAX_NAME_CHARS:
        suffix = PurePosixPath(cleaned).suffix
        suffix = suffix if len(suffix) <= _MAX_SUFFIX_CHARS else ""
        cleaned = cleaned[: MAX_NAME_CHARS - len(suffix)].rstrip(" ") + suffix
    return cleaned


def _member_name(zip_name: str, member: str) -> str | None:
    """A zip member's name: the zip's, then each folder of its path made safe (``..``
    and empty parts dropped); None when the member itself has no usable name."""
    parts = [p for p in member.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts:
        return None
    folders = [safe_name(p) for p in parts[:-1]]
    last = safe_name(parts[-1])
    if last is None or any(f is None for f in folders):
        return None
    return "/".join([zip_name, *(f for f in folders if f), last])


def accept(
    files: list[tuple[str, bytes]], limits: UploadSettings, sources: SourceSettings
) -> tuple[list[NewUpload], list[Skipped]]:
    """The files of one upload that can be indexed, and the rest with their reasons."""
    kept: dict[str, NewUpload] = {}
    refused: list[Skipped] = []
    for name, data in files:
        for item in _check(name, data, limits, sources, nested=False):
            if isinstance(item, Skipped):
                refused.append(item)
            elif item.name in kept:
                refused.append(Skipped(item.name, "another file of this upload has the same name"))
            else:
                kept[item.name] = item
    return list(kept.values()), refused


def _check(
    name: str,
    data: bytes,
    limits: UploadSettings,
    sources: SourceSettings,
    *,
    nested: bool,
    named: str | None = None,
) -> Iterator[NewUpload | Skipped]:
    shown = printable_name(name)[:MAX_NAME_CHARS] or "(no name)"
    safe = named or safe_name(name)
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
    # An unknown suffix is a problem too: "unsupported file type .xls".
    if (problem := content_problem(suffix, data)) is not None:
        yield Skipped(safe, problem)
        return
    known = format_of(suffix)
    if known is not None and known.split is not None:
        # A mailbox is kept as its messages, each an upload of its own (deleted alone).
        for name, start, end in parts(known, safe, data):
            yield NewUpload(name, data[start:end])
        return
    yield NewUpload(safe, data)


def _unzip(
    name: str, data: bytes, limits: UploadSettings, sources: SourceSettings
) -> Iterator[NewUpload | Skipped]:
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
        named = _member_name(name, member.filename)
        if named is None:
            yield Skipped(
                printable_name(inner)[:MAX_NAME_CHARS],
                "no usable file name (a name is its last part, not hidden)",
            )
            continue
        for item in _check(member.filename, content, limits, sources, nested=True, named=named):
            if isinstance(item, Skipped):
                item = Skipped(printable_name(inner)[:MAX_NAME_CHARS], item.reason)
            yield item
