"""The index folder on disk: typed manifest, file writing, checksums, atomic swap, loading.

Layout: ``index/current`` is a symlink to ``index/builds/<stamp>/`` holding
``manifest.json``, ``documents.jsonl`` (each Document with its stored text and structure),
``chunks.jsonl``, ``bm25/`` (SparseIndex) and one ``dense-<backend>.faiss`` (DenseIndex) per
embedder. A build writes ``builds/.<stamp>.partial`` and renames it when complete, then
swaps the symlink atomically (``os.replace``), so a killed build leaves the last good index
in place. The manifest names the models, dimensions, chunker and reader versions, each
document's sha256 and a checksum of every file; loading checks all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pydantic import BaseModel, Field

from assistant.ingest.catalog import document_metas, file_sha256
from assistant.records import Chunk, Document
from assistant.search.dense import DenseIndex
from assistant.search.sparse import SparseIndex

FORMAT = 1
MANIFEST = "manifest.json"


class IndexProblem(Exception):
    """The index is missing, corrupt or does not match the documents or the model."""


class IndexedDocument(BaseModel):
    file: str
    sha256: str
    title: str = ""
    chunks: int = 0
    warnings: list[str] = Field(default_factory=list)


class SkippedFile(BaseModel):
    file: str
    sha256: str | None = None
    reason: str


class EmbedderEntry(BaseModel):
    model: str
    dim: int
    file: str


class Manifest(BaseModel):
    """What a build holds and how it was made; written last, checked on load."""

    format: int = FORMAT
    created: str = ""
    chunker_version: str = ""
    reader_version: str = ""
    chunking: dict = Field(default_factory=dict)
    documents_dir: str = ""
    documents: dict[str, IndexedDocument] = Field(default_factory=dict)
    skipped: list[SkippedFile] = Field(default_factory=list)
    embedders: dict[str, EmbedderEntry] = Field(default_factory=dict)
    default_embedder: str = ""
    checksums: dict[str, str] = Field(default_factory=dict)

    def indexed_files(self) -> dict[str, str | None]:
        """file → sha256 for every file the build saw (read or skipped)."""
        files: dict[str, str | None] = {d.file: d.sha256 for d in self.documents.values()}
        files.update({s.file: s.sha256 for s in self.skipped})
        return files


@dataclass
class SentenceVectors:
    """Multi-granularity vectors: one per sentence inside some chunks (``sentences-<backend>.npz``).

    ``chunk`` holds each sentence's chunk position, ``start``/``end`` its document offsets;
    rows are grouped by chunk so a chunk's sentences are one slice."""

    chunk: np.ndarray
    start: np.ndarray
    end: np.ndarray
    vectors: np.ndarray

    def __post_init__(self) -> None:
        # One group of consecutive rows per chunk: its first row, and the chunk it belongs to.
        self.first_rows = np.flatnonzero(np.r_[True, self.chunk[1:] != self.chunk[:-1]]) if len(self.chunk) else \
            np.zeros(0, dtype=int)
        self.chunk_of_group = self.chunk[self.first_rows]
        ends = np.r_[self.first_rows[1:], len(self.chunk)].astype(int)
        self.slices: dict[int, tuple[int, int]] = {
            int(p): (int(a), int(b)) for p, a, b in zip(self.chunk_of_group, self.first_rows, ends)}

    @classmethod
    def empty(cls, dim: int) -> SentenceVectors:
        none = np.zeros(0, dtype=np.int32)
        return cls(none, none, none, np.zeros((0, dim), dtype=np.float32))

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, chunk=self.chunk, start=self.start, end=self.end, vectors=self.vectors)

    @classmethod
    def load(cls, path: Path) -> SentenceVectors:
        data = np.load(path)
        return cls(data["chunk"], data["start"], data["end"], data["vectors"].astype(np.float32))

    def best_chunks(self, query: np.ndarray, n: int, allowed: np.ndarray | None, seen: set[int]) -> list[int]:
        """The ``n`` chunk positions whose best sentence is closest to ``query`` (small-to-big:
        a sentence is found, its chunk returned), skipping ``seen`` and chunks ``allowed`` rules out."""
        if not len(self.first_rows) or n <= 0:
            return []
        best = np.maximum.reduceat(np.einsum("ij,j->i", self.vectors, query), self.first_rows)
        if allowed is not None:
            best = np.where(allowed[self.chunk_of_group], best, -np.inf)
        reach = min(len(best), n + len(seen))  # enough groups to find n outside ``seen``
        top = np.argpartition(-best, reach - 1)[:reach]
        top = top[np.argsort(-best[top], kind="stable")]
        found = [int(p) for p, score in zip(self.chunk_of_group[top], best[top])
                 if np.isfinite(score) and int(p) not in seen]
        return found[:n]

    def best_per_chunk(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Max sentence cosine per chunk position (NaN where the chunk has no sentence vectors):
        one single-threaded product over the candidates' sentences (docs/performance.md)."""
        best = np.full(len(positions), np.nan, dtype=np.float32)
        spans = [self.slices.get(int(p)) for p in positions.tolist()]
        held = [i for i, span in enumerate(spans) if span]
        if not held:
            return best
        rows = np.concatenate([np.arange(*spans[i]) for i in held])
        scores = np.einsum("ij,j->i", self.vectors[rows], query)
        starts = np.cumsum([0] + [spans[i][1] - spans[i][0] for i in held[:-1]])
        best[held] = np.maximum.reduceat(scores, starts)
        return best


def sentence_file(backend: str) -> str:
    return f"sentences-{backend}.npz"


@dataclass
class LoadedIndex:
    """An index in memory: documents, chunks, the sparse index and dense indexes by backend."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    sparse: SparseIndex
    dense: dict[str, DenseIndex]
    sentences: dict[str, SentenceVectors] = field(default_factory=dict)


def current_path(index_dir: Path) -> Path:
    return index_dir / "current"


def write_jsonl(path: Path, records: list) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json())
            handle.write("\n")


def read_jsonl(path: Path, model: type) -> list:
    with path.open(encoding="utf-8") as handle:
        return [model.model_validate_json(line) for line in handle if line.strip()]


class BuildFolder:
    """A new build being written: ``builds/.<stamp>.partial`` until ``commit()``."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.builds = index_dir / "builds"
        self.builds.mkdir(parents=True, exist_ok=True)
        self.stamp = time.strftime("%Y%m%dT%H%M%S") + f".{time.time_ns() % 10**9:09d}-{os.getpid()}"
        self.path = self.builds / f".{self.stamp}.partial"
        self.path.mkdir()

    def commit(self, manifest: Manifest) -> Path:
        """Checksum every file, write the manifest, publish the build and swap it in."""
        manifest.checksums = checksums(self.path)
        (self.path / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        final = self.builds / self.stamp
        self.path.rename(final)
        swap(self.index_dir, final)
        prune(self.builds, keep=final)
        return final

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def swap(index_dir: Path, build: Path) -> None:
    """Point ``index_dir/current`` at ``build`` atomically."""
    link = current_path(index_dir)
    temporary = index_dir / f".current-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path("builds") / build.name)
    os.replace(temporary, link)


def prune(builds: Path, keep: Path) -> None:
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


def read_manifest(path: Path) -> Manifest:
    """The manifest of a build folder; IndexProblem when missing, unreadable or foreign."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(data)
    except (OSError, ValueError) as error:
        raise IndexProblem(f"{path / MANIFEST}: unreadable manifest ({error}); run `mgi build`") from error
    if manifest.format != FORMAT:
        raise IndexProblem(f"index format {manifest.format} != {FORMAT}: run `mgi build`")
    return manifest


def verify_files(path: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is there with its checksum, and nothing is unlisted."""
    expected = {"documents.jsonl", "chunks.jsonl", *(e.file for e in manifest.embedders.values())}
    listed = set(manifest.checksums)
    missing = sorted(name for name in expected if name not in listed)
    if missing or not any(name.startswith("bm25/") for name in listed):
        raise IndexProblem(
            f"index manifest in {path} lists no checksum for {', '.join(missing) or 'bm25/'}: "
            "cannot verify it; run `mgi build`"
        )
    for name, digest in manifest.checksums.items():
        file = path / name
        if not file.exists() or file_sha256(file) != digest:
            raise IndexProblem(f"index file {file} is missing or corrupted (checksum mismatch): run `mgi build`")


def load_index(index_dir: Path, verify_checksums: bool = True, load_dense: bool = True) -> LoadedIndex:
    """Load the current index, checking the manifest and file checksums."""
    path = current_path(index_dir).resolve() if current_path(index_dir).exists() else None
    if path is None or not (path / MANIFEST).exists():
        raise IndexProblem(f"no index in {index_dir}: run `mgi build` first")
    manifest = read_manifest(path)
    if verify_checksums:
        verify_files(path, manifest)
    try:
        documents = {d.id: d for d in read_jsonl(path / "documents.jsonl", Document)}
        chunks = read_jsonl(path / "chunks.jsonl", Chunk)
        sparse = SparseIndex.load(path / "bm25")
        dense = ({backend: DenseIndex.load(path / entry.file) for backend, entry in manifest.embedders.items()}
                 if load_dense else {})
    except Exception as error:  # noqa: BLE001 - any decoding problem is a corrupt index
        raise IndexProblem(f"index in {path} cannot be loaded ({error}); run `mgi build`") from error
    if sparse.num_docs != len(chunks) or any(d.size != len(chunks) for d in dense.values()):
        raise IndexProblem(f"index in {path} is inconsistent (vector and chunk counts differ); run `mgi build`")
    return LoadedIndex(path=path, manifest=manifest, documents=documents, chunks=chunks,
                       sparse=sparse, dense=dense, sentences=load_sentences(path, dense))


def load_sentences(path: Path, dense: dict[str, DenseIndex]) -> dict[str, SentenceVectors]:
    """The build's sentence vectors per backend, where it has them (older builds do not)."""
    found = {}
    for backend in dense:
        file = path / sentence_file(backend)
        if file.exists():
            try:
                found[backend] = SentenceVectors.load(file)
            except (OSError, ValueError, KeyError) as error:
                raise IndexProblem(f"index file {file} cannot be loaded ({error}); run `mgi build`") from error
    return found


def stale_documents(manifest: Manifest, documents_dir: Path) -> list[str]:
    """Files added, removed or changed in the documents folder since the index was built."""
    try:
        metas, _ = document_metas(documents_dir)
    except Exception as error:  # noqa: BLE001
        return [f"documents folder unreadable: {error}"]
    indexed = {d.file: d.sha256 for d in manifest.documents.values()}
    skipped = {s.file for s in manifest.skipped}
    current = {meta.file: meta.sha256 for meta in metas}
    changes = [f"{f}: changed" for f, h in current.items() if f in indexed and indexed[f] != h]
    changes += [f"{f}: new" for f in current if f not in indexed and f not in skipped]
    changes += [f"{f}: removed" for f in indexed if f not in current]
    return changes
