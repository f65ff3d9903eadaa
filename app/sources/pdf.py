"""PDF text and metadata (pypdf), with a page limit checked before any page is read."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from app.errors import SourceError
from app.sources.metadata import Extracted, normalise_date

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = ["extract_pdf"]


def extract_pdf(data: bytes, *, max_pages: int) -> Extracted:
    """The text of every page, the title and the creation date of a PDF.

    A file with more than ``max_pages`` pages is refused before its text is extracted:
    tens of thousands of tiny pages are a cheap way to make indexing take minutes.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF"):
        raise SourceError("not a PDF (no %PDF header)" if data.strip() else "empty file")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("encrypted PDF")
        _check_page_count(reader, max_pages)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta = reader.metadata
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise SourceError(f"corrupt or unreadable PDF ({type(exc).__name__})") from exc
    text = "\n\n".join(p for p in pages if p)
    if not text:
        raise SourceError("PDF has no extractable text (scanned images?)")
    title = meta.title.strip() if meta and meta.title and meta.title.strip() else None
    raw_date = meta.get("/CreationDate") if meta else None
    return Extracted(text, title, normalise_date(str(raw_date)) if raw_date else None)


def _check_page_count(reader: PdfReader, limit: int) -> None:
    """Refuse a PDF of more than ``limit`` pages by walking its page tree, reading at most
    about ``2 * limit`` nodes: pypdf's own page list reads every page first (20 s for
    90,000), and the tree's ``/Count`` may lie."""
    tree: Any = reader.root_object["/Pages"]
    stack = [tree]
    pages = visited = 0
    while stack:
        node = stack.pop().get_object()
        visited += 1
        kids = node.get("/Kids") if hasattr(node, "get") else None
        if kids is None:
            pages += 1
        else:
            stack.extend(kids.get_object())
        if pages > limit or len(stack) > limit or visited > 2 * limit + 16:
            declared = tree.get_object().get("/Count")
            many = f"{int(declared):,}" if isinstance(declared, int) and declared > limit else (
                f"more than {limit:,}"
            )  # fmt: skip
            raise SourceError(
                f"PDF has {many} pages; the limit is {limit:,} (DOCQA_SOURCES__MAX_PDF_PAGES)"
            )
