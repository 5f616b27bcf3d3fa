"""Answers: pick the sentences of the retrieved passages that answer the question, quote
them verbatim with numbered citations, or refuse when the evidence is too weak.

Evidence strength combines two signals, each against a calibrated threshold:
- *coverage*: the idf-weighted share of the question's content words found in a top
  passage (a question about "Buenos Aires" finds no passage with those words);
- *dense surprise*: how far the best passage's similarity stands above the corpus-wide
  distribution of the question's similarities (a z-score), which works across languages
  where words cannot overlap, and never thresholds raw cosines.
"""

from __future__ import annotations

import math
import re

import numpy as np

from assistant.ingest.chunking import sentence_spans
from assistant.records import Chunk, Citation, Document, KeySourceRef, Passage
from assistant.ingest.readers.law import is_reform_note
from assistant.search.retrieve import Hit
from assistant.ingest.sources import key_sources_for_span
from assistant.text import tokenize

class Scorer:
    """idf weights from the BM25 index, for coverage and sentence scoring."""

    def __init__(self, bm25) -> None:
        vocab = getattr(bm25, "vocab_dict", {}) or {}
        indptr = np.asarray(bm25.scores["indptr"])
        frequencies = np.diff(indptr)
        self.n = max(1, int(bm25.scores["num_docs"]))
        self.df = {token: int(frequencies[i]) for token, i in vocab.items() if i < len(frequencies)}

    def idf(self, token: str) -> float:
        df = self.df.get(token, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def coverage(self, query: list[str], passage: set[str]) -> float:
        """Share of the query's idf mass whose words appear in the passage."""
        unique = set(query)
        total = sum(self.idf(t) for t in unique)
        if total == 0:
            return 0.0
        return sum(self.idf(t) for t in unique if t in passage) / total


_NAME = re.compile(r"(?<=[\w,;:] )[A-ZÁÉÍÓÚÑ][\w'’-]+")


def unknown_names(scorer: Scorer, question: str) -> list[str]:
    """Capitalised words inside the question (names: "Buenos Aires", "France") that occur
    nowhere in the corpus."""
    missing = []
    for word in _NAME.findall(question):
        tokens = tokenize(word)
        if tokens and all(scorer.df.get(t, 0) == 0 for t in tokens):
            missing.append(word)
    return missing


def evidence_strength(
    scorer: Scorer, query: list[str], hits: list[Hit], chunks: list[Chunk], question: str,
    min_coverage: float, min_z: float,
) -> float:
    """How well the best passages support an answer; ≥ 1.0 means "answer" (module docstring).

    It is the larger of coverage / ``min_coverage`` and the best dense z-score / ``min_z``
    (thresholds calibrated on the dev set, docs/retrieval.md). A question naming something
    the corpus never mentions scores 0: similarity cannot vouch for a place or body the
    documents lack.
    """
    if not hits or (question and unknown_names(scorer, question)):
        return 0.0
    coverage = max(scorer.coverage(query, set(tokenize(chunks[h.index].text))) for h in hits[:3])
    best_z = max((h.dense_z for h in hits[:3]), default=0.0)
    return max(coverage / min_coverage, best_z / min_z if min_z else 0.0)


def passage_of(hit: Hit, chunk: Chunk, document: Document) -> Passage:
    """A search hit in API form."""
    return Passage(
        chunk_id=chunk.id,
        text=chunk.text,
        document=document.ref(),
        section=" › ".join(chunk.section),
        article=chunk.article,
        page=chunk.page,
        start=chunk.start,
        end=chunk.end,
        score=round(hit.score, 6),
    )


def _quote_spans(text: str, start: int, end: int, longest: int = 600) -> list[tuple[int, int]]:
    """Whole sentences (a colon's list stays with it); an overlong one falls back to clauses."""
    spans = []
    for left, right in sentence_spans(text, start, end, clauses=False):
        if right - left > longest:
            spans.extend(sentence_spans(text, left, right))
        else:
            spans.append((left, right))
    return spans


def select_sentences(
    scorer: Scorer, query: list[str], hits: list[Hit], chunks: list[Chunk], documents: dict[str, Document],
    max_quotes: int = 5, per_chunk: int = 2, passages: int = 6,
) -> list[tuple[Hit, int, int, float]]:
    """The best (hit, start, end, score) sentences of the top passages, best first."""
    candidates: list[tuple[float, Hit, int, int]] = []
    for rank, hit in enumerate(hits[:passages]):
        chunk = chunks[hit.index]
        text = documents[chunk.document_id].text
        prior = 1.0 / (rank + 1)
        section = documents[chunk.document_id].section_at(chunk.start)
        if section is not None and section.kind == "key_sources":
            continue  # bibliography entries are sources, not statements
        for position, (start, end) in enumerate(_quote_spans(text, chunk.start, chunk.end)):
            sentence = text[start:end]
            if len(sentence) < 25 or is_reform_note(sentence) or not re.search(r"[a-záéíóú]{3}", sentence):
                continue
            overlap = scorer.coverage(query, set(tokenize(sentence)))
            score = overlap + 0.35 * prior + 0.05 / (position + 1)
            candidates.append((score, hit, start, end))
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[Hit, int, int, float]] = []
    used: dict[int, int] = {}
    seen: set[str] = set()
    best = candidates[0][0] if candidates else 0.0
    for score, hit, start, end in candidates:
        if len(chosen) >= max_quotes or score < 0.55 * best:
            break
        key = " ".join(documents[chunks[hit.index].document_id].text[start:end].split()).lower()
        if used.get(hit.index, 0) >= per_chunk or key in seen:
            continue
        used[hit.index] = used.get(hit.index, 0) + 1
        seen.add(key)
        chosen.append((hit, start, end, score))
    return chosen


def key_sources_for(document: Document, start: int, end: int, chunk: Chunk,
                    by_document: dict[str, list[KeySourceRef]]) -> list[KeySourceRef]:
    """Key Sources a quote relies on: instruments it (or else its passage) mentions, or the
    bibliography entries that *are* the quoted document."""
    entries = key_sources_for_span(document, start, end) or key_sources_for_span(
        document, chunk.start, chunk.end
    )
    return [key_source_ref(e) for e in entries] or list(by_document.get(document.id, []))


def key_source_ref(entry) -> KeySourceRef:
    return KeySourceRef(id=entry.id, author=entry.author, year=entry.year, title=entry.title,
                        url=entry.url, label=entry.label, document_id=entry.document_id)


def _section_label(document: Document, start: int, chunk: Chunk) -> str:
    """The section path; a footnote is placed where its marker stands ("… › footnote 15")."""
    for note in document.footnotes:
        if note.start <= start < note.end and note.refs:
            return " › ".join([*document.section_path(note.refs[0]), f"footnote {note.marker}"])
    return " › ".join(chunk.section)


def make_citation(n: int, hit: Hit, start: int, end: int, score: float, chunk: Chunk,
                  document: Document, by_document: dict[str, list[KeySourceRef]]) -> Citation:
    """A numbered citation whose quote is exactly ``document.text[start:end]``."""
    quote = document.text[start:end]
    return Citation(
        n=n,
        quote=quote,
        document=document.ref(),
        section=_section_label(document, start, chunk),
        article=chunk.article,
        page=document.page_at(start),
        start=start,
        end=end,
        score=round(score, 4),
        chunk_id=chunk.id,
        key_sources=key_sources_for(document, start, end, chunk, by_document),
        footnotes=[document.text[f.start : f.end] for f in document.footnotes_in(start, end + 3)],
    )


def unverified_quotes(citations: list[Citation], documents: dict[str, Document]) -> list[int]:
    """Numbers of citations whose quote is not exactly the stored text at its offsets."""
    return [
        c.n for c in citations
        if c.document.id not in documents
        or not c.quote
        or documents[c.document.id].text[c.start : c.end] != c.quote
    ]


def compose(citations: list[Citation], instruments: list | None = None) -> str:
    """The chat answer: each quote in typographic quotes, followed by its number; for
    "which laws" questions, then the instruments with their years, articles and sources."""
    lines = ["According to the documents:"]
    for citation in citations:
        where = citation.document.title
        if citation.article:
            where += f", {citation.article}"
        lines.append(f"“{citation.quote}” [{citation.n}] ({where})")
    if instruments:
        items = []
        for item in instruments:
            line = f"• {item.name}" + (f" ({item.year})" if item.year else "")
            if item.articles:
                line += " — " + ", ".join(item.articles)
            line += " " + "".join(f"[{n}]" for n in item.citations)
            if item.key_sources:
                line += f" — Key Source: {item.key_sources[0].label}"
            items.append(line)
        lines.append("Instruments cited:\n" + "\n".join(items))
    return "\n\n".join(lines)


REFUSAL = (
    "The documents do not answer this question. The closest passages found are listed "
    "below; none of them supports an answer."
)
