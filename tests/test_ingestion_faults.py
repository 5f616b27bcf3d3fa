"""Ingestion faults: `mgi build` skips or handles every broken file, with a reason, and
still indexes the good documents.

The folder holds one real law PDF (the good document) next to: a zero-byte PDF, a truncated
PDF, an encrypted PDF, a text file named .pdf, a 10,000-page PDF (one real page cloned),
a latin-1 .md and a UTF-16 .md. The 10,000-page PDF is refused by the page cap
(``settings.max_pages``) after pypdf counts its pages, before any text is extracted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DOCUMENTS, ROOT, make_documents_dir

GOOD = "ley-refugiados"
LATIN1_TEXT = (
    "# Informe de prueba sobre la migración\n\n"
    "La Secretaría de Inclusión atiende a las personas migrantes en la Ciudad de México y "
    "garantiza el acceso a la educación, la salud y la vivienda sin discriminación alguna.\n\n"
    "El programa de atención a niñas, niños y adolescentes migrantes no acompañados ofrece "
    "albergue, orientación jurídica y acompañamiento psicológico durante el trámite.\n"
)
UTF16_TEXT = (
    "# Informe codificado en UTF-16\n\n"
    "Las oficinas de atención al migrante (OAM) expiden constancias de identidad para que "
    "las personas extranjeras abran cuentas bancarias y accedan a servicios públicos.\n"
)


def _good_pdf() -> Path:
    return next((DOCUMENTS / GOOD).glob("*.pdf"))


def make_faults(folder: Path) -> dict[str, str]:
    """Write the broken files; return {file: expected reason words} for the skipped ones."""
    from pypdf import PdfReader, PdfWriter

    source = _good_pdf().read_bytes()
    (folder / "zero.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(source[: len(source) // 3])
    (folder / "notapdf.pdf").write_text("This is a plain text file with a .pdf name.\n" * 20)

    writer = PdfWriter(clone_from=PdfReader(str(_good_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with (folder / "encrypted.pdf").open("wb") as handle:
        writer.write(handle)

    page = PdfReader(str(_good_pdf())).pages[3]
    big = PdfWriter()
    big.add_page(page)
    for _ in range(9_999):  # the same page object 10,000 times: a small file, 10,000 pages
        big.add_page(big.pages[0])
    with (folder / "huge.pdf").open("wb") as handle:
        big.write(handle)

    (folder / "latin1.md").write_bytes(LATIN1_TEXT.encode("latin-1"))
    (folder / "utf16.md").write_bytes(UTF16_TEXT.encode("utf-16"))
    return {
        "zero.pdf": "empty file",
        "truncated.pdf": "truncated",
        "notapdf.pdf": "not a PDF",
        "encrypted.pdf": "encrypted",
        "huge.pdf": "too many pages",
    }


@pytest.fixture(scope="module")
def faulty_build(tmp_path_factory):
    """Run the real `mgi build` over the faulty folder; return (result, settings, expected)."""
    from assistant.settings import get_settings

    base = tmp_path_factory.mktemp("faults")
    documents = make_documents_dir(base / "documents", ids=(GOOD,))
    expected = make_faults(documents)
    settings = get_settings(documents_dir=documents, index_dir=base / "index",
                            cache_dir=ROOT / ".cache", embedder="sentence-transformers")
    env = {**os.environ, "MGI_CACHE_DIR": str(settings.cache_dir), "MGI_EMBEDDER": settings.embedder}
    script = Path(sys.executable).parent / "mgi"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]
    result = subprocess.run(
        [*command, "build", "-q", "--documents", str(documents), "--index", str(settings.index_dir)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    return result, settings, expected


def test_build_finishes_and_reports_each_skipped_file(faulty_build):
    result, settings, expected = faulty_build
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    manifest = json.loads((settings.index_dir / "current" / "manifest.json").read_text())
    reasons = {item["file"]: item["reason"] for item in manifest["skipped"]}
    for name, words in expected.items():
        assert name in reasons, f"{name} was not skipped: {manifest['documents'].keys()}"
        assert words.lower() in reasons[name].lower(), reasons[name]
        assert f"skipped {name}: " in result.stderr
    assert "indexed 3 documents" in result.stdout


def test_good_documents_and_odd_encodings_are_indexed(faulty_build):
    from assistant.core import Assistant

    _, settings, _ = faulty_build
    assistant = Assistant.open(settings)
    by_file = {d.meta.file: d for d in assistant.documents.values()}
    assert set(by_file) == {next(iter(f for f in by_file if f.startswith(GOOD))), "latin1.md", "utf16.md"}
    latin1, utf16 = by_file["latin1.md"], by_file["utf16.md"]
    assert "migración" in latin1.text and "Secretaría de Inclusión" in latin1.text
    assert "\ufffd" not in latin1.text and "\x00" not in utf16.text
    assert "oficinas de atención al migrante" in utf16.text
    assert latin1.meta.title == "Informe de prueba sobre la migración"
    assert any("cp1252" in w for w in latin1.warnings) and any("utf-16" in w for w in utf16.warnings)
    answer = assistant.ask("¿Qué expiden las oficinas de atención al migrante?")
    assert any(p.document.id == utf16.id for p in answer.retrieved)
    refugee_law = next(d for d in assistant.documents.values() if d.meta.file.startswith(GOOD))
    assert refugee_law.articles, "the good PDF lost its structure"


def test_page_cap_refuses_before_extracting(tmp_path):
    """The cap is checked on the page count, so a 10,000-page PDF costs a count, not a read."""
    from assistant.ingest.readers import ReaderError
    from assistant.ingest.readers.pdf import read_pdf
    from assistant.records import DocumentMeta

    make_faults(tmp_path)
    meta = DocumentMeta(id="huge", file="huge.pdf", title="huge")
    with pytest.raises(ReaderError, match=r"too many pages \(10000; the limit is 500"):
        read_pdf(tmp_path / "huge.pdf", meta, max_pages=500)


def test_binary_md_is_refused(tmp_path):
    from assistant.ingest.readers import ReaderError, read_text_file

    (tmp_path / "blob.md").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ReaderError, match="not a text file"):
        read_text_file(tmp_path / "blob.md")
    (tmp_path / "empty.md").write_bytes(b"  \n")
    with pytest.raises(ReaderError, match="empty"):
        read_text_file(tmp_path / "empty.md")
