"""DenseIndex: the one wrapper around FAISS (files, search, stored vectors, moments).

Vectors are L2-normalised, so inner product is cosine. Small corpora get exact search;
from ``hnsw_threshold`` vectors on an HNSW graph keeps search time near-flat
(docs/performance.md). Exact search scores a query against FAISS's own stored vectors with
one single-threaded numpy product (a zero-copy view, ~1.8 ms for 11k × 384), remembered
for the query's next masked search: a question's three searches (all documents, then each
document language) cost one product, where FAISS's flat search took 1.3-2.3 ms each and,
on two OpenMP threads, slowed the next query encode.

The corpus *moments* (mean vector and covariance) turn a query's cosines into z-scores:
how far a passage stands above the corpus, whatever the model's cosine band.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class HnswParams:
    """HNSW graph parameters (Settings.hnsw_*)."""

    threshold: int = 50_000
    m: int = 32
    ef_construction: int = 80
    ef_search: int = 64


class DenseIndex:
    """Inner-product search over chunk vectors, with filters and corpus moments."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self._moments: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None  # exact search: a view of the stored vectors
        self._last: tuple[bytes, np.ndarray] | None = None  # the last query's scores

    @property
    def size(self) -> int:
        return int(self._engine.ntotal)

    @property
    def dim(self) -> int:
        return int(self._engine.d)

    @property
    def is_graph(self) -> bool:
        import faiss

        return isinstance(self._engine, faiss.IndexHNSW)

    # -- files ---------------------------------------------------------------------------
    @classmethod
    def build(cls, vectors: np.ndarray, hnsw: HnswParams = HnswParams()) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) >= hnsw.threshold:
            engine = faiss.IndexHNSWFlat(vectors.shape[1], hnsw.m, faiss.METRIC_INNER_PRODUCT)
            engine.hnsw.efConstruction = hnsw.ef_construction
            engine.hnsw.efSearch = hnsw.ef_search
        else:
            engine = faiss.IndexFlatIP(vectors.shape[1])
        engine.add(vectors)
        return cls(engine)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._engine, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(path)))

    # -- vectors -------------------------------------------------------------------------
    def vector(self, position: int) -> np.ndarray:
        return self._engine.reconstruct(int(position))

    def vectors_at(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The stored vectors of ``positions``, one row each."""
        if not self.is_graph:
            return self._stored()[np.asarray(positions, dtype=np.int64)]
        return np.array([self.vector(int(p)) for p in positions], dtype=np.float32).reshape(-1, self.dim)

    def vectors(self) -> np.ndarray:
        """Every stored vector, in chunk order."""
        return self._engine.reconstruct_n(0, self.size)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean vector and covariance of the stored vectors (computed once)."""
        with self._lock:
            if self._moments is None:
                vectors = self.vectors()
                mean = vectors.mean(axis=0)
                centred = vectors - mean
                self._moments = (mean, centred.T @ centred / max(1, len(vectors) - 1))
            return self._moments

    def score_band(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of ``query · v`` over the corpus."""
        mean, cov = self.moments()
        return float(query @ mean), math.sqrt(max(float(query @ cov @ query), 1e-12))

    # -- search --------------------------------------------------------------------------
    def search(self, query: np.ndarray, n: int, mask: np.ndarray | None = None,
               ef_search: int = 64) -> list[tuple[int, float]]:
        """Top ``n`` (position, cosine) pairs, only among positions where ``mask`` is True."""
        if not self.is_graph:
            return self._exact(query, n, mask)
        import faiss

        params = None
        if mask is not None:
            selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef_search, n))
        scores, ids = self._engine.search(query[None, :].astype(np.float32), min(n, self.size),
                                          params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _scores(self, query: np.ndarray) -> np.ndarray:
        """Every stored vector's inner product with ``query`` (the last query's is kept)."""
        query = np.ascontiguousarray(query, dtype=np.float32)
        key = query.tobytes()
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        # einsum, not ``@``: OpenBLAS runs a product this large on spinning threads that
        # then slow the next query encode about twofold on 2 cores (docs/performance.md).
        scores = np.einsum("ij,j->i", self._stored(), query)
        self._last = (key, scores)
        return scores

    def _stored(self) -> np.ndarray:
        """An exact index's vectors as a matrix (a view of FAISS's storage, made once)."""
        if self._matrix is None:
            self._matrix = _stored_vectors(self._engine)
        return self._matrix

    def _exact(self, query: np.ndarray, n: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        scores = self._scores(query)
        allowed = self.size if mask is None else int(np.count_nonzero(mask))
        top = min(n, allowed)
        if top <= 0:
            return []
        ranked = scores if mask is None else np.where(mask, scores, -np.inf)
        best = np.argpartition(-ranked, top - 1)[:top]
        order = best[np.argsort(-ranked[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]


def _stored_vectors(engine) -> np.ndarray:
    """A flat FAISS index's vectors as a numpy matrix: a view of its storage when FAISS
    exposes it (``get_xb``), else a copy."""
    import faiss

    try:
        return faiss.rev_swig_ptr(engine.get_xb(), engine.ntotal * engine.d).reshape(engine.ntotal, engine.d)
    except (AttributeError, TypeError):
        return engine.reconstruct_n(0, engine.ntotal)
