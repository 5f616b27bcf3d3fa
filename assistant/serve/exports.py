"""Exports of a conversation's cited passages for researchers: Markdown, CSV and BibTeX,
plus the one-line formatted citation behind each card's "Copy citation" button.

Quotes are exported verbatim (``document.text[start:end]``) with their locator: document,
section path or article, page (PDFs) and character offsets, so every passage can be found
again in the source viewer at ``/documents/{id}?start=&end=``.

CSV cells that a spreadsheet would run as a formula — starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return — are prefixed with a single quote (OWASP, "CSV
Injection"), so ``=HYPERLINK(...)`` shows as text. The Markdown and JSON exports keep every
quote verbatim. Links are built from the configured public base URL (``public_url``),
never from the request's Host header.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from assistant.conversations import Conversation
from assistant.records import Citation, DocumentMeta

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "json": ("application/json; charset=utf-8", "json"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "conversation_id", "turn", "question", "citation", "quote", "document_id", "document_title",
    "document_kind", "language", "file", "section", "article", "page", "start", "end",
    "key_sources", "footnotes", "source_viewer",
]
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "&": r"\&",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}
_CLEAN_URL = re.compile(r"https?://[^\s{}\\\"<>]+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def viewer_path(citation: Citation) -> str:
    """The source-viewer URL path of a citation (relative to the site root)."""
    return f"/documents/{citation.document.id}?start={citation.start}&end={citation.end}"


def citation_text(citation: Citation) -> str:
    """A formatted one-line citation (whitespace inside the quote collapsed to spaces)."""
    quote = " ".join(citation.quote.split())
    where = citation.locator()
    text = f"“{quote}” — {citation.document.title}"
    if where:
        text += f", {where}"
    return f"{text}. [{citation.document.file}, characters {citation.start}–{citation.end}]"


def cited(conversation: Conversation) -> list[tuple[int, str, Citation]]:
    """(turn number, question, citation) for every citation of every turn, in order."""
    return [
        (turn.n, turn.question, citation)
        for turn in conversation.turns
        for citation in turn.answer.citations
    ]


def filename(conversation: Conversation, fmt: str) -> str:
    """The download file name for an export format."""
    return f"mgi-conversation-{conversation.id}.{FORMATS[fmt][1]}"


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- Markdown


def md_inline(text: str) -> str:
    """Inline Markdown text: "<" backslash-escaped so no HTML tag can be rendered."""
    return text.replace("<", "\\<")


def md_block(text: str, prefix: str = "> ") -> str:
    return "\n".join(prefix + md_inline(line) if line else prefix.rstrip() for line in text.split("\n"))


def to_markdown(conversation: Conversation, base_url: str = "") -> str:
    """A Markdown report: each question, then its quotes as blockquotes with locators."""
    lines = [
        f"# {md_inline(conversation.title or 'Conversation')}",
        "",
        f"- Conversation: `{conversation.id}`",
        f"- Created: {conversation.created}; updated: {conversation.updated}",
        f"- Exported from MGI Assistant: {_stamp()}",
        "- Quotes are verbatim from the stored document text; offsets are character offsets.",
    ]
    for turn in conversation.turns:
        lines += ["", f"## Question {turn.n}: {md_inline(turn.question)}", ""]
        if turn.answer.refused:
            lines += [f"_{md_inline(turn.answer.answer)}_"]
            continue
        for c in turn.answer.citations:
            lines += [f"### [{c.n}] {md_inline(c.document.title)}", "", md_block(c.quote), ""]
            lines.append(f"- Document: {md_inline(c.document.title)} (`{c.document.id}`, "
                         f"{c.document.kind}, {c.document.language}, file `{c.document.file}`)")
            if c.section:
                lines.append(f"- Section: {md_inline(c.section)}")
            if c.article:
                lines.append(f"- Article: {md_inline(c.article)}")
            if c.page:
                lines.append(f"- Page: {c.page}")
            lines.append(f"- Characters: {c.start}–{c.end}")
            if c.key_sources:
                lines.append("- Key Sources:")
                lines += [f"  - {md_inline(ks.label)}" for ks in c.key_sources]
            if c.footnotes:
                lines.append("- Footnotes:")
                lines += [f"  - {md_inline(' '.join(note.split()))}" for note in c.footnotes]
            lines.append(f"- Source viewer: {base_url}{viewer_path(c)}")
            lines.append(f"- Cite as: {md_inline(citation_text(c))}")
            lines.append("")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- CSV


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not execute: text starting with = + - @ tab or CR gets a
    leading single quote (OWASP CSV injection advice). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(conversation: Conversation, base_url: str = "") -> str:
    """One row per cited passage (RFC 4180 quoting). Cells that would start a spreadsheet
    formula are neutralised with a leading ' (the JSON and Markdown exports keep the quote
    verbatim)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, question, c in cited(conversation):
        writer.writerow(csv_cell(cell) for cell in [
            conversation.id, n, question, c.n, c.quote, c.document.id, c.document.title,
            c.document.kind, c.document.language, c.document.file, c.section, c.article or "",
            c.page or "", c.start, c.end, " ; ".join(ks.label for ks in c.key_sources),
            " ; ".join(" ".join(f.split()) for f in c.footnotes), f"{base_url}{viewer_path(c)}",
        ])
    return out.getvalue()


# ----------------------------------------------------------------------------- JSON


def to_json(conversation: Conversation, base_url: str = "") -> str:
    """The conversation's cited passages as JSON: every quote verbatim, with its locator and
    source-viewer link (for scripts; nothing is escaped or neutralised)."""
    rows = [
        {"turn": n, "question": question, "citation": c.n, "quote": c.quote,
         "document": c.document.model_dump(), "section": c.section, "article": c.article,
         "page": c.page, "start": c.start, "end": c.end,
         "key_sources": [ks.label for ks in c.key_sources], "footnotes": c.footnotes,
         "source_viewer": f"{base_url}{viewer_path(c)}"}
        for n, question, c in cited(conversation)
    ]
    return json.dumps({"conversation": {"id": conversation.id, "title": conversation.title,
                                        "created": conversation.created, "updated": conversation.updated},
                       "exported": _stamp(), "passages": rows}, ensure_ascii=False, indent=2) + "\n"


# ----------------------------------------------------------------------------- BibTeX


def bibtex_escape(text: str) -> str:
    """Escape BibTeX/LaTeX special characters (\\ { } % $ & # _ ^ ~); whitespace collapsed."""
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(text.split()))


def _key(document_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", document_id).strip("-") or "document"


def _year(meta: DocumentMeta | None, title: str) -> str | None:
    for text in ((meta.version or "") if meta else "", title):
        match = _YEAR.search(text)
        if match:
            return match.group(1)
    return None


def _passage_note(turn: int, c: Citation, base_url: str) -> str:
    where = c.locator()
    span = f"characters {c.start}-{c.end}"
    note = f"[{turn}.{c.n}] ({where}; {span})" if where else f"[{turn}.{c.n}] ({span})"
    note += f": “{c.quote}”"
    if c.key_sources:
        note += " Key Sources: " + "; ".join(ks.label for ks in c.key_sources) + "."
    return note + f" Source viewer: {base_url}{viewer_path(c)}"


def bibtex_entry(
    passages: list[tuple[int, Citation]], meta: DocumentMeta | None = None, base_url: str = ""
) -> str:
    """A document-level entry (@legislation for laws and constitutions, else @misc) whose
    note carries each quoted passage verbatim with its locator (section/article/page)."""
    document = passages[0][1].document
    entry_type = "legislation" if document.kind in ("law", "constitution") else "misc"
    fields: list[tuple[str, str]] = [("title", bibtex_escape(document.title))]
    year = _year(meta, document.title)
    if year:
        fields.append(("year", year))
    if meta and meta.jurisdiction:
        fields.append(("jurisdiction", bibtex_escape(meta.jurisdiction)))
    if meta and meta.version:
        fields.append(("version", bibtex_escape(meta.version)))
    fields.append(("type", bibtex_escape(document.kind)))
    fields.append(("language", bibtex_escape(document.language)))
    url = meta.source_url if meta and meta.source_url else ""
    if _CLEAN_URL.fullmatch(url):
        fields.append(("url", url))
    elif url:
        fields.append(("howpublished", bibtex_escape(url)))
    label = "Quoted passage" if len(passages) == 1 else "Quoted passages"
    notes = " --- ".join(_passage_note(turn, c, base_url) for turn, c in passages)
    fields.append(("note", bibtex_escape(f"{label} (file {document.file}): {notes}")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{_key(document.id)},\n{body}\n}}\n"


def to_bibtex(
    conversation: Conversation, documents: Mapping[str, DocumentMeta] | None = None, base_url: str = ""
) -> str:
    """One entry per cited document, its quoted passages in the note (each passage once)."""
    documents = documents or {}
    header = (
        f"% MGI Assistant export of conversation {conversation.id}, {_stamp()}\n"
        f"% {bibtex_escape(conversation.title)}\n\n"
    )
    by_document: dict[str, list[tuple[int, Citation]]] = {}
    seen: set[tuple[str, int, int]] = set()
    for n, _, c in cited(conversation):
        if (c.document.id, c.start, c.end) not in seen:
            seen.add((c.document.id, c.start, c.end))
            by_document.setdefault(c.document.id, []).append((n, c))
    entries = [bibtex_entry(passages, documents.get(doc_id), base_url)
               for doc_id, passages in by_document.items()]
    return header + "\n".join(entries)


def export(
    conversation: Conversation, fmt: str, documents: Mapping[str, DocumentMeta] | None = None,
    base_url: str = "",
) -> str:
    """The export text for ``fmt`` in {"md", "csv", "bib", "json"}."""
    if fmt == "md":
        return to_markdown(conversation, base_url)
    if fmt == "csv":
        return to_csv(conversation, base_url)
    if fmt == "bib":
        return to_bibtex(conversation, documents, base_url)
    if fmt == "json":
        return to_json(conversation, base_url)
    raise ValueError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
