"""Per-format text and metadata extraction: plain text and Markdown here, HTML and PDF in
their own modules; ``extract`` picks by suffix."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from app.errors import SourceError
from app.sources.decode import decode_text
from app.sources.html import extract_html
from app.sources.metadata import Extracted, normalise_date
from app.sources.pdf import extract_pdf

__all__ = ["SUFFIXES", "extract"]


# "date 2026-03-03 There were fierce ..." (the seed articles' header; body on the same line)
_DATE_HEADER = re.compile(r"\A\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*")
_MD_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _text(data: bytes) -> Extracted:
    text = decode_text(data)
    found = _DATE_HEADER.match(text)
    if found and normalise_date(found.group(1)):
        return Extracted(text[found.end() :], None, found.group(1))
    return Extracted(text, None, None)


def _markdown(data: bytes) -> Extracted:
    import frontmatter

    raw = decode_text(data)
    try:
        meta, body = frontmatter.parse(raw)
    except Exception:  # a malformed front matter block is just text
        meta, body = {}, raw
    raw_title = meta.get("title")
    title = raw_title if isinstance(raw_title, str) else None
    if title is None and (heading := _MD_HEADING.search(body)):
        title = heading.group(1).strip()
    published = normalise_date(meta.get("date") or meta.get("published"))
    if not body.strip():
        raise SourceError("no text after the front matter")
    return Extracted(body, title, published)


_EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": _text,
    ".text": _text,
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": extract_html,
    ".htm": extract_html,
}
SUFFIXES = frozenset([*_EXTRACTORS, ".pdf"])


def extract(suffix: str, data: bytes, *, max_pdf_pages: int) -> Extracted:
    """Extract text, title and date from a file's bytes according to its suffix."""
    suffix = suffix.lower()
    extractor = partial(extract_pdf, max_pages=max_pdf_pages) if suffix == ".pdf" else (
        _EXTRACTORS.get(suffix)
    )  # fmt: skip
    if extractor is None:
        raise SourceError(f"unsupported file type {suffix or '(none)'}")
    return extractor(data)
