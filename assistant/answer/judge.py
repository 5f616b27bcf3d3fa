"""The judge stage: can the retrieved passages answer the question?

``EvidenceJudge`` combines two signals, each against a calibrated threshold:
- *coverage*: the idf-weighted share of the question's content words found in a top
  passage (a question about "Buenos Aires" finds no passage with those words);
- *dense surprise*: how far the best passage's similarity stands above the corpus-wide
  distribution of the question's similarities (a z-score), which works across languages
  where words cannot overlap, and never thresholds raw cosines.
A question naming something the corpus never mentions is not answered: similarity cannot
vouch for a place or body the documents lack.
"""

from __future__ import annotations

import re

from assistant.records import Chunk, Verdict
from assistant.search.query import Hit, Query
from assistant.search.sparse import SparseIndex
from assistant.settings import Settings
from assistant.stages import SearchRequest
from assistant.text import tokenize

_NAME = re.compile(r"(?<=[\w,;:] )[A-ZÁÉÍÓÚÑ][\w'’-]+")


def unknown_names(sparse: SparseIndex, question: str) -> list[str]:
    """Capitalised words inside the question (names: "Buenos Aires", "France") that occur
    nowhere in the corpus."""
    missing = []
    for word in _NAME.findall(question):
        tokens = tokenize(word)
        if tokens and not any(sparse.knows(t) for t in tokens):
            missing.append(word)
    return missing


class EvidenceJudge:
    """Answer when coverage or dense surprise passes its threshold (module docstring)."""

    def __init__(self, sparse: SparseIndex, chunks: list[Chunk], settings: Settings) -> None:
        self.sparse = sparse
        self.chunks = chunks
        self.settings = settings

    def strength(self, query: Query, hits: list[Hit], min_z: float) -> float:
        """The larger of coverage / min_coverage and best z / min_z; ≥ 1.0 means "answer"."""
        top = hits[: self.settings.judge_passages]
        coverage = max(self.sparse.coverage(query.tokens, set(tokenize(self.chunks[h.position].text)))
                       for h in top)
        best_z = max((h.dense_z for h in top), default=0.0)
        return max(coverage / self.settings.refusal_min_coverage, best_z / min_z if min_z else 0.0)

    def judge(self, query: Query, hits: list[Hit], request: SearchRequest) -> Verdict:
        if not hits:
            return Verdict(outcome="not_in_documents", reason="no passage matched the question")
        missing = unknown_names(self.sparse, query.text)
        if missing:
            return Verdict(outcome="not_in_documents",
                           reason=f"the documents never mention {', '.join(missing)}")
        min_z = self.settings.min_z(request.backend) if request.mode != "bm25" else 0.0
        strength = self.strength(query, hits, min_z)
        if strength < 1.0:
            return Verdict(outcome="not_in_documents", strength=strength,
                           reason="no passage is close enough to the question")
        return Verdict(outcome="answered", strength=strength, reason="the top passages cover the question")
