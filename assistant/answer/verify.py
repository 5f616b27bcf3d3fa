"""The verify stage: every quote is exactly the stored text at its offsets."""

from __future__ import annotations

from assistant.records import Citation, Document


class UnverifiedQuote(RuntimeError):
    """A citation whose quote is not the documents' own words; the answer is withheld."""


def unverified_quotes(citations: list[Citation], documents: dict[str, Document]) -> list[int]:
    """Numbers of citations whose quote is not exactly the stored text at its offsets."""
    return [
        c.n for c in citations
        if c.document.id not in documents
        or not c.quote
        or documents[c.document.id].text[c.start : c.end] != c.quote
    ]


class StoredTextVerifier:
    """Raises UnverifiedQuote rather than let a quote through that is not verbatim."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents

    def verify(self, citations: list[Citation]) -> None:
        broken = unverified_quotes(citations, self.documents)
        if broken:
            raise UnverifiedQuote(f"citations {broken} are not verbatim; refusing to answer")
