"""A dated news benchmark: does docqa cite the right article when the question is about
a time ("last week", "on 3 March 2026", "recently"), asked on a given day?

A generated town paper reports each council meeting of 2026 (a meeting every week, each
approving something different, reported in a dated article two days later) and a
storm that closed the harbour on the Thursday of some weeks. Questions name the time
the way people do, relative to the day they ask on (``as_of``), or by the date itself.
For each question the right article is the one reporting that week's meeting (or
storm); an answer counts when its first citation is that article. Printed: the share
right with ``as_of`` given, and with it left out (the question asked "today"), by kind
of question.

    python -m tests.bench.dated [--weeks 30]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from app.service import DocQA
from app.settings import Settings

__all__ = ["main"]

_ITEMS = [
    "a new footbridge over the Wendle", "a budget for school meals", "longer library hours",
    "a cycle lane on Mill Road", "repairs to the harbour wall", "a summer music festival",
    "free parking on Sundays", "a new fire station", "a ban on night flights",
    "solar panels for the town hall", "a youth football pitch", "a tram line study",
    "a flood warning system", "a market on Saturdays", "a museum extension",
    "new street lights", "a dog park", "a second ferry", "a recycling centre",
    "a heritage trail", "a skate park", "bus shelters", "a swimming pool roof",
    "a town choir grant", "a tree planting plan", "public toilets at the pier",
    "a housing survey", "a noise limit for bars", "a bridge inspection", "a seawall study",
]  # fmt: skip
_START = date(2026, 1, 6)  # a Tuesday


@dataclass(frozen=True)
class Case:
    """A question, the day it is asked, the article that answers it, and its kind."""

    question: str
    as_of: date
    source: str
    kind: str


def corpus(folder: Path, weeks: int, rng: random.Random) -> list[Case]:
    """Write the paper's articles into ``folder``; the questions about them."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    for week in range(weeks):
        meeting = _START + timedelta(weeks=week)
        published = meeting + timedelta(days=2)
        name = f"council-{published.isoformat()}.txt"
        item = _ITEMS[week % len(_ITEMS)]
        (folder / name).write_text(
            f"date {published.isoformat()} The Marsby town council met on Tuesday and approved "
            f"{item}. Councillors debated for three hours before the vote. The mayor said "
            "the decision would be reviewed next year.\n",
            encoding="utf-8",
        )
        asked = published + timedelta(days=rng.randint(5, 9))  # the week after
        cases.append(Case("What did the Marsby council approve last week?", asked, name,
                          "last week"))  # fmt: skip
        cases.append(Case(f"What did the Marsby council approve on {meeting.day} "
                          f"{meeting.strftime('%B %Y')}?", asked + timedelta(days=40), name,
                          "on a day"))  # fmt: skip
        cases.append(Case("What did the Marsby council approve recently?", published + timedelta(
            days=1), name, "recently"))  # fmt: skip
        if week % 3 == 1:
            storm = meeting + timedelta(days=2)
            report = f"storm-{(storm + timedelta(days=1)).isoformat()}.txt"
            (folder / report).write_text(
                f"date {(storm + timedelta(days=1)).isoformat()} A storm closed the Marsby "
                "harbour yesterday. Fishing boats stayed in port and the ferry was cancelled.\n",
                encoding="utf-8",
            )
            cases.append(Case("What happened to the Marsby harbour this week?",
                              storm + timedelta(days=2), report, "this week"))  # fmt: skip
    return cases


def main() -> int:
    """Index the paper, ask every question with and without its day, print the shares."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.dated")
    parser.add_argument("--weeks", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        cases = corpus(Path(tmp) / "paper", args.weeks, rng)
        service = DocQA(Settings(index_dir=Path(tmp) / "index"))
        service.index([Path(tmp) / "paper"])
        service.warm()
        right: dict[tuple[str, bool], list[bool]] = defaultdict(list)
        for case in cases:
            for given in (True, False):
                answer = service.ask(case.question, as_of=case.as_of if given else None,
                                     record=False)  # fmt: skip
                cited = answer.citations[0].source if answer.citations else ""
                right[(case.kind, given)].append(cited.endswith(case.source))
        print(f"{len(cases)} questions over {args.weeks} weeks of a town paper")
        print("  kind of question   right with as_of   right without (asked today)")
        kinds = sorted({kind for kind, _ in right})
        for kind in [*kinds, "all"]:
            with_ = [x for (k, g), xs in right.items() if g and kind in (k, "all") for x in xs]
            without = [x for (k, g), xs in right.items() if not g and kind in (k, "all")
                       for x in xs]  # fmt: skip
            print(f"  {kind:18} {sum(with_) / len(with_):16.3f}   "
                  f"{sum(without) / len(without):.3f}  ({len(with_)} questions)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
