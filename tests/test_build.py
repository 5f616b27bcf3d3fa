"""Index build, manifest, incremental rebuild, staleness and corruption detection."""

from __future__ import annotations

import pytest

from assistant.ingest.build import build_index
from assistant.storage import IndexProblem, load_index, stale_documents
from assistant.settings import get_settings

from .conftest import ROOT, make_documents_dir


def test_manifest_names_model_dimension_chunker_and_hashes(built_index_settings):
    index = load_index(built_index_settings.index_dir)
    manifest = index.manifest
    assert manifest.chunker_version and manifest.reader_version
    info = manifest.embedders["sentence-transformers"]
    assert info.dim == 384 and "MiniLM" in info.model
    assert set(manifest.documents) == {"mgi-mexico-city-2022", "ley-migracion", "ley-refugiados"}
    for entry in manifest.documents.values():
        assert len(entry.sha256) == 64
    assert index.dense["sentence-transformers"].size == len(index.chunks)
    assert stale_documents(manifest, built_index_settings.documents_dir) == []


@pytest.fixture()
def small_corpus(tmp_path):
    docs = make_documents_dir(tmp_path / "docs", ids=("mgi-mexico-city-2022",))
    return get_settings(documents_dir=docs, index_dir=tmp_path / "index", cache_dir=ROOT / ".cache",
                        embedder="sentence-transformers")


def test_incremental_rebuild_skips_broken_pdf_and_keeps_previous(small_corpus):
    first = build_index(small_corpus, progress=False)
    assert first.documents == ["mgi-mexico-city-2022"] and not first.skipped
    before = load_index(small_corpus.index_dir)
    (small_corpus.documents_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    second = build_index(small_corpus, progress=False)
    assert second.reused == ["mgi-mexico-city-2022"]
    assert [s["file"] for s in second.skipped] == ["broken.pdf"]
    assert second.skipped[0]["reason"]
    after = load_index(small_corpus.index_dir)
    assert after.path != before.path
    assert len(after.chunks) == len(before.chunks)
    assert second.embedded["sentence-transformers"]["encoded"] == 0  # all from the cache


def test_stale_and_corrupt_index_are_detected(small_corpus):
    from assistant.core import Assistant

    build_index(small_corpus, progress=False)
    profile = small_corpus.documents_dir / "mgi-mexico-city-2022" / "profile.md"
    profile.write_text(profile.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    served = Assistant.open(small_corpus)  # the last good index is served, flagged stale
    assert served.index_state["stale"] and served.index_state["changes"]
    with pytest.raises(IndexProblem, match="stale"):
        Assistant.open(small_corpus.model_copy(update={"serve_stale_index": False}))
    index = load_index(small_corpus.index_dir)
    chunks_file = index.path / "chunks.jsonl"
    chunks_file.write_text(chunks_file.read_text(encoding="utf-8").replace("Mexico", "Mexicx", 1))
    with pytest.raises(IndexProblem, match="checksum"):
        load_index(small_corpus.index_dir)
    build_index(small_corpus, progress=False)  # the rebuild path repairs it
    assert load_index(small_corpus.index_dir).chunks


def test_missing_index_message(tmp_path):
    with pytest.raises(IndexProblem, match="mgi build"):
        load_index(tmp_path / "nothing")


def test_interrupted_build_leaves_last_good_index(small_corpus, monkeypatch):
    import assistant.ingest.build as index_module

    build_index(small_corpus, progress=False)
    good = load_index(small_corpus.index_dir).path

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(index_module.SparseIndex, "build", boom)
    (small_corpus.documents_dir / "note.md").write_text("# NOTE\n\nA short extra document about shelters.\n")
    with pytest.raises(RuntimeError):
        build_index(small_corpus, progress=False)
    assert load_index(small_corpus.index_dir).path == good
    assert not list((small_corpus.index_dir / "builds").glob(".*.partial"))


def test_unchanged_corpus_is_up_to_date(small_corpus):
    build_index(small_corpus, progress=False)
    before = load_index(small_corpus.index_dir).path
    again = build_index(small_corpus, progress=False)
    assert "index is up to date" in again.notes
    assert load_index(small_corpus.index_dir).path == before


def test_large_corpora_use_hnsw_and_filters_still_work(small_corpus):
    from assistant.core import Assistant
    from assistant.records import Filters

    settings = small_corpus.model_copy(update={"hnsw_threshold": 10})
    build_index(settings, progress=False)
    assistant = Assistant.open(settings)
    assert assistant.index.dense["sentence-transformers"].is_graph
    passages = assistant.search("health services for migrants", k=5, retriever="dense",
                                filters=Filters(kind=["profile"]))
    assert len(passages) == 5 and all(p.document.kind == "profile" for p in passages)
    answer = assistant.ask("Do migrants have access to health services in Mexico City?")
    assert answer.citations and not answer.refused


def test_files_are_read_in_parallel_and_broken_ones_report_their_reason(tmp_path):
    from assistant.ingest.build import read_files
    from assistant.ingest.catalog import document_metas

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nMigrants and shelters.\n")
    (docs / "b.md").write_text("# B\n\nHealth services.\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    metas, _ = document_metas(docs)
    for workers in (1, 2):
        settings = get_settings(documents_dir=docs, read_workers=workers)
        results = {meta.file: result for meta, result in read_files(settings, metas, progress=False)}
        assert set(results) == {"a.md", "b.md", "broken.pdf"}
        assert "Migrants and shelters." in results["a.md"].text
        assert isinstance(results["broken.pdf"], str) and results["broken.pdf"]
