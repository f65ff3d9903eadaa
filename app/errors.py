"""The one error tree of docqa.

Every error the core raises is a ``DocQAError``; each edge (CLI, API, UI)
translates it once into its own kind of message::

    DocQAError
    ├── ConfigError            settings that cannot work (unknown mode, bad value)
    ├── ModelUnavailableError  a model, runtime or LLM provider package is not installed
    ├── LLMError               the configured language model failed or cannot be reached
    ├── IndexStoreError        the on-disk index
    │   ├── IndexNotFoundError     no index has been built yet
    │   ├── IndexMismatchError     built with another model or chunking settings
    │   ├── IndexCorruptError      files missing or unreadable
    │   ├── StoreUnavailableError  the database holding the index cannot be reached
    │   ├── StorePermissionError   the database role may not do what was asked
    │   └── StorageFullError       no room left on the disk or in the database
    ├── FeedbackError          a verdict larger than a verdict needs
    ├── FeedbackUnavailableError   a feedback record cannot be kept (answers go on)
    ├── SourceError            a file that cannot be indexed (skipped, never fatal)
    ├── NoDocumentsError       nothing indexable under the given paths
    ├── QuestionError          an empty or over-long question, a bad questions file
    └── LimitError             too much at once; ``retry_after`` seconds tell when to retry
        ├── TooManyQuestionsError  a reader over the question rate
        ├── TooMuchFeedbackError   a reader over the feedback rate
        └── QueueFullError         too many document jobs waiting
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.types import Skipped

__all__ = [
    "ConfigError",
    "DocQAError",
    "FeedbackError",
    "FeedbackUnavailableError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStoreError",
    "LLMError",
    "LimitError",
    "ModelUnavailableError",
    "NoDocumentsError",
    "QuestionError",
    "QueueFullError",
    "SourceError",
    "StorageFullError",
    "StorePermissionError",
    "StoreUnavailableError",
    "TooManyQuestionsError",
    "TooMuchFeedbackError",
]


class DocQAError(Exception):
    """Base class: the message is written for the person who will read it."""


class ConfigError(DocQAError):
    """Settings that cannot work."""


class ModelUnavailableError(DocQAError):
    """A model or runtime the settings ask for is not installed."""


class LLMError(DocQAError):
    """The language model could not answer (unreachable, refused the request, timed out)."""


class IndexStoreError(DocQAError):
    """Something about the index, wherever it is kept."""


class IndexNotFoundError(IndexStoreError):
    """No index has been built at the configured location."""


class IndexMismatchError(IndexStoreError):
    """The index was built with other settings than the ones in force."""


class IndexCorruptError(IndexStoreError):
    """The index files are missing, unreadable or inconsistent; ``damage`` says which."""

    def __init__(self, message: str, damage: str | None = None) -> None:
        super().__init__(message)
        self.damage = damage or message


class StoreUnavailableError(IndexStoreError):
    """The database that holds the index cannot be reached (now: it may come back).

    The message names the database for the operator; readers of the chat, the widget
    and the API are told ``FOR_READERS`` instead.
    """

    FOR_READERS = (
        "The archive cannot be reached right now (its database is not answering). "
        "Please try again in a moment."
    )


class SourceError(DocQAError):
    """A file that cannot be indexed; the reason is one short line."""


class NoDocumentsError(DocQAError):
    """Nothing indexable was found; ``skipped`` lists every file passed over, with why."""

    def __init__(self, message: str, skipped: Sequence[Skipped] = ()) -> None:
        super().__init__(message)
        self.skipped = tuple(skipped)


class QuestionError(DocQAError):
    """The question cannot be asked as given."""


class StorePermissionError(IndexStoreError):
    """The database role may not do what was asked (create tables, write rows)."""


class StorageFullError(IndexStoreError):
    """No room is left on the disk or in the database; nothing half-written was kept."""


class FeedbackError(DocQAError):
    """A verdict that cannot be kept as sent (too long)."""


class FeedbackUnavailableError(DocQAError):
    """A feedback record cannot be kept (read-only folder, full disk, a role that may not
    write); answers are not affected."""


class LimitError(DocQAError):
    """Too much at once: ``retry_after`` seconds say when to try again."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class TooManyQuestionsError(LimitError):
    """A reader asked more questions than the rate allows."""


class TooMuchFeedbackError(LimitError):
    """A reader sent more feedback than the rate allows."""


class QueueFullError(LimitError):
    """Too many document jobs are waiting to be indexed."""
