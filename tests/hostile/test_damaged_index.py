"""A damaged index is named, refused everywhere with one clear message, and rebuilt by
`docqa index PATH`; ``CURRENT`` can name only a version folder inside the index folder."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import IndexCorruptError
from app.server import create_app
from app.service import DocQA

Damage = Callable[[Path, Path], None]  # (index folder, live version folder)


def _scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    rng = random.Random(7)
    for _ in range(64):
        data[rng.randrange(len(data))] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_manifest(version: Path, **changes: object) -> None:
    path = version / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")


def _wrong_dimension(_: Path, version: Path) -> None:
    stored = faiss.read_index(str(version / "dense.faiss"))
    other = faiss.IndexFlatIP(128)
    other.add(np.zeros((stored.ntotal, 128), dtype=np.float32))
    faiss.write_index(other, str(version / "dense.faiss"))


def _short_bm25(_: Path, version: Path) -> None:
    path = version / "bm25" / "idf.npy"
    np.save(path, np.load(path)[:-3], allow_pickle=False)


def _pointer(text: str | bytes) -> Damage:
    def damage(root: Path, _: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (root / "CURRENT").write_bytes(data)

    return damage


DAMAGES: dict[str, tuple[Damage, str]] = {
    "truncated docs.sqlite": (
        lambda _, v: os.truncate(v / "docs.sqlite", 5000),
        "docs.sqlite is 5,000 bytes",
    ),
    "scrambled docs.sqlite": (lambda _, v: _scramble(v / "docs.sqlite"), "checksum"),
    "missing vectors": (lambda _, v: (v / "dense.faiss").unlink(), "dense.faiss is missing"),
    "vectors of the wrong dimension": (_wrong_dimension, "dense.faiss is"),
    "BM25 array of the wrong length": (_short_bm25, "idf.npy is"),
    "broken BM25 parameters": (
        lambda _, v: (v / "bm25" / "params.index.json").write_text('{"k1": "x"', "utf-8"),
        "params.index.json is",
    ),
    "deeply nested manifest": (
        lambda _, v: (v / "manifest.json").write_text('{"a":' + "[" * 50_000, "utf-8"),
        "recursion limit",
    ),
    "manifest not JSON": (
        lambda _, v: (v / "manifest.json").write_bytes(b"\xff\xfe\x00garbage"),
        "manifest.json",
    ),
    "manifest dimension disagrees with the vectors": (
        lambda _, v: _edit_manifest(v, dimension=128),
        "vectors have 384 dimensions, the manifest says 128",
    ),
    "manifest chunk count disagrees with the vectors": (
        lambda _, v: _edit_manifest(v, chunks=1),
        "vectors for 1 chunks",
    ),
    "manifest names a file outside the version": (
        lambda _, v: _edit_manifest(
            v,
            files={
                **json.loads((v / "manifest.json").read_text())["files"],
                "../../etc/passwd": {"bytes": 1, "sha256": "0" * 64},
            },
        ),
        "outside it",
    ),
    "CURRENT is an absolute path": (
        lambda r, v: (r / "CURRENT").write_text(f"{r.parent}/other-index/{v.name}"),
        "CURRENT must name a version folder",
    ),
    "CURRENT climbs out": (
        lambda r, v: (r / "CURRENT").write_text(f"../other-index/{v.name}"),
        "CURRENT must name a version folder",
    ),
    "CURRENT is a link": (
        lambda r, v: ((r / "CURRENT").unlink(), (r / "CURRENT").symlink_to(v / "manifest.json")),
        "CURRENT is not a plain file",
    ),
    "CURRENT is random bytes": (
        _pointer(bytes(random.Random(3).randrange(256) for _ in range(300))),
        "CURRENT must name a version folder",
    ),
    "CURRENT is 5,000 characters": (_pointer("v-" + "a" * 5000), "CURRENT must name"),
    "CURRENT names a missing version": (_pointer("v-gone"), "v-gone, which is not a folder"),
    "CURRENT is empty": (_pointer(""), "CURRENT must name a version folder"),
}


@pytest.fixture
def damaged_setup(service: DocQA, corpus: Path) -> Callable[[str], tuple[DocQA, Path, Path, str]]:
    """Index the corpus, then apply one named damage; returns the service, the index
    folder, a copy of a healthy index beside it and the text the message must hold."""

    def make(name: str) -> tuple[DocQA, Path, Path, str]:
        service.index([corpus])
        root = service.settings.index_dir
        other = root.parent / "other-index"
        shutil.copytree(root, other)
        damage, expected = DAMAGES[name]
        damage(root, root / (root / "CURRENT").read_text().strip())
        return service, root, other, expected

    return make


@pytest.mark.parametrize("name", list(DAMAGES))
def test_damage_is_named_by_the_core(
    name: str, damaged_setup: Callable[[str], tuple[DocQA, Path, Path, str]]
) -> None:
    service, _, _, expected = damaged_setup(name)
    fresh = DocQA(service.settings, service.embeddings)  # nothing loaded before the damage
    with pytest.raises(IndexCorruptError, match="docqa index") as caught:
        fresh.ask("Who is the mayor of Marsby?")
    assert expected in str(caught.value)
    assert "damaged" in str(caught.value)


@pytest.mark.parametrize("name", list(DAMAGES))
def test_cli_names_damage_and_index_rebuilds_it(
    name: str,
    damaged_setup: Callable[[str], tuple[DocQA, Path, Path, str]],
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, _, other, expected = damaged_setup(name)
    before = sorted((p.relative_to(other), p.read_bytes()) for p in other.rglob("*") if p.is_file())
    monkeypatch.setattr(
        common, "service", lambda index_dir: DocQA(service.settings, service.embeddings)
    )
    runner = CliRunner()
    for command in (["ask", "Who is the mayor of Marsby?"], ["info"]):
        result = runner.invoke(cli.app, command)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert expected in result.output
        assert result.output.count("\n") == 1  # one message, on one line

    rebuilt = runner.invoke(cli.app, ["index", str(corpus)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "was damaged" in rebuilt.output
    assert "Indexed 3 documents" in rebuilt.output
    assert "up to date" not in rebuilt.output
    answer = DocQA(service.settings, service.embeddings).ask("Who is the mayor of Marsby?")
    assert "Ada Quill" in answer.answer
    # Another folder the pointer named is never touched, let alone served or deleted.
    after = sorted((p.relative_to(other), p.read_bytes()) for p in other.rglob("*") if p.is_file())
    assert after == before


@pytest.mark.parametrize(
    "name",
    [
        "scrambled docs.sqlite",
        "CURRENT climbs out",
        "manifest dimension disagrees with the vectors",
    ],
)
def test_api_answers_503_json_and_health_says_so(
    name: str, damaged_setup: Callable[[str], tuple[DocQA, Path, Path, str]]
) -> None:
    service, _, _, expected = damaged_setup(name)
    fresh = DocQA(service.settings, service.embeddings)
    with TestClient(create_app(service.settings, fresh, ui=False)) as client:
        for response in (
            client.post("/api/ask", json={"question": "Who is the mayor of Marsby?"}),
            client.post("/api/ask/stream", json={"question": "Who is the mayor of Marsby?"}),
            client.get("/api/health"),
        ):
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert body["error"] == "index_unavailable"
            assert expected in body["message"]


def test_damage_after_the_server_loaded_the_index_is_a_503(service: DocQA, corpus: Path) -> None:
    service.index([corpus])
    with TestClient(create_app(service.settings, service, ui=False)) as client:
        assert client.get("/api/health").status_code == 200
        version = (
            service.settings.index_dir
            / (service.settings.index_dir / "CURRENT").read_text().strip()
        )
        (version / "docs.sqlite").write_bytes(b"\0" * 4096)
        health = client.get("/api/health")
        asked = client.post("/api/ask", json={"question": "Who is the mayor of Marsby?"})
    assert health.status_code == 503
    assert "changed on disk" in health.json()["message"]
    assert asked.status_code == 503
    assert asked.json()["error"] == "index_unavailable"


def test_a_format_1_index_is_rebuilt(service: DocQA, corpus: Path) -> None:
    service.index([corpus])
    version = (
        service.settings.index_dir / (service.settings.index_dir / "CURRENT").read_text().strip()
    )
    data = json.loads((version / "manifest.json").read_text("utf-8"))
    data["format_version"] = 1
    del data["files"]
    (version / "manifest.json").write_text(json.dumps(data), "utf-8")
    report = service.index([corpus])
    assert not report.unchanged
    assert report.documents == 3
