"""`make fuzz`: schemathesis against a real `docqa serve`, from the server's own OpenAPI schema.

Indexes the seeds into a temporary folder, starts the server on a free loopback port
with an API token (so the admins' routes are reached too: uploads, removals, jobs,
feedback), and runs a bounded number of generated requests per operation (valid and invalid ones,
and methods the schema does not list). It fails on any 5xx, any status the schema does
not document, and any error body not in the documented ``{"error", "message"}`` form.

``positive_data_acceptance`` is left out: an empty date range (``since`` after
``until``) is valid JSON Schema but refused with a 400 that says so, on purpose. Invalid
data may also be refused with 413, when it is larger than the body limit.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.store import document_key
from tests.bench.load import free_port, wait_chat, wait_ready

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "missing_required_header", "unsupported_method", "allow_header_conformance",
])  # fmt: skip
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "404", "405", "413", "422"]

[parameters]
"path.key" = "{key}"
"""


def main() -> int:
    """Run the fuzzer; its exit status is this command's."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.fuzz")
    parser.add_argument("--examples", type=int, default=200, help="cases per operation")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--report", type=Path, default=None, help="folder for a JUnit report")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
        port = free_port()
        token = hashlib.sha256(os.urandom(32)).hexdigest()
        env |= {
            "DOCQA_INDEX_DIR": str(Path(tmp) / "index"),
            "DOCQA_SERVER__PORT": str(port),
            "DOCQA_SERVER__API_TOKEN": token,
        }
        subprocess.run([bin_dir / "docqa", "index", str(SEEDS)], env=env, check=True)
        server = subprocess.Popen([bin_dir / "docqa", "serve"], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/api/health", server)
            wait_chat(base, server, token)  # the chat opens a moment after the API
            auth = f"Authorization: Bearer {token}"
            config = Path(tmp) / "schemathesis.toml"
            # A real document key, so the document route is reached beyond its 404.
            key = document_key(hashlib.sha256(min(SEEDS.glob("*.txt")).read_bytes()).hexdigest())
            config.write_text(CONFIG.format(key=key), encoding="utf-8")
            command = [
                str(bin_dir / "schemathesis"), "--config-file", str(config), "run",
                f"{base}/openapi.json",
                "--checks", CHECKS, "--max-examples", str(args.examples),
                "--seed", str(args.seed), "--generation-database", "none", "--no-color",
                "--request-timeout", "60", "-H", auth,
            ]  # fmt: skip
            if args.report:
                command += ["--report", "junit", "--report-dir", str(args.report)]
            status = subprocess.run(command, env=env).returncode
            mcp_failures = fuzz_mcp(f"{base}/mcp", token, key, args.examples * 5, args.seed)
            return status or int(mcp_failures > 0)
        finally:
            server.terminate()
            server.wait(30)


# The MCP methods a client may call, and the tools' argument names, to aim the generator.
_METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "prompts/list",
    "server/discover",
]
_ARGUMENTS = ["question", "query", "k", "key", "since", "until", "as_of"]


def fuzz_mcp(url: str, token: str, key: str, examples: int, seed: int) -> int:
    """Generated JSON-RPC calls to ``/mcp`` (the OpenAPI schema does not describe it): any
    5xx or a body that is not JSON counts as a failure. Returns the number of failures."""
    import json

    import httpx
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
        max_size=200
    ) | st.just(key)  # fmt: skip
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=10), inner, max_size=4), max_leaves=12)  # fmt: skip
    arguments = st.dictionaries(st.sampled_from(_ARGUMENTS) | st.text(max_size=8), values,
                                max_size=5)  # fmt: skip
    params = st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(["ask", "search", "get_document"]) | st.text(max_size=20),
        "arguments": arguments | values,
        "uri": st.sampled_from([f"docqa://documents/{key}", "docqa://documents/../x"])
        | st.text(max_size=60),
        "cursor": st.text(max_size=12) | st.integers().map(str),
    }) | values  # fmt: skip
    message = st.fixed_dictionaries({"jsonrpc": st.just("2.0") | st.text(max_size=4),
                                     "id": st.integers() | st.text(max_size=8),
                                     "method": st.sampled_from(_METHODS) | st.text(max_size=20),
                                     "params": params})  # fmt: skip
    failures: list[str] = []
    headers = {"authorization": f"Bearer {token}",
               "accept": "application/json, text/event-stream",
               "content-type": "application/json"}  # fmt: skip
    with httpx.Client(timeout=60, headers=headers) as client:

        @hypothesis_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(message | values)
        def call(body: object) -> None:
            response = client.post(url, content=json.dumps(body))
            if response.status_code >= 500:
                failures.append(f"{response.status_code} for {json.dumps(body)[:200]}")
            elif response.content:
                try:
                    response.json()
                except ValueError:
                    failures.append(
                        f"not JSON ({response.status_code}) for {json.dumps(body)[:200]}"
                    )

        call()
    print(f"\nMCP at /mcp: {examples} generated JSON-RPC calls, {len(failures)} failures")
    for failure in failures[:20]:
        print(f"  {failure}")
    return len(failures)


if __name__ == "__main__":
    raise SystemExit(main())
