"""Text addressed to an AI system: passages carrying it are withheld from the language model.

An article may quote anything, but an article that tells "the assistant" to ignore its
instructions, adopts a system role, or claims new instructions is an attack on
whoever reads it with a model. The prompt already tells the model that passages are
data; withholding such passages means a model that would obey them never sees them.
The extractive answerer is unaffected: it only quotes, and quotes are shown as text.

The patterns describe how such text addresses a model, in the languages attacks are
commonly written in; they are not a list of known attacks. `make bench` reports how
many published attacks they catch and how many ordinary paragraphs they flag.

The detector reads exactly the text the model is given (``for_model``: compatibility
forms folded, invisible characters dropped), and that text once more with every letter
folded to its nearest ASCII (anyascii): ``ig\u200bnore`` and a Cyrillic ``і`` read as
"ignore" to a model, and so they do here.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

__all__ = ["addresses_model", "for_model", "strip_invisible"]

# Unicode tag characters spell ASCII invisibly (U+E0041 is an invisible "A"); with the
# zero-width and bidi controls they hide text from a reader but not from a model.
_TAGS = re.compile("[\U000e0000-\U000e007f]")
_INVISIBLE = re.compile(
    "[\U000e0000-\U000e007f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
HIDDEN_RUN = 8  # longer than any emoji tag sequence (subdivision flags use up to 7)

_NEAR = r"[^.!?\n]{0,60}?"
_PATTERNS = [
    # "ignore / disregard / forget (all) (your) previous instructions", in several languages
    rf"\b(?:ignore|disregard|forget|override|bypass|overlook|skip|drop)\b{_NEAR}"
    r"\b(?:instructions?|directives?|rules|prompts?|guidelines|guidance|programming|"
    r"commands?|constraints|restrictions|policies|training)\b",
    rf"\b(?:olvida|ignora|omite|descarta)\w*\b{_NEAR}\b(?:instrucciones|indicaciones|reglas|órdenes)\b",
    rf"\b(?:oublie|ignore|ignorez|oubliez)\w*\b{_NEAR}\b(?:instructions|consignes|règles)\b",
    rf"\b(?:vergiss|ignoriere|vergessen|ignorieren)\w*\b{_NEAR}\b(?:anweisungen|regeln|vorgaben)\b",
    rf"\b(?:dimentica|ignora)\w*\b{_NEAR}\b(?:istruzioni|regole)\b",
    rf"\b(?:esqueça|ignore|desconsidere)\w*\b{_NEAR}\b(?:instruções|regras)\b",
    # claims of new orders or of a role
    r"\b(?:new|updated|real|actual|hidden|secret|additional|special)\s+"
    r"(?:instructions?|directives?|system\s+prompt|orders)\b",
    r"\bsystem\s+(?:prompt|message|instructions?|override|mode)\b",
    r"\b(?:developer|admin|administrator|debug|god|jailbreak|dan)\s+mode\b",
    r"\byou\s+are\s+(?:now|no\s+longer)\b",
    r"\bfrom\s+now\s+on\b[^.!?\n]{0,40}\byou\b",
    r"\b(?:pretend|imagine|act\s+as\s+if)\s+(?:you|that\s+you)\b",
    # speaking to the model directly
    r"\b(?:ai|a\.i\.|language\s+model|llm|assistant|chatbot|gpt|chatgpt|bot)\b"
    r"[^.!?\n]{0,30}\b(?:must|should|shall|will\s+now|needs?\s+to|is\s+instructed)\b",
    r"\bas\s+an?\s+(?:ai|language\s+model|assistant|chatbot)\b",
    r"\b(?:reveal|print|repeat|output|show)\s+(?:your|the)\s+(?:system\s+)?"
    r"(?:prompt|instructions|secret|password|key)\b",
    r"(?:^|\n)\s*(?:system|assistant)\s*:",
    r"<\|?\s*(?:system|im_start|im_end|assistant|endoftext)\s*\|?>",
    r"\[/?(?:inst|sys)\]",
]
_ADDRESSES = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def addresses_model(text: str) -> bool:
    """Does ``text`` carry instructions addressed to an AI system, or hidden text?

    ``text`` is read as the model would get it (``for_model``), and again with its
    letters folded to ASCII, so look-alike letters and invisible characters hide nothing.
    """
    if len(_TAGS.findall(text)) >= HIDDEN_RUN:
        return True
    given = for_model(text)
    return _ADDRESSES.search(given) is not None or _ADDRESSES.search(anyascii(given)) is not None


def strip_invisible(text: str) -> str:
    """``text`` without characters that are invisible to a reader."""
    return _INVISIBLE.sub("", text)


def for_model(text: str) -> str:
    """A passage as the language model is given it: compatibility forms folded
    (fullwidth letters, ligatures), invisible characters dropped."""
    return strip_invisible(unicodedata.normalize("NFKC", text))
