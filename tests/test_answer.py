"""Answers: verbatim quotes, refusal, which-laws instruments, Key Sources on citations."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("question", [
    "Do migrants have access to health services in Mexico City?",
    "¿Qué derechos tienen los migrantes en la Ciudad de México?",
    "Which article of the Migration Law guarantees migrants medical care?",
    "What is a refugee under Mexican law?",
])
def test_every_quote_is_verbatim_at_its_offsets(assistant, question):
    answer = assistant.ask(question)
    assert not answer.refused and answer.citations, answer.reason
    for citation in answer.citations:
        document = assistant.documents[citation.document.id]
        assert document.text[citation.start:citation.end] == citation.quote
        assert citation.page == document.page_at(citation.start)
        if document.pages:
            assert citation.page is not None


@pytest.mark.parametrize("question", [
    "What is the migrant population of Guadalajara?",
    "What does Colombia's Temporary Protection Statute grant Venezuelans?",
    "How many asylum seekers live in Monterrey?",
])
def test_refusal_when_the_corpus_does_not_answer(assistant, question):
    """Questions about places or bodies the corpus never names are refused outright; other
    unanswerable questions are judged statistically (refusal recall in eval/report.md)."""
    answer = assistant.ask(question)
    assert answer.refused and not answer.citations
    assert "do not answer" in answer.answer
    assert answer.retrieved


def test_migration_law_article_on_medical_care(assistant):
    answer = assistant.ask("Which article of the Migration Law guarantees migrants medical care?")
    law = [c for c in answer.citations if c.document.id == "ley-migracion"]
    assert law, [c.document.id for c in answer.citations]
    assert law[0].article and law[0].article.startswith("Artículo") and law[0].page
    assert any(word in law[0].quote.lower() for word in ("médica", "salud", "migrantes"))


def test_which_laws_lists_instruments_with_years_and_key_sources(assistant):
    answer = assistant.ask("Which laws guarantee migrants access to health services in Mexico City?")
    assert not answer.refused
    assert answer.instruments
    names = " | ".join(i.name for i in answer.instruments)
    assert any(i.year for i in answer.instruments), names
    assert any(i.key_sources for i in answer.instruments), names
    numbers = {c.n for c in answer.citations}
    for instrument in answer.instruments:
        assert set(instrument.citations) <= numbers
    assert all(i.name in answer.answer for i in answer.instruments)  # the answer lists each instrument
    assert set(answer.searched_documents) == set(assistant.documents)


def test_law_citation_carries_its_key_source_entry(assistant):
    answer = assistant.ask("obligaciones del Instituto Nacional de Migración", k=5)
    law = [c for c in answer.citations if c.document.id == "ley-migracion"]
    assert law and any("Ley de Migración" in ks.title for ks in law[0].key_sources)
