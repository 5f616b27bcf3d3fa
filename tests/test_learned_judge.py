"""The learned judge: signals from both hand-made judges → P(not answered) → three outcomes.

Fast tier: hand-made hits on the tiny index with a hand-written model (so each outcome's
cause is known); the shipped model file's shape. Slow tier: the shipped model on the real
index, near-miss and answerable questions written from the documents."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer.judge import EvidenceJudge, TypedJudge
from assistant.answer.learned_judge import SIGNALS, JudgeSignals, LearnedJudge
from assistant.search.learned import RankerModel
from assistant.search.query import Hit, contextualise
from assistant.settings import Settings
from assistant.stages import SearchRequest
from assistant.text import tokenize
from tests.tiny import tiny_assistant, tiny_index

REQUEST = SearchRequest(k=4, mode="hybrid", backend="fake")


def model(weights: dict[str, float], bias: float) -> RankerModel:
    """A logistic model over SIGNALS with unit scaling: P = σ(bias + Σ w·signal)."""
    return RankerModel({"format": "mgi-ranker/1", "kind": "logistic", "features": list(SIGNALS),
                        "mean": [0.0] * len(SIGNALS), "scale": [1.0] * len(SIGNALS),
                        "weights": [weights.get(name, 0.0) for name in SIGNALS], "bias": bias}, SIGNALS)


# Refuses unless a sentence holding an answer of the asked type covers the subject well.
NEEDS_ANSWER = model({"answer_coverage": -10.0}, 3.0)


def learned(judge_model: RankerModel = NEEDS_ANSWER, threshold: float = 0.5, refuse_unknown: bool = False) -> LearnedJudge:
    index = tiny_index()
    settings = Settings(embedder="fake", refusal_min_z={"fake": 1.0}, _env_file=None)
    typed = TypedJudge(index.sparse, index.chunks, index.documents, settings)
    return LearnedJudge(JudgeSignals(typed), judge_model, threshold, refuse_unknown)


def hits(*positions: int) -> list[Hit]:
    return [Hit(position=p, score=1.0 / (n + 1), dense_z=3.0) for n, p in enumerate(positions)]


def verdict(question: str, *positions: int, judge: LearnedJudge | None = None, request=REQUEST):
    return (judge or learned()).judge(contextualise(question, []), hits(*positions), request)


def test_signals_are_one_row_in_the_models_vocabulary():
    judge = learned()
    query = contextualise("How many shelters did the city open in 2019?", [])
    reading = judge.signals.read(query, hits(1, 0), REQUEST, [])
    row, findings, kind = reading.row, reading.findings, reading.kind
    assert row.shape == (1, len(SIGNALS)) and kind.typed and findings
    named = dict(zip(SIGNALS, row[0]))
    assert named["typed_question"] == 1.0 and named["unknown_name"] == 0.0
    assert named["answer_coverage"] > 0.3 and named["z_ratio"] == pytest.approx(3.0)


def test_counted_named_says_whether_the_answer_sentence_names_what_is_counted():
    judge = learned()

    def counted(question: str) -> float:
        reading = judge.signals.read(contextualise(question, []), hits(1, 0), REQUEST, [])
        return dict(zip(SIGNALS, reading.row[0]))["counted_named"]

    assert counted("How many shelters did the city open in 2019?") == 1.0
    assert counted("How many beds did the city open in 2019?") == 0.0  # "12 shelters" counts something else
    assert counted("When did the city open shelters?") == 1.0  # not a count question: nothing to name
    assert counted("¿Cuántas camas abrió la ciudad en 2019?") == 1.0  # English text: words cannot be matched


def test_an_answer_of_the_asked_type_is_answered_with_its_span():
    found = verdict("How many shelters did the city open in 2019?", 1, 0)
    assert found.outcome == "answered" and found.answer_type == "quantity"
    text = tiny_index().documents["profile"].text
    assert text[found.span_start:found.span_end] == "12 shelters"


def test_the_subject_without_the_asked_figure_is_partly():
    found = verdict("How many hot meals do the community kitchens serve?", 0, 1)
    assert found.outcome == "partly" and found.detail == "figure" and "community kitchens" in found.subject


def test_untyped_questions_have_full_answer_coverage_and_are_answered():
    found = verdict("Do migrants have access to public health services?", 1)
    assert found.outcome == "answered" and found.answer_type == "yes_no" and found.span_start is None


def test_refusals_name_what_the_corpus_never_mentions():
    refuse_all = learned(model({}, 5.0))
    found = verdict("Do migrants in Guadalajara have health care?", 1, judge=refuse_all)
    assert found.outcome == "not_in_documents" and "Guadalajara" in found.reason
    found = verdict("Do migrants have access to public health services?", 1, judge=refuse_all)
    assert found.outcome == "not_in_documents" and found.reason == "no passage is close enough to the question"


def test_with_the_hard_rule_an_unknown_name_refuses_whatever_the_model_says():
    answer_all = model({}, -5.0)
    question = "Do migrants in Guadalajara have access to public health services?"
    assert verdict(question, 1, judge=learned(answer_all)).outcome == "answered"  # the model weighs it
    found = verdict(question, 1, judge=learned(answer_all, refuse_unknown=True))
    assert found.outcome == "not_in_documents" and "Guadalajara" in found.reason
    known = verdict("Do migrants have access to public health services?", 1, judge=learned(answer_all, refuse_unknown=True))
    assert known.outcome == "answered"


def test_which_article_prefers_the_laws_own_sentences_to_a_reports_mention():
    from assistant.answer.judge import Finding

    report = Finding(rank=0, document_id="profile", start=0, end=10, coverage=0.9, spans=((0, 5),))
    law = Finding(rank=3, document_id="law", start=0, end=10, coverage=0.2, spans=((0, 5),))
    bare = Finding(rank=1, document_id="law", start=20, end=30, coverage=0.9)
    judge = learned()
    query = contextualise("Which article protects migrants?", [])
    assert judge.answering([report, law, bare], "law_article", query) == [law]
    assert judge.answering([report, bare], "law_article", query) == [report]
    assert judge.answering([report, law, bare], "quantity", query) == [report, law]
    # the law the question names wins; a law the corpus lacks is read in the report's mention of it
    named = contextualise("¿Qué artículo de la Ley de Prueba protege a los migrantes?", [])
    assert judge.answering([report, law], "law_article", named) == [law]
    judge.names.absent = [frozenset(tokenize("Law on Interculturality"))]
    absent = contextualise("Which article of the Law on Interculturality protects migrants?", [])
    assert judge.answering([report, law], "law_article", absent) == [report]


def test_the_threshold_decides():
    question = "How many hot meals do the community kitchens serve?"
    assert verdict(question, 0, 1, judge=learned(threshold=0.999)).outcome == "answered"


def test_bm25_searches_and_empty_hits_keep_the_evidence_judge():
    bm25 = SearchRequest(k=4, mode="bm25", backend="fake")
    question = "How many hot meals do the community kitchens serve?"
    assert verdict(question, 0, 1, request=bm25).outcome == "answered"  # evidence: coverage suffices
    assert verdict(question).outcome == "not_in_documents"


def test_the_shipped_model_reads_and_records_its_cross_validated_threshold():
    settings = Settings(_env_file=None)
    shipped = RankerModel.read(settings.judge_model, SIGNALS)
    assert shipped.features and set(shipped.features) <= set(SIGNALS)  # a model reads the signals it was trained on
    assert 0.0 < shipped.meta["threshold"] < 1.0
    assert "test.jsonl" not in json.dumps(shipped.meta["trained_on"])
    cv = shipped.meta["cross_validated"]
    assert cv["false_refusal_rate"] <= shipped.meta["max_false_refusal"]
    assert np.isfinite(shipped.score(np.zeros((1, len(SIGNALS))))).all()


def test_settings_choose_the_learned_judge_and_a_missing_model_falls_back(tmp_path):
    assert isinstance(tiny_assistant().pipeline.judge, LearnedJudge)  # the default
    fallback = tiny_assistant(judge_model=tmp_path / "absent.json").pipeline.judge
    assert isinstance(fallback, EvidenceJudge)


def test_the_answer_opens_with_the_span_through_the_assistant():
    answer = tiny_assistant().ask("How many shelters did the city open in 2019?", retriever="hybrid")
    assert answer.outcome == "answered" and answer.answer_span is not None
    assert answer.answer.startswith(f"{answer.answer_span.text} [{answer.answer_span.n}]")


# -- slow: the shipped model on the real index -----------------------------------------------
@pytest.fixture(scope="module")
def real_assistant(full_index_settings):
    from assistant.core import Assistant

    return Assistant.open(full_index_settings.model_copy(update={"judge_stage": "learned"}))


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "What is the population of Buenos Aires according to the profile?",
    "¿Cuántas multas impuso el Instituto Nacional de Migración en 2020?",
])
def test_questions_the_documents_do_not_answer_are_refused(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.outcome in ("partly", "not_in_documents"), (answer.reason, answer.answer[:300])


@pytest.mark.slow
@pytest.mark.parametrize("question,named", [
    ("What does Chile's migration code say about asylum seekers?", "Chile"),
    ("¿Qué dice la Ley Migratoria de Panamá sobre los refugiados?", "Ley Migratoria de Panamá"),
    ("What does Canada's Immigration and Refugee Protection Act say about family sponsorship?",
     "Canada's Immigration and Refugee Protection Act"),
])
def test_an_instrument_or_jurisdiction_the_corpus_lacks_is_not_in_the_documents(real_assistant, question, named):
    answer = real_assistant.ask(question)
    assert answer.outcome == "not_in_documents" and named in answer.reason, answer.reason


@pytest.mark.slow
def test_a_law_of_the_corpus_named_in_english_is_not_taken_for_an_unknown_one(real_assistant):
    answer = real_assistant.ask("Which article of the Housing Law defines decent housing?")
    assert answer.outcome == "answered" and "never mention" not in answer.reason, answer.reason


@pytest.mark.slow
@pytest.mark.parametrize("question,figure", [
    ("How many foreign embassies do the city authorities contact in emergencies?", "86"),
])
def test_answerable_figures_are_answered_and_open_the_answer(real_assistant, question, figure):
    answer = real_assistant.ask(question)
    assert answer.outcome == "answered" and answer.answer_span is not None, answer.reason
    assert figure in answer.answer_span.text
