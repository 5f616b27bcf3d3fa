"""Metric code on hand-made cases whose values are known (no index needed)."""

from __future__ import annotations


import pytest

from assistant.evaluation.metrics import (
    aggregate,
    article_key,
    is_verbatim,
    passage_matches,
    percentile,
    quote_supports,
    refusal_scores,
    retrieval_scores,
    score_all,
    section_matches,
    summarise,
)
from assistant.evaluation.testset import normalise, parse_question

EV_A = "Los migrantes podrán acceder a los servicios educativos provistos por los sectores público y privado"
EV_B = "Mexico City has been a sanctuary city since 2017."


def q(qid, evidence, **extra):
    return parse_question({"id": qid, "question": f"question {qid}?", "type": extra.pop("type", "factoid"),
                           "answer": "a", "evidence": evidence, **extra})


def passage(text, document="doc.pdf", **extra):
    return {"text": text, "document": document, **extra}


def record(qid, retrieved=(), refused=False, citations=(), answer="", latency=10.0):
    return {"id": qid, "retrieved": list(retrieved), "refused": refused, "citations": list(citations),
            "answer": answer, "latency_ms": latency}


# -- normalisation and relevance ---------------------------------------------------------------
def test_normalise_rules():
    assert normalise("  “Curly”\u00a0‘quotes’ ") == "\"curly\" 'quotes'"
    assert normalise("**Bold** and _italic_\n\nnext") == "bold and italic next"
    assert normalise("ＭＩＧＲＡＣＩÓＮ") == "migración"  # NFKC full-width → ASCII, case-folded
    assert normalise("Straße") == "strasse"
    assert normalise("governance²") == "governance2"  # NFKC turns superscripts into digits


def test_relevance_contains_whole_evidence():
    text = "Artículo 8. " + EV_A.upper().replace(" ", "\n ") + ", independientemente de su situación."
    assert passage_matches(text, EV_A)


def test_relevance_partial_overlap_rule():
    words = EV_A.split()  # 15 tokens; 60 % → a run of 9 tokens is needed
    assert len(words) == 15
    assert passage_matches("xx " + " ".join(words[-9:]) + " yy", EV_A)        # 9 in a row
    assert not passage_matches("xx " + " ".join(words[:8]) + " yy", EV_A)     # only 8
    scattered = " zz ".join(words)                                               # all words, no run
    assert not passage_matches(scattered, EV_A)
    assert not passage_matches("xx " + " ".join(words[3:14]) + " yy", EV_A)   # 11 in the middle: not a cut


def test_quote_support_fallback_threshold():
    evidence = "Mexico City has a Commission on Interculturality and Human Mobility, chaired by SIBISO"
    marked = "Similarly, Mexico City has a Commission on Interculturality and Human Mobility,¹⁷ chaired by SIBISO."
    assert quote_supports(marked, evidence)          # a footnote marker splits the run: 10 of 13 tokens
    name_only = ("It also issues proof of identity to persons who sign up with the Padrón de Huéspedes y "
                 "Migrantes en Retorno de la Ciudad de México")
    assert not quote_supports(name_only, "In late 2020, SIBISO established the Padrón de Huéspedes y Migrantes "
                                         "en Retorno de la Ciudad de México")  # shared name only: 10 of 15


def test_quote_supports_either_direction():
    assert quote_supports("Mexico City has been a sanctuary city since 2017.", "a sanctuary city since 2017")
    assert quote_supports("sanctuary city since 2017", EV_B)
    assert not quote_supports("Mexico City is a city.", EV_B)
    assert not quote_supports("", EV_B)


def test_article_and_section_matching():
    assert article_key("Artículo 1o.") == article_key("ARTÍCULO 1") == article_key("Art. 1º") == "1"
    assert article_key("Artículo 11 Bis") == "11 bis"
    assert article_key("Artículo 77 Bis 1") != article_key("Artículo 77")
    path = "KEY FINDINGS › 1 ADHERENCE › 1.1. Migration governance: Examples of well-developed areas"
    assert section_matches("1.1. Migration governance: Examples of well-developed areas", path)
    assert not section_matches("2.1. Migration governance: Examples of well-developed areas", path)
    # a reader that drops the numbering still matches
    assert section_matches("2.1. Migration governance: Examples of well-developed areas",
                           "KEY FINDINGS › Migration governance: Examples of well-developed areas")
    assert not section_matches("Migration trends", None)


def test_verbatim_and_percentiles():
    text = "Artículo 8. Los migrantes podrán acceder"
    assert is_verbatim("Los migrantes podrán", text)
    assert not is_verbatim("Los  migrantes podrán", text)  # exact substring only
    assert not is_verbatim("", text)
    assert percentile([10, 20, 30, 40], 50) == 25.0
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([], 50) is None


# -- retrieval metrics via pytrec_eval ----------------------------------------------------------
def test_recall_and_mrr_single_evidence():
    questions = [q("q1", [EV_B], document="profile.md")]
    retrieved = [passage("nothing here", "profile.md"), passage("other", "profile.md"),
                 passage("Since then: Mexico City has been a sanctuary city since 2017. More.", "profile.md")]
    scores = retrieval_scores(questions, {"q1": record("q1", retrieved)})["q1"]
    assert scores["recall@1"] == 0.0 and scores["recall@3"] == 1.0 and scores["recall@10"] == 1.0
    assert scores["mrr"] == pytest.approx(1 / 3)
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == 1.0


def test_recall_two_evidence_strings_and_document_label():
    questions = [q("q2", [EV_A, EV_B], document=["LMigra.pdf", "profile.md"])]
    retrieved = [
        passage(EV_B, "other.md"),                        # right text, wrong document: not relevant
        passage("filler", "profile.md"),
        passage(EV_A + " y más.", "LMigra.pdf"),           # evidence 1 at rank 3
        passage("filler 2", "profile.md"),
        passage("x " + EV_B, "profile.md"),               # evidence 2 at rank 5
        passage(EV_A, "LMigra.pdf"),                      # duplicate hit does not count twice
    ]
    scores = retrieval_scores(questions, {"q2": record("q2", retrieved)})["q2"]
    assert scores["recall@1"] == 0.0
    assert scores["recall@3"] == 0.5
    assert scores["recall@5"] == 1.0
    assert scores["mrr"] == pytest.approx(1 / 3)


def test_one_passage_holding_two_evidence_strings():
    questions = [q("q3", ["alpha beta gamma delta", "epsilon zeta eta theta"])]
    retrieved = [passage("zero"), passage("alpha beta gamma delta. epsilon zeta eta theta.")]
    scores = retrieval_scores(questions, {"q3": record("q3", retrieved)})["q3"]
    assert scores["recall@1"] == 0.0 and scores["recall@3"] == 1.0 and scores["mrr"] == 0.5


def test_nothing_retrieved_scores_zero_and_unanswerable_is_skipped():
    questions = [q("q4", [EV_B]), q("q5", [], type="unanswerable")]
    scores = retrieval_scores(questions, {"q4": record("q4", []), "q5": record("q5", [])})
    assert set(scores) == {"q4"}
    assert scores["q4"]["recall@10"] == 0.0 and scores["q4"]["mrr"] == 0.0


# -- refusals, citations, keywords, aggregation --------------------------------------------------
def test_refusal_precision_recall():
    rows = [{"refused": r, "answerable": a} for r, a in
            [(True, False), (True, False), (False, False), (True, True), (False, True), (False, True)]]
    scores = refusal_scores(rows)
    assert scores["refusal_precision"] == pytest.approx(2 / 3)
    assert scores["refusal_recall"] == pytest.approx(2 / 3)
    assert scores["false_refusal_rate"] == pytest.approx(1 / 3)
    assert refusal_scores([{"refused": False, "answerable": True}])["refusal_precision"] is None


def test_citation_labels_key_sources_keywords_and_verbatim():
    ks = "Chamber of Deputies of the Honourable Congress of the Union | 2011a | Ley de Migración"
    questions = [
        q("law", [EV_A], document="LMigra.pdf", article="Artículo 8", page=7, keywords=["servicios educativos", "gratis"]),
        q("prof", [EV_B], document="profile.md", section="3.1. Migration governance: Examples of well-developed areas",
          sources=[ks, "X | 2020 | Y"]),
        q("none", [], type="unanswerable"),
    ]
    records = [
        record("law", [passage(EV_A, "LMigra.pdf")], answer="«" + EV_A + "» [1]", citations=[
            {"quote": EV_A, "document": "LMigra.pdf", "article": "Artículo 8o.", "page": 7, "section": "TÍTULO SEGUNDO",
             "key_sources": [], "verbatim": True},
            {"quote": "unrelated sentence about visas and work", "document": "LMigra.pdf", "article": "Artículo 52",
             "page": 20, "section": "", "key_sources": [], "verbatim": False},
        ]),
        record("prof", [passage(EV_B, "profile.md")], answer=EV_B, citations=[
            {"quote": EV_B, "document": "profile.md", "article": None, "page": None,
             "section": "KEY FINDINGS › 3 ENGAGES › 3.1. Migration governance: Examples of well-developed areas",
             "key_sources": [ks], "verbatim": True},
        ]),
        record("none", [], refused=True, answer="I cannot answer that from the documents."),
    ]
    rows = {r["id"]: r for r in score_all(questions, records)}
    assert rows["law"]["article_acc"] == 1.0 and rows["law"]["page_acc"] == 1.0
    assert rows["law"]["section_acc"] is None          # law evidence with an article: no section label
    assert rows["law"]["keyword_recall"] == 0.5
    assert rows["prof"]["section_acc"] == 1.0 and rows["prof"]["key_source_recall"] == 0.5
    assert rows["prof"]["article_acc"] is None and rows["prof"]["page_acc"] is None
    assert rows["none"]["support"] is None
    overall = aggregate(list(rows.values()))
    assert overall["verbatim_rate"] == pytest.approx(2 / 3)
    assert overall["citations"] == 3
    assert overall["refusal_precision"] == 1.0 and overall["refusal_recall"] == 1.0
    assert overall["citation_support"] == 1.0
    assert overall["recall@1"] == 1.0 and overall["mrr"] == 1.0
    assert overall["latency_p50_ms"] == 10.0


def test_wrong_page_and_refused_answerable():
    questions = [q("law", [EV_A], document="LMigra.pdf", article="Artículo 8", page=7)]
    wrong = record("law", citations=[{"quote": EV_A, "document": "LMigra.pdf", "article": "Artículo 9", "page": 8,
                                      "section": "", "key_sources": [], "verbatim": True}])
    row = score_all(questions, [wrong])[0]
    assert row["article_acc"] == 0.0 and row["page_acc"] == 0.0 and row["support"] == 1.0
    refused = score_all(questions, [record("law", refused=True)])[0]
    assert refused["support"] == 0.0 and refused["article_acc"] == 0.0


def test_summarise_per_type():
    questions = [q("a", [EV_B], type="factoid"), q("b", [], type="unanswerable")]
    records = [record("a", [passage(EV_B)], answer=EV_B), record("b", refused=False, answer="something")]
    summary = summarise(questions, records)
    assert set(summary["per_type"]) == {"factoid", "unanswerable"}
    assert summary["per_type"]["factoid"]["recall@1"] == 1.0
    assert summary["per_type"]["unanswerable"]["refusal_recall"] == 0.0
    assert summary["overall"]["refusal_precision"] is None


def test_span_correct_holds_the_reference_either_way_round():
    from assistant.evaluation.metrics import span_correct

    assert span_correct("45 días hábiles", "dentro de 45 días hábiles")
    assert span_correct("More than 90 per cent", "90 per cent")  # keeps at least half of it
    assert not span_correct("More than 90 per cent of the revenue", "90")
    assert span_correct("the Tourism Police", "Tourism Police of the Ministry of Public Security")  # article dropped
    assert span_correct("La Secretaría de Gobernación", "Secretaría de Gobernación")
    assert not span_correct("the Tourism Police", "Ministry of Public Security")
    assert not span_correct("2017", None) and not span_correct("", "2017")


def test_instrument_recall_counts_the_evidence_laws_quoted_whatever_their_article():
    question = q("ml", [EV_A, EV_B, "third evidence string"], type="multi_law",
                 document=["LMigra.pdf", "LGS.pdf", "LGE.pdf"], article=["Artículo 8", "Artículo 2", "Artículo 9"],
                 page=[7, 3, 4])
    cited = record("ml", citations=[
        {"quote": "another article of the migration law", "document": "docs/LMigra.pdf", "article": "Artículo 30",
         "page": 9, "section": "", "key_sources": [], "verbatim": True},
        {"quote": "a health law article", "document": "lgs.PDF", "article": "Artículo 77 Bis 1", "page": 40,
         "section": "", "key_sources": [], "verbatim": True},
        {"quote": "the profile", "document": "profile.md", "article": None, "page": None,
         "section": "x", "key_sources": [], "verbatim": True}])
    row = score_all([question], [cited])[0]
    assert row["instrument_recall"] == pytest.approx(2 / 3)  # LGE.pdf never quoted; the profile does not count
    assert row["law_article_recall"] == 0.0  # none of the reference articles
    single = q("one", [EV_A], document="LMigra.pdf", article="Artículo 8", page=7)
    assert score_all([single], [record("one")])[0]["instrument_recall"] is None
    assert aggregate([row])["instrument_recall"] == pytest.approx(2 / 3)
