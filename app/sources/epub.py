"""EPUB books: the chapters in reading order (the spine), read as HTML; title and date
from the package document. The container's XML is read with defusedxml
(``containers.py``); chapters go through the HTML extractor, so scripts, styles and
images are dropped and nothing is fetched."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from app.errors import SourceError
from app.sources.containers import Container, local
from app.sources.html import extract_html
from app.sources.metadata import Extracted, normalise_date

if TYPE_CHECKING:
    from app.settings import SourceSettings

__all__ = ["extract_epub"]


def extract_epub(data: bytes, limits: SourceSettings) -> Extracted:
    """The book's text, chapter after chapter, its title and date."""
    box = Container(data, "EPUB", limits)
    container = box.xml("META-INF/container.xml")
    if container is None:
        raise SourceError("not an EPUB (no META-INF/container.xml)")
    opf_path = next(
        (e.get("full-path") for e in container.iter() if local(e.tag) == "rootfile"), None
    )
    package = box.xml(opf_path) if opf_path else None
    if opf_path is None or package is None:
        raise SourceError("not an EPUB (no package document)")
    folder = posixpath.dirname(opf_path)
    items = {
        e.get("id"): e.get("href")
        for e in package.iter()
        if local(e.tag) == "item" and e.get("id") and e.get("href")
    }
    order = [e.get("idref") for e in package.iter() if local(e.tag) == "itemref"]
    chapters = []
    for ref in order:
        href = items.get(ref)
        if not href:
            continue
        page = box.read(posixpath.normpath(posixpath.join(folder, href.split("#")[0])))
        if page is None:
            continue
        try:
            chapters.append(extract_html(page).text)
        except SourceError:
            continue  # an empty or image-only chapter
    text = "\n\n".join(c for c in chapters if c.strip())
    if not text:
        raise SourceError("EPUB has no text")
    meta = {local(e.tag): (e.text or "").strip() for e in package.iter()
            if local(e.tag) in ("title", "date")}  # fmt: skip
    return Extracted(text, meta.get("title") or None, normalise_date(meta.get("date")))
