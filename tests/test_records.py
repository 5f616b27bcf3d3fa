"""Typed records: offsets, locators, vocabularies (fast tier)."""

from __future__ import annotations

from assistant.records import DOCUMENT_KINDS, LEGAL_KINDS, Filters
from tests.tiny import tiny_documents


def test_document_locates_offsets_in_pages_sections_and_articles():
    documents = tiny_documents()
    law, profile = documents["law"], documents["profile"]
    second = law.text.index("Artículo 9")
    assert law.page_at(0) == 1 and law.page_at(len(law.text)) is None
    assert law.article_at(second).label == "Artículo 9" and law.article_at(second - 1).label == "Artículo 8"
    assert profile.section_path(profile.text.index("Migrants have")) == ["Health"]
    assert profile.page_at(5) is None  # a text profile has no pages


def test_vocabularies_are_defined_once():
    from assistant.serve.web import KIND_LABELS

    assert set(LEGAL_KINDS) <= set(DOCUMENT_KINDS) and "profile" in DOCUMENT_KINDS
    assert set(KIND_LABELS) == set(DOCUMENT_KINDS)  # the web labels every kind
    assert Filters(language=[]).is_empty() and not Filters(document=["x"]).is_empty()
