"""Gap questions prefer the profile's "potential for development" findings.

"What are the gaps in …?", "¿qué falta …?", "where could … improve?" ask for what an MGI
profile files under its areas with potential for development. ``GapRetriever`` wraps the
retrieve stage: for such a question (and no assessment filter of its own) each candidate
tagged "potential for development" gains ``gap_boost`` × the best candidate's score, and
the candidates are re-sorted. Other questions pass through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.ingest.readers.migof import POTENTIAL
from assistant.records import Chunk
from assistant.search.query import Hit, Query
from assistant.stages import Retriever, SearchRequest

_GAP_CUES = re.compile(
    r"\b(?:gaps?|shortcomings?|weak(?:ness|nesses|er)?|lack(?:s|ing)?|missing|short of|improve(?:ment)?s?|"
    r"potential for (?:further )?development|areas? (?:for|of) (?:further )?development|challenges?|"
    r"brechas?|vac[íi]os?|carencias?|deficiencias?|debilidad(?:es)?|falta(?:n)?|mejorar|mejoras?|"
    r"desaf[íi]os?|retos?|pendientes?)\b",
    re.IGNORECASE,
)


def asks_for_gaps(question: str) -> bool:
    """True for questions about gaps, weaknesses or room for improvement (EN/ES cues)."""
    return bool(_GAP_CUES.search(question))


class GapRetriever:
    """The retrieve stage, with "potential for development" passages boosted for gap questions."""

    def __init__(self, inner: Retriever, chunks: list[Chunk], boost: float) -> None:
        self.inner = inner
        self.chunks = chunks
        self.boost = boost
        self.filter = inner.filter  # type: ignore[attr-defined]  # the core reads the filter

    def retrieve(self, query: Query, request: SearchRequest) -> list[Hit]:
        candidates = self.inner.retrieve(query, request)
        filters = request.filters
        if not self.boost or not candidates or not asks_for_gaps(query.text) or (filters and filters.assessment):
            return candidates
        lift = self.boost * max(h.score for h in candidates)
        boosted = [replace(h, score=h.score + lift) if self.chunks[h.position].assessment == POTENTIAL else h
                   for h in candidates]
        return sorted(boosted, key=lambda h: -h.score)
