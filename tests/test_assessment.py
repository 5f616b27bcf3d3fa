"""Gap questions prefer "potential for development" passages (fast tier)."""

from __future__ import annotations

from assistant.records import Filters
from assistant.search.assessment import POTENTIAL, GapRetriever, asks_for_gaps
from assistant.search.query import Hit, contextualise
from assistant.stages import SearchRequest
from tests.tiny import tiny_index


class Fixed:
    """A first stage that returns the same candidates whatever the question."""

    filter = None

    def retrieve(self, query, request):
        return [Hit(0, 1.0), Hit(1, 0.9)]


def _retriever(boost: float) -> GapRetriever:
    chunks = tiny_index().chunks
    chunks[1] = chunks[1].model_copy(update={"assessment": POTENTIAL})
    return GapRetriever(Fixed(), chunks, boost)


def test_gap_cues_in_both_languages():
    assert asks_for_gaps("What are the gaps in health care for migrants?")
    assert asks_for_gaps("¿Qué retos tiene la ciudad en vivienda?")
    assert not asks_for_gaps("Which laws guarantee health care?")


def test_gap_questions_lift_potential_for_development_passages():
    request = SearchRequest(k=2, backend="fake")
    gaps = _retriever(0.25).retrieve(contextualise("What are the gaps in health services?", []), request)
    assert [h.position for h in gaps] == [1, 0]
    plain = _retriever(0.25).retrieve(contextualise("Which health services exist?", []), request)
    assert [h.position for h in plain] == [0, 1]
    off = _retriever(0.0).retrieve(contextualise("What are the gaps in health services?", []), request)
    assert [h.position for h in off] == [0, 1]
    filtered = SearchRequest(k=2, backend="fake", filters=Filters(assessment=[POTENTIAL]))
    assert [h.position for h in _retriever(0.25).retrieve(contextualise("gaps?", []), filtered)] == [0, 1]
