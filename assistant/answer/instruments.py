"""Answers to "which laws …" questions: a deduplicated list of instruments.

Each instrument (a law, constitution or programme) comes from the instrument mentions in
the quoted profile passages (linked to KEY SOURCES entries) and from quoted law text
itself. Where a Key Sources entry is a corpus document, the law is searched for the
question's subject so the answer can go from the profile's claim to the article itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import TypeVar

from assistant.records import LEGAL_KINDS, Citation, Document, Instrument, KeySource, KeySourceRef
from assistant.text import tokenize

_INSTRUMENT_WORDS = (r"laws?|legislation|legal (?:instruments?|frameworks?|provisions?|basis)|"
                     r"instruments?|statutes?|constitutions?|articles?|regulations?|norms?")
_SPANISH_WORDS = (r"leyes|normas|art[íi]culos?|instrumentos|disposiciones|constituci[óo]n(?:es)?|ordenamientos?|"
                  r"legislaci[óo]n|marcos? (?:jur[íi]dicos?|legal(?:es)?|normativos?)")
_SPANISH_ASKS = (rf"\b(?:qu[ée]|cu[áa]l(?:es)?)\s+(?:(?:son|es)\s+(?:el|la|las|los)\s+)?"
                 rf"(?:{_SPANISH_WORDS})\b")
_ASKS = re.compile(rf"\b(?:which|what)\b[^?]{{0,60}}\b(?:{_INSTRUMENT_WORDS})\b|{_SPANISH_ASKS}", re.IGNORECASE)
# The asking phrase itself, at most three words between "which" and its noun: "Which laws",
# "What legal framework", "Which two federal laws", "¿Qué leyes", "¿Cuáles son las normas".
_ASKING_PHRASE = re.compile(rf"\b(?:which|what)(?:\s+[\w-]+){{0,3}}?\s+(?:{_INSTRUMENT_WORDS})\b|{_SPANISH_ASKS}",
                            re.IGNORECASE)
_YEAR = re.compile(r"\((\d{4})\)")


_Entry = TypeVar("_Entry", KeySourceRef, KeySource)


@functools.lru_cache(maxsize=4096)
def instrument_key(title: str, year: str | None) -> str:
    """One instrument, one key: the title without accents, case or punctuation, plus the
    year's digits ("2011a" → "2011") — two KEY SOURCES entries with the same key are the
    same instrument listed by different authors."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    digits = re.match(r"\d{4}", year or "")
    return " ".join(re.findall(r"\w+", plain.casefold())) + "|" + (digits.group(0) if digits else "")


def fold_entries(entries: Iterable[_Entry]) -> list[list[_Entry]]:
    """Entries grouped by instrument (instrument_key), in first-seen order; each group lists
    every entry of that instrument."""
    groups: dict[str, list[_Entry]] = {}
    for entry in entries:
        group = groups.setdefault(instrument_key(entry.title, entry.year), [])
        if entry.id not in {e.id for e in group}:
            group.append(entry)
    return list(groups.values())


def asks_for_instruments(question: str) -> bool:
    """True for questions asking which laws, instruments or articles apply."""
    return bool(_ASKS.search(question))


def without_asking_phrase(question: str) -> str:
    """The question without its asking phrase: in "Which laws protect migration status?" the
    words "laws … migration" name no law (the Migration Law); "the Migration Law" still does."""
    return _ASKING_PHRASE.sub(" ", question, count=1)


def name_tokens(mention: str) -> frozenset[str]:
    """The words of an instrument's name, without its parentheses ("Law on Migration (2011)")."""
    return frozenset(tokenize(re.sub(r"\(.*?\)", "", mention)))


class InstrumentNames:
    """Every way the corpus names a corpus document: its title, and each profile mention
    linked (via Key Sources) to it — so "Migration Law" finds the Ley de Migración."""

    def __init__(self, documents: dict[str, Document]) -> None:
        names = {(frozenset(tokenize(d.meta.title)), d.id) for d in documents.values()}
        for document in documents.values():
            linked = {e.id: e.document_id for e in document.key_sources if e.document_id}
            for mention in document.mentions:
                for target in {linked[i] for i in mention.key_source_ids if i in linked}:
                    names.add((name_tokens(mention.text), target))
        kept = [(tokens, target) for tokens, target in names if len(tokens) >= 2]
        self.names = sorted(kept, key=lambda pair: (pair[1], sorted(pair[0])))
        held = {tokens for tokens, _ in kept}
        self.absent = sorted({tokens for d in documents.values() for m in d.mentions if m.kind == "instrument"
                              for tokens in [name_tokens(m.text)] if len(tokens) >= 2} - held,
                             key=sorted)  # instruments the profile names and the corpus does not hold

    def names_absent(self, question: str) -> bool:
        """Whether the question names an instrument the profile mentions but the corpus does
        not hold ("Mexico City's Law on Interculturality …") and no corpus document."""
        words = set(tokenize(without_asking_phrase(question)))
        return not self.named_in(question) and any(tokens <= words for tokens in self.absent)

    def named_in(self, question: str) -> list[str]:
        """Corpus documents the question names ("the Migration Law", "Ley General de Salud")."""
        words = set(tokenize(without_asking_phrase(question)))
        return list(dict.fromkeys(target for tokens, target in self.names if tokens <= words))


def _key(name: str) -> str:
    return " ".join(re.findall(r"\w+", name.lower()))


def list_instruments(citations: list[Citation], documents: dict[str, Document],
                     key_sources_by_document: dict[str, list[KeySourceRef]]) -> list[Instrument]:
    """Instruments named or quoted by the citations, deduplicated, in citation order."""
    found: dict[str, Instrument] = {}

    def add(key: str, name: str, year: str | None, citation: Citation,
            sources: list[KeySourceRef], document_id: str | None, article: str | None) -> None:
        item = found.setdefault(key, Instrument(name=name, year=year, document_id=document_id))
        if citation.n not in item.citations:
            item.citations.append(citation.n)
        if article and article not in item.articles:
            item.articles.append(article)
        for source in sources:
            if source.id not in {s.id for s in item.key_sources}:
                item.key_sources.append(source)
        item.year = item.year or year
        item.document_id = item.document_id or document_id

    for citation in citations:
        document = documents[citation.document.id]
        if document.meta.kind in LEGAL_KINDS:
            sources = key_sources_by_document.get(document.id, [])
            year = year_of(sources)
            key = sources[0].title if sources else document.meta.title
            add(_key(key), document.meta.title, year, citation, sources, document.id, citation.article)
            continue
        by_id = {entry.id: entry for entry in document.key_sources}
        for mention in document.mentions:
            if mention.kind != "instrument" or not (mention.start < citation.end and mention.end > citation.start):
                continue
            entries = [by_id[i] for i in mention.key_source_ids if i in by_id]
            refs = [ks for ks in citation.key_sources if ks.id in mention.key_source_ids]
            year_match = _YEAR.search(mention.text)
            year = year_match.group(1) if year_match else (entries[0].year[:4] if entries else None)
            corpus = next((e.document_id for e in entries if e.document_id), None)
            key = _key(entries[0].title) if entries else _key(_YEAR.sub("", mention.text))
            name = _YEAR.sub("", mention.text).strip(" ,.")
            add(key, name, year, citation, refs, corpus, None)
    return list(found.values())


def year_of(sources: list[KeySourceRef]) -> str | None:
    """The first four-digit year among the entries' year labels ("2011a" → "2011")."""
    for source in sources:
        match = re.match(r"\d{4}", source.year)
        if match:
            return match.group(0)
    return None
