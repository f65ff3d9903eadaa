"""A batch of sources one worker holds, and what it stages for them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.text.analysis import analyse
from app.types import Chunk, SourceDocument

if TYPE_CHECKING:
    from app.store.postgres.writer import Writer

__all__ = ["ClaimedBatch", "postings"]


class ClaimedBatch:
    """Sources one worker holds; what it records is staged when the batch ends well."""

    def __init__(self, writer: Writer, sources: list[str]) -> None:
        self.writer = writer
        self.c = writer.connection
        self.sources = tuple(sources)
        self.stored: dict[str, str] = {}
        if writer.reuse:
            self.stored = dict(
                self.c.execute(
                    "SELECT source, sha256 FROM docqa_documents "
                    "WHERE removed IS NULL AND source = ANY(%s)",
                    (list(sources),),
                ).fetchall()
            )
        # What a resumed run staged for these sources before its workers died.
        self._staged: dict[str, str] = dict(
            self.c.execute(
                "SELECT source, sha256 FROM docqa_staged_documents "
                "WHERE run = %s AND source = ANY(%s)",
                (writer.run, list(sources)),
            ).fetchall()
        )
        self._states: dict[str, tuple[str, str | None, str | None]] = {}
        self._groups: dict[str, list[str]] = {}  # kept sources: the groups they now take
        self._added: list[tuple[SourceDocument, Sequence[Chunk], np.ndarray]] = []

    def keep(self, source: str, sha256: str, groups: Sequence[str]) -> None:
        """The live generation holds this source with this content (and takes ``groups``)."""
        self._states[source] = ("kept", sha256, None)
        self._groups[source] = list(groups)

    def reuse(self, source: str, sha256: str, groups: Sequence[str]) -> bool:
        """Stage ``source`` from stored rows of the same content, in this run or live."""
        p = {"run": self.writer.run, "source": source, "sha": sha256, "groups": list(groups)}
        c = self.c
        if self._staged.get(source) == sha256:  # staged before this run was resumed
            c.execute(
                "UPDATE docqa_staged_documents SET groups = %(groups)s "
                "WHERE run = %(run)s AND source = %(source)s",
                p,
            )
            self._states[source] = ("staged", sha256, None)
            return True
        self._unstage([source])
        if not self.writer.reuse:
            return False
        staged = c.execute(
            "SELECT source FROM docqa_staged_documents WHERE run = %(run)s AND sha256 = %(sha)s "
            "LIMIT 1",
            p,
        ).fetchone()
        if staged is not None:
            p["from"] = staged[0]
            c.execute(
                "INSERT INTO docqa_staged_documents (run, source, sha256, title, date, text, "
                "groups) SELECT run, %(source)s, sha256, title, date, text, %(groups)s "
                "FROM docqa_staged_documents WHERE run = %(run)s AND source = %(from)s",
                p,
            )
            c.execute(
                'INSERT INTO docqa_staged_chunks SELECT run, %(source)s, seq, start, "end", '
                "sentences, length, embedding FROM docqa_staged_chunks "
                "WHERE run = %(run)s AND source = %(from)s",
                p,
            )
            c.execute(
                "INSERT INTO docqa_staged_postings SELECT run, %(source)s, seq, term, tf "
                "FROM docqa_staged_postings WHERE run = %(run)s AND source = %(from)s",
                p,
            )
        else:
            stored = c.execute(
                "SELECT id FROM docqa_documents WHERE removed IS NULL AND sha256 = %(sha)s LIMIT 1",
                p,
            ).fetchone()
            if stored is None:
                return False
            p["doc"] = stored[0]
            c.execute(
                "INSERT INTO docqa_staged_documents (run, source, sha256, title, date, text, "
                "groups) SELECT %(run)s, %(source)s, sha256, title, date, text, %(groups)s "
                "FROM docqa_documents WHERE id = %(doc)s",
                p,
            )
            self._copy_chunks(p)
        self._states[source] = ("staged", sha256, None)
        return True

    def refresh(self, document: SourceDocument) -> bool:
        """Stage ``document`` with the live chunks and vectors of its source, when the
        live text is the same (only the file's metadata changed)."""
        if not self.writer.reuse or document.source not in self.stored:
            return False
        p: dict[str, object] = {
            "run": self.writer.run, "source": document.source, "text": document.text
        }  # fmt: skip
        stored = self.c.execute(
            "SELECT id FROM docqa_documents WHERE removed IS NULL AND source = %(source)s "
            "AND md5(text) = md5(%(text)s) AND text = %(text)s LIMIT 1",
            p,
        ).fetchone()
        if stored is None:
            return False
        self._unstage([document.source])
        p |= {"doc": stored[0], "sha": document.sha256, "title": document.title,
              "date": document.date, "groups": list(document.groups)}  # fmt: skip
        self.c.execute(
            "INSERT INTO docqa_staged_documents (run, source, sha256, title, date, text, groups) "
            "VALUES (%(run)s, %(source)s, %(sha)s, %(title)s, %(date)s, %(text)s, %(groups)s)",
            p,
        )
        self._copy_chunks(p)
        self._states[document.source] = ("staged", document.sha256, None)
        return True

    def _copy_chunks(self, p: Mapping[str, object]) -> None:
        """Stage the chunks and postings of live document ``p["doc"]`` for ``p["source"]``."""
        self.c.execute(
            "INSERT INTO docqa_staged_chunks SELECT %(run)s, %(source)s, seq, start, "
            '"end", sentences, length, embedding FROM docqa_chunks WHERE doc_id = %(doc)s',
            p,
        )
        self.c.execute(
            "INSERT INTO docqa_staged_postings SELECT %(run)s, %(source)s, ch.seq, p.term, "
            "p.tf FROM docqa_postings p JOIN docqa_chunks ch ON ch.id = p.chunk_id "
            "WHERE ch.doc_id = %(doc)s",
            p,
        )

    def add(self, document: SourceDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """A new or changed document, staged when the batch ends."""
        self._added.append((document, chunks, vectors))
        self._states[document.source] = ("staged", document.sha256, None)

    def skip(self, source: str, reason: str) -> None:
        """Not indexable: the run drops it."""
        self._states[source] = ("skipped", None, reason)

    def _unstage(self, sources: list[str]) -> None:
        """Forget what a resumed run had staged for ``sources``."""
        stale = [s for s in sources if self._staged.pop(s, None) is not None]
        if stale:
            self.c.execute(
                "DELETE FROM docqa_staged_documents WHERE run = %s AND source = ANY(%s)",
                (self.writer.run, stale),
            )

    def write(self) -> None:
        """Stage the added documents and mark every source of the batch done."""
        c, run = self.c, self.writer.run
        self._unstage(
            [s for s, (state, _, _) in self._states.items() if state != "staged"]
            + [document.source for document, _, _ in self._added]
        )
        texts = [  # a chunk being indexed has its document's text between its offsets
            chunk.text or document.text[chunk.start : chunk.end]
            for document, chunks, _ in self._added
            for chunk in chunks
        ]
        lengths, counts = postings(texts)
        at = 0
        with c.cursor() as cursor:
            with cursor.copy(
                "COPY docqa_staged_documents (run, source, sha256, title, date, text, groups) "
                "FROM STDIN"
            ) as copy:
                for document, _, _ in self._added:
                    copy.write_row(
                        (run, document.source, document.sha256, document.title, document.date,
                         document.text, list(document.groups))
                    )  # fmt: skip
            rows = []
            for document, chunks, vectors in self._added:
                for seq, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                    rows.append((document.source, seq, chunk, vector, lengths[at], counts[at]))
                    at += 1
            with cursor.copy(
                'COPY docqa_staged_chunks (run, source, seq, start, "end", sentences, length, '
                "embedding) FROM STDIN"
            ) as copy:
                for source, seq, chunk, vector, length, _ in rows:
                    spans = json.dumps(list(chunk.sentences))
                    copy.write_row(
                        (run, source, seq, chunk.start, chunk.end, spans,
                         length, "[" + ",".join(f"{x:.8g}" for x in vector) + "]")
                    )  # fmt: skip
            with cursor.copy(
                "COPY docqa_staged_postings (run, source, seq, term, tf) FROM STDIN"
            ) as copy:
                for source, seq, _, _, _, tf in rows:
                    for term, k in tf.items():
                        copy.write_row((run, source, seq, term, k))
        for source in self.sources:  # a source the loop did not record is not lost unseen
            self._states.setdefault(source, ("skipped", None, "not processed"))
        names = list(self._states)
        c.execute(
            "UPDATE docqa_queue q SET state = u.state, sha256 = u.sha, reason = u.reason "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS u(source, state, sha, reason) WHERE q.run = %s AND q.source = u.source",
            (names, [self._states[n][0] for n in names], [self._states[n][1] for n in names],
             [self._states[n][2] for n in names], run),
        )  # fmt: skip
        if self._groups:  # a kept document's groups, as JSON: arrays of arrays must be even
            c.execute(
                "UPDATE docqa_queue q SET groups = ARRAY(SELECT jsonb_array_elements_text(u.g)) "
                "FROM jsonb_each(%s::jsonb) AS u(source, g) "
                "WHERE q.run = %s AND q.source = u.source",
                (json.dumps(self._groups), run),
            )


def postings(texts: list[str]) -> tuple[list[int], list[dict[str, int]]]:
    """Each text's term count and term frequencies (the terms every store uses)."""
    found = analyse(texts)
    return [len(t) for t in found], [dict(Counter(t)) for t in found]
