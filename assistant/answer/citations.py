"""Located records for the answer: search hits as Passages, chosen sentences as Citations."""

from __future__ import annotations

from assistant.ingest.sources import key_sources_for_span
from assistant.records import Chunk, Citation, Document, KeySource, KeySourceRef, Passage
from assistant.search.query import Hit


def passage_of(hit: Hit, chunk: Chunk, document: Document) -> Passage:
    """A search hit in API form."""
    return Passage(
        chunk_id=chunk.id, text=chunk.text, document=document.ref(),
        section=" › ".join(chunk.section_path), article=chunk.article, page=chunk.page,
        start=chunk.start, end=chunk.end, score=round(hit.score, 6),
    )


def key_source_ref(entry: KeySource) -> KeySourceRef:
    return KeySourceRef(id=entry.id, author=entry.author, year=entry.year, title=entry.title,
                        url=entry.url, label=entry.label, document_id=entry.document_id)


def key_sources_by_document(documents: dict[str, Document]) -> dict[str, list[KeySourceRef]]:
    """Corpus document id → the Key Sources entries that are that document (one per title)."""
    found: dict[str, list[KeySourceRef]] = {}
    for document in documents.values():
        for entry in document.key_sources:
            if entry.document_id:
                refs = found.setdefault(entry.document_id, [])
                if entry.title not in {r.title for r in refs}:
                    refs.append(key_source_ref(entry))
    return found


def key_sources_for(document: Document, start: int, end: int, chunk: Chunk,
                    by_document: dict[str, list[KeySourceRef]]) -> list[KeySourceRef]:
    """Key Sources a quote relies on: instruments it (or else its passage) mentions, or the
    bibliography entries that *are* the quoted document."""
    entries = key_sources_for_span(document, start, end) or key_sources_for_span(
        document, chunk.start, chunk.end
    )
    return [key_source_ref(e) for e in entries] or list(by_document.get(document.id, []))


def section_label(document: Document, start: int, chunk: Chunk) -> str:
    """The section path; a footnote is placed where its marker stands ("… › footnote 15")."""
    for note in document.footnotes:
        if note.start <= start < note.end and note.refs:
            return " › ".join([*document.section_path(note.refs[0]), f"footnote {note.marker}"])
    return " › ".join(chunk.section_path)


def make_citation(n: int, hit: Hit, start: int, end: int, score: float, chunk: Chunk,
                  document: Document, by_document: dict[str, list[KeySourceRef]]) -> Citation:
    """A numbered citation whose quote is exactly ``document.text[start:end]``."""
    return Citation(
        n=n, quote=document.text[start:end], document=document.ref(),
        section=section_label(document, start, chunk), article=chunk.article,
        page=document.page_at(start), start=start, end=end, score=round(score, 4),
        chunk_id=chunk.id, key_sources=key_sources_for(document, start, end, chunk, by_document),
        footnotes=[document.text[f.start : f.end] for f in document.footnotes_in(start, end + 3)],
    )
