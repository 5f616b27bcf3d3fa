"""MiGOF dimension/assessment rule on made-up headings (fast tier)."""

from __future__ import annotations

from assistant.ingest.readers.migof import (
    DIMENSIONS, POTENTIAL, WELL_DEVELOPED, assessment_of, dimension_of, findings, scorecard, tag_sections,
)
from assistant.records import Document, DocumentMeta, Section


def test_dimension_cues_national_and_local_wordings():
    assert dimension_of("1 ADHERENCE TO INTERNATIONAL STANDARDS AND FULFILMENT OF MIGRANTS’ RIGHTS") == DIMENSIONS[0]
    assert dimension_of("Formulates policy using evidence and whole-of-government approach") == DIMENSIONS[1]
    assert dimension_of("Engages with partners to address migration") == DIMENSIONS[2]
    assert dimension_of("Advances the socioeconomic well-being of migrants and society") == DIMENSIONS[3]
    assert dimension_of("Effectively addresses the mobility dimensions of crises") == DIMENSIONS[4]
    assert dimension_of("Ensures that migration takes place in a safe, orderly and dignified manner") == DIMENSIONS[5]
    assert dimension_of("Examples of well-developed areas") is None  # an assessment, not well-being
    assert dimension_of("Migration trends") is None


def test_assessment_cues():
    assert assessment_of("1.1. Migration governance: Examples of well-developed areas") == WELL_DEVELOPED
    assert assessment_of("Areas with potential for further development") == POTENTIAL
    assert assessment_of("Areas with potential for development") == POTENTIAL
    assert assessment_of("Context") is None


def _profile() -> Document:
    parts = ["PARTNERSHIPS\n", "Well-developed areas\n",
             "The city works with civil society on shelters for migrants in transit.\n\n",
             "Areas with potential for development\n", "There is no formal agreement with the private sector on jobs.\n"]
    text = "".join(parts)
    offsets = [sum(len(p) for p in parts[:i]) for i in range(len(parts) + 1)]
    sections = [Section(start=0, end=len(text), title="PARTNERSHIPS", level=1, path=["PARTNERSHIPS"]),
                Section(start=offsets[1], end=offsets[3], title="Well-developed areas", level=2,
                        path=["PARTNERSHIPS", "Well-developed areas"]),
                Section(start=offsets[3], end=len(text), title="Areas with potential for development", level=2,
                        path=["PARTNERSHIPS", "Areas with potential for development"]),
                Section(start=0, end=offsets[1], title="Intro", level=1, path=["Intro"], kind="front_matter")]
    meta = DocumentMeta(id="p", file="p.md", title="A profile", kind="profile")
    return Document(meta=meta, text=text, sections=tag_sections(sections))


def test_tags_inherit_and_the_scorecard_lists_findings():
    doc = _profile()
    assert [(s.dimension, s.assessment) for s in doc.sections[:3]] == [
        (DIMENSIONS[2], None), (DIMENSIONS[2], WELL_DEVELOPED), (DIMENSIONS[2], POTENTIAL)]
    assert doc.sections[3].dimension is None  # not a heading section
    card = scorecard(doc)
    assert [c["dimension"] for c in card] == [DIMENSIONS[2]]
    (start, end), = card[0][POTENTIAL]
    assert doc.text[start:end] == "There is no formal agreement with the private sector on jobs."
    assert len(findings(doc, doc.sections[1])) == 1
