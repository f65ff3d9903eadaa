"""Sources: find article files under the given paths and load them as documents."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.errors import SourceError
from app.settings import SourceSettings
from app.sources.access import AccessRules, front_matter_groups, load_rules
from app.sources.formats import SUFFIXES, extract
from app.text.sentences import first_sentence
from app.types import Skipped, SourceDocument

__all__ = [
    "SUFFIXES",
    "Candidate",
    "content_hash",
    "discover",
    "document_groups",
    "extract_document",
    "load_document",
    "printable_name",
    "read_source",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A file to load, the name it is indexed under, and the groups its folder's
    ``access.yaml`` gives it (None: no rule matched)."""

    path: Path
    source: str
    groups: tuple[str, ...] | None = None


def printable_name(name: str) -> str:
    """A file name as valid text on one line: bytes that are not UTF-8 become ``\\xff``,
    control characters such as a newline become ``\\n``; every other character stays."""
    text = os.fsencode(name).decode("utf-8", errors="backslashreplace")
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def _source_name(path: Path, root: Path) -> str:
    """Path relative to the given argument's parent: ``seeds/a.txt`` for ``docqa index seeds``."""
    base = root.parent if root.name else root
    try:
        return printable_name(path.relative_to(base).as_posix())
    except ValueError:
        return printable_name(path.as_posix())


def discover(paths: list[Path]) -> Iterator[Candidate | Skipped]:
    """Yield supported files under ``paths`` (recursive, symlinks followed once) in a stable order.

    Problems are yielded as ``Skipped``; files of unsupported types are passed over silently
    (with a debug log), hidden files and folders too. Each folder given (or a file's
    folder) may hold an ``access.yaml``; a broken one raises ``ConfigError``.
    """
    seen_dirs: set[str] = set()
    for root in paths:
        root = Path(os.path.normpath(root))
        if root.is_dir():
            yield from _walk(root, root, seen_dirs, load_rules(root))
        elif root.is_file():
            if root.suffix.lower() in SUFFIXES:
                groups = load_rules(root.parent).groups(PurePosixPath(root.name))
                yield Candidate(root, _source_name(root, root), groups)
            else:
                yield Skipped(
                    printable_name(root.as_posix()),
                    f"unsupported file type {printable_name(root.suffix) or '(none)'}",
                )
        else:
            yield Skipped(printable_name(root.as_posix()), _missing_reason(root))


def _missing_reason(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if exc.errno == errno.ENOENT:
            return "symlink to nothing" if path.is_symlink() else "no such file or folder"
        return f"cannot read ({exc.strerror})"
    return "not a regular file"


def _walk(
    folder: Path, root: Path, seen: set[str], rules: AccessRules
) -> Iterator[Candidate | Skipped]:
    real = os.path.realpath(folder)
    if real in seen:
        yield Skipped(_source_name(folder, root), "symlink loop (folder already visited)")
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(_source_name(folder, root), f"cannot list folder ({exc.strerror})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir:
            yield from _walk(path, root, seen, rules)
        elif not is_file:
            if entry.is_symlink():
                yield Skipped(_source_name(path, root), _missing_reason(path))
        elif path.suffix.lower() in SUFFIXES:
            relative = PurePosixPath(path.relative_to(root).as_posix())
            yield Candidate(path, _source_name(path, root), rules.groups(relative))
        else:
            logger.debug("ignoring %s: unsupported type", path)


def read_source(candidate: Candidate, limits: SourceSettings) -> bytes:
    """A file's bytes, or ``SourceError`` with a one-line reason (too large, unreadable)."""
    try:
        size = candidate.path.stat().st_size
        if size > limits.max_file_mb * 1024 * 1024:
            raise SourceError(
                f"too large ({size / (1024 * 1024):.1f} MB; the limit is {limits.max_file_mb} MB, "
                "DOCQA_SOURCES__MAX_FILE_MB)"
            )
        return candidate.path.read_bytes()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError("symlink loop") from exc
        raise SourceError(f"cannot read ({exc.strerror})") from exc


def content_hash(data: bytes) -> str:
    """The SHA-256 a document is known by: unchanged bytes are never read again."""
    return hashlib.sha256(data).hexdigest()


def document_groups(candidate: Candidate, data: bytes, default: Sequence[str]) -> tuple[str, ...]:
    """Who may read the file: its front matter's ``groups:`` (Markdown), else its access
    rule's, else ``default``."""
    named = front_matter_groups(data) if candidate.path.suffix.lower() in _FRONT_MATTER else None
    if named is not None:
        return named
    return candidate.groups if candidate.groups is not None else tuple(default)


_FRONT_MATTER = {".md", ".markdown"}


def extract_document(
    candidate: Candidate, data: bytes, limits: SourceSettings, groups: Sequence[str] = ()
) -> SourceDocument:
    """The document in a file's bytes, or ``SourceError`` with a one-line reason."""
    extracted = extract(candidate.path, data, max_pdf_pages=limits.max_pdf_pages)
    return SourceDocument(
        source=candidate.source,
        text=extracted.text,
        title=extracted.title or first_sentence(extracted.text),
        date=extracted.date,
        sha256=content_hash(data),
        path=candidate.path,
        groups=tuple(groups),
    )


def load_document(candidate: Candidate, limits: SourceSettings) -> SourceDocument:
    """Read and extract one file, or raise ``SourceError`` with a one-line reason."""
    return extract_document(candidate, read_source(candidate, limits), limits)
