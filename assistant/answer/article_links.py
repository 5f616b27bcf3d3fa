"""A profile's citations of a law's article ("Article 13(B)(I) of the General Health Law
(1984)") linked to that article in the corpus law.

A link needs three things, read from the structure the build already holds: the article
number right before a mention of an instrument (``Document.mentions``), that mention's KEY
SOURCES entry being a corpus document (``KeySource.document_id``), and that law holding a
non-transitory article of the number. A citation without a following instrument name
("Article 20 of the same Constitution") is not guessed at. Works on any profile, in English
("Article 7 of the law") or Spanish ("artículo 7 de la Ley …").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from assistant.records import Article, CitedArticle, Document

_CITE = re.compile(r"\b(?:articles?|art[íi]culos?|art\.)\s+(\d+)(?:\s*(?:o|º|°)(?!\w))?((?:\s*\([A-Za-z0-9]{1,6}\))*)",
                   re.IGNORECASE)
_GAP = re.compile(r"\s*(?:of\s+the|of|de\s+la|del|de)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class ArticleLink:
    """One citation in a profile and the law article it points at."""

    document_id: str  # the citing profile
    start: int  # "Article 13(B)(I)" in the profile's text
    end: int
    law_id: str  # the corpus law
    article: str  # its label, "Artículo 13"
    article_start: int  # the article's span in the law's text
    article_end: int


def article_number(label: str) -> str:
    """"Artículo 3o" / "3o" / "Article 3" → "3"; "11 Bis" → "11 bis"."""
    text = re.sub(r"^(?:art[íi]culo|article)\s+", "", label.strip(), flags=re.IGNORECASE)
    return re.sub(r"^(\d+)\s*(?:o|º|°)(?=\s|$)", r"\1", text).casefold()


def find_links(document: Document, laws: dict[str, Document]) -> list[ArticleLink]:
    """Every resolvable article citation in ``document`` (module docstring)."""
    entries = {entry.id: entry for entry in document.key_sources}
    mentions = sorted((m for m in document.mentions if m.kind == "instrument" and m.key_source_ids),
                      key=lambda m: m.start)
    starts = [m.start for m in mentions]
    found = []
    for match in _CITE.finditer(document.text):
        gap = _GAP.match(document.text, match.end())
        slot = bisect.bisect_left(starts, match.end())
        if gap is None or slot >= len(mentions) or mentions[slot].start != gap.end():
            continue
        targets = {entries[i].document_id for i in mentions[slot].key_source_ids if i in entries}
        for law_id in sorted(t for t in targets if t in laws and t != document.id):
            article = _article(laws[law_id], match.group(1))
            if article is not None:
                found.append(ArticleLink(document.id, match.start(), match.end(), law_id, article.label,
                                         article.start, article.end))
    return found


def _article(law: Document, number: str) -> Article | None:
    return next((a for a in law.articles if not a.transitory and article_number(a.number or a.label) == number), None)


class ArticleLinks:
    """The article links of every document of an index, looked up by span."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents
        self.by_document: dict[str, list[ArticleLink]] = {}
        for document in documents.values():
            if document.mentions:
                links = find_links(document, documents)
                if links:
                    self.by_document[document.id] = links

    def within(self, document_id: str, start: int, end: int) -> list[ArticleLink]:
        """The links whose citation stands inside ``[start, end)`` of a document."""
        return [link for link in self.by_document.get(document_id, ()) if start <= link.start and link.end <= end]

    def cited(self, document: Document, start: int, end: int) -> list[CitedArticle]:
        """The articles a quote ``document.text[start:end]`` cites, as citation records."""
        return [CitedArticle(cited=document.text[link.start:link.end], document_id=link.law_id,
                             title=self.documents[link.law_id].meta.title, article=link.article,
                             start=link.article_start, end=link.article_end,
                             page=self.documents[link.law_id].page_at(link.article_start))
                for link in self.within(document.id, start, end)]


__all__ = ["ArticleLink", "ArticleLinks", "article_number", "find_links"]
