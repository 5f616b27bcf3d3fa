"""PDF reader: text page by page with pypdf, running headers/footers removed, page spans kept.

The stored text is the pages' text after header/footer removal, each line right-stripped,
runs of blank lines collapsed to one, pages joined with "\\n" (or "\\n\\n" when a paragraph
break falls on the page break) so a sentence running over a page break continues.
``Document.pages`` holds one contiguous ``Page`` span per PDF page (empty pages have empty
spans), so every character of the stored text belongs to exactly one page.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.records import Document, DocumentMeta, Page
from assistant.ingest.readers import ReaderError

TOP_LINES = 8  # non-blank lines at the top of a page examined for running headers
BOTTOM_LINES = 4  # ... and at the bottom for running footers
MIN_PAGES = 3  # below this many pages with text, only same-position lines count as running
RUNNING_SHARE = 0.5  # a line is running when it sits at the page edge on >= this share
MAX_RUNNING_CHARS = 120  # running headers are short; long lines are prose

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_HEADER_HOUSE = re.compile(r"C[ÁA]MARA\s+DE\s+DIPUTADOS", re.IGNORECASE)
_HEADER_CLOSE = re.compile(
    r"(?:[ÚU]ltima\s+Reforma|Nuev[oa]\s+\w+)\s+(?:DOF|D\.O\.F\.)\s*\d{1,2}-\d{1,2}-\d{4}$",
    re.IGNORECASE,
)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's logger (e.g. 'Ignoring wrong pointing object') while reading."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def normalise_line(line: str) -> str:
    """Key used to compare edge lines across pages: digits → '#', spaces collapsed."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip()


def _check_bytes(path: Path) -> None:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError as error:
        raise ReaderError(f"{path.name}: cannot open file: {error}") from error
    if size == 0:
        raise ReaderError(f"{path.name}: empty file (0 bytes)")
    if b"%PDF-" not in head:
        raise ReaderError(f"{path.name}: not a PDF (starts with {head[:16]!r})")


def _extract_pages(path: Path, max_pages: int | None = None) -> tuple[list[str], dict, list[str]]:
    """Raw text of every page, the PDF metadata, and per-page warnings.

    A PDF with more than ``max_pages`` pages is refused before any text is extracted.
    """
    from pypdf import PdfReader

    warnings: list[str] = []
    with _quiet_pypdf():
        try:
            reader = PdfReader(str(path))
            encrypted = reader.is_encrypted
        except Exception as error:  # noqa: BLE001 - pypdf raises many types on bad files
            raise ReaderError(f"{path.name}: corrupt or truncated PDF ({error})") from error
        if encrypted:
            try:
                decrypted = reader.decrypt("")
            except Exception as error:  # noqa: BLE001 - unsupported algorithm, missing lib
                raise ReaderError(f"{path.name}: encrypted; cannot decrypt ({error})") from error
            if not decrypted:
                raise ReaderError(f"{path.name}: encrypted (a password is required)")
        try:
            pages = list(reader.pages)
        except Exception as error:  # noqa: BLE001
            raise ReaderError(f"{path.name}: corrupt or truncated PDF ({error})") from error
        if max_pages and len(pages) > max_pages:
            raise ReaderError(
                f"{path.name}: too many pages ({len(pages)}; the limit is {max_pages}, setting max_pages)"
            )
        try:
            metadata = dict(reader.metadata or {})
        except Exception:  # noqa: BLE001 - broken metadata is not fatal
            metadata = {}
        texts: list[str] = []
        for number, page in enumerate(pages, start=1):
            try:
                texts.append(page.extract_text() or "")
            except Exception as error:  # noqa: BLE001 - one bad page must not stop the rest
                warnings.append(f"page {number}: text extraction failed ({error})")
                texts.append("")
    if not pages:
        raise ReaderError(f"{path.name}: PDF has no pages")
    return texts, metadata, warnings


def _page_lines(raw: str) -> list[str]:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return [line.rstrip() for line in raw.split("\n")]


def _edge_keys(lines: list[str], top: bool, count: int) -> list[str]:
    keys = []
    ordered = lines if top else reversed(lines)
    for line in ordered:
        if line.strip():
            keys.append(normalise_line(line))
            if len(keys) == count:
                break
    return keys


def _compilation_header(lines: list[str]) -> set[str]:
    """Keys of a page's official-compilation header block, recognised by its shape alone.

    The block is the page's top lines down to a closing "Última Reforma DOF 23-04-2012" /
    "Nueva Ley DOF ..." line, with a "CÁMARA DE DIPUTADOS ..." line inside it.
    """
    top = [line.strip() for line in lines if line.strip()][:TOP_LINES]
    for end, line in enumerate(top):
        if _HEADER_CLOSE.match(line) and any(_HEADER_HOUSE.search(x) for x in top[:end]):
            return {normalise_line(x) for x in top[: end + 1]}
    return set()


def _common_edge(pages: list[list[str]], top: bool, count: int) -> set[str]:
    """Keys standing at the same position from the edge on every page (few-page PDFs)."""
    edges = [_edge_keys(lines, top, count) for lines in pages]
    keys: set[str] = set()
    for position in range(min(map(len, edges))):
        column = {edge[position] for edge in edges}
        if len(column) != 1 or len(edges[0][position]) > MAX_RUNNING_CHARS:
            break
        keys |= column
    return keys


def running_lines(pages: list[list[str]]) -> tuple[set[str], set[str]]:
    """Normalised lines that recur at the top (headers) and bottom (footers) of many pages.

    With fewer than ``MIN_PAGES`` pages a line is running when it stands at the same position
    from the edge on every page (two pages); an official compilation header is recognised by
    its shape on any page, so a one-page PDF loses it too.
    """
    with_text = [lines for lines in pages if any(line.strip() for line in lines)]
    shaped = set().union(*(_compilation_header(lines) for lines in with_text))
    if len(with_text) < MIN_PAGES:
        if len(with_text) < 2:
            return shaped, set()
        return (_common_edge(with_text, True, TOP_LINES) | shaped,
                _common_edge(with_text, False, BOTTOM_LINES))
    need = max(2, int(len(with_text) * RUNNING_SHARE + 0.999))
    found: list[set[str]] = []
    for top, count in ((True, TOP_LINES), (False, BOTTOM_LINES)):
        counter: Counter[str] = Counter()
        for lines in with_text:
            counter.update(set(_edge_keys(lines, top, count)))
        found.append({key for key, n in counter.items() if n >= need and len(key) <= MAX_RUNNING_CHARS})
    return found[0] | shaped, found[1]


def _strip_edge(lines: list[str], keys: set[str], top: bool, limit: int) -> list[str]:
    """Drop running lines (and blank lines among them) from one edge; each key at most once."""
    if not keys:
        return lines
    index = range(len(lines)) if top else range(len(lines) - 1, -1, -1)
    used: set[str] = set()
    seen = 0
    cut = None  # index of the last line removed
    for i in index:
        line = lines[i]
        if not line.strip():
            continue
        key = normalise_line(line)
        if key not in keys or key in used or seen >= limit:
            break
        used.add(key)
        seen += 1
        cut = i
    if cut is None:
        return lines
    return lines[cut + 1 :] if top else lines[:cut]


def _assemble(pages: list[list[str]]) -> tuple[str, list[Page]]:
    """Join cleaned pages into the stored text and contiguous page spans."""
    parts: list[str] = []
    body_starts: list[int | None] = []  # None: page without text
    offset = 0
    pending_break = False  # the previous page ended with blank lines
    for lines in pages:
        first = 0
        while first < len(lines) and not lines[first]:
            first += 1
        last = len(lines)
        while last > first and not lines[last - 1]:
            last -= 1
        body = _BLANK_RUNS.sub("\n\n", "\n".join(lines[first:last]))
        if not body:
            body_starts.append(None)
            continue
        if offset:
            separator = "\n\n" if (pending_break or first > 0) else "\n"
            parts.append(separator)
            offset += len(separator)
        body_starts.append(offset)
        parts.append(body)
        offset += len(body)
        pending_break = last < len(lines)
    text = "".join(parts)
    spans: list[Page] = []
    next_start = len(text)  # a page runs up to where the next page with text begins
    for number in range(len(body_starts), 0, -1):
        start = body_starts[number - 1]
        start = next_start if start is None else start
        spans.append(Page(number=number, start=start, end=next_start))
        next_start = start
    spans.reverse()
    return text, spans


def _is_stem_title(meta: DocumentMeta, path: Path) -> bool:
    title = meta.title.strip()
    return not title or title in {path.stem, path.stem.replace("_", " ").replace("-", " ")}


def read_pdf(path: Path, meta: DocumentMeta, max_pages: int | None = None) -> Document:
    """Read a PDF into a Document: stored text without running headers, plus page spans.

    Raises ReaderError for an empty, non-PDF, corrupt/truncated, password-protected or
    textless (scanned) file, and for more than ``max_pages`` pages when that is set.
    """
    path = Path(path)
    _check_bytes(path)
    texts, metadata, warnings = _extract_pages(path, max_pages)
    pages = [_page_lines(raw) for raw in texts]
    if not any(line.strip() for lines in pages for line in lines):
        raise ReaderError(f"{path.name}: no extractable text on any page (scanned PDF?)")
    headers, footers = running_lines(pages)
    cleaned = [
        _strip_edge(_strip_edge(lines, headers, True, TOP_LINES), footers, False, BOTTOM_LINES)
        for lines in pages
    ]
    text, spans = _assemble(cleaned)
    empty = [page.number for page in spans if page.start == page.end]
    if empty and len(empty) < len(spans):
        shown = ", ".join(map(str, empty[:10])) + (" ..." if len(empty) > 10 else "")
        warnings.append(f"{len(empty)} page(s) without text: {shown}")
    if _is_stem_title(meta, path):
        title = str(metadata.get("/Title") or "").strip()
        if not title:
            title = next((line.strip() for line in text.split("\n") if line.strip()), meta.title)
        meta = meta.model_copy(update={"title": title[:200]})
    return Document(meta=meta, text=text, pages=spans, warnings=warnings)

