"""Graphs statically quantised to int8 by NNCF and run by OpenVINO, built once and cached.

Static quantisation fixes every activation scale once, from calibration inputs: on these
machines OpenVINO then runs a transformer several times as fast as ONNX Runtime's
dynamically quantised graph, and a result no longer depends on what it is batched with.
A model is built in a temporary folder and renamed into place (OpenVINO IR: XML and
weights, no pickle), so a crash or a concurrent build never leaves a half-written model
where a later run would trust it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ModelUnavailableError

__all__ = ["InferPool", "build_once", "quantise_int8", "trim_heap"]

logger = logging.getLogger(__name__)


def quantise_int8(plain_onnx: Path, inputs: list[dict[str, np.ndarray]], target: Path) -> None:
    """Convert an ONNX graph to OpenVINO, quantise it (NNCF, transformer preset), save it."""
    import nncf
    import openvino as ov

    nncf.set_log_level(logging.ERROR)
    # NNCF draws progress bars on standard output, where `docqa ask --json` writes JSON.
    with contextlib.redirect_stdout(sys.stderr):
        quantised = nncf.quantize(
            ov.convert_model(plain_onnx),
            nncf.Dataset(inputs),
            # Weights and activations in int8, with the transformer rules: SmoothQuant
            # moves activation outliers into the weights; sensitive operations stay float.
            model_type=nncf.ModelType.TRANSFORMER,
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(inputs),
        )
    ov.save_model(quantised, target, compress_to_fp16=True)


def build_once(folder: Path, build: Callable[[Path], None], what: str, otherwise: str) -> Path:
    """``folder/model.xml``, made by ``build(staging_xml)`` the first time it is asked for.

    ``otherwise`` tells the reader how to do without OpenVINO, should it be missing.
    """
    xml = folder / "model.xml"
    if xml.is_file() and xml.with_suffix(".bin").is_file():
        return xml
    try:
        import nncf  # noqa: F401
        import openvino  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailableError(
            f"The OpenVINO runtime for the int8 {what} is not installed; install it with "
            f"`pip install openvino nncf`, or {otherwise}."
        ) from exc
    folder.parent.mkdir(parents=True, exist_ok=True)
    logger.info("building the int8 %s for OpenVINO in %s (once)", what, folder)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        staged = Path(tmp) / "model"
        staged.mkdir()
        build(staged / "model.xml")
        try:
            os.rename(staged, folder)
        except OSError:
            if not xml.is_file():  # not a concurrent build that finished first
                raise
    return xml


class InferPool:
    """A compiled OpenVINO model and infer requests for it, one per concurrent caller.

    An infer request serves one call at a time: concurrent questions each take an idle
    one, and a new one is made only when all are busy.
    """

    def __init__(self, xml: Path, threads: int | None) -> None:
        import openvino as ov

        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        core = ov.Core()
        # Compiling for this CPU takes about 0.5 s at every start; OpenVINO keeps the
        # compiled model beside the IR and loads it in about 0.1 s the next time (a
        # read-only model folder just compiles each time).
        compiled = xml.parent / "compiled"
        with contextlib.suppress(OSError):
            compiled.mkdir(exist_ok=True)
        if os.access(compiled, os.W_OK):
            core.set_property({"CACHE_DIR": str(compiled)})
        self._compiled = core.compile_model(str(xml), "CPU", config)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._running = 0  # calls inside ``run``: memory is released only when none are
        self._lock = threading.Lock()

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """The first output for ``inputs``, copied out of the request's buffer."""
        with self._lock:
            self._running += 1
        try:
            try:
                request = self._idle.get_nowait()
            except queue.Empty:
                request = self._compiled.create_infer_request()
            try:
                return np.array(request.infer(inputs)[0], dtype=np.float32)
            finally:
                self._idle.put(request)
        finally:
            with self._lock:
                self._running -= 1

    def release(self) -> bool:
        """Free the buffers the CPU plugin keeps for each input shape it has run, and hand
        the freed heap back to the system; the next run allocates what it needs again.
        Skipped (False) while another caller is running the model."""
        with self._lock:  # no run starts until this returns
            if self._running:
                return False
            self._compiled.release_memory()
        trim_heap()
        return True


def trim_heap() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``): memory a
    native library freed otherwise stays in the process, counted in its resident size.
    Does nothing where the C library has no such call."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, loaded once; None off Linux or on another C library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
