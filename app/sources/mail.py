"""E-mail: a message (.eml) is a document, its subject the title and its Date the date;
a mailbox (.mbox) is split into its messages, each a document of its own.

The standard library's parser reads the message; its header is measured before it is
parsed and its parts are counted before the body is chosen, so a hostile message costs
time in proportion to its size. Only the body is read (plain text, else HTML through the
HTML extractor): attachments are never opened.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING

from app.errors import SourceError
from app.sources.html import extract_html
from app.sources.metadata import Extracted, normalise_date

if TYPE_CHECKING:
    from app.settings import SourceSettings

__all__ = ["extract_email", "split_mbox"]

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FROM_LINE = re.compile(rb"(?m)^From ")


def extract_email(data: bytes, limits: SourceSettings) -> Extracted:
    """A message's body, subject and date."""
    end = _HEADER_END.search(data)
    header = end.start() if end else len(data)
    if header > limits.max_mail_header_kb * 1024:
        raise SourceError(
            f"e-mail header of {header / 1024:,.0f} KB; the limit is "
            f"{limits.max_mail_header_kb:,} KB (DOCQA_SOURCES__MAX_MAIL_HEADER_KB)"
        )
    if data.startswith(b"From "):  # a mailbox's envelope line
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except (ValueError, TypeError, IndexError, LookupError) as exc:
        raise SourceError(f"unreadable e-mail ({type(exc).__name__})") from exc
    if not isinstance(message, EmailMessage) or not message.keys():
        raise SourceError("not an e-mail (no header)")
    for parts, _ in enumerate(message.walk(), start=1):
        if parts > limits.max_mail_parts:
            raise SourceError(
                f"e-mail of more than {limits.max_mail_parts:,} parts "
                "(DOCQA_SOURCES__MAX_MAIL_PARTS)"
            )
    text = _body(message)
    if not text.strip():
        raise SourceError("e-mail has no text body")
    subject = " ".join(str(message.get("subject", "")).split()) or None
    return Extracted(text, subject, normalise_date(str(message.get("date", "")) or None))


def _body(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except (KeyError, LookupError, ValueError, TypeError, AttributeError) as exc:
        raise SourceError(f"e-mail body cannot be decoded ({type(exc).__name__})") from exc
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return extract_html(content.encode("utf-8")).text
    return content.strip()


def split_mbox(data: bytes) -> list[tuple[int, int]]:
    """Where each message of a mailbox lies, ``(start, end)``, its ``From `` envelope line
    included; empty if the bytes do not start like a mailbox."""
    if not data.startswith(b"From "):
        return []
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    return list(zip(starts, [*starts[1:], len(data)], strict=True))
