"""Hostile files, made on the spot: for the extraction benchmark and the hostile tests."""

from __future__ import annotations

import io

__all__ = ["flat_html", "many_page_pdf", "nested_html", "paragraph_html", "wide_tag_html"]


def flat_html(divs: int) -> bytes:
    """``divs`` sibling ``<div>x</div>`` (10,000 are 120 KB)."""
    return b"<html><body>" + b"<div>x</div>" * divs + b"</body></html>"


def nested_html(depth: int) -> bytes:
    """Text inside ``depth`` nested ``<div>`` (50,000 are 550 KB)."""
    return b"<html><body>" + b"<div>" * depth + b"deep text" + b"</div>" * depth + b"</body></html>"


def wide_tag_html(attributes: int) -> bytes:
    """One paragraph whose tag carries ``attributes`` attributes."""
    names = " ".join(f"a{i}=v" for i in range(attributes))
    return f"<html><body><p {names}>text</p></body></html>".encode()


def paragraph_html(size: int) -> bytes:
    """An ordinary article page of about ``size`` bytes: a title, a date, paragraphs."""
    paragraph = (
        "<p>The council met on Tuesday to discuss the new harbour wall, which engineers "
        "say will protect the old town from the winter storms for another fifty years.</p>\n"
    )
    head = (
        "<html><head><title>Harbour wall</title>"
        '<meta property="article:published_time" content="2026-02-03"></head><body>'
    )
    body = paragraph * max(1, (size - len(head)) // len(paragraph))
    return (head + body + "</body></html>").encode()


def many_page_pdf(pages: int, text: str = "Page text here.") -> bytes:
    """A valid PDF of ``pages`` pages that all draw ``text`` from one shared content stream."""
    out = io.BytesIO()
    offsets: list[int] = []

    def write(number: int, body: str) -> None:
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())

    out.write(b"%PDF-1.4\n")
    write(1, "<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in range(5, 5 + pages))
    write(2, f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>")
    write(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
    write(4, f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    page = (
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 3 0 R >> >> >>"
    )
    for number in range(5, 5 + pages):
        write(number, page)
    xref = out.tell()
    out.write(f"xref\n0 {5 + pages}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {5 + pages} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
