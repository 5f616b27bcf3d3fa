"""The core on the tiny index: stages run in order and are timed, swappable, validated (fast tier)."""

from __future__ import annotations

import pytest

from assistant.errors import DocumentNotFound, OffsetError, QuestionError
from assistant.records import Filters, Turn
from assistant.stages import STAGES
from tests.tiny import tiny_assistant


@pytest.fixture(scope="module")
def assistant():
    return tiny_assistant()


def test_every_stage_is_timed_by_name_and_evidence_has_its_own_field(assistant):
    answer = assistant.ask("Do migrants have access to health services?")
    assert list(answer.timings_ms) == [*STAGES, "total"]
    assert "evidence" not in answer.timings_ms and answer.evidence_strength >= 1.0
    assert answer.outcome == "answered" and not answer.refused
    assert any("health services" in c.quote for c in answer.citations)
    assert answer.searched_documents == ["law", "profile"]


def test_filters_narrow_the_searched_documents(assistant):
    answer = assistant.ask("atención médica de los migrantes", filters=Filters(kind=["law"]))
    assert answer.searched_documents == ["law"]
    assert all(c.document.id == "law" for c in answer.citations)


def test_a_name_the_corpus_never_mentions_is_not_answered(assistant):
    answer = assistant.ask("How many shelters are there in Monterrey?")
    assert answer.refused and answer.outcome == "not_in_documents" and not answer.citations
    assert "Monterrey" in answer.reason and answer.retrieved


def test_a_stage_is_swapped_without_touching_the_others():
    class Reverse:
        def rerank(self, query, candidates, k):
            return list(reversed(candidates))[:k]

    plain, swapped = tiny_assistant(), tiny_assistant()
    swapped.pipeline.reranker = Reverse()
    question = "community kitchens meals"
    first = [p.chunk_id for p in plain.search(question, k=4)]
    assert [p.chunk_id for p in swapped.search(question, k=4)][0] != first[0]


def test_history_is_held_to_the_question_limits():
    assistant = tiny_assistant(max_question_chars=40, max_answer_chars=10)
    with pytest.raises(QuestionError, match="history turn 1 question is 41 characters"):
        assistant.ask("And health?", history=[Turn(question="x" * 41)])
    with pytest.raises(QuestionError, match="history turn 1 answer"):
        assistant.ask("And health?", history=[Turn(question="shelters?", answer="y" * 11)])
    with pytest.raises(QuestionError, match="NUL"):
        assistant.ask("And health?", history=[Turn(question="bad\x00")])


def test_documents_and_offsets_have_named_errors(assistant):
    assert assistant.document_text("law", 0, 11) == "Artículo 8."
    with pytest.raises(DocumentNotFound):
        assistant.get_document("nope")
    with pytest.raises(OffsetError):
        assistant.document_text("law", 5, 2)
