"""Acronyms a question uses that the corpus never (or hardly ever) spells, resolved to the
names they shorten.

People write "CONAPRED", "LFPED" or "SEDATU"; the documents write "Consejo Nacional para
Prevenir la Discriminación", "Ley Federal para Prevenir y Eliminar la Discriminación",
"Secretaría de Desarrollo Agrario, Territorial y Urbano". An all-capitals word of a question
that the corpus never spells — or spells in only a few passages
(``Settings.acronym_max_passages``: the law says "el Instituto", not "INFONAVIT") — is
matched against the corpus's own capitalised names and document titles: its letters, in
order, must be non-empty prefixes of consecutive content words of the name ("CO-NA-PRE-D"
for Consejo Nacional [para] Prevenir [la] Discriminación), connectors giving a prefix or
nothing. Among the names that fit, a document title wins, then the name the corpus uses most
often, then the shorter one. An acronym no name fits but whose letters, reordered, are an
acronym the corpus does use stands for that one ("OIM" for the profile's "IOM": Spanish and
English put a body's words in different orders).

``Acronyms.expand(query)`` adds the name to the query's BM25 tokens and dense text and
records it in ``Query.expanded`` (the judge then does not take the acronym for a name the
corpus never mentions).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable

from assistant.records import Document
from assistant.search.query import Query
from assistant.text import fold, tokenize

_ACRONYM = re.compile(r"\b[A-ZÁÉÍÓÚÑ]{2,10}\b")
_CAP_WORD = r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü'’-]*[a-záéíóúñü]"  # "Consejo", not a heading's "OFICIO"
_CONNECTORS = ("of", "for", "on", "the", "and", "de", "del", "la", "las", "los", "el", "y", "e", "para",
               "en", "a", "al", "por", "in", "to")
_SPACE = r"(?:[ \t]+|[ \t]*\n[ \t]*)"  # a name may wrap a line, never a blank line
_NAME = re.compile(rf"{_CAP_WORD}(?:,?{_SPACE}(?:(?:{'|'.join(_CONNECTORS)}){_SPACE}){{0,2}}{_CAP_WORD})+")
_PREFIX_MAX = 3  # letters one word gives at most ("PRE" of Prevenir in CONAPRED)
_MAX_WORDS = 12


def abbreviates(acronym: str, words: tuple[str, ...]) -> int:
    """How many leading ``words`` (folded) the folded ``acronym`` shortens, 0 when it does not:
    each letter run (1–3 letters; initials only for a three-letter acronym) is a prefix of
    the next content word; connectors may give a prefix or nothing."""
    @functools.cache
    def consumed(letter: int, word: int) -> int:
        if letter == len(acronym):
            return word
        if word == len(words):
            return 0
        current = words[word]
        if current in _CONNECTORS:
            skipped = consumed(letter, word + 1)
            if skipped:
                return skipped
        longest = 1 if len(acronym) <= 3 else _PREFIX_MAX  # a three-letter acronym is initials
        for size in range(min(len(current), len(acronym) - letter, longest), 0, -1):
            if current[:size] == acronym[letter: letter + size]:
                found = consumed(letter + size, word + 1)
                if found:
                    return found
        return 0

    if not words or words[0] in _CONNECTORS:
        return 0
    used = consumed(0, 0)
    content = [w for w in words[:used] if w not in _CONNECTORS]
    return used if len(content) >= 2 and words[used - 1] not in _CONNECTORS else 0


def _letters(acronym: str) -> str:
    """An acronym's folded letters, sorted: one key for "OIM" and "IOM"."""
    return "".join(sorted(fold(acronym)))


class Acronyms:
    """The corpus's names, indexed by the first letter of each word they may start at (built
    by ``warm_up``, else on the first question that holds an unknown acronym)."""

    def __init__(self, documents: Iterable[Document], frequency: Callable[[str], int], rare: int = 0) -> None:
        self.documents = list(documents)
        self.frequency = frequency  # passages holding a token (the sparse index's document frequency)
        self.rare = rare  # an acronym in at most this many passages is expanded too

    @functools.cached_property
    def counts(self) -> Counter[str]:
        """Every capitalised name of the corpus and how often it stands there (titles too)."""
        counts: Counter[str] = Counter(document.meta.title for document in self.documents)
        for document in self.documents:
            counts.update(match.group(0) for match in _NAME.finditer(document.text))
        return counts

    @functools.cached_property
    def by_letter(self) -> dict[str, list[tuple[str, tuple[str, ...], tuple[tuple[int, int], ...]]]]:
        """First letter → (name, its folded words from that word on, their spans in the name)."""
        table: dict[str, list[tuple[str, tuple[str, ...], tuple[tuple[int, int], ...]]]] = {}
        for name in self.counts:
            spans = tuple((m.start(), m.end()) for m in re.finditer(r"[\w'’-]+", name))[:_MAX_WORDS * 2]
            words = tuple(fold(name[a:b]) for a, b in spans)
            for i, word in enumerate(words):
                if word not in _CONNECTORS:
                    table.setdefault(word[0], []).append((name, words[i:], spans[i:]))
        return table

    def warm_up(self) -> None:
        """Build the name and acronym tables now (~0.5 s on the real corpus), not inside a request."""
        self.by_letter, self.by_letters  # noqa: B018 - cached properties

    @functools.cached_property
    def titles(self) -> frozenset[str]:
        return frozenset(document.meta.title for document in self.documents)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one table per loaded index
    def resolve(self, acronym: str) -> str | None:
        """The corpus name ``acronym`` shortens, or None."""
        letters = fold(acronym)
        best: tuple[tuple, str] | None = None
        for name, words, spans in self.by_letter.get(letters[0], ()):
            used = abbreviates(letters, words)
            if not used:
                continue
            phrase = name[spans[0][0]: spans[used - 1][1]]
            key = (phrase == name and name in self.titles, self.counts[name], -len(phrase))
            if best is None or key > best[0]:
                best = (key, phrase)
        return best[1] if best else None

    @functools.cached_property
    def by_letters(self) -> dict[str, str]:
        """Sorted letters → the corpus's most used acronym of those letters (more than
        ``rare`` passages): "OIM" is the Spanish order of the profile's "IOM"."""
        counts = Counter(a for document in self.documents for a in _ACRONYM.findall(document.text))
        table: dict[str, str] = {}
        for acronym, _ in counts.most_common():
            if tokenize(acronym) and not self.spelled_rarely(acronym):
                table.setdefault(_letters(acronym), acronym)
        return table

    def spelled_rarely(self, acronym: str) -> bool:
        """The corpus spells ``acronym`` in at most ``rare`` passages (so it is expanded)."""
        return all(self.frequency(t) <= self.rare for t in tokenize(acronym))

    def name_of(self, acronym: str) -> str | None:
        """What an acronym the corpus hardly spells stands for: a corpus name it shortens
        (``resolve``), else the corpus's acronym of the same letters in another order — an
        English and a Spanish acronym of one body differ in word order ("IOM" / "OIM",
        "OECD" / "OCDE")."""
        return self.resolve(acronym) or self.by_letters.get(_letters(acronym))

    def expand(self, query: Query) -> Query:
        """The query with each unknown acronym's name added (module docstring)."""
        found = {}
        for acronym in dict.fromkeys(_ACRONYM.findall(query.text)):
            if tokenize(acronym) and self.spelled_rarely(acronym):
                name = self.name_of(acronym)
                if name:
                    found[acronym] = name
        if not found:
            return query
        names = " ".join(f"({name})" for name in found.values())
        added = [t for name in found.values() for t in tokenize(name)]
        return Query(query.text, query.tokens + added, f"{query.dense_text} {names}", expanded=found)


__all__ = ["Acronyms", "abbreviates"]
