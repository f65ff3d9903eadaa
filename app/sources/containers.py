"""Zip containers (.docx, .pptx, .odt, .epub) opened safely, and their XML read with
defusedxml.

The members' declared sizes are checked before any is read, a member is never inflated
past its declared size, and XML declaring entities (external ones, or the nested ones of a
"billion laughs") is refused, not expanded. Nothing is fetched: a reference to a remote
image or stylesheet is just text in the XML.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from app.errors import SourceError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from app.settings import SourceSettings

__all__ = ["Container", "local", "parse_xml", "text_of"]


class Container:
    """The members of one zip container, each read at most once and within the limits."""

    def __init__(self, data: bytes, kind: str, limits: SourceSettings) -> None:
        self.kind = kind
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise SourceError(f"not a readable {kind} file (a damaged zip container)") from exc
        if len(members) > limits.max_members:
            raise SourceError(
                f"{kind} holds {len(members):,} files; the limit is {limits.max_members:,} "
                "(DOCQA_SOURCES__MAX_MEMBERS)"
            )
        declared = sum(m.file_size for m in members)
        if declared > limits.max_inflated_mb * 1024 * 1024:
            raise SourceError(
                f"{kind} would inflate to {declared / 1048576:,.0f} MB from "
                f"{len(data) / 1048576:.1f} MB (a zip bomb?); the limit is "
                f"{limits.max_inflated_mb:,} MB (DOCQA_SOURCES__MAX_INFLATED_MB)"
            )
        self._members = {m.filename: m for m in members}

    def names(self) -> list[str]:
        """The members' names, in the container's order."""
        return list(self._members)

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None when the container has no such member."""
        member = self._members.get(name)
        if member is None:
            return None
        try:
            with self._zip.open(member) as handle:
                # zipfile stops at the declared size and then checks the CRC: a member
                # that would inflate past its declaration fails here, unread.
                return handle.read(member.file_size)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError,
                EOFError) as exc:  # fmt: skip
            raise SourceError(f"{self.kind} member {name} cannot be read ({exc})") from exc

    def xml(self, name: str) -> Element | None:
        """A member parsed as XML, or None when missing."""
        data = self.read(name)
        return None if data is None else parse_xml(data, f"{self.kind} member {name}")


def parse_xml(data: bytes, what: str) -> Element:
    """``data`` parsed by defusedxml: entity declarations and external references refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceError(
            f"{what} declares XML entities ({type(exc).__name__}); they are refused, not "
            "expanded (external entities and entity bombs)"
        ) from exc
    except ParseError as exc:
        raise SourceError(f"{what} is not well-formed XML ({exc})") from exc


def local(tag: str) -> str:
    """An element's name without its namespace: ``{urn:…}p`` → ``p``."""
    return tag.rsplit("}", 1)[-1]


def text_of(root: Element, paragraph: set[str], text: set[str], breaks: set[str]) -> str:
    """The text of the elements named in ``text`` (or of every element, when empty), one
    paragraph per element named in ``paragraph``, ``breaks`` as spaces."""
    paragraphs: list[str] = []
    current: list[str] = []

    def walk(node: Element) -> None:
        name = local(node.tag)
        if name in paragraph and current:
            paragraphs.append("".join(current))
            current.clear()
        if name in breaks:
            current.append(" ")
        if (not text or name in text) and node.text:
            current.append(node.text)
        for child in node:
            walk(child)
            if not text and child.tail:
                current.append(child.tail)
        if name in paragraph and current:
            paragraphs.append("".join(current))
            current.clear()

    # Documents nest a few levels deep; an iterative walk would only matter for hostile
    # nesting, which the inflated-size limit already bounds.
    try:
        walk(root)
    except RecursionError as exc:
        raise SourceError("XML nested too deeply") from exc
    if current:
        paragraphs.append("".join(current))
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
