"""Training helpers: labels from the relevance rule, grouped metrics, cross-validation, export
(fast tier: hand-made groups); collection on the real index (slow)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from assistant.evaluation.testset import Question
from assistant.search import training
from assistant.search.features import FEATURES
from assistant.search.learned import RankerModel


def test_relevance_uses_the_evaluation_rule_and_the_document_label():
    question = Question(id="q", question="?", type="factoid", evidence=["the city opened 12 shelters"],
                        document="profile.md")
    matrix = training.relevance_matrix(question, [("In 2019 the city opened 12 shelters.", "profile.md"),
                                                  ("In 2019 the city opened 12 shelters.", "law.pdf"),
                                                  ("Nothing here.", "profile.md")])
    assert matrix[:, 0].tolist() == [True, False, False]


def _group(relevant_at: int, n: int = 10, signal: int = 1) -> training.Group:
    features = np.zeros((n, len(FEATURES)))
    features[:, 0] = np.log1p(np.arange(n))
    features[relevant_at, signal] = 1.0
    relevance = np.zeros((n, 1), dtype=bool)
    relevance[relevant_at, 0] = True
    return training.Group(f"q{relevant_at}", "factoid", features, relevance)


def test_order_metrics_recall_and_mrr():
    groups = [_group(0), _group(7)]
    fused = training.order_metrics(groups, [-np.arange(10.0), -np.arange(10.0)])
    assert fused["recall@5"] == 0.5 and np.isclose(fused["mrr"], (1 + 1 / 8) / 2)


def test_cross_validation_learns_a_signal_the_fused_order_misses():
    rng = np.random.default_rng(0)
    groups = [_group(int(rng.integers(5, 10))) for _ in range(30)]
    fused = training.order_metrics(groups, [-np.arange(10.0)] * 30)
    learned = training.cross_validate(groups, "logistic", folds=3)
    assert fused["recall@5"] == 0.0 and learned["recall@5"] > 0.9


def test_train_groups_writes_a_model_the_server_reads(tmp_path):
    groups = [_group(i % 10) for i in range(20)]
    out = tmp_path / "ranker.json"
    report = training.train_groups(groups, "logistic", out, training.SHIPPED_FEATURES, {"backends": ["fake"]})
    model = RankerModel(json.loads(out.read_text()))
    assert report["written"] == str(out) and model.features == list(training.SHIPPED_FEATURES)
    assert "dense2" not in model.features


def test_passage_folds_keep_questions_on_one_passage_together():
    """Questions whose evidence shares an article (directly or through a third question)
    fall in one fold, so every held-out fold is new passages; folds stay balanced."""
    groups = [_group(i % 10) for i in range(40)]
    for i, group in enumerate(groups):
        group.passages = (f"law.pdf|Artículo {i // 4}",)  # ten articles, four questions each
    groups[3].passages += ("law.pdf|Artículo 5",)  # joins articles 0 and 5
    fold_of = training.passage_folds(groups, folds=5)
    for article in range(10):
        assert len({int(fold_of[i]) for i in range(40) if i // 4 == article}) == 1
    assert fold_of[0] == fold_of[20]
    sizes = np.bincount(fold_of, minlength=5)
    assert sizes.max() - sizes.min() <= 8 and sizes.sum() == 40
    assert training.cross_validate(groups, "logistic", folds=5, by_passage=True)["recall@5"] > 0.9


@pytest.mark.slow
def test_collect_reads_the_served_pool_with_the_fan_out_lead(full_index_settings, tmp_path):
    """On the real index, a "which laws" question's training pool is the served one: the
    instrument fan-out's lead (its kept laws' best passages) stands in it, and each group
    records where its evidence stands (for the new-passage folds)."""
    from assistant.core import Assistant
    from assistant.evaluation.testset import load_testset

    question = {"id": "q1", "question": "Which laws guarantee migrants access to health care?", "type": "multi_law",
                "answer": "The Migration Law, Article 8.", "section": None, "sources": [], "keywords": ["Artículo 8"],
                "evidence": ["Los migrantes tendrán derecho a recibir cualquier tipo de atención médica"],
                "document": "LMigra.pdf", "article": "Artículo 8", "page": 7}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    assistant = Assistant.open(full_index_settings.model_copy(update={"rerank_stage": "fusion"}))
    questions = load_testset(path)
    groups = training.collect(assistant, questions, pool=50)
    assert len(groups) == 1 and groups[0].passages == ("LMigra.pdf|Artículo 8",)
    assert groups[0].features.shape[1] == len(FEATURES) and groups[0].relevance.any()
    request = replace(assistant.request(10, None, "hybrid", None), candidates=50)
    served = assistant.pipeline.retriever.retrieve(training.question_query(assistant, questions[0]), request)
    assert len(groups[0].labels) == len(served)
