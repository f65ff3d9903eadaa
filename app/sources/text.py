"""Plain text and Markdown: their text, and the title and date they carry."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.errors import SourceError
from app.sources.decode import decode_text
from app.sources.metadata import Extracted, normalise_date

if TYPE_CHECKING:
    from app.settings import SourceSettings

__all__ = ["extract_markdown", "extract_text"]

# "date 2026-03-03 There were fierce ..." (the seed articles' header; body on the same line)
_DATE_HEADER = re.compile(r"\A\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*")
_MD_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def extract_text(data: bytes, limits: SourceSettings) -> Extracted:
    """Text in any encoding; a leading ``date YYYY-MM-DD`` is its date."""
    text = decode_text(data)
    found = _DATE_HEADER.match(text)
    if found and normalise_date(found.group(1)):
        return Extracted(text[found.end() :], None, found.group(1))
    return Extracted(text, None, None)


def extract_markdown(data: bytes, limits: SourceSettings) -> Extracted:
    """Markdown: its front matter's title and date, else its first heading."""
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
