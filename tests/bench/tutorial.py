"""The LangChain RAG tutorial pipeline, the reference docqa is measured against.

RecursiveCharacterTextSplitter(1000, 200), the same MiniLM through sentence-transformers
(fp32), a FAISS vector store, top-k similarity search. With no LLM, its "answer" is the
start of the best chunk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import app.langchain  # noqa: F401  # makes docqa's embedders LangChain Embeddings
from app.embeddings.torch_st import SentenceTransformerEmbeddings


@dataclass
class TutorialIndex:
    """The built reference pipeline and how long building it took."""

    store: Any
    documents: int
    chunks: int
    seconds: float


def build_tutorial(folder: Path) -> TutorialIndex:
    """Split and embed every ``.txt`` in ``folder`` the way the tutorial does."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = SentenceTransformerEmbeddings(batch_size=32)
    embeddings.warm()  # importing torch and loading the model is not indexing (as for docqa)
    started = time.perf_counter()
    documents = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in sorted(folder.glob("*.txt"))
    ]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=1000, chunk_overlap=200, add_start_index=True
    )
    chunks = splitter.split_documents(documents)
    # An Embeddings by registration (app.langchain), which a type checker cannot see.
    store = FAISS.from_documents(chunks, cast("Embeddings", embeddings))
    return TutorialIndex(store, len(documents), len(chunks), time.perf_counter() - started)
