"""Follow-up contextualisation (fast tier)."""

from __future__ import annotations

from assistant.records import Turn
from assistant.search.query import contextualise
from assistant.text import tokenize


def test_a_short_follow_up_is_read_with_the_previous_question():
    history = [Turn(question="Which laws guarantee migrants access to health care?")]
    query = contextualise("And for education?", history)
    assert query.dense_text.startswith("Which laws guarantee")
    assert query.tokens.count("education") == 2 and "health" in query.tokens
    assert query.own_tokens == tokenize("And for education?")


def test_a_question_with_enough_words_stands_alone():
    history = [Turn(question="Which laws guarantee migrants access to health care?")]
    question = "What does the city offer migrant children in public schools?"
    query = contextualise(question, history, min_words=5)
    assert query.dense_text == question and "health" not in query.tokens
    assert contextualise(question, history, min_words=50).dense_text != question


def test_questions_about_what_transitory_articles_say():
    for question in ("¿Cuándo entró en vigor la Ley de Migración?", "Which laws repealed an earlier law?",
                     "When did the refugee law take effect?", "¿Qué plazo tiene el Ejecutivo para expedir el reglamento?",
                     "Is article 42 of the population law still in force?", "Which chapters did the 1996 reform decree add?",
                     "¿Qué leyes recogen el decreto aprobado en 2010?", "How was the rule phased in?",
                     "Within how many days of the decree taking effect?", "From when does the new term start to apply?"):
        assert contextualise(question, []).asks_transition, question
    for question in ("Which laws guarantee migrants access to health care?", "¿Qué derechos tienen los refugiados?",
                     "Which article lets the President apply the law to foreigners?"):
        assert not contextualise(question, []).asks_transition, question
