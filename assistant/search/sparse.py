"""SparseIndex: the one wrapper around bm25s (files, vocabulary, scores, idf).

Nothing else in the code base touches bm25s objects: retrieval asks for scores, the answer
stages for idf weights and coverage, the build for a new index written to a folder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Set
from pathlib import Path

import numpy as np

from assistant.text import cognate, cognate_keys, cognate_match

EMPTY_TOKEN = "<empty>"  # bm25s cannot index an empty document


class SparseIndex:
    """BM25 over pre-tokenised chunk texts, with idf and document frequencies."""

    def __init__(self, engine) -> None:
        self._engine = engine
        vocabulary: dict[str, int] = dict(getattr(engine, "vocab_dict", {}) or {})
        indptr = np.asarray(engine.scores["indptr"])
        frequencies = np.diff(indptr)
        self.num_docs = max(1, int(engine.scores["num_docs"]))
        self.df = {token: int(frequencies[i]) for token, i in vocabulary.items() if i < len(frequencies)}
        self._vocabulary = vocabulary
        self._variants: dict[str, list[str]] | None = None  # cognate key → corpus tokens (built on first use)

    # -- files ---------------------------------------------------------------------------
    @classmethod
    def build(cls, token_lists: list[list[str]]) -> SparseIndex:
        """Index one token list per chunk (in chunk order)."""
        import bm25s

        engine = bm25s.BM25()
        engine.index([tokens or [EMPTY_TOKEN] for tokens in token_lists], show_progress=False)
        return cls(engine)

    def save(self, folder: Path) -> None:
        self._engine.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> SparseIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    # -- scores --------------------------------------------------------------------------
    def knows(self, token: str) -> bool:
        return token in self.df

    def frequency(self, token: str) -> int:
        """How many chunks hold ``token`` (0 for a word the corpus never uses)."""
        return self.df.get(token, 0)

    def scores(self, tokens: list[str], mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (zeros where ``mask`` is False)."""
        known = [t for t in tokens if t in self.df]
        if not known:
            return np.zeros(self.num_docs, dtype=np.float32)
        scores = np.asarray(self._engine.get_scores(known), dtype=np.float32)
        return np.where(mask, scores, 0.0) if mask is not None else scores

    def idf(self, token: str) -> float:
        """BM25 (Lucene) idf of a token; unseen tokens get the highest weight."""
        df = self.df.get(token, 0)
        return math.log(1 + (self.num_docs - df + 0.5) / (df + 0.5))

    def coverage(self, query: list[str], passage: Set[str], cognates: bool = False) -> float:
        """Share of the query's idf mass whose words appear in the passage; with ``cognates``
        a word of five letters or more also counts when a passage word shares its cognate key
        (``text.cognate``: "migrants" / "migrantes"), for a passage in the other language."""
        unique = set(query)
        total = sum(self.idf(t) for t in unique)
        if total == 0:
            return 0.0
        words = frozenset(passage)
        keys = cognate_keys(words) if cognates else frozenset()
        return sum(self.idf(t) for t in unique if cognate_match(t, words, keys)) / total

    def together(self, tokens: Iterable[str], cognates: bool = True) -> bool:
        """Some chunk holds every token — or, with ``cognates``, for a token of five letters or
        more, the token or a corpus word sharing its cognate key (``text.cognate``: "protection" /
        "protección": an English title's words may stand together only in a Spanish passage)."""
        common: np.ndarray | None = None
        for token in dict.fromkeys(tokens):
            rows = self._postings(token, cognates)
            common = rows if common is None else np.intersect1d(common, rows, assume_unique=True)
            if not len(common):
                return False
        return common is not None

    def warm_up(self) -> dict[str, list[str]]:
        """The corpus words by cognate key, which ``together`` reads (built once, ~75 ms)."""
        if self._variants is None:
            self._variants = {}
            for word in self._vocabulary:
                if len(word) >= 5:
                    self._variants.setdefault(cognate(word), []).append(word)
        return self._variants

    def _postings(self, token: str, cognates: bool) -> np.ndarray:
        """The chunks holding ``token`` (or one of its cognate variants), sorted and unique."""
        variants = {token}
        if cognates and len(token) >= 5:
            variants.update(self.warm_up().get(cognate(token), []))
        indptr, indices = self._engine.scores["indptr"], self._engine.scores["indices"]
        rows = [np.asarray(indices[indptr[i]: indptr[i + 1]]) for i in
                (self._vocabulary[v] for v in variants if v in self._vocabulary)]
        return np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)
