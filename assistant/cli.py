"""The `mgi` command: build, ask, search, serve, documents (and eval)."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from pathlib import Path
from typing import Optional

import typer

from assistant.settings import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="MGI Assistant: cited answers from migration-governance documents.")

DocsOption = typer.Option(None, "--documents", help="Documents folder (default: settings / MGI_DOCUMENTS_DIR).")
IndexOption = typer.Option(None, "--index", help="Index folder (default: settings / MGI_INDEX_DIR).")


def _settings(documents: Optional[Path], index: Optional[Path], **extra) -> Settings:
    return get_settings(documents_dir=documents, index_dir=index, **extra)


def fail(message: str, code: int = 2) -> None:
    """Print an error naming the problem and exit non-zero (no traceback)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def disk_fault(error: BaseException, *paths: Path) -> str:
    """One line naming the path and the reason of a write failure (disk full, read-only,
    permissions), for `mgi build` and `mgi serve` instead of a traceback."""
    import errno

    text = str(error).lower()
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text or "no space" in text:
        reason = "the disk is full (no space left on device)"
    elif code == errno.EROFS or "read-only" in text or "readonly" in text:
        reason = "the file system is read-only"
    elif code in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    else:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    where = getattr(error, "filename", None) or " or ".join(str(p) for p in paths if p)
    return (f"cannot write {where}: {reason}. Free space or make it writable (or point "
            "MGI_INDEX_DIR / MGI_CACHE_DIR elsewhere); the previous index, if any, is unchanged.")


def _open(settings: Settings):
    from assistant.core import Assistant
    from assistant.storage import IndexProblem

    try:
        assistant = Assistant.open(settings)
    except IndexProblem as error:
        fail(str(error))
    changes = assistant.index_state["changes"]
    if changes:
        typer.secho(f"warning: the index is older than the documents ({'; '.join(changes[:5])}); "
                    "answers come from the last good index — run `mgi build`", fg=typer.colors.YELLOW, err=True)
    return assistant


@app.command()
def build(
    documents: Optional[Path] = DocsOption,
    index: Optional[Path] = IndexOption,
    embedder: list[str] = typer.Option(None, "--embedder", help="Backend(s) to embed with (repeatable)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    write_seed: bool = typer.Option(False, "--write-seed", help="Then save the vectors as shipped seeds."),
) -> None:
    """Build or update the index (only changed documents are re-read and re-embedded)."""
    from assistant.ingest.catalog import CatalogError
    from assistant.ingest.build import build_index
    from assistant.storage import IndexProblem

    settings = _settings(documents, index, embedder=embedder[0] if embedder else None)
    try:
        report = build_index(settings, progress=not quiet, backends=embedder or None)
    except (IndexProblem, CatalogError, ValueError) as error:
        fail(str(error))
    except (OSError, sqlite3.Error) as error:  # a full or read-only disk: name it, no traceback
        fail(disk_fault(error, settings.index_dir, settings.cache_dir), code=1)
    for item in report.skipped:
        typer.secho(f"skipped {item['file']}: {item['reason']}", fg=typer.colors.YELLOW, err=True)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    if write_seed:
        from assistant.ingest.build import write_seeds

        for path in write_seeds(settings):
            typer.echo(f"wrote seed {path}", err=True)
    typer.echo(
        f"indexed {len(report.documents)} documents ({len(report.reused)} unchanged), "
        f"{report.chunks} chunks, skipped {len(report.skipped)} in {report.seconds:.1f}s "
        f"→ {report.index_dir}"
    )


def _print_citations(answer) -> None:
    """The answer for a terminal: the outcome line, the answer span in bold inside its quote."""
    from assistant.answer.compose import instrument_line

    width = 88
    for acronym, name in answer.expanded.items():
        typer.secho(f"(Read {acronym} as “{name}”.)", dim=True)
    if answer.refused:
        typer.secho("Not in the documents. " + answer.answer, bold=True)
        if answer.reason:
            typer.secho(f"({answer.reason})", dim=True)
        typer.echo("\nClosest passages:")
        for passage in answer.retrieved[:3]:
            typer.echo(textwrap.fill(" ".join(passage.text.split())[:400], width, initial_indent="  ", subsequent_indent="  "))
            typer.secho(f"  — {passage.locator(title=True, section=False)}", dim=True)
        return
    if answer.outcome == "partly":
        typer.secho("Partly answered: " + answer.answer.split("\n\n")[0], bold=True)
        typer.echo()
    elif answer.answer_span is not None:
        typer.secho(f"Answer: {answer.answer_span.text} [{answer.answer_span.n}]", bold=True)
        typer.echo()
    for citation in answer.citations:
        quote = citation.quote
        span = citation.answer_span
        if span is not None and citation.start <= span.start and span.end <= citation.end:
            quote = (quote[: span.start - citation.start] + typer.style(span.text, bold=True)
                     + quote[span.end - citation.start:])
        quote = " ".join(quote.split())
        typer.echo(f"“{quote}” [{citation.n}]" if span is not None else textwrap.fill(f"“{quote}” [{citation.n}]", width))
        typer.echo()
    typer.secho("Sources", bold=True)
    for citation in answer.citations:
        typer.echo(f"[{citation.n}] " + citation.locator(title=True, sep=" · ")
                   + f"  (chars {citation.start}-{citation.end})")
        for source in citation.key_sources:
            typer.secho(f"     Key Source: {source.label}", dim=True)
        for cited in citation.cites:
            page = f", p. {cited.page}" if cited.page else ""
            typer.secho(f"     Cites: {cited.cited} → {cited.title}, {cited.article}{page}"
                        f"  ({cited.document_id}, chars {cited.start}-{cited.end})", dim=True)
    if answer.instruments:
        typer.secho("\nInstruments", bold=True)
    for instrument in answer.instruments:
        typer.echo(instrument_line(instrument, key_source=False)
                   + (" — not in the corpus" if instrument.in_corpus is False else ""))
        for source in instrument.key_sources[:1]:
            typer.secho(f"     Key Source: {source.label}", dim=True)
    if answer.searched_documents:
        typer.secho(f"\nSearched: {', '.join(answer.searched_documents)}", dim=True)


DocumentFilter = typer.Option(None, "--document", help="Only these document ids.")
KindFilter = typer.Option(None, "--kind", help="Only these kinds (profile, law, constitution).")
LanguageFilter = typer.Option(None, "--language", help="Only these languages (en, es).")
DimensionFilter = typer.Option(None, "--dimension", help="Only profile passages under these MiGOF dimensions (e.g. \"migrants' rights\").")
AssessmentFilter = typer.Option(None, "--assessment", help='Only profile passages assessed "well-developed" or "potential for development".')
RetrieverOption = typer.Option("hybrid", "--retriever", help="hybrid, dense or bm25.")
KOption = typer.Option(None, "-k", help="Passages to retrieve (1-50).")


def _filters(**values: list[str] | None):
    """Filters from the command's filter options; None when none is given."""
    from assistant.records import Filters

    filters = Filters(**{name: value or None for name, value in values.items()})
    return None if filters.is_empty() else filters


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly the /api/ask JSON."),
    k: Optional[int] = KOption, document: list[str] = DocumentFilter, kind: list[str] = KindFilter,
    language: list[str] = LanguageFilter, dimension: list[str] = DimensionFilter,
    assessment: list[str] = AssessmentFilter, retriever: str = RetrieverOption,
    documents: Optional[Path] = DocsOption, index: Optional[Path] = IndexOption,
) -> None:
    """Ask a question; answers are verbatim quotes with numbered sources."""
    from assistant.errors import RequestError

    assistant = _open(_settings(documents, index))
    filters = _filters(document=document, kind=kind, language=language, dimension=dimension, assessment=assessment)
    try:
        answer = assistant.ask(question, k=k, filters=filters, retriever=retriever)
    except RequestError as error:
        fail(str(error))
    if as_json:  # the /api/ask body: the Answer and the state of the index behind it
        from assistant.serve.deps import with_index

        typer.echo(with_index(answer, assistant).model_dump_json(indent=2))
    else:
        _print_citations(answer)


@app.command()
def search(
    query: str = typer.Argument(..., help="Search terms or a question."),
    as_json: bool = typer.Option(False, "--json", help="Print the /api/search JSON."),
    k: Optional[int] = KOption, document: list[str] = DocumentFilter, kind: list[str] = KindFilter,
    language: list[str] = LanguageFilter, dimension: list[str] = DimensionFilter,
    assessment: list[str] = AssessmentFilter, retriever: str = RetrieverOption,
    documents: Optional[Path] = DocsOption, index: Optional[Path] = IndexOption,
) -> None:
    """Ranked passages for a query."""
    from assistant.errors import RequestError

    assistant = _open(_settings(documents, index))
    filters = _filters(document=document, kind=kind, language=language, dimension=dimension, assessment=assessment)
    try:
        passages = assistant.search(query, k=k, filters=filters, retriever=retriever)
    except RequestError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in passages], ensure_ascii=False, indent=2))
        return
    for rank, passage in enumerate(passages, 1):
        typer.secho(f"{rank}. {passage.locator(title=True, sep=' · ')}  [{passage.score:.4f}]", bold=True)
        typer.echo(textwrap.fill(" ".join(passage.text.split())[:500], 88, initial_indent="   ", subsequent_indent="   "))


@app.command("settings")
def show_settings() -> None:
    """Print every setting (MGI_* variable, default, meaning) as a Markdown table."""
    from assistant.settings import settings_markdown

    typer.echo(settings_markdown(), nl=False)


@app.command()
def documents(
    documents: Optional[Path] = DocsOption,
    index: Optional[Path] = IndexOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List the indexed documents."""
    assistant = _open(_settings(documents, index))
    rows = [
        {"id": d.id, "title": d.meta.title, "kind": d.meta.kind, "language": d.meta.language,
         "pages": len(d.pages), "articles": len(d.articles), "sections": len(d.sections)}
        for d in assistant.documents.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:<24} {row['kind']:<13} {row['language']:<3} {row['title']}")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host"),
    port: Optional[int] = typer.Option(None, "--port"),
    workers: int = typer.Option(1, "--workers", help="Worker processes (each loads the model after fork)."),
    documents: Optional[Path] = DocsOption,
    index: Optional[Path] = IndexOption,
    rebuild: bool = typer.Option(False, "--rebuild", help="If the index is older than the documents, "
                                 "rebuild it in the background and swap it in without a restart."),
) -> None:
    """Serve the API and web chat (http://127.0.0.1:8000 by default)."""
    import os

    import uvicorn

    from assistant.conversations import StorageError, open_store
    from assistant.serve.server import server_options
    from assistant.serve.store import database_target

    settings = _settings(documents, index, host=host, port=port,
                         rebuild_on_start=True if rebuild else None)
    # Workers re-read settings from the environment, so pass overrides through it.
    os.environ["MGI_DOCUMENTS_DIR"] = str(settings.documents_dir)
    os.environ["MGI_INDEX_DIR"] = str(settings.index_dir)
    if rebuild:
        os.environ["MGI_REBUILD_ON_START"] = "1"
    assistant = _open(settings)  # fail fast with a clear message if the index is missing or corrupt
    state = getattr(assistant, "index_state", {}) or {}
    del assistant  # the workers open their own
    if state.get("stale"):
        typer.secho(f"warning: the index is older than the documents ({len(state['changes'])} changed: "
                    + "; ".join(state["changes"][:5]) + ") — serving the last good index"
                    + ("; rebuilding in the background" if rebuild else "; run `mgi build` or `mgi serve --rebuild`"),
                    fg=typer.colors.YELLOW, err=True)
    try:
        open_store(database_target(settings))
    except StorageError as error:
        fail(f"{error}. Free space or make it writable, or set MGI_DATABASE.", code=1)
    except (OSError, sqlite3.Error) as error:
        fail(disk_fault(error, settings.database), code=1)
    typer.echo(f"serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run("assistant.serve.api:create_app", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level="warning", **server_options(settings))


def _register_eval() -> None:
    from assistant.evaluation.command import register

    register(app)


_register_eval()


def _register_train_ranker() -> None:
    from assistant.search.training import register

    register(app)


_register_train_ranker()


def _register_train_judge() -> None:
    from assistant.answer.judge_training import register

    register(app)


_register_train_judge()


def _register_train_adapter() -> None:
    from assistant.search.adapter_training import register

    register(app)


_register_train_adapter()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
