"""`mgi eval`'s error paths: no index is opened before the test set validates (fast tier)."""

from __future__ import annotations

# -- the CLI's error paths (no index is opened before the test set validates) ---------------------
def test_cli_errors_exit_2_naming_file_and_line(tmp_path):
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q?", "type": "factoid", "evidence": []}\n{"id": "b"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "not found" in result.output
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "a", "question": "q?", "type": "factoid", "evidence": []}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(good), "--type", "legal"])
    assert result.exit_code == 2 and "no questions of type legal" in result.output
