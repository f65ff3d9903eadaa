"""An archive's access file and a watched folder: groups from access.yaml, a broken file
named, changes followed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import ConfigError
from app.service import DocQA
from tests.support.org import (
    ACCESS,
)
from tests.support.waiting import until


def test_index_watch_keeps_a_folder_in_sync(service: DocQA, archive: Path) -> None:
    from app.cli.indexing import _run, _watch

    _run(service, [archive])
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(service, [archive], 100, stop))
    watcher.start()
    try:
        time.sleep(0.5)  # the watch is set up
        (archive / "news" / "ferry.txt").write_text(
            "date 2026-02-07 The ferry to Tillby was cancelled.", encoding="utf-8"
        )
        (archive / "hr" / "leave.txt").unlink()
        _until(lambda: _sources_now(service) == {"finance/budget.txt", "news/weather.txt",
                                                "news/ferry.txt"})  # fmt: skip
        (archive / "access.yaml").write_text(ACCESS.replace("[finance]", "[board]"))
        _until(lambda: any(i.groups == ("board",) for i in service.store.catalogue()))
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def _sources_now(service: DocQA) -> set[str]:
    return {i.source.split("/", 1)[1] for i in service.store.catalogue()}


def _until(condition: Any, seconds: float = 30) -> None:
    until(condition, seconds, step=0.1, what="the watch did not catch up")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules:\n  - match: '*.txt'\n    groups: [a b]\n", "is not a group name"),
        ("rules:\n  - match: '../*.txt'\n    groups: [a]\n", "relative to the folder"),
        ("rules:\n  - pattern: '*.txt'\n    groups: [a]\n", "rules.0.match"),
        ("rules: [\n", "not valid YAML at line"),
        ("rules:\n  - match: '*.txt'\n    groups: []\n", "rules.0.groups"),
    ],
)
def test_a_broken_access_file_stops_the_run_and_says_where(
    service: DocQA, archive: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    service.index([archive])
    before = service.store.version
    (archive / "access.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"access\.yaml is not usable"):
        service.index([archive])
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(cli.app, ["index", str(archive)])
    assert result.exit_code == 1
    assert problem in result.output
    assert "Traceback" not in result.output
    assert service.store.version == before  # nothing was published with wrong groups
