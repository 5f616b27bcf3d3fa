"""PDF reader on the real corpus PDFs and on small PDFs made here (no mocks)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from assistant.ingest.readers import ReaderError
from assistant.ingest.readers.pdf import read_pdf
from assistant.records import DocumentMeta

PAGE_COUNTS = {  # from each document's SOURCE.txt
    "ley-migracion": 72,
    "ley-refugiados": 23,
    "ley-general-poblacion": 32,
    "ley-general-educacion": 82,
    "ley-general-salud": 357,
    "cpeum": 402,
    "constitucion-cdmx": 240,
}


def make_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    """Write a real text PDF (Helvetica, WinAnsi) with the given lines on each page."""
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    }))
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        ops = ["BT", "/F1 10 Tf", "12 TL", "40 760 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*" if line else "T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if title:
        writer.add_metadata({"/Title": title})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def _meta(path: Path, **extra) -> DocumentMeta:
    return DocumentMeta(id=path.stem.lower(), file=path.name, title=extra.pop("title", path.stem), **extra)


@pytest.mark.parametrize("doc_id", sorted(PAGE_COUNTS))
def test_page_spans_cover_the_text(read_corpus_document, doc_id):
    document = read_corpus_document(doc_id)
    assert len(document.pages) == PAGE_COUNTS[doc_id]
    assert [page.number for page in document.pages] == list(range(1, PAGE_COUNTS[doc_id] + 1))
    assert document.pages[0].start == 0 and document.pages[-1].end == len(document.text)
    for before, after in zip(document.pages, document.pages[1:]):
        assert before.end == after.start  # contiguous: every character has one page
    assert "\n\n\n" not in document.text
    assert not any(line != line.rstrip() for line in document.text.split("\n"))
    assert document.meta.title and not document.warnings


def test_running_headers_and_page_numbers_removed(read_corpus_document):
    lines = set(read_corpus_document("ley-migracion").text.split("\n"))
    for header in ("Secretaría de Servicios Parlamentarios", "Secretaría General",
                   "CÁMARA DE DIPUTADOS DEL H. CONGRESO DE LA UNIÓN",
                   "Última Reforma DOF 15-01-2026"):
        assert header not in lines
    assert not any(re.fullmatch(r"\d+ de 72", line) for line in lines)
    text = read_corpus_document("ley-migracion").text
    assert text.startswith("LEY DE MIGRACIÓN")  # the law's own title stays (page 1 body)
    assert text.count("LEY DE MIGRACIÓN\n") < 5  # not once per page
    cdmx = read_corpus_document("constitucion-cdmx").text.split("\n")
    assert "INSTITUTO DE INVESTIGACIONES LEGISLATIVAS" not in cdmx
    assert cdmx.count("CONSTITUCIÓN POLÍTICA DE LA CIUDAD DE MÉXICO") <= 2  # title page, preamble


def test_page_at_matches_raw_pypdf_pages(read_corpus_document):
    """Pages found independently in pypdf's own per-page extraction agree with page_at."""
    document = read_corpus_document("ley-refugiados")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    source = Path(__file__).resolve().parent.parent / "documents/ley-refugiados/LRPCAP.pdf"
    raw_pages = [page.extract_text() for page in PdfReader(str(source)).pages]
    for phrase in ("Artículo 1. Las disposiciones de esta Ley",
                   "Artículo 13. La condición de refugiado", "Artículo 35 Bis. Los refugiados",
                   "ARTÍCULOS TRANSITORIOS DE DECRETOS DE REFORMA"):
        holding = [n for n, raw in enumerate(raw_pages, start=1) if phrase in raw]
        assert len(holding) == 1, phrase
        offset = document.text.index(phrase)
        assert document.page_at(offset) == holding[0]
        assert document.page_at(offset + len(phrase) - 1) == holding[0]
    # every page: its first line that is unique in the whole PDF maps back to that page
    raw_lines = [line.strip() for raw in raw_pages for line in raw.split("\n")]
    checked = 0
    for number, raw in enumerate(raw_pages, start=1):
        for line in (line.strip() for line in raw.split("\n")):
            if len(line) > 40 and raw_lines.count(line) == 1 and document.text.count(line) == 1:
                assert document.page_at(document.text.index(line)) == number
                checked += 1
                break
    assert checked >= 20
    assert document.page_at(-1) is None and document.page_at(len(document.text)) is None


def test_synthetic_pdf_headers_footers_title_and_page_join(tmp_path):
    words = ["uno", "dos", "tres", "cuatro"]
    pages = []
    for n, word in enumerate(words, start=1):
        pages.append(["LEY FICTICIA DE PRUEBA", "Última Reforma DOF 01-02-2024", "",
                      f"Texto {word} de esta hoja que", f"continúa en la hoja siguiente ({word})",
                      "", f"Página {n} de 4"])
    path = make_pdf(tmp_path / "ficticia.pdf", pages, title="Ley Ficticia (metadatos)")
    document = read_pdf(path, _meta(path))
    assert document.meta.title == "Ley Ficticia (metadatos)"  # uncatalogued: /Title
    assert "LEY FICTICIA DE PRUEBA" not in document.text
    assert "Página" not in document.text and "Última Reforma" not in document.text
    for n, word in enumerate(words, start=1):
        start = document.text.index(f"Texto {word} de esta hoja")
        assert document.page_at(start) == n
    assert "(uno)\nTexto dos" in document.text  # pages joined by a newline
    catalogued = read_pdf(path, _meta(path, title="Título del catálogo"))
    assert catalogued.meta.title == "Título del catálogo"
    untitled = make_pdf(tmp_path / "sin_titulo.pdf", [["Primera línea del texto", "más texto"]])
    assert read_pdf(untitled, _meta(untitled)).meta.title == "Primera línea del texto"


def test_zero_byte_file(tmp_path):
    path = tmp_path / "LMigra.pdf"
    path.write_bytes(b"")
    with pytest.raises(ReaderError, match="empty file"):
        read_pdf(path, _meta(path))


def test_not_a_pdf(tmp_path):
    path = tmp_path / "LMigra.pdf"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"LMigra\.pdf: not a PDF \(starts with b'hello'\)"):
        read_pdf(path, _meta(path))


def test_truncated_pdf(tmp_path):
    source = Path(__file__).resolve().parent.parent / "documents/ley-refugiados/LRPCAP.pdf"
    data = source.read_bytes()
    path = tmp_path / "LRPCAP.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError, match="corrupt or truncated"):
        read_pdf(path, _meta(path))


def _encrypted(tmp_path, text: str, user: str, owner: str | None, name: str):
    plain = make_pdf(tmp_path / "plain.pdf", [[text]])
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user, owner_password=owner)
    path = tmp_path / name
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_encrypted_pdf(tmp_path):
    path = _encrypted(tmp_path, "Artículo 1. Texto secreto", "secret", None, "cifrado.pdf")
    with pytest.raises(ReaderError, match="encrypted"):
        read_pdf(path, _meta(path))


def test_encrypted_with_empty_user_password_is_read(tmp_path):
    path = _encrypted(tmp_path, "Artículo 1. Texto legible", "", "owner", "abierto.pdf")
    assert "Texto legible" in read_pdf(path, _meta(path)).text


def test_scanned_pdf_without_text(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_blank_page(612, 792)
    path = tmp_path / "escaneado.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(ReaderError, match="no extractable text on any page"):
        read_pdf(path, _meta(path))


def test_too_many_pages(tmp_path):
    path = make_pdf(tmp_path / "largo.pdf", [[f"Hoja {n}"] for n in range(1, 6)])
    with pytest.raises(ReaderError, match=r"too many pages \(5; the limit is 3"):
        read_pdf(path, _meta(path), max_pages=3)
    assert len(read_pdf(path, _meta(path), max_pages=5).pages) == 5
