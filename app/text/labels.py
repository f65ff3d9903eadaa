"""How sources and days read to people: in the chat, the widget and the terminal."""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import urlsplit

__all__ = ["day_label", "source_label"]

# A run of hexadecimal digits long enough to be a hash, as file names of crawls carry.
_HASH = re.compile(r"(?i)(?:^|[_\-.\s])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}(?=$|[_\-.\s])")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(value: str | None) -> str:
    """``2026-02-28`` as "28 Feb 2026"; anything else as given."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return value or ""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def source_label(source: str) -> str:
    """A source as a reader can tell it apart: an upload's name, a web page's host, a file's
    folder and name without the hashes crawlers put in names (the static/embed.js copy
    must say the same)."""
    if source.startswith("upload://"):
        return source[len("upload://") :]
    parts = urlsplit(source)
    if parts.scheme in ("http", "https") and parts.netloc:
        return parts.netloc.removeprefix("www.")
    path = PurePosixPath(source)
    name = _HASH.sub("", path.stem).strip("_-. ") or path.stem
    shown = name + path.suffix
    return f"{path.parent.name}/{shown}" if path.parent.name else shown
