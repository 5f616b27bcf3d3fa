"""The law reader on small PDFs made here, one per defect seen on unseen federal compilations:
article suffixes outside any fixed list, thousands separators, one-word ordinals and levels
above Título, wrapped cross-references, and running headers on one- and two-page PDFs."""

from __future__ import annotations

from assistant.ingest.readers import read_document
from assistant.records import DocumentMeta
from tests.test_readers_pdf import make_pdf

HEADER = ["LEY FEDERAL DE PRUEBA", "", "CÁMARA DE DIPUTADOS DEL H. CONGRESO DE LA UNIÓN",
          "Secretaría General", "Secretaría de Servicios Parlamentarios",
          "Última Reforma DOF 23-04-2012", ""]


def _read(tmp_path, pages, name="ley.pdf"):
    path = make_pdf(tmp_path / name, pages)
    return read_document(path, DocumentMeta(id="ley", file=name, title="Ley", kind="law"))


def _labels(document):
    return [a.label for a in document.articles if not a.transitory]


def test_any_latin_ordinal_word_and_hyphenated_letter_suffix(tmp_path):
    document = _read(tmp_path, [[
        "Artículo 18-H.- Texto del dieciocho H.", "",
        "Artículo 18-H QUINTUS.- Texto del dieciocho H quintus.", "",
        "Artículo 26-LL.- Texto del veintiséis LL.", "", "Artículo 26-Ñ.- Texto del veintiséis Ñ.", "",
        "Artículo 30 Bis.- Texto del treinta bis.", "", "Artículo 30 Quintus.- Texto quintus.", "",
        "Artículo 30 Sextus.- Texto sextus.", "", "Artículo 30 Séptimus.- Texto séptimus.", "",
        "Artículo 30 Octies.- Texto octies.", "", "Artículo 31.- Texto del treinta y uno.",
    ]])
    assert _labels(document) == [
        "Artículo 18-H", "Artículo 18-H Quintus", "Artículo 26-LL", "Artículo 26-Ñ",
        "Artículo 30 Bis", "Artículo 30 Quintus", "Artículo 30 Sextus", "Artículo 30 Séptimus",
        "Artículo 30 Octies", "Artículo 31",
    ]
    for article in document.articles:  # each article holds only its own text
        assert document.text[article.start:article.end].count("Texto") == 1


def test_article_numbers_with_a_thousands_separator(tmp_path):
    document = _read(tmp_path, [[
        "Artículo 999.- Penúltimo.", "", "Artículo 1,000.- El artículo mil.", "",
        "Artículo 1,001.- El artículo mil uno, que cita el artículo 1, 2 y 3.",
    ]])
    assert [a.number for a in document.articles] == ["999", "1000", "1001"]
    assert document.text[document.articles[1].start:].startswith("Artículo 1,000.- El artículo mil.")


def test_one_word_ordinals_and_levels_above_titulo(tmp_path):
    document = _read(tmp_path, [[
        "TRATADO I", "DE LAS PERSONAS", "", "TITULO VIGESIMOPRIMERO", "DE LOS BIENES", "",
        "CAPÍTULO DECIMOSEGUNDO", "De la posesión", "", "Artículo 1.- Primero del tratado uno.", "",
        "TRATADO II", "DE LAS OBLIGACIONES", "", "LIBRO DECIMOCTAVO", "DE LOS CONTRATOS", "",
        "TÍTULO VIGÉSIMO SEGUNDO", "DE LA COMPRAVENTA", "", "Artículo 2.- Segundo, en el libro.",
    ]])
    shape = [(s.kind, s.title, s.level) for s in document.sections]
    assert shape == [
        ("tratado", "TRATADO I DE LAS PERSONAS", 1),
        ("titulo", "TITULO VIGESIMOPRIMERO DE LOS BIENES", 2),
        ("capitulo", "CAPÍTULO DECIMOSEGUNDO De la posesión", 3),
        ("tratado", "TRATADO II DE LAS OBLIGACIONES", 1),
        ("libro", "LIBRO DECIMOCTAVO DE LOS CONTRATOS", 2),
        ("titulo", "TÍTULO VIGÉSIMO SEGUNDO DE LA COMPRAVENTA", 3),
    ]
    first, second = document.articles
    assert first.path == ["TRATADO I DE LAS PERSONAS", "TITULO VIGESIMOPRIMERO DE LOS BIENES",
                          "CAPÍTULO DECIMOSEGUNDO De la posesión"]
    assert second.path[-1] == "TÍTULO VIGÉSIMO SEGUNDO DE LA COMPRAVENTA" and len(second.path) == 3


def test_wrapped_cross_reference_is_not_a_heading(tmp_path):
    document = _read(tmp_path, [[
        "Artículo 4o.- Las sanciones a que se refiere el",
        "Artículo 5o. Constitucional se aplicarán conforme al",
        "Artículo 6o. Bis de la ley anterior, y en el",
        "Capítulo II De las Sanciones de esta ley.", "",
        "Artículo 5o.- Texto propio del artículo cinco.", "",
        "Artículo 6o.- Texto propio del artículo seis.",
    ]])
    assert _labels(document) == ["Artículo 4o", "Artículo 5o", "Artículo 6o"]
    four = document.articles[0]
    assert document.text[four.start:four.end].endswith("De las Sanciones de esta ley.")
    assert not document.sections  # "Capítulo II" after "en el" is the same sentence


def test_compilation_header_removed_from_a_one_page_pdf(tmp_path):
    document = _read(tmp_path, [HEADER + [
        "LEY FEDERAL DE PRUEBA", "",
        "Nueva Ley publicada en el Diario Oficial de la Federación el 2 de enero de 2012", "",
        "Artículo 1.- Esta Ley es de orden público.", "", "Artículo 2.- Se aplica en toda la República.",
    ]])
    lines = [line for line in document.text.split("\n") if line]
    assert lines[:2] == ["LEY FEDERAL DE PRUEBA",  # the law's own title stays, once
                         "Nueva Ley publicada en el Diario Oficial de la Federación el 2 de enero de 2012"]
    for line in HEADER[2:6]:
        assert line not in document.text
    assert _labels(document) == ["Artículo 1", "Artículo 2"]


def test_running_lines_removed_from_a_two_page_pdf(tmp_path):
    pages = [
        ["GACETA MUNICIPAL DE PRUEBA", "Tomo 3 Número 12", "", "REGLAMENTO DE PRUEBA", "",
         "Artículo 1.- Primera hoja.", "", "Página 1 de 2"],
        ["GACETA MUNICIPAL DE PRUEBA", "Tomo 3 Número 12", "", "Artículo 2.- Segunda hoja.", "",
         "Página 2 de 2"],
    ]
    document = _read(tmp_path, pages)
    assert "GACETA" not in document.text and "Tomo" not in document.text
    assert "Página" not in document.text
    assert document.text.startswith("REGLAMENTO DE PRUEBA")
    assert document.page_at(document.text.index("Segunda hoja")) == 2
    assert _labels(document) == ["Artículo 1", "Artículo 2"]
    header_two = _read(tmp_path, [HEADER + ["Artículo 1.- Uno."], HEADER + ["Artículo 2.- Dos."]],
                       name="dos.pdf")
    assert header_two.text.replace("\n\n", "\n") == "Artículo 1.- Uno.\nArtículo 2.- Dos."


def test_two_pages_that_merely_start_alike_keep_their_text(tmp_path):
    document = _read(tmp_path, [
        ["Artículo 1.- Texto uno.", "Sigue el texto uno."],
        ["Artículo 2.- Texto dos, distinto.", "Sigue el texto dos."],
    ])
    assert document.text.replace("\n\n", "\n") == ("Artículo 1.- Texto uno.\nSigue el texto uno.\n"
                             "Artículo 2.- Texto dos, distinto.\nSigue el texto dos.")
