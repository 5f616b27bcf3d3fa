"""Citations and passages carry exact offsets and their locators (fast tier)."""

from __future__ import annotations

from assistant.answer.citations import make_citation, passage_of, section_label
from assistant.search.query import Hit
from tests.tiny import tiny_index


def test_a_citation_is_the_stored_text_at_its_offsets_with_page_and_article():
    index = tiny_index()
    chunk = index.chunks[2]
    document = index.documents[chunk.document_id]
    start = chunk.start
    end = document.text.index(".", start + 12) + 1
    citation = make_citation(1, Hit(2, 0.5), start, end, 0.5, chunk, document, {})
    assert citation.quote == document.text[start:end] and citation.article == "Artículo 8"
    assert citation.page == 1 and citation.locator() == "Artículo 8, p. 1"
    assert citation.locator(title=True, sep=" · ") == "Ley de Prueba · Artículo 8 · p. 1"


def test_passages_and_section_labels_come_from_the_chunk():
    index = tiny_index()
    chunk = index.chunks[1]
    document = index.documents[chunk.document_id]
    passage = passage_of(Hit(1, 0.25), chunk, document)
    assert passage.text == chunk.text and passage.section == "Health" and passage.page is None
    assert section_label(document, chunk.start, chunk) == "Health"
