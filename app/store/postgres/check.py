"""A whole check of the live generation in PostgreSQL: nothing doubled or half-written,
counts and term statistics in agreement. For the kill benchmark and the tests; it reads
every row, so it is not run per question."""

from __future__ import annotations

from typing import Any

from app.store.postgres.schema import visible

__all__ = ["problems"]

_LIVE = "(SELECT id FROM docqa_generations WHERE live)"


def problems(connection: Any) -> list[str]:
    """What is wrong with the live generation; empty when it is whole."""
    d, c, t = (visible(a, _LIVE) for a in ("d", "c", "t"))
    found = []
    doubled = connection.execute(
        f"SELECT source FROM docqa_documents d WHERE {d} GROUP BY source HAVING count(*) > 1"
    ).fetchall()
    if doubled:
        found.append(f"{len(doubled)} sources held twice (first: {doubled[0][0]})")
    partial = connection.execute(
        f"SELECT d.source FROM docqa_documents d LEFT JOIN docqa_chunks c ON c.doc_id = d.id "
        f"AND {c} WHERE {d} GROUP BY d.source HAVING count(c.id) = 0 "
        "OR max(c.seq) + 1 <> count(c.id)"
    ).fetchall()
    if partial:
        found.append(f"{len(partial)} documents without all their chunks (first: {partial[0][0]})")
    row = connection.execute(
        f"SELECT documents, chunks, total_length FROM docqa_generations WHERE id = {_LIVE}"
    ).fetchone()
    counted = connection.execute(
        f"SELECT (SELECT count(*) FROM docqa_documents d WHERE {d}), count(*), "
        f"coalesce(sum(length), 0) FROM docqa_chunks c WHERE {c}"
    ).fetchone()
    if row is not None and tuple(row) != tuple(counted):
        found.append(f"the generation counts {tuple(row)}, its rows {tuple(counted)}")
    wrong = connection.execute(
        f"SELECT t.term FROM docqa_terms t LEFT JOIN (SELECT p.term, count(*) AS n FROM "
        f"docqa_postings p JOIN docqa_chunks c ON c.id = p.chunk_id WHERE {c} "
        f"GROUP BY p.term) x ON x.term = t.term WHERE {t} AND t.df <> coalesce(x.n, 0)"
    ).fetchall()
    missing = connection.execute(
        f"SELECT count(DISTINCT p.term) FROM docqa_postings p JOIN docqa_chunks c "
        f"ON c.id = p.chunk_id WHERE {c} AND NOT EXISTS (SELECT 1 FROM docqa_terms t "
        f"WHERE t.term = p.term AND {t})"
    ).fetchone()[0]
    if wrong or missing:
        found.append(f"{len(wrong) + missing} terms with a wrong document frequency")
    return found
