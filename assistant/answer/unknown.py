"""What a question names that the documents never mention — the judge's hard signal.

Similarity cannot vouch for a place, body or law the documents lack: a question about
"Canada's Immigration and Refugee Protection Act" finds passages about refugee protection
as readily as one about the Ley sobre Refugiados. ``UnknownNames`` lists, for a question:

- capitalised words inside it that occur nowhere in the corpus ("Buenos Aires");
- instruments it names whose distinctive words never stand together in one passage nor
  in a document's title
  ("Colombia's Temporary Protection Statute"; "the Housing Law" is known: some passage
  speaks of housing);
- laws of a jurisdiction that no document's title or jurisdiction names ("la ley migratoria
  de Costa Rica", "Guatemala's Migration Code"; a capitalised "Ley de …" is a title, read
  by the rule above).
Acronyms whose names the corpus holds (search.acronyms) are known.
"""

from __future__ import annotations

import re
from collections.abc import Set

from assistant.records import Document
from assistant.search.sparse import SparseIndex
from assistant.text import tokenize

_NAME = re.compile(r"(?<=[\w,;:] )[A-ZÁÉÍÓÚÑ][\w'’-]+")
_HEAD = (r"(?:Ley|Leyes|Law|Act|Code|C[óo]digo|Reglamento|Regulations?|Constitution|Constituci[óo]n|Decree|"
         r"Decreto|Statute|Estatuto)")
_CAP = r"[A-ZÁÉÍÓÚÑ][\w’'-]*"
_CONNECT = r"(?:de|del|de la|de los|para|sobre|on|of|the|for|y|and|e|en|la|el|las|los)"
_INSTRUMENT = re.compile(rf"(?:{_CAP}\s+(?:{_CONNECT}\s+)?)*{_HEAD}\b(?:\s+(?:{_CONNECT}\s+){{0,2}}{_CAP})*")
_JURISDICTION = re.compile(
    rf"\b({_CAP}(?:\s+{_CAP})*)['’]s\s+(?:[\w-]+\s+){{0,3}}(?i:law|code|act|constitution|legislation|regulations?)\b|"
    rf"\b(?:ley|leyes|c[óo]digo|legislaci[óo]n|law|laws|code)\s+(?:[a-záéíóúñ]+\s+){{0,2}}(?:de|of|del)\s+"
    rf"({_CAP}(?:\s+{_CAP})*)")
_GENERIC = frozenset(tokenize(
    "ley leyes law laws act code codigo reglamento regulation regulations constitution constitucion decree "
    "decreto statute estatuto general federal national nacional political politica organic organica "
    "what which does do is are the"))


def unknown_words(sparse: SparseIndex, question: str, known: Set[str] = frozenset()) -> list[str]:
    """Capitalised words inside the question (names: "Buenos Aires", "France") that occur
    nowhere in the corpus — except ``known`` ones (acronyms whose names the corpus holds)."""
    missing = []
    for word in _NAME.findall(question):
        word = re.sub(r"['’]s$", "", word)  # "CONAPRED's" is CONAPRED
        if word in known:
            continue
        tokens = tokenize(word)
        if tokens and not any(sparse.knows(t) for t in tokens):
            missing.append(word)
    return missing


class UnknownNames:
    """The names, instruments and jurisdictions of a question the documents never mention."""

    def __init__(self, sparse: SparseIndex, documents: dict[str, Document]) -> None:
        self.sparse = sparse
        self.titles = [frozenset(tokenize(d.meta.title)) for d in documents.values()]
        self.places = frozenset(t for d in documents.values()
                                for t in tokenize(" ".join([d.meta.title, d.meta.jurisdiction or ""])))

    def __call__(self, question: str, known: Set[str] = frozenset()) -> list[str]:
        missing = unknown_words(self.sparse, question, known)
        for match in _INSTRUMENT.finditer(question):
            words = [t for t in tokenize(match.group(0)) if t not in _GENERIC and t not in known]
            if (words and len(match.group(0).split()) >= 2 and not any(set(words) <= title for title in self.titles)
                    and not self.sparse.together(words)):
                missing.append(match.group(0))
        for match in _JURISDICTION.finditer(question):
            place = match.group(1) or match.group(2)
            words = tokenize(place)
            if words and place not in known and not set(words) <= self.places:
                missing.append(place)
        return list(dict.fromkeys(m for m in missing if not any(m != o and m in o for o in missing)))


__all__ = ["UnknownNames", "unknown_words"]
