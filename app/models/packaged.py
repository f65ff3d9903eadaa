"""Model files carried as data by installed packages, found without importing the package
and checked against the SHA-256 recorded here before they are used."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from app.errors import ModelUnavailableError

__all__ = ["LoadedOnnx", "PackagedModel", "load_onnx", "packaged_files"]

_BLOCK = 1 << 20


@dataclass(frozen=True)
class PackagedModel:
    """A model's files inside a pinned distribution, each with its expected SHA-256."""

    name: str  # what people call it, for messages
    distribution: str
    version: str
    folder: str  # inside the distribution
    files: tuple[tuple[str, str], ...]  # (file name, sha256)

    @property
    def reinstall(self) -> str:
        """The command that puts the files back."""
        return f"pip install --force-reinstall '{self.distribution}=={self.version}'"


@cache
def packaged_files(model: PackagedModel) -> dict[str, Path]:
    """The model's files by name, each checked once per process; otherwise a
    ``ModelUnavailableError`` naming the package to (re)install."""
    try:
        dist = distribution(model.distribution)
    except PackageNotFoundError:
        raise ModelUnavailableError(
            f"The {model.name} model is not installed; it ships in the {model.distribution} "
            f"package: run `{model.reinstall}` (or `make run`)."
        ) from None
    if dist.version != model.version:
        raise ModelUnavailableError(
            f"The {model.name} model is read from {model.distribution} {model.version}, but "
            f"{dist.version} is installed: run `{model.reinstall}`."
        )
    found = {}
    for name, expected in model.files:
        path = Path(str(dist.locate_file(f"{model.folder}/{name}")))
        if not path.is_file():
            raise ModelUnavailableError(
                f"The {model.name} model file {path} is missing: run `{model.reinstall}`."
            )
        if _sha256(path) != expected:
            raise ModelUnavailableError(
                f"The {model.name} model file {path} is damaged (its checksum does not match "
                f"{model.distribution} {model.version}): run `{model.reinstall}`."
            )
        found[name] = path
    return found


def load_onnx(
    model: PackagedModel, threads: int | None, *, spinning: bool = False
) -> tuple[Any, Any]:
    """The checked ``model.onnx`` as an ONNX Runtime CPU session, and its
    ``tokenizer.json`` without padding (batches pad themselves).

    ``spinning``: the session's threads wait for each other's work by spinning, not by
    sleeping: a third faster on the short batches of one question, but a waste of a
    core another question could use.
    """
    import onnxruntime as ort
    from tokenizers import Tokenizer

    files = packaged_files(model)
    tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    session = ort.InferenceSession(
        str(files["model.onnx"]), options, providers=["CPUExecutionProvider"]
    )
    return session, tokenizer


class LoadedOnnx:
    """A packaged ONNX model and its tokenizer, loaded once (by the first caller, the
    others waiting) and truncating inputs to ``max_tokens``, longest part first.
    ``threads`` and ``spinning`` as in ``load_onnx``."""

    def __init__(
        self, model: PackagedModel, max_tokens: int, threads: int | None, *, spinning: bool = False
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.threads = threads
        self.spinning = spinning
        self.session: Any = None
        self.tokenizer: Any = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Check the packaged files and load the model and its tokenizer."""
        with self._lock:
            if self.session is not None:
                return
            session, tokenizer = load_onnx(self.model, self.threads, spinning=self.spinning)
            # For a pair, the longer of the two is cut first: a long text, and a question
            # longer than the budget too, instead of failing ("only_second" cannot).
            tokenizer.enable_truncation(self.max_tokens, strategy="longest_first")
            self.session, self.tokenizer = session, tokenizer

    def run(self, inputs: dict[str, Any]) -> Any:
        """The model's first output for one batch of ``inputs``."""
        return self.session.run(None, inputs)[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
