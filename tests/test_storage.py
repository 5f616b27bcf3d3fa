"""The index folder: write, checksum, swap, load, verify, prune, staleness (fast tier)."""

from __future__ import annotations

import json

import pytest

from assistant.storage import (
    BuildFolder,
    IndexProblem,
    current_path,
    load_index,
    read_manifest,
    stale_documents,
    write_jsonl,
)
from tests.tiny import tiny_index


def write_tiny(index_dir):
    index = tiny_index()
    folder = BuildFolder(index_dir)
    write_jsonl(folder.path / "documents.jsonl", list(index.documents.values()))
    write_jsonl(folder.path / "chunks.jsonl", index.chunks)
    index.sparse.save(folder.path / "bm25")
    index.dense["fake"].save(folder.path / "dense-fake.faiss")
    return folder.commit(index.manifest)


def test_commit_swaps_current_and_load_reads_it_back(tmp_path):
    build = write_tiny(tmp_path)
    assert current_path(tmp_path).resolve() == build.resolve()
    loaded = load_index(tmp_path)
    assert len(loaded.chunks) == 4 and loaded.sparse.num_docs == 4 and loaded.dense["fake"].size == 4
    for chunk in loaded.chunks:
        assert loaded.documents[chunk.document_id].text[chunk.start:chunk.end] == chunk.text
    assert set(read_manifest(build).checksums) >= {"documents.jsonl", "chunks.jsonl", "dense-fake.faiss"}


def test_a_corrupted_file_is_caught_by_its_checksum(tmp_path):
    build = write_tiny(tmp_path)
    with (build / "chunks.jsonl").open("a") as handle:
        handle.write("\n")
    with pytest.raises(IndexProblem, match="checksum mismatch"):
        load_index(tmp_path)


def test_a_manifest_without_checksums_is_refused_not_an_index_error(tmp_path):
    build = write_tiny(tmp_path)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["checksums"] = {}
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexProblem, match="cannot verify"):
        load_index(tmp_path)


def test_missing_and_foreign_indexes(tmp_path):
    with pytest.raises(IndexProblem, match="no index"):
        load_index(tmp_path)
    build = write_tiny(tmp_path)
    (build / "manifest.json").write_text('{"format": 99}')
    with pytest.raises(IndexProblem, match="format 99"):
        load_index(tmp_path)


def test_newest_two_builds_are_kept_and_partials_of_dead_builds_removed(tmp_path):
    builds = [write_tiny(tmp_path) for _ in range(3)]
    (tmp_path / "builds" / ".20000101T000000.000000000-999999999.partial").mkdir()
    write_tiny(tmp_path)
    kept = sorted(p.name for p in (tmp_path / "builds").iterdir())
    assert len(kept) == 2 and builds[0].name not in kept


def test_stale_documents_names_new_changed_and_removed_files(tmp_path):
    documents = tmp_path / "docs"
    documents.mkdir()
    (documents / "profile.md").write_text("# Profile\n\nText about migrants.\n")
    (documents / "note.md").write_text("# Note\n\nA new document about shelters.\n")
    write_tiny(tmp_path / "index")
    manifest = load_index(tmp_path / "index").manifest
    assert sorted(stale_documents(manifest, documents)) == ["law.pdf: removed", "note.md: new",
                                                            "profile.md: changed"]
