"""The one core behind the API, the web pages, the CLI and the evaluation harness.

``Assistant`` loads the index, owns the embedders and runs the ask path's stages in order
(assistant.stages): retrieve → rerank → judge → compose → verify, timing each by name.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from assistant.answer.citations import key_sources_by_document, passage_of
from assistant.answer.compose import ExtractiveComposer
from assistant.answer.judge import EvidenceJudge, TypedJudge
from assistant.answer.learned_judge import LearnedJudge
from assistant.answer.legal import FanoutRetriever, LegalFanout
from assistant.answer.legal_answer import LegalAnswer
from assistant.answer.verify import StoredTextVerifier
from assistant.embedding import Embedder, load_embedder
from assistant.embedding.adapter import QueryAdapter, load_adapter, split_view
from assistant.errors import DocumentNotFound, FilterError, OffsetError, QuestionError, UnknownRetriever, check_question
from assistant.records import Answer, Document, Filters, Passage, Turn
from assistant.search.assessment import GapRetriever
from assistant.search.fusion import FusedRetriever
from assistant.search.acronyms import Acronyms
from assistant.search.query import Hit, Query, contextualise
from assistant.search.rerank import DenseOrder, DocumentCap, FusionOrder
from assistant.settings import Settings
from assistant.stages import Judge, Pipeline, SearchRequest
from assistant.storage import IndexProblem, LoadedIndex, load_index, stale_documents

log = logging.getLogger(__name__)


class Assistant:
    """Loaded index + lazily loaded embedders + the stage pipeline; answers and searches."""

    def __init__(self, settings: Settings, index: LoadedIndex,
                 embedders: dict[str, Embedder] | None = None) -> None:
        self.settings = settings
        self.index = index
        self.documents: dict[str, Document] = index.documents
        self.chunks = index.chunks
        self.manifest = index.manifest
        self._embedders: dict[str, Embedder] = dict(embedders or {})  # preloaded (tests), else lazily
        self._lock = threading.Lock()
        self._adapters: dict[str, QueryAdapter | None] = {}  # per backend, loaded once
        # Whether the documents changed since the build (set by open; the faces show it).
        self.index_state: dict = {"stale": False, "changes": [], "rebuilding": False}
        self.default_embedder = (
            settings.embedder if settings.embedder in index.dense else next(iter(index.dense), "")
        )
        self.acronyms = Acronyms(index.documents.values(), index.sparse.frequency, settings.acronym_max_passages)
        self.pipeline = build_pipeline(self)

    @classmethod
    def open(cls, settings: Settings, check_stale: bool = True) -> Assistant:
        """Load ``settings.index_dir``; raise IndexProblem if missing or corrupt.

        When the documents changed since the build, the last good index is still served
        (``settings.serve_stale_index``, default on) and ``index_state`` says so:
        ``{"stale": True, "changes": [...], "rebuilding": False}``; with the setting off a
        stale index raises IndexProblem as before."""
        index = load_index(settings.index_dir)
        changes = stale_documents(index.manifest, settings.documents_dir) if check_stale else []
        if changes and not settings.serve_stale_index:
            raise IndexProblem(
                f"index in {settings.index_dir} is stale for {settings.documents_dir}: "
                + "; ".join(changes[:10])
                + " — run `mgi build`"
            )
        built = index.manifest.embedders.get(settings.embedder)
        if built and settings.model and built.model != settings.model:
            raise IndexProblem(
                f"index was embedded with {built.model!r} but settings ask for "
                f"{settings.model!r}: run `mgi build`"
            )
        assistant = cls(settings, index)
        assistant.index_state.update(stale=bool(changes), changes=changes)
        return assistant

    # -- embedders -----------------------------------------------------------------------
    def available_embedders(self) -> list[str]:
        return list(self.index.dense)

    def embedder(self, backend: str) -> Embedder:
        """The embedder for ``backend``, loaded once (thread-safe)."""
        with self._lock:
            if backend not in self._embedders:
                model = self.settings.model if backend == self.settings.embedder else ""
                embedder = load_embedder(backend, model, self.settings.batch_size)
                expected = self.manifest.embedders.get(backend)
                if expected and expected.dim != embedder.dim:
                    raise IndexProblem(f"embedder {backend} has dimension {embedder.dim}, index has {expected.dim}")
                self._embedders[backend] = embedder
            return self._embedders[backend]

    @functools.lru_cache(maxsize=512)  # noqa: B019 - bounded, one Assistant per process
    def query_vector(self, backend: str, text: str) -> np.ndarray:
        """The question's vector for ``backend``, moved by its query adapter when one is set
        (``"<backend>+plain"``: never moved; the ranker reads both, from one encode)."""
        base, plain = split_view(backend)
        vector = self.embedded_query(base, text)
        adapter = None if plain else self.adapter(base)
        return adapter.apply(vector) if adapter is not None else vector

    @functools.lru_cache(maxsize=512)  # noqa: B019 - bounded, one Assistant per process
    def embedded_query(self, backend: str, text: str) -> np.ndarray:
        """The question as ``backend``'s model embeds it (cached; query_vector moves it)."""
        return self.embedder(backend).embed_query(text)

    def forget_queries(self) -> None:
        """Drop every cached question vector, embedded and moved (timings, adapter swaps)."""
        self.query_vector.cache_clear()
        self.embedded_query.cache_clear()

    def adapter(self, backend: str) -> QueryAdapter | None:
        """``backend``'s query adapter (Settings.query_adapter), None when there is none; an
        unreadable file is logged and ignored, so the last good index keeps serving."""
        if backend not in self._adapters:
            dense = self.index.dense.get(backend)
            try:
                self._adapters[backend] = (load_adapter(self.settings.query_adapter, backend, dense.dim)
                                           if dense is not None else None)
            except ValueError as error:
                log.warning("query adapter ignored: %s", error)
                self._adapters[backend] = None
        return self._adapters[backend]

    @contextmanager
    def adapted(self, backend: str, adapter: QueryAdapter | None) -> Iterator[None]:
        """Search with another adapter for ``backend`` (None: the plain model), then restore;
        training swaps in out-of-fold adapters, the evaluation's ``+plain`` configurations none."""
        kept = self.adapter(backend)
        self._adapters[backend] = adapter
        self.query_vector.cache_clear()
        try:
            yield
        finally:
            self._adapters[backend] = kept
            self.query_vector.cache_clear()

    def warm_up(self) -> None:
        """Load the default embedder, run one query, compute the corpus moments, let the
        second stage precompute its per-chunk signals, the sparse index its cognate map and
        the acronym reader its table of the corpus's names."""
        if self.default_embedder:
            self.query_vector(self.default_embedder, "warm up")
            self.index.dense[self.default_embedder].moments()
        self.pipeline.reranker.warm_up()
        self.index.sparse.warm_up()
        self.acronyms.warm_up()

    # -- validation ----------------------------------------------------------------------
    def check(self, question: str, k: int, history: list[Turn] | None = None) -> str:
        """Validate a question, k and history against Settings; return the stripped question."""
        limits = self.settings
        question = check_question(question, limits.max_question_chars)
        if not 1 <= k <= limits.max_k:
            raise QuestionError(f"k must be between 1 and {limits.max_k}, got {k}")
        if history and len(history) > limits.max_history:
            raise QuestionError(f"history has {len(history)} turns; the limit is {limits.max_history}")
        for n, turn in enumerate(history or [], 1):
            check_question(turn.question, limits.max_question_chars, f"history turn {n} question")
            if len(turn.answer) > limits.max_answer_chars:
                raise QuestionError(f"history turn {n} answer is {len(turn.answer)} characters; "
                                    f"the limit is {limits.max_answer_chars}")
        return question

    def check_filters(self, filters: Filters | None) -> None:
        """Raise FilterError when a filter names something the index does not hold."""
        if filters is not None:
            self.pipeline.retriever.filter.check(filters)

    def request(self, k: int, filters: Filters | None, retriever: str, embedder: str | None) -> SearchRequest:
        return SearchRequest(k=k, filters=filters, mode=retriever, backend=embedder or self.default_embedder,
                             candidates=max(self.settings.candidates, k))

    # -- search and ask ------------------------------------------------------------------
    def query(self, question: str, history: list[Turn]) -> Query:
        """The question as the stages read it: a short follow-up folded with the previous
        question, acronyms the corpus never spells expanded to its names (search.acronyms)."""
        return self.acronyms.expand(contextualise(question, history, self.settings.followup_min_words))

    def ranked(self, query: Query, request: SearchRequest) -> list[Hit]:
        """Retrieve then rerank: the best ``request.k`` hits."""
        candidates = self.pipeline.retriever.retrieve(query, request)
        return self.pipeline.reranker.rerank(query, candidates, request.k)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               retriever: str = "hybrid", embedder: str | None = None) -> list[Passage]:
        """Ranked passages for a query."""
        k = self.settings.top_k if k is None else k
        text = self.check(query, k)
        hits = self.ranked(self.query(text, []), self.request(k, filters, retriever, embedder))
        return [self.passage(hit) for hit in hits]

    def passage(self, hit: Hit) -> Passage:
        chunk = self.chunks[hit.position]
        return passage_of(hit, chunk, self.documents[chunk.document_id])

    def ask(self, question: str, history: list[Turn] | None = None, k: int | None = None,
            filters: Filters | None = None, retriever: str = "hybrid", embedder: str | None = None) -> Answer:
        """Answer with verbatim quotes and numbered citations, or say the documents do not."""
        timer = StageTimer()
        k = self.settings.top_k if k is None else k
        question = self.check(question, k, history)
        history = history or []
        request = self.request(k, filters, retriever, embedder)
        query = self.query(question, history)
        stages = self.pipeline
        with timer("retrieve"):
            candidates = stages.retriever.retrieve(query, request)
        with timer("rerank"):
            hits = stages.reranker.rerank(query, candidates, k)
        with timer("judge"):
            verdict = stages.judge.judge(query, hits, request, candidates)
        with timer("compose"):
            draft = stages.composer.compose(query, hits, verdict, request, history)
        if verdict.answered and not draft.citations:
            verdict = verdict.model_copy(update={"outcome": "not_in_documents",
                                                 "reason": "no sentence of the passages answers it"})
        with timer("verify"):
            stages.verifier.verify(draft.citations)
        return Answer(
            question=question, answer=draft.text, refused=verdict.outcome == "not_in_documents",
            outcome=verdict.outcome, answer_type=verdict.answer_type, reason=verdict.reason,
            evidence_strength=round(verdict.strength, 4), citations=draft.citations,
            retrieved=[self.passage(hit) for hit in hits], instruments=draft.instruments,
            searched_documents=sorted(stages.retriever.filter.document_ids(filters)),
            expanded=query.expanded, timings_ms=timer.finish(),
        )

    # -- documents -----------------------------------------------------------------------
    def get_document(self, document_id: str) -> Document:
        if document_id not in self.documents:
            raise DocumentNotFound(f"unknown document id {document_id!r}")
        return self.documents[document_id]

    def document_text(self, document_id: str, start: int = 0, end: int | None = None) -> str:
        """A slice of a document's stored text (validated offsets)."""
        document = self.get_document(document_id)
        end = len(document.text) if end is None else end
        if not 0 <= start <= end <= len(document.text):
            raise OffsetError(f"offsets must satisfy 0 <= start <= end <= {len(document.text)}; got {start}, {end}")
        return document.text[start:end]


class StageTimer:
    """Milliseconds per named stage, plus "total"."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = round((time.perf_counter() - began) * 1000, 2)

    def finish(self) -> dict[str, float]:
        return {**self.timings, "total": round((time.perf_counter() - self.started) * 1000, 2)}


def build_judge(index: LoadedIndex, settings: Settings) -> Judge:
    """The judge stage Settings name: evidence, typed, or learned (over the typed reading)."""
    if settings.judge_stage == "evidence":
        return EvidenceJudge(index.sparse, index.chunks, settings, index.documents)
    typed = TypedJudge(index.sparse, index.chunks, index.documents, settings)
    return LearnedJudge.load(typed, settings) if settings.judge_stage == "learned" else typed


def build_pipeline(assistant: Assistant) -> Pipeline:
    """The stages Settings name, wired to this Assistant's index and embedders."""
    settings, index = assistant.settings, assistant.index
    fused = FusedRetriever(index, assistant.query_vector, settings)
    if settings.rerank_stage == "learned":
        from assistant.search.learned import LearnedRanker

        ranker = LearnedRanker.load(index, assistant.query_vector, settings)
    else:
        ranker = FusionOrder()
    within = DenseOrder() if settings.legal_within_order == "dense" else ranker  # one law's passages
    fanout = LegalFanout(index.documents, index.chunks, index.sparse, settings,
                         lambda query, request: within.rerank(query, fused.retrieve(query, request), request.k))
    retriever = GapRetriever(FanoutRetriever(fused, fanout), index.chunks, settings.gap_boost)  # laws lead; gaps prefer
    reranker = DocumentCap(ranker, lambda hit: index.chunks[hit.position].document_id,
                           settings.document_cap, settings.document_cap_window)
    judge = build_judge(index, settings)
    composer = ExtractiveComposer(index.sparse, index.chunks, index.documents, settings, assistant.ranked,
                                  LegalAnswer(fanout, key_sources_by_document(index.documents)))
    return Pipeline(retriever, reranker, judge, composer, StoredTextVerifier(index.documents))


__all__ = ["Assistant", "QuestionError", "IndexProblem", "FilterError", "UnknownRetriever",
           "DocumentNotFound", "OffsetError"]
