"""Divisions inside articles (apartados, fracciones, numerales, incisos) and locators, on the
two constitutions and two laws of the corpus, checked against the stored text, and on small
synthetic texts for the outline rules."""

from __future__ import annotations

import re

import pytest

from assistant.ingest.readers.law import add_law_structure, locator
from assistant.ingest.readers.law_divisions import roman_value
from assistant.records import Document, DocumentMeta

DOCS = ["cpeum", "constitucion-cdmx", "ley-general-salud", "ley-migracion"]


def _doc(text: str) -> Document:
    return Document(meta=DocumentMeta(id="x", file="x.pdf", title="x", kind="law"), text=text)


def _article(document: Document, label: str):
    return next(a for a in document.articles if a.label == label and not a.transitory)


def _at(document: Document, phrase: str) -> str:
    assert document.text.count(phrase) == 1, phrase
    return locator(document, document.text.index(phrase))


def _key(kind: str, label: str) -> tuple[int, str]:
    """Sequence position of a label: roman value, number or letter; then its suffix."""
    base = re.match(r"[IVXLC]+|\d+|[A-Za-zñÑ]+", label).group()
    rest = label[len(base):].replace("Ñ", "N~")  # Ñ sorts between N and O
    if kind == "fraccion":
        return roman_value(base), rest
    if kind == "numeral":
        return int(base), rest
    if kind == "inciso" and len(base) > 1 and roman_value(base):
        return roman_value(base), rest  # "ii", "iii": sub-incisos in roman numerals
    return ord(base[0].lower()) - ord("a") + 1, rest


@pytest.mark.parametrize("doc_id", DOCS)
def test_divisions_lie_in_their_article_start_with_their_label_and_nest(read_corpus_document,
                                                                         doc_id):
    document = read_corpus_document(doc_id)
    text = document.text
    counted = {"apartado": 0, "fraccion": 0, "numeral": 0, "inciso": 0}
    for article in document.articles:
        parents = []  # open divisions by level
        for division in article.divisions:
            counted[division.kind] += 1
            assert article.start < division.start < division.end <= article.end
            assert text[division.start:division.end] == text[division.start:division.end].strip()
            head = " ".join(text[division.start:division.start + len(division.label) + 12].split())
            head = head.removeprefix("Apartado ")
            assert head.startswith(division.label), (article.label, division.label, head)
            assert re.match(r"[.)\-–]| ?\.", head[len(division.label):]), head
            assert division.level <= len(parents)  # a level opens inside the one above it
            del parents[division.level:]
            if parents:
                parent = parents[-1]
                assert parent.start < division.start and division.end <= parent.end
            parents.append(division)
        _check_sibling_order(article)
    assert all(counted[kind] for kind in ("fraccion", "inciso")), counted


def _check_sibling_order(article):
    """Siblings of one kind under one parent come in sequence and do not overlap."""
    groups: dict[tuple, list] = {}
    parents: list = []
    for division in article.divisions:
        del parents[division.level:]
        owner = (parents[-1].start if parents else None, division.kind)
        groups.setdefault(owner, []).append(division)
        parents.append(division)
    for (_, kind), siblings in groups.items():
        keys = [_key(kind, d.label) for d in siblings]
        for before, after, a, b in zip(keys, keys[1:], siblings, siblings[1:]):
            assert a.end <= b.start
            assert after >= before or after[0] == 1, (article.label, a.label, b.label)


def test_cdmx_constitution_article_9(read_corpus_document):
    document = read_corpus_document("constitucion-cdmx")
    article = _article(document, "Artículo 9")
    top = [d.label for d in article.divisions if d.level == 0]
    assert top == ["A", "B", "C", "D", "E", "F"]
    assert all(d.kind == "apartado" for d in article.divisions if d.level == 0)
    assert _at(document, "Toda persona tiene derecho al más alto nivel posible de salud física") \
        == "Artículo 9, apartado D, numeral 1"
    assert _at(document, "La cobertura universal de los servicios e infraestructura médica y") \
        == "Artículo 9, apartado D, numeral 3, inciso a)"
    assert _at(document, "Toda persona tiene derecho al cuidado que sustente su vida") \
        == "Artículo 9, apartado B"
    assert locator(document, article.start) == "Artículo 9"  # the heading is in no division
    assert locator(document, 0) == ""  # the title page is in no article


def test_cpeum_articles_123_41_73(read_corpus_document):
    document = read_corpus_document("cpeum")
    article = _article(document, "Artículo 123")
    assert [d.label for d in article.divisions if d.level == 0] == ["A", "B"]
    apartado_b = next(d for d in article.divisions if d.level == 0 and d.label == "B")
    in_a = [d.label for d in article.divisions if d.level == 1 and d.end <= apartado_b.start]
    assert in_a[:3] == ["I", "II", "III"] and "XXII Bis" in in_a
    assert _at(document, "La duración de la jornada máxima será de ocho horas.") \
        == "Artículo 123, apartado A, fracción I"
    assert _at(document, "Aquéllas que sean administradas en forma directa o descentralizada") \
        == "Artículo 123, apartado A, fracción XXXI, inciso b), numeral 1"
    assert _at(document, "La jornada diaria máxima de trabajo diurna y nocturna será de ocho") \
        == "Artículo 123, apartado B, fracción I"
    # apartado B prints "XI (sic 05-12-1960)." where IX belongs: X still follows VIII
    assert _at(document, "Los trabajadores tendrán el derecho de asociarse para la defensa") \
        == "Artículo 123, apartado B, fracción X"
    assert _at(document, "El Instituto Nacional Electoral será autoridad única para la") \
        == "Artículo 41, fracción III, apartado A"
    assert _at(document, "Son mexicanos por naturalización:") == "Artículo 30, apartado B"
    seventy_three = _article(document, "Artículo 73")
    labels = [d.label for d in seventy_three.divisions if d.kind == "fraccion"]
    assert labels.index("XXIX-E") == labels.index("XXIX") + 5
    xxix_e = next(d for d in seventy_three.divisions if d.label == "XXIX-E")
    assert locator(document, xxix_e.start + 10) == "Artículo 73, fracción XXIX-E"


def test_ley_general_salud_and_ley_migracion(read_corpus_document):
    salud = read_corpus_document("ley-general-salud")
    assert _at(salud, "Proveer los servicios de salud a que se refiere este Título en los") \
        == "Artículo 77 Bis 5, apartado B, fracción I"
    assert _at(salud, "Establecer y conducir la política nacional en materia de salud para el") \
        == "Artículo 77 Bis 5, apartado A, fracción I"
    migracion = read_corpus_document("ley-migracion")
    three = _article(migracion, "Artículo 3")
    labels = [d.label for d in three.divisions]
    assert labels[:3] == ["I", "II", "III"] and all(d.kind == "fraccion" for d in three.divisions)
    assert [roman_value(label) for label in labels] == list(range(1, len(labels) + 1))
    assert _at(migracion, "Apátrida: toda persona que no sea considerada") == "Artículo 3, fracción IV"


def test_outline_rules_on_a_synthetic_article():
    text = "\n".join([
        "Artículo 1. Esta ley distingue:", "",
        "A. Primer apartado:", "I. Fracción uno, conforme a la fracción",
        "II. del artículo 5, que sigue en la misma fracción;",
        "II. Fracción dos:", "a) Inciso a;", "i) Subinciso romano uno;", "ii) Subinciso dos;",
        "b) Inciso b, y", "II Quintus. Fracción con sufijo latino;",
        "Fracción adicionada DOF 01-02-2020", "C. Juan Pérez no es un apartado.",
        "B. Segundo apartado", "1. Numeral uno;", "2. Numeral dos.", "",
        "Artículo 2. Otro artículo:",
        "Apartado A. Apartado con palabra:", "I.- Fracción con guion;", "II.- Otra;",
        "XXIX-E.- No sigue a II, no es fracción.",
    ])
    document = add_law_structure(_doc(text))
    first, second = document.articles
    shape = [(d.level, d.kind, d.label) for d in first.divisions]
    assert shape == [(0, "apartado", "A"), (1, "fraccion", "I"), (1, "fraccion", "II"),
                     (2, "inciso", "a"), (3, "inciso", "i"), (3, "inciso", "ii"),
                     (2, "inciso", "b"), (1, "fraccion", "II Quintus"),
                     (0, "apartado", "B"), (1, "numeral", "1"), (1, "numeral", "2")]
    assert [(d.level, d.label) for d in second.divisions] == [(0, "A"), (1, "I"), (1, "II")]
    assert _at(document, "que sigue en la misma fracción") == "Artículo 1, apartado A, fracción I"
    assert _at(document, "Subinciso dos") == "Artículo 1, apartado A, fracción II, inciso a), inciso ii)"
    assert _at(document, "Juan Pérez") == "Artículo 1, apartado A, fracción II Quintus"
    assert _at(document, "Numeral dos") == "Artículo 1, apartado B, numeral 2"
    assert _at(document, "No sigue a II") == "Artículo 2, apartado A, fracción II"
    assert _at(document, "Esta ley distingue") == "Artículo 1"
