"""Text normalisation and the BM25 tokenizer (fast tier)."""

from __future__ import annotations

from assistant.text import fold, normalise, tokenize


def test_fold_and_normalise():
    assert fold("Migración ÁÉÍ") == "migracion aei"
    assert normalise("  “Los  *migrantes*”\n tendrán ") == '"los migrantes" tendrán'


def test_tokens_drop_stop_words_and_fold_accents():
    assert "the" not in tokenize("the migrants") and "los" not in tokenize("los migrantes")
    assert tokenize("Migración") == tokenize("migracion") and tokenize("") == []
