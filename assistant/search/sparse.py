"""SparseIndex: the one wrapper around bm25s (files, vocabulary, scores, idf).

Nothing else in the code base touches bm25s objects: retrieval asks for scores, the answer
stages for idf weights and coverage, the build for a new index written to a folder.
"""

from __future__ import annotations

import math
from collections.abc import Set
from pathlib import Path

import numpy as np

from assistant.text import cognate_keys, cognate_match

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
