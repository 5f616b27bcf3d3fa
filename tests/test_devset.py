"""Every question file in eval/: every line validates and every evidence string is in its document."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.evaluation.testset import KNOWN_TYPES, load_testset, normalise

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "eval" / "dev.jsonl"
SETS = tuple(sorted(p.stem for p in (ROOT / "eval").glob("*.jsonl")))
CATALOG = ROOT / "documents" / "catalog.json"


@pytest.fixture(scope="module", params=SETS)
def questions(request):
    return load_testset(ROOT / "eval" / f"{request.param}.jsonl")


def test_sizes_and_split():
    """300+ questions, 60+ unanswerable, over all 14 documents; tune and test never share an id."""
    sets = {name: load_testset(ROOT / "eval" / f"{name}.jsonl") for name in SETS}
    every = [q for qs in sets.values() for q in qs]
    assert len(every) >= 300
    assert sum(not q.answerable for q in every) >= 60
    assert not {q.id for q in sets["tune"]} & {q.id for q in sets["test"]}
    documents = {item.document for q in every for item in q.items()}
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert documents >= {Path(rel).name for rel in catalog}
    typed = [q for q in sets["test"] if q.answer_span]
    assert len(typed) >= 30
    for q in typed:
        labels = [normalise(item.article or "") for item in q.items()]
        assert (normalise(q.answer_span) in normalise(" ".join(q.evidence))
                or normalise(q.answer_span) in labels), q.id


@pytest.fixture(scope="module")
def file_to_id():
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    return {Path(rel).name: entry["id"] for rel, entry in catalog.items()}


def test_size_and_types(questions):
    counts = Counter(q.type for q in questions)
    assert len(questions) >= 90
    assert counts["unanswerable"] >= 14
    wanted = set(KNOWN_TYPES) - {"followup", "numeric"}  # test2 has none: its figures are factoid questions
    assert wanted <= set(counts), f"missing types: {wanted - set(counts)}"
    assert set(counts) <= set(KNOWN_TYPES), f"unknown types: {set(counts) - set(KNOWN_TYPES)}"


def test_lines_are_well_formed(questions, file_to_id):
    for q in questions:
        where = f"{q.id} (line {q.line})"
        assert q.question.strip() and q.answer.strip(), where
        assert (q.type == "unanswerable") == (not q.evidence), where
        assert (q.type == "followup") == bool(q.previous), where
        if q.evidence:
            assert 1 <= len(q.keywords) <= 5, where
        for item in q.items():
            assert item.document in file_to_id, f"{where}: unknown document {item.document!r}"
            if item.document.endswith(".pdf"):
                assert item.article, where  # "Artículo 8", or a transitory article's "Primero"
                assert isinstance(item.page, int) and item.page >= 1, where
            else:
                assert item.section, f"{where}: profile evidence needs a section"
        for source in q.sources:
            author, year, title = source.split(" | ", 2)
            assert author and year and title and "*" not in title and not title.endswith("."), where


def test_keywords_are_in_reference_answer_or_evidence(questions):
    """Keywords are what an answer must contain: they come from the evidence text."""
    for q in questions:
        if not q.evidence:
            continue
        text = normalise(" ".join(q.evidence) + " " + q.answer)
        for keyword in q.keywords:
            assert normalise(keyword) in text, f"{q.id}: keyword {keyword!r} not in evidence/answer"


def test_evidence_is_in_stored_text(questions, file_to_id, read_corpus_document):
    missing = []
    for q in questions:
        for item in q.items():
            document = read_corpus_document(file_to_id[item.document])
            if normalise(item.text) not in normalise(document.text):
                missing.append(f"{q.id}: {item.text[:70]!r} not in {item.document}")
    assert not missing, "\n".join(missing)


def test_pdf_evidence_page_and_article(questions, file_to_id, read_corpus_document):
    """Page and article labels agree with the reader's page spans and article spans."""
    wrong = []
    for q in questions:
        for item in q.items():
            if not item.document.endswith(".pdf"):
                continue
            document = read_corpus_document(file_to_id[item.document])
            pages = [p for p in document.pages if normalise(item.text) in normalise(document.text[p.start:p.end])]
            if [p.number for p in pages] != [item.page]:
                wrong.append(f"{q.id}: page {item.page} but found on {[p.number for p in pages]}")
                continue
            page = pages[0]
            arts = [a for a in document.articles
                    if a.start < page.end and a.end > page.start
                    and normalise(item.text) in normalise(document.text[a.start:a.end])]
            labels = {normalise(a.label).rstrip(".") for a in arts}
            if normalise(item.article) not in labels:
                wrong.append(f"{q.id}: article {item.article} but reader says {sorted(labels)}")
    assert not wrong, "\n".join(wrong)


def test_profile_sources_are_key_sources(questions, read_corpus_document):
    profile = read_corpus_document("mgi-mexico-city-2022")
    labels = {normalise(k.label) for k in profile.key_sources}
    assert labels, "profile reader found no KEY SOURCES"
    unknown = [f"{q.id}: {s}" for q in questions for s in q.sources if normalise(s) not in labels]
    assert not unknown, "\n".join(unknown)


def test_profile_sections_exist(questions, read_corpus_document):
    profile = read_corpus_document("mgi-mexico-city-2022")
    titles = {normalise(s.title) for s in profile.sections}
    unknown = sorted({q.section for q in questions
                      for i in q.items() if i.section and normalise(i.section) not in titles})
    assert not unknown, f"sections not found in the profile reader's tree: {unknown}"
