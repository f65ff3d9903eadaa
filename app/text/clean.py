"""Text that cannot be encoded: lone UTF-16 surrogates, and bytes that were not UTF-8.

Python keeps both as surrogate code points (JSON's ``"\\ud800"``, a command-line argument
with a byte such as ``\\xff``); they cannot be written as UTF-8, so every output of such
text fails. A question holding one is refused with its position; text only shown back to
the asker has them replaced.
"""

from __future__ import annotations

import re

__all__ = ["first_invalid", "replace_invalid"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def first_invalid(text: str) -> int | None:
    """The index of the first character that is not valid text, or None."""
    found = _SURROGATE.search(text)
    return found.start() if found else None


def replace_invalid(text: str) -> str:
    """``text`` with every character that is not valid text replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)
