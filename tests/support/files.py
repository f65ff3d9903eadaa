"""Files in the formats docqa reads, written by the libraries people write them with."""

from __future__ import annotations

import io
import mailbox
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

__all__ = ["docx", "email", "epub", "mbox", "odt", "pptx", "zipped"]


def docx(paragraphs: list[str], title: str = "", table: list[str] = ()) -> bytes:  # type: ignore[assignment]
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=1, cols=len(table))
        for cell, text in zip(grid.rows[0].cells, table, strict=True):
            cell.text = text
    document.core_properties.title = title
    document.core_properties.created = datetime(2026, 2, 27, 9, 30)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx(slides: list[str]) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for text in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = text
    deck.core_properties.title = "Briefing"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def odt(heading: str, paragraphs: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=heading))
    for text in paragraphs:
        document.text.addElement(P(text=text))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def epub(chapters: list[str], title: str = "Border notes") -> bytes:
    from ebooklib import epub as ebook

    book = ebook.EpubBook()
    book.set_identifier("docqa-test")
    book.set_title(title)
    book.set_language("en")
    book.add_metadata("DC", "date", "2026-03-02")
    pages = []
    for number, text in enumerate(chapters, start=1):
        page = ebook.EpubHtml(title=f"Chapter {number}", file_name=f"ch{number}.xhtml")
        page.content = (
            f"<html><body><h1>Chapter {number}</h1><p>{text}</p>"
            "<script>steal()</script><img src='https://tracker.example/x.png'/></body></html>"
        )
        book.add_item(page)
        pages.append(page)
    book.add_item(ebook.EpubNcx())
    book.add_item(ebook.EpubNav())
    book.spine = list(reversed(pages))  # reading order is the spine's, not the files'
    out = io.BytesIO()
    ebook.write_epub(out, book)
    return out.getvalue()


def email(subject: str, body: str, date: str = "Fri, 27 Feb 2026 10:15:00 +0000",
          html: bool = False, attachments: int = 0) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = "desk@example.org"
    message["To"] = "analysts@example.org"
    message["Subject"] = subject
    message["Date"] = date
    if html:
        message.set_content(f"<p>{body}</p><script>x()</script>", subtype="html")
    else:
        message.set_content(body)
    for number in range(attachments):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream",
                               filename=f"a{number}.bin")  # fmt: skip
    return bytes(message)


def mbox(tmp_path: Path, messages: list[bytes]) -> bytes:
    path = tmp_path / "box.mbox"
    box = mailbox.mbox(path)
    for data in messages:
        box.add(data)
    box.close()
    return path.read_bytes()


def zipped(members: dict[str, bytes], mimetype: bytes | None = None) -> bytes:
    """A zip of ``members``; with ``mimetype``, stored first as OpenDocument and EPUB do."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype is not None:
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
