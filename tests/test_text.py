"""Text normalisation and the BM25 tokenizer (fast tier)."""

from __future__ import annotations

from assistant.text import fold, normalise, tokenize


def test_fold_and_normalise():
    assert fold("Migración ÁÉÍ") == "migracion aei"
    assert normalise("  “Los  *migrantes*”\n tendrán ") == '"los migrantes" tendrán'


def test_tokens_drop_stop_words_and_fold_accents():
    assert "the" not in tokenize("the migrants") and "los" not in tokenize("los migrantes")
    assert tokenize("Migración") == tokenize("migracion") and tokenize("") == []


def test_cognate_forms_translate_endings_and_onsets_letter_for_letter():
    from assistant.text import cognate_forms

    assert {"senado"} <= cognate_forms("senate") and "secretaria" in cognate_forms("secretary")
    assert cognate_forms("presidency") == {"presidencia"} and "estatuto" in cognate_forms("statute")
    assert "senate" in cognate_forms("senado", "es") and "statute" in cognate_forms("estatuto", "es")
    assert cognate_forms("quedate", "es") == frozenset()  # a Spanish word is read by Spanish endings only
    assert cognate_forms("board") == frozenset() and cognate_forms("tijuana") == frozenset()
