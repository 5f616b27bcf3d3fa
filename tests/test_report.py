"""The Markdown and JSON reports from scored results (fast tier)."""

from __future__ import annotations

import json

from assistant.evaluation.report import write_json, write_markdown
from assistant.evaluation.runner import evaluate
from tests.test_runner import QUESTIONS
from tests.tiny import tiny_assistant


def test_reports_show_every_configuration(tmp_path):
    results, _ = evaluate(tiny_assistant(), QUESTIONS, ["hybrid:fake", "bm25"], k=4, progress=False)
    meta = {"testset": "tiny.jsonl", "questions": len(QUESTIONS), "generated": "now"}
    markdown = write_markdown(results, tmp_path / "report.md", meta).read_text()
    assert "`hybrid:fake`" in markdown and "`bm25`" in markdown and "## Overall, per configuration" in markdown
    assert (tmp_path / "report-recall.png").stat().st_size > 0
    data = json.loads(write_json(results, tmp_path / "metrics.json", meta).read_text())
    assert data["primary"] == "hybrid:fake" and set(data["configs"]) == {"hybrid:fake", "bm25"}
