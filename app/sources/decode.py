"""Bytes to text: BOMs, UTF-8, then a detected legacy encoding such as cp1252."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from app.errors import SourceError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ALLOWED_CONTROLS = frozenset("\n\r\t\f\v")
_CP1252_TOLERANCE = 0.05


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes, or raise ``SourceError`` saying why it cannot be read."""
    if not data.strip():
        raise SourceError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding))
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"invalid {encoding.upper()} despite its byte-order mark"
                ) from exc
    if b"\x00" in data:
        if (utf16 := _utf16_without_bom(data)) is None:
            raise SourceError("binary file (contains NUL bytes)")
        try:
            return _checked(data.decode(utf16))
        except (UnicodeDecodeError, SourceError) as exc:
            raise SourceError(
                f"looks like {utf16.upper()} without a byte-order mark, but does not decode as text"
            ) from exc
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(data))
    if not matches:
        raise SourceError("unreadable text encoding (not UTF-8, UTF-16 or a known legacy encoding)")
    best = min(matches, key=lambda m: m.chaos)
    # Short Western texts fit several Latin code pages almost equally well; cp1252 is by
    # far the most common of them, so it wins when it is about as plausible as the best.
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + _CP1252_TOLERANCE:
        best = western
    return _checked(str(best))


def _utf16_without_bom(data: bytes, sample: int = 4096) -> str | None:
    """``utf-16-le``/``-be`` when the NUL bytes fall on one side of each pair, as they do
    for UTF-16 text written mostly in Latin script; None for anything else."""
    head = data[: sample - sample % 2]
    if len(head) < 4:
        return None
    even = head[0::2].count(0) / (len(head) // 2)
    odd = head[1::2].count(0) / (len(head) // 2)
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _checked(text: str) -> str:
    """Reject text that decodes but is really binary (many control characters)."""
    if not text.strip():
        raise SourceError("empty file")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, len(sample) // 100):
        raise SourceError("binary file (control characters in text)")
    return text
