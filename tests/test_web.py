"""The web chat without JavaScript: forms, redirects, citation cards, source viewer,
filters, errors, and HTML escaping of document text in every view (real app, real index)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markupsafe import escape

from assistant.serve.exports import viewer_path
from assistant.records import Answer, Turn

ROOT = Path(__file__).resolve().parent.parent
HEALTH = "Which laws guarantee migrants access to health care?"
HEALTH_SERVICES = "Do migrants have access to health services?"
FOLLOW_UP = "And for education?"


def ask_form(client, question: str, path: str = "/ask", **filters) -> str:
    """POST the no-JS form; return the conversation id from the 303 Location."""
    response = client.post(path, data={"question": question, **filters}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(r"/c/([0-9a-f]{32})#turn-(\d+)", location)
    assert match, location
    return match.group(1)


def stored_answers(client, conversation_id: str) -> list[Answer]:
    body = client.get(f"/api/conversations/{conversation_id}").json()
    return [Answer.model_validate(t["answer"]) for t in body["turns"]]


def conversation_count(client) -> int:
    return len(client.get("/api/conversations").json())


# ----------------------------------------------------------------------------- chat flow


def test_form_flow_without_javascript(client, assistant):
    home = client.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert 'action="/ask"' in home.text and 'method="post"' in home.text
    assert '<label for="question">' in home.text

    conversation_id = ask_form(client, HEALTH_SERVICES)
    page = client.get(f"/c/{conversation_id}")
    assert page.status_code == 200
    html = page.text
    [answer] = stored_answers(client, conversation_id)
    assert not answer.refused and answer.citations
    assert f'action="/c/{conversation_id}/ask"' in html
    for c in answer.citations:
        card = html.split(f'id="turn-1-c{c.n}"', 1)[1].split("</li>\n", 1)[0]
        assert str(escape(c.quote)) in card
        assert str(escape(c.document.title)) in card
        assert str(escape(c.section)) in card
        assert str(escape(viewer_path(c))) in card  # link to the source viewer
        for ks in c.key_sources:
            assert str(escape(ks.label)) in card
        for note in c.footnotes:
            assert str(escape(note)) in card
        assert 'class="copy-citation"' in card and "Cite as" in card

    # Follow-up through the conversation's own form: the stored turn is the history.
    assert ask_form(client, FOLLOW_UP, f"/c/{conversation_id}/ask") == conversation_id
    first, second = stored_answers(client, conversation_id)
    expected = assistant.ask(FOLLOW_UP, history=[Turn(question=HEALTH_SERVICES, answer=first.answer)])
    assert [(c.document.id, c.start) for c in second.citations] == [
        (c.document.id, c.start) for c in expected.citations
    ]
    assert any("educa" in p.text.lower() for p in second.retrieved[:5])
    assert any("educa" in c.quote.lower() for c in second.citations)
    html = client.get(f"/c/{conversation_id}").text
    assert 'id="turn-1"' in html and 'id="turn-2"' in html
    assert str(escape(second.citations[0].quote)) in html
    assert f"/api/conversations/{conversation_id}/export?format=bib" in html

    fragment = client.get(f"/c/{conversation_id}/turns/2")
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<article")
    assert str(escape(second.citations[0].quote)) in fragment.text
    assert client.get(f"/c/{conversation_id}/turns/9").status_code == 404


def test_law_citation_shows_article_and_page(client):
    conversation_id = ask_form(client, "¿Tienen los migrantes derecho a recibir atención médica?",
                               kind="law")
    [answer] = stored_answers(client, conversation_id)
    law = [c for c in answer.citations if c.article and c.page]
    assert law, answer.citations
    html = client.get(f"/c/{conversation_id}").text
    assert f"<dt>Article</dt><dd>{escape(law[0].article)}</dd>" in html
    assert f"<dt>Page</dt><dd>{law[0].page}</dd>" in html


def test_source_viewer_highlights_the_quote(client, assistant):
    answer = assistant.ask("¿Tienen los migrantes derecho a recibir atención médica?")
    for c in answer.citations[:3]:
        response = client.get(viewer_path(c))
        assert response.status_code == 200
        html = response.text
        assert f'<mark id="quote" tabindex="-1">{escape(c.quote)}</mark>' in html
        document = assistant.get_document(c.document.id)
        before = document.text[max(0, c.start - 200):c.start]
        assert str(escape(before[-60:])) in html  # context around the quote
        assert f"<h1>{escape(document.meta.title)}</h1>" in html
        assert "About this document" in html and "Outline" in html
        if document.pages:
            assert f'<dd class="page">{document.page_at(c.start)}' in html
        article = document.article_at(c.start)
        if article:
            assert (f'href="/documents/{document.id}?start={article.start}#here" '
                    f'aria-current="location">{escape(article.label)}') in html
        for section in document.sections[:5]:
            assert f'href="/documents/{document.id}?start={section.start}#here"' in html


def test_source_viewer_reading_and_bad_offsets(client, assistant):
    document = assistant.get_document("ley-migracion")
    article = document.articles[10]
    page = client.get(f"/documents/ley-migracion?start={article.start}")
    assert page.status_code == 200 and "<mark" not in page.text
    assert str(escape(document.text[article.start:article.start + 80])) in page.text
    assert "Earlier text" in page.text and "Later text" in page.text
    size = len(document.text)
    for query, message in (("start=10&end=5", "offsets must satisfy"),
                           (f"start=0&end={size + 1}", "offsets must satisfy"),
                           ("start=-1", "offsets must satisfy"),
                           ("start=abc", "start must be a whole number"),
                           ("start=0&end=1e9", "end must be a whole number")):
        bad = client.get(f"/documents/ley-migracion?{query}")
        assert bad.status_code == 422 and message in bad.text
        assert 'role="alert"' in bad.text
    missing = client.get("/documents/no-such-document")
    assert missing.status_code == 404 and "unknown document id" in missing.text
    listing = client.get("/documents")
    assert listing.status_code == 200
    for doc_id in assistant.documents:
        assert f'href="/documents/{doc_id}"' in listing.text


@pytest.mark.parametrize(
    ("question", "field", "value", "check"),
    [
        ("¿Qué derechos tienen los migrantes?", "kind", "law", lambda c: c.document.kind == "law"),
        ("access to health care", "language", "en", lambda c: c.document.language == "en"),
        ("¿Quién puede solicitar el reconocimiento de la condición de refugiado?", "document",
         "ley-refugiados", lambda c: c.document.id == "ley-refugiados"),
    ],
)
def test_filters_restrict_the_answer(client, question, field, value, check):
    conversation_id = ask_form(client, question, **{field: value})
    [answer] = stored_answers(client, conversation_id)
    assert answer.citations and all(check(c) for c in answer.citations)
    assert all(check(p) for p in answer.retrieved)
    html = client.get(f"/c/{conversation_id}").text
    assert f'name="{field}" value="{value}" checked' in html  # the filter stays selected
    assert "Searched only:" in html


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "question is empty"), ("   \n\t ", "question is empty"),
     ("x" * 2001, "question is 2001 characters; the limit is 2000"),
     ("bad\x00byte", "question contains a NUL character")],
)
def test_form_errors_are_shown_not_crashed(client, question, message):
    before = conversation_count(client)
    response = client.post("/ask", data={"question": question}, follow_redirects=False)
    assert response.status_code == 422
    assert re.search(r'<p id="form-error" class="error" role="alert">' + re.escape(message), response.text)
    assert 'aria-invalid="true"' in response.text
    assert conversation_count(client) == before  # nothing saved


def test_errors_in_a_conversation_and_unknown_ids(client):
    conversation_id = ask_form(client, HEALTH)
    too_long = client.post(f"/c/{conversation_id}/ask", data={"question": "y" * 2500})
    assert too_long.status_code == 422 and "the limit is 2000" in too_long.text
    assert 'id="turn-1"' in too_long.text  # the conversation is still shown
    unknown_filter = client.post(f"/c/{conversation_id}/ask", data={"question": "salud", "kind": "novel"})
    assert unknown_filter.status_code == 400 and "unknown kind filter value" in unknown_filter.text
    assert len(stored_answers(client, conversation_id)) == 1
    for path in ("/c/" + "0" * 32, "/c/not-hex", "/c/%2E%2E", f"/c/{'0' * 32}/export"):
        response = client.get(path)
        assert response.status_code == 404 and 'role="alert"' in response.text
    assert client.post("/c/not-hex/ask", data={"question": "salud"}).status_code == 404


def test_conversation_list_export_page_and_delete(client):
    conversation_id = ask_form(client, HEALTH)
    listing = client.get("/conversations")
    assert listing.status_code == 200 and f'href="/c/{conversation_id}"' in listing.text
    assert f'action="/c/{conversation_id}/delete"' in listing.text
    export = client.get(f"/c/{conversation_id}/export")
    [answer] = stored_answers(client, conversation_id)
    assert export.status_code == 200
    assert "@misc{mgi-mexico-city-2022," in export.text
    assert str(escape(" ".join(answer.citations[0].quote.split()))) in export.text
    import re

    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', listing.text).group(1)
    forged = client.post(f"/c/{conversation_id}/delete", follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token: refused, nothing deleted
    deleted = client.post(f"/c/{conversation_id}/delete", data={"csrf": csrf}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/conversations?deleted=1"
    assert f'href="/c/{conversation_id}"' not in client.get("/conversations").text
    assert client.get(f"/c/{conversation_id}").status_code == 404


def test_preview_by_query_string_is_not_saved(client):
    before = conversation_count(client)
    page = client.get("/", params={"q": HEALTH})
    assert page.status_code == 200 and "This answer is not saved" in page.text
    assert 'class="citation"' in page.text
    assert client.get("/", params={"q": " "}).status_code == 200  # blank q: the empty chat
    assert client.get("/", params={"q": "z" * 2001}).status_code == 422
    assert conversation_count(client) == before


def test_static_assets_and_no_inline_code():
    templates = list((ROOT / "web" / "templates").glob("*.html"))
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), path  # no inline event handlers
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path  # no inline scripts
        assert "style=" not in text and "<style" not in text, path
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, path


def test_static_files_are_served(client):
    js = client.get("/static/chat.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "Searching the documents" in js.text and "aria-busy" in js.text
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "@media" in css.text


# ----------------------------------------------------------------------------- escaping

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PROFILE = f"""Test City | PROFILE 2024

INTRODUCTION

This profile describes how Test City receives migrants and refugees. It is a small test document written for the web interface tests.

HEALTH {EVIL} SERVICES

Migrants may register at the {EVIL} civil registry office to obtain identity documents and access public health clinics free of charge.

The municipal health clinics serve every migrant regardless of migration status, and the registry office issues identity documents within ten days.

EDUCATION

Children of migrants enrol in municipal schools without presenting identity documents.

KEY SOURCES

City Council {EVIL}

- 2020 Ley de Registro Civil {EVIL}. Available at www.example.org/ley.pdf.
"""


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory):
    """The real app over a tiny real index of one profile whose text contains a script tag."""
    from fastapi.testclient import TestClient

    from assistant.serve.api import create_app
    from assistant.core import Assistant
    from assistant.ingest.build import build_index
    from assistant.settings import get_settings

    base = tmp_path_factory.mktemp("evil")
    documents = base / "documents"
    (documents / "evil").mkdir(parents=True)
    (documents / "evil" / "profile.md").write_text(PROFILE, encoding="utf-8")
    catalog = {"evil/profile.md": {
        "id": "evil-profile", "title": f"Test City {EVIL} Profile", "kind": "profile",
        "language": "en", "jurisdiction": "Test <b>City</b>", "version": "2024",
        "source_url": "javascript:alert(1)",
    }}
    (documents / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    settings = get_settings(documents_dir=documents, index_dir=base / "index",
                            cache_dir=ROOT / ".cache", database=base / "conversations.sqlite3",
                            embedder="sentence-transformers")
    build_index(settings, progress=False)
    with TestClient(create_app(settings, Assistant.open(settings))) as test_client:
        yield test_client


def assert_escaped(html: str) -> None:
    assert EVIL not in html and "<script>alert" not in html
    assert "<b>City</b>" not in html and 'href="javascript:' not in html
    assert ESCAPED in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert all(tag == '<script src="/static/chat.js" defer>' for tag in scripts), scripts


def test_document_text_is_escaped_in_every_view(evil_client):
    question = f"How can migrants register at the {EVIL} civil registry office?"
    conversation_id = ask_form(evil_client, question)
    [answer] = stored_answers(evil_client, conversation_id)
    assert not answer.refused
    cited = [c for c in answer.citations if EVIL in c.quote]
    assert cited, answer.citations

    views = {
        "answer page": f"/c/{conversation_id}",
        "turn fragment": f"/c/{conversation_id}/turns/1",
        "source viewer": viewer_path(cited[0]),
        "reading view and outline": "/documents/evil-profile?start=0",
        "exports page": f"/c/{conversation_id}/export",
        "conversations": "/conversations",
        "documents": "/documents",
        "preview": f"/?q={question}",
    }
    for name, path in views.items():
        response = evil_client.get(path)
        assert response.status_code == 200, (name, response.text[:300])
        assert_escaped(response.text)
    viewer = evil_client.get(viewer_path(cited[0])).text
    assert f'<mark id="quote" tabindex="-1">{escape(cited[0].quote)}</mark>' in viewer
    assert f"HEALTH {ESCAPED} SERVICES</a>" in viewer  # the outline entry
    assert "City Council " + ESCAPED in viewer  # the Key Sources list
    assert "javascript:alert(1)" in viewer  # shown as text, never as a link

    error = evil_client.post("/ask", data={"question": EVIL * 300})
    assert error.status_code == 422
    assert_escaped(error.text)

    markdown = evil_client.get(f"/api/conversations/{conversation_id}/export?format=md").text
    assert "\\<script>alert(1)\\</script>" in markdown and EVIL not in markdown
    path = urlsplit(viewer_path(cited[0]))
    assert path.path == "/documents/evil-profile"


# -- MGI scorecard (issue 11) ------------------------------------------------------------
def test_profile_scorecard_page_links_every_finding(client, assistant):
    from assistant.ingest.readers.migof import DIMENSIONS, scorecard

    profile = assistant.documents["mgi-mexico-city-2022"]
    html = client.get(f"/profiles/{profile.id}").text
    for n, dimension in enumerate(DIMENSIONS, 1):
        assert f"{n}. {escape(dimension.capitalize())}</h2>" in html
    assert html.count("Well-developed areas (") == 6 and html.count("Areas with potential for development (") == 6
    links = re.findall(r'href="(/documents/mgi-mexico-city-2022\?start=(\d+)&amp;end=(\d+)#quote)"', html)
    spans = [span for card in scorecard(profile) for key in ("well-developed", "potential for development")
             for span in card[key]]
    assert [(int(s), int(e)) for _, s, e in links] == spans and len(spans) >= 40
    viewer = client.get(links[0][0].replace("&amp;", "&"))
    assert viewer.status_code == 200 and '<mark id="quote"' in viewer.text
    assert client.get("/profiles/ley-migracion").status_code == 404
    assert 'href="/profiles/mgi-mexico-city-2022"' in client.get("/documents").text


def test_dimension_and_assessment_filters(client, assistant):
    from assistant.records import Filters

    filters = Filters(dimension=["partnerships"], assessment=["potential for development"])
    passages = assistant.search("cooperation with the private sector", filters=filters)
    assert passages and all(p.dimension == "partnerships" and p.assessment == "potential for development"
                            for p in passages)
    response = client.get("/api/search", params={"q": "cooperation", "dimension": "partnerships"})
    assert response.status_code == 200 and {p["dimension"] for p in response.json()} == {"partnerships"}
    assert client.get("/api/search", params={"q": "x", "assessment": "excellent"}).status_code in (400, 422)
    assert 'name="dimension" value="partnerships"' in client.get("/").text
