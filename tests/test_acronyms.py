"""Acronyms the corpus never spells, resolved to its own names: hand-made documents (fast
tier) and the shipped corpus (slow tier)."""

from __future__ import annotations

import pytest

from assistant.answer.unknown import unknown_words
from assistant.records import Document, DocumentMeta
from assistant.search.acronyms import Acronyms, abbreviates
from assistant.search.query import contextualise
from assistant.text import fold

TEXT = ("El Consejo Nacional para Prevenir la Discriminación recibe quejas. La Secretaría de Desarrollo "
        "Agrario, Territorial y Urbano conduce la política de vivienda. El Instituto Nacional de Migración "
        "y el Instituto Nacional de las Mujeres colaboran. Toda persona tiene derecho.")


def _acronyms(known: dict[str, int] | None = None, rare: int = 0) -> Acronyms:
    law = Document(meta=DocumentMeta(id="lfped", file="LFPED.pdf", title="Ley Federal para Prevenir y Eliminar la Discriminación",
                                     kind="law", language="es"), text=TEXT)
    return Acronyms([law], lambda token: (known or {}).get(token, 0), rare)


def _words(name: str) -> tuple[str, ...]:
    return tuple(fold(name).replace(",", "").split())


@pytest.mark.parametrize("acronym,name", [
    ("conapred", "Consejo Nacional para Prevenir la Discriminación"),  # syllables, connectors skipped
    ("lfped", "Ley Federal para Prevenir y Eliminar la Discriminación"),  # initials
    ("sedatu", "Secretaría de Desarrollo Agrario, Territorial y Urbano"),
    ("infonavit", "Instituto del Fondo Nacional de la Vivienda para los Trabajadores"),
])
def test_letters_are_prefixes_of_consecutive_content_words(acronym, name):
    words = _words(name)
    assert abbreviates(acronym, words) == len(words)


def test_what_an_acronym_never_matches():
    assert abbreviates("conapred", _words("Consejo Nacional de Población")) == 0  # letters left over
    assert abbreviates("ab", _words("Alta Baja")) == 2 and abbreviates("inm", _words("Instituto Nacional de Migración")) == 4
    assert abbreviates("ina", _words("Instituto Nacional")) == 0  # a three-letter acronym is initials only
    assert abbreviates("cn", _words("de Consejo Nacional")) == 0  # a name never starts with a connector
    assert abbreviates("cona", _words("Consejo")) == 0  # one word is not an acronym's name


def test_resolve_prefers_titles_then_the_most_used_name():
    acronyms = _acronyms()
    assert acronyms.resolve("CONAPRED") == "Consejo Nacional para Prevenir la Discriminación"
    assert acronyms.resolve("LFPED") == "Ley Federal para Prevenir y Eliminar la Discriminación"  # the title
    assert acronyms.resolve("SEDATU") == "Secretaría de Desarrollo Agrario, Territorial y Urbano"
    assert acronyms.resolve("INM") in ("Instituto Nacional de Migración", "Instituto Nacional de las Mujeres")
    assert acronyms.resolve("NATO") is None


def test_expand_adds_the_name_to_the_query_and_the_judge_knows_the_acronym():
    acronyms = _acronyms()
    query = acronyms.expand(contextualise("¿Cuánto dura la presidencia del CONAPRED?", []))
    assert query.expanded == {"CONAPRED": "Consejo Nacional para Prevenir la Discriminación"}
    assert {"consejo", "discriminacion"} <= set(query.tokens) and "Discriminación)" in query.dense_text
    assert "consejo" in query.own_tokens and "Consejo Nacional" in query.naming_text
    sparse = type("Vocabulary", (), {"knows": staticmethod(lambda token: token != "conapred")})()
    assert unknown_words(sparse, query.text) == ["CONAPRED"]
    assert unknown_words(sparse, query.text, query.expanded.keys()) == []
    unchanged = contextualise("What does NATO say?", [])
    assert acronyms.expand(unchanged) is unchanged
    spelled = contextualise("¿Qué hace el CONAPRED?", [])
    assert _acronyms({"conapred": 3}, rare=2).expand(spelled).expanded == {}  # spelled often: left as it is
    assert _acronyms({"conapred": 2}, rare=2).expand(spelled).expanded == {  # spelled rarely: expanded too
        "CONAPRED": "Consejo Nacional para Prevenir la Discriminación"}


def test_an_acronym_in_another_languages_word_order_reads_as_the_corpus_acronym():
    profile = Document(meta=DocumentMeta(id="p", file="profile.md", title="Profile", kind="profile", language="en"),
                       text="The IOM supports the city. IOM staff trained officials. The OECD and the UN met.")
    acronyms = Acronyms([profile], lambda token: {"iom": 2, "oecd": 1, "un": 1}.get(token, 0), 0)
    assert acronyms.name_of("OIM") == "IOM" and acronyms.name_of("OCDE") == "OECD"  # Spanish word order
    assert acronyms.name_of("MOI") == "IOM" and acronyms.name_of("ACNUR") is None
    query = acronyms.expand(contextualise("¿Qué hace la OIM en la ciudad?", []))
    assert query.expanded == {"OIM": "IOM"} and "iom" in query.tokens
    rare = Acronyms([profile], lambda token: {"iom": 2}.get(token, 0), 2)  # IOM itself rare: no stand-in
    assert rare.name_of("OIM") is None


# -- slow tier ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_real_corpus_names_for_acronyms_people_use(full_index_settings):
    from assistant.storage import load_index

    index = load_index(full_index_settings.index_dir, load_dense=False)
    acronyms = Acronyms(index.documents.values(), index.sparse.frequency)
    assert acronyms.resolve("CONAPRED") == "Consejo Nacional para Prevenir la Discriminación"
    assert acronyms.resolve("LFPED") == "Ley Federal para Prevenir y Eliminar la Discriminación"
    assert acronyms.resolve("SEDATU") == "Secretaría de Desarrollo Agrario, Territorial y Urbano"
    assert acronyms.resolve("UNRWA") is None
    assert acronyms.name_of("OIM") == "IOM" and acronyms.name_of("UNRWA") is None  # the profile's author


@pytest.mark.slow
def test_a_question_with_an_unspelled_acronym_is_answered_from_the_law(full_index_settings):
    from assistant.core import Assistant

    assistant = Assistant.open(full_index_settings)
    for question in ("How long is the term of the president of CONAPRED?",
                     "¿Cuántos años dura en su cargo quien preside el CONAPRED?"):
        answer = assistant.ask(question)
        assert answer.outcome == "answered" and "CONAPRED" in answer.expanded, answer.reason
        assert any(c.document.id == "ley-federal-discriminacion" and c.article == "Artículo 28" for c in answer.citations)
        assert answer.answer_span is not None and answer.answer_span.text == "cuatro años"


def test_the_answer_says_how_it_read_an_acronym():
    from assistant.records import Answer
    from assistant.serve.web import templates

    answer = Answer(question="¿Qué hace el CONAPRED?", answer="…", refused=True, outcome="not_in_documents",
                    expanded={"CONAPRED": "Consejo Nacional para Prevenir la Discriminación"})
    html = templates.env.get_template("_answer.html").render(answer=answer, turn_n=None)
    assert ('Read <abbr title="Consejo Nacional para Prevenir la Discriminación">CONAPRED</abbr> as '
            "“Consejo Nacional para Prevenir la Discriminación”.") in html


def test_a_two_letter_acronym_of_a_corpus_name_is_known():
    profile = Document(meta=DocumentMeta(id="p", file="profile.md", title="Profile", kind="profile", language="en"),
                       text="Many returnees come back from the United States of America every year.")
    acronyms = Acronyms([profile], lambda token: 0, 0)
    query = acronyms.expand(contextualise("How many Mexicans were returned from the US in 2021?", []))
    assert query.expanded == {"US": "United States"}
    assert acronyms.expand(contextualise("What does the EU say?", [])).expanded == {}  # no name fits
