"""The documents folder: which files are documents, and their catalogue metadata.

Metadata comes from ``catalog.json`` in the documents folder (keyed by relative path). A file
without an entry still ingests: its title comes from PDF metadata or its first heading, its
kind and language from simple signals, and it is reported as uncatalogued.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from assistant.records import DOCUMENT_KINDS, DocumentMeta
from assistant.text import fold

CATALOG_FILE = "catalog.json"
DOCUMENT_SUFFIXES = {".pdf", ".md", ".txt"}
NOT_DOCUMENTS = {"SOURCE.txt", "README.md", "README.txt", CATALOG_FILE}


class CatalogError(Exception):
    """The catalog file is unreadable; the message names the file and the reason."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def slugify(text: str) -> str:
    """A lower-case, dash-separated id made of ASCII letters and digits."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "document"


def load_catalog(documents_dir: Path) -> dict[str, dict]:
    """Read ``catalog.json``; an absent file is an empty catalogue."""
    path = documents_dir / CATALOG_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogError(f"{path}: cannot read catalog: {error}") from error
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: catalog must be a JSON object keyed by file path")
    return data


def discover(documents_dir: Path) -> list[Path]:
    """Document files under the folder, sorted; hidden files and metadata files skipped."""
    if not documents_dir.is_dir():
        raise CatalogError(f"{documents_dir}: documents folder does not exist")
    found = []
    for path in sorted(documents_dir.rglob("*")):
        rel = path.relative_to(documents_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name in NOT_DOCUMENTS or path.suffix.lower() not in DOCUMENT_SUFFIXES:
            continue
        found.append(path)
    return found


def _guess_title(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        try:
            from pypdf import PdfReader

            title = (PdfReader(str(path)).metadata or {}).get("/Title")
            if title and str(title).strip():
                return str(title).strip()
        except Exception:  # noqa: BLE001 - any unreadable PDF falls back to the file name
            pass
    else:
        try:
            from assistant.ingest.readers import read_text_file

            for line in read_text_file(path)[0].splitlines():
                if line.strip():
                    return line.strip().lstrip("#").strip()[:200]
        except Exception:  # noqa: BLE001 - unreadable text falls back to the file name (the reader reports why)
            pass
    return path.stem.replace("_", " ").replace("-", " ")


def _guess_kind(title: str, suffix: str) -> str:
    lowered = title.lower()
    if "constitución" in lowered or "constitucion" in lowered:
        return "constitution"
    if lowered.startswith(("ley ", "código ", "codigo ", "reglamento ")) or " ley " in lowered:
        return "law"
    if "profile" in lowered or "migration governance" in lowered:
        return "profile"
    return "other" if suffix == ".pdf" else "report"


def document_metas(documents_dir: Path) -> tuple[list[DocumentMeta], list[str]]:
    """Metadata for every document file, plus notes about uncatalogued files."""
    catalog = load_catalog(documents_dir)
    metas: list[DocumentMeta] = []
    notes: list[str] = []
    used_ids: set[str] = set()
    for path in discover(documents_dir):
        rel = path.relative_to(documents_dir).as_posix()
        entry = dict(catalog.get(rel) or {})
        if not entry:
            title = _guess_title(path)
            entry = {"title": title, "kind": _guess_kind(title, path.suffix.lower())}
            notes.append(f"{rel}: not in {CATALOG_FILE}; title taken from the file")
        doc_id = entry.get("id") or slugify(
            path.parent.name if path.parent != documents_dir else path.stem
        )
        while doc_id in used_ids:
            doc_id = f"{doc_id}-{slugify(path.stem)}" if not doc_id.endswith(slugify(path.stem)) else doc_id + "-2"
        used_ids.add(doc_id)
        entry.update(id=doc_id, file=rel, sha256=file_sha256(path))
        entry.setdefault("title", path.stem)
        if entry.get("kind") not in DOCUMENT_KINDS:
            entry["kind"] = "other"
        metas.append(DocumentMeta(**entry))
    return metas, notes
