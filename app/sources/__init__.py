"""Sources: find article files under the given paths and load them as documents."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from app.errors import SourceError
from app.settings import SourceSettings
from app.sources.access import AccessRules, front_matter_groups, load_rules
from app.sources.formats import SUFFIXES, extract, format_of, parts
from app.text.sentences import first_sentence
from app.types import EVERYONE, Skipped, SourceDocument

__all__ = [
    "MAX_DEPTH",
    "SUFFIXES",
    "Candidate",
    "content_hash",
    "discover",
    "document_groups",
    "expand",
    "extract_document",
    "load_document",
    "narrowed",
    "printable_name",
    "read_source",
    "source_bases",
    "unique_sources",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A document to load: the file it is read from (or, for a document kept by the
    store, the function that reads its bytes), the source it is indexed under, and its
    access groups (None: the defaults).

    ``narrows`` False: a folder's file, whose ``access.yaml`` rule (``groups``) its own
    front matter overrides. True: an upload, whose groups were set by an admin; its
    front matter may narrow them, never widen them.
    """

    path: Path | None
    source: str
    groups: tuple[str, ...] | None = None
    load: Callable[[], bytes | None] | None = None
    narrows: bool = False

    @property
    def suffix(self) -> str:
        """The lower-case suffix that says the file's format; a part of a file holding many
        documents (``box.mbox/2``, a mailbox's second message) has its parts' format."""
        name = self.path or PurePosixPath(self.source)
        suffix = name.suffix.lower()
        if not suffix and (whole := format_of(name.parent.suffix)) is not None and whole.split:
            return whole.part_suffix or suffix
        return suffix


def printable_name(name: str) -> str:
    """A file name as valid text on one line: bytes that are not UTF-8 become ``\\xff``,
    control characters such as a newline become ``\\n``; every other character stays."""
    text = os.fsencode(name).decode("utf-8", errors="backslashreplace")
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def _source_name(path: Path, base: Path) -> str:
    """``path`` relative to ``base``: ``seeds/a.txt`` for ``docqa index seeds``."""
    try:
        return printable_name(path.relative_to(base).as_posix())
    except ValueError:
        return printable_name(path.as_posix())


def source_bases(roots: Sequence[Path]) -> list[Path]:
    """The folder each root's sources are named from: its parent, so ``docqa index
    seeds`` names ``seeds/a.txt``; for roots of the same name (``a/docs`` and
    ``b/docs``) the folders above them too, as far as it takes to tell them apart."""
    absolute = [Path(os.path.abspath(r)) for r in roots]
    depth = [1] * len(absolute)

    def tail(i: int) -> tuple[str, ...]:
        return absolute[i].parts[-depth[i] :] if absolute[i].name else absolute[i].parts

    while True:
        counts = Counter(tail(i) for i in range(len(absolute)))
        clashing = [
            i
            for i in range(len(absolute))
            if counts[tail(i)] > 1 and depth[i] < len(absolute[i].parts) - 1
        ]
        if not clashing:
            break
        for i in clashing:
            depth[i] += 1
    bases = []
    for path, up in zip(absolute, depth, strict=True):
        base = path
        for _ in range(up):
            base = base.parent
        bases.append(base)
    return bases


def discover(paths: list[Path]) -> Iterator[Candidate | Skipped]:
    """Yield supported files under ``paths`` (recursive, symlinks followed once) in a stable order.

    Problems are yielded as ``Skipped``; files of unsupported types are passed over silently
    (with a debug log), hidden files and folders too. Each folder given (or a file's
    folder) may hold an ``access.yaml``; a broken one raises ``ConfigError``. Paths whose
    names are the same (``a/docs``, ``b/docs``) are named with the folders above them.
    """
    seen_dirs: set[str] = set()
    for given, base in zip(paths, source_bases(paths), strict=True):
        root = Path(os.path.abspath(given))
        if root.is_dir():
            yield from _walk(root, base, seen_dirs, load_rules(root))
        elif root.is_file():
            if root.suffix.lower() in SUFFIXES:
                groups = load_rules(root.parent).groups(PurePosixPath(root.name))
                yield Candidate(root, _source_name(root, base), groups)
            else:
                yield Skipped(
                    printable_name(Path(given).as_posix()),
                    f"unsupported file type {printable_name(root.suffix) or '(none)'}",
                )
        else:
            yield Skipped(printable_name(Path(given).as_posix()), _missing_reason(root))


def unique_sources(found: Sequence[Candidate | Skipped]) -> list[Candidate | Skipped]:
    """``found`` with every candidate whose source an earlier one already has skipped,
    naming the file that has it: two files never silently share one source."""
    first: dict[str, Candidate] = {}
    out: list[Candidate | Skipped] = []
    for item in found:
        if isinstance(item, Candidate) and item.source in first:
            taken = first[item.source]
            shown = printable_name(str(item.path)) if item.path else item.source
            where = printable_name(str(taken.path)) if taken.path else taken.source
            out.append(Skipped(shown, f"its name {item.source} is already taken by {where}"))
            continue
        if isinstance(item, Candidate):
            first[item.source] = item
        out.append(item)
    return out


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


# Deeper folders are skipped with their reason: no article archive nests this deep, and
# a path this long is near the system's own limit.
MAX_DEPTH = 256


def _walk(
    top: Path, base: Path, seen: set[str], rules: AccessRules
) -> Iterator[Candidate | Skipped]:
    """Depth-first in name order, with an explicit stack instead of recursion: any depth
    of folders is walked, or skipped past ``MAX_DEPTH`` with its reason."""
    stack: list[Iterator[os.DirEntry[str]]] = []
    pending: Path | None = top
    while pending is not None or stack:
        if pending is not None:
            folder, pending = pending, None
            if len(stack) > MAX_DEPTH:
                yield Skipped(
                    _source_name(folder, base), f"folder nested more than {MAX_DEPTH} levels deep"
                )
                continue
            real = os.path.realpath(folder)
            if real in seen:
                yield Skipped(_source_name(folder, base), "symlink loop (folder already visited)")
                continue
            seen.add(real)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                yield Skipped(_source_name(folder, base), f"cannot list folder ({exc.strerror})")
                continue
            stack.append(iter(entries))
            continue
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir:
            pending = path
        elif not is_file:
            if entry.is_symlink():
                yield Skipped(_source_name(path, base), _missing_reason(path))
        elif path.suffix.lower() in SUFFIXES:
            relative = PurePosixPath(path.relative_to(top).as_posix())
            yield Candidate(path, _source_name(path, base), rules.groups(relative))
        else:
            logger.debug("ignoring %s: unsupported type", path)


def read_source(candidate: Candidate, limits: SourceSettings) -> bytes:
    """A file's bytes, or ``SourceError`` with a one-line reason (too large, unreadable)."""
    if candidate.load is not None:
        data = candidate.load()
        if data is None:
            raise SourceError("no longer kept (removed while the run went on)")
        return data
    if candidate.path is None:
        raise SourceError("nothing to read")
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
    """Who may read the document.

    A folder's file: its front matter's ``groups:`` (Markdown), else its access rule's,
    else ``default``. An upload: the groups the admin gave (else ``default``), narrowed by
    its front matter, never widened.
    """
    known = format_of(candidate.suffix)
    named = front_matter_groups(data) if known is not None and known.front_matter else None
    given = candidate.groups if candidate.groups is not None else tuple(default)
    if named is None:
        return given
    return narrowed(given, named) if candidate.narrows else named


def narrowed(given: Sequence[str], named: Sequence[str]) -> tuple[str, ...]:
    """``given`` narrowed to ``named``: the groups in both, where ``everyone`` in
    ``given`` stands for any group and in ``named`` for no narrowing at all. Nothing in
    common leaves no group: only service accounts may read the document."""
    if EVERYONE in named:
        return tuple(given)
    if EVERYONE in given:
        return tuple(named)
    return tuple(g for g in given if g in set(named))


def extract_document(
    candidate: Candidate, data: bytes, limits: SourceSettings, groups: Sequence[str] = ()
) -> SourceDocument:
    """The document in a file's bytes, or ``SourceError`` with a one-line reason."""
    extracted = extract(candidate.suffix, data, limits)
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


def expand(
    found: Sequence[Candidate | Skipped], limits: SourceSettings
) -> Iterator[Candidate | Skipped]:
    """``found``, a file holding many documents (a mailbox) replaced by one candidate per
    document in it, named ``SOURCE/N`` (from 1), with the file's groups. A folder's file is
    read again, part by part, when each part is indexed; a stored upload's bytes are kept
    for the run."""
    for item in found:
        known = format_of(item.suffix) if isinstance(item, Candidate) else None
        if not isinstance(item, Candidate) or known is None or known.split is None:
            yield item
            continue
        try:
            data = read_source(item, limits)
        except SourceError as exc:
            yield Skipped(item.source, str(exc))
            continue
        found_parts = parts(known, item.source, data)
        if not found_parts:
            yield Skipped(item.source, f"not a {known.name} (it does not start like one)")
            continue
        kept = data if item.path is None else None
        del data
        for name, start, end in found_parts:
            yield Candidate(
                None,
                name,
                item.groups,
                load=partial(_part, item.path, kept, start, end),
                narrows=item.narrows,
            )


def _part(path: Path | None, data: bytes | None, start: int, end: int) -> bytes | None:
    """Bytes ``start:end`` of ``data``, or of the file at ``path`` (None once it is gone)."""
    if data is not None:
        return data[start:end]
    assert path is not None
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            return handle.read(end - start)
    except OSError:
        return None
