"""An organisation's archive and the tokens its portal signs, for tests of who reads what."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.server import create_app
from app.service import DocQA
from app.settings import AuthSettings, Settings, UploadSettings
from app.types import Reader
from tests.support.scorer import TermScorer

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
STATIC = "service-account-token"
AUDIENCE = "docqa"
ISSUER = "https://portal.example.org"

ARTICLES = {
    "finance/budget.txt": "date 2026-02-01 The finance department approved a harbour budget of "
    "4 million euros. Auditors from Tillby reviewed the harbour budget in March.",
    "hr/leave.txt": "date 2026-02-02 The personnel department approved a parental leave policy "
    "of 20 weeks. Staff in Tillby welcomed the leave policy.",
    "news/weather.txt": "date 2026-02-03 Heavy snow closed the mountain pass near Tillby for "
    "two days. Ploughs cleared the road on Friday.",
}
ACCESS = (
    "rules:\n  - match: 'finance/**'\n    groups: [finance]\n  - match: 'hr/**'\n    groups: [hr]\n"
)


def token(
    user: str = "ana",
    groups: list[str] | None = None,
    *,
    key: Any = SECRET,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A user token as a portal signs it; ``claims`` override the defaults."""
    now = int(time.time())
    body = {"sub": user, "groups": groups or [], "aud": AUDIENCE, "iss": ISSUER,
            "iat": now, "exp": now + 300, **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm=algorithm, headers=headers)


def bearer(value: str) -> dict[str, str]:
    """The header a client sends a token in."""
    return {"authorization": f"Bearer {value}"}


def reader(groups: list[str], user: str = "x") -> Reader:
    """A verified reader of ``groups`` (and everyone)."""
    return Reader(user=user, groups=frozenset([*groups, "everyone"]))


def write_archive(root: Path) -> Path:
    """Three departments' articles and the access file that splits them, under ``root``."""
    for name, text in ARTICLES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "access.yaml").write_text(ACCESS, encoding="utf-8")
    return root


def org_settings(base: Settings, **uploads: Any) -> Settings:
    """``base`` with the static API token, HS256 user tokens and small upload limits."""
    limits = {"max_files": 3, "max_total_mb": 1, **uploads}
    return base.model_copy(
        update={
            "server": base.server.model_copy(update={"api_token": SecretStr(STATIC)}),
            "auth": AuthSettings(jwt_secret=SecretStr(SECRET), audience=AUDIENCE, issuer=ISSUER),
            "uploads": UploadSettings(**limits),
        }
    )


def served(
    settings: Settings, embeddings: Any, archive: Path | None = None, *, ui: bool = False
) -> Iterator[tuple[TestClient, DocQA]]:
    """The archive (if any) indexed by a core with ``settings`` (reranked by the
    production reranker over the word-reading scorer), served; closed after."""
    service = DocQA(settings, embeddings=embeddings, pair_scorer=TermScorer())
    if archive is not None:
        service.index([archive])
    with TestClient(create_app(settings, service, ui=ui)) as client:
        yield client, service
    service.close()


def wait_for(client: TestClient, job: str, headers: dict[str, str]) -> dict[str, Any]:
    """A job's state once it is done or failed."""
    state: dict[str, Any] = {}
    for _ in range(600):
        state = client.get(f"/api/jobs/{job}", headers=headers).json()
        if state.get("state") in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish: {state}")


def sources_of(result: dict[str, Any]) -> set[str]:
    """Every source an answer cites or lists as closest."""
    return {c["source"] for c in [*result["citations"], *result["closest"]]}
