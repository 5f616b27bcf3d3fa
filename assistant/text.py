"""Text normalisation and the BM25 tokenizer, shared by indexing, retrieval and answers."""

from __future__ import annotations

import functools
import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
})


def fold(text: str) -> str:
    """Lower-case, accents removed, NFKC: "Migración" → "migracion"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Comparison form for quotes and evidence: NFKC, straight quotes, no * or _, collapsed
    whitespace, case-folded."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    text = text.replace("*", "").replace("_", "")
    return " ".join(text.split()).casefold()


@functools.cache
def stopwords() -> frozenset[str]:
    """English and Spanish stop words (from bm25s), accent-folded."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_SPANISH

    words = set(STOPWORDS_EN_PLUS) | set(STOPWORDS_SPANISH)
    return frozenset(fold(word) for word in words)


def _stem(token: str) -> str:
    """A light plural stripper shared by English and Spanish ("migrantes" → "migrante")."""
    if len(token) > 4 and token.endswith("es") and token[-3] not in "aeiou":
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """BM25 tokens: folded words, stop words dropped, plurals lightly stemmed."""
    stop = stopwords()
    return [_stem(word) for word in _WORD.findall(fold(text)) if word not in stop]


@functools.lru_cache(maxsize=1 << 16)
def token_set(text: str) -> frozenset[str]:
    """``tokenize(text)`` as a set, memoised: the same passages and sentences come back
    question after question (the judge's and the writer's coverage)."""
    return frozenset(tokenize(text))


@functools.lru_cache(maxsize=1 << 16)
def cognate(token: str) -> str:
    """A loose English/Spanish key for a folded token: "nationality" and "nacionalidad" →
    "nacio" (spelling correspondences, doubled letters, then the first five letters)."""
    key = token.replace("tion", "cion").replace("sion", "cion").replace("ph", "f").replace("th", "t")
    key = re.sub(r"(.)\1", r"\1", key.replace("y", "i").replace("k", "c"))
    return key[:5]


# English ↔ Spanish word endings and onsets that translate a learned word letter for letter
# ("senate" / "senado", "secretary" / "secretaria", "presidency" / "presidencia",
# "statute" / "estatuto"): general spelling correspondences, applied to whole words.
_ENDINGS = (("ate", ("ado", "ato", "ada")), ("ary", ("ario", "aria")), ("ory", ("orio", "oria")),
            ("cy", ("cia",)), ("ty", ("dad",)), ("tion", ("cion",)), ("sion", ("sion",)),
            ("ic", ("ico", "ica")), ("ous", ("oso", "osa")), ("ism", ("ismo",)), ("ist", ("ista",)),
            ("ment", ("mento",)), ("ence", ("encia",)), ("ance", ("ancia",)), ("ute", ("uto",)),
            ("ive", ("ivo", "iva")), ("ium", ("io",)), ("ude", ("ud",)), ("ure", ("ura",)))


@functools.lru_cache(maxsize=1 << 12)
def cognate_forms(word: str, language: str = "en") -> frozenset[str]:
    """Folded words of the other language that ``word`` (folded, five letters or more, of
    ``language``) would be by the endings and onsets above ("senate" → "senado"; Spanish
    "senado" → "senate"; "statute" → "estatuto"); empty for a shorter word."""
    if len(word) < 5:
        return frozenset()
    forms: set[str] = set()
    for english, spanish in _ENDINGS:
        if language == "en" and word.endswith(english):
            forms.update(word[: -len(english)] + ending for ending in spanish)
        elif language == "es":
            forms.update(word[: -len(ending)] + english for ending in spanish if word.endswith(ending))
    onset, swap = (r"s[^aeiou]", lambda f: "e" + f) if language == "en" else (r"es[^aeiou]", lambda f: f[1:])
    forms |= {swap(form) for form in (forms | {word}) if re.match(onset, form)}
    return frozenset(forms - {word})


@functools.lru_cache(maxsize=1 << 16)
def cognate_keys(words: frozenset[str]) -> frozenset[str]:
    """The cognate keys of the words long enough to have one (five letters or more)."""
    return frozenset(cognate(w) for w in words if len(w) >= 5)


def cognate_match(token: str, words: frozenset[str], keys: frozenset[str]) -> bool:
    """``token`` is one of ``words``, or long enough to share a cognate key with one."""
    return token in words or (len(token) >= 5 and cognate(token) in keys)


@functools.cache
def _language_stopwords() -> dict[str, frozenset[str]]:
    """Stop words that belong to one language only (bm25s's lists), accent-folded."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_SPANISH

    english = {fold(w) for w in STOPWORDS_EN_PLUS}
    spanish = {fold(w) for w in STOPWORDS_SPANISH}
    return {"en": frozenset(english - spanish), "es": frozenset(spanish - english)}


def question_language(text: str, default: str = "en") -> str:
    """"en" or "es" by which language's own stop words make up more of the text's words
    (ties, and texts without any, give ``default``)."""
    words = _WORD.findall(fold(text))
    counts = {lang: sum(word in stop for word in words) for lang, stop in _language_stopwords().items()}
    if counts["en"] == counts["es"]:
        return default
    return max(counts, key=counts.get)
