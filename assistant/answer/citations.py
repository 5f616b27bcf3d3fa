"""Located records for the answer: search hits as Passages, chosen sentences as Citations."""

from __future__ import annotations

from assistant.answer.instruments import fold_entries, instrument_key
from assistant.ingest.readers.law_divisions import locator
from assistant.ingest.sources import key_sources_for_span
from assistant.records import Chunk, Citation, Document, KeySource, KeySourceRef, Passage
from assistant.search.query import Hit


def passage_of(hit: Hit, chunk: Chunk, document: Document) -> Passage:
    """A search hit in API form."""
    return Passage(
        chunk_id=chunk.id, text=chunk.text, document=document.ref(),
        section=" › ".join(chunk.section_path), article=chunk.article, page=chunk.page,
        start=chunk.start, end=chunk.end, score=round(hit.score, 6),
        dimension=chunk.dimension, assessment=chunk.assessment,
    )


def key_source_ref(entry: KeySource) -> KeySourceRef:
    return KeySourceRef(id=entry.id, author=entry.author, year=entry.year, title=entry.title,
                        url=entry.url, label=entry.label, document_id=entry.document_id,
                        instrument=instrument_key(entry.title, entry.year))


def key_sources_by_document(documents: dict[str, Document]) -> dict[str, list[KeySourceRef]]:
    """Corpus document id → the Key Sources entries that are that document: every entry of
    the instrument (entries folded by instrument_key stay together), one per title."""
    found: dict[str, list[KeySourceRef]] = {}
    for document in documents.values():
        for group in fold_entries(document.key_sources):
            linked = next((e.document_id for e in group if e.document_id), None)
            if not linked:
                continue
            refs = found.setdefault(linked, [])
            for entry in group:
                if (entry.title, entry.year) not in {(r.title, r.year) for r in refs}:
                    refs.append(key_source_ref(entry))
    return found


def folded_key_sources(refs: list[KeySourceRef]) -> list[list[KeySourceRef]]:
    """A card's Key Sources, one group per instrument (the first entry, then the others)."""
    return fold_entries(refs)


def key_sources_for(document: Document, start: int, end: int, chunk: Chunk,
                    by_document: dict[str, list[KeySourceRef]]) -> list[KeySourceRef]:
    """Key Sources a quote relies on: instruments it (or else its passage) mentions, or the
    bibliography entries that *are* the quoted document."""
    entries = key_sources_for_span(document, start, end) or key_sources_for_span(
        document, chunk.start, chunk.end
    )
    if not entries:
        return list(by_document.get(document.id, []))
    return [key_source_ref(e) for group in fold_entries(_with_folded(document, entries)) for e in group]


def _with_folded(document: Document, entries: list[KeySource]) -> list[KeySource]:
    """The entries plus every other entry of the same instruments (one instrument, all entries)."""
    keys = {instrument_key(e.title, e.year) for e in entries}
    return [*entries, *(e for e in document.key_sources if instrument_key(e.title, e.year) in keys)]


def article_locator(document: Document, offset: int, chunk: Chunk) -> str | None:
    """The article and division where ``offset`` stands ("Artículo 77 Bis 1, fracción II");
    the chunk's article label when the document has no article spans."""
    return locator(document, offset) or chunk.article


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
        section=section_label(document, start, chunk), article=article_locator(document, start, chunk),
        page=document.page_at(start), start=start, end=end, score=round(score, 4),
        chunk_id=chunk.id, key_sources=key_sources_for(document, start, end, chunk, by_document),
        footnotes=[document.text[f.start : f.end] for f in document.footnotes_in(start, end + 3)],
        dimension=chunk.dimension, assessment=chunk.assessment,
    )
