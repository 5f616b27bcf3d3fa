"""Law structure on the seven real Mexican compilations, plus synthetic texts in other styles."""

from __future__ import annotations

import re
import unicodedata

import pytest

from assistant.ingest.readers import read_document
from assistant.ingest.readers.law import NO_STRUCTURE, add_law_structure, is_reform_note
from assistant.records import Document, DocumentMeta
from tests.test_readers_pdf import make_pdf

LAWS = ["ley-migracion", "ley-refugiados", "ley-general-poblacion", "ley-general-educacion",
        "ley-general-salud", "cpeum", "constitucion-cdmx", "ley-nacionalidad",
        "ley-federal-discriminacion", "ley-general-proteccion-civil", "ley-infonavit",
        "ley-organica-apf", "ley-vivienda"]

# Independent count, one regex over the whole text (not the reader's line classifiers): an
# article heading is a line "Artículo <n>[o]" — the number may carry a thousands separator
# ("1,000") — then any run of suffixes: a Latin ordinal-like word (bis, ter, quáter, a word
# ending in -ies or -us: "Quinquies", "Quintus", "Séptimus"), a hyphenated capital letter
# ("-A", "-LL", "-Ñ"), a number or a capital letter ("77 bis 16 A"); then "." / "-" / end of
# line, not continued in lower case ("Artículo 5 de esta Ley" is prose). A match whose line
# above ends in an article or preposition ("... fracción XII del" / "Artículo 123
# Constitucional.") is a wrapped cross-reference. The main body ends at the first line that is
# just a transitorios heading.
_SUFFIX = r"(?:[ -](?i:bis|ter|qu[aá]ter|[a-zé]+ies|[a-zé]+us)|-(?:LL|[A-ZÑ])|[ -]\d{1,2}|[ ][A-Z])"
_HEAD = re.compile(
    r"^[ \t]*(?:Art[íi]culo|ART[ÍI]CULO)\s+(?:\d{1,3}(?:,\d{3})+|\d+)(?:o|º)?\.?"
    rf"(?:{_SUFFIX})*[ \t]*(?:\.[ \t]*-?|-|$)[ \t]*(?![a-z])",
    re.MULTILINE,
)
_WRAPPED = re.compile(
    r"(?:^|\s)(?:el|la|los|las|lo|al|del|de|en|a|por|para|con|conforme|refiere|según|sobre)"
    r"[ \t]*\n[ \t]*\Z"
)
_TRANSITORIOS = re.compile(
    r"^[ \t]*(?:ART[ÍI]CULOS |Art[íi]culos )?(?:TRANSITORIOS?|Transitorios?)(?: DEL DECRETO.*)?[ \t]*$",
    re.MULTILINE,
)
# (highest number, articles with a suffix): each law's numbered articles run 1..N with no gap,
# plus Bis/Ter/Quintus… articles. Counted with the regex above and checked by reading the
# lists of non-plain numbers (e.g. LFPED's 15 Bis … 15 Novenus, 63 Bis … 63 Octavus).
EXPECTED_MAIN = {"ley-migracion": (162, 0), "ley-refugiados": (76, 3),
                 "ley-general-poblacion": (157, 8), "ley-general-educacion": (181, 2),
                 "ley-general-salud": (482, 224), "cpeum": (136, 0), "constitucion-cdmx": (71, 0),
                 "ley-nacionalidad": (37, 0), "ley-federal-discriminacion": (88, 24),
                 "ley-general-proteccion-civil": (94, 0), "ley-infonavit": (71, 24),
                 "ley-organica-apf": (56, 16), "ley-vivienda": (97, 0)}


def _independent_heads(text: str, end: int) -> list[re.Match]:
    return [m for m in _HEAD.finditer(text, 0, end)
            if not _WRAPPED.search(text[max(0, m.start() - 40):m.start()])]


def _main(document):
    return [a for a in document.articles if not a.transitory]


def _fracciones(article) -> list[str]:
    return [d.label for d in article.divisions if d.kind == "fraccion"]


def _doc(text: str) -> Document:
    return Document(meta=DocumentMeta(id="x", file="x.pdf", title="x", kind="law"), text=text)


@pytest.mark.parametrize("doc_id", LAWS)
def test_main_body_article_count_matches_independent_count(read_corpus_document, doc_id):
    document = read_corpus_document(doc_id)
    text = document.text
    first = _independent_heads(text, len(text))[0]
    body_end = _TRANSITORIOS.search(text, first.end()).start()
    heads = _independent_heads(text, body_end)
    main = _main(document)
    assert len(main) == len(heads)
    assert [a.start for a in main] == [m.start() + len(m[0]) - len(m[0].lstrip()) for m in heads]
    highest, extra = EXPECTED_MAIN[doc_id]
    assert len(main) == highest + extra
    bases = {int(re.match(r"\d+", a.number).group()) for a in main}
    assert bases == set(range(1, highest + 1))
    assert sum(1 for a in main if not re.fullmatch(r"\d+o?", a.number)) == extra
    assert all(a.end <= body_end for a in main)


@pytest.mark.parametrize("doc_id", LAWS)
def test_articles_are_ordered_disjoint_and_labelled(read_corpus_document, doc_id):
    document = read_corpus_document(doc_id)
    text = document.text
    articles = document.articles
    assert not any(NO_STRUCTURE in w for w in document.warnings)
    for before, after in zip(articles, articles[1:]):
        assert before.end <= after.start
    for article in articles:
        assert 0 <= article.start < article.end <= len(text)
        assert article.label.endswith(article.number)
        assert text[article.start:article.end] == text[article.start:article.end].strip()
    main = _main(document)
    keys = [(int(re.match(r"\d+", a.number).group()), a.number) for a in main]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)  # increasing in the main body
    assert len({a.number for a in main}) == len(main)  # no label merged or repeated
    first_transitory = next(a for a in articles if a.transitory)
    assert all(a.transitory for a in articles[articles.index(first_transitory):])
    for article in articles:
        if article.transitory:
            assert article.path and "TRANSITORI" in article.path[0].upper()
        else:
            assert not article.path or "TRANSITORI" not in article.path[0].upper()
    for article in main[:: max(1, len(main) // 25)]:
        assert document.article_at(article.start) == article
        assert document.article_at(article.end - 1) == article


def _fold(text: str) -> str:
    """Case, accents, "º"/"°", thousands commas and punctuation/space runs folded away."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("º", "o").replace("°", "o"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s.,-]+", " ", re.sub(r"(?<=\d),(?=\d{3})", "", text)).strip()


@pytest.mark.parametrize("doc_id", LAWS)
def test_no_label_shared_unless_the_pdf_repeats_it(read_corpus_document, doc_id):
    """Main-body labels are unique; every article (transitorios too, where each decree numbers
    its own "Primero", "Segundo" ...) starts with its own label as printed, so a label shared by
    two articles is one the PDF prints twice, never one merged or made up by the reader."""
    document = read_corpus_document(doc_id)
    main = _main(document)
    assert len({a.label for a in main}) == len(main)
    for article in document.articles:
        printed = _fold(document.text[article.start:article.start + len(article.label) + 12])
        assert printed.startswith(_fold(article.label)), (article.label, printed)


@pytest.mark.parametrize("doc_id", LAWS)
def test_sections_nest_and_lie_in_text(read_corpus_document, doc_id):
    document = read_corpus_document(doc_id)
    assert document.sections
    for section in document.sections:
        assert 0 <= section.start < section.end <= len(document.text)
        assert section.kind in {"tratado", "parte", "libro", "titulo", "capitulo", "seccion",
                                "transitorios"}
        assert section.path[-1] == section.title and len(section.path) == section.level
        heading = document.text[section.start:section.end].split("\n", 1)[0]
        assert section.title.startswith(" ".join(heading.split()))
    body = [s for s in document.sections if s.kind != "transitorios"]
    text = document.text
    body_end = _TRANSITORIOS.search(text, _independent_heads(text, len(text))[0].end()).start()
    printed = re.search(r"(?m)^[ \t]*(?:CAP[ÍI]TULO|Cap[íi]tulo) +[IVXLCÚUPSTDO]", text[:body_end])
    # LGP has capítulos but no títulos; the INFONAVIT law prints no heading in its body
    assert any(s.kind == "capitulo" for s in body) == bool(printed)
    assert any(s.kind == "transitorios" for s in document.sections)


def test_ley_migracion_spot_checks(read_corpus_document):
    document = read_corpus_document("ley-migracion")
    by_label = {a.label: a for a in _main(document)}
    article = by_label["Artículo 8"]
    body = document.text[article.start:article.end]
    assert body.startswith("Artículo 8. Los migrantes podrán acceder a los servicios educativos")
    assert "atención médica" in body and "Artículo 9" not in body
    assert article.path == ["TÍTULO SEGUNDO DERECHOS Y OBLIGACIONES DE LOS MIGRANTES",
                            "CAPÍTULO ÚNICO DERECHOS Y OBLIGACIONES"]
    assert document.sections[0].title == "TÍTULO PRIMERO DISPOSICIONES PRELIMINARES"
    assert document.sections[0].kind == "titulo" and document.sections[1].level == 2
    # the decree's "ARTÍCULO PRIMERO. Se expide la Ley" before the law is not an article
    assert document.articles[0].label == "Artículo 1"
    transitory = [a for a in document.articles if a.transitory]
    assert transitory[0].label == "Primero" and transitory[0].path == ["TRANSITORIOS"]
    assert document.text[transitory[0].start:].startswith("PRIMERO. La Ley de Migración entrará")
    assert "Artículo Único" in {a.label for a in transitory}
    decree = next(a for a in transitory if a.label == "Artículo Único")
    assert decree.path[0] == "ARTÍCULOS TRANSITORIOS DE DECRETOS DE REFORMA"
    assert decree.path[1].startswith("DECRETO por el que se reforma y adiciona el artículo 112")
    assert sum(a.label == "Primero" for a in transitory) > 5  # repeated labels stay separate
    # article 3's definitions: fracciones I..XXX in order
    labels = _fracciones(by_label["Artículo 3"])
    assert labels[:3] == ["I", "II", "III"] and "XIX" in labels


def test_cpeum_spot_checks(read_corpus_document):
    document = read_corpus_document("cpeum")
    by_label = {a.label: a for a in _main(document)}
    first = by_label["Artículo 1o"]
    assert first.number == "1o"
    assert document.text[first.start:].startswith("Artículo 1o. En los Estados Unidos Mexicanos")
    assert first.path == ["Título Primero", "Capítulo I De los Derechos Humanos y sus Garantías"]
    article = by_label["Artículo 73"]
    assert document.text[article.start:].startswith("Artículo 73. El Congreso tiene facultad:")
    assert article.path[-1] == "Sección III De las Facultades del Congreso"
    spans = [(d.label, d.start, d.end) for d in article.divisions if d.kind == "fraccion"]
    labels = [label for label, *_ in spans]
    assert labels[:5] == ["I", "II", "III", "IV", "V"]
    assert "XXIX-E" in labels and labels.index("XXIX-E") == labels.index("XXIX") + 5
    for (_, start, end), (_, next_start, _) in zip(spans, spans[1:]):
        assert article.start < start < end <= next_start <= article.end
    label, start, end = spans[labels.index("XXIX-E")]
    assert document.text[start:end].startswith("XXIX-E.")
    assert by_label["Artículo 26"].number == "26"  # "Artículo 26." alone on its line
    transitory = [a for a in document.articles if a.transitory]
    assert transitory[0].label == "Artículo Primero"
    assert transitory[0].path == ["Artículos Transitorios"]


def test_cdmx_constitution_spot_checks(read_corpus_document):
    document = read_corpus_document("constitucion-cdmx")
    by_label = {a.label: a for a in _main(document)}
    assert len(by_label) == 71
    article = by_label["Artículo 11"]
    body = document.text[article.start:article.end]
    assert body.startswith("ARTÍCULO 11\nCiudad incluyente")
    assert "I. Derechos de las personas migrantes y sujetas de protección internacional" in body
    assert article.path == ["TÍTULO SEGUNDO CARTA DE DERECHOS", "CAPÍTULO II DE LOS DERECHOS HUMANOS"]
    transitory = [a for a in document.articles if a.transitory]
    assert transitory[0].label == "Primero"
    assert transitory[0].path[0].startswith("TRANSITORIOS DEL DECRETO POR EL QUE SE EXPIDE LA")


def test_bis_articles_are_separate(read_corpus_document):
    salud = read_corpus_document("ley-general-salud")
    numbers = [a.number for a in _main(salud)]
    for number in ("1o", "1o Bis", "17", "17 Bis", "17 Bis 1", "17 Bis 2", "77 Bis 16 A"):
        assert numbers.count(number) == 1, number
    assert numbers.index("17 Bis") < numbers.index("17 Bis 1") < numbers.index("17 Bis 2")
    refugiados = [a.label for a in _main(read_corpus_document("ley-refugiados"))]
    assert refugiados.index("Artículo 14") + 1 == refugiados.index("Artículo 14 Bis")
    assert refugiados.index("Artículo 14 Bis") + 1 == refugiados.index("Artículo 14 Ter")


def test_reform_notes_are_recognised(read_corpus_document):
    for line in ("Párrafo reformado DOF 04-05-2021", "Fracción adicionada DOF 11-11-2020. Recorrida DOF 27-05-2024",
                 "Artículo reformado DOF 27-05-1987, 09-04-2012", "Denominación del Capítulo reformada DOF 10-06-2011",
                 "Fe de erratas al párrafo DOF 09-03-1993. Reformado DOF 12-11-2002",
                 "Reforma DOF 14-08-2001: Derogó del artículo el entonces párrafo primero",
                 "(REFORMADO, P.O. 15 DE MARZO DE 2019)"):
        assert is_reform_note(line), line
    for line in ("Artículo 8. Los migrantes podrán acceder a los servicios educativos",
                 "Los migrantes tendrán derecho a recibir cualquier tipo de atención médica",
                 "Artículo 73 de la Constitución Política de los Estados Unidos Mexicanos.", ""):
        assert not is_reform_note(line), line
    document = read_corpus_document("ley-migracion")
    article = next(a for a in document.articles if a.label == "Artículo 2")
    lines = document.text[article.start:article.end].split("\n")
    assert "Párrafo reformado DOF 04-05-2021" in lines  # kept in the stored text
    assert sum(map(is_reform_note, lines)) >= 3


def test_other_styles_of_headings():
    text = "\n".join([
        "LEY DE PRUEBA DEL ESTADO", "", "LIBRO PRIMERO", "PARTE GENERAL", "", "TÍTULO PRELIMINAR", "",
        "ARTÍCULO 1.- Esta ley es de orden público.", "",
        "Art. 2o.- Las autoridades aplicarán el", "Artículo 5 de la ley estatal, y el", "",
        "Artículo 3° Bis.- Texto del tres bis.", "", "CAPÍTULO I Bis", "De las personas", "",
        "Artículo 4-A. Para efectos del Título", "Segundo Transitorio del decreto.", "",
        "Artículo 400. Una línea que parece encabezado pero rompe la secuencia.", "",
        "Artículo 5.", "I. Primera fracción;", "II. Segunda fracción, y", "III. Tercera.",
        "Fracción reformada P.O. 01-02-2020", "", "T R A N S I T O R I O S", "",
        "PRIMERO.- Entrará en vigor mañana.", "SEGUNDO.- Se derogan las anteriores.",
    ])
    document = add_law_structure(_doc(text))
    labels = [(a.label, a.transitory) for a in document.articles]
    assert labels == [("Artículo 1", False), ("Artículo 2o", False), ("Artículo 3o Bis", False),
                      ("Artículo 4-A", False), ("Artículo 5", False), ("Primero", True),
                      ("Segundo", True)]
    kinds = [(s.kind, s.title, s.level) for s in document.sections]
    assert kinds == [("libro", "LIBRO PRIMERO PARTE GENERAL", 1), ("titulo", "TÍTULO PRELIMINAR", 2),
                     ("capitulo", "CAPÍTULO I Bis De las personas", 3),
                     ("transitorios", "TRANSITORIOS", 1)]
    four = document.articles[3]
    assert "rompe la secuencia" in text[four.start:four.end]  # the outlier stays inside art. 4-A
    assert four.path == ["LIBRO PRIMERO PARTE GENERAL", "TÍTULO PRELIMINAR", "CAPÍTULO I Bis De las personas"]
    five = document.articles[4]
    assert _fracciones(five) == ["I", "II", "III"]
    assert text[five.start:five.end].endswith("Fracción reformada P.O. 01-02-2020")


def test_structureless_pdf_ingests_by_page_with_warning(tmp_path):
    path = make_pdf(tmp_path / "informe.pdf", [
        ["Informe anual", "Este documento no tiene artículos.", "Solo texto corrido."],
        ["Segunda hoja con más texto corrido", "y una conclusión."],
    ])
    meta = DocumentMeta(id="informe", file="informe.pdf", title="Informe", kind="other")
    document = read_document(path, meta)
    assert NO_STRUCTURE in document.warnings
    assert document.articles == [] and document.sections == []
    assert len(document.pages) == 2 and "Segunda hoja" in document.text
    assert document.article_at(0) is None
