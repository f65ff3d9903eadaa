"""One settings object, read from ``DOCQA_*`` environment variables and an optional ``.env``.

Nested groups use a double underscore: ``DOCQA_EMBEDDING__RUNTIME=torch``.
Built once at an entry point and passed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from app.types import EVERYONE, GROUP_NAME, split_groups

__all__ = [
    "PROMPTS_DIR",
    "AccessSettings",
    "AnswerSettings",
    "AuthSettings",
    "ChunkingSettings",
    "DenseSettings",
    "EmbeddingSettings",
    "FeedbackSettings",
    "RerankSettings",
    "RetrievalSettings",
    "ServerSettings",
    "Settings",
    "SourceSettings",
    "UploadSettings",
    "VerifySettings",
]


# The prompt files shipped with docqa (one per prompt; see prompts/README.md). In a
# checkout app/prompt_templates links to the top-level prompts/ folder; a built wheel
# carries copies of the files there.
PROMPTS_DIR = Path(__file__).resolve().parent / "prompt_templates"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docqa"


class EmbeddingSettings(BaseModel):
    """Which model and runtime embed text; an index remembers them and refuses others."""

    # all-MiniLM-L6-v2 indexes at 3.5x the reference pipeline; bge-small-en-v1.5 (twelve
    # layers, packaged int8, ONNX Runtime) at about 1x: see the README's comparison.
    model: Literal["all-MiniLM-L6-v2", "bge-small-en-v1.5"] = "all-MiniLM-L6-v2"
    # MiniLM's runtime; bge-small always runs its packaged int8 graph.
    runtime: Literal["openvino-int8", "onnx-int8", "onnx-fp32", "torch"] = "openvino-int8"
    batch_size: int = Field(16, ge=1, le=512)
    threads: int | None = Field(None, ge=1, description="CPU threads; default: all cores")
    cache_dir: Path = Field(default_factory=_default_cache, description="Where built models live")


class DenseSettings(BaseModel):
    """The local store's vector index: exact, or approximate for large corpora.

    Measured by `make bench-scale` at 1M chunks: HNSW (ef 128) answers in 0.3 ms at p95
    with recall@10 0.960, IVF (32 probes) in 0.8 ms with 0.996; exact search takes 87 ms.
    """

    kind: Literal["flat", "hnsw", "ivf"] = Field("flat", description="flat: exact search")
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW links per vector")
    hnsw_ef_construction: int = Field(80, ge=8, le=1000)
    hnsw_ef_search: int = Field(128, ge=8, le=4096, description="HNSW breadth at search")
    ivf_lists: int | None = Field(None, ge=1, description="IVF lists; default 4·√chunks")
    ivf_probes: int = Field(32, ge=1, le=65536, description="IVF lists read per search")


class PostgresSettings(BaseModel):
    """The PostgreSQL store (``DOCQA_STORE__KIND=postgres``)."""

    url: SecretStr | None = Field(None, description="postgresql://user:password@host/db")
    # pgvector's HNSW breadth at search (at least twice the candidates asked for): at 1M
    # chunks recall@10 was 0.880 at 100, 0.934 at 200 and 0.966 at 400 (p95 7.8 ms) in
    # `make bench-scale`.
    ef_search: int = Field(400, ge=10, le=1000, description="HNSW breadth at search")
    # A reader whose groups can read fewer chunks than this is searched exactly among them,
    # through the groups' index. At 100k chunks a reader of one group in 1,000 got recall@10
    # 0.852 at 202 ms p95 through the HNSW scan (it passes over most rows to find a few), and
    # 1.000 at 1.4 ms exactly; one group in ten (10,000 chunks) 18.6 ms exactly, 11.4 ms
    # through the scan (`make bench-scale`).
    exact_under: int = Field(
        20_000, ge=0, le=10_000_000, description="Exact search below this many chunks"
    )
    # A question reads one generation from start to end; rows only older generations hold
    # are deleted once these seconds have passed since they were replaced.
    grace_seconds: float = Field(600.0, ge=0, le=86400, description="Keep replaced rows")


class FolderSettings(BaseModel):
    """The index folder's store (``DOCQA_STORE__KIND=folder``, the default)."""

    dense: DenseSettings = DenseSettings()


# Names of earlier releases inside the store group, and where each now lives.
_STORE_LEGACY = {
    "url": ("postgres", "url"),
    "pg_ef_search": ("postgres", "ef_search"),
    "pg_exact_under": ("postgres", "exact_under"),
    "grace_seconds": ("postgres", "grace_seconds"),
    "dense": ("folder", "dense"),
}


class StoreSettings(BaseModel):
    """Where the index is kept: ``folder`` (the index folder) or ``postgres`` (a
    PostgreSQL database with pgvector), each with its own group."""

    # Unset: postgres when DOCQA_STORE__POSTGRES__URL is given, else folder.
    kind: Literal["folder", "postgres"] | None = None
    folder: FolderSettings = FolderSettings()
    postgres: PostgresSettings = PostgresSettings()

    @model_validator(mode="before")
    @classmethod
    def _earlier_names(cls, data: object) -> object:
        # DOCQA_STORE__URL and the flat pg_* names of earlier releases keep working.
        if isinstance(data, dict) and any(k in data for k in _STORE_LEGACY):
            data = moved(data, _STORE_LEGACY)
        return data

    @model_validator(mode="after")
    def _postgres_has_a_url(self) -> StoreSettings:
        given = self.postgres.url.get_secret_value().strip() if self.postgres.url else ""
        if self.kind is None:
            self.kind = "postgres" if given else "folder"
        if self.kind == "postgres" and not given:
            raise ValueError(
                "DOCQA_STORE__KIND=postgres needs DOCQA_STORE__POSTGRES__URL "
                "(postgresql://user:password@host/db)"
            )
        return self

    @property
    def url(self) -> str | None:
        """The database URL of a PostgreSQL store, else None."""
        if self.kind != "postgres" or self.postgres.url is None:
            return None
        return self.postgres.url.get_secret_value().strip() or None


def moved(data: dict[str, Any], names: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """``data`` with each value given under an earlier name moved to the path it has now
    (a value given under the new name wins)."""
    data = dict(data)
    for old, path in names.items():
        if old not in data:
            continue
        value = data.pop(old)
        *groups, last = path
        node = data
        for group in groups:
            child = node.get(group)
            child = dict(child) if isinstance(child, dict) else (
                child.model_dump() if isinstance(child, BaseModel) else {}
            )  # fmt: skip
            node[group] = child
            node = child
        node.setdefault(last, value)
    return data


class SourceSettings(BaseModel):
    """Limits on the files read for indexing; a file over one is skipped with its reason."""

    max_file_mb: int = Field(50, ge=1, le=4096, description="Larger files are skipped")
    # 2,000 pages is a long book; a 90,000-page PDF of 540 KB took a minute to extract.
    max_pdf_pages: int = Field(2000, ge=1, le=1_000_000, description="Longer PDFs are skipped")
    # A .docx, .pptx, .odt or .epub is a zip: what its members declare they inflate to is
    # checked before any is read (a zip bomb declares gigabytes in kilobytes), and no
    # member is read past its declared size.
    max_inflated_mb: int = Field(
        200, ge=1, le=65536, description="Largest inflated size of a .docx/.pptx/.odt/.epub"
    )
    max_members: int = Field(
        10_000, ge=1, le=1_000_000, description="Most files inside a .docx/.pptx/.odt/.epub"
    )
    # Real mail headers are a few kilobytes; the parser's cost grows with their size.
    max_mail_header_kb: int = Field(
        256, ge=1, le=65536, description="Larger e-mail headers are skipped"
    )
    # Only the body is read; a message of thousands of attachments is not an article.
    max_mail_parts: int = Field(1000, ge=1, le=1_000_000, description="Most parts of an e-mail")


class ChunkingSettings(BaseModel):
    """How documents are cut into passages."""

    max_chars: int = Field(1000, ge=200, le=8000)
    overlap_sentences: int = Field(1, ge=0, le=5)


class IndexingSettings(BaseModel):
    """How an indexing run hands out its work."""

    batch: int = Field(
        32, ge=1, le=10_000, description="Documents per claim: what a killed worker loses, "
        "and a step of the progress bar"
    )  # fmt: skip


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: dense and BM25 candidates, scores fused linearly.

    fused = w * cosine + (1 - w) * bm25 / max(bm25). The default weight was chosen on
    1,000 SQuAD dev questions (seed 7), disjoint from nothing the product ships.
    """

    # 8: the reranker reorders eight passages (see RerankSettings.passages).
    top_k: int = Field(8, ge=1, le=50, description="Passages handed to the answerer")
    candidates: int = Field(50, ge=1, le=1000, description="Candidates from each retriever")
    dense_weight: float | None = Field(
        None, ge=0, le=1, description="Default: the weight measured for the embedder"
    )


# The dense weight that gave the best hit@1 on the tuning questions, for each embedder.
DENSE_WEIGHTS = {"all-MiniLM-L6-v2": 0.6, "bge-small-en-v1.5": 0.8}


def _weight(default: float, why: str) -> Any:
    return Field(default, ge=0, le=5, description=why)


class ReadingWeights(BaseModel):
    """Which sentences a reranker reads first: a cheap score of each candidate, then what
    the question's intent, subject and time make of it. The answer still comes from what
    the model makes of the sentences read."""

    lexical: float = _weight(
        0.35, "A sentence's share of the question's term weight (chosen on 1,000 SQuAD dev "
        "questions, seed 7, with standing)"
    )  # fmt: skip
    standing: float = _weight(0.35, "Its passage's retrieval score, relative to the best")
    cue: float = _weight(
        0.25, "Words of the kind the intent looks for ('in retaliation', 'stems from'), "
        "chosen on the analysts' development questions"
    )  # fmt: skip
    weak_cue: float = Field(
        0.5, ge=0, le=1,
        description="A word that only may be a cue ('accuses' for a cause), as a share of one",
    )  # fmt: skip
    about: float = _weight(0.2, "A sentence that names the question's subject")
    held: float = _weight(0.3, "A view the subject holds (one another side holds counts against)")
    window: float = _weight(
        0.4, "A sentence about the days asked (one about other days counts against)"
    )
    # Without a pair model (model: none), the evidence beside the cheap score; chosen on
    # 1,000 SQuAD dev questions (seed 7), the bonuses checked on 2,000 further questions.
    dense: float = _weight(0.30, "Model none: MiniLM similarity of question and sentence")
    context: float = _weight(0.2, "Model none: the sentence's terms read with the one before")
    kind: float = _weight(0.1, "Model none: a span of the kind asked for (a year, a number)")
    context_dense: float = _weight(0.3, "Model none: similarity read with the sentence before")
    reread: int = Field(4, ge=0, le=50, description="Model none: best sentences reread in context")


class RerankSettings(BaseModel):
    """The reranking stage between retrieval and answering.

    ``cross-encoder``: the packaged ms-marco-MiniLM-L-12-v2 reads the question with each
    of the best ``sentences`` sentences of the top ``passages`` passages (best by terms
    and passage standing); relevance is its sigmoid score, 0 to 1. ``none``: retrieval's
    order, sentences scored by terms, standing and MiniLM similarity as before.
    """

    model: Literal["cross-encoder", "none"] = "cross-encoder"
    # 8 rather than 5: passage hit@5 0.945 -> 0.952 on the 2,000 validation questions.
    passages: int = Field(8, ge=1, le=20, description="Top passages whose sentences compete")
    sentences: int = Field(
        6, ge=1, le=200, description="Sentences (best by terms and standing) the model reads"
    )
    # Questions of definition, cause, position, event, change, summary or time get the
    # model to read more: their answers share fewer words with them, so the cheap order
    # is a weaker guide (on the seeds, 6 -> 10 costs about 25 ms a question).
    analyst_sentences: int = Field(
        10, ge=1, le=200, description="Sentences read for questions other than plain facts"
    )
    # The highest precision at recall >= 0.90 on the 1,000 tuning questions: 0.976 / 0.903
    # (at 0.25: 0.972 / 0.919); on the 2,000 validation questions 0.967 / 0.910 (at 0.25:
    # 0.957 / 0.934). Answerable questions refused: 12 -> 10 and 39 -> 29
    # (`python -m tests.bench.tune --refusal [--validation]`).
    min_relevance: float = Field(
        0.15, ge=0, le=1, description="Below this cross-encoder relevance the answer is a refusal"
    )
    max_tokens: int = Field(256, ge=32, le=512, description="Longest question and sentence read")
    # "paragraph": the first `framed` sentences the model reads are also read after the
    # sentence before them, in the same call, and passages are ordered by the better
    # reading (the answer is still chosen by the sentence alone). Passage hit@1 on the
    # 1,000 tuning questions 0.871 -> 0.885, on the 2,000 validation questions 0.851 ->
    # 0.866, at about a fifth of the throughput (16 clients on the seeds, three paired
    # rounds: 38.6 -> 30.7 requests/s, p95 569 -> 727 ms). Choosing the answer by the
    # sentence read in context, or adding passage standing to the rank, both lowered
    # first-sentence hit on the tuning questions (0.793 -> 0.572, 0.776).
    # With `model: none`, relevance is the weighted evidence of terms, standing and MiniLM
    # similarity (0 to 1): below this the documents do not answer.
    no_model_threshold: float = Field(
        0.61, ge=0, le=1, description="With model none: below this evidence, a refusal"
    )
    read: Literal["sentence", "paragraph"] = "paragraph"
    framed: int = Field(
        3, ge=1, le=200, description="Sentences (first by the cheap score) also read in context"
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads reading a question alone; default: all cores, at most 4",
    )
    concurrent: int | None = Field(
        None, ge=1, description="Questions read at once, one thread each; default: cores + 1"
    )
    weights: ReadingWeights = ReadingWeights()


class ComposerWeights(BaseModel):
    """What each intent's composer counts beside the model's relevance, and its limits:
    chosen on the analysts' development questions (``../shared/eval``) and checked on the
    further ones in ``tests/bench/questions``; SQuAD held-out must not move."""

    # Every composer
    same_fact: float = Field(
        0.6, ge=0, le=1, description="Two sentences say the same thing past this share of the "
        "shorter one's content words (a fact two articles report, an echo of the interviewer)"
    )  # fmt: skip
    stray: float = Field(
        0.8, ge=0, le=1, description="An intent's lead below this share of the best sentence's "
        "relevance gives way to the plain fact answer (SQuAD's 'What did Luther refuse to do?')"
    )  # fmt: skip
    stray_own_kind: float = Field(
        0.5, ge=0, le=1, description="The same for a sentence that gives a cause, a change or "
        "a side's own view: what such a question wants even when found less relevant (one "
        "saying what the subject is always leads a definition)"
    )  # fmt: skip
    # Facts
    recent_close: float = Field(
        0.9, ge=0, le=1, description="'Recently': answers this near the best compete on date"
    )
    role_reach: int = Field(
        40, ge=0, le=500, description="'Who leads X': characters between a role and its name"
    )
    # On the SQuAD tuning questions, every who or which-place question with a word no
    # document uses (mostly a misspelling) has a best relevance of 0.99 or more; the
    # analysts' ones the articles do not answer ("Which country offered to mediate?",
    # "Who mediated after the October fighting?") 0.48-0.71.
    unknown_word_relevance: float = _weight(
        0.8,
        "Who/which-place questions with a word no document uses are refused below this "
        "best relevance",
    )
    # Definitions
    definition_defines: float = _weight(0.6, "A sentence of the form 'X is a …', 'X, a …'")
    definition_spelled: float = _weight(0.6, "A sentence that spells out the acronym asked")
    definition_cue: float = _weight(0.1, "Other defining words ('known as', 'founded')")
    # Causes, changes, positions, events
    cause_cue: float = _weight(0.3, "A sentence that gives a cause ('because', 'stems from')")
    change_cue: float = _weight(0.3, "A sentence that reports a change ('deteriorated')")
    change_about: float = _weight(0.1, "A change sentence naming the subject")
    change_window: float = _weight(0.1, "A change sentence about the days asked")
    position_cue: float = _weight(0.2, "A sentence that reports a view ('says', 'argues')")
    event_cue: float = _weight(0.2, "A sentence that reports an action ('launched', 'struck')")
    event_agent: float = _weight(0.4, "The subject is who acts, not who is acted on")
    event_response: float = _weight(0.3, "A response ('in retaliation') when one is asked")
    # Summaries
    summary_points: int = Field(4, ge=1, le=20, description="Points in a summary")
    summary_relevance: float = _weight(1.0, "The model's relevance of a point")
    summary_topic: float = _weight(0.3, "A point holding the question's topic terms")
    summary_cue: float = _weight(0.15, "A point that reports an event")
    summary_about: float = _weight(0.2, "A point naming the subject")
    summary_new_article: float = _weight(0.25, "A point from an article not yet drawn on")
    # Timelines
    timeline_lines: int = Field(
        6, ge=1, le=50, description="Lines of a timeline: an analyst scans it; more is a report"
    )
    timeline_topic_share: float = Field(
        0.6, ge=0, le=1, description="Share of the question's topic terms a line must hold"
    )
    timeline_read: float = _weight(
        0.9,
        "A line the model reads as at least this relevant is about the topic, whatever "
        "share of its terms it holds ('the remainder of the season' for 'the rest of it')",
    )
    timeline_cue: float = _weight(0.4, "A line that reports an action")
    timeline_relevance: float = _weight(0.6, "The model's relevance of a line")
    timeline_topic: float = _weight(0.3, "A line about the question's topic")
    timeline_dated: float = _weight(0.2, "A line that names its own date")
    timeline_caption: float = _weight(
        0.5, "Counted against a photo caption: an event's aftermath, not its report"
    )


class AnswerSettings(BaseModel):
    """The extractive answerer."""

    max_chars: int = Field(300, ge=80, le=2000, description="Length budget of the answer lead")
    max_sentences: int = Field(3, ge=1, le=10)
    min_relative_score: float = Field(
        0.5, ge=0, le=1, description="Further sentences need this share of the best one's rank"
    )
    min_window_chars: int = Field(
        40, ge=20, le=500,
        description="A further sentence left less room than this is left out, not cut",
    )  # fmt: skip
    # The seeds' longest sentence is 380 characters.
    long_lead: int = Field(
        420, ge=80, le=5000,
        description="A lead up to this long is shown whole; a longer one is cut at its clauses",
    )  # fmt: skip
    # Chosen on the SQuAD tuning questions.
    kind_mass: float = Field(
        2.0, ge=0, le=20, description="In a sentence cut to fit, a word of the kind asked for "
        "(a year, a name) weighs this many of the question's heaviest terms, so the cut keeps it",
    )  # fmt: skip
    closest: int = Field(3, ge=0, le=10, description="Passages shown with a refusal")
    weights: ComposerWeights = ComposerWeights()


class VerifySettings(BaseModel):
    """How a generated sentence is checked against the passages it cites.

    support = w * (share of the sentence's term weight found in the passages)
            + (1 - w) * (best cosine to one of their sentences).
    Chosen for the best balanced accuracy on 2,942 claims built from the 1,000 SQuAD
    tuning questions (`make bench BENCH_ARGS=--search-verification`).
    """

    lexical_weight: float = Field(0.85, ge=0, le=1)
    min_support: float = Field(0.66, ge=0, le=1, description="Below this a sentence is unsupported")


_GROUP = f"^{GROUP_NAME.pattern}$"


def group_names(value: object) -> object:
    """A comma-separated string of group names as a list (settings come as strings)."""
    return split_groups(value) if isinstance(value, str) else value


class AccessSettings(BaseModel):
    """Who may read each document: the groups a document gets when nothing names them."""

    # Every verified user is in "everyone": by default every document is readable by all.
    default_groups: Annotated[list[Annotated[str, Field(pattern=_GROUP)]], NoDecode] = Field(
        default_factory=lambda: [EVERYONE],
        min_length=1,
        description="Groups of documents that neither access.yaml nor front matter names",
    )

    _split = field_validator("default_groups", mode="before")(group_names)


class AuthSettings(BaseModel):
    """Who is asking: a portal signs a short-lived JWT for its logged-in user.

    With none of the key settings, there are no user identities: the static API token
    (if any) guards the server and every caller reads every document.
    """

    jwt_secret: SecretStr | None = Field(None, description="HS256 shared secret")
    jwt_public_key_file: Path | None = Field(None, description="PEM public key (RS256/ES256)")
    jwks_file: Path | None = Field(None, description="A JWKS file (RS256/ES256), read from disk")
    audience: str | None = Field(None, description="The aud a token must carry")
    issuer: str | None = Field(None, description="The iss a token must carry")
    user_claim: str = Field("sub", min_length=1)
    groups_claim: str = Field("groups", min_length=1)
    admin_group: str = Field("docqa-admin", pattern=_GROUP)
    # Clocks of the portal and of docqa differ a little.
    leeway_seconds: int = Field(30, ge=0, le=600, description="Clock skew allowed on exp/nbf")
    # A longer-lived token is a credential, not a session hand-over.
    max_lifetime_seconds: int = Field(
        24 * 3600, ge=60, le=30 * 24 * 3600, description="Tokens living longer are refused"
    )

    @field_validator("jwt_secret", mode="after")
    @classmethod
    def _blank_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @property
    def enabled(self) -> bool:
        """Whether user tokens are verified at all."""
        return bool(self.jwt_secret or self.jwt_public_key_file or self.jwks_file)


class UploadSettings(BaseModel):
    """Documents sent over the API (`POST /api/documents`), kept by the store backend
    (the index folder's `library.sqlite`, or PostgreSQL) with the jobs that index them."""

    # Where an earlier docqa kept uploaded files (default: `uploads` in the index folder);
    # files found there are taken into the store once, then the folder is renamed.
    folder: Path | None = Field(None, description="An earlier docqa's uploads folder")
    max_files: int = Field(20, ge=1, le=10_000, description="Files in one upload")
    max_total_mb: int = Field(50, ge=1, le=4096, description="Bytes of one upload, all files")
    max_zip_files: int = Field(1000, ge=1, le=100_000, description="Files inside one zip")
    # A zip bomb inflates a few kilobytes into gigabytes: its declared sizes are checked
    # against this before anything is written.
    max_zip_ratio: int = Field(100, ge=2, le=10_000, description="Largest zip inflation ratio")
    # Each waiting job holds at most one upload (max_total_mb) on disk: 20 waiting jobs of
    # 50 MB are 1 GB in the store's database, however many clients send at once.
    max_waiting_jobs: int = Field(
        20, ge=1, le=10_000, description="Jobs queued or running; more are refused (429)"
    )
    # A job whose server has not reported for this long is taken over by another server
    # (one whose server died on this host is taken over at once).
    job_lease_seconds: float = Field(
        120.0, ge=5, le=86_400, description="Silence after which a running job is resumed"
    )


class FeedbackSettings(BaseModel):
    """Readers' verdicts on answers, and the questions nobody could answer."""

    keep_user_ids: bool = Field(False, description="Store user ids as given, not hashed")
    # The key stored user ids are hashed with (HMAC-SHA-256); default: a random key kept
    # with the index (index/feedback.key, or the database's docqa_keys), made once.
    user_id_key: SecretStr | None = Field(None, description="Key for hashing user ids")
    max_comment_chars: int = Field(2000, ge=0, le=20_000)
    max_answer_chars: int = Field(
        10_000, ge=100, le=100_000, description="Longest answer text a verdict may carry"
    )
    rate: str = Field("30/minute", description="Verdicts per verified user (limits notation)")

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        return _checked_rate(value)


class LLMSettings(BaseModel):
    """The generative answerer (``DOCQA_ANSWERER=llm``); these names are a deployment
    contract."""

    provider: Literal["openai", "ollama", "llamacpp"] | None = None
    base_url: str | None = Field(None, description="OpenAI-compatible or Ollama endpoint")
    model: str | None = Field(None, description="Model name, or a .gguf path for llamacpp")
    api_key: SecretStr | None = None
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(400, ge=16, le=8192, description="Longest answer generated")
    timeout: float = Field(60.0, gt=0, le=3600, description="Seconds to wait for the model")
    context: int = Field(4096, ge=512, le=131072, description="Context window (llamacpp)")

    @field_validator("base_url", "model", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    def describe(self) -> str:
        """The model in words, for notices and /api/health (never its key)."""
        where = f" at {self.base_url}" if self.base_url else ""
        return f"{self.provider} model '{self.model}'{where}"

    @field_validator("api_key", mode="after")
    @classmethod
    def _blank_key_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None


class ServerSettings(BaseModel):
    """`docqa serve`: where it listens, who may call it, how it treats slow and persistent
    clients."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    embed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to frame /embed and call the API from a browser; "
        "comma-separated. Empty: same origin only.",
    )
    api_token: SecretStr | None = Field(
        None, description="When set, the API and the UI require this bearer token"
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)

    # A client that has not sent a whole request line and headers by then is cut off:
    # without it, connections that trickle headers stay open for ever.
    header_timeout: float = Field(10.0, gt=0, le=600, description="Seconds to send headers")
    keep_alive_timeout: int = Field(5, ge=1, le=600, description="Idle seconds between requests")
    body_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds to send a request body")
    login_rate: str = Field(
        "10/minute", description="Sign-in attempts per client address (limits notation)"
    )
    question_rate: str = Field(
        "60/minute", description="Questions per verified user (limits notation)"
    )

    @field_validator("login_rate", "question_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        return _checked_rate(value)

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [_origin(str(part)) for part in value]
        return value

    @field_validator("api_token", mode="after")
    @classmethod
    def _blank_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None


def _checked_rate(value: str) -> str:
    """``value`` when it is a rate in limits notation; else a message saying how to write one."""
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError(
            f"'{value}' is not a rate: write N/second, N/minute or N/hour, e.g. 10/minute"
        ) from None
    return value


class Settings(BaseSettings):
    """Everything docqa can be told, with defaults that work offline."""

    model_config = SettingsConfigDict(
        env_prefix="DOCQA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    index_dir: Path = Path("index")
    answerer: Literal["extractive", "llm"] = "extractive"
    llm: LLMSettings = LLMSettings()
    prompts_dir: Path = PROMPTS_DIR
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    access: AccessSettings = AccessSettings()
    uploads: UploadSettings = UploadSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    sources: SourceSettings = SourceSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    indexing: IndexingSettings = IndexingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    rerank: RerankSettings = RerankSettings()
    answer: AnswerSettings = AnswerSettings()
    verify: VerifySettings = VerifySettings()

    @property
    def uploads_folder(self) -> Path:
        """Where documents sent over the API are kept."""
        return self.uploads.folder or self.index_dir / "uploads"

    @property
    def refusal_threshold(self) -> float:
        """The evidence below which an answer is a refusal, on the reranker's scale."""
        if self.rerank.model == "none":
            return self.rerank.no_model_threshold
        return self.rerank.min_relevance

    def __init__(self, **values: Any) -> None:
        # Keywords of earlier releases (Settings(api_token=...)) mean what they meant, and
        # beat the environment as keywords do.
        super().__init__(**moved(values, EARLIER_NAMES))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The new names first, then the variables of earlier releases (``DOCQA_PORT``,
        ``DOCQA_LLM_MODEL``, …) under their old names."""
        earlier = _EarlierNames(settings_cls, env_file=cls.model_config.get("env_file"))
        return init_settings, env_settings, dotenv_settings, earlier, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _earlier_threshold_name(cls, data: object) -> object:
        # DOCQA_ANSWER__MIN_SCORE, as earlier releases took it (the top-level names are
        # moved where they arrive: __init__ and _EarlierNames).
        if not isinstance(data, dict):
            return data
        answer = data.get("answer")
        if isinstance(answer, dict) and "min_score" in answer:
            answer = dict(answer)
            data["answer"] = answer
            data = moved({**data, "min_score": answer.pop("min_score")},
                         {"min_score": ("rerank", "no_model_threshold")})  # fmt: skip
        return data

    @model_validator(mode="after")
    def _candidates_cover_top_k(self) -> Settings:
        if self.retrieval.dense_weight is None:  # a copy: the default instance is shared
            weight = DENSE_WEIGHTS[self.embedding.model]
            self.retrieval = self.retrieval.model_copy(update={"dense_weight": weight})
        if self.retrieval.candidates < self.retrieval.top_k:
            raise ValueError("retrieval.candidates must be at least retrieval.top_k")
        if self.answerer == "llm" and (self.llm.provider is None or self.llm.model is None):
            raise ValueError(
                "DOCQA_ANSWERER=llm needs DOCQA_LLM__PROVIDER (openai, ollama or llamacpp) and "
                "DOCQA_LLM__MODEL (a model name, or the path of a .gguf file for llamacpp)"
            )
        return self


# Top-level names of earlier releases (Settings keywords, and DOCQA_<NAME> variables), and
# where each now lives.
EARLIER_NAMES: dict[str, tuple[str, ...]] = {
    **{f"llm_{name}": ("llm", name) for name in LLMSettings.model_fields},
    **{name: ("server", name) for name in ("host", "port", "embed_origins", "api_token",
                                           "max_body_bytes")},
}  # fmt: skip


class _EarlierNames(PydanticBaseSettingsSource):
    """``DOCQA_PORT``, ``DOCQA_LLM_MODEL`` and the other top-level variables of earlier
    releases, from the environment or the ``.env`` file, under their old names."""

    def __init__(self, settings_cls: type[BaseSettings], env_file: object = None) -> None:
        super().__init__(settings_cls)
        self.env_file = env_file

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        """Unused: ``__call__`` reads every name at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if isinstance(self.env_file, str | Path) and Path(self.env_file).is_file():
            from dotenv import dotenv_values

            found.update({k.upper(): v for k, v in dotenv_values(self.env_file).items()})
        found.update({k.upper(): v for k, v in os.environ.items()})
        given = {
            name: found[f"DOCQA_{name.upper()}"]
            for name in EARLIER_NAMES
            if found.get(f"DOCQA_{name.upper()}") is not None
        }
        return moved(given, EARLIER_NAMES)


def _origin(value: str) -> str:
    """``scheme://host[:port]`` exactly as browsers send it in ``Origin``; else ValueError."""
    value = value.strip().rstrip("/")
    scheme, sep, rest = value.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or "/" in rest or "*" in rest:
        raise ValueError(
            f"'{value}' is not an origin: write scheme://host[:port], for example "
            "https://portal.example.org (no path, no wildcard)"
        )
    return f"{scheme}://{rest.lower()}"
