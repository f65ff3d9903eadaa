"""Load benchmark: concurrent clients asking seed questions through ``POST /api/ask``.

The server runs as its own process (``docqa serve``) on a free loopback port, on an
index of the seed articles; the clients are threads of this process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import numpy as np

__all__ = ["free_port", "run_load", "wait_ready"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_chat(base: str, process: subprocess.Popen[bytes], token: str | None = None) -> None:
    """Until ``/api/health`` says the chat at / is no longer opening (``docqa serve``
    opens it a moment after the API answers), so figures are of a server fully up."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            health = httpx.get(f"{base}/api/health", headers=headers, timeout=2).json()
        except (httpx.HTTPError, ValueError):
            health = {"chat": "opening"}
        if health.get("chat") == "failed":
            raise RuntimeError(f"the chat at {base}/ could not be opened (see its log)")
        if health.get("chat", "ready") != "opening":
            return
        time.sleep(0.2)
    raise RuntimeError(f"the chat at {base}/ did not open")


def wait_ready(
    url: str, process: subprocess.Popen[bytes], timeout: float = 180, log: IO[bytes] | None = None
) -> None:
    """Until ``url`` answers 200; RuntimeError if ``process`` exits or time runs out.

    ``log``, a file the process writes to, supplies the end of its output for the error.
    """
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    detail = ""
    if log is not None:
        log.seek(0)
        detail = ": " + log.read()[-2000:].decode(errors="replace")
    state = "exited" if process.poll() is not None else "timed out"
    raise RuntimeError(f"the server at {url} did not become ready ({state}){detail}")


def run_load(
    seeds: Path,
    questions: list[str],
    work: Path,
    clients: int = 16,
    seconds: float = 30,
    *,
    replicas: int = 1,
    store_url: str | None = None,
) -> None:
    """Index ``seeds``, serve them from ``replicas`` processes (sharing the PostgreSQL
    database at ``store_url``, or each reading the index folder), and hammer
    ``/api/ask``, each client going round the replicas; print the figures."""
    env = dict(os.environ, DOCQA_INDEX_DIR=str(work / "load-index"))  # settings pass through
    env.pop("DOCQA_STORE__POSTGRES__URL", None)
    if store_url:
        env["DOCQA_STORE__POSTGRES__URL"] = store_url
    docqa = [sys.executable, "-m", "app.cli"]
    subprocess.run([*docqa, "index", str(seeds)], env=env, check=True, capture_output=True)
    ports = [free_port() for _ in range(replicas)]
    servers = [
        subprocess.Popen(
            [*docqa, "serve"],
            env={**env, "DOCQA_SERVER__PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    try:
        for url, server in zip(urls, servers, strict=True):
            wait_ready(url + "/api/health", server)
            wait_chat(url, server)  # the chat opens after the API: not in the figures
        stop = time.monotonic() + seconds

        def client(offset: int) -> None:
            https = [httpx.Client(base_url=url, timeout=30) for url in urls]
            n = offset
            while time.monotonic() < stop:
                question = questions[n % len(questions)]
                http = https[n % len(https)]
                n += 1
                started = time.perf_counter()
                try:
                    response = http.post("/api/ask", json={"question": question})
                    ok = response.status_code == 200
                    problem = "" if ok else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    problem = type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if problem:
                        errors.append(problem)
                    else:
                        latencies.append(elapsed)
            for http in https:
                http.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - began
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(30)
    ms = np.array(latencies or [float("nan")])
    where = "PostgreSQL" if store_url else "the index folder"
    print(
        f"\nLoad: {clients} clients for {seconds:.0f} s on loopback, POST /api/ask, seed "
        f"questions; {replicas} replica{'s' if replicas > 1 else ''} reading {where}"
    )
    print(
        f"  {len(latencies) / took:.1f} requests/s  p50 {np.percentile(ms, 50):.0f} ms  "
        f"p95 {np.percentile(ms, 95):.0f} ms  p99 {np.percentile(ms, 99):.0f} ms  "
        f"errors {len(errors)}" + (f" ({sorted(set(errors))})" if errors else "")
    )
