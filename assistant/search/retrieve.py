"""Retrieval: BM25 and dense (FAISS) rankings fused by reciprocal rank fusion, with filters.

Dense scores are also turned into a z-score against the corpus (mean and variance of
``q·v`` over all chunk vectors, from a precomputed mean vector and covariance), so the
answer step can judge how strong the evidence is without thresholding raw cosines, whose
band differs per model (multilingual-e5 sits in ~0.7-0.9).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.embedding import Embedder
from assistant.ingest.build import LoadedIndex
from assistant.records import Filters, Turn
from assistant.text import tokenize

MODES = ("hybrid", "dense", "bm25")


class FilterError(ValueError):
    """A filter names a document, kind or language the index does not hold."""


@dataclass
class Hit:
    """One ranked chunk with the evidence behind its rank."""

    index: int  # position in LoadedIndex.chunks
    score: float  # fused (RRF) or single-retriever score used for ranking
    bm25: float = 0.0
    dense: float = 0.0
    dense_z: float = 0.0


@dataclass
class Query:
    """What the retrievers see: BM25 tokens and the text to embed."""

    text: str
    tokens: list[str]
    dense_text: str


def contextualise(question: str, history: list[Turn]) -> Query:
    """Fold the previous question into a short follow-up ("And for education?").

    The follow-up's own terms count double in BM25; the previous question's terms are
    added once, and the dense query reads "<previous question> <follow-up>". A question
    with five or more content words of its own stands alone.
    """
    tokens = tokenize(question)
    if not history or len(tokens) >= 5:
        return Query(question, tokens, question)
    previous = history[-1].question
    return Query(question, tokens * 2 + tokenize(previous), f"{previous} {question}")


class Retriever:
    """Ranks an index's chunks for a query; embedders are loaded on first use."""

    def __init__(self, index: LoadedIndex, load_embedder: Callable[[str], Embedder]) -> None:
        self.index = index
        self.chunks = index.chunks
        self._load_embedder = load_embedder
        self._vocab = set(index.bm25.vocab_dict.keys()) if hasattr(index.bm25, "vocab_dict") else None
        self._doc_of = np.array([c.document_id for c in self.chunks])
        self._moments: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- filters -------------------------------------------------------------------------
    def allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of chunks passing the filters; None when nothing is filtered."""
        if filters is None or not (filters.document or filters.kind or filters.language):
            return None
        documents = self.index.documents
        ids = set(documents)
        for name, values, known in (
            ("document", filters.document, ids),
            ("kind", filters.kind, {d.meta.kind for d in documents.values()}),
            ("language", filters.language, {d.meta.language for d in documents.values()}),
        ):
            unknown = sorted(set(values or []) - known)
            if unknown:
                raise FilterError(
                    f"unknown {name} filter value(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
                )
        keep = {
            d.id
            for d in documents.values()
            if (not filters.document or d.id in filters.document)
            and (not filters.kind or d.meta.kind in filters.kind)
            and (not filters.language or d.meta.language in filters.language)
        }
        return np.isin(self._doc_of, list(keep))

    # -- single retrievers ---------------------------------------------------------------
    def bm25_scores(self, tokens: list[str], mask: np.ndarray | None) -> np.ndarray:
        """BM25 score of every chunk (zeros where filtered out)."""
        known = [t for t in tokens if self._vocab is None or t in self._vocab]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores(known), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return scores

    def embedder(self, backend: str) -> Embedder:
        return self._load_embedder(backend)

    @functools.lru_cache(maxsize=512)  # noqa: B019 - bounded, per Retriever
    def query_vector(self, backend: str, text: str) -> np.ndarray:
        return self.embedder(backend).embed_query(text)

    def _corpus_moments(self, backend: str) -> tuple[np.ndarray, np.ndarray]:
        if backend not in self._moments:
            dense = self.index.dense[backend]
            vectors = dense.reconstruct_n(0, dense.ntotal)
            mean = vectors.mean(axis=0)
            centred = vectors - mean
            self._moments[backend] = (mean, centred.T @ centred / max(1, len(vectors) - 1))
        return self._moments[backend]

    def dense_search(
        self, backend: str, text: str, n: int, mask: np.ndarray | None
    ) -> tuple[list[tuple[int, float]], float, float]:
        """Top ``n`` chunks by cosine, plus the corpus mean and std of the query's scores."""
        import faiss

        if backend not in self.index.dense:
            raise FilterError(
                f"embedder {backend!r} has no vectors in this index; built: {', '.join(self.index.dense)}"
            )
        query = self.query_vector(backend, text)
        dense = self.index.dense[backend]
        params = None
        if mask is not None:
            selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
            hnsw = isinstance(dense, faiss.IndexHNSW)
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, n))
                      if hnsw else faiss.SearchParameters(sel=selector))
        scores, ids = dense.search(query[None, :].astype(np.float32), min(n, dense.ntotal), params=params)
        mean, cov = self._corpus_moments(backend)
        mu = float(query @ mean)
        sigma = math.sqrt(max(float(query @ cov @ query), 1e-12))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0], mu, sigma

    # -- fused ---------------------------------------------------------------------------
    def search(
        self,
        query: Query,
        k: int = 8,
        filters: Filters | None = None,
        mode: str = "hybrid",
        backend: str = "sentence-transformers",
        candidates: int = 50,
        rrf_k: int = 60,
        bm25_weight: float = 1.0,
    ) -> list[Hit]:
        """Rank chunks for ``query``: "bm25", "dense" or "hybrid" (reciprocal rank fusion,
        BM25's votes weighted by ``bm25_weight``)."""
        if mode not in MODES:
            raise FilterError(f"unknown retriever {mode!r}; choose one of {', '.join(MODES)}")
        mask = self.allowed(filters)
        hits: dict[int, Hit] = {}
        if mode in ("bm25", "hybrid"):
            scores = self.bm25_scores(query.tokens, mask)
            top = min(candidates, len(scores))
            best = np.argpartition(-scores, top - 1)[:top] if top else np.array([], dtype=int)
            order = best[np.argsort(-scores[best])]
            for rank, i in enumerate(order):
                if scores[i] <= 0:
                    break
                hit = hits.setdefault(int(i), Hit(int(i), 0.0))
                hit.bm25 = float(scores[i])
                hit.score += bm25_weight / (rrf_k + rank + 1) if mode == "hybrid" else float(scores[i])
        if mode in ("dense", "hybrid"):
            ranked, mu, sigma = self.dense_search(backend, query.dense_text, candidates, mask)
            for rank, (i, score) in enumerate(ranked):
                hit = hits.setdefault(i, Hit(i, 0.0))
                hit.dense = score
                hit.dense_z = (score - mu) / sigma
                hit.score += 1.0 / (rrf_k + rank + 1) if mode == "hybrid" else score
        top = sorted(hits.values(), key=lambda h: -h.score)[:k]
        if mode == "hybrid":
            self._complete(top, scores, backend, query.dense_text, mu, sigma)
        return top

    def _complete(
        self, hits: list[Hit], bm25: np.ndarray, backend: str, text: str, mu: float, sigma: float
    ) -> None:
        """Give every fused hit both its BM25 and dense evidence, for answer scoring."""
        query = self.query_vector(backend, text)
        dense = self.index.dense[backend]
        for hit in hits:
            hit.bm25 = float(bm25[hit.index])
            if hit.dense == 0.0:
                hit.dense = float(dense.reconstruct(hit.index) @ query)
                hit.dense_z = (hit.dense - mu) / sigma
