"""A profile's citations of law articles linked to the corpus law's article: hand-made
documents (fast tier) and the real profile and laws (slow tier)."""

from __future__ import annotations

import pytest

from assistant.answer.article_links import ArticleLinks, article_number, find_links
from assistant.records import Article, Document, DocumentMeta, KeySource, Mention

LAW_TEXT = "Artículo 3o. Toda persona tiene derecho. Artículo 13. La competencia. TRANSITORIOS Artículo 7. Entra en vigor."


def _law() -> Document:
    articles = [Article(start=0, end=40, label="Artículo 3o", number="3o"),
                Article(start=41, end=70, label="Artículo 13", number="13"),
                Article(start=83, end=len(LAW_TEXT), label="Artículo 7", number="7", transitory=True)]
    return Document(meta=DocumentMeta(id="lgs", file="LGS.pdf", title="Ley General de Salud", kind="law",
                                      language="es"), text=LAW_TEXT, articles=articles)


def _profile(text: str, names: list[str]) -> Document:
    entry = KeySource(id="p:ks:1", author="Chamber", year="1984", title="Ley General de Salud", document_id="lgs")
    mentions = [Mention(start=text.index(n), end=text.index(n) + len(n), text=n, key_source_ids=["p:ks:1"])
                for n in names]
    return Document(meta=DocumentMeta(id="p", file="p.md", title="Profile", kind="profile", language="en"),
                    text=text, key_sources=[entry], mentions=mentions)


def test_an_article_number_before_a_linked_instrument_points_at_that_article():
    text = "Article 13(B)(I) of the General Health Law (1984) assigns power. Article 3 of the LGS applies."
    profile = _profile(text, ["General Health Law (1984)", "LGS"])
    links = find_links(profile, {"lgs": _law(), "p": profile})
    assert [(text[link.start:link.end], link.article) for link in links] == [
        ("Article 13(B)(I)", "Artículo 13"), ("Article 3", "Artículo 3o")]
    law = _law()
    assert all(law.text[link.article_start:link.article_end].startswith(link.article)
               for link in links)


def test_no_guessing_without_a_named_instrument_or_a_matching_article():
    text = ("Article 20 of the same Constitution applies. Article 99 of the General Health Law (1984) does not exist. "
            "Article 7 of the LGS is transitory. The LGS says more.")
    profile = _profile(text, ["General Health Law (1984)", "LGS"])
    assert find_links(profile, {"lgs": _law(), "p": profile}) == []


def test_spanish_citations_and_number_keys():
    text = "El artículo 13 de la Ley General de Salud asigna competencias."
    profile = _profile(text, ["Ley General de Salud"])
    links = ArticleLinks({"lgs": _law(), "p": profile})
    found = links.cited(profile, 0, len(text))
    assert [(c.cited, c.title, c.article, c.start) for c in found] == [("artículo 13", "Ley General de Salud", "Artículo 13", 41)]
    assert links.cited(profile, 20, len(text)) == []  # the citation stands outside the quote
    assert article_number("Artículo 3o") == "3" == article_number("3") and article_number("11 Bis") == "11 bis"


# -- slow tier: the shipped profile and laws --------------------------------------------------
@pytest.mark.slow
def test_real_profile_links_reach_the_cited_articles(full_index_settings):
    from assistant.storage import load_index

    documents = load_index(full_index_settings.index_dir, load_dense=False).documents
    links = ArticleLinks(documents)
    profile = documents["mgi-mexico-city-2022"]
    found = {(profile.text[link.start:link.end], link.law_id, link.article) for link in links.by_document[profile.id]}
    assert ("Article 13(B)(I)", "ley-general-salud", "Artículo 13") in found
    assert ("Article 27", "ley-organica-apf", "Artículo 27") in found
    assert len(found) >= 6
    for link in links.by_document[profile.id]:  # each target is that article's own text, checked against the law
        law_text = documents[link.law_id].text[link.article_start:link.article_end]
        number = article_number(link.article).split()[0]
        assert law_text.upper().startswith(("ARTÍCULO " + number, "ARTICULO " + number)), law_text[:40]
        assert number == profile.text[link.start:link.end].split()[1].split("(")[0]


def test_a_citation_card_links_the_cited_article():
    from assistant.records import CitedArticle, Citation, DocumentRef
    from assistant.serve.web import templates

    ref = DocumentRef(id="p", title="Profile", file="p.md", kind="profile", language="en")
    cited = CitedArticle(cited="Article 13(B)(I)", document_id="lgs", title="Ley General de Salud",
                         article="Artículo 13", start=41, end=70, page=9)
    citation = Citation(n=2, quote="Article 13(B)(I) of the General Health Law assigns power.", document=ref,
                        section="KEY FINDINGS", start=0, end=57, score=1.0, chunk_id="p:0", cites=[cited])
    html = templates.env.get_template("_citation.html").render(c=citation, turn_n=None)
    assert ('Article 13(B)(I) → <a class="cited-article" href="/documents/lgs?start=41&amp;end=70#quote">'
            "Ley General de Salud, Artículo 13, p. 9</a>") in html


@pytest.mark.slow
def test_an_answer_quoting_a_citing_claim_carries_the_link(full_index_settings):
    from assistant.core import Assistant

    assistant = Assistant.open(full_index_settings)
    answer = assistant.ask("What does the General Health Law say about the powers of state governments in health?")
    cited = [(c, a) for c in answer.citations for a in c.cites]
    assert cited, [c.quote for c in answer.citations]
    for citation, article in cited:
        assert article.cited in citation.quote  # the citation stands in the quote itself
        law = assistant.document_text(article.document_id, article.start, article.end)
        assert law.startswith(article.article)
