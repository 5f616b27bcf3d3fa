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
    from assistant.catalog import document_metas

    metas, _ = document_metas(DOCUMENTS)
    return {meta.id: meta for meta in metas}


@functools.cache
def _read(doc_id: str):
    from assistant.readers import read_document

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
