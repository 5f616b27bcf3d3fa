"""The compose stage: the extractive writer.

It picks the sentences of the top passages that answer the question, quotes them verbatim
with numbered citations; a document the question names is quoted first, and for "which
laws" questions each corpus law the quoted passages cite is quoted too (claim → article).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answer.article_links import ArticleLinks
from assistant.answer.citations import key_sources_by_document, make_citation
from assistant.answer.instruments import InstrumentNames, asks_for_instruments, list_instruments
from assistant.answer.legal_answer import LegalAnswer
from assistant.ingest.chunking import is_quotable, quote_spans, without_note_tail
from assistant.records import AnswerSpan, Chunk, Citation, Document, Instrument, Turn, Verdict
from assistant.search.query import Hit, Query
from assistant.search.sparse import SparseIndex
from assistant.settings import Settings
from assistant.stages import Draft, SearchRequest
from assistant.text import token_set

REFUSAL = (
    "The documents do not answer this question. The closest passages found are listed "
    "below; none of them supports an answer."
)

Search = Callable[[Query, SearchRequest], list[Hit]]


@dataclass(frozen=True)
class Sentence:
    """A candidate quote: a sentence span of a hit's passage and its score."""

    hit: Hit
    start: int
    end: int
    score: float


class ExtractiveComposer:
    """Quotes sentences verbatim, numbers them, lists instruments for "which laws" questions."""

    def __init__(self, sparse: SparseIndex, chunks: list[Chunk], documents: dict[str, Document],
                 settings: Settings, search: Search, legal: LegalAnswer | None = None) -> None:
        self.sparse = sparse
        self.chunks = chunks
        self.documents = documents
        self.settings = settings
        self.search = search  # the retrieve + rerank stages, for quoting one document
        self.by_document = key_sources_by_document(documents)
        self.names = InstrumentNames(documents)
        self.links = ArticleLinks(documents)  # a profile's "Article 13 of the General Health Law" → that article
        self.legal = legal  # instrument answers over every law in scope (assistant.answer.legal_answer)

    # -- sentences -----------------------------------------------------------------------
    def candidates(self, tokens: list[str], hits: list[Hit], language: str = "") -> list[Sentence]:
        """Every quotable sentence of the top passages, scored: idf coverage of the question
        (counting cognates in a document of another language than the question's ``language``),
        plus rank and position priors (Settings.quote_*)."""
        s = self.settings
        found = []
        for rank, hit in enumerate(hits[: s.quote_passages]):
            chunk = self.chunks[hit.position]
            document = self.documents[chunk.document_id]
            section = document.section_at(chunk.start)
            if section is not None and section.kind == "key_sources":
                continue  # bibliography entries are sources, not statements
            other = bool(language) and document.meta.language[:2] != language
            for position, (start, end) in enumerate(quote_spans(document.text, chunk.start, chunk.end,
                                                                s.quote_max_chars)):
                end = without_note_tail(document.text, start, end)
                sentence = document.text[start:end]
                if not is_quotable(sentence, s.quote_min_chars):
                    continue
                score = (self.sparse.coverage(tokens, token_set(sentence), cognates=other)
                         + s.quote_rank_weight / (rank + 1) + s.quote_position_weight / (position + 1))
                found.append(Sentence(hit, start, end, score))
        return sorted(found, key=lambda c: -c.score)

    def select(self, tokens: list[str], hits: list[Hit], limit: int, language: str = "") -> list[Sentence]:
        """The best sentences, best first: near the best score, a few per passage, no repeats."""
        ranked = self.candidates(tokens, hits, language)
        chosen: list[Sentence] = []
        used: dict[int, int] = {}
        seen: set[str] = set()
        best = ranked[0].score if ranked else 0.0
        for sentence in ranked:
            if len(chosen) >= limit or sentence.score < self.settings.quote_keep_ratio * best:
                break
            text = self.documents[self.chunks[sentence.hit.position].document_id].text
            key = " ".join(text[sentence.start : sentence.end].split()).lower()
            if used.get(sentence.hit.position, 0) >= self.settings.quotes_per_passage or key in seen:
                continue
            used[sentence.hit.position] = used.get(sentence.hit.position, 0) + 1
            seen.add(key)
            chosen.append(sentence)
        return self.with_list_items(tokens, chosen, language)

    def with_list_items(self, tokens: list[str], chosen: list[Sentence], language: str = "") -> list[Sentence]:
        """Each chosen lead-in that ends with a colon is followed by the list item after it
        that best covers the question (the first item when none does), so "Son obligaciones de
        los mexicanos:" is never quoted alone."""
        out: list[Sentence] = []
        taken = {(s.hit.position, s.start) for s in chosen}
        for sentence in chosen:
            out.append(sentence)
            item = self.list_item(tokens, sentence, language)
            if item is not None and (item.hit.position, item.start) not in taken:
                taken.add((item.hit.position, item.start))
                out.append(item)
        return out

    def list_item(self, tokens: list[str], lead: Sentence, language: str = "") -> Sentence | None:
        """The best quote unit among the ``quote_list_items`` after a colon-ended ``lead``,
        inside its article (laws) or its section; None when ``lead`` ends otherwise."""
        s = self.settings
        document = self.documents[self.chunks[lead.hit.position].document_id]
        if not s.quote_list_items or not document.text[lead.start:lead.end].rstrip().endswith(":"):
            return None
        scope = document.article_at(lead.start) or document.section_at(lead.start)
        stop = min(scope.end if scope is not None else len(document.text), lead.end + 40 * s.quote_max_chars)
        other = bool(language) and document.meta.language[:2] != language
        best: Sentence | None = None
        for start, end in quote_spans(document.text, lead.end, stop, s.quote_max_chars)[: s.quote_list_items]:
            end = without_note_tail(document.text, start, end)
            if not is_quotable(document.text[start:end], s.quote_min_chars):
                continue
            position = self.chunk_at(document.id, start)
            if position is None:
                continue
            score = self.sparse.coverage(tokens, token_set(document.text[start:end]), cognates=other)
            if best is None or score > best.score:
                best = Sentence(Hit(position, lead.hit.score), start, end, score)
        return best

    def cite(self, sentences: list[Sentence], first: int = 1) -> list[Citation]:
        citations = []
        for n, s in enumerate(sentences, first):
            chunk = self.chunks[s.hit.position]
            document = self.documents[chunk.document_id]
            citation = make_citation(n, s.hit, s.start, s.end, s.score, chunk, document, self.by_document)
            citation.cites = self.links.cited(document, s.start, s.end)
            citations.append(citation)
        return citations

    # -- the stage -----------------------------------------------------------------------
    def compose(self, query: Query, hits: list[Hit], verdict: Verdict, request: SearchRequest,
                history: list[Turn]) -> Draft:
        if verdict.outcome == "not_in_documents":
            return Draft(REFUSAL)
        # Quotes answer the question as asked: a follow-up's own words pick the sentences
        # (the previous question only steered retrieval).
        citations = self.cite(self.select(query.own_tokens, hits, self.settings.max_quotes, query.language))
        if not citations:
            return Draft(REFUSAL)
        quoted = {c.document.id for c in citations}
        filtered = request.filters is not None and not request.filters.is_empty()
        named = [d for d in ([] if filtered else self.names.named_in(query.naming_text)) if d not in quoted]
        citations = self.quote_documents(query, request, named[: self.settings.named_documents_max]) + citations
        instruments: list[Instrument] = []
        listing = asks_for_instruments(query.text)
        if listing:
            if self.legal is not None and self.legal.applies(query, request):
                grouped = self.legal.compose(query, request, self)
                if grouped.citations:
                    return self.answer_first(query.text, hits, verdict, grouped)
            quoted |= set(named)
            cited = list_instruments(citations, self.documents, self.by_document)
            laws = [i.document_id for i in cited if i.document_id and i.document_id not in quoted]
            citations += self.quote_documents(query, request,
                                              list(dict.fromkeys(laws))[: self.settings.listed_laws_max])
        citations = self.mark_answer(hits, verdict, citations)
        for n, citation in enumerate(citations, 1):
            citation.n = n
        if listing:
            instruments = list_instruments(citations, self.documents, self.by_document)
        return Draft(typed_text(query.text, verdict, citations, answer_text(citations, instruments)),
                     citations, instruments)

    def mark_answer(self, hits: list[Hit], verdict: Verdict, citations: list[Citation],
                    at_end: bool = False) -> list[Citation]:
        """Put the judge's answer span on the citation holding it; when no quote holds it, the
        sentence that does is quoted first (an article's heading sentence for "which article"),
        or last with ``at_end`` (another writer's numbering stays intact)."""
        start, end, document_id = verdict.span_start, verdict.span_end, verdict.span_document
        if not verdict.answered or start is None or end is None or document_id is None:
            return citations
        holder = next((c for c in citations if c.document.id == document_id and c.start <= start and end <= c.end), None)
        if holder is None:
            sentence = self.sentence_at(hits, document_id, start, end)
            if sentence is None:
                return citations
            holder = self.cite([sentence], first=len(citations) + 1 if at_end else 0)[0]
            if at_end:
                citations = [*citations, holder]
            else:  # quotes the holder now contains are not repeated
                citations = [holder, *(c for c in citations if not (c.document.id == document_id
                                                                    and holder.start <= c.start and c.end <= holder.end))]
        text = self.documents[document_id].text
        holder.answer_span = AnswerSpan(n=holder.n, start=start, end=end, text=text[start:end])
        return citations

    def answer_first(self, question: str, hits: list[Hit], verdict: Verdict, draft: Draft) -> Draft:
        """A draft written elsewhere (instrument answers), opened with the answer span."""
        citations = self.mark_answer(hits, verdict, draft.citations, at_end=True)
        for n, citation in enumerate(citations, 1):
            citation.n = n  # an added quote comes last: the others keep their numbers
        return Draft(typed_text(question, verdict, citations, draft.text), citations, draft.instruments)

    def sentence_at(self, hits: list[Hit], document_id: str, start: int, end: int) -> Sentence | None:
        """The quotable sentence that holds ``[start, end)``: in a retrieved passage, else in
        the stored chunk that holds it (an article's heading, before the passage retrieved)."""
        hit = next((h for h in hits if self.chunks[h.position].document_id == document_id
                    and self.chunks[h.position].start <= start < self.chunks[h.position].end), None)
        if hit is None:
            position = self.chunk_at(document_id, start)
            if position is None:
                return None
            hit = Hit(position, 0.0)
        chunk = self.chunks[hit.position]
        spans = quote_spans(self.documents[document_id].text, chunk.start, chunk.end, self.settings.quote_max_chars)
        for i, (left, right) in enumerate(spans):
            if left <= start and end <= right:
                if right - left < self.settings.quote_min_chars and i + 1 < len(spans):
                    right = spans[i + 1][1]  # a bare heading ("Artículo 8.") quoted with what follows
                return Sentence(hit, left, max(end, without_note_tail(self.documents[document_id].text, left, right)), 0.0)
        return None

    def chunk_at(self, document_id: str, offset: int) -> int | None:
        """Index position of the document's chunk that holds ``offset`` (bisect over its starts)."""
        positions, starts = self.document_chunks(document_id)
        slot = bisect.bisect_right(starts, offset) - 1
        if slot < 0 or offset >= self.chunks[positions[slot]].end:
            return None
        return positions[slot]

    def hits_in(self, document_id: str, start: int, end: int) -> list[Hit]:
        """The stored chunks of a document that overlap ``[start, end)``, in text order (an
        article a profile cites, quoted without a search)."""
        positions, starts = self.document_chunks(document_id)
        first = max(0, bisect.bisect_right(starts, start) - 1)
        last = bisect.bisect_left(starts, end)
        return [Hit(p, 0.0) for p in positions[first:last] if self.chunks[p].end > start]

    @functools.cache  # noqa: B019 - one composer per loaded index
    def document_chunks(self, document_id: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """A document's chunk positions in the index and their start offsets, by start."""
        positions = sorted((p for p, c in enumerate(self.chunks) if c.document_id == document_id),
                           key=lambda p: self.chunks[p].start)
        return tuple(positions), tuple(self.chunks[p].start for p in positions)

    def quote_documents(self, query: Query, request: SearchRequest, targets: list[str]) -> list[Citation]:
        """The best sentence of each target document for the question (numbered later)."""
        quotes = []
        for target in targets:
            hits = self.search(query, request.within(target, 3))
            quotes += self.cite(self.select(query.own_tokens, hits, 1, query.language), first=0)
        return quotes


def answer_text(citations: list[Citation], instruments: list[Instrument] | None = None) -> str:
    """The chat answer: each quote in typographic quotes, followed by its number; for
    "which laws" questions, then the instruments with their years, articles and sources."""
    lines = ["According to the documents:"]
    for citation in citations:
        where = citation.document.title + (f", {citation.article}" if citation.article else "")
        lines.append(f"“{citation.quote}” [{citation.n}] ({where})")
    if instruments:
        lines.append("Instruments cited:\n" + "\n".join(instrument_line(item) for item in instruments))
    return "\n\n".join(lines)


def instrument_line(item: Instrument, key_source: bool = True) -> str:
    """ "• Ley de Migración (2011) — Artículo 8 [3] — Key Source: …" """
    line = f"• {item.name}" + (f" ({item.year})" if item.year else "")
    if item.articles:
        line += " — " + ", ".join(item.articles)
    line += " " + "".join(f"[{n}]" for n in item.citations)
    if key_source and item.key_sources:
        line += f" — Key Source: {item.key_sources[0].label}"
    return line


def typed_text(question: str, verdict: Verdict, citations: list[Citation], quotes: str) -> str:
    """The answer first: the answer span and its citation ("45 días hábiles [1] (Ley …)"), or
    for "partly" what the documents discuss and what they lack; then the quotes. Every word
    comes from the question, the judge's findings or the verbatim quotes."""
    if verdict.outcome == "partly" and citations:
        refs = "".join(f"[{c.n}]" for c in citations)
        return (f"The documents discuss {verdict.subject} {refs} but give no {verdict.detail} "
                f"answering the question “{question}”.\n\n{quotes}")
    for citation in citations:
        span = citation.answer_span
        if span is not None:
            span.n = citation.n
            return f"{span.text} [{citation.n}] ({citation.document.title})\n\n{quotes}"
    return quotes
