"""The web chat in headless Chromium (Debian's /usr/bin/chromium) against the real app
served by uvicorn on a loopback port: ask, citations, follow-up, copy citation, source
viewer, exports (captured downloads), reload by URL, phone width, no-JavaScript form.

Screenshots go to test-output/; the chat screenshot is also copied to docs/screenshot-chat.png.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HEALTH = "Do migrants have access to health services?"
FOLLOW_UP = "And for education?"

# Records what the page shows while it waits for an answer (no timing races).
WATCH_BUSY = """() => {
  window.__seen = {status: [], busy: []};
  window.__noReload = true;
  const status = document.getElementById('status');
  const answers = document.getElementById('answers');
  new MutationObserver(() => window.__seen.status.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
  new MutationObserver(() => window.__seen.busy.push(answers.getAttribute('aria-busy')))
    .observe(answers, {attributes: true, attributeFilter: ['aria-busy']});
}"""


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def server(built_index_settings, assistant):
    """The real app (create_app) served by uvicorn in a background thread."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed at /usr/bin/chromium "
                    "(apt-get install -y chromium chromium-driver)")
    import uvicorn

    from assistant.serve.api import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(built_index_settings, assistant), log_level="warning",
                            lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def api_conversation(base: str, question: str) -> tuple[str, list[dict]]:
    """A saved conversation created through the JSON API (for the phone-width test), and the
    browser cookie that owns it (conversations belong to the browser that made them)."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, body: dict) -> dict:
        request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    conversation_id = post("/api/conversations", {})["id"]
    post(f"/api/conversations/{conversation_id}/ask", {"question": question})
    return conversation_id, [{"name": c.name, "value": c.value, "url": base} for c in jar]


def test_chat_follow_up_viewer_exports_and_reload(server, browser, output_dir, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ask the migration-governance")

    # Ask: fetch to the API, progress indicator, answer appended without reload, focus moves.
    page.evaluate(WATCH_BUSY)
    page.get_by_label("Your question").fill(HEALTH)
    page.get_by_role("button", name="Ask").click()
    first = page.locator("#turn-1")
    expect(first.locator(".citation").first).to_be_visible(timeout=30_000)
    seen = page.evaluate("window.__seen")
    assert "Searching the documents…" in seen["status"] and "true" in seen["busy"]
    assert page.evaluate("window.__noReload") is True
    expect(page.locator("#status")).to_contain_text("Answer ready")
    expect(page.locator("#answers")).to_have_attribute("aria-busy", "false")
    assert page.evaluate("document.activeElement.id") == "turn-1-q"
    assert "/c/" in page.url
    conversation_id = page.url.rsplit("/c/", 1)[1].split("#")[0]
    cards = first.locator(".citation")
    assert cards.count() >= 2
    card = cards.first
    expect(card.locator("cite")).to_have_text(
        "Migration Governance Indicators Local Profile 2022 – Mexico City")
    expect(card.locator("dl.locator")).to_contain_text("Section")
    assert first.locator(".key-sources li").count() > 0
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(output_dir / "chat.png"))
    shutil.copyfile(output_dir / "chat.png", ROOT / "docs" / "screenshot-chat.png")

    # Copy one citation to the clipboard.
    copy = card.get_by_role("button", name="Copy citation")
    expected_citation = copy.get_attribute("data-citation")
    copy.click()
    expect(page.locator("#status")).to_have_text("Citation copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == expected_citation
    quote = squash(card.locator("blockquote").inner_text()).split("] ", 1)[1]
    assert quote in expected_citation

    # Follow-up: the stored turn is the history, so education passages come back.
    page.get_by_label("Follow-up question").fill(FOLLOW_UP)
    page.keyboard.press("Control+Enter")
    second = page.locator("#turn-2")
    expect(second.locator(".citation").first).to_be_visible(timeout=30_000)
    assert "educa" in " ".join(second.locator(".citation blockquote").all_inner_texts()).lower()
    assert page.evaluate("document.activeElement.id") == "turn-2-q"
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(output_dir / "chat-follow-up.png"), full_page=True)

    # Exports: Markdown, CSV and BibTeX downloads.
    downloads = {}
    for fmt, label in (("md", "Markdown (.md)"), ("csv", "CSV (.csv)"), ("bib", "BibTeX (.bib)")):
        with page.expect_download() as info:
            page.locator("#export").get_by_role("link", name=label).click()
        download = info.value
        assert download.suggested_filename == f"mgi-conversation-{conversation_id}.{fmt}"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        downloads[fmt] = target.read_text(encoding="utf-8")
    assert quote.split(" ")[0] in downloads["md"] and "## Question 2: And for education?" in downloads["md"]
    assert downloads["csv"].startswith("conversation_id,turn,question,citation,quote")
    assert "@misc{mgi-mexico-city-2022," in downloads["bib"]
    for text in downloads.values():
        assert squash(quote)[:60] in squash(text.replace("\\", ""))

    # Source viewer: the quote highlighted in its context.
    card.get_by_role("link", name="View in source").click()
    page.wait_for_url("**/documents/mgi-mexico-city-2022?start=*")
    mark = page.locator("mark#quote")
    expect(mark).to_be_in_viewport()
    assert page.evaluate("document.activeElement.id") == "quote"
    assert squash(mark.inner_text()) == quote
    expect(page.locator("nav.outline")).to_contain_text("KEY FINDINGS")
    page.screenshot(path=str(output_dir / "source-viewer.png"))

    # A researcher comes back by URL: both turns are there.
    again = context.new_page()
    again.goto(f"{server}/c/{conversation_id}")
    expect(again.locator("#turn-2 .citation").first).to_be_visible()
    expect(again.locator("#turn-1 .question")).to_contain_text(HEALTH)
    again.goto(f"{server}/conversations")
    expect(again.get_by_role("link", name=HEALTH).first).to_be_visible()
    again.screenshot(path=str(output_dir / "conversations.png"))
    assert not errors, errors
    context.close()


def test_phone_width(server, browser, output_dir):
    from playwright.sync_api import expect

    conversation_id, cookies = api_conversation(server, HEALTH)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.add_cookies(cookies)  # the same owner as the API client that made it
    page = context.new_page()
    page.goto(f"{server}/c/{conversation_id}")
    expect(page.locator("#turn-1 .citation").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    button = page.get_by_role("button", name="Ask").bounding_box()
    assert button and button["x"] >= 0 and button["x"] + button["width"] <= 390
    page.screenshot(path=str(output_dir / "chat-phone.png"))
    page.locator("#turn-1 .citation").first.get_by_role("link", name="View in source").click()
    expect(page.locator("mark#quote")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(output_dir / "source-viewer-phone.png"))
    context.close()


def test_form_works_without_javascript(server, browser, output_dir):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    assert page.locator("button.copy-citation:visible").count() == 0
    page.get_by_label("Your question").fill("¿Tienen los migrantes derecho a la educación?")
    page.get_by_text("Filters").click()
    page.get_by_label("Law", exact=True).check()
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url("**/c/*")
    expect(page.locator("#turn-1 .citation").first).to_be_visible()
    expect(page.locator("#turn-1 .filters-used")).to_contain_text("kind law")
    expect(page.locator("#turn-1 .citation dl.locator").first).to_contain_text("Artículo")
    page.screenshot(path=str(output_dir / "chat-no-js.png"))

    page.get_by_label("Follow-up question").fill("   ")  # whitespace passes `required`
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#form-error")).to_have_text("question is empty")
    context.close()


@pytest.fixture
def typed_judge_on(assistant):
    """The server's assistant with the typed judge for one test, then the judge it had."""
    from assistant.answer.judge import TypedJudge

    before = assistant.pipeline.judge
    index = assistant.index
    assistant.pipeline.judge = TypedJudge(index.sparse, index.chunks, index.documents, assistant.settings)
    yield assistant
    assistant.pipeline.judge = before


THREE_OUTCOMES = [
    ("How many foreign embassies does the capital keep in contact with for emergency information?", "answered"),
    ("How many volunteers work at the migrant shelters in Mexico City?", "partly"),
    ("What is the migrant population of Guadalajara?", "not_in_documents"),
]


def test_the_three_outcomes_are_shown_plainly(server, browser, output_dir, typed_judge_on):
    """answered (the span in <mark> first and inside its quote), partly, not in the documents."""
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(server + "/")
    for n, (question, outcome) in enumerate(THREE_OUTCOMES, 1):
        page.locator("#question").fill(question)
        page.get_by_role("button", name="Ask").click()
        turn = page.locator(f"#turn-{n}")
        expect(turn.locator(f'[data-outcome="{outcome}"]')).to_be_visible(timeout=60_000)
        if outcome == "answered":
            lead = turn.locator(".outcome mark.answer-span")
            expect(lead).to_contain_text("86")
            expect(turn.locator(".citation blockquote mark.answer-span").first).to_have_text(lead.inner_text())
        elif outcome == "partly":
            expect(turn.locator(".outcome")).to_contain_text("The documents discuss")
            expect(turn.locator(".outcome")).to_contain_text("give no figure")
            assert turn.locator("mark").count() == 0
        else:
            expect(turn.locator(".refusal")).to_contain_text("Not in the documents")
    page.screenshot(path=str(output_dir / "chat-outcomes.png"), full_page=True)
    page.close()


def test_profile_scorecard_in_chromium(server, browser, output_dir):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{server}/profiles/mgi-mexico-city-2022")
    expect(page.get_by_role("heading", level=2)).to_have_count(6)
    potential = page.locator("section.assessment.potential")
    expect(potential).to_have_count(6)
    assert page.locator("ul.findings li a").count() >= 40
    page.screenshot(path=str(output_dir / "profile-scorecard.png"), full_page=True)
    first = potential.first.locator("li a").first
    text = first.inner_text()
    first.click()
    expect(page.locator("mark#quote")).to_be_visible()
    assert " ".join(text.rstrip("…").split()[:6]) in " ".join(page.locator("mark#quote").inner_text().split())
    page.close()
