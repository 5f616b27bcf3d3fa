"""Divisions inside an article — apartados, fracciones, numerales, incisos — and locators.

A division starts at a line that begins with a marker: "A." / "Apartado A." (apartado),
"IV." / "XXIX-E.-" / "XXII Quintus." (fracción), "1." / "1)" (numeral), "a)" / "a." / "ii)"
(inciso). Markers are read as an outline, by sequence rather than by a fixed hierarchy:

- a marker that is the successor of an open division of the same style ("C." after "B.",
  "XXIX-A." after "XXIX.", "b)" after "a)") closes everything opened inside that one and
  becomes its sibling;
- a first item ("A.", "I.", "1.", "a)", "i)") restarts its style's open series, or otherwise
  opens a new level inside the innermost open division;
- failing both, a fracción up to ``_MAX_GAP`` numbers past an open one still follows it (the
  compilation left one out or misprinted it: CPEUM 123 B prints "XI (sic)" for IX);
- anything else ("C. Juan Pérez", "2013. Año ...") is not a marker.

So CPEUM Art. 123 nests apartado > fracción > inciso > numeral, Art. 41 fracción > apartado >
inciso and the CDMX constitution apartado > numeral > inciso, each as printed. A line after
one ending mid-sentence in an article or preposition, a citation ("... de la fracción" /
"II. del artículo ...") and a reform note are never markers. A division runs to the next marker at its level or above, or the article end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.readers.law_heads import LATIN, NOT_LETTER, continues_sentence, is_reform_note
from assistant.records import Division, Document

_MARKER = re.compile(
    rf"(?P<roman>[IVXLC]+)(?P<rsuf>(?:-(?:LL|CH|[A-ZÑ])|\s+(?i:{LATIN})|\s+[A-Z]){NOT_LETTER})*"
    rf"(?P<rterm>\s*\.\s*[-–]?|\s*[-–](?=\s))(?=\s|$)"
    r"|(?P<upper>[A-ZÑ])(?P<uterm>\s*\.\s*[-–]?|\))(?=\s|$)"
    r"|(?P<num>\d{1,3})(?P<nterm>\s*\.\s*[-–]?|\))(?=\s|$)"
    r"|(?P<lower>[a-zñ]|(?P<dbl>[a-z])(?P=dbl)|[ivx]+)(?P<lterm>\)|\.\s*[-–]?)(?=\s|$)"
)
_APARTADO = re.compile(r"Apartado\s+(?P<upper>[A-ZÑ])(?P<uterm>\s*[.:]?\s*[-–]?)(?=\s|$)")
_LOCATOR_WORDS = re.compile(
    r"(?:fracci[óo]n|fracciones|incisos?|numeral(?:es)?|apartados?|art[íi]culos?|p[áa]rrafos?"
    r"|bases?)$",
    re.IGNORECASE,
)
_CANONICAL_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_MAX_GAP = 2  # fracciones that may be missing between two in sequence
_NAMES = {"apartado": "apartado", "fraccion": "fracción", "numeral": "numeral", "inciso": "inciso"}


def roman_value(roman: str) -> int:
    """Value of a well-formed roman numeral up to 399, else 0."""
    roman = roman.upper()
    if not roman or not _CANONICAL_ROMAN.fullmatch(roman):
        return 0
    total = 0
    for k, char in enumerate(roman):
        value = _ROMAN[char]
        following = _ROMAN[roman[k + 1]] if k + 1 < len(roman) else 0
        total += -value if value < following else value
    return total


@dataclass
class _Reading:
    """One way to read a marker: its style (kind + punctuation), label and sequence key."""

    kind: str
    style: str
    label: str
    value: int  # position in its series (1 = first item)
    suffix: str = ""  # "-A", " Bis": same value as the previous item, later in the series


@dataclass
class _Open:
    reading: _Reading
    start: int
    level: int


def _letter(letter: str) -> tuple[int, str]:
    """Series value and suffix of a letter: "a" 1 ... "z" 26, "aa" 27; "ñ" is "n" + suffix."""
    letter = letter.lower()
    if letter == "ñ":
        return ord("n") - ord("a") + 1, "ñ"
    if len(letter) == 2:
        return 26 + ord(letter[0]) - ord("a") + 1, ""
    return ord(letter) - ord("a") + 1, ""


def _readings(line: str, cited: bool = False) -> list[_Reading]:
    """The possible readings of a marker at the start of ``line`` (none: not a marker).

    ``cited``: the line above ends in "fracción", "inciso" ... — then a marker followed by lower
    case ("II. del artículo 5") is the rest of that citation.
    """
    match = _APARTADO.match(line)
    if match and not line[match.end():].lstrip()[:1].islower():
        return [_Reading("apartado", "apartado", match["upper"], *_letter(match["upper"]))]
    match = _MARKER.match(line)
    if not match or cited and line[match.end():].lstrip()[:1].islower():
        return []
    readings: list[_Reading] = []
    if match["roman"] and (value := roman_value(match["roman"])):
        suffix = " ".join((match["rsuf"] or "").split())
        label = match["roman"] + (suffix if suffix.startswith("-") else f" {suffix}" * bool(suffix))
        readings.append(_Reading("fraccion", "fraccion", label, value, suffix))
    letter = match["upper"] or (match["roman"] if len(match["roman"] or "") == 1
                                and not match["rsuf"] and "." in match["rterm"] else None)
    if letter:
        style = "apartado)" if match["uterm"] == ")" else "apartado"
        readings.append(_Reading("apartado", style, letter, *_letter(letter)))
    if match["num"]:
        style = "numeral)" if match["nterm"] == ")" else "numeral."
        readings.append(_Reading("numeral", style, match["num"], int(match["num"])))
    lower = match["lower"]
    if lower:
        close = ")" if match["lterm"] == ")" else "."
        if len(lower) == 1 or lower[0] == lower[1:2] and lower[0] not in "ivx":
            readings.append(_Reading("inciso", "inciso" + close, lower, *_letter(lower)))
        if value := roman_value(lower):
            readings.append(_Reading("inciso", "roman" + close, lower, value))
    return readings


def _follows(reading: _Reading, previous: _Reading) -> bool:
    """True when ``reading`` is the next item after ``previous`` in the same series."""
    if reading.style != previous.style:
        return False
    if reading.value == previous.value + 1:
        return True
    return reading.value == previous.value and bool(reading.suffix) and (
        reading.suffix != previous.suffix
    )


def _place(readings: list[_Reading], stack: list[_Open]) -> tuple[_Reading, int] | None:
    """Which reading a marker takes and the stack depth it goes to, or None (not a marker)."""
    for depth in range(len(stack) - 1, -1, -1):  # the innermost open series first
        for reading in readings:
            if _follows(reading, stack[depth].reading):
                return reading, depth
    for reading in readings:
        if reading.value == 1 and not reading.suffix:
            same = [d for d, item in enumerate(stack) if item.reading.style == reading.style]
            return reading, same[-1] if same else len(stack)
    for depth in range(len(stack) - 1, -1, -1):  # a fracción misprinted or left out ("XI (sic)")
        previous = stack[depth].reading
        for reading in readings:
            if reading.style == previous.style == "fraccion" and (
                previous.value < reading.value <= previous.value + _MAX_GAP + 1
            ):
                return reading, depth
    return None


def _markers(text: str, start: int, end: int) -> list[tuple[int, int, _Reading]]:
    """(offset, level, reading) of every division marker in ``text[start:end]``."""
    found: list[tuple[int, int, _Reading]] = []
    stack: list[_Open] = []
    pos = start
    previous = ""
    for raw in text[start:end].split("\n"):
        stripped = raw.strip()
        offset = pos + len(raw) - len(raw.lstrip())
        pos += len(raw) + 1
        if offset == start or not stripped:
            previous = stripped
            continue
        blocked = is_reform_note(stripped) or continues_sentence(previous)
        cited = bool(previous) and bool(_LOCATOR_WORDS.search(previous.rsplit(None, 1)[-1]))
        previous = stripped
        readings = [] if blocked else _readings(stripped, cited)
        placed = _place(readings, stack) if readings else None
        if placed is None:
            continue
        reading, depth = placed
        del stack[depth:]
        stack.append(_Open(reading, offset, depth))
        found.append((offset, depth, reading))
    return found


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def article_divisions(text: str, start: int, end: int) -> list[Division]:
    """Nested divisions of the article spanning ``text[start:end]``, in text order."""
    markers = _markers(text, start, end)
    divisions = []
    for k, (offset, level, reading) in enumerate(markers):
        stop = next((o for o, lv, _ in markers[k + 1 :] if lv <= level), end)
        divisions.append(Division(start=offset, end=_trim(text, offset, stop), kind=reading.kind,
                                  label=reading.label, level=level))
    return divisions


def division_path(document: Document, offset: int) -> list[Division]:
    """The divisions holding ``offset``, outermost first (empty outside any division)."""
    article = document.article_at(offset)
    if article is None:
        return []
    holding = [d for d in article.divisions if d.start <= offset < d.end]
    return sorted(holding, key=lambda d: d.level)


def locator(document: Document, offset: int) -> str:
    """How to cite ``offset``: "Artículo 9, apartado D, numeral 1", "Artículo 77 Bis 1,
    fracción II", "Artículo 123, apartado A, fracción XXXI, inciso b)" — the article label
    alone outside any division, "" outside any article."""
    article = document.article_at(offset)
    if article is None:
        return ""
    parts = [article.label]
    for division in division_path(document, offset):
        close = ")" if division.kind == "inciso" else ""
        parts.append(f"{_NAMES[division.kind]} {division.label}{close}")
    return ", ".join(parts)
