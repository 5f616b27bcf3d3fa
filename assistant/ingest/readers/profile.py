"""MGI profile reader: clean stored text, footnotes moved to the end, section tree, KEY SOURCES.

Input is the markdown-like text converted from a published profile PDF: headings are upper-case
or numbered lines, footnote markers are superscript digits, footnote texts are paragraphs that
start with those digits (and may interrupt a sentence), no page numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.readers.migof import tag_sections
from assistant.ingest.readers.footnotes import (  # noqa: F401 - FOOTNOTES_TITLE, SUPERSCRIPTS re-exported
    FOOTNOTES_TITLE,
    MARKER_RE,
    SUPERSCRIPTS,
    TO_SUPER,
    ends_sentence,
    is_prose,
    is_upper,
    link_footnotes,
    split_body,
)
from assistant.records import Document, DocumentMeta, KeySource, Section

KEY_SOURCES_TITLE = "KEY SOURCES"

_BOLD_RE = re.compile(r"(?<![*\w])\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?![*\w])")
_ITALIC_RE = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")
_UNDERSCORE_RE = re.compile(r"(?<![\w/])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w/])")
_CARET_MARKER_RE = re.compile(r"\^\{(\d+(?:\s*,\s*\d+)*)\}")
_TOC_LINE_RE = re.compile(r"^\s*([^a-z/]+?)\s*//\s*\d+\s*$")
_NUMBERED_RE = re.compile(r"^(\d+(?:\.\d+)+)\.?\s+\S")
_PAGE_RE = re.compile(r"^PAGE\s+\d+$", re.MULTILINE)
_YEAR_LABEL_RE = re.compile(r"^(\d{4}[a-z]?|n\.\s?d\.)(?:\s+|$)")
_AVAILABLE_RE = re.compile(r"\s*\bAvailable at\b:?\s*")
_CONNECTORS = {"AND", "OF", "THE", "TO", "IN", "FOR", "ON", "WITH", "AT", "BY"}


# ----------------------------------------------------------------------------- cleaning


def clean_text(raw: str) -> str:
    """Line endings normalised, emphasis markers removed, blank runs collapsed to one blank line."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = "\n".join(line.rstrip(" \t\u00a0\u200b") for line in text.split("\n"))
    text = _CARET_MARKER_RE.sub(
        lambda m: ",".join(n.strip().translate(TO_SUPER) for n in m.group(1).split(",")), text
    )
    for pattern in (_BOLD_RE, _ITALIC_RE, _UNDERSCORE_RE):
        text = pattern.sub(r"\1", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")




def _title_words(title: str) -> set[str]:
    return {w for w in re.findall(r"\w+", title.lower())}


def _is_noise(block: str, title_words: set[str]) -> bool:
    """Running headers and cover repeats: '|' lines, words all from the document title."""
    if "|" in block or _PAGE_RE.search(block):
        return True
    words = re.findall(r"\w+", block.lower())
    return bool(words) and all(w in title_words for w in words)


def _upper_candidate(block: str, title_words: set[str]) -> bool:
    lines = block.split("\n")
    stripped = MARKER_RE.sub("", block).strip()
    return (
        is_upper(block)
        and len(lines) <= 3
        and len(stripped) <= 160
        and stripped[:1].isalnum()
        and not stripped.endswith((".", ","))
        and not _is_noise(block, title_words)
    )


def _title_case_candidate(block: str) -> bool:
    line = MARKER_RE.sub("", block).strip()
    words = line.split()
    return (
        "\n" not in block
        and 2 <= len(line) <= 90
        and len(words) <= 12
        and (line[:1].isupper() or bool(re.match(r"\d{1,2} [A-Z]", line)))
        and not is_upper(line)
        and not re.search(r"[.,;:!?|]$", line)
        and not line.startswith(("-", "#", "@", "*", "“", '"'))
    )


def _join_title(block: str) -> str:
    return re.sub(r"\s+", " ", MARKER_RE.sub("", block)).strip()


def _toc_entries(blocks: list[str]) -> tuple[list[str], int]:
    """Top-level titles listed as 'TITLE // page' lines, and the index of the last such block."""
    titles, last = [], -1
    for i, block in enumerate(blocks):
        for line in block.split("\n"):
            match = _TOC_LINE_RE.match(line)
            if match:
                titles.append(_join_title(match.group(1)))
                last = i
    return titles, last


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 or w.isdigit()}


@dataclass
class _Heading:
    block: int
    start: int
    title: str
    kind: str  # "top", "upper", "dimension", "numbered", "sub"
    depth: int = 0
    printed: str = ""  # the heading as printed, when the title was taken from the TOC


def _find_headings(body: str, spans: list[tuple[int, int]], title_words: set[str]) -> list[_Heading]:
    blocks = [body[s:e] for s, e in spans]
    toc, toc_end = _toc_entries(blocks)
    heads: list[_Heading] = []
    skip: set[int] = set()
    for i, block in enumerate(blocks):
        if i in skip or i <= toc_end:
            continue
        start = spans[i][0]
        in_sources = bool(heads) and heads[-1].title.upper() == KEY_SOURCES_TITLE
        if in_sources and i + 1 < len(blocks) and _is_entry(blocks[i + 1]):
            continue  # an author line of the bibliography, not a heading
        number = block.strip() if re.fullmatch(r"\d{1,2}", block.strip()) else ""  # dimension number
        j = i + 1 if number else i
        if j < len(blocks) and _upper_candidate(blocks[j], title_words):
            title = _join_title(blocks[j])
            while j + 1 < len(blocks) and _continues_upper(blocks[j], blocks[j + 1], title_words):
                j += 1
                title += " " + _join_title(blocks[j])
            skip.update(range(i + 1, j + 1))
            heads.append(_Heading(i, start, f"{number} {title}".strip(), "dimension" if number else "upper"))
        elif (m := _NUMBERED_RE.match(block)) and "\n" not in block and len(block) <= 160 and not ends_sentence(block):
            heads.append(_Heading(i, start, _join_title(block), "numbered", m.group(1).count(".") + 1))
        elif _title_case_candidate(block) and _followed_by_prose(blocks, i):
            heads.append(_Heading(i, start, _join_title(block), "sub"))
    _mark_top_level(heads, toc)
    return heads


def _is_entry(block: str) -> bool:
    """A bibliography entry or bullet ('- 2011a Ley ...', '2019 Title ...')."""
    return block.lstrip().startswith(("-", "•")) or bool(_YEAR_LABEL_RE.match(block.lstrip()))


def _continues_upper(block: str, nxt: str, title_words: set[str]) -> bool:
    """An upper-case heading split over two paragraphs ('... STANDARDS' / 'AND FULFILMENT ...')."""
    if not _upper_candidate(nxt, title_words):
        return False
    last = re.findall(r"\w+", block)[-1:] or [""]
    first = re.findall(r"\w+", nxt)[:1] or [""]
    return last[0].upper() in _CONNECTORS or first[0].upper() in _CONNECTORS


def _followed_by_prose(blocks: list[str], i: int) -> bool:
    """True when a short title line introduces prose (directly, or via a chain of title lines)."""
    for j in range(i + 1, min(i + 4, len(blocks))):
        nxt = blocks[j]
        if is_prose(nxt) and len(nxt) >= 120 and ends_sentence(nxt):
            return True
        if not _title_case_candidate(nxt):
            return False
    return False


def _mark_top_level(heads: list[_Heading], toc: list[str]) -> None:
    """Upper-case headings named in the table of contents (or all of them) become top level."""
    uppers = [h for h in heads if h.kind == "upper"]
    matched: dict[int, int] = {}  # toc index -> index into uppers
    pos = 0
    for t, title in enumerate(toc):
        for u in range(pos, len(uppers)):
            if uppers[u].title.lower() == title.lower():
                matched[t], pos = u, u + 1
                break
    for t, title in enumerate(toc):  # fuzzy: shared words, between the neighbours' matches
        if t in matched:
            continue
        lo = max([matched[k] + 1 for k in matched if k < t], default=0)
        hi = min([matched[k] for k in matched if k > t], default=len(uppers))
        for u in range(lo, hi):
            if _tokens(uppers[u].title) & _tokens(title):
                matched[t] = u
                uppers[u].printed, uppers[u].title = uppers[u].title, title
                break
    if not matched:  # no (usable) table of contents: every upper-case heading is top level
        for h in uppers:
            h.kind = "top"
        return
    for u in matched.values():
        uppers[u].kind = "top"
    first_top = min((uppers[u].start for u in matched.values()), default=0)
    heads[:] = [h for h in heads if h.start >= first_top]


def _build_sections(heads: list[_Heading], body_end: int, doc_title: str) -> list[Section]:
    """Assign levels, drop repeated running headers, and compute nested spans and paths."""
    base = {"top": 1, "dimension": 2, "upper": 2}
    seen_upper: set[str] = set()
    levelled: list[tuple[_Heading, int]] = []
    structural = 0  # level of the deepest non-sub heading in force
    group_level: int | None = None
    for k, h in enumerate(heads):
        if h.kind in ("upper", "top", "dimension"):
            if h.kind == "upper" and h.title.lower() in seen_upper:
                continue  # a running header repeating an earlier heading
            seen_upper.update({h.title.lower(), h.printed.lower()} - {""})
        if h.kind == "sub":
            nxt = heads[k + 1] if k + 1 < len(heads) else None
            is_group = nxt is not None and nxt.kind == "sub" and nxt.block == h.block + 1
            if is_group:
                level, group_level = structural + 1, structural + 1
            else:
                level = group_level + 1 if group_level is not None else structural + 1
        else:
            level = base.get(h.kind, 1 + h.depth)
            if h.kind == "numbered":
                level = max(level, 3)
            structural, group_level = level, None
        levelled.append((h, level))
    sections: list[Section] = []
    if levelled and levelled[0][0].start > 0:
        sections.append(Section(start=0, end=levelled[0][0].start, title=doc_title, level=1,
                                path=[doc_title], kind="front_matter"))
    stack: list[tuple[int, str]] = []
    for k, (h, level) in enumerate(levelled):
        end = next((o.start for o, lv in levelled[k + 1:] if lv <= level), body_end)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, h.title))
        kind = "key_sources" if h.title.upper() == KEY_SOURCES_TITLE else "heading"
        sections.append(Section(start=h.start, end=end, title=h.title, level=level,
                                path=[t for _, t in stack], kind=kind))
    return sections




# ----------------------------------------------------------------------------- key sources


def parse_key_sources(text: str, start: int, end: int, doc_id: str, title_words: set[str]) -> list[KeySource]:
    """Entries of a KEY SOURCES list in ``text[start:end]``: author headings, then year entries."""
    entries: list[KeySource] = []
    author = ""
    current: dict | None = None
    prev_blank = True

    def flush() -> None:
        nonlocal current
        if current:
            entries.append(_make_entry(text, current, author, doc_id, len(entries) + 1))
        current = None

    pos = start
    for line in text[start:end].split("\n"):
        line_start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if not stripped:
            prev_blank = True
            continue
        bullet = re.match(r"^\s*[-•]\s*", line)
        content = line[bullet.end():] if bullet else line
        content_start = line_start + (bullet.end() if bullet else 0)
        if not content.strip() or _is_noise(content, title_words) or content.strip().upper() == KEY_SOURCES_TITLE:
            prev_blank = True
            continue
        year = _YEAR_LABEL_RE.match(content)
        if year or (bullet and _AVAILABLE_RE.search(content)):
            flush()
            current = {"start": content_start, "end": line_start + len(line.rstrip()),
                       "year": year.group(1).replace(" ", "") if year else ""}
        elif current and not bullet and not prev_blank and (
            not _AVAILABLE_RE.search(text[current["start"]:current["end"]]) or " " not in stripped
        ):
            current["end"] = line_start + len(line.rstrip())  # continuation of a wrapped entry
        else:
            flush()
            author = _join_title(content)
        prev_blank = False
    flush()
    return entries


def _make_entry(text: str, item: dict, author: str, doc_id: str, n: int) -> KeySource:
    raw = re.sub(r"\s+", " ", text[item["start"]:item["end"]]).strip()
    year_match = _YEAR_LABEL_RE.match(raw)
    rest = raw[year_match.end():] if year_match else raw
    available = _AVAILABLE_RE.search(rest)
    title_part = rest[: available.start()] if available else rest
    url = rest[available.end():].strip() if available else None
    if url:
        url = re.sub(r"^<+|[>.]+$", "", url.split()[0]) or None
    title = title_part.replace("*", "").strip().rstrip(".").strip()
    return KeySource(id=f"{doc_id}:ks:{n}", author=author, year=item["year"], title=title, url=url,
                     start=item["start"], end=item["end"])


# ----------------------------------------------------------------------------- reader


def read_profile(path: Path, meta: DocumentMeta) -> Document:
    """Read an MGI profile text file into a Document with sections, footnotes and key sources."""
    from assistant.ingest.readers import read_text_file

    raw, encoding_note = read_text_file(path)
    body, spans, raw_notes = split_body(clean_text(raw))
    title_words = _title_words(meta.title)
    heads = _find_headings(body, spans, title_words)
    text = body
    footnote_base = len(body)
    if raw_notes:
        heading = f"\n\n{FOOTNOTES_TITLE}\n\n"
        text = body + heading + "\n\n".join(r.block for r in raw_notes)
        footnote_base = len(body) + len(heading)
    footnotes, warnings = link_footnotes(body, raw_notes, footnote_base)
    if encoding_note:
        warnings.insert(0, encoding_note)
    sections = tag_sections(_build_sections(heads, len(body), meta.title))  # MiGOF dimension/assessment
    if raw_notes:
        sections.append(Section(start=len(body) + 2, end=len(text), title=FOOTNOTES_TITLE, level=1,
                                path=[FOOTNOTES_TITLE], kind="footnotes"))
    key_sources: list[KeySource] = []
    for section in sections:
        if section.kind == "key_sources":
            heading_end = text.find("\n", section.start, section.end)
            heading_end = section.end if heading_end < 0 else heading_end
            key_sources = parse_key_sources(text, heading_end, section.end, meta.id, title_words)
            break
    else:
        if meta.kind == "profile":
            warnings.append("no KEY SOURCES section found")
    return Document(meta=meta, text=text, sections=sections, footnotes=footnotes,
                    key_sources=key_sources, warnings=warnings)
