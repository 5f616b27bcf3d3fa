"""The extractive writer on hand-made hits (fast tier)."""

from __future__ import annotations

from assistant.answer.compose import REFUSAL, answer_text, instrument_line
from assistant.ingest.chunking import quote_spans
from assistant.records import Instrument, Verdict
from assistant.search.query import Hit, contextualise
from assistant.stages import SearchRequest
from tests.tiny import tiny_assistant


def test_sentences_are_chosen_by_the_question_words_and_quoted_verbatim():
    composer = tiny_assistant().pipeline.composer
    hits = [Hit(0, 1.0), Hit(1, 0.5)]
    query = contextualise("What do the community kitchens serve?", [])
    draft = composer.compose(query, hits, Verdict(outcome="answered", strength=2.0), SearchRequest(k=2, backend="fake"), [])
    assert draft.citations[0].quote == "The community kitchens serve hot meals to people in transit."
    assert [c.n for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    assert draft.text.startswith("According to the documents:") and "[1]" in draft.text


def test_at_most_quotes_per_passage_and_no_answer_when_the_verdict_says_so():
    assistant = tiny_assistant(quotes_per_passage=1, max_quotes=5)
    composer = assistant.pipeline.composer
    query = contextualise("migrants Mexico City community kitchens", [])
    selected = composer.select(query.tokens, [Hit(0, 1.0)], 5)
    assert len(selected) == 1
    refused = composer.compose(query, [Hit(0, 1.0)], Verdict(outcome="not_in_documents"),
                               SearchRequest(k=2, backend="fake"), [])
    assert refused.text == REFUSAL and not refused.citations


def test_a_sentence_in_the_other_language_is_scored_by_its_cognates():
    composer = tiny_assistant(quote_keep_ratio=0.0).pipeline.composer
    query = contextualise("Do migrants get medical attention?", [])
    hits = [Hit(3, 1.0), Hit(2, 0.9)]  # the registry article ranked above the medical one
    by_rank = composer.select(query.own_tokens, hits, 1)
    by_cognates = composer.select(query.own_tokens, hits, 1, query.language)
    text = tiny_assistant().documents["law"].text
    assert "Registro Civil" in text[by_rank[0].start: by_rank[0].end]
    assert "atención médica" in text[by_cognates[0].start: by_cognates[0].end]


def test_quote_spans_split_overlong_sentences_into_clauses():
    text = "Short one. " + "A long clause, " * 10 + "end; and more words here."
    spans = quote_spans(text, 0, len(text), longest=60)
    assert all(right - left <= 200 for left, right in spans) and len(spans) >= 3


def test_instrument_lines():
    item = Instrument(name="Ley de Migración", year="2011", articles=["Artículo 8"], citations=[2, 3])
    assert instrument_line(item) == "• Ley de Migración (2011) — Artículo 8 [2][3]"
    assert "Instruments cited:" in answer_text([], [item])


def test_an_answer_span_outside_the_retrieved_passages_is_quoted_from_its_stored_chunk():
    composer = tiny_assistant().pipeline.composer
    law = composer.documents["law"].text
    heading = (law.index("Artículo 9"), law.index("Artículo 9") + len("Artículo 9"))
    sentence = composer.sentence_at([Hit(0, 1.0)], "law", *heading)  # only a profile passage retrieved
    assert sentence is not None and sentence.start <= heading[0] < heading[1] <= sentence.end
    assert law[sentence.start:sentence.end].startswith("Artículo 9. Los jueces")  # never the bare heading
    assert composer.chunks[sentence.hit.position].document_id == "law"
    assert composer.sentence_at([], "law", len(law) + 5, len(law) + 9) is None


def test_an_added_answer_quote_goes_last_when_another_writer_numbered_the_quotes():
    composer = tiny_assistant().pipeline.composer
    law = composer.documents["law"].text
    start = law.index("Artículo 9")
    verdict = Verdict(outcome="answered", answer_type="law_article", span_document="law",
                      span_start=start, span_end=start + len("Artículo 9"))
    first = composer.cite(composer.select(["kitchen"], [Hit(0, 1.0)], 1))
    marked = composer.mark_answer([Hit(0, 1.0)], verdict, first, at_end=True)
    assert marked[0] is first[0] and marked[0].n == 1 and marked[-1].n == 2
    assert marked[-1].answer_span is not None and marked[-1].answer_span.text == "Artículo 9"
    assert law[marked[-1].start:marked[-1].end] == marked[-1].quote


def test_an_english_question_over_a_spanish_law_quotes_the_article_that_answers_it(assistant):
    """Real index (slow): the refugee law's own article is quoted with its label, and no one
    document fills the first five places (the cognate scoring itself: the fast test above)."""
    answer = assistant.ask("Can someone recognised as a refugee be penalised for having crossed into Mexico irregularly?")
    law = [c for c in answer.citations if c.document.file.endswith("LRPCAP.pdf")]
    assert law and "No se impondrá sanción alguna" in law[0].quote and law[0].article.startswith("Artículo 7")
    documents = [p.document.id for p in answer.retrieved[:5]]
    assert max(documents.count(d) for d in documents) <= 3


def _lead_in_composer(**settings):
    """A law whose article opens with a colon-ended lead-in, its list items in the next chunk."""
    from assistant.answer.compose import ExtractiveComposer
    from assistant.records import Article, Chunk, Document, DocumentMeta, Page
    from assistant.search.sparse import SparseIndex
    from assistant.settings import Settings
    from assistant.text import tokenize

    text = ("Artículo 31. Son obligaciones de los mexicanos:\n"
            "I. Hacer que sus hijos concurran a las escuelas públicas o privadas;\n"
            "II. Asistir en los días y horas designados a recibir instrucción cívica y militar;\n"
            "Fracción reformada DOF 05-03-1993\n"
            "Artículo 32. La instrucción cívica y militar de los extranjeros se regula por la ley.")
    second = text.index("Artículo 32")
    law = Document(meta=DocumentMeta(id="law", file="law.pdf", title="Ley", kind="law", language="es"),
                   text=text, pages=[Page(start=0, end=len(text), number=1)],
                   articles=[Article(start=0, end=second, label="Artículo 31", number="31"),
                             Article(start=second, end=len(text), label="Artículo 32", number="32")])
    items = text.index("I. Hacer")
    spans = [(0, items - 1), (items, second - 1), (second, len(text))]
    chunks = [Chunk(id=f"law:{n}", document_id="law", text=text[a:b], start=a, end=b,
                    article=law.article_at(a).label, page=1) for n, (a, b) in enumerate(spans)]
    sparse = SparseIndex.build([tokenize(c.text) for c in chunks])
    config = Settings(_env_file=None, **settings)
    return ExtractiveComposer(sparse, chunks, {"law": law}, config, search=lambda query, request: []), law


def test_a_colon_ended_lead_in_is_followed_by_the_list_item_that_answers():
    composer, law = _lead_in_composer(quote_keep_ratio=0.9)
    tokens = contextualise("¿Qué obligaciones tienen los mexicanos con la instrucción cívica?", []).own_tokens
    chosen = composer.select(tokens, [Hit(0, 1.0)], 1)  # only the lead-in's chunk was retrieved
    quotes = [law.text[s.start:s.end] for s in chosen]
    assert quotes[0] == "Son obligaciones de los mexicanos:"
    assert quotes[1].startswith("II. Asistir") and len(chosen) == 2  # the item that answers, not item I
    assert quotes[1].endswith("cívica y militar;")  # the compilation's reform note is no part of it
    for citation in composer.cite(chosen):
        assert law.text[citation.start:citation.end] == citation.quote and citation.article.startswith("Artículo 31")


def test_list_items_stop_at_the_article_end_and_can_be_switched_off():
    composer, law = _lead_in_composer(quote_keep_ratio=0.9)
    tokens = contextualise("¿Quién regula la instrucción de los extranjeros?", []).own_tokens
    lead = composer.select(tokens, [Hit(0, 1.0)], 1)[0]
    item = composer.list_item(tokens, lead)
    assert item is not None and item.end <= law.articles[0].end  # never Artículo 32's sentence
    off, _ = _lead_in_composer(quote_keep_ratio=0.9, quote_list_items=0)
    assert len(off.select(tokens, [Hit(0, 1.0)], 1)) == 1
    plain = composer.select(tokens, [Hit(2, 1.0)], 1)  # a sentence without a colon brings nothing
    assert len(plain) == 1


def test_real_lead_ins_come_with_their_item_and_no_quote_ends_in_a_reform_note(assistant):
    """Real index (slow): the Ley de Migración's "tendrán derecho a … acerca de:" is quoted
    with one of its fracciones after it, from the same article; no quote ends with the
    compilation's "Fracción reformada DOF …" line."""
    from assistant.ingest.readers.law_heads import is_reform_note

    answer = assistant.ask("¿Sobre qué tienen derecho a recibir información los migrantes y sus familiares?")
    leads = [n for n, c in enumerate(answer.citations) if c.quote.rstrip().endswith(":")]
    assert leads, [c.quote for c in answer.citations]
    for n in leads:
        lead, item = answer.citations[n], answer.citations[n + 1]
        assert item.document.id == lead.document.id and item.start >= lead.end
        assert item.article.split(",")[0] == lead.article.split(",")[0]
    text = assistant.documents
    for citation in answer.citations:
        assert text[citation.document.id].text[citation.start:citation.end] == citation.quote
        assert not is_reform_note(citation.quote.rstrip().rsplit("\n", 1)[-1])
