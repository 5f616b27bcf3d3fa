"""Which files are documents, their metadata and hashes (fast tier)."""

from __future__ import annotations

import json

import pytest

from assistant.ingest.catalog import CatalogError, document_metas, file_sha256


def test_catalogued_and_uncatalogued_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "profile.md").write_text("# A Migration Governance profile\n\nText.\n")
    (tmp_path / "note.md").write_text("# Ley de Prueba\n\nArtículo 1. Texto.\n")
    (tmp_path / ".hidden.md").write_text("# hidden\n")
    (tmp_path / "SOURCE.txt").write_text("metadata, not a document\n")
    (tmp_path / "catalog.json").write_text(json.dumps({"a/profile.md": {"id": "p", "title": "P", "kind": "novel"}}))
    metas, notes = document_metas(tmp_path)
    by_file = {m.file: m for m in metas}
    assert set(by_file) == {"a/profile.md", "note.md"}
    assert by_file["a/profile.md"].id == "p" and by_file["a/profile.md"].kind == "other"  # unknown kind
    assert by_file["note.md"].title == "Ley de Prueba" and by_file["note.md"].kind == "law"
    assert by_file["note.md"].sha256 == file_sha256(tmp_path / "note.md")
    assert notes == ["note.md: not in catalog.json; title taken from the file"]


def test_bad_catalog_and_missing_folder_name_the_path(tmp_path):
    (tmp_path / "catalog.json").write_text("[1, 2]")
    with pytest.raises(CatalogError, match="catalog must be a JSON object"):
        document_metas(tmp_path)
    with pytest.raises(CatalogError, match="does not exist"):
        document_metas(tmp_path / "nope")
