"""Office, OpenDocument, EPUB and e-mail files, written by the libraries people write them
with, read through the format table; and the hostile versions of each, every one skipped
with its own reason."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from app.errors import SourceError
from app.service import DocQA
from app.settings import SourceSettings
from app.sources.formats import FORMATS, content_problem, extract, format_of, listed
from app.sources.metadata import Extracted
from tests.support.files import docx, email, epub, mbox, odt, pptx, zipped

LIMITS = SourceSettings()


def read(suffix: str, data: bytes, limits: SourceSettings = LIMITS) -> Extracted:
    return extract(suffix, data, limits)


# What each format gives


def test_a_word_document_gives_its_paragraphs_table_cells_title_and_date() -> None:
    data = docx(["Pakistan struck Kandahar on February 27.", "Kabul answered with drones."],
                title="Strikes", table=["Cell one", "Cell two"])  # fmt: skip
    got = read(".docx", data)
    assert got.text.split("\n\n")[:2] == [
        "Pakistan struck Kandahar on February 27.",
        "Kabul answered with drones.",
    ]
    assert "Cell one" in got.text
    assert "Cell two" in got.text
    assert (got.title, got.date) == ("Strikes", "2026-02-27")


def test_a_presentation_gives_its_slides_in_order() -> None:
    got = read(".pptx", pptx([f"Slide number {n} text" for n in range(1, 12)]))
    assert got.title == "Briefing"
    order = [got.text.index(f"Slide number {n} text") for n in range(1, 12)]
    assert order == sorted(order)  # slide 10 after slide 9, not after slide 1


def test_an_opendocument_text_gives_its_heading_and_paragraphs() -> None:
    got = read(".odt", odt("Ceasefire talks", ["Talks resumed in Doha.", "Both sides came."]))
    assert got.text.split("\n\n") == [
        "Ceasefire talks",
        "Talks resumed in Doha.",
        "Both sides came.",
    ]


def test_an_epub_is_read_in_spine_order_without_scripts_or_remote_images() -> None:
    got = read(".epub", epub(["First written.", "Second written."]))
    assert got.text.index("Second written.") < got.text.index("First written.")
    assert "steal" not in got.text
    assert "tracker" not in got.text
    assert (got.title, got.date) == ("Border notes", "2026-03-02")


def test_an_email_gives_its_body_subject_and_date_never_its_attachments() -> None:
    got = read(".eml", email("Crossing closed", "Torkham stayed shut on Friday.", attachments=2))
    assert (got.text, got.title, got.date) == ("Torkham stayed shut on Friday.", "Crossing closed",
                                               "2026-02-27")  # fmt: skip
    html = read(".eml", email("Html only", "Chaman reopened.", html=True))
    assert html.text == "Chaman reopened."


def test_a_mailbox_is_one_document_per_message_each_with_its_subject(
    tmp_path: Path, service: DocQA
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    messages = [email(f"Report {n}", f"Convoy {n} reached Jalalabad on day {n}.",
                      date=f"Mon, {n:02d} Mar 2026 08:00:00 +0000") for n in (1, 2, 3)]  # fmt: skip
    (folder / "desk.mbox").write_bytes(mbox(tmp_path, messages))
    report = service.index([folder])
    assert (report.documents, report.skipped) == (3, [])
    listed_docs = {d.source: d for d in service.catalogue()}
    assert sorted(listed_docs) == ["mail/desk.mbox/1", "mail/desk.mbox/2", "mail/desk.mbox/3"]
    second = listed_docs["mail/desk.mbox/2"]
    assert (second.title, second.date) == ("Report 2", "2026-03-02")
    document = service.document(second.key)
    assert document is not None
    assert document.text == "Convoy 2 reached Jalalabad on day 2."


def test_every_new_format_is_indexed_from_a_folder(tmp_path: Path, service: DocQA) -> None:
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "a.docx").write_bytes(docx(["The docx fact."], title="Word"))
    (folder / "b.pptx").write_bytes(pptx(["The pptx fact."]))
    (folder / "c.odt").write_bytes(odt("Heading", ["The odt fact."]))
    (folder / "d.epub").write_bytes(epub(["The epub fact."]))
    (folder / "e.eml").write_bytes(email("Mail", "The eml fact."))
    report = service.index([folder])
    assert (report.documents, report.skipped) == (5, [])


# The table


def test_the_table_is_what_help_messages_and_lookups_read() -> None:
    for suffix in (".txt", ".md", ".html", ".pdf", ".docx", ".pptx", ".odt", ".epub", ".eml",
                   ".mbox"):  # fmt: skip
        assert format_of(suffix) is not None
        assert format_of(suffix.upper()) is not None
    assert listed() == ", ".join(f.suffixes[0] for f in FORMATS)
    with pytest.raises(SourceError, match=r"unsupported file type \.xls"):
        read(".xls", b"x")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.docx", b"just text, not a Word file", "the name says Word document"),
        ("deck.pptx", b"%PDF-1.7\n", "the name says PowerPoint presentation"),
        ("book.epub", "odt", "the container holds no META-INF/container.xml"),
        ("torn.docx", b"PK\x03\x04" + bytes(40), "a damaged zip container"),
        ("box.mbox", b"Subject: no envelope line\n\nbody", "the name says mailbox"),
        ("mail.eml", b"\x00\x01\x02binary", "the name says e-mail but the content is binary"),
    ],
)
def test_an_upload_whose_content_is_not_what_its_name_says_is_refused(
    name: str, data: bytes | str, reason: str
) -> None:
    body = odt("h", ["p"]) if data == "odt" else data
    assert isinstance(body, bytes)
    problem = content_problem(Path(name).suffix, body)
    assert problem is not None
    assert reason in problem


def test_an_upload_of_each_format_passes_the_content_check(tmp_path: Path) -> None:
    for name, data in [("a.docx", docx(["x"])), ("b.pptx", pptx(["x"])), ("c.odt", odt("h", ["x"])),
                       ("d.epub", epub(["x"])), ("e.eml", email("s", "x")),
                       ("f.mbox", mbox(tmp_path, [email("s", "x")]))]:  # fmt: skip
        assert content_problem(Path(name).suffix, data) is None, name


# Hostile files: each refused with its own reason, in time proportional to its size


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def word_xml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<w:document {_W}><w:body><w:p><w:r><w:t>{body}'
            "</w:t></w:r></w:p></w:body></w:document>").encode()  # fmt: skip


def test_a_zip_bomb_inside_a_word_document_is_refused_before_it_inflates() -> None:
    bomb = zipped({"word/document.xml": word_xml("x"), "word/media/zeros.bin": bytes(210 << 20)})
    assert len(bomb) < 1 << 20
    with pytest.raises(SourceError, match=r"would inflate to 210 MB .*zip bomb"):
        read(".docx", bomb)


def test_an_epub_bomb_is_refused_by_the_inflated_limit() -> None:
    bomb = zipped({"OEBPS/ch1.xhtml": bytes(3 << 20)}, mimetype=b"application/epub+zip")
    with pytest.raises(SourceError, match="MAX_INFLATED_MB"):
        read(".epub", bomb, SourceSettings(max_inflated_mb=2))


def test_a_member_larger_than_its_zip_declares_is_never_read_past_the_declaration() -> None:
    data = bytearray(zipped({"word/document.xml": word_xml("y" * 50_000)}))
    # Lower the declared size in both headers: inflating stops there and the check fails.
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 100)
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(SourceError, match=r"member word/document.xml cannot be read \(Bad CRC"):
        read(".docx", bytes(data))


def test_too_many_members_is_refused() -> None:
    box = zipped({f"word/m{n}.xml": b"" for n in range(30)} | {"word/document.xml": word_xml("z")})
    with pytest.raises(SourceError, match=r"holds 31 files; the limit is 20"):
        read(".docx", box, SourceSettings(max_members=20))


def test_an_external_entity_is_refused_not_fetched() -> None:
    xxe = '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    with pytest.raises(SourceError, match="declares XML entities"):
        read(".docx", zipped({"word/document.xml": word_xml("&secret;", xxe)}))


def test_a_billion_laughs_is_refused_not_expanded() -> None:
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    content = (f'<?xml version="1.0"?><!DOCTYPE d [{laughs}]><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">&l9;'
               "</office:document-content>").encode()  # fmt: skip
    box = zipped({"content.xml": content}, mimetype=b"application/vnd.oasis.opendocument.text")
    with pytest.raises(SourceError, match="declares XML entities"):
        read(".odt", box)


@pytest.mark.parametrize("suffix", [".docx", ".pptx", ".odt", ".epub"])
def test_a_corrupt_container_is_named_as_damaged(suffix: str) -> None:
    whole = {".docx": docx(["x"]), ".pptx": pptx(["x"]), ".odt": odt("h", ["x"]),
             ".epub": epub(["x"])}[suffix]  # fmt: skip
    with pytest.raises(SourceError, match="damaged zip container"):
        read(suffix, whole[: len(whole) // 2])


def test_an_email_with_ten_thousand_attachments_is_refused() -> None:
    message = email("Many", "Body.", attachments=10_000)
    with pytest.raises(SourceError, match=r"more than 1,000 parts"):
        read(".eml", message)


def test_an_email_with_a_fifty_megabyte_header_is_refused_before_it_is_parsed() -> None:
    header = b"X-Padding: " + b"a" * 76 + b"\r\n"
    message = b"Subject: big\r\n" + header * (50_000_000 // len(header)) + b"\r\nBody.\r\n"
    with pytest.raises(SourceError, match=r"e-mail header of 48,828 KB; the limit is 256 KB"):
        read(".eml", message)


def test_hostile_files_in_a_folder_are_each_skipped_with_their_own_reason(
    tmp_path: Path, service: DocQA
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    xxe = '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    (folder / "xxe.docx").write_bytes(zipped({"word/document.xml": word_xml("&secret;", xxe)}))
    (folder / "bomb.docx").write_bytes(
        zipped({"word/document.xml": word_xml("x"), "z.bin": bytes(210 << 20)})
    )
    (folder / "broken.epub").write_bytes(epub(["x"])[:500])
    (folder / "many.eml").write_bytes(email("Many", "Body.", attachments=1_001))
    (folder / "good.docx").write_bytes(docx(["The one readable file."]))
    report = service.index([folder])
    assert report.documents == 1
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert "declares XML entities" in reasons["xxe.docx"]
    assert "zip bomb" in reasons["bomb.docx"]
    assert "damaged zip container" in reasons["broken.epub"]
    assert "parts" in reasons["many.eml"]
