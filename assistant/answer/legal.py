"""Instrument answers: "which laws …?" answered from every law and constitution in scope.

``LegalFanout`` searches each legal document in scope on its own (one restricted search per
document through the retrieve + rerank stages) and scores how strongly its best articles
answer the question, on the judge's own scale (1.0 = the judge's answer threshold): the
best passages' dense z-score / the backend's ``min_z`` (idf coverage /
``refusal_min_coverage`` in bm25 mode). An instrument is kept when its strength passes
``legal_min_strength`` and stands within ``legal_keep_ratio`` of the strongest one.

``FanoutRetriever`` wraps the retrieve stage: for instrument questions the kept laws' best
passages lead the candidates (interleaved, strongest law first), so the ranked list shows
every instrument. ``LegalAnswer`` (assistant.answer.legal_answer) writes the grouped answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.answer.instruments import InstrumentNames, asks_for_instruments
from assistant.records import LEGAL_KINDS, Chunk, Document, Filters
from assistant.search.filters import ChunkFilter
from assistant.search.query import Hit, Query
from assistant.search.sparse import SparseIndex
from assistant.settings import Settings
from assistant.stages import Retriever, SearchRequest
from assistant.text import token_set

Search = Callable[[Query, SearchRequest], list[Hit]]


@dataclass(frozen=True)
class LawEvidence:
    """One legal document's answer to the question: its best hits and their strength."""

    document_id: str
    hits: list[Hit]
    strength: float
    kept: bool = False


class LegalFanout:
    """Per-law restricted searches for a question, scored and thresholded (module docstring)."""

    def __init__(self, documents: dict[str, Document], chunks: list[Chunk], sparse: SparseIndex,
                 settings: Settings, search: Search, cache_size: int = 64) -> None:
        self.documents = documents
        self.chunks = chunks
        self.sparse = sparse
        self.settings = settings
        self.search = search  # retrieve + rerank over the unwrapped retriever
        self.filter = ChunkFilter(documents, chunks)
        self.names = InstrumentNames(documents)  # "the Migration Law" → ley-migracion
        self._cache: OrderedDict[tuple, list[LawEvidence]] = OrderedDict()
        self._cache_size = cache_size

    def applies(self, query: Query, request: SearchRequest) -> bool:
        """An instrument question over two or more legal documents, fan-out switched on."""
        return (self.settings.legal_fanout and asks_for_instruments(query.text)
                and len(self.named(query)) != 1 and len(self.scope(request.filters, query)) >= 2)

    def named(self, query: Query) -> list[str]:
        """The legal documents the question names ("Which article of the Housing Law …": one)."""
        return [d for d in self.names.named_in(query.naming_text) if self.documents[d].meta.kind in LEGAL_KINDS]

    def scope(self, filters: Filters | None, query: Query | None = None) -> list[str]:
        """The laws and constitutions the filters leave in scope, in catalogue order (none
        under a dimension/assessment filter: those select profile passages); when the
        question names two or more of them, those."""
        if filters is not None and (filters.dimension or filters.assessment):
            return []
        allowed = self.filter.document_ids(filters)
        named = self.named(query) if query is not None else []
        allowed = allowed & set(named) if len(named) >= 2 else allowed
        return [d for d, doc in self.documents.items() if doc.meta.kind in LEGAL_KINDS and d in allowed]

    def strength(self, query: Query, hits: list[Hit], request: SearchRequest) -> float:
        """The judge's scale over the best passages: their dense z over the backend's min_z —
        language-neutral, so a question asked in English or Spanish keeps the same laws (word
        coverage favours laws that share the question's words); idf coverage over
        refusal_min_coverage only without dense vectors (bm25 mode)."""
        s = self.settings
        top = hits[: s.judge_passages]
        if not top:
            return 0.0
        if request.mode == "bm25":
            coverage = max(self.sparse.coverage(query.tokens, token_set(self.chunks[h.position].text))
                           for h in top)
            return coverage / s.refusal_min_coverage
        return max(h.dense_z for h in top) / s.min_z(request.backend)

    def in_force(self, hit: Hit, transition: bool = False) -> bool:
        """A passage of the law's own articles: not a transitory article (unless the question
        asks what those say: ``transition``) nor a decree's publication note (a law read
        without articles keeps every passage)."""
        chunk = self.chunks[hit.position]
        document = self.documents[chunk.document_id]
        article = document.article_at(chunk.start)
        return not document.articles or (article is not None and (transition or not article.transitory))

    def evidence(self, query: Query, request: SearchRequest) -> list[LawEvidence]:
        """Every legal document in scope, strongest first, each marked kept or not (cached)."""
        key = (query.text, query.dense_text, tuple(query.tokens), request.mode, request.backend,
               request.candidates, _filters_key(request.filters))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = []
        per_law = self.settings.legal_hits_per_law
        for document_id in self.scope(request.filters, query):
            hits = [h for h in self.search(query, request.within(document_id, 2 * per_law))
                    if self.in_force(h, query.asks_transition)]
            found.append(LawEvidence(document_id, hits[:per_law], self.strength(query, hits[:per_law], request)))
        found.sort(key=lambda e: -e.strength)
        result = keep_strongest(found, self.settings)
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result


def keep_strongest(found: list[LawEvidence], settings: Settings) -> list[LawEvidence]:
    """Mark the instruments whose strength passes the floor and the ratio to the best (sorted input)."""
    best = found[0].strength if found else 0.0
    floor = max(settings.legal_min_strength, settings.legal_keep_ratio * best)
    kept = 0
    result = []
    for item in found:
        keep = item.strength >= floor and bool(item.hits) and kept < settings.legal_max_instruments
        kept += keep
        result.append(replace(item, kept=keep))
    return result


def lead_hits(evidence: list[LawEvidence], per_law: int) -> list[Hit]:
    """The kept laws' best hits interleaved: each law's best, then each one's second …"""
    kept = [e for e in evidence if e.kept]
    lead: list[Hit] = []
    for depth in range(per_law):
        lead += [e.hits[depth] for e in kept if depth < len(e.hits)]
    return lead


class FanoutRetriever:
    """The retrieve stage with instrument fan-out: kept laws' best passages lead the candidates."""

    def __init__(self, inner: Retriever, fanout: LegalFanout) -> None:
        self.inner = inner
        self.fanout = fanout
        self.filter = inner.filter  # type: ignore[attr-defined]  # the core reads the filter

    def retrieve(self, query: Query, request: SearchRequest) -> list[Hit]:
        candidates = self.inner.retrieve(query, request)
        if not self.fanout.applies(query, request):
            return candidates
        lead = lead_hits(self.fanout.evidence(query, request), self.fanout.settings.legal_lead_per_law)
        top = max((h.score for h in candidates), default=0.0)
        positions = {h.position for h in lead}
        led = [replace(h, score=top + len(lead) - n) for n, h in enumerate(lead)]
        return led + [h for h in candidates if h.position not in positions]  # the whole pool stays for the ranker


def _filters_key(filters: Filters | None) -> tuple:
    if filters is None:
        return ()
    return tuple((name, tuple(value or ())) for name, value in filters.model_dump().items())
