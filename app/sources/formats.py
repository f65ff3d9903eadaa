"""Per-format text and metadata extraction: plain text, Markdown, HTML and PDF."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from app.errors import SourceError
from app.sources.decode import decode_text

__all__ = ["SUFFIXES", "Extracted", "extract"]


@dataclass(frozen=True)
class Extracted:
    """What a file yields before it becomes a document: its text and what metadata it carries."""

    text: str
    title: str | None
    date: str | None


# "date 2026-03-03 There were fierce ..." (the seed articles' header; body on the same line)
_DATE_HEADER = re.compile(r"\A\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*")
_MD_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def normalise_date(value: Any) -> str | None:
    """Return a ``YYYY-MM-DD`` string for a date-like value, or None if it is not one."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("D:") and len(text) >= 10:  # PDF date: D:YYYYMMDDHHmmSS
        text = f"{text[2:6]}-{text[6:8]}-{text[8:10]}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


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


_HTML_DATE_META = (
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("name", "date"),
    ("name", "pubdate"),
    ("name", "publish-date"),
    ("name", "dc.date"),
    ("name", "DC.date.issued"),
    ("itemprop", "datePublished"),
)
_HTML_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head", "nav")
_HTML_BLOCKS = (
    "p", "div", "section", "article", "header", "footer", "main", "aside", "li", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "blockquote", "pre", "figure",
    "figcaption", "dd", "dt", "br", "hr",
)  # fmt: skip


def _html(data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data), "html.parser")
    title = None
    og = soup.find("meta", attrs={"property": "og:title"})
    if og and og.get("content"):
        title = str(og["content"]).strip()
    elif soup.title and soup.title.string and soup.title.string.strip():
        title = soup.title.string.strip()
    elif (h1 := soup.find("h1")) and h1.get_text(strip=True):
        title = h1.get_text(" ", strip=True)
    published = None
    for attr, name in _HTML_DATE_META:
        tag = soup.find("meta", attrs={attr: name})
        if tag and (published := normalise_date(str(tag.get("content", "")))):
            break
    if published is None and (tag := soup.find("time", attrs={"datetime": True})):
        published = normalise_date(str(tag["datetime"]))
    for tag in soup(_HTML_DROP):
        tag.decompose()
    # Mark block boundaries so paragraphs survive get_text(), then tidy whitespace.
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = (re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in soup.get_text().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise SourceError("no visible text in the HTML")
    return Extracted(text, title, published)


def _pdf(data: bytes) -> Extracted:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("encrypted PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta = reader.metadata
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceError(f"corrupt or unreadable PDF ({type(exc).__name__})") from exc
    text = "\n\n".join(p for p in pages if p)
    if not text:
        raise SourceError("PDF has no extractable text (scanned images?)")
    title = meta.title.strip() if meta and meta.title and meta.title.strip() else None
    raw_date = meta.get("/CreationDate") if meta else None
    return Extracted(text, title, normalise_date(str(raw_date)) if raw_date else None)


_EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": _text,
    ".text": _text,
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": _html,
    ".htm": _html,
    ".pdf": _pdf,
}
SUFFIXES = frozenset(_EXTRACTORS)


def extract(path: Path, data: bytes) -> Extracted:
    """Extract text, title and date from a file's bytes according to its suffix."""
    extractor = _EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise SourceError(f"unsupported file type {path.suffix or '(none)'}")
    if path.suffix.lower() == ".pdf" and not data.startswith(b"%PDF"):
        raise SourceError("not a PDF (no %PDF header)" if data.strip() else "empty file")
    return extractor(data)
