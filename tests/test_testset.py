"""Test sets: loading with line-precise errors, aligned labels (fast tier)."""

from __future__ import annotations

import json

import pytest

from assistant.evaluation.testset import TestSetError, load_testset, parse_question


def q(qid, evidence, **extra):
    return parse_question({"id": qid, "question": f"question {qid}?", "type": extra.pop("type", "factoid"),
                           "answer": "a", "evidence": evidence, **extra})


def test_optional_fields_are_typed():
    question = parse_question({"id": "a", "question": "¿Cuántos?", "type": "numeric", "answer": "12",
                               "evidence": ["The city opened 12 shelters in 2019."], "lang": "es",
                               "answer_type": "quantity", "answer_span": "12 shelters"})
    assert (question.lang, question.answer_type, question.answer_span) == ("es", "quantity", "12 shelters")
    with pytest.raises(ValueError, match="answer_type"):
        parse_question({"id": "b", "question": "q?", "type": "factoid", "evidence": [], "answer_type": "colour"})
    with pytest.raises(ValueError, match="near_miss"):
        parse_question({"id": "c", "question": "q?", "type": "unanswerable", "evidence": [], "near_miss": "yes"})


# -- test-set loading ----------------------------------------------------------------------------
def test_loader_reports_file_and_line(tmp_path):
    good = {"id": "x", "question": "q?", "type": "factoid", "evidence": []}
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(good) + "\n\n{not json}\n", encoding="utf-8")
    with pytest.raises(TestSetError, match=r"set\.jsonl:3: invalid JSON"):
        load_testset(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "page": [1, 2]}) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError, match=r"set\.jsonl:2: .*page"):
        load_testset(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError, match=r":2: duplicate id"):
        load_testset(path)
    with pytest.raises(TestSetError, match="not found"):
        load_testset(tmp_path / "missing.jsonl")


def test_aligned_labels():
    question = q("m", ["one two three", "four five six"], document=["a.pdf", "profile.md"],
                 article=["Artículo 3", None], page=[4, None], section="Migration trends")
    first, second = question.items()
    assert (first.document, first.article, first.page, first.section) == ("a.pdf", "Artículo 3", 4, None)
    assert (second.document, second.article, second.page, second.section) == ("profile.md", None, None, "Migration trends")


