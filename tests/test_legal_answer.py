"""The grouped instrument answer: numbering and text, on hand-made groups (fast tier)."""

from __future__ import annotations

import re

from assistant.answer.legal_answer import legal_text, number
from assistant.records import Citation, DocumentRef, Instrument


def _citation(doc: str, start: int, article: str | None = None) -> Citation:
    ref = DocumentRef(id=doc, title=doc.title(), file=f"{doc}.pdf", kind="law", language="es")
    return Citation(n=0, quote=f"quote {doc} {start}", document=ref, section="", article=article, page=3,
                    start=start, end=start + 10, score=1.0, chunk_id=f"{doc}:0")


def test_number_and_text_group_by_instrument():
    claim = _citation("profile", 50)
    law = Instrument(name="Ley A", year="2011", document_id="a", in_corpus=True, searched=True, evidence=1.5)
    missing = Instrument(name="City Law", year="2011", in_corpus=False)
    groups = [(law, [_citation("a", 1, "Artículo 8, fracción II")], [claim]), (missing, [], [claim])]
    citations = number(groups)
    assert [c.n for c in citations] == [1, 2]  # the shared claim keeps one number
    assert law.articles == ["Artículo 8, fracción II"] and law.law_citations == [1] and law.claim_citations == [2]
    assert missing.claim_citations == [2]
    text = legal_text(groups, ["Ley A", "Ley B"], ["Ley B"])
    assert re.search(r"1\. Ley A \(2011\)\n   Artículo 8, fracción II, p\. 3: “quote a 1” \[1\]", text)
    assert "2. City Law (2011) — not in the corpus" in text
    assert "Searched: 2 laws and constitutions" in text and "Nothing relevant in: Ley B." in text


# -- slow tier: the real KEY SOURCES and the real full index (index/, built from documents/) --
