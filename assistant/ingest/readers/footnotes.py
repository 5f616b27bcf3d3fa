"""Profile footnotes: superscript markers, footnote paragraphs taken out of the body flow
(re-joining a sentence a footnote or page break cut in two), and their links to the markers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.records import Footnote

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
TO_SUPER = str.maketrans("0123456789", SUPERSCRIPTS)
FROM_SUPER = str.maketrans(SUPERSCRIPTS, "0123456789")
MARKER_RE = re.compile(f"[{SUPERSCRIPTS}]+")
FOOTNOTE_BLOCK_RE = re.compile(f"^([{SUPERSCRIPTS}]+)[ \t\u00a0]+(?=\\S)")
FOOTNOTES_TITLE = "FOOTNOTES"
_SENTENCE_END_RE = re.compile(r"[.!?:;…][\"”’')\]]*$")


def is_upper(block: str) -> bool:
    letters = [c for c in block if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)



def ends_sentence(block: str) -> bool:
    return bool(_SENTENCE_END_RE.search(MARKER_RE.sub("", block.rstrip())))


def is_prose(block: str) -> bool:
    return len(block) >= 60 and " " in block and not block.lstrip().startswith("-") and not is_upper(block)


def _should_join(prev: str, nxt: str, after_footnote: bool) -> bool:
    """Whether two paragraphs are halves of one sentence cut by a page break or footnote."""
    if not is_prose(prev) or ends_sentence(prev) or nxt.lstrip().startswith("-"):
        return False
    first = nxt.lstrip()[:1]
    if first.islower():
        return True
    return after_footnote and is_prose(nxt) and len(nxt) >= 80


@dataclass
class RawFootnote:
    marker: str
    text: str  # footnote text without its marker
    block: str  # the whole paragraph as printed
    body_pos: int  # where the paragraph stood in the body flow


def split_body(text: str) -> tuple[str, list[tuple[int, int]], list[RawFootnote]]:
    """Body text without footnote paragraphs, its paragraph spans, and the footnotes removed."""
    body = ""
    spans: list[tuple[int, int]] = []
    footnotes: list[RawFootnote] = []
    prev = ""
    after_footnote = False
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        match = FOOTNOTE_BLOCK_RE.match(block)
        if match:
            marker = match.group(1).translate(FROM_SUPER)
            block = block.rstrip()
            footnotes.append(RawFootnote(marker, block[match.end():].strip(), block, len(body)))
            after_footnote = True
            continue
        if spans and _should_join(prev, block, after_footnote):
            body += " " + block.lstrip()
            spans[-1] = (spans[-1][0], len(body))
            prev = body[spans[-1][0]:]
        else:
            if spans:
                body += "\n\n"
            spans.append((len(body), len(body) + len(block)))
            body += block
            prev = block
        after_footnote = False
    return body, spans, footnotes


def link_footnotes(body: str, raw: list[RawFootnote], base: int) -> tuple[list[Footnote], list[str]]:
    """Footnote records (spans start at ``base``) with refs to their markers in the body."""
    notes: list[Footnote] = []
    pos = base
    for i, item in enumerate(raw):
        if i:
            pos += 2
        start = pos + len(item.block) - len(item.text)
        notes.append(Footnote(marker=item.marker, start=start, end=start + len(item.text)))
        pos += len(item.block)
    warnings: list[str] = []
    for match in MARKER_RE.finditer(body):
        marker = match.group().translate(FROM_SUPER)
        following = [i for i, r in enumerate(raw) if r.marker == marker and r.body_pos >= match.start()]
        preceding = [i for i, r in enumerate(raw) if r.marker == marker and r.body_pos < match.start()]
        if following:
            notes[following[0]].refs.append(match.start())
        elif preceding:
            notes[preceding[-1]].refs.append(match.start())
        else:
            warnings.append(f"footnote marker {marker} at offset {match.start()} has no footnote text")
    return notes, warnings




# ----------------------------------------------------------------------------- headings
