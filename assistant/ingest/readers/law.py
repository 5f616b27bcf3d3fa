"""Law structure on top of PDF text: Tratado/Libro/Título/Capítulo/Sección, artículos, transitorios.

Works on the stored text of a Mexican official compilation (``read_pdf`` output) line by line:

- structural headings ("TÍTULO PRIMERO", "Capítulo III Bis", "SECCIÓN I") with their name on
  the following line(s) become ``Section``s nested by rank (Tratado/Parte/Libro > Título >
  Capítulo > Sección);
- article headings ("Artículo 3o.-", "Artículo 11 Bis 1.", "ARTÍCULO 2" on its own line) start
  ``Article``s that run to the next article or heading;
- from the first "TRANSITORIOS" heading on, everything is the transitory zone: decree blocks,
  "Primero.-" / "ARTÍCULO ÚNICO." items, all flagged ``transitory=True``;
- inside every article, apartados / fracciones / numerales / incisos become nested
  ``Division``s (see ``law_divisions``); ``locator`` cites an offset ("Artículo 9, apartado D,
  numeral 1").

Heading recognition lives in ``law_heads``. Reform notes ("Párrafo reformado DOF 04-05-2021")
stay in the text; ``is_reform_note`` tells them.
"""

from __future__ import annotations

import bisect
import re

from assistant.ingest.readers.law_divisions import article_divisions, locator
from assistant.ingest.readers.law_heads import (
    DECREE, KIND_RANK, SPACED, Line, article_head, continues_sentence,
    heading_names, is_reform_note, is_transitory_head, split_lines, struct_head, transitory_rest,
)
from assistant.records import Article, Document, Section

__all__ = ["NO_STRUCTURE", "add_law_structure", "is_reform_note", "locator"]

NO_STRUCTURE = "no law structure recognised; ingested by page"

Head = tuple[int, int, str, str]  # (line index, rank, kind, title)
Candidate = tuple[int, str, str, bool]  # (line index, label, number, transitory)


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _previous(lines: list[Line], i: int) -> str:
    return lines[i - 1].text if i > 0 else ""


def _transitory_start(lines: list[Line]) -> int:
    """Index of the first transitorios heading after the first article heading, or len(lines)."""
    seen_article = False
    for i, line in enumerate(lines):
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        if not seen_article:
            seen_article = (article_head(line.text, following, True, False) is not None
                            and not continues_sentence(_previous(lines, i)))
        elif is_transitory_head(line.text):
            return i
    return len(lines)


def _struct_rank(kind: str, upper_seen: list[str]) -> int:
    """Título 3, Capítulo 4, Sección 5; Tratado/Parte/Libro 0..2 in order of first appearance."""
    if kind in KIND_RANK:
        return KIND_RANK[kind]
    if kind not in upper_seen:
        upper_seen.append(kind)
    return upper_seen.index(kind)


def _zone_head(lines: list[Line], i: int, decree_open: bool) -> tuple[int, Head, bool] | None:
    """In the transitory zone: a transitorios or decree heading at line ``i``."""
    line = lines[i].text
    if is_transitory_head(line):
        bare = not transitory_rest(line)
        j = heading_names(lines, i, 8, upper_only=True) if not bare else i + 1
        title = " ".join(lines[k].text for k in range(i, j))
        title = title.replace(" ", "") if SPACED.fullmatch(title) else title
        rank = 12 if (bare and decree_open) else 10
        return j, (i, rank, "transitorios", title), decree_open and rank == 12
    if DECREE.match(line):
        j = heading_names(lines, i, 6)
        title = " ".join(lines[k].text for k in range(i, j))
        return j, (i, 11, "transitorios", title), True
    return None


def _scan(lines: list[Line], zone: int) -> tuple[list[Head], list[Candidate]]:
    """Headings and article candidates, line by line."""
    main_has_numbers = any(article_head(line.text, "", False, False) for line in lines[:zone])
    heads: list[Head] = []
    articles: list[Candidate] = []
    upper_seen: list[str] = []
    decree_open = False
    i = 0
    while i < len(lines):
        line = lines[i].text
        in_main = i < zone
        if continues_sentence(_previous(lines, i)):
            i += 1  # "... se refiere el" / "Artículo 5o." is a wrapped cross-reference
            continue
        if in_main and (struct := struct_head(line)):
            j = heading_names(lines, i, 4)
            names = " ".join(lines[k].text for k in range(i + 1, j))
            rank = _struct_rank(struct[0], upper_seen)
            heads.append((i, rank, struct[0], f"{line} {names}".strip()))
            i = j
            continue
        if not in_main and (found := _zone_head(lines, i, decree_open)):
            i, head, decree_open = found
            heads.append(head)
            continue
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        head = article_head(line, following, not in_main or not main_has_numbers, not in_main)
        if head:
            articles.append((i, head[0], head[1], not in_main))
        i += 1
    return heads, articles


def add_law_structure(document: Document) -> Document:
    """Add Título/Capítulo/Sección sections and articles (main body and transitorios) with
    their divisions to an already-read Document; a text without articles gets a warning."""
    text = document.text
    lines = split_lines(text)
    zone = _transitory_start(lines)
    heads, articles = _scan(lines, zone)
    articles = _drop_out_of_order(articles, zone)
    if len(articles) < 2:  # one stray "Artículo 4o." line in a report is not a law
        warnings = [*document.warnings, NO_STRUCTURE]
        return document.model_copy(update={"warnings": warnings})
    sections, paths = _build_sections(text, lines, heads, zone)
    built = _build_articles(text, lines, heads, articles, paths, zone)
    return document.model_copy(
        update={"sections": [*document.sections, *sections], "articles": built}
    )


def _drop_out_of_order(articles: list[Candidate], zone: int) -> list[Candidate]:
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
    text: str, lines: list[Line], heads: list[Head], zone: int
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
    lines: list[Line],
    heads: list[Head],
    articles: list[Candidate],
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
        end = _trim(text, start, end)
        built.append(
            Article(start=start, end=end, label=label, number=number, path=path,
                    transitory=transitory, divisions=article_divisions(text, start, end))
        )
    return built
