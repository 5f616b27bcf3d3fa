"""Chunking invariants on the real corpus documents."""

from __future__ import annotations

import pytest

from assistant.ingest.chunking import chunk_document, sentence_spans


@pytest.fixture(scope="module")
def minilm():
    from assistant.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.mark.parametrize("doc_id", ["mgi-mexico-city-2022", "ley-refugiados", "ley-migracion"])
def test_chunks_are_exact_and_never_cross_structure(doc_id, read_corpus_document, minilm):
    document = read_corpus_document(doc_id)
    chunks = chunk_document(document, 700, 120, minilm.count_tokens, minilm.max_tokens)
    assert len(chunks) > 20
    boundaries = sorted({s.start for s in document.sections} | {s.end for s in document.sections}
                        | {a.start for a in document.articles} | {a.end for a in document.articles})
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        # no structure boundary strictly inside a chunk
        assert not any(chunk.start < b < chunk.end for b in boundaries), chunk.id
        section = document.section_at(chunk.start)
        assert chunk.section_path == (section.path if section else [])
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids))


def test_chunks_fit_the_token_limit(read_corpus_document, minilm):
    from assistant.ingest.chunking import embedding_text

    document = read_corpus_document("ley-migracion")
    chunks = chunk_document(document, 700, 120, minilm.count_tokens, minilm.max_tokens)
    too_long = [c.id for c in chunks if minilm.count_tokens(embedding_text(document, c)) > minilm.max_tokens
                and len(sentence_spans(document.text, c.start, c.end)) > 1]
    assert not too_long


def test_law_chunks_carry_article_and_page(read_corpus_document):
    document = read_corpus_document("ley-migracion")
    chunks = chunk_document(document)
    with_article = [c for c in chunks if c.article]
    assert len(with_article) > 0.8 * len(chunks)
    assert all(c.page and 1 <= c.page <= 72 for c in chunks)
    article8 = [c for c in chunks if c.article == "Artículo 8"]
    assert article8 and all(c.text in document.text for c in article8)


def test_sentence_spans_skip_abbreviations_and_split_lists():
    text = "El Art. 5o. dice algo. Otra frase aquí.\nI. Primera fracción;\nII. Segunda fracción."
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans[0] == "El Art. 5o. dice algo."
    assert "I. Primera fracción;" in spans and "II. Segunda fracción." in spans


def test_a_quote_unit_ends_before_its_trailing_reform_notes():
    from assistant.ingest.chunking import without_note_tail

    text = ("I. Investigar las causas de la emigración y dictar medidas\npara regularla;\n"
            "Fracción recorrida DOF 11-11-2020, 27-05-2024 (antes fracción XXIII)\n"
            "Artículo reformado DOF 17-07-1990\n")
    end = without_note_tail(text, 0, len(text))
    assert text[:end] == "I. Investigar las causas de la emigración y dictar medidas\npara regularla;"
    plain = "II. Asistir a recibir instrucción cívica;\nque imparta el Estado."  # a wrapped line, no note
    assert without_note_tail(plain, 0, len(plain)) == len(plain)
    note = "Párrafo reformado DOF 04-05-2021"
    assert without_note_tail(note, 0, len(note)) == len(note)  # all note: is_quotable drops it
