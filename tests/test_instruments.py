"""Instruments: which questions ask for them, one key per instrument, names in questions (fast tier)."""

from __future__ import annotations

from assistant.answer.instruments import (
    InstrumentNames,
    asks_for_instruments,
    fold_entries,
    instrument_key,
    without_asking_phrase,
    year_of,
)
from assistant.records import KeySource, KeySourceRef
from tests.tiny import tiny_documents


def test_instrument_questions_in_english_and_spanish():
    for question in ("Which laws guarantee migrants access to health care?",
                     "What legal framework protects refugees?", "¿Qué leyes protegen a los migrantes?",
                     "¿Qué ordenamientos reconocen el asilo?", "¿Cuál es el marco jurídico de la vivienda?",
                     "¿Cuáles son las normas sobre refugiados?"):
        assert asks_for_instruments(question), question
    assert not asks_for_instruments("How many migrants live in Mexico City?")


def _entry(n: int, author: str, year: str, title: str) -> KeySource:
    return KeySource(id=f"p:ks:{n}", author=author, year=year, title=title)


def test_instrument_key_ignores_accents_case_and_year_suffix():
    assert instrument_key("Ley de Interculturalidad, Atención a Migrantes", "2011") == \
        instrument_key("Ley de interculturalidad, atencion a migrantes", "2011a")
    assert instrument_key("Ley de Vivienda", "2006a") != instrument_key("Ley de Vivienda", "2017")


def test_fold_entries_groups_one_instrument_keeps_others_apart():
    entries = [_entry(1, "A", "2011", "Ley de Interculturalidad, Atención a Migrantes"),
               _entry(2, "B", "2015", "Ley de los Derechos de Niñas"),
               _entry(3, "C", "2011", "Ley de Interculturalidad, atención a Migrantes"),
               _entry(4, "D", "2017a", "Ley de los Derechos de Niñas")]
    groups = fold_entries(entries)
    assert [[e.id for e in g] for g in groups] == [["p:ks:1", "p:ks:3"], ["p:ks:2"], ["p:ks:4"]]


def test_years_and_named_documents():
    ref = KeySourceRef(id="x", author="a", year="2011a", title="t", label="a | 2011a | t")
    assert year_of([ref]) == "2011" and year_of([]) is None
    names = InstrumentNames(tiny_documents())
    assert names.named_in("¿Qué dice la Ley de Prueba sobre la salud?") == ["law"]
    assert names.named_in("What does the profile say?") == []


def test_the_asking_phrase_names_no_law():
    """"Which laws … migration" is not "the Migration Law": the words of the asking phrase
    ("laws", "leyes") do not count towards a law's name; a name said in full still does."""
    assert without_asking_phrase("Which laws protect migration status?").split() == ["protect", "migration", "status?"]
    assert "Housing Law" in without_asking_phrase("Which article of the Housing Law sets the fee?")
    assert "Ley de Migración" in without_asking_phrase("What does the Ley de Migración say about which laws apply?")
    names = InstrumentNames(tiny_documents())
    assert names.named_in("¿Qué leyes hablan de la prueba?") == []
    assert names.named_in("¿Qué leyes, además de la Ley de Prueba, hablan de salud?") == ["law"]
