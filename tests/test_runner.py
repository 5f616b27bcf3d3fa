"""The eval runner through Assistant.ask on the tiny index (fast tier)."""

from __future__ import annotations

import pytest

from assistant.evaluation.runner import EvalError, default_configs, evaluate, parse_config
from assistant.evaluation.testset import parse_question
from tests.tiny import tiny_assistant

QUESTIONS = [
    parse_question({"id": "k", "question": "What do the community kitchens serve?", "type": "factoid",
                    "answer": "Hot meals.", "keywords": ["hot meals"], "document": "profile.md",
                    "section": "Migration trends",
                    "evidence": ["The community kitchens serve hot meals to people in transit."]}),
    parse_question({"id": "u", "question": "How many shelters are there in Monterrey?", "type": "unanswerable",
                    "answer": "Not in the documents.", "evidence": []}),
]


def test_configurations_are_checked_against_the_index():
    assert default_configs(["fake"], "fake") == ["hybrid:fake", "dense:fake", "bm25"]
    assert parse_config("hybrid", ["fake"], "fake").embedder == "fake"
    with pytest.raises(EvalError, match="unknown configuration"):
        parse_config("magic:fake", ["fake"], "fake")


def test_suffixes_pick_the_rerank_stage_and_the_plain_query():
    both = parse_config("hybrid:fake+learned+plain", ["fake"], "fake")
    assert (both.name, both.rerank, both.plain) == ("hybrid:fake+learned+plain", "learned", True)
    plain = parse_config("dense:fake+plain", ["fake"], "fake")
    assert (plain.rerank, plain.plain, plain.embedder) == (None, True, "fake")
    assert parse_config("hybrid:fake+fusion", ["fake"], "fake").plain is False
    with pytest.raises(EvalError, match="unknown suffix 'magic'"):
        parse_config("hybrid:fake+magic", ["fake"], "fake")


def test_evaluate_scores_every_configuration_on_the_same_questions():
    results, records = evaluate(tiny_assistant(), QUESTIONS, ["hybrid:fake", "bm25"], k=4, progress=False)
    assert set(results) == {"hybrid:fake", "bm25"}
    hybrid = results["hybrid:fake"]["overall"]
    assert hybrid["recall@5"] == 1.0 and hybrid["verbatim_rate"] == 1.0 and hybrid["refusal_recall"] == 1.0
    rows = {r["id"]: r for r in records["hybrid:fake"]}
    assert rows["u"]["refused"] and not rows["k"]["refused"]
    assert rows["k"]["citations"][0]["verbatim"] is True
