"""Law heading rules on single lines (fast tier): articles, structure, transitorios, notes."""

from __future__ import annotations

import pytest

from assistant.ingest.readers.law_heads import (
    article_head,
    continues_sentence,
    is_reform_note,
    is_transitory_head,
    split_lines,
    struct_head,
)


@pytest.mark.parametrize(("line", "label"), [
    ("Artículo 8.- Los migrantes tendrán derecho", "Artículo 8"),
    ("ARTÍCULO 11 Bis.- Texto", "Artículo 11 Bis"),
    ("Artículo 30 Quintus.- Texto", "Artículo 30 Quintus"),
    ("Artículo 26-LL.- Texto", "Artículo 26-LL"),
    ("Artículo 1,000.- Texto", "Artículo 1000"),
])
def test_article_heads_with_suffixes_and_thousands(line, label):
    head = article_head(line, "", ordinals=False, bare=False)
    assert head is not None and head[0] == label


def test_prose_mentioning_an_article_is_not_a_head():
    assert article_head("Artículo 5 de esta Ley establece", "", ordinals=False, bare=False) is None
    assert continues_sentence("… a que se refiere el") and not continues_sentence("Texto completo.")


def test_structure_heads_at_every_level():
    assert struct_head("TITULO VIGESIMOPRIMERO")[0] == "titulo"
    assert struct_head("CAPÍTULO DECIMOSEGUNDO De las sanciones")[0] == "capitulo"
    assert struct_head("TRATADO I")[0] == "tratado" and struct_head("LIBRO SEGUNDO")[0] == "libro"
    assert struct_head("Título Cuarto de esta Constitución.") is None


def test_transitorios_and_reform_notes():
    assert is_transitory_head("TRANSITORIOS") and is_transitory_head("T R A N S I T O R I O S")
    assert not is_transitory_head("Transitorio del Decreto por el que se reforma")
    assert is_reform_note("Párrafo reformado DOF 04-05-2021")
    assert not is_reform_note("Los migrantes tendrán derecho a la salud.")


def test_lines_keep_their_offsets():
    lines = split_lines("  uno\ndos  \n\ntres")
    assert [(line.start, line.text) for line in lines] == [(2, "uno"), (6, "dos"), (12, ""), (13, "tres")]
