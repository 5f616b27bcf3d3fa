"""Regression gate: a fixed dev-set subset through the real assistant must stay above floors.

The subset (ids in eval/floors.json) uses only the documents of the test index built by the
``built_index_settings`` fixture — the MGI profile, the Ley de Migración and the refugee law —
plus unanswerable questions, and covers every question type. Floors were set from measured
values, a little below them; they are never lowered to make this pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation.testset import KNOWN_TYPES, load_testset

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "eval" / "dev.jsonl"
FLOORS = ROOT / "eval" / "floors.json"
GATE_DOCUMENTS = {"profile.md", "LMigra.pdf", "LRPCAP.pdf"}


def _gate():
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    wanted = floors["questions"]
    by_id = {q.id: q for q in load_testset(DEV)}
    missing = [i for i in wanted if i not in by_id]
    assert not missing, f"floors.json names questions not in dev.jsonl: {missing}"
    return floors, [by_id[i] for i in wanted]


def test_gate_subset_is_well_formed():
    floors, questions = _gate()
    assert len(questions) <= 40
    assert {q.type for q in questions} == set(KNOWN_TYPES)
    for question in questions:
        for item in question.items():
            assert item.document in GATE_DOCUMENTS, f"{question.id} uses {item.document}"
    assert set(floors["floors"]) >= {"recall@5", "refusal_recall", "refusal_precision", "verbatim_rate"}


def test_held_out_gate_reads_every_held_out_file():
    """The held-out gate pools exactly the files the trainers refuse (search.training.HELD_OUT)."""
    from assistant.search.training import HELD_OUT

    held_out = json.loads(FLOORS.read_text(encoding="utf-8"))["held_out"]
    assert sorted(Path(name).name for name in held_out["testsets"]) == sorted(HELD_OUT)
    assert all((ROOT / name).exists() for name in held_out["testsets"])


@pytest.mark.slow
def test_metrics_stay_above_floors(assistant, output_dir):
    from assistant.evaluation.report import write_json, write_markdown
    from assistant.evaluation.runner import evaluate

    floors, questions = _gate()
    results, _ = evaluate(assistant, questions, [floors["config"]], progress=False)
    name = next(iter(results))
    overall = results[name]["overall"]
    meta = {"testset": "eval/dev.jsonl (gate subset)", "questions": len(questions),
            "documents_dir": str(assistant.settings.documents_dir), "index_dir": str(assistant.settings.index_dir)}
    write_markdown(results, output_dir / "eval-gate.md", meta)
    write_json(results, output_dir / "eval-gate.json", meta)
    assert overall["errors"] == 0, [r for r in results[name]["questions"] if r.get("error")]
    below = {metric: (overall[metric], floor) for metric, floor in floors["floors"].items()
             if overall[metric] is None or overall[metric] < floor}
    assert not below, f"metrics below their floors (measured, floor): {below}"


@pytest.mark.slow
def test_held_out_metrics_stay_above_floors(full_index_settings, output_dir):
    """The whole held-out split (its files pooled) on the full corpus: a regression check of
    the figures the issues report (eval/floors.json "held_out"); nothing is tuned on it."""
    from assistant.core import Assistant
    from assistant.evaluation.report import write_json
    from assistant.evaluation.runner import evaluate

    held_out = json.loads(FLOORS.read_text(encoding="utf-8"))["held_out"]
    questions = [q for name in held_out["testsets"] for q in load_testset(ROOT / name)]
    assistant = Assistant.open(full_index_settings)
    results, _ = evaluate(assistant, questions, [held_out["config"]], progress=False)
    overall = next(iter(results.values()))["overall"]
    write_json(results, output_dir / "eval-held-out.json", {"testsets": held_out["testsets"], "questions": len(questions)})
    assert overall["errors"] == 0
    below = {metric: (overall[metric], floor) for metric, floor in held_out["floors"].items()
             if overall[metric] is None or overall[metric] < floor}
    assert not below, f"held-out metrics below their floors (measured, floor): {below}"
