"""Training the learned judge: refusal figures, the threshold rule, cross-validation, the
command's refusal to train on the held-out split (fast tier: synthetic signals)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.answer import judge_training
from assistant.answer.learned_judge import SIGNALS
from assistant.cli import app
from assistant.search.learned import RankerModel
from tests.tiny import tiny_assistant


def test_refusal_figures_count_refusals_as_the_positive_class():
    p = np.array([0.9, 0.8, 0.2, 0.7, 0.1])
    y = np.array([1, 1, 1, 0, 0])
    figures = judge_training.refusal_figures(p, y, 0.75)
    assert figures["refusal_precision"] == 1.0 and np.isclose(figures["refusal_recall"], 2 / 3)
    assert figures["false_refusal_rate"] == 0.0
    assert judge_training.refusal_figures(p, y, 0.6)["false_refusal_rate"] == 0.5


def test_the_threshold_is_the_best_f1_within_the_false_refusal_budget():
    p = np.array([0.95, 0.9, 0.85, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    strict = judge_training.choose_threshold(p, y, max_false_refusal=0.0)
    assert strict["false_refusal_rate"] == 0.0 and 0.85 < strict["threshold"] <= 0.9
    loose = judge_training.choose_threshold(p, y, max_false_refusal=0.2)
    assert loose["refusal_recall"] == 1.0 and loose["threshold"] <= 0.6


def test_cross_validation_scores_every_question_with_a_model_not_trained_on_it():
    rng = np.random.default_rng(0)
    y = np.array([1] * 20 + [0] * 60)
    x = rng.normal(size=(80, len(SIGNALS)))
    x[:, 3] -= 2.0 * y  # unanswerable questions cover less of their subject
    p = judge_training.cross_validated(x, y, seeds=2)
    assert p.shape == (80,) and p[y == 1].mean() > p[y == 0].mean() + 0.3


def _train_synthetic(tmp_path, monkeypatch, unanswerable: int, seed: int, kind: str = "logistic",
                     refuse_unknown: bool = True):
    """Train on synthetic signals (unanswerable questions cover less; a few of them name what
    the corpus never mentions): rows, labels, report, model."""
    rng = np.random.default_rng(seed)
    y = np.array([1] * unanswerable + [0] * (3 * unanswerable))
    x = rng.normal(size=(len(y), len(SIGNALS)))
    x[:, 4] -= 2.0 * y
    x[:, SIGNALS.index("unknown_name")] = (np.arange(len(y)) < unanswerable // 3).astype(float)
    monkeypatch.setattr(judge_training, "collect", lambda assistant, judge, questions: (x, y, []))
    monkeypatch.setattr("assistant.evaluation.testset.load_testset", lambda path: [])
    out = tmp_path / "judge.json"
    report = judge_training.train(tiny_assistant(), None, [tmp_path / "train.jsonl"], out,
                                  max_false_refusal=0.1, kind=kind, refuse_unknown=refuse_unknown)
    return x, y, report, RankerModel.read(out, SIGNALS)


def test_train_writes_a_model_the_judge_reads(tmp_path, monkeypatch):
    _, _, report, model = _train_synthetic(tmp_path, monkeypatch, 15, seed=1)
    out = tmp_path / "judge.json"
    assert report["written"] == str(out) and model.meta["threshold"] == report["cross_validated"]["threshold"]
    assert model.meta["cross_validated"]["false_refusal_rate"] <= 0.1
    assert json.loads(out.read_text())["features"] == list(SIGNALS)


def test_the_hard_unknown_name_rule_is_recorded_and_counted_as_refused(tmp_path, monkeypatch):
    _, _, report, model = _train_synthetic(tmp_path, monkeypatch, 15, seed=1)
    assert report["refuse_unknown_names"] is True and model.meta["refuse_unknown_names"] is True
    _, _, weighed, weighed_model = _train_synthetic(tmp_path, monkeypatch, 15, seed=1, refuse_unknown=False)
    assert weighed_model.meta["refuse_unknown_names"] is False
    # the five flagged unanswerable questions count as refused under the rule, whatever the model says
    assert report["cross_validated"]["refusal_recall"] >= 5 / 15


def test_trees_train_a_model_whose_probabilities_match_scikit_learn(tmp_path, monkeypatch):
    """``--model trees``: the exported gradient-boosted judge scores as the fitted one does."""
    x, y, report, model = _train_synthetic(tmp_path, monkeypatch, 30, seed=2, kind="trees")
    assert report["model"] == "trees" and model.kind == "trees"
    fitted = judge_training.make_model("trees").fit(x, y)
    expected = fitted.predict_proba(x)[:, 1]
    assert np.allclose(1 / (1 + np.exp(-model.score(x))), expected, atol=1e-4)


@pytest.mark.parametrize("command", ["train-judge", "train-ranker"])
def test_the_training_commands_reject_an_unknown_model_kind(command):
    result = CliRunner().invoke(app, [command, "eval/dev.jsonl", "--model", "forest", "--dry-run"])
    assert result.exit_code == 2 and "logistic" in result.output


@pytest.mark.parametrize("held_out", ["eval/test.jsonl", "eval/test2.jsonl", "eval/test3.jsonl", "eval/test4.jsonl", "eval/test5.jsonl"])
def test_the_command_refuses_the_held_out_split(held_out):
    result = CliRunner().invoke(app, ["train-judge", held_out])
    assert result.exit_code == 2 and "held-out" in result.output
