"""Footnote paragraphs out of the body flow, cut sentences re-joined, markers linked (fast tier)."""

from __future__ import annotations

from assistant.ingest.readers.footnotes import is_upper, link_footnotes, split_body

TEXT = (
    "Mexico City hosts the largest number of shelters for people in transit across the country and it"
    "\n\n¹ Data from the 2020 census.\n\n"
    "keeps opening new ones every year.¹ Another paragraph follows here."
)


def test_a_footnote_paragraph_leaves_the_body_and_the_cut_sentence_is_joined():
    body, spans, notes = split_body(TEXT)
    assert "Data from the 2020 census" not in body
    assert "across the country and it keeps opening new ones" in body and len(spans) == 1
    assert [(n.marker, n.text) for n in notes] == [("1", "Data from the 2020 census.")]


def test_markers_link_to_their_footnote_text():
    body, _, raw = split_body(TEXT)
    footnotes, warnings = link_footnotes(body, raw, base=len(body) + 2)
    assert footnotes[0].refs == [body.index("¹")] and not warnings
    text = body + "\n\n" + raw[0].block
    assert text[footnotes[0].start:footnotes[0].end] == "Data from the 2020 census."


def test_upper_case_blocks():
    assert is_upper("KEY FINDINGS") and not is_upper("Key findings") and not is_upper("A1")
