"""Loading files: encodings, formats, metadata and the reasons bad files are skipped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.errors import SourceError
from app.settings import SourceSettings
from app.sources import Candidate, discover, load_document
from app.sources.decode import decode_text
from app.sources.formats import extract
from app.sources.metadata import Extracted, normalise_date
from app.types import Skipped


def _extract(path: Path, data: bytes) -> Extracted:
    return extract(path.suffix, data, SourceSettings())


def test_decodes_utf8_utf16_and_cp1252() -> None:
    text = "Café “quoted” — naïve"
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-16")) == text  # with BOM
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    long = ("Le café était fermé à cause de la grève. " * 5) + "“Déjà vu”, dit-il."
    assert decode_text(long.encode("cp1252")) == long


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty"), (b"  \n\t", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")],
)
def test_unreadable_bytes_give_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        decode_text(data)


def test_seed_header_gives_date_and_text_without_it() -> None:
    got = _extract(Path("a.txt"), b"date 2026-03-03 Fighting resumed. More later.")
    assert got.date == "2026-03-03"
    assert got.text == "Fighting resumed. More later."


def test_markdown_front_matter_and_heading() -> None:
    got = _extract(Path("a.md"), b"---\ntitle: Front\ndate: 2026-02-10\n---\nBody text here.")
    assert (got.title, got.date, got.text.strip()) == ("Front", "2026-02-10", "Body text here.")
    assert _extract(Path("b.md"), b"# A heading\n\nText.").title == "A heading"


def test_html_metadata_and_visible_text_only() -> None:
    html = (
        b'<html><head><title>T</title><meta name="date" content="2026-01-02"></head><body>'
        b"<h1>Head</h1><p>One <b>bold</b> line.</p><script>evil()</script>"
        b"<style>p{}</style><p>Two.</p></body></html>"
    )
    got = _extract(Path("a.html"), html)
    assert got.title == "T"
    assert got.date == "2026-01-02"
    assert "evil" not in got.text
    assert "p{}" not in got.text
    assert got.text == "Head\n\nOne bold line.\n\nTwo."


def _pdf_bytes(text: str, title: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle(title)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def test_pdf_text_and_title() -> None:
    got = _extract(Path("a.pdf"), _pdf_bytes("The harbour reopened in May.", "Harbour news"))
    assert "The harbour reopened in May." in got.text
    assert got.title == "Harbour news"


def test_corrupt_pdf_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="PDF"):
        _extract(Path("a.pdf"), b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage \x00\x01")


def test_dates_are_normalised() -> None:
    assert normalise_date("2026-03-01T08:00:00Z") == "2026-03-01"
    assert normalise_date("Sun, 01 Mar 2026 08:00:00 +0000") == "2026-03-01"
    assert normalise_date("D:20260301120000Z") == "2026-03-01"
    assert normalise_date("yesterday") is None


def test_title_derived_from_first_real_sentence(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "date 2026-02-28 This article was originally published elsewhere.\n\n"
        "Pakistan carried out strikes on Kabul. More text.",
        encoding="utf-8",
    )
    doc = load_document(Candidate(path, "a.txt"), SourceSettings())
    assert doc.title == "Pakistan carried out strikes on Kabul."
    assert doc.date == "2026-02-28"


def test_discover_reports_symlink_loops_and_ignores_hidden(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("Hello there. Fine.", encoding="utf-8")
    (root / ".hidden.txt").write_text("secret", encoding="utf-8")
    (root / "sub" / "back").symlink_to(root)  # folder loop
    (root / "x.txt").symlink_to(root / "y.txt")
    (root / "y.txt").symlink_to(root / "x.txt")  # file loop
    (root / "image.png").write_bytes(b"\x89PNG")
    found = list(discover([root]))
    candidates = [f.source for f in found if isinstance(f, Candidate)]
    reasons = {f.source: f.reason for f in found if isinstance(f, Skipped)}
    assert candidates == ["docs/sub/a.txt"]
    assert reasons["docs/x.txt"] == "symlink loop"
    assert reasons["docs/y.txt"] == "symlink loop"
    assert "symlink loop" in reasons["docs/sub/back"]


@pytest.mark.parametrize(
    ("head", "groups"),
    [
        (b"---\ngroups: [finance, board]\ntitle: T\n---\nText.", ("finance", "board")),
        (b"---\ngroups: finance, hr\n---\nText.", ("finance", "hr")),
        (b"---\ngroups: [finance, 'not a group']\n---\nText.", None),  # one bad name: none
        (b"---\ntitle: no groups\n---\nText.", None),
        (b"No front matter at all.", None),
        (b"---\ngroups: [a\n---\nbroken YAML", None),
    ],
)
def test_front_matter_names_groups_or_leaves_them_to_the_access_file(
    head: bytes, groups: tuple[str, ...] | None
) -> None:
    from app.sources.access import front_matter_groups

    assert front_matter_groups(head) == groups
