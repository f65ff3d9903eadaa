"""Every file format docqa reads, in one table: its suffixes, how its content is
recognised, its extractor and the limits that apply to it.

Indexing, uploads (which check that the content is what the name says), the command
line's help and the error messages all read this table: adding a format is one extractor
and one row. A format that holds many documents (a mailbox) also names how to split it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import SourceError
from app.sources.epub import extract_epub
from app.sources.html import extract_html
from app.sources.mail import extract_email, split_mbox
from app.sources.metadata import Extracted
from app.sources.office import extract_docx, extract_odt, extract_pptx
from app.sources.pdf import extract_pdf
from app.sources.text import extract_markdown, extract_text

if TYPE_CHECKING:
    from app.settings import SourceSettings

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Format",
    "content_problem",
    "extract",
    "format_of",
    "listed",
    "parts",
]

_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class Format:
    """One kind of file: how it is named, recognised and read."""

    name: str  # as people call it, in messages
    suffixes: tuple[str, ...]
    extract: Callable[[bytes, SourceSettings], Extracted]
    # What the content must look like: "text" (no binary bytes), "zip" (a zip container,
    # ``mimetype`` member checked when given), or leading bytes.
    content: str | bytes
    limits: str  # the DOCQA_SOURCES__* settings that bound it, for the documentation
    member: str | None = None  # a zip container's member that says what it holds
    mimetype: bytes | None = None  # an OpenDocument/EPUB container's mimetype member
    # A file holding many documents: where each lies, each read as ``part_suffix``.
    split: Callable[[bytes], list[tuple[int, int]]] | None = None
    part_suffix: str | None = None
    front_matter: bool = False  # may name its own access groups


def _html(data: bytes, limits: SourceSettings) -> Extracted:
    return extract_html(data)


def _pdf(data: bytes, limits: SourceSettings) -> Extracted:
    return extract_pdf(data, max_pages=limits.max_pdf_pages)


_SIZE = "MAX_FILE_MB"
_CONTAINER = f"{_SIZE}, MAX_INFLATED_MB, MAX_MEMBERS"
_MAIL = f"{_SIZE}, MAX_MAIL_HEADER_KB, MAX_MAIL_PARTS"

FORMATS: tuple[Format, ...] = (
    Format("text", (".txt", ".text"), extract_text, "text", _SIZE),
    Format("Markdown", (".md", ".markdown"), extract_markdown, "text", _SIZE, front_matter=True),
    Format("HTML", (".html", ".htm"), _html, "text", _SIZE),
    Format("PDF", (".pdf",), _pdf, b"%PDF-", f"{_SIZE}, MAX_PDF_PAGES"),
    Format("Word document", (".docx",), extract_docx, "zip", _CONTAINER,
           member="word/document.xml"),
    Format("PowerPoint presentation", (".pptx",), extract_pptx, "zip", _CONTAINER,
           member="ppt/presentation.xml"),
    Format("OpenDocument text", (".odt",), extract_odt, "zip", _CONTAINER,
           member="content.xml", mimetype=b"application/vnd.oasis.opendocument.text"),
    Format("EPUB book", (".epub",), extract_epub, "zip", _CONTAINER,
           member="META-INF/container.xml", mimetype=b"application/epub+zip"),
    Format("e-mail", (".eml",), extract_email, "text", _MAIL),
    Format("mailbox", (".mbox",), extract_email, b"From ", _MAIL, split=split_mbox,
           part_suffix=".eml"),
)  # fmt: skip

_BY_SUFFIX = {suffix: f for f in FORMATS for suffix in f.suffixes}
SUFFIXES = frozenset(_BY_SUFFIX)


def format_of(suffix: str) -> Format | None:
    """The format a (lower- or upper-case) suffix names, or None."""
    return _BY_SUFFIX.get(suffix.lower())


def parts(found: Format, name: str, data: bytes) -> list[tuple[str, int, int]]:
    """The documents of a file holding many (``found.split``): each one's name,
    ``NAME/1``, ``NAME/2``, …, and where its bytes lie in ``data``."""
    assert found.split is not None
    return [(f"{name}/{n}", start, end) for n, (start, end) in enumerate(found.split(data), 1)]


def listed() -> str:
    """The suffixes read, for help and messages: ".txt, .md, …"."""
    return ", ".join(f.suffixes[0] for f in FORMATS)


def extract(suffix: str, data: bytes, limits: SourceSettings) -> Extracted:
    """Extract text, title and date from a file's bytes according to its suffix."""
    found = format_of(suffix)
    if found is None:
        raise SourceError(f"unsupported file type {suffix or '(none)'}")
    return found.extract(data, limits)


def content_problem(suffix: str, data: bytes) -> str | None:
    """Why the bytes are not what the name says (checked on upload), or None."""
    import filetype

    found = format_of(suffix)
    if found is None:
        return f"unsupported file type {suffix or '(none)'}"
    head = data[:8192]
    kind = filetype.guess(head)
    seen = kind.mime if kind is not None else (
        "binary" if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) else None
    )  # fmt: skip
    if found.content == "text":
        return None if seen is None else f"the name says {found.name} but the content is {seen}"
    if found.content == "zip":
        return _container_problem(found, data, seen)
    assert isinstance(found.content, bytes)
    if not data.lstrip()[:16].startswith(found.content):
        return f"the name says {found.name} but the content is {seen or 'not a ' + found.name}"
    return None


def _container_problem(found: Format, data: bytes, seen: str | None) -> str | None:
    """Why ``data`` is not the zip container ``found`` names (its directory is read, no
    member is inflated), or None."""
    import io
    import zipfile

    if not data.startswith(_ZIP):
        return f"the name says {found.name} but the content is {seen or 'not a zip container'}"
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return f"not a readable {found.name} (a damaged zip container)"
    if found.member is not None and found.member not in names:
        return f"the name says {found.name} but the container holds no {found.member}"
    if found.mimetype is not None and found.mimetype not in data[:200]:
        return f"the name says {found.name} but the container is of another kind"
    return None
