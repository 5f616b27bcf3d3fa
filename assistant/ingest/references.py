"""Author–year references in a profile's prose ("(BBVA and CONAPO, 2020)", "(INEGI, 2020b,
2020c)") linked to the KEY SOURCES entries they point at.

An entry's author heading gives the aliases a reference may use: the full name and the
acronyms it defines in parentheses ("National Institute of Statistics and Geography
(INEGI)" → "INEGI"; "Banco Bilbao Vizcaya Argentaria (BBVA) and National Population
Council (CONAPO)" → "BBVA and CONAPO"). The year label must match exactly ("2020b"), or by
year when the reference gives no letter.
"""

from __future__ import annotations

import re

from assistant.records import Document, KeySource, Mention
from assistant.ingest.sources import name_words

_REFERENCE = re.compile(
    r"\(([^()]{2,150}?),\s*((?:\d{4}[a-z]?|n\.d\.)(?:\s*,\s*(?:\d{4}[a-z]?|n\.d\.))*)\)"
)
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]{1,12})\)")


def author_aliases(author: str) -> set[str]:
    """Normalised names a reference may use for an author heading."""
    acronyms = _ACRONYM.findall(author)
    plain = _ACRONYM.sub("", author)
    aliases = {name_words(author), name_words(plain)}
    if acronyms:
        aliases.add(name_words(" and ".join(acronyms)))
        aliases.update(name_words(a) for a in acronyms)
    return {a for a in aliases if a}


def _entries_for(entries: list[KeySource], author: str, year: str) -> list[str]:
    wanted = name_words(author)
    by_author = [e for e in entries if wanted in author_aliases(e.author)]
    exact = [e.id for e in by_author if e.year == year]
    return exact or [e.id for e in by_author if e.year[:4] == year[:4] and year[:4].isdigit()]


def find_references(document: Document) -> list[Mention]:
    """Author–year references in the prose, each linked to its KEY SOURCES entries."""
    if not document.key_sources:
        return []
    excluded = [(s.start, s.end) for s in document.sections if s.kind in ("key_sources", "footnotes")]
    found = []
    for match in _REFERENCE.finditer(document.text):
        if any(a <= match.start() < b for a, b in excluded):
            continue
        # "(BBVA and CONAPO, 2020)" or, inside longer parentheses, the last "Author, year" group.
        author = match.group(1).split(";")[-1].strip()
        ids: list[str] = []
        for year in re.split(r"\s*,\s*", match.group(2)):
            ids.extend(i for i in _entries_for(document.key_sources, author, year) if i not in ids)
        if ids:
            found.append(Mention(start=match.start(), end=match.end(), text=match.group(0),
                                 key_source_ids=ids, score=1.0, kind="reference"))
    return found
