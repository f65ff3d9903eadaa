"""The local store's dense index: exact (flat) or approximate (HNSW, IVF) FAISS search.

Exact search reads every vector for every question: about 0.1 s per million vectors on
two cores, and the default up to a few hundred thousand chunks. HNSW (a graph) and IVF
(vectors grouped around centroids) read a small part of them and trade a little recall
for it; ``make bench-scale`` measures both against exact search. Vectors are unit
length, so inner product is cosine.
"""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

from app.store.local.manifest import DenseIndex

__all__ = ["build_dense", "exact_among", "search_params"]

# Below this many vectors IVF's centroids cannot be trained well; its lists are then so
# few that it reads nearly everything, as exact search would.
_IVF_POINTS_PER_LIST = 39
_IVF_TRAINING_POINTS = 256  # per list: FAISS's own ceiling for k-means samples


def build_dense(vectors: np.ndarray | list[np.ndarray], spec: Any) -> faiss.Index:
    """A FAISS index of ``vectors`` (one array, or a list of consecutive parts, emptied as
    each is added so it can be freed) of the kind ``spec.dense`` names."""
    dense: DenseIndex = spec.dense
    d = int(spec.dimension)
    parts = [vectors] if isinstance(vectors, np.ndarray) else vectors
    n = sum(len(p) for p in parts)
    index: faiss.Index
    if dense.kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, dense.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = dense.hnsw_ef_construction
    elif dense.kind == "ivf":
        lists = ivf_lists(n, dense.ivf_lists)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
        if n:
            rng = np.random.default_rng(0)
            everything = parts[0] if len(parts) == 1 else np.concatenate(parts)
            sample = everything
            if n > lists * _IVF_TRAINING_POINTS:
                sample = everything[rng.choice(n, lists * _IVF_TRAINING_POINTS, replace=False)]
            index.train(np.ascontiguousarray(sample))
            del everything, sample
    else:
        index = faiss.IndexFlatIP(d)
    parts.reverse()  # taken from the end: each pop is cheap
    while parts:
        part = parts.pop()
        if len(part):
            index.add(np.ascontiguousarray(part, dtype=np.float32))
        del part
    return index


def ivf_lists(n: int, wanted: int | None) -> int:
    """IVF's number of lists: ``wanted``, or 4·√n, never more than the data can train."""
    lists = wanted or int(4 * math.sqrt(max(n, 1)))
    return max(1, min(lists, n // _IVF_POINTS_PER_LIST or 1))


def prepare(index: faiss.Index) -> faiss.Index:
    """A loaded index made ready to hand back stored vectors (IVF needs a direct map)."""
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.make_direct_map()
    return index


def search_params(index: faiss.Index, dense: DenseIndex, k: int, selector: Any) -> Any:
    """Search parameters for ``index``: its recall setting, and the filter if any."""
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(dense.hnsw_ef_search, k)
    elif faiss.try_extract_index_ivf(index) is not None:
        params = faiss.SearchParametersIVF()
        params.nprobe = dense.ivf_probes
    elif selector is None:
        return None
    else:
        params = faiss.SearchParameters()
    if selector is not None:
        params.sel = selector
    return params


def exact_among(
    index: faiss.Index, query: np.ndarray, ids: np.ndarray, k: int
) -> list[tuple[int, float]]:
    """Exact cosine search among ``ids`` alone (a narrow filter, where a graph search
    would find too few of them)."""
    vectors = index.reconstruct_batch(ids.astype(np.int64))
    scores = vectors @ query.reshape(-1)
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(ids[i]), float(scores[i])) for i in top]
