"""The MGI profile reader on the real Mexico City profile (and one small synthetic profile)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ingest.readers.profile import (
    FOOTNOTES_TITLE,
    SUPERSCRIPTS,
    clean_text,
    read_profile,
)
from assistant.records import DocumentMeta

DOC_ID = "mgi-mexico-city-2022"
DIM1 = "1 ADHERENCE TO INTERNATIONAL STANDARDS AND FULFILMENT OF MIGRANTS' RIGHTS"
SUPER = str.maketrans("0123456789", SUPERSCRIPTS)


@pytest.fixture(scope="module")
def doc(read_corpus_document):
    return read_corpus_document(DOC_ID)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _footnotes_start(doc) -> int:
    return next(s.start for s in doc.sections if s.kind == "footnotes")


def test_top_level_sections_come_from_the_table_of_contents(doc):
    top = [s.title for s in doc.sections if s.level == 1 and s.kind != "front_matter"]
    assert top == ["OBJECTIVES", "INTRODUCTION", "CONTEXT", "KEY FINDINGS", "COVID-19 ANALYSIS",
                   "KEY SOURCES", "ANNEXES", FOOTNOTES_TITLE]
    assert doc.sections[-1].kind == "footnotes" and doc.sections[-1].end == len(doc.text)
    assert [s.kind for s in doc.sections if s.title == "KEY SOURCES"] == ["key_sources"]


def test_issue_example_path_for_a_passage_in_1_1(doc):
    offset = doc.text.index("is the most recent of the entities making up the Mexican Republic")
    assert doc.section_path(offset) == [
        "KEY FINDINGS", DIM1, "1.1. Migration governance: Examples of well-developed areas"]


def test_dimension_and_numbered_headings(doc):
    dims = [s for s in doc.sections if s.path[0] == "KEY FINDINGS" and s.level == 2]
    assert [s.title.split()[0] for s in dims] == ["1", "2", "3", "4", "5", "6"]
    assert dims[0].title == DIM1  # one heading printed over two lines
    for dim in dims:
        children = [s.title[:4] for s in doc.sections if s.path[:-1] == dim.path]
        n = dim.title.split()[0]
        assert children == [f"{n}.1.", f"{n}.2."]


def test_title_case_subheadings(doc):
    paths = {tuple(s.path) for s in doc.sections}
    assert ("CONTEXT", "Migration trends") in paths
    assert ("CONTEXT", "Competencies of the City of Mexico",
            "Level of decentralization of state authorities") in paths
    assert ("INTRODUCTION", "The Migration Governance Indicators") in paths
    assert ("ANNEXES", "MiGOF: Migration Governance Framework") in paths  # marker stripped
    offset = doc.text.index("Conducted in 2020, the latest INEGI")
    assert doc.section_path(offset) == ["CONTEXT", "Migration trends"]


def test_noise_lines_are_not_sections(doc):
    for section in doc.sections:
        assert not re.search(r"\||PAGE \d|^Figure|^Source:|GOBIERNO|TABLE OF CONTENTS", section.title)
        assert section.title.upper() not in {"MIGRATION GOVERNANCE INDICATORS LOCAL", "MIGRANTS' RIGHTS",
                                             "MEXICO CITY | PROFILE 2022", "LOCAL"}
    titles = [s.title for s in doc.sections]
    assert len(titles) == len(set(titles))  # the repeated COVID-19 page header is dropped
    key_findings = next(s for s in doc.sections if s.title == "KEY FINDINGS")
    assert "PAGE 18" in doc.text[key_findings.start:key_findings.end]


def test_sections_nest_and_stay_in_bounds(doc):
    by_path = {tuple(s.path): s for s in doc.sections}
    for s in doc.sections:
        assert 0 <= s.start < s.end <= len(doc.text)
        assert s.path[-1] == s.title and len(s.path) <= s.level
        if len(s.path) > 1:
            parent = by_path[tuple(s.path[:-1])]
            assert parent.start <= s.start and s.end <= parent.end and parent.level < s.level
    for offset in range(0, len(doc.text), 97):
        assert doc.section_path(offset), offset


def test_interrupted_sentence_is_contiguous(doc):
    body = _squash(doc.text[:_footnotes_start(doc)])
    assert ("The purpose of CCPM is to establish inter-institutional dialogue and issue "
            "recommendations on the matter; it comprises mainly players") in body
    assert "SGIRPC of Mexico City relies on the Law on Climate Change" in body
    assert "requiring priority attention, such as migrants" in body


def test_footnotes_moved_to_the_end(doc):
    start = _footnotes_start(doc)
    body = doc.text[:start]
    assert not re.search(f"(^|\n)[{SUPERSCRIPTS}]+ ", body)
    assert "On 12 November 2021, 1 MXN was worth" not in body
    assert len(doc.footnotes) == 45
    for note in doc.footnotes:
        assert start <= note.start < note.end <= len(doc.text)
        assert doc.text[note.start - len(note.marker) - 1:note.start] == note.marker.translate(SUPER) + " "
        for ref in note.refs:
            assert ref < start
            assert doc.text[ref:ref + len(note.marker)] == note.marker.translate(SUPER)


def test_footnote_texts_are_substrings_of_the_source(doc):
    raw = (Path(__file__).parent.parent / "documents" / doc.meta.file).read_text(encoding="utf-8")
    raw = _squash(raw.replace("*", ""))
    for note in doc.footnotes:
        text = doc.text[note.start:note.end]
        assert text in doc.text
        assert _squash(text) in raw, text[:60]


def test_repeated_markers_link_to_the_right_definitions(doc):
    def text_of(note):
        return doc.text[note.start:note.end]

    for marker, first, second, first_top, second_top in [
        ("11", "As the same person", "International Organization for Migration, Efectos", "CONTEXT",
         "COVID-19 ANALYSIS"),
        ("12", "More information is available at www.aefcm", "Ministry of Foreign Affairs", "CONTEXT",
         "COVID-19 ANALYSIS"),
        ("16", "The Coalition is led by", "You can find the profiles", "KEY FINDINGS", "ANNEXES"),
        ("17", "The Commission brings together", "Please see", "KEY FINDINGS", "ANNEXES"),
    ]:
        notes = [n for n in doc.footnotes if n.marker == marker]
        assert len(notes) == 2
        assert text_of(notes[0]).startswith(first) and text_of(notes[1]).startswith(second)
        assert [doc.section_path(r)[0] for r in notes[0].refs] == [first_top]
        assert [doc.section_path(r)[0] for r in notes[1].refs] == [second_top]
    ccpm = doc.text.index("2022 budgetary projections")
    assert [n.marker for n in doc.footnotes_in(ccpm, ccpm + 200)] == ["14"]


def test_every_body_marker_is_linked_once(doc):
    body = doc.text[:_footnotes_start(doc)]
    markers = [m.start() for m in re.finditer(f"[{SUPERSCRIPTS}]+", body)]
    refs = sorted(r for n in doc.footnotes for r in n.refs)
    assert refs == markers
    assert not doc.warnings
    covid = doc.text.index("medical home visits.")
    assert [n.marker for n in doc.footnotes_in(covid, covid + 25)] == ["2", "3"]


def test_emphasis_removed_but_urls_kept(doc):
    assert "**" not in doc.text and "*Yearbook" not in doc.text
    assert "Indicators Local Profile 2022 – Mexico City. IOM, Geneva." in doc.text
    assert "The MGI is a voluntary exercise" in doc.text
    assert "LEY_DE_INTERCULTURALIDAD_ATENCION_A_MIGRANTES" in doc.text
    assert "\n\n\n" not in doc.text and "\r" not in doc.text


def test_clean_text_rules():
    raw = "A **bold** and *italic* and _under_ word.\r\nsnake_case_name x_y_z\r\n\r\n\r\n\r\nvisits.^{2,3}"
    assert clean_text(raw) == "A bold and italic and under word.\nsnake_case_name x_y_z\n\nvisits.²,³"


SYNTHETIC = """Townsville | PROFILE 2030

INTRODUCTION

Background

This paragraph is long enough to count as prose for the heading heuristic, and it talks about \
migration in the city for quite a while¹ before stopping at a page break in the middle of the

¹ A footnote that interrupts the sentence.

sentence, which continues here and ends properly.

KEY FINDINGS

2

WELL-MANAGED POLICIES
AND PRACTICES

2.1. Examples of well-developed areas

The city applies the Law on Things (2019) everywhere, a sentence long enough to be body prose here.

KEY SOURCES

City Council

- 2019 *Ley de Cosas*. Available at <www.example.org/ley>.
- Regional Office
- n.d. Informe sin fecha.
-
"""


def test_synthetic_profile_without_toc(tmp_path):
    path = tmp_path / "profile.md"
    path.write_text(SYNTHETIC, encoding="utf-8")
    meta = DocumentMeta(id="synthetic", file="profile.md", title="Migration Governance Indicators Profile 2030 – Townsville")
    doc = read_profile(path, meta)
    paths = [tuple(s.path) for s in doc.sections]
    assert ("INTRODUCTION", "Background") in paths
    assert ("KEY FINDINGS", "2 WELL-MANAGED POLICIES AND PRACTICES",
            "2.1. Examples of well-developed areas") in paths
    assert "in the middle of the sentence, which continues" in doc.text
    [note] = doc.footnotes
    assert doc.text[note.start:note.end] == "A footnote that interrupts the sentence."
    assert [doc.section_path(r) for r in note.refs] == [["INTRODUCTION", "Background"]]
    assert [(k.author, k.year, k.title, k.url) for k in doc.key_sources] == [
        ("City Council", "2019", "Ley de Cosas", "www.example.org/ley"),
        ("Regional Office", "n.d.", "Informe sin fecha", None),
    ]


def test_synthetic_bibliography_authors_are_not_headings(tmp_path):
    text = SYNTHETIC.replace("KEY SOURCES\n\nCity Council\n", "KEY SOURCES\n\nUNESCO\n\n- 2018 Guía.\n\nCity Council\n")
    path = tmp_path / "profile.md"
    path.write_text(text, encoding="utf-8")
    meta = DocumentMeta(id="synthetic", file="profile.md", title="Migration Governance Indicators Profile 2030 – Townsville")
    doc = read_profile(path, meta)
    assert [s.title for s in doc.sections if s.path[0] == "KEY SOURCES"] == ["KEY SOURCES"]
    assert [(k.author, k.year) for k in doc.key_sources][:2] == [("UNESCO", "2018"), ("City Council", "2019")]


# -- MGI structure (issue 11): dimension and assessment on every KEY FINDINGS passage ---------
def test_every_key_findings_section_carries_its_dimension_and_assessment(doc):
    from assistant.ingest.readers.migof import ASSESSMENTS, DIMENSIONS

    findings = [s for s in doc.sections if s.path[:1] == ["KEY FINDINGS"] and s.level == 3]
    assert len(findings) == 12
    assert [s.dimension for s in findings] == [d for d in DIMENSIONS for _ in range(2)]
    assert [s.assessment for s in findings] == list(ASSESSMENTS) * 6
    for section in findings:  # the rule follows the profile's own headings
        expected = "well-developed" if "well-developed" in section.title else "potential for development"
        assert section.assessment == expected
    outside = [s for s in doc.sections if s.path[:1] != ["KEY FINDINGS"]]
    assert all(s.dimension is None and s.assessment is None for s in outside)


def test_every_key_findings_chunk_is_tagged(doc):
    from assistant.ingest.chunking import chunk_document

    chunks = chunk_document(doc)
    for chunk in chunks:
        section = doc.section_at(chunk.start)
        in_findings = bool(section and section.path[:1] == ["KEY FINDINGS"] and section.level >= 3)
        assert (chunk.dimension is not None and chunk.assessment is not None) == in_findings, chunk.id
