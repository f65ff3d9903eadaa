"""`make bench-crash-jobs`: SIGKILL a server while its document jobs are queued and
running, restart it, and check that nothing was lost, half-kept or orphaned.

Round after round a server (docqa's own app, with a deterministic embedder slowed a
little so kills land mid-job) takes uploads from a client thread (new files, corrected
re-uploads, files with groups, zips, deletions) and is killed with SIGKILL at a random
moment. At the end one server runs every job left to its end. Then:

- every job the server accepted (answered 202) is known and finished, none forgotten;
- every upload record is in the live index with its bytes' hash, and every uploaded
  document in the index has its record (nothing kept but not indexed, or indexed but
  not kept);
- every accepted upload is indexed, superseded by a later upload or deletion of its
  name, or reported by its job as not kept (failed or skipped) with the reason.

Prints kills, jobs accepted, done, failed, and any violation found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench.load import free_port

TOKEN = "crash-bench-token"
_WORDS = ["harbour", "council", "ferry", "quay", "storm", "bridge", "market", "pier", "mill"]


def serve(index_dir: Path, port: int) -> None:
    """The server a round kills: docqa's app, with a fake embedder that takes its time."""
    import uvicorn
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from pydantic import SecretStr

    from app.server import create_app
    from app.service import DocQA
    from app.settings import RerankSettings, Settings, UploadSettings

    class Slow(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            time.sleep(0.02 * len(texts))  # a job runs for a while: kills land inside it
            return super().embed_documents(texts)

    settings = Settings(
        index_dir=index_dir,
        api_token=SecretStr(TOKEN),
        rerank=RerankSettings(model="none"),
        uploads=UploadSettings(max_files=40, max_waiting_jobs=1000, job_lease_seconds=30),
        _env_file=None,
    )
    service = DocQA(settings, embeddings=Slow(size=384))
    uvicorn.run(create_app(settings, service, ui=False), host="127.0.0.1", port=port,
                log_level="warning")  # fmt: skip


def _text(rng: random.Random, name: str) -> bytes:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 60)))
    return f"date 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} {name}: {words}.".encode()


class Client:
    """Sends uploads and deletions until stopped; remembers every job accepted."""

    def __init__(self, url: str, rng: random.Random, accepted: list[dict[str, Any]]) -> None:
        self.url = url
        self.rng = rng
        self.accepted = accepted
        self.stop = threading.Event()

    def run(self) -> None:
        headers = {"authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    self._one(client)
                except httpx.HTTPError:
                    return  # the server was killed

    def _one(self, client: httpx.Client) -> None:
        rng = self.rng
        if rng.random() < 0.15:
            listed = client.get("/api/documents", params={"limit": 1000}).json()["documents"]
            uploaded = [d for d in listed if str(d["source"]).startswith("upload://")
                        and d.get("document")]  # fmt: skip
            if uploaded:
                victim = rng.choice(uploaded)
                sent = client.delete(f"/api/documents/{victim['document']}")
                if sent.status_code == 202:
                    self.accepted.append({"job": sent.json()["job"], "kind": "delete",
                                          "source": victim["source"]})  # fmt: skip
            return
        files = {}
        for _ in range(rng.randint(1, 30)):
            name = f"n{rng.randint(0, 199):03}.txt"
            files[name] = _text(rng, name)
        groups = rng.choice([None, "hr", "finance,board"])
        sent = client.post(
            "/api/documents",
            files=[("files", (n, d, "text/plain")) for n, d in files.items()],
            data={"groups": groups} if groups else {},
        )
        if sent.status_code == 202:
            self.accepted.append({"job": sent.json()["job"], "kind": "upload",
                                  "files": sorted(files)})  # fmt: skip


def _start(index_dir: Path, port: int, log: Any) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.jobs_crash", "--serve", str(index_dir), str(port)],
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            if health.status_code in (200, 503):
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start; see the log")


def _seed(index_dir: Path, folder: Path) -> None:
    """An index to start from (the jobs merge into it)."""
    folder.mkdir(parents=True)
    (folder / "base.txt").write_text("date 2026-01-01 The harbour council met.", encoding="utf-8")
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from app.service import DocQA
    from app.settings import RerankSettings, Settings

    settings = Settings(index_dir=index_dir, rerank=RerankSettings(model="none"),
                        _env_file=None)  # fmt: skip
    DocQA(settings, embeddings=DeterministicFakeEmbedding(size=384)).index([folder])


def check(index_dir: Path, accepted: list[dict[str, Any]], url: str) -> list[str]:
    """Every violation of the rules in this module's description."""
    from app.service import DocQA
    from app.settings import RerankSettings, Settings

    problems: list[str] = []
    headers = {"authorization": f"Bearer {TOKEN}"}
    jobs: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for entry in accepted:
            found = client.get(f"/api/jobs/{entry['job']}")
            if found.status_code != 200:
                problems.append(f"job {entry['job']} was accepted and is unknown now")
                continue
            jobs[entry["job"]] = found.json()
            if found.json()["state"] not in ("done", "failed"):
                problems.append(f"job {entry['job']} is {found.json()['state']} at the end")
    service = DocQA(Settings(index_dir=index_dir, rerank=RerankSettings(model="none"),
                             _env_file=None))  # fmt: skip
    records = {r.source: r.sha256 for r in service.library.uploads()}
    live = service.store
    indexed = {s: h for s, h in live.hashes(list(live.sources().values())).items()
               if s.startswith("upload://")}  # fmt: skip
    for source, sha in records.items():
        if indexed.get(source) != sha:
            problems.append(f"{source} is kept but not indexed with its bytes")
    for source in set(indexed) - set(records):
        problems.append(f"{source} is indexed but no longer kept (orphaned)")
    last: dict[str, int] = {}  # the last accepted job touching each source
    for number, entry in enumerate(accepted):
        touched = entry.get("files", [])
        sources = [f"upload://{n}" for n in touched] or [str(entry.get("source"))]
        for source in sources:
            last[str(source)] = number
    for source, number in last.items():
        entry = accepted[number]
        state = jobs.get(entry["job"])
        if state is None or state["state"] not in ("done", "failed"):
            continue
        not_kept = set((state.get("report") or {}).get("not_kept", []))
        if entry["kind"] == "delete":
            if source in indexed and state["state"] == "done":
                problems.append(f"{source} was deleted (job done) and is still indexed")
        elif state["state"] == "done" and source not in not_kept and source not in indexed:
            problems.append(f"{source} was accepted, its job is done, and it is not indexed")
    service.close()
    return problems


def main() -> None:
    """Run the rounds and print what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serve", nargs=2, metavar=("INDEX_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="docqa-jobs-crash-"))
    index_dir, port = work / "index", free_port()
    _seed(index_dir, work / "docs")
    accepted: list[dict[str, Any]] = []
    started = time.monotonic()
    with (work / "server.log").open("ab") as log:
        for round_ in range(args.kills):
            process = _start(index_dir, port, log)
            client = Client(f"http://127.0.0.1:{port}", rng, accepted)
            thread = threading.Thread(target=client.run)
            thread.start()
            time.sleep(rng.uniform(0.3, 3.0))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            client.stop.set()
            thread.join()
            print(f"kill {round_ + 1}/{args.kills}: {len(accepted)} jobs accepted so far",
                  flush=True)  # fmt: skip
        process = _start(index_dir, port, log)
        try:
            url = f"http://127.0.0.1:{port}"
            headers = {"authorization": f"Bearer {TOKEN}"}
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                listed = httpx.get(f"{url}/api/documents", headers=headers, timeout=30).json()
                if not any(d.get("status") in ("queued", "running", "removing")
                           for d in listed["documents"]):  # fmt: skip
                    break
                time.sleep(0.5)
            time.sleep(2)
            problems = check(index_dir, accepted, url)
            states = [httpx.get(f"{url}/api/jobs/{e['job']}", headers=headers).json()
                      for e in accepted]  # fmt: skip
        finally:
            process.kill()
            process.wait()
    done = sum(s.get("state") == "done" for s in states)
    failed = sum(s.get("state") == "failed" for s in states)
    resumed = sum((s.get("attempts") or 0) > 1 for s in states)
    print(json.dumps({
        "kills": args.kills, "jobs_accepted": len(accepted), "done": done, "failed": failed,
        "resumed_after_a_kill": resumed, "violations": len(problems),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }, indent=1))  # fmt: skip
    for problem in problems[:30]:
        print("VIOLATION:", problem)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
