"""Instrument answers (issue 11): fan-out over every law, grouping, folding of KEY SOURCES."""

from __future__ import annotations

import pytest

from assistant.answer.instruments import fold_entries, instrument_key
from assistant.answer.legal import LawEvidence, keep_strongest, lead_hits
from assistant.search.query import Hit
from assistant.settings import get_settings


# -- fast tier ---------------------------------------------------------------------------
def test_keep_strongest_uses_floor_ratio_and_cap():
    settings = get_settings(legal_min_strength=1.0, legal_keep_ratio=0.75, legal_max_instruments=2)
    found = [LawEvidence(d, [Hit(i, 1.0)], s) for i, (d, s) in
             enumerate([("a", 2.0), ("b", 1.6), ("c", 1.55), ("d", 1.2), ("e", 0.9)])]
    kept = [e.document_id for e in keep_strongest(found, settings) if e.kept]
    assert kept == ["a", "b"]  # c passes the ratio but the cap is 2; d is under 0.75 × 2.0
    assert not keep_strongest([LawEvidence("x", [], 3.0)], settings)[0].kept  # no passage, not kept


def test_lead_hits_interleave_kept_laws():
    evidence = [LawEvidence("a", [Hit(1, 0), Hit(2, 0)], 2.0, True), LawEvidence("b", [Hit(3, 0)], 1.5, True),
                LawEvidence("c", [Hit(4, 0)], 0.5, False)]
    assert [h.position for h in lead_hits(evidence, 2)] == [1, 3, 2]


def test_the_fan_out_leads_and_keeps_the_whole_pool_for_the_ranker():
    from types import SimpleNamespace

    from assistant.answer.legal import FanoutRetriever
    from assistant.search.query import Query
    from assistant.stages import SearchRequest

    pool = [Hit(p, 1.0 - p / 100) for p in range(60)]  # 50 fused + 10 per-language candidates
    inner = SimpleNamespace(filter=None, retrieve=lambda query, request: list(pool))
    fanout = SimpleNamespace(applies=lambda query, request: True, settings=SimpleNamespace(legal_lead_per_law=1),
                             evidence=lambda query, request: [LawEvidence("a", [Hit(70, 0.1)], 2.0, True),
                                                              LawEvidence("b", [Hit(55, 0.2)], 1.5, True)])
    request = SearchRequest(k=5, backend="fake", candidates=50)
    candidates = FanoutRetriever(inner, fanout).retrieve(Query("q", ["q"], "q"), request)
    assert [h.position for h in candidates[:2]] == [70, 55]  # the kept laws' best passages lead
    assert sorted(h.position for h in candidates) == sorted([*range(60), 70])  # nothing is cut


@pytest.fixture(scope="module")
def full_assistant(full_index_settings):
    from assistant.core import Assistant

    return Assistant.open(full_index_settings)


@pytest.mark.slow
def test_real_key_sources_fold_the_triple_listed_law(full_assistant):
    from assistant.answer.citations import key_sources_for

    profile = full_assistant.documents["mgi-mexico-city-2022"]
    groups = fold_entries(profile.key_sources)
    multiple = [g for g in groups if len(g) > 1]
    assert any(len(g) == 3 and g[0].title.startswith("Ley de Interculturalidad") for g in multiple)
    assert len(groups) < len(profile.key_sources)
    for group in multiple:  # each folded group is one title (up to accents/case) and one year
        assert len({instrument_key(e.title, e.year) for e in group}) == 1
    mention = next(m for m in profile.mentions if "Interculturality" in m.text and m.key_source_ids)
    refs = key_sources_for(profile, mention.start, mention.end, None, {})
    assert len({r.instrument for r in refs}) == 1 and len(refs) == 3  # one instrument, every entry


@pytest.mark.slow
def test_health_question_lists_instruments_from_their_own_text(full_assistant):
    answer = full_assistant.ask("Which laws guarantee migrants access to health care?")
    assert len(answer.instruments) >= 4
    quoted = [i for i in answer.instruments if i.law_citations]
    assert len(quoted) >= 3
    by_n = {c.n: c for c in answer.citations}
    for instrument in quoted:
        for n in instrument.law_citations:
            citation = by_n[n]
            assert citation.document.id == instrument.document_id
            assert citation.article and citation.article.startswith("Artículo") and citation.page
            document = full_assistant.documents[citation.document.id]
            assert document.text[citation.start:citation.end] == citation.quote
    assert "Searched: 13 laws and constitutions" in answer.answer
    assert any(i.in_corpus is False and i.key_sources for i in answer.instruments)


@pytest.mark.slow
def test_same_instruments_in_english_and_spanish(full_assistant):
    english = full_assistant.ask("Which laws guarantee migrants access to health care?")
    spanish = full_assistant.ask("¿Qué leyes garantizan a los migrantes el acceso a la atención médica?")
    def laws(answer):
        return {i.document_id for i in answer.instruments if i.law_citations}
    # Every law the English answer quotes is quoted in Spanish too; laws whose strength sits
    # at the threshold (the refugee law, ~1.0) may enter in one language only.
    assert len(laws(english)) >= 3
    assert laws(english) <= laws(spanish)
    assert len(laws(spanish) - laws(english)) <= 2


@pytest.mark.slow
def test_law_quotes_stand_in_articles_in_force_never_in_decree_notes(full_assistant):
    for question in ("Which laws guarantee migrants access to health care?",
                     "¿Qué leyes protegen a los niños migrantes?"):
        answer = full_assistant.ask(question)
        for citation in answer.citations:
            document = full_assistant.documents[citation.document.id]
            if document.meta.kind in ("law", "constitution") and document.articles:
                article = document.article_at(citation.start)
                assert article is not None and not article.transitory, (question, citation.quote[:80])


@pytest.mark.slow
def test_a_question_about_entry_into_force_reads_the_transitory_articles(full_assistant):
    fanout = full_assistant.pipeline.retriever.inner.fanout
    question = "Which laws in the collection repealed an earlier law on the same subject?"
    query = full_assistant.query(question, [])
    request = full_assistant.request(5, None, "hybrid", None)
    assert query.asks_transition and fanout.applies(query, request)
    kept = [e for e in fanout.evidence(query, request) if e.kept]
    articles = [full_assistant.documents[e.document_id].article_at(full_assistant.chunks[h.position].start)
                for e in kept for h in e.hits]
    assert any(a is not None and a.transitory for a in articles)
