"""The retrieve stage: BM25 and dense (FAISS) rankings fused by reciprocal rank fusion.

Dense scores are also turned into z-scores against the corpus (DenseIndex.score_band), so
later stages can judge how strong the evidence is without thresholding raw cosines, whose
band differs per model (multilingual-e5 sits in ~0.7–0.9).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.embedding.adapter import plain_view
from assistant.errors import FilterError, UnknownRetriever
from assistant.records import Filters
from assistant.search.filters import ChunkFilter
from assistant.search.query import Hit, Query
from assistant.settings import RETRIEVER_MODES, Settings
from assistant.stages import SearchRequest
from assistant.storage import LoadedIndex


class FusedRetriever:
    """Ranks an index's chunks for a query: "bm25", "dense" or "hybrid" (RRF)."""

    def __init__(self, index: LoadedIndex, encode: Callable[[str, str], np.ndarray],
                 settings: Settings) -> None:
        self.index = index
        self.filter = ChunkFilter(index.documents, index.chunks)
        self.encode = encode  # (backend, text) -> unit query vector
        self.settings = settings

    def dense_ranking(self, backend: str, text: str, n: int,
                      mask: np.ndarray | None) -> tuple[list[tuple[int, float]], float, float]:
        """Top ``n`` chunks by cosine, plus the corpus mean and std of the query's scores."""
        if backend not in self.index.dense:
            raise UnknownRetriever(
                f"embedder {backend!r} has no vectors in this index; built: {', '.join(self.index.dense)}"
            )
        dense = self.index.dense[backend]
        query = self.encode(backend, text)
        ranked = dense.search(query, n, mask, self.settings.hnsw_ef_search)
        mu, sigma = dense.score_band(query)
        return ranked, mu, sigma

    def retrieve(self, query: Query, request: SearchRequest) -> list[Hit]:
        """The ``request.candidates`` best chunks, best first, each with its BM25 and dense evidence."""
        if request.mode not in RETRIEVER_MODES:
            raise UnknownRetriever(f"unknown retriever {request.mode!r}; choose one of {', '.join(RETRIEVER_MODES)}")
        mask = self.filter.mask(request.filters)
        hybrid = request.mode == "hybrid"
        hits: dict[int, Hit] = {}
        scores = np.zeros(0, dtype=np.float32)
        if request.mode in ("bm25", "hybrid"):
            scores = self.index.sparse.scores(query.tokens, mask)
            for rank, i in enumerate(_top(scores, request.candidates)):
                hit = hits.setdefault(int(i), Hit(int(i), 0.0))
                hit.bm25 = float(scores[i])
                hit.score += self.settings.bm25_weight / (self.settings.rrf_k + rank + 1) if hybrid else hit.bm25
        if request.mode in ("dense", "hybrid"):
            ranked, mu, sigma = self.dense_ranking(request.backend, query.dense_text, request.candidates, mask)
            for rank, (i, score) in enumerate(ranked):
                hit = hits.setdefault(i, Hit(i, 0.0))
                hit.dense, hit.dense_z = score, (score - mu) / sigma
                hit.score += 1.0 / (self.settings.rrf_k + rank + 1) if hybrid else score
        fused = sorted(hits.values(), key=lambda h: -h.score)[: request.candidates]
        if hybrid:
            seen = {h.position for h in fused}
            fused += self.language_candidates(request.backend, query.dense_text, mask, seen,
                                              min(self.settings.language_candidates, request.candidates // 5))
            fused += self.sentence_candidates(request.backend, query.dense_text, mask, seen)
            fused += self.plain_candidates(request.backend, query.dense_text, mask, seen,
                                           min(self.settings.plain_candidates, request.candidates // 5))
            self._complete(fused, scores, request.backend, query.dense_text, mu, sigma)
        return fused

    def sentence_candidates(self, backend: str, text: str, mask: np.ndarray | None, seen: set[int]) -> list[Hit]:
        """The chunks of the sentences closest to the query (multi-granularity vectors), not
        already in the pool, appended for the rerank stage (Settings.sentence_candidates)."""
        store = self.index.sentences.get(backend)
        if store is None or self.settings.sentence_candidates <= 0:
            return []
        found = store.best_chunks(self.encode(backend, text), self.settings.sentence_candidates, mask, seen)
        seen.update(found)
        return [Hit(position, 0.0) for position in found]

    def plain_candidates(self, backend: str, text: str, mask: np.ndarray | None, seen: set[int],
                         wanted: int) -> list[Hit]:
        """The ``wanted`` best dense chunks for the question *without* its query adapter, not
        already in the pool, appended for the rerank stage, which reads both views
        (Settings.plain_candidates, at most a fifth of the pool; with no adapter they are
        already in the pool)."""
        if wanted <= 0:
            return []
        ranked = self.index.dense[backend].search(self.encode(plain_view(backend), text), wanted + len(seen), mask,
                                                  self.settings.hnsw_ef_search)
        found = [i for i, _ in ranked if i not in seen][:wanted]
        seen.update(found)
        return [Hit(position, 0.0) for position in found]

    def language_candidates(self, backend: str, text: str, mask: np.ndarray | None,
                            seen: set[int], per_language: int) -> list[Hit]:
        """The best dense chunks of each document language not already fused, appended after
        the fused order (which they leave unchanged) for the rerank stage: a Spanish question
        over English text meets its passages even where Spanish text wins on raw cosine.
        At most ``per_language`` each (Settings.language_candidates, and a fifth of the pool)."""
        if per_language <= 0:
            return []
        extra: list[Hit] = []
        for language in sorted(self.filter.known()["language"]):
            chosen = self.filter.mask(Filters(language=[language]))
            chosen = chosen if mask is None else chosen & mask
            if not chosen.any():
                continue
            ranked, _, _ = self.dense_ranking(backend, text, per_language + len(seen), chosen)
            for position, _ in [(i, s) for i, s in ranked if i not in seen][:per_language]:
                seen.add(position)
                extra.append(Hit(position, 0.0))
        return extra

    def _complete(self, hits: list[Hit], bm25: np.ndarray, backend: str, text: str,
                  mu: float, sigma: float) -> None:
        """Give every fused hit both its BM25 and dense evidence, for later stages."""
        query = self.encode(backend, text)
        dense = self.index.dense[backend]
        for hit in hits:
            hit.bm25 = float(bm25[hit.position])
            if hit.dense == 0.0:
                hit.dense = float(dense.vector(hit.position) @ query)
                hit.dense_z = (hit.dense - mu) / sigma


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` best positive scores, best first (argpartition, then sort)."""
    top = min(n, len(scores))
    if not top:
        return np.array([], dtype=int)
    best = np.argpartition(-scores, top - 1)[:top]
    order = best[np.argsort(-scores[best])]
    return order[scores[order] > 0]


__all__ = ["FusedRetriever", "FilterError", "UnknownRetriever"]
