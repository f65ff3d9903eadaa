"""Who reads what: user tokens from a portal (HS256, RS256, ES256, JWKS), the API token,
per-user question limits, the chat's sign-in, over each store backend."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from app.server import create_app
from app.service import DocQA
from app.settings import AuthSettings, Settings
from tests.conftest import CountingFakeEmbeddings
from tests.support.org import (
    AUDIENCE,
    ISSUER,
    SECRET,
    STATIC,
    bearer,
    org_settings,
    token,
)


def _sources(result: dict[str, Any]) -> set[str]:
    return {c["source"].split("/")[-2] for c in [*result["citations"], *result["closest"]]}


def _reader(groups: list[str]) -> Any:
    from app.types import Reader

    return Reader(user="x", groups=frozenset(groups))


def _key_settings(
    settings: Settings, tmp_path: Path, kind: str
) -> tuple[Settings, Any, str, dict[str, str]]:
    if kind == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if kind == "RS256":
        path = tmp_path / "portal.pem"
        path.write_bytes(pem)
        auth = AuthSettings(jwt_public_key_file=path, audience=AUDIENCE, issuer=ISSUER)
        return settings.model_copy(update={"auth": auth}), private, kind, {}
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
    jwk.update(kid="portal-2026", use="sig", alg="ES256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    auth = AuthSettings(jwks_file=path, audience=AUDIENCE, issuer=ISSUER)
    return settings.model_copy(update={"auth": auth}), private, kind, {"kid": "portal-2026"}


def test_two_users_asking_the_same_question_see_only_their_documents(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    question = {"question": "What did the department approve in Tillby?"}
    finance = client.post("/api/ask", json=question, headers=bearer(token("ana", ["finance"])))
    hr = client.post("/api/ask", json=question, headers=bearer(token("bo", ["hr"])))
    assert finance.status_code == hr.status_code == 200
    a, b = finance.json(), hr.json()
    assert a["answer"] != b["answer"]
    assert "finance" in _sources(a)
    assert "hr" not in _sources(a)
    assert "hr" in _sources(b)
    assert "finance" not in _sources(b)
    # Each user's restricted citations open for them, and are not found for the other
    # (the news everyone reads may be cited to both).
    for mine, theirs in ((a, token("bo", ["hr"])), (b, token("ana", ["finance"]))):
        restricted = [c for c in mine["citations"] if c["source"].split("/")[-2] != "news"]
        assert restricted
        for citation in restricted:
            assert client.get(f"/api/documents/{citation['document']}",
                              headers=bearer(theirs)).status_code == 404  # fmt: skip
    cited = a["citations"][0]["document"]
    opened = client.get(f"/api/documents/{cited}", headers=bearer(token("ana", ["finance"])))
    assert opened.status_code == 200
    assert "harbour budget" in opened.json()["text"]
    # The service account reads everything.
    assert client.get(f"/api/documents/{cited}", headers=bearer(STATIC)).status_code == 200
    # Examples come only from what a reader may read.
    hr_examples = service.examples(reader=_reader(["hr", "everyone"]))
    assert not any("harbour" in e.lower() or "Auditors" in e for e in hr_examples)


def test_a_user_in_no_group_reads_only_what_everyone_may(org: tuple[TestClient, DocQA]) -> None:
    client, _ = org
    result = client.post(
        "/api/ask",
        json={"question": "What did the department approve in Tillby?"},
        headers=bearer(token("cy", [])),
    ).json()
    assert _sources(result) <= {"news"}


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("forged", lambda: token(key="another-secret-that-is-long-enough-xx"), "signature"),
        (
            "expired",
            lambda: token(exp=int(time.time()) - 3600, iat=int(time.time()) - 3900),
            "expired",
        ),
        ("not yet valid", lambda: token(nbf=int(time.time()) + 3600), "not valid yet"),
        ("wrong audience", lambda: token(aud="another-app"), "audience"),
        ("wrong issuer", lambda: token(iss="https://evil.example"), "issuer"),
        (
            "alg none",
            lambda: jwt.encode(
                {"sub": "ana", "aud": AUDIENCE, "iss": ISSUER, "exp": int(time.time()) + 300},
                None,
                algorithm="none",
            ),
            "algorithm",
        ),
        (
            "no expiry",
            lambda: jwt.encode(
                {"sub": "ana", "aud": AUDIENCE, "iss": ISSUER}, SECRET, algorithm="HS256"
            ),
            "exp",
        ),
        ("too long-lived", lambda: token(exp=int(time.time()) + 40 * 86400), "at most"),
        ("garbage", lambda: "not.a.token", "malformed"),
        ("wrong static token", lambda: "guess", "not a signed user token"),
    ],
)
def test_bad_tokens_are_refused_with_401_and_a_reason(
    local_org: tuple[TestClient, DocQA], name: str, make: Any, message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    client, _ = local_org
    offered = make()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/ask", json={"question": "snow?"}, headers=bearer(offered))
    assert response.status_code == 401, name
    assert response.json()["error"] == "unauthorized"
    assert message in response.json()["message"], response.json()["message"]
    assert offered not in response.text
    assert offered not in caplog.text


def test_no_token_is_refused_and_the_static_token_still_works(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    missing = client.post("/api/ask", json={"question": "snow?"})
    assert missing.status_code == 401
    assert "who is asking" in missing.json()["message"]
    assert (
        client.post("/api/ask", json={"question": "snow?"}, headers=bearer(STATIC)).status_code
        == 200
    )


@pytest.mark.parametrize("kind", ["RS256", "ES256"])
def test_public_key_and_jwks_tokens_are_verified(
    service: DocQA, archive: Path, tmp_path: Path, kind: str
) -> None:
    service.index([archive])
    configured, private, algorithm, headers = _key_settings(service.settings, tmp_path, kind)
    service.settings = configured
    with TestClient(create_app(configured, service, ui=False)) as client:
        good = token("ana", ["finance"], key=private, algorithm=algorithm, headers=headers)
        asked = client.post("/api/ask", json={"question": "harbour budget?"}, headers=bearer(good))
        assert asked.status_code == 200
        assert "finance" in _sources(asked.json())
        # The shared-secret algorithm cannot stand in for the key pair (key confusion).
        confused = token("ana", ["finance"], key=SECRET)
        refused = client.post("/api/ask", json={"question": "x?"}, headers=bearer(confused))
        assert refused.status_code == 401
        assert "algorithm" in refused.json()["message"]
        other: Any = ec.generate_private_key(ec.SECP256R1())
        if kind == "RS256":
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = token("ana", ["finance"], key=other, algorithm=algorithm, headers=headers)
        assert (
            client.post("/api/ask", json={"question": "x?"}, headers=bearer(forged)).status_code
            == 401
        )


def test_questions_are_limited_per_user_with_retry_after(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> None:
    configured = org_settings(settings)
    configured.server = configured.server.model_copy(update={"question_rate": "2/minute"})
    service = DocQA(configured, embeddings=fake_embeddings)
    service.index([archive])
    with TestClient(create_app(configured, service, ui=False)) as client:
        ana, bo = bearer(token("ana", ["finance"])), bearer(token("bo", ["hr"]))
        codes = [client.post("/api/ask", json={"question": "snow?"}, headers=ana).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [200, 200, 429]
        limited = client.post("/api/ask/stream", json={"question": "snow?"}, headers=ana)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "2/minute" in limited.json()["message"]
        assert client.post("/api/ask", json={"question": "snow?"}, headers=bo).status_code == 200


def test_a_user_token_signs_in_to_the_chat_and_its_cookie_carries_the_groups(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    refused = client.post(
        "/login", data={"token": token(exp=int(time.time()) - 3600, iat=int(time.time()) - 3900)}
    )
    assert refused.status_code == 401
    assert "expired" in refused.text
    signed = client.post("/login", data={"token": token("bo", ["hr"])}, follow_redirects=False)
    assert signed.status_code == 303
    asked = client.post("/api/ask", json={"question": "What did the department approve?"})
    assert asked.status_code == 200  # the cookie is the token
    assert _sources(asked.json()) <= {"hr", "news"}


def test_a_server_without_tokens_ignores_one_sent_as_before(service: DocQA, archive: Path) -> None:
    service.index([archive])
    with TestClient(create_app(service.settings, service, ui=False)) as client:
        sent = client.post("/api/ask", json={"question": "snow?"}, headers=bearer("anything"))
        assert sent.status_code == 200
        # Everyone reads everything there, but nobody may change the documents.
        one = [("files", ("a.txt", b"date 2026-01-01 Text.", "text/plain"))]
        assert client.post("/api/documents", files=one).status_code == 403
