"""Line classifiers for Mexican law texts: article, structural and transitorios headings,
reform notes, and lines that continue the sentence above them.

General rules, not lists of known labels:

- an article number may carry a thousands separator ("Artículo 1,000.-") and any run of
  suffixes: a Latin ordinal-like word ("Bis", "Quáter", "Quintus", "Séptimus", "Novenus",
  "Quinquies" — ``bis``/``ter``/``quater`` or a word ending in -ies/-us), a hyphenated
  capital letter or digraph ("-A", "-LL", "-Ñ"), a number or a capital letter ("77 Bis 16 A");
- ordinals are one word or several ("DÉCIMO PRIMERO", "DECIMOSEGUNDO", "VIGESIMOPRIMERO");
- structural headings rank by kind; the kinds above Título (Tratado, Libro, Parte) rank by
  their first appearance in the document;
- a line that starts like a heading but follows a line ending in an article or preposition
  ("... a que se refiere el" / "Artículo 5o. de ...") continues that sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNIT = (
    r"(?:primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|sext[oa]|s[ée]ptim[oa]"
    r"|octav[oa]|noven[oa]|non[oa])"
)
_TENS = (
    r"(?:d[ée]cim|vig[ée]sim|trig[ée]sim|cuadrag[ée]sim|quincuag[ée]sim|sexag[ée]sim"
    r"|septuag[ée]sim|octog[ée]sim|nonag[ée]sim|cent[ée]sim)"
)
_ORD_WORD = (  # one word: "primero", "décimo", "decimosegundo", "vigesimoctavo", "único"
    rf"(?:{_TENS}(?:[oa]?{_UNIT}|[oa])|{_UNIT}|und[ée]cim[oa]|duod[ée]cim[oa]|[úu]nic[oa]"
    r"|preliminar)"
)
ORD = rf"{_ORD_WORD}(?:[\s-]+{_ORD_WORD}){{0,2}}"
LATIN = r"(?:bis|ter|qu[áa]ter|[^\W\d_]{2,}(?:ies|us))"  # bis, ter, quáter, quinquies, quintus
NOT_LETTER = r"(?![^\W\d_])"
_LETTERS = r"(?-i:LL|CH|RR|[A-ZÑ])"  # a capital letter or Spanish digraph, as printed
_TERM = r"(?:\s*(?:\.\s*-|\.|[-–—:])\s*|\s*$)"  # "." ".-" ". -" "-" ":" or end of line
_KEYWORD = r"(?:ART[ÍI]CULO|Art[íi]culo|Art\.)"

_NUMERIC_HEAD = re.compile(
    rf"{_KEYWORD}\s*(?P<n>\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)(?P<o>\s?[oº°]{NOT_LETTER})?"
    rf"(?P<suf>\.?(?:[\s-]+{LATIN}{NOT_LETTER}|-{_LETTERS}{NOT_LETTER})"
    rf"(?:(?:[\s-]+(?:{LATIN}|\d{{1,3}})|[\s-]+{_LETTERS}){NOT_LETTER})*)?"
    rf"(?P<term>{_TERM})",
    re.IGNORECASE,
)
_SUFFIX_TOKEN = re.compile(rf"(?P<sep>[\s-]+)(?P<tok>{LATIN}|\d+|{_LETTERS}){NOT_LETTER}", re.I)
_ORDINAL_HEAD = re.compile(
    rf"(?P<kw>(?:ART[ÍI]CULOS?|Art[íi]culos?)\s+)?"
    rf"(?P<ord>{ORD}(?:\s+(?:a|al|y)\s+{ORD})?){NOT_LETTER}(?P<term>{_TERM})",
    re.IGNORECASE,
)
_STRUCT = re.compile(
    rf"(?P<kw>TRATADO|PARTE|LIBRO|T[ÍI]TULO|CAP[ÍI]TULO|SECCI[ÓO]N)\s+"
    rf"(?P<ord>{ORD}|[IVXLC]+|\d+){NOT_LETTER}(?P<suf>\s+{LATIN}{NOT_LETTER})?(?P<rest>.*)$",
    re.IGNORECASE,
)
UPPER_KINDS = ("tratado", "parte", "libro")  # above Título; ranked by first appearance
KIND_RANK = {"titulo": 3, "capitulo": 4, "seccion": 5}
_TRANSITORY = re.compile(
    r"(?:(?:ART[ÍI]CULOS?|DISPOSICIONES)\s+)?TRANSITORI[OA]S?(?P<rest>.*)$", re.IGNORECASE
)
SPACED = re.compile(r"(?:[A-ZÁÉÍÓÚÑ] ){4,}[A-ZÁÉÍÓÚÑ][.:]?")
DECREE = re.compile(r"DECRETO\s+(?:por|POR|que|QUE|mediante|MEDIANTE|n[úu]mero|N[ÚU]MERO|No\.)\b")
# Articles, contractions and prepositions: a line ending in one of them is mid-sentence.
_OPEN_WORDS = frozenset(
    "el la los las lo un una unos unas al del a ante bajo con contra de desde durante en entre "
    "hacia hasta mediante para por según segun sin sobre tras conforme refiere".split()
)

_REFORM_SUBJECT = (
    r"(?:p[áa]rrafos?|fracci[óo]n|fracciones|art[íi]culos?|incisos?|subincisos?|apartados?"
    r"|bases?|numeral(?:es)?|cap[íi]tulos?|t[íi]tulos?|secci[óo]n|secciones|libros?|denominaci[óo]n"
    r"|encabezado|sustancia|[úu]ltimo\s+p[áa]rrafo)"
)
_REFORM_VERB = (
    r"(?:reformad|adicionad|derogad|recorrid|reubicad|declarad|publicad|abrogad|original"
    r"|derog[óo]|elimin[óo]|erratas|modificad|reformó|adicionó)"
)
_REFORM_NOTE = re.compile(rf"^\(?{_REFORM_SUBJECT}\b.{{0,45}}?{_REFORM_VERB}", re.IGNORECASE)
_REFORM_SOURCE = re.compile(
    r"\b(?:DOF|GOCDMX|POE|gaceta|peri[óo]dico\s+oficial)\b|(?<!\w)(?:D\.O\.F|G\.O|P\.O\.E?)\."
    r"|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}\s+de\s+\w+\s+de\s+\d{4}",
    re.IGNORECASE,
)
_REFORM_LEAD = re.compile(
    r"^(?:fe\s+de\s+erratas|reforma\s+(?:DOF|publicada)|[úu]ltima\s+reforma|nota\s*:"
    r"|\((?:reformad|adicionad|derogad)\w*)",
    re.IGNORECASE,
)
_REFORM_TAIL = re.compile(  # wrapped continuation lines of a long note
    r"^(?:\(antes\b|DOF\s+\d|(?:\d{1,2}-\d{1,2}-\d{4}[\s,y]*)+\)?\.?$"
    rf"|{_REFORM_VERB}\w*\s+DOF\b)",
    re.IGNORECASE,
)


def is_reform_note(line: str) -> bool:
    """True for a compilation's reform note ("Párrafo reformado DOF 04-05-2021") or its tail."""
    line = line.strip()
    if not line or len(line) > 400:
        return False
    if _REFORM_TAIL.match(line):
        return True
    return bool(
        (_REFORM_NOTE.match(line) or _REFORM_LEAD.match(line)) and _REFORM_SOURCE.search(line)
    )


def continues_sentence(previous: str) -> bool:
    """True when ``previous`` (the line above) ends mid-sentence in an article/preposition."""
    words = previous.rstrip().rsplit(None, 1)
    return bool(words) and words[-1] in _OPEN_WORDS


@dataclass
class Line:
    start: int  # offset of the first non-space character
    text: str  # stripped


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        lines.append(Line(pos + lead, raw.strip()))
        pos += len(raw) + 1
    return lines


def _title_case(words: str) -> str:
    return " ".join(word.capitalize() for word in words.split())


def _rest_ok(line: str, match: re.Match, following: str) -> bool:
    """After a heading label: text must not continue in lower case (that is prose)."""
    rest = line[match.end() :]
    if rest:
        return not rest[0].islower()
    return not following[:1].islower()


def _numeric_number(match: re.Match) -> str:
    """Normalised number: "1,000" → "1000", "18-H QUINTUS" → "18-H Quintus", "3° bis" → "3o Bis"."""
    number = match["n"].replace(",", "") + ("o" if match["o"] else "")
    for token in _SUFFIX_TOKEN.finditer((match["suf"] or "").lstrip(".")):
        word = token["tok"]
        if re.fullmatch(LATIN, word, re.I) and not re.fullmatch(_LETTERS, word):
            number += " " + word.capitalize()
        elif "-" in token["sep"] and not word.isdigit():
            number += "-" + word  # a hyphenated letter keeps its hyphen: "4-A", "26-LL"
        else:
            number += " " + word
    return number


def article_head(line: str, following: str, ordinals: bool, bare: bool) -> tuple[str, str] | None:
    """(label, number) when the line starts an article, else None."""
    if not line or not line[0].isupper():
        return None
    match = _NUMERIC_HEAD.match(line)
    if match and _rest_ok(line, match, following):
        number = _numeric_number(match)
        return f"Artículo {number}", number
    if not ordinals:
        return None
    match = _ORDINAL_HEAD.match(line)
    if not match or not (match["kw"] or bare) or not _rest_ok(line, match, following):
        return None
    if not match["kw"] and not line[match.end() :]:
        return None  # a bare ordinal alone on its line is not an item
    number = re.sub(r" (A|Al|Y) ", lambda m: f" {m[1].lower()} ", _title_case(match["ord"]))
    if not match["kw"]:
        return number, number
    keyword = "Artículos" if match["kw"].strip().lower().endswith("s") else "Artículo"
    return f"{keyword} {number}", number


def struct_head(line: str) -> tuple[str, str] | None:
    """(kind, heading) for "TÍTULO PRIMERO", "Capítulo III Bis", "TRATADO I", "LIBRO SEGUNDO" ..."""
    if not line or not line[0].isupper():
        return None
    match = _STRUCT.match(line)
    if not match:
        return None
    rest = match["rest"].strip()
    if rest and not (rest[0] in ".-–—:" or rest[0].isupper()):
        return None  # "Título Cuarto de esta Constitución." is prose
    kind = match["kw"].lower().translate(str.maketrans("íó", "io"))
    return kind, line


def transitory_rest(line: str) -> str | None:
    """For a transitorios heading, the text after "TRANSITORIOS" ("" when bare); else None."""
    if SPACED.fullmatch(line):
        line = line.replace(" ", "")  # "T R A N S I T O R I O S"
    match = _TRANSITORY.match(line) if line[:1].isupper() else None
    if not match:
        return None
    rest = match["rest"].strip(".:-–— ")
    if rest and not all(c.isupper() for c in line if c.isalpha()):
        return None  # "Transitorio del Decreto por el que ..." in prose
    return rest


def is_transitory_head(line: str) -> bool:
    return transitory_rest(line) is not None


def heading_names(lines: list[Line], i: int, limit: int, upper_only: bool = False) -> int:
    """Index just past the name lines following heading line ``i``."""
    j = i + 1
    while j < len(lines) and j - i <= limit:
        text = lines[j].text
        if not text or is_reform_note(text) or struct_head(text) or is_transitory_head(text):
            break
        if article_head(text, "", True, True) or len(text) > 200:
            break
        if upper_only and any(c.islower() for c in text):
            break
        j += 1
    return j
