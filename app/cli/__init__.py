"""The command line: `docqa index`, `ask`, `chat`, `serve`, `info`, `eval` and `feedback`.

Each command parses its options, calls the core and renders what it returns; errors of
the core become a message and an exit code here (1, or 2 for input the user must fix).
"""

from __future__ import annotations

import io
import logging
import os
import sys

from app.cli import evaluation, feedback, indexing, questions, server  # noqa: F401  (they register)
from app.cli.common import app
from app.cli.questions import read_questions
from app.runtime import compact_allocator

__all__ = ["app", "main", "read_questions"]


def main() -> None:
    """Console-script entry point."""
    compact_allocator()  # every command, before any thread is started
    # Names and questions may hold bytes that are not UTF-8: print them escaped, never fail.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("transformers", "torch", "onnxruntime", "root", "bm25s", "nncf"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # Building an embedding model (once per machine) takes a while: say so.
    logging.getLogger("app.embeddings").setLevel(logging.INFO)
    if sys.argv[1:2] != ["ask"]:
        app()
        return
    # A one-off question: once the answer is printed (and any record of it committed),
    # the process ends without tearing down the models' native runtimes, which takes
    # about 0.2 s and does nothing a person waits for.
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
