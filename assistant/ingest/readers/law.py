"""Law structure on top of PDF text: Libro/Título/Capítulo/Sección, artículos, transitorios.

Works on the stored text of a Mexican official compilation (``read_pdf`` output) line by line:

- structural headings ("TÍTULO PRIMERO", "Capítulo III Bis", "SECCIÓN I") with their name on
  the following line(s) become ``Section``s nested by rank (Libro > Título > Capítulo > Sección);
- article headings ("Artículo 3o.-", "Artículo 11 Bis 1.", "ARTÍCULO 2" on its own line) start
  ``Article``s that run to the next article or heading;
- from the first "TRANSITORIOS" heading on, everything is the transitory zone: decree blocks,
  "Primero.-" / "ARTÍCULO ÚNICO." items, all flagged ``transitory=True``.

Reform notes ("Párrafo reformado DOF 04-05-2021") stay in the text; ``is_reform_note`` tells them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from assistant.records import Article, Document, Section

NO_STRUCTURE = "no law structure recognised; ingested by page"

_ORD_WORD = (
    r"(?:primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|sext[oa]|s[ée]ptim[oa]"
    r"|octav[oa]|noven[oa]|und[ée]cim[oa]|duod[ée]cim[oa]|d[ée]cim[oa]\w*|vig[ée]sim[oa]"
    r"|trig[ée]sim[oa]|cuadrag[ée]sim[oa]|quincuag[ée]sim[oa]|[úu]nic[oa]|preliminar)"
)
_ORD = rf"{_ORD_WORD}(?:[\s-]+{_ORD_WORD}){{0,2}}"
_LATIN = (
    r"(?:bis|ter|qu[áa]ter|quinquies|sexies|septies|octies|nonies|novies|decies"
    r"|undecies|duodecies|terdecies|quaterdecies|quindecies)"
)
_NOT_LETTER = r"(?![^\W\d_])"
_TERM = r"(?:\s*(?:\.\s*-|\.|[-–—:])\s*|\s*$)"  # "." ".-" ". -" "-" ":" or end of line
_KEYWORD = r"(?:ART[ÍI]CULO|Art[íi]culo|Art\.)"

_NUMERIC_HEAD = re.compile(
    rf"{_KEYWORD}\s*(?P<n>\d+)(?P<o>\s?[oº°]{_NOT_LETTER})?"
    rf"(?P<suf>\.?(?:[\s-]+{_LATIN}{_NOT_LETTER}|-[A-Z]{_NOT_LETTER})"
    rf"(?:[\s-]+(?:{_LATIN}|\d{{1,3}}|[A-Z]){_NOT_LETTER})*)?"
    rf"(?P<term>{_TERM})",
    re.IGNORECASE,
)
_ORDINAL_HEAD = re.compile(
    rf"(?P<kw>(?:ART[ÍI]CULOS?|Art[íi]culos?)\s+)?"
    rf"(?P<ord>{_ORD}(?:\s+(?:a|al|y)\s+{_ORD})?){_NOT_LETTER}(?P<term>{_TERM})",
    re.IGNORECASE,
)
_STRUCT = re.compile(
    rf"(?P<kw>LIBRO|T[ÍI]TULO|CAP[ÍI]TULO|SECCI[ÓO]N)\s+"
    rf"(?P<ord>{_ORD}|[IVXLC]+|\d+){_NOT_LETTER}(?P<suf>\s+{_LATIN}{_NOT_LETTER})?(?P<rest>.*)$",
    re.IGNORECASE,
)
_KIND_RANK = {"libro": 0, "titulo": 1, "capitulo": 2, "seccion": 3}
_TRANSITORY = re.compile(
    r"(?:(?:ART[ÍI]CULOS?|DISPOSICIONES)\s+)?TRANSITORI[OA]S?(?P<rest>.*)$", re.IGNORECASE
)
_SPACED = re.compile(r"(?:[A-ZÁÉÍÓÚÑ] ){4,}[A-ZÁÉÍÓÚÑ][.:]?")
_DECREE = re.compile(r"DECRETO\s+(?:por|POR|que|QUE|mediante|MEDIANTE|n[úu]mero|N[ÚU]MERO|No\.)\b")

_REFORM_SUBJECT = (
    r"(?:p[áa]rrafos?|fracci[óo]n|fracciones|art[íi]culos?|incisos?|subincisos?|apartados?"
    r"|bases?|numeral(?:es)?|cap[íi]tulos?|t[íi]tulos?|secci[óo]n|secciones|libros?|denominaci[óo]n"
    r"|encabezado|sustancia|[úu]ltimo\s+p[áa]rrafo)"
)
_REFORM_VERB = (
    r"(?:reformad|adicionad|derogad|recorrid|reubicad|declarad|publicad|abrogad|original"
    r"|derog[óo]|elimin[óo]|erratas|modificad|reformó|adicionó)"
)
_REFORM_NOTE = re.compile(
    rf"^\(?{_REFORM_SUBJECT}\b.{{0,45}}?{_REFORM_VERB}", re.IGNORECASE
)
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
_FRACCION = re.compile(
    r"(?P<label>(?P<roman>[IVXLC]+)(?P<suf>-[A-ZÑ]|\s+Bis)?)\s*\.-?(?:\s+|$)"
)
_CANONICAL_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


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


@dataclass
class _Line:
    start: int  # offset of the first non-space character
    text: str  # stripped


def _split_lines(text: str) -> list[_Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        lines.append(_Line(pos + lead, raw.strip()))
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


def _article_head(line: str, following: str, ordinals: bool, bare: bool) -> tuple[str, str] | None:
    """(label, number) when the line starts an article, else None."""
    if not line or not line[0].isupper():
        return None
    match = _NUMERIC_HEAD.match(line)
    if match and _rest_ok(line, match, following):
        suffix = (match["suf"] or "").lstrip(".")
        letter = re.match(r"-[A-Z](?![^\W\d_])", suffix)  # "Artículo 2-A"
        letter_text = letter.group() if letter else ""
        words = re.split(r"[\s-]+", suffix[len(letter_text) :])
        words = [w.capitalize() if re.fullmatch(_LATIN, w, re.I) else w for w in words if w]
        number = match["n"] + ("o" if match["o"] else "") + letter_text + "".join(f" {w}" for w in words)
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


def _struct_head(line: str) -> tuple[str, str] | None:
    """(kind, heading) for "TÍTULO PRIMERO", "Capítulo III Bis", "SECCIÓN I. Nombre" ..."""
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


def _transitory_rest(line: str) -> str | None:
    """For a transitorios heading, the text after "TRANSITORIOS" ("" when bare); else None."""
    if _SPACED.fullmatch(line):
        line = line.replace(" ", "")  # "T R A N S I T O R I O S"
    match = _TRANSITORY.match(line) if line[:1].isupper() else None
    if not match:
        return None
    rest = match["rest"].strip(".:-–— ")
    if rest and not all(c.isupper() for c in line if c.isalpha()):
        return None  # "Transitorio del Decreto por el que ..." in prose
    return rest


def _is_transitory_head(line: str) -> bool:
    return _transitory_rest(line) is not None


def _heading_names(lines: list[_Line], i: int, limit: int, upper_only: bool = False) -> int:
    """Index just past the name lines following heading line ``i``."""
    j = i + 1
    while j < len(lines) and j - i <= limit:
        text = lines[j].text
        if not text or is_reform_note(text) or _struct_head(text) or _is_transitory_head(text):
            break
        if _article_head(text, "", True, True) or len(text) > 200:
            break
        if upper_only and any(c.islower() for c in text):
            break
        j += 1
    return j


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _transitory_start(lines: list[_Line]) -> int:
    """Index of the first transitorios heading after the first article heading, or len(lines)."""
    seen_article = False
    for i, line in enumerate(lines):
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        if not seen_article:
            seen_article = _article_head(line.text, following, True, False) is not None
        elif _is_transitory_head(line.text):
            return i
    return len(lines)


def read_law_pdf(document: Document) -> Document:
    """Add Título/Capítulo/Sección sections and articles (main body and transitorios)."""
    text = document.text
    lines = _split_lines(text)
    zone = _transitory_start(lines)
    main_has_numbers = any(_article_head(line.text, "", False, False) for line in lines[:zone])
    heads: list[tuple[int, int, str, str]] = []  # (line index, rank, kind, title)
    articles: list[tuple[int, str, str, bool]] = []  # (line index, label, number, transitory)
    decree_open = False
    i = 0
    while i < len(lines):
        line = lines[i].text
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        in_main = i < zone
        if in_main and (struct := _struct_head(line)):
            j = _heading_names(lines, i, 4)
            names = " ".join(lines[k].text for k in range(i + 1, j))
            heads.append((i, _KIND_RANK[struct[0]], struct[0], f"{line} {names}".strip()))
            i = j
            continue
        if not in_main and _is_transitory_head(line):
            bare = not _transitory_rest(line)
            j = _heading_names(lines, i, 8, upper_only=True) if not bare else i + 1
            title = " ".join(lines[k].text for k in range(i, j))
            title = title.replace(" ", "") if _SPACED.fullmatch(title) else title
            rank = 12 if (bare and decree_open) else 10
            decree_open = decree_open and rank == 12
            heads.append((i, rank, "transitorios", title))
            i = j
            continue
        if not in_main and _DECREE.match(line):
            j = _heading_names(lines, i, 6)
            title = " ".join(lines[k].text for k in range(i, j))
            heads.append((i, 11, "transitorios", title))
            decree_open = True
            i = j
            continue
        head = _article_head(line, following, not in_main or not main_has_numbers, not in_main)
        if head:
            articles.append((i, head[0], head[1], not in_main))
        i += 1
    articles = _drop_out_of_order(articles, zone)
    if len(articles) < 2:  # one stray "Artículo 4o." line in a report is not a law
        warnings = [*document.warnings, NO_STRUCTURE]
        return document.model_copy(update={"warnings": warnings})
    sections, paths = _build_sections(text, lines, heads, zone)
    built = _build_articles(text, lines, heads, articles, paths, zone)
    return document.model_copy(
        update={"sections": [*document.sections, *sections], "articles": built}
    )


def _drop_out_of_order(
    articles: list[tuple[int, str, str, bool]], zone: int
) -> list[tuple[int, str, str, bool]]:
    """Main-body numbered articles must be mostly increasing: drop isolated outliers.

    Keeps the longest non-decreasing run of article numbers; a candidate outside it is a line
    that merely looks like a heading (a cross-reference that starts a line), so its text stays
    in the article before it.
    """
    main = [(k, int(m.group())) for k, a in enumerate(articles)
            if a[0] < zone and (m := re.match(r"\d+", a[2]))]
    tails: list[int] = []  # tails[n]: smallest last number of a run of length n + 1
    ends: list[int] = []  # index into main of that run's last element
    back: list[int | None] = []
    for position, (_, number) in enumerate(main):
        slot = bisect.bisect_right(tails, number)
        back.append(ends[slot - 1] if slot else None)
        tails[slot:slot + 1], ends[slot:slot + 1] = [number], [position]
    keep: set[int] = set()
    position = ends[-1] if ends else None
    while position is not None:
        keep.add(main[position][0])
        position = back[position]
    dropped = {k for k, _ in main} - keep
    return [a for k, a in enumerate(articles) if k not in dropped]


def _build_sections(
    text: str, lines: list[_Line], heads: list[tuple[int, int, str, str]], zone: int
) -> tuple[list[Section], dict[int, list[str]]]:
    """Sections with nested paths; also the path in force after each heading (by line)."""
    zone_start = lines[zone].start if zone < len(lines) else len(text)
    sections: list[Section] = []
    paths: dict[int, list[str]] = {}
    stack: list[tuple[int, Section]] = []  # (rank, section)
    for index, (i, rank, kind, title) in enumerate(heads):
        title = " ".join(title.split())
        if i >= zone and (not stack or stack[0][0] < 10):
            stack = []  # the transitory zone starts afresh
        while stack and stack[-1][0] >= rank:
            stack.pop()
        limit = zone_start if i < zone else len(text)
        end = limit
        for j, rank_j, *_ in heads[index + 1 :]:
            if lines[j].start >= limit:
                break
            if rank_j <= rank:
                end = lines[j].start
                break
        path = [s.title for _, s in stack] + [title]
        section = Section(
            start=lines[i].start, end=_trim(text, lines[i].start, end), title=title,
            level=len(stack) + 1, path=path, kind=kind,
        )
        stack.append((rank, section))
        sections.append(section)
        paths[i] = path
    return sections, paths


def _build_articles(
    text: str,
    lines: list[_Line],
    heads: list[tuple[int, int, str, str]],
    articles: list[tuple[int, str, str, bool]],
    paths: dict[int, list[str]],
    zone: int,
) -> list[Article]:
    """Articles end at the next article, the next heading or the start of the transitorios."""
    boundaries = sorted({i for i, *_ in heads} | {a[0] for a in articles} | {zone})
    head_lines = sorted(paths)
    built = []
    for i, label, number, transitory in articles:
        nxt = bisect.bisect_right(boundaries, i)
        after = boundaries[nxt] if nxt < len(boundaries) else len(lines)
        end = lines[after].start if after < len(lines) else len(text)
        owner = bisect.bisect_right(head_lines, i) - 1
        path = list(paths[head_lines[owner]]) if owner >= 0 else []
        if owner >= 0 and (head_lines[owner] < zone) != (i < zone):
            path = []  # a heading of the other zone does not govern this article
        start = lines[i].start
        built.append(
            Article(start=start, end=_trim(text, start, end), label=label, number=number,
                    path=path, transitory=transitory)
        )
    return built




def _roman_value(roman: str) -> int:
    """Value of a well-formed roman numeral up to 399, else 0."""
    if not _CANONICAL_ROMAN.fullmatch(roman):
        return 0
    total = 0
    for k, char in enumerate(roman):
        value = _ROMAN[char]
        following = _ROMAN[roman[k + 1]] if k + 1 < len(roman) else 0
        total += -value if value < following else value
    return total


def fraccion_spans(document: Document, article: Article) -> list[tuple[str, int, int]]:
    """Roman-numeral fracciones ("I", "II", "XXIX-E") of an article as (label, start, end).

    A fracción is a line starting "IV." / "IV.-" whose number follows the previous one
    (same number with a letter/Bis suffix allowed; "I" may restart a new series).
    """
    text = document.text
    found: list[tuple[str, int]] = []
    previous = 0
    pos = article.start
    for raw in text[article.start : article.end].split("\n"):
        stripped = raw.lstrip()
        match = _FRACCION.match(stripped)
        if match and pos != article.start:
            value = _roman_value(match["roman"])
            if value and (value in (previous + 1, 1) or (value == previous and match["suf"])):
                found.append((match["label"].replace("  ", " "), pos + len(raw) - len(stripped)))
                previous = value
        pos += len(raw) + 1
    spans = []
    for k, (label, start) in enumerate(found):
        end = found[k + 1][1] if k + 1 < len(found) else article.end
        spans.append((label, start, _trim(text, start, end)))
    return spans
