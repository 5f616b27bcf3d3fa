"""Training helpers: labels from the relevance rule, grouped metrics, cross-validation, export
(fast tier: hand-made groups)."""

from __future__ import annotations

import json

import numpy as np

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
