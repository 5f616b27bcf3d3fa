"""`mgi eval FILE`: run a test set through the assistant and report metrics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the ``mgi`` Typer app."""

    @app.command("eval")
    def eval_command(
        testset: Path = typer.Argument(..., help="Test set (JSONL, one question per line)."),
        documents: Optional[Path] = typer.Option(
            None, "--documents", help="Evaluate on this documents folder (an index is built for it in the cache)."),
        runs: Optional[Path] = typer.Option(None, "--runs", help="Write per-question runs (JSONL)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write all metrics as JSON."),
        report: Optional[Path] = typer.Option(None, "--report", help="Write a Markdown report (+ PNG plot beside it)."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N questions (after --type)."),
        types: list[str] = typer.Option(None, "--type", help="Only questions of this type (repeatable)."),
        config: list[str] = typer.Option(
            None, "--config", help="bm25, dense:<backend>, hybrid:<backend> (repeatable; default: all available)."),
        embedder: list[str] = typer.Option(
            None, "--embedder", help="With --documents: backend(s) to embed with (default: all)."),
        k: int = typer.Option(10, "-k", min=1, max=50, help="Passages retrieved per question."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    ) -> None:
        """Evaluate retrieval, citations and refusals on a test set (ablation over configurations)."""
        from assistant.evaluation import report as reporting
        from assistant.evaluation.runner import EvalError, evaluate, open_assistant, runs_paths, write_runs
        from assistant.evaluation.testset import TestSetError, load_testset, select

        try:
            questions = load_testset(testset)
        except TestSetError as error:
            _fail(str(error))
        chosen = select(questions, types or None, limit)
        if not chosen:
            known = sorted({q.type for q in questions})
            _fail(f"{testset}: no questions of type {', '.join(types)} (types in file: {', '.join(known)})")
        try:
            assistant = open_assistant(documents, progress=not quiet, backends=embedder or None)
            results, records = evaluate(assistant, chosen, config or None, k=k, progress=not quiet)
        except EvalError as error:
            _fail(str(error))
        meta = {
            "testset": str(testset), "questions": len(chosen), "types": sorted(types) if types else [],
            "documents_dir": str(assistant.settings.documents_dir), "index_dir": str(assistant.settings.index_dir),
            "generated": reporting.now(), "command": "mgi " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["eval"] else "",
        }
        typer.echo(reporting.console_summary(results))
        if runs:
            from assistant.evaluation.runner import parse_config

            available = assistant.available_embedders()
            configs = [parse_config(name, available, assistant.default_embedder) for name in results]
            for name, path in runs_paths(runs, configs).items():
                write_runs(path, records[name])
                typer.echo(f"runs ({name}) → {path}", err=True)
        if json_out:
            typer.echo(f"metrics → {reporting.write_json(results, json_out, meta)}", err=True)
        if report:
            typer.echo(f"report → {reporting.write_markdown(results, report, meta)}", err=True)
