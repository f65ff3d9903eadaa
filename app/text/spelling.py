"""British and American spellings of one word: "neighbours" and "neighbors", "defence"
and "defense". A question is searched in the spelling its documents use; the lists of
both spellings are breame's."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

__all__ = ["american", "respelled"]

_WORD = re.compile(r"[A-Za-z]+")


@cache
def _other_spelling() -> dict[str, str]:
    """Each word (lower case) with a British or an American spelling -> the other one."""
    from breame.data.spelling_constants import (
        AMERICAN_ENGLISH_SPELLINGS,
        BRITISH_ENGLISH_SPELLINGS,
    )

    return {**AMERICAN_ENGLISH_SPELLINGS, **BRITISH_ENGLISH_SPELLINGS}


def american(word: str) -> str:
    """``word`` (lower case) in its American spelling: "defence" is "defense"."""
    return _american().get(word, word)


@cache
def _american() -> dict[str, str]:
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    return BRITISH_ENGLISH_SPELLINGS


def respelled(text: str, knows: Callable[[str], bool]) -> str:
    """``text`` with each word the documents never use, where they use its other
    spelling, written as they write it: "the two neighbours" reads "the two neighbors"
    over American articles. ``knows(word)``: whether the documents use ``word``."""
    other = _other_spelling()

    def spell(found: re.Match[str]) -> str:
        word = found.group()
        variant = other.get(word.lower())
        if variant is None or knows(word) or not knows(variant):
            return word
        if word.isupper() and len(word) > 1:
            return variant.upper()
        return variant[:1].upper() + variant[1:] if word[:1].isupper() else variant

    return _WORD.sub(spell, text)
