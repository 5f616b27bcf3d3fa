"""The ask path as named stages, each behind a small interface.

    retrieve → rerank → judge → compose → verify

The core (assistant.core) runs them in order and times each by name in
``Answer.timings_ms``. Which implementation runs is chosen in Settings
(``rerank_stage``, ``judge_stage``, ``compose_stage``); swapping one touches no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assistant.records import Citation, Filters, Instrument, Turn, Verdict
from assistant.search.query import Hit, Query
from assistant.settings import RetrieverMode

STAGES = ("retrieve", "rerank", "judge", "compose", "verify")


@dataclass(frozen=True)
class SearchRequest:
    """How to search: passages wanted, filters, retriever mode, embedder, candidate pool."""

    k: int
    filters: Filters | None = None
    mode: RetrieverMode = "hybrid"
    backend: str = ""
    candidates: int = 50

    def within(self, document_id: str, k: int) -> SearchRequest:
        """The same search restricted to one document."""
        return SearchRequest(k, Filters(document=[document_id]), self.mode, self.backend, self.candidates)


@dataclass
class Draft:
    """What the writer produced: the answer text, its citations and instruments."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    instruments: list[Instrument] = field(default_factory=list)


class Retriever(Protocol):
    """First stage: candidates from the sparse and dense indexes, fused and filtered."""

    def retrieve(self, query: Query, request: SearchRequest) -> list[Hit]: ...


class Reranker(Protocol):
    """Second stage: order the candidates and keep the best ``k``."""

    def rerank(self, query: Query, candidates: list[Hit], k: int) -> list[Hit]: ...

    def warm_up(self) -> None:
        """Precompute what every question would otherwise pay for (may return at once)."""


class Judge(Protocol):
    """Can these passages answer the question? What kind of answer is asked, and why.

    ``hits`` are the reranked passages the writer will quote; ``candidates`` the first
    stage's order, so the evidence a judge weighs does not depend on the second stage."""

    def judge(self, query: Query, hits: list[Hit], request: SearchRequest,
              candidates: list[Hit]) -> Verdict: ...


class Composer(Protocol):
    """Write the answer from the passages: quotes, citations, instruments."""

    def compose(self, query: Query, hits: list[Hit], verdict: Verdict, request: SearchRequest,
                history: list[Turn]) -> Draft: ...


class Verifier(Protocol):
    """Refuse to return a quote that is not the stored text at its offsets."""

    def verify(self, citations: list[Citation]) -> None: ...


@dataclass
class Pipeline:
    """One implementation per stage."""

    retriever: Retriever
    reranker: Reranker
    judge: Judge
    composer: Composer
    verifier: Verifier
