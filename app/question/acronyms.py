"""Questions that ask what an acronym stands for, and the sentences that define it.

A definition is found the way Schwartz and Hearst (2003) find abbreviations in text:
"long form (SHORT)" or "SHORT (long form)", where the short form's letters appear in
order in the long form and its first letter starts a word.
"""

from __future__ import annotations

import re

__all__ = ["asked_acronym", "defines", "long_form"]

_ASKS = re.compile(
    r"\b(?:stands?|stood)\s+for\b|\bshort\s+for\b|\b(?:acronym|abbreviation|initials)\b", re.I
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&.\-]*[A-Za-z0-9]")
_PAREN = re.compile(r"\(([^()]{1,120})\)")


def asked_acronym(question: str) -> str | None:
    """The short form a question asks to expand ("What does TTP stand for?"), if any."""
    if not _ASKS.search(question):
        return None
    found = [w for w in _WORD.findall(question) if sum(ch.isupper() for ch in w) >= 2]
    return found[-1] if found else None


def defines(sentence: str, short: str) -> bool:
    """Whether ``sentence`` spells out ``short`` next to it in parentheses."""
    letters = [ch for ch in short if ch.isalnum()]
    if len(letters) < 2:
        return False
    for match in _PAREN.finditer(sentence):
        inside = match.group(1).strip()
        before = sentence[: match.start()].rstrip()
        if inside == short:  # long form (SHORT)
            # Schwartz and Hearst's window: at most min(|A| + 5, 2|A|) words before it.
            window = before.split()[-min(len(letters) + 5, 2 * len(letters)) :]
            if _long_form_start(letters, " ".join(window)) is not None:
                return True
        elif before.endswith(short) and _long_form_start(letters, inside) == 0:  # SHORT (long)
            return True
    return False


def _long_form_start(letters: list[str], text: str) -> int | None:
    """Where in ``text`` the long form of ``letters`` begins, matching from the end."""
    at = len(text) - 1
    for n in range(len(letters) - 1, -1, -1):
        wanted = letters[n].lower()
        while at >= 0 and (
            text[at].lower() != wanted or (n == 0 and at > 0 and text[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    start = at + 1
    return text.rfind(" ", 0, start) + 1


def long_form(text: str, short: str) -> str | None:
    """The long form ``text`` spells ``short`` out as ("Tehrik-e-Taliban Pakistan" for
    "TTP"), or None."""
    letters = [ch for ch in short if ch.isalnum()]
    if len(letters) < 2:
        return None
    for match in _PAREN.finditer(text):
        inside = match.group(1).strip()
        before = text[: match.start()].rstrip()
        if inside == short:
            window = " ".join(before.split()[-min(len(letters) + 5, 2 * len(letters)) :])
            at = _long_form_start(letters, window)
            if at is not None:
                return window[at:].strip(" ,")
        elif before.endswith(short) and _long_form_start(letters, inside) == 0:
            return inside
    return None
