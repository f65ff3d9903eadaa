"""Word (.docx), PowerPoint (.pptx) and OpenDocument text (.odt) files: their text, title
and date, read from the zip container's XML (``containers.py``: size limits, defusedxml).

Only the text is read: macros, embedded objects and images (local or remote) are never
opened, run or fetched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.errors import SourceError
from app.sources.containers import Container, local, text_of
from app.sources.metadata import Extracted, normalise_date

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from app.settings import SourceSettings

__all__ = ["extract_docx", "extract_odt", "extract_pptx"]

_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml")


def _core(box: Container) -> tuple[str | None, str | None]:
    """Title and creation date from an OOXML file's ``docProps/core.xml``."""
    root = box.xml("docProps/core.xml")
    if root is None:
        return None, None
    values = {local(e.tag): (e.text or "").strip() for e in root}
    title = values.get("title") or None
    return title, normalise_date(values.get("created") or values.get("modified"))


def _need_text(text: str, kind: str) -> str:
    if not text.strip():
        raise SourceError(f"{kind} has no text")
    return text


def extract_docx(data: bytes, limits: SourceSettings) -> Extracted:
    """A Word document's paragraphs (tables' cells included), title and date."""
    box = Container(data, "DOCX", limits)
    body = box.xml("word/document.xml")
    if body is None:
        raise SourceError("not a Word document (no word/document.xml)")
    text = text_of(body, paragraph={"p"}, text={"t"}, breaks={"br", "tab", "cr"})
    title, day = _core(box)
    return Extracted(_need_text(text, "DOCX"), title, day)


def extract_pptx(data: bytes, limits: SourceSettings) -> Extracted:
    """A presentation's slide texts in slide order (one paragraph per text line)."""
    box = Container(data, "PPTX", limits)
    slides = sorted(
        (int(m.group(1)), name) for name in box.names() if (m := _SLIDE.fullmatch(name))
    )
    if not slides:
        raise SourceError("not a PowerPoint presentation (no slides)")
    parts = []
    for _, name in slides:
        root = box.xml(name)
        if root is not None:
            parts.append(text_of(root, paragraph={"p"}, text={"t"}, breaks={"br"}))
    title, day = _core(box)
    return Extracted(_need_text("\n\n".join(p for p in parts if p), "PPTX"), title, day)


def _odf_meta(root: Element | None) -> tuple[str | None, str | None]:
    if root is None:
        return None, None
    values = {local(e.tag): (e.text or "").strip() for e in root.iter()}
    title = values.get("title") or None
    return title, normalise_date(values.get("creation-date") or values.get("date"))


def extract_odt(data: bytes, limits: SourceSettings) -> Extracted:
    """An OpenDocument text's paragraphs and headings, title and date."""
    box = Container(data, "ODT", limits)
    content = box.xml("content.xml")
    if content is None:
        raise SourceError("not an OpenDocument text (no content.xml)")
    body = next((e for e in content.iter() if local(e.tag) == "text"), content)
    text = text_of(body, paragraph={"p", "h"}, text=set(), breaks={"s", "tab", "line-break"})
    title, day = _odf_meta(box.xml("meta.xml"))
    return Extracted(_need_text(text, "ODT"), title, day)
