"""Instruments: which questions ask for them, one key per instrument, names in questions (fast tier)."""

from __future__ import annotations

from assistant.answer.instruments import (
    InstrumentNames,
    asks_for_instruments,
    fold_entries,
    instrument_key,
    year_of,
)
from assistant.records import KeySource, KeySourceRef
from tests.tiny import tiny_documents


def test_instrument_questions_in_english_and_spanish():
    for question in ("Which laws guarantee migrants access to health care?",
                     "What legal framework protects refugees?", "¿Qué leyes protegen a los migrantes?"):
        assert asks_for_instruments(question), question
    assert not asks_for_instruments("How many migrants live in Mexico City?")


def test_same_title_up_to_accents_and_case_and_same_year_fold_into_one():
    def entry(n, author, year, title):
        return KeySource(id=f"p:ks:{n}", author=author, year=year, title=title)

    entries = [entry(1, "Government of Mexico City", "2011", "Ley de Interculturalidad, Atención a Migrantes"),
               entry(2, "Legislative Assembly", "2011b", "LEY DE INTERCULTURALIDAD, ATENCION A MIGRANTES"),
               entry(3, "Chamber of Deputies", "2011a", "Ley de Migración"),
               entry(4, "Chamber of Deputies", "2013", "Ley de Migración")]
    groups = fold_entries(entries)
    assert [[e.id for e in group] for group in groups] == [["p:ks:1", "p:ks:2"], ["p:ks:3"], ["p:ks:4"]]
    assert instrument_key("Ley de Migración", "2011a") == instrument_key("ley de migracion", "2011")


def test_years_and_named_documents():
    ref = KeySourceRef(id="x", author="a", year="2011a", title="t", label="a | 2011a | t")
    assert year_of([ref]) == "2011" and year_of([]) is None
    names = InstrumentNames(tiny_documents())
    assert names.named_in("¿Qué dice la Ley de Prueba sobre la salud?") == ["law"]
    assert names.named_in("What does the profile say?") == []
