"""Author–year references in the profile's prose linked to KEY SOURCES entries."""

from __future__ import annotations

from assistant.ingest.references import author_aliases, find_references


def test_aliases_come_from_the_author_heading():
    aliases = author_aliases("Banco Bilbao Vizcaya Argentaria (BBVA) and National Population Council (CONAPO)")
    assert {"bbva and conapo", "bbva", "conapo"} <= aliases
    assert author_aliases("Government of Mexico City") == {"government of mexico city"}


def test_every_reference_links_to_the_right_entries(read_corpus_document):
    document = read_corpus_document("mgi-mexico-city-2022")
    by_id = {entry.id: entry for entry in document.key_sources}
    found = {m.text: [(by_id[i].author, by_id[i].year) for i in m.key_source_ids]
             for m in find_references(document)}
    inegi = "National Institute of Statistics and Geography (INEGI)"
    assert found["(INEGI, 2020b, 2020c)"] == [(inegi, "2020b"), (inegi, "2020c")]
    assert found["(UPMRIP, 2021)"][0][1] == "2021"
    assert found["(Government of Mexico City, 2022)"] == [("Government of Mexico City", "2022")]
    assert found["(BBVA and CONAPO, 2020)"][0][1] == "2020"
    for mention in find_references(document):
        assert document.text[mention.start:mention.end] == mention.text
        assert mention.kind == "reference"
