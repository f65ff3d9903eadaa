"""Who speaks in an interview: the guest's answers, which never name the one answering.

A transcript labels its first turns with the speakers' names ("Carolyn Beeler: Can you
tell me…? Ibraheem Bahiss: It was around 3 a.m. …") and often stops labelling after
that. The speaker whose labelled turn asks is the interviewer; another labelled speaker
is the guest. From the guest's first turn on, each paragraph is read as a question and
its answer: what stands up to its last question (a line ending with "?", or a prompt
such as "Tell us what…") is the interviewer's, what follows is the guest's, and a
paragraph that asks nothing goes on with the guest's answer. A turn labelled with a
name is that speaker's; photo captions are nobody's.

The guest is also known by how the article introduces them ("Ibraheem Bahiss, a senior
analyst in Kabul with the International Crisis Group"), so "the Crisis Group analyst"
finds the same answers as "Bahiss".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from app.text.analysis import analyse
from app.text.sentences import credited, split_sentences

__all__ = ["Interview", "announces", "asks", "interview_of"]

# A sentence that ends with a question mark (before closing quotes) asks; it does not answer.
_ASKS = re.compile(r"\?[\s\"'”’»)\]]*$")
# An interviewer's line without one: "Tell us what is at the root of this conflict."
_PROMPTS = re.compile(
    r"^\s*(?:so,?\s+|and\s+|now,?\s+)?(?:tell|give|walk|help)\s+(?:me|us)\b|"
    r"^\s*(?:let['’]s|let\s+us)\s+(?:talk|turn|look|start)\b|"
    r"^\s*(?:can|could|would|will)\s+you\s+(?:tell|explain|describe|walk|give)\b",
    re.IGNORECASE,
)
# "Carolyn Beeler: " opening a turn: two to four capitalised words and a colon, at the
# start of a paragraph or after a sentence's end.
_LABEL = re.compile(
    r"(?:^|(?<=[.?!”\"’]\s)|(?<=\n))(?P<name>(?-i:[A-Z][\w’'.-]+)(?:\s+(?-i:[A-Z][\w’'.-]+)){1,3})"
    r":\s+(?=\S)",
    re.MULTILINE,
)
# "Parts of this interview have been lightly edited for length and clarity."
_EDITED = re.compile(
    r"\b(?:this|the)\s+(?:interview|conversation|transcript)\b[^.]{0,40}\b(?:edited|condensed)\b|"
    r"\bedited\s+for\s+(?:length|clarity)\b",
    re.IGNORECASE,
)
# How an article introduces someone: "Ibraheem Bahiss, a senior analyst in Kabul with the
# International Crisis Group" (up to the end of the clause).
_INTRODUCED = r",\s+(?:an?|the)\s+(?P<about>[^.;,()]{3,120}?)\s*(?=[.;,)]|$)"


# A speaker's line that only announces what follows: "So, I think we've gotten a couple of
# important precedents.", "There are two things here." (a count of discourse things and
# nothing after them, said in the first person or as "there are"). Only an interview
# guest's lines are read so: "There are three unresolved issues." in a report is a fact.
_ANNOUNCES = re.compile(
    r"^[\s\"“‘']*(?:(?:so|well|and|now|look|again|i\s+mean),?\s+)*"
    r"(?:i\s+(?:think|would\s+say|['’]d\s+say|believe|guess)\s+)?"
    r"(?:there\s+are|(?:we|i|you)(?:\s+have|['’]ve)(?:\s+(?:got(?:ten)?|seen|had))?)\s+"
    r"(?:a\s+couple\s+of|a\s+few|a\s+number\s+of|several|two|three|four)\s+"
    r"(?:(?:very|really|quite)\s+)?(?:(?:important|key|main|major|big|different|separate|"
    r"distinct|crucial|critical|interesting|significant|basic|fundamental|worrying)\s+)?"
    r"(?:things|points|reasons|factors|precedents|issues|aspects|elements|lessons|problems|"
    r"challenges|dimensions|layers|angles|trends|dynamics|developments|considerations)"
    r"(?:\s+(?:here|there|at\s+play|at\s+work|to\s+consider))?\s*[.:!]?[\s\"”’]*$",
    re.IGNORECASE,
)


def announces(text: str) -> bool:
    """Whether ``text``, a speaker's line, only announces what the next sentences say ("I
    think there are a couple of important precedents."): by itself it answers nothing."""
    return _ANNOUNCES.match(text) is not None


def asks(text: str) -> bool:
    """Whether ``text`` is itself a question: it ends with "?", or is an interviewer's
    prompt ("Tell us what…", "Can you tell me…")."""
    return _ASKS.search(text) is not None or _PROMPTS.match(text) is not None


@dataclass(frozen=True)
class Interview:
    """An interview's guest, how the article introduces them, and where they speak."""

    guest: str  # as labelled: "Ibraheem Bahiss"
    about: str  # "senior analyst in Kabul with the International Crisis Group", or ""
    turns: tuple[tuple[int, int], ...]  # the guest's sentences, as character ranges

    def says(self, start: int, end: int) -> bool:
        """Whether the guest says ``text[start:end]``."""
        k = bisect.bisect_right(self.turns, (start, float("inf"))) - 1
        return k >= 0 and end <= self.turns[k][1]

    def is_guest(self, aliases: tuple[str, ...], place: bool, described: bool = True) -> bool:
        """Whether a phrase with these names (lower case) stands for the guest: it is
        their name or surname, or (``described``: the phrase may describe them) two or
        more words all from how they are introduced ("the Crisis Group's Kabul analyst";
        "analysts" alone is anyone). A place is never the guest ("Kabul" speaks for
        Afghanistan, not for an analyst in Kabul)."""
        names = {self.guest.lower(), self.guest.split()[-1].lower()}
        if names & set(aliases):
            return True
        if place or not described or not self.about:
            return False
        known = set(analyse([f"{self.guest} {self.about}"])[0])
        return any(len(words := set(analyse([a])[0])) > 1 and words <= known for a in aliases)


def interview_of(text: str) -> Interview | None:
    """The interview ``text`` transcribes, or None when it is not one: the guest is the
    first labelled speaker answering a labelled turn that asks, the interviewer's (a
    heading such as "Why It Matters: Will Khan return?" answered by no label is no
    interview, and a guest's question back does not make them the interviewer)."""
    labels = list(_LABEL.finditer(text))
    for k in range(1, len(labels)):
        asker, guest = labels[k - 1].group("name"), labels[k].group("name")
        if guest != asker and _has_question(_turn(text, labels[k - 1], labels[k])):
            return Interview(guest, _introduced(text, guest), _guest_turns(text, guest, labels))
    return None


def _turn(text: str, label: re.Match[str], following: re.Match[str]) -> str:
    """What ``label``'s speaker says: up to the next label or paragraph break."""
    brk = text.find("\n\n", label.end(), following.start())
    return text[label.end() : following.start() if brk < 0 else brk]


def _has_question(said: str) -> bool:
    return any(asks(said[s.start : s.end]) for s in split_sentences(said))


def _introduced(text: str, guest: str) -> str:
    found = re.search(re.escape(guest) + _INTRODUCED, text)
    return found.group("about") if found else ""


def _guest_turns(text: str, guest: str, labels: list[re.Match[str]]) -> tuple[tuple[int, int], ...]:
    """The sentences the guest says from their first labelled turn on (see the module),
    editor's notes left out."""
    found = [(m.start(), m.group("name")) for m in labels]
    at = [a for a, _ in found]
    first = next(a for a, name in found if name == guest)
    by_paragraph: dict[int, list[tuple[int, int]]] = {}
    for s in split_sentences(text):
        if s.end > first:
            by_paragraph.setdefault(s.paragraph, []).append((max(s.start, first), s.end))
    turns: list[tuple[int, int]] = []
    for spans in by_paragraph.values():
        if credited(text[spans[0][0] : spans[-1][1]]):  # a photo's caption
            continue
        speaker: str | None = None  # who the current label says speaks (None: unlabelled)
        asking = [asks(text[a:b]) for a, b in spans]
        last_ask = max((k for k, q in enumerate(asking) if q), default=-1)
        for k, (a, b) in enumerate(spans):
            k_label = bisect.bisect_left(at, a)  # the first label at or after the sentence
            label = found[k_label][1] if k_label < len(at) and at[k_label] < b else None
            speaker = label or speaker
            if asking[k] or (speaker is None and k <= last_ask):
                continue  # a question, or what leads up to the interviewer's
            if (speaker or guest) == guest and not _EDITED.search(text[a:b]):
                turns.append((a, b))
    return tuple(turns)
