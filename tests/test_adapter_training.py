"""Adapter training: evidence chunks by the relevance rule, and out-of-fold collection that never
lets a model read a question through an adapter fitted on it (fast tier: the tiny index)."""

from __future__ import annotations

import numpy as np

from assistant.embedding.adapter import QueryAdapter
from assistant.evaluation.testset import Question, normalise
from assistant.search import adapter_training
from tests.tiny import DIM, tiny_assistant

EVIDENCE = [
    ("profile.md", "The community kitchens serve hot meals to people in transit."),
    ("profile.md", "Mexico City hosts many migrants from Central America."),
    ("profile.md", "Migrants have access to public health services regardless of their status."),
    ("profile.md", "The city opened 12 shelters in 2019."),
    ("law.pdf", "Los migrantes tendrán derecho a recibir cualquier tipo de atención médica."),
    ("law.pdf", "no podrán negar la inscripción"),
]
SECTIONS = ["Migration trends", "Migration trends", "Health", "Health", None, None]
ARTICLES = [None, None, None, None, "Artículo 8", "Artículo 9"]


def _questions() -> list[Question]:
    answerable = [Question(id=f"q{n}", question=f"question {n} about kitchens", type="factoid", evidence=[text],
                           document=file, section=SECTIONS[n], article=ARTICLES[n])
                  for n, (file, text) in enumerate(EVIDENCE)]
    return [*answerable, Question(id="u", question="How many shelters are in Monterrey?", type="unanswerable")]


def _served(tmp_path):
    QueryAdapter(np.eye(DIM, dtype=np.float32), "fake", {"served": True}).save(tmp_path / "a.npz")
    return tiny_assistant(query_adapter=tmp_path / "a.npz")


def test_evidence_chunks_follow_the_relevance_rule_and_the_document():
    assistant = tiny_assistant()
    normalised = [normalise(c.text) for c in assistant.chunks]
    kitchens, _, _, _, article8, article9 = _questions()[:6]
    files = [assistant.documents[c.document_id].meta.file for c in assistant.chunks]
    for question, file in [(kitchens, "profile.md"), (article8, "law.pdf"), (article9, "law.pdf")]:
        (found,) = adapter_training.evidence_chunks(assistant, question, normalised)
        assert len(found) == 1 and files[found[0]] == file
        assert normalise(question.evidence[0]) in normalised[found[0]]
    elsewhere = Question(id="x", question="?", type="factoid", evidence=[EVIDENCE[0][1]], document="law.pdf")
    assert adapter_training.evidence_chunks(assistant, elsewhere, normalised) == [[]]


def test_out_of_fold_reads_each_question_with_an_adapter_that_never_saw_it(tmp_path, monkeypatch):
    monkeypatch.setattr(adapter_training, "FOLDS", 2)
    monkeypatch.setattr(adapter_training, "training_settings", lambda _: adapter_training.AdapterTraining(epochs=1))
    assistant = _served(tmp_path)
    questions = _questions()
    trained_on: dict[str, set[str]] = {}
    fitted = adapter_training.fit

    def fit(assistant_, chosen, backend, training):
        adapter = fitted(assistant_, chosen, backend, training)
        adapter.meta["ids"] = [e.question_id for e in chosen]
        return adapter

    monkeypatch.setattr(adapter_training, "fit", fit)

    def collect(subset):
        adapter = assistant.adapter("fake")
        for question in subset:
            trained_on[question.id] = set(adapter.meta["ids"])
        return [q.id for q in subset]

    parts = adapter_training.out_of_fold(assistant, questions, collect)
    assert sorted(i for _, ids in parts for i in ids) == sorted(q.id for q in questions)
    for question in questions[:6]:
        assert question.id not in trained_on[question.id]
    assert trained_on["u"] == {q.id for q in questions[:6]}  # unanswerable: the adapter fitted on all
    assert assistant.adapter("fake").meta == {"served": True}  # restored


def test_without_a_served_adapter_out_of_fold_is_one_plain_pass():
    assistant = tiny_assistant()
    parts = adapter_training.out_of_fold(assistant, _questions(), lambda subset: len(subset))
    assert parts == [(_questions(), 7)]


def test_the_command_refuses_the_held_out_split():
    from typer.testing import CliRunner

    from assistant.cli import app

    result = CliRunner().invoke(app, ["train-adapter", "eval/test3.jsonl"])
    assert result.exit_code == 2 and "held-out" in result.output
