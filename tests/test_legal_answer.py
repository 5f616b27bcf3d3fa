"""The grouped instrument answer: numbering and text, on hand-made groups (fast tier)."""

from __future__ import annotations

from assistant.answer.citations import make_citation
from assistant.answer.legal_answer import legal_text, number
from assistant.records import Instrument
from assistant.search.query import Hit
from tests.tiny import tiny_index


def _citation(index, position: int):
    chunk = index.chunks[position]
    document = index.documents[chunk.document_id]
    return make_citation(0, Hit(position, 1.0), chunk.start, chunk.end, 1.0, chunk, document, {})


def test_citations_are_numbered_in_answer_order_and_a_shared_claim_keeps_one_number():
    index = tiny_index()
    law_quote, claim = _citation(index, 2), _citation(index, 1)
    law = Instrument(name="Ley de Prueba", document_id="law", in_corpus=True, searched=True, evidence=2.0)
    other = Instrument(name="Health Law of the City", in_corpus=False)
    numbered = number([(law, [law_quote], [claim]), (other, [], [_citation(index, 1)])])
    assert [c.n for c in numbered] == [1, 2]
    assert law.law_citations == [1] and law.claim_citations == [2] and law.articles == ["Artículo 8"]
    assert other.claim_citations == [2] and other.citations == [2]


def test_the_text_lists_instruments_what_was_searched_and_what_had_nothing():
    index = tiny_index()
    law_quote = _citation(index, 2)
    law = Instrument(name="Ley de Prueba", year="2011", document_id="law", in_corpus=True, searched=True,
                     evidence=2.0)
    other = Instrument(name="Health Law of the City", in_corpus=False)
    groups = [(law, [law_quote], []), (other, [], [])]
    number(groups)
    text = legal_text(groups, ["Ley de Prueba", "Ley Dos"], ["Ley Dos"])
    assert text.startswith("According to the documents, 2 instruments")
    assert "1. Ley de Prueba (2011)" in text and f"“{law_quote.quote}” [1]" in text
    assert "2. Health Law of the City — not in the corpus" in text
    assert "Searched: 2 laws and constitutions" in text and "Nothing relevant in: Ley Dos." in text
