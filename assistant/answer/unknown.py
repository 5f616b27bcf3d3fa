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
Acronyms whose names the corpus holds (search.acronyms) are known. So is a name the question
glosses with words the corpus uses ("the Board of Directors (Consejo de Administración)"),
and a word whose letter-for-letter translation the corpus uses (``text.cognate_forms``:
"the Senate" in a question over laws that say "el Senado").
"""

from __future__ import annotations

import re
from collections.abc import Set

from assistant.records import Document
from assistant.search.sparse import SparseIndex
from assistant.text import cognate_forms, fold, question_language, tokenize

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


_GLOSS = re.compile(r"((?:[A-ZÁÉÍÓÚÑ][\w'’-]*|of|the|to|for|and|on|de|del|la|las|los|el|y|para)"
                    r"(?:\s+(?:[A-ZÁÉÍÓÚÑ][\w'’-]*|of|the|to|for|and|on|de|del|la|las|los|el|y|para)){0,9})"
                    r"\s*\(([^()]+)\)")


def unknown_words(sparse: SparseIndex, question: str, known: Set[str] = frozenset()) -> list[str]:
    """Capitalised words inside the question (names: "Buenos Aires", "France") that occur
    nowhere in the corpus — except ``known`` ones (acronyms whose names the corpus holds),
    words a parenthesis of known words glosses, and words whose translation the corpus uses."""
    glossed = glossed_words(sparse, question, known)
    language = question_language(question)
    missing = []
    for word in _NAME.findall(question):
        word = re.sub(r"['’]s$", "", word)  # "CONAPRED's" is CONAPRED
        if word in known or word in glossed or any(part in known for part in word.split("-")):
            continue  # "US-based" is the known "US"
        tokens = tokenize(word)
        if tokens and not any(sparse.knows(t) or translated(sparse, t, language) for t in tokens):
            missing.append(word)
    return missing


def translated(sparse: SparseIndex, token: str, language: str = "en") -> bool:
    """The corpus uses ``token``'s plural or a letter-for-letter translation of it, a word of
    ``language`` ("senate" → "senado")."""
    forms = {token + "s", *cognate_forms(fold(token), language)}  # "procedure": the corpus has "procedures"
    return any(sparse.knows(form) for t in forms for form in tokenize(t))


def glossed_words(sparse: SparseIndex, question: str, known: Set[str] = frozenset()) -> frozenset[str]:
    """Words of a name the question glosses in parentheses with words the corpus uses, and of
    a parenthesis glossing a known name: "Oversight Commission (Comisión de Vigilancia)"."""
    def is_known(text: str) -> bool:
        tokens = tokenize(text)
        return bool(tokens) and all(sparse.knows(t) or t in folded for t in tokens)

    folded = {t for name in known for t in tokenize(name)}
    words: set[str] = set()
    for match in _GLOSS.finditer(question):
        name, gloss = match.group(1), match.group(2)
        if is_known(gloss) or is_known(name):
            words.update(re.findall(r"[\w'’-]+", name + " " + gloss))
    return frozenset(words)


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


__all__ = ["UnknownNames", "glossed_words", "translated", "unknown_words"]
