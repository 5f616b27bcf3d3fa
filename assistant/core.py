"""The one core behind the API, the web pages, the CLI and the evaluation harness."""

from __future__ import annotations

import re
import re
import threading
import time

from assistant.answer.compose import (
    REFUSAL,
    Scorer,
    compose,
    evidence_strength,
    key_source_ref,
    make_citation,
    passage_of,
    select_sentences,
    unverified_quotes,
)
from assistant.embedding import Embedder, load_embedder
from assistant.ingest.build import IndexProblem, load_index, stale_documents
from assistant.answer.instruments import asks_for_instruments, list_instruments
from assistant.records import Answer, Citation, Document, Filters, KeySourceRef, Passage, Turn
from assistant.search.retrieve import FilterError, Retriever, contextualise
from assistant.settings import Settings
from assistant.text import tokenize


_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0/C1 except tab, LF, CR
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: JSON "\ud800" escapes, bad argv bytes


class QuestionError(ValueError):
    """The question (or its history or k) is not acceptable; the message says why."""


class Assistant:
    """Loaded index + lazily loaded embedders; answers and searches."""

    def __init__(self, settings: Settings, index) -> None:
        self.settings = settings
        self.index = index
        self.documents: dict[str, Document] = index.documents
        self.chunks = index.chunks
        self.manifest = index.manifest
        self._embedders: dict[str, Embedder] = {}
        self._lock = threading.Lock()
        self.retriever = Retriever(index, self.embedder)
        self.scorer = Scorer(index.bm25)
        self.default_embedder = (
            settings.embedder if settings.embedder in index.dense else next(iter(index.dense), "")
        )
        self.key_sources_by_document: dict[str, list[KeySourceRef]] = {}
        self.instrument_names: list[tuple[frozenset[str], str]] = []
        for document in self.documents.values():
            for entry in document.key_sources:
                if entry.document_id:
                    refs = self.key_sources_by_document.setdefault(entry.document_id, [])
                    if entry.title not in {r.title for r in refs}:
                        refs.append(key_source_ref(entry))
        self.instrument_names = self._instrument_names()

    @classmethod
    def open(cls, settings: Settings, check_stale: bool = True) -> Assistant:
        """Load ``settings.index_dir``; raise IndexProblem if missing, corrupt or stale."""
        index = load_index(settings.index_dir)
        if check_stale:
            changes = stale_documents(index.manifest, settings.documents_dir)
            if changes:
                raise IndexProblem(
                    f"index in {settings.index_dir} is stale for {settings.documents_dir}: "
                    + "; ".join(changes[:10])
                    + " — run `mgi build`"
                )
        built = index.manifest.get("embedders", {}).get(settings.embedder)
        if built and settings.model and built["model"] != settings.model:
            raise IndexProblem(
                f"index was embedded with {built['model']!r} but settings ask for "
                f"{settings.model!r}: run `mgi build`"
            )
        return cls(settings, index)

    def available_embedders(self) -> list[str]:
        return list(self.index.dense)

    def embedder(self, backend: str) -> Embedder:
        """The embedder for ``backend``, loaded once (thread-safe)."""
        with self._lock:
            if backend not in self._embedders:
                model = self.settings.model if backend == self.settings.embedder else ""
                embedder = load_embedder(backend, model, self.settings.batch_size)
                expected = self.manifest.get("embedders", {}).get(backend, {})
                if expected and expected.get("dim") != embedder.dim:
                    raise IndexProblem(
                        f"embedder {backend} has dimension {embedder.dim}, index has {expected.get('dim')}"
                    )
                self._embedders[backend] = embedder
            return self._embedders[backend]

    def warm_up(self) -> None:
        """Load the default embedder and run one query, so the first request is fast."""
        if self.default_embedder:
            self.retriever.query_vector(self.default_embedder, "warm up")
            self.retriever._corpus_moments(self.default_embedder)

    # -- validation ----------------------------------------------------------------------
    def check(self, question: str, k: int, history: list[Turn] | None = None) -> str:
        """Validate a question, k and history; return the stripped question."""
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("question is empty")
        if "\x00" in question:
            raise QuestionError("question contains a NUL character")
        bad = _CONTROL.search(question)
        if bad:
            raise QuestionError(f"question contains a control character (U+{ord(bad.group()):04X})")
        bad = _SURROGATE.search(question)
        if bad:
            raise QuestionError(
                f"question contains an unpaired surrogate (U+{ord(bad.group()):04X}): not valid UTF-8 text"
            )
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"question is {len(question)} characters; the limit is {self.settings.max_question_chars}"
            )
        if not 1 <= k <= self.settings.max_k:
            raise QuestionError(f"k must be between 1 and {self.settings.max_k}, got {k}")
        if history and len(history) > self.settings.max_history:
            raise QuestionError(
                f"history has {len(history)} turns; the limit is {self.settings.max_history}"
            )
        return question.strip()

    # -- search and ask ------------------------------------------------------------------
    def _hits(self, question, history, k, filters, retriever, embedder):
        query = contextualise(question, history or [])
        hits = self.retriever.search(
            query, k=k, filters=filters, mode=retriever, backend=embedder or self.default_embedder,
            candidates=max(self.settings.candidates, k), rrf_k=self.settings.rrf_k,
            bm25_weight=self.settings.bm25_weight,
        )
        return query, hits

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None,
        retriever: str = "hybrid", embedder: str | None = None,
    ) -> list[Passage]:
        """Ranked passages for a query."""
        k = self.settings.top_k if k is None else k
        query = self.check(query, k)
        _, hits = self._hits(query, [], k, filters, retriever, embedder)
        return [self._passage(hit) for hit in hits]

    def _passage(self, hit) -> Passage:
        chunk = self.chunks[hit.index]
        return passage_of(hit, chunk, self.documents[chunk.document_id])

    def ask(
        self, question: str, history: list[Turn] | None = None, k: int | None = None,
        filters: Filters | None = None, retriever: str = "hybrid", embedder: str | None = None,
    ) -> Answer:
        """Answer with verbatim quotes and numbered citations, or refuse."""
        started = time.perf_counter()
        k = self.settings.top_k if k is None else k
        question = self.check(question, k, history)
        query, hits = self._hits(question, history, k, filters, retriever, embedder)
        retrieved_at = time.perf_counter()
        backend = embedder or self.default_embedder
        strength = evidence_strength(
            self.scorer, query.tokens, hits, self.chunks, question, self.settings.refusal_min_coverage,
            self.settings.refusal_min_z.get(backend, 2.75) if retriever != "bm25" else 0.0,
        )
        retrieved = [self._passage(hit) for hit in hits]
        coverage = sorted(self._filtered_documents(filters) if filters else self.documents)
        refused = strength < 1.0
        citations = []
        if not refused:
            # Quotes answer the question as asked: a follow-up's own words pick the sentences
            # (the previous question only steered retrieval).
            chosen = select_sentences(
                self.scorer, tokenize(question) or query.tokens, hits, self.chunks, self.documents,
                self.settings.max_quotes,
            )
            for n, (hit, start, end, score) in enumerate(chosen, 1):
                chunk = self.chunks[hit.index]
                citations.append(
                    make_citation(n, hit, start, end, score, chunk, self.documents[chunk.document_id],
                                  self.key_sources_by_document)
                )
            refused = not citations
        instruments = []
        if not refused:
            # A document the question names is quoted first; for "which laws" questions, each
            # corpus law the quoted passages cite is quoted too (claim → article itself).
            quoted = {c.document.id for c in citations}
            named = [d for d in ([] if filters else self.named_documents(question)) if d not in quoted]
            citations = self._quote_documents(question, history, named[:3], retriever, embedder) + citations
            if asks_for_instruments(question):
                quoted |= set(named)
                cited = list_instruments(citations, self.documents, self.key_sources_by_document)
                laws = [i.document_id for i in cited if i.document_id and i.document_id not in quoted]
                citations += self._quote_documents(question, history, list(dict.fromkeys(laws))[:4],
                                                   retriever, embedder)
            for n, citation in enumerate(citations, 1):
                citation.n = n
            if asks_for_instruments(question):
                instruments = list_instruments(citations, self.documents, self.key_sources_by_document)
        broken = unverified_quotes(citations, self.documents)
        if broken:  # never show a quote that is not the documents' own words
            raise RuntimeError(f"citations {broken} are not verbatim; refusing to answer")
        done = time.perf_counter()
        return Answer(
            question=question,
            answer=REFUSAL if refused else compose(citations, instruments),
            refused=refused,
            citations=citations,
            retrieved=retrieved,
            instruments=instruments,
            coverage=coverage,
            timings_ms={
                "retrieve": round((retrieved_at - started) * 1000, 2),
                "answer": round((done - retrieved_at) * 1000, 2),
                "total": round((done - started) * 1000, 2),
                "evidence": round(strength, 4),
            },
        )

    def _quote_documents(self, question, history, targets, retriever, embedder) -> list[Citation]:
        """The best sentence of each target document for the question (numbered later)."""
        quotes = []
        for target in targets:
            query, hits = self._hits(question, history, 3, Filters(document=[target]), retriever, embedder)
            chosen = select_sentences(self.scorer, tokenize(question) or query.tokens, hits,
                                      self.chunks, self.documents, 1)
            for hit, start, end, score in chosen:
                quotes.append(make_citation(0, hit, start, end, score, self.chunks[hit.index],
                                            self.documents[target], self.key_sources_by_document))
        return quotes

    def _instrument_names(self) -> list[tuple[frozenset[str], str]]:
        """(name tokens, document id) for every way the corpus names a corpus document:
        its title, and each profile mention linked (via Key Sources) to it — so "Migration
        Law" finds the Ley de Migración."""
        names = {(frozenset(tokenize(d.meta.title)), d.id) for d in self.documents.values()}
        for document in self.documents.values():
            linked = {e.id: e.document_id for e in document.key_sources if e.document_id}
            for mention in document.mentions:
                for target in {linked[i] for i in mention.key_source_ids if i in linked}:
                    names.add((frozenset(tokenize(re.sub(r"\(.*?\)", "", mention.text))), target))
        return [(tokens, target) for tokens, target in names if len(tokens) >= 2]

    def named_documents(self, question: str) -> list[str]:
        """Corpus documents the question names ("the Migration Law", "Ley General de Salud")."""
        words = set(tokenize(question))
        found = [target for tokens, target in self.instrument_names if tokens <= words]
        return list(dict.fromkeys(found))

    def _filtered_documents(self, filters: Filters) -> set[str]:
        mask = self.retriever.allowed(filters)
        if mask is None:
            return set(self.documents)
        return {self.chunks[i].document_id for i in range(len(self.chunks)) if mask[i]}

    def document_text(self, document_id: str, start: int = 0, end: int | None = None) -> str:
        """A slice of a document's stored text (validated offsets)."""
        document = self.get_document(document_id)
        end = len(document.text) if end is None else end
        if not 0 <= start <= end <= len(document.text):
            raise QuestionError(
                f"offsets must satisfy 0 <= start <= end <= {len(document.text)}; got {start}, {end}"
            )
        return document.text[start:end]

    def get_document(self, document_id: str) -> Document:
        if document_id not in self.documents:
            raise KeyError(f"unknown document id {document_id!r}")
        return self.documents[document_id]


__all__ = ["Assistant", "QuestionError", "IndexProblem", "FilterError"]
