"""Typed records that flow through the pipeline.

documents → chunks → embeddings → index → retrieval → answer. Every record that points
into a document does so by character offsets into ``Document.text`` (the *stored text*),
so ``document.text[x.start:x.end]`` is always the exact string a record talks about.
"""

from __future__ import annotations

import bisect
import functools
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, computed_field

DocumentKind = Literal["profile", "law", "constitution", "report", "other"]
DOCUMENT_KINDS: tuple[str, ...] = DocumentKind.__args__  # type: ignore[attr-defined]
LEGAL_KINDS = frozenset({"law", "constitution"})
Outcome = Literal["answered", "partly", "not_in_documents"]


class Span(BaseModel):
    """A half-open character range ``[start, end)`` in a document's stored text."""

    start: int
    end: int


class Page(Span):
    """One PDF page: its 1-based number and where its text stands in the stored text."""

    number: int


class Section(Span):
    """A heading and the text it governs, up to the next heading of the same or higher level.

    ``path`` is the list of titles from the outermost heading down to this one. ``kind`` says
    what the heading is: "heading" (profile headings), "titulo", "capitulo", "seccion",
    "transitorios", "footnotes", "key_sources" ...
    """

    title: str
    level: int
    path: list[str]
    kind: str = "heading"
    dimension: str | None = None  # MGI profiles: the MiGOF dimension the heading stands under
    assessment: str | None = None  # "well-developed" / "potential for development"


DivisionKind = Literal["apartado", "fraccion", "numeral", "inciso"]


class Division(Span):
    """A division inside an article: apartado "A", fracción "II", numeral "1", inciso "a"."""

    kind: DivisionKind
    label: str  # as printed: "A", "II", "XXIX-E", "1", "a"
    level: int = 0  # nesting depth inside the article (apartado 0 → numeral 1 → inciso 2 ...)


class Article(Span):
    """One article of a law: ``label`` as cited ("Artículo 8", "Artículo 11 Bis")."""

    label: str
    number: str = ""  # "8", "11 Bis", "3o" — normalised key for lookups
    path: list[str] = Field(default_factory=list)  # Título/Capítulo path above it
    transitory: bool = False
    divisions: list[Division] = Field(default_factory=list)  # nested spans, in text order


class Footnote(Span):
    """A footnote: its marker ("14"), its text span, and where its markers stand in the body."""

    marker: str
    refs: list[int] = Field(default_factory=list)  # offsets of the superscript markers


class KeySource(BaseModel):
    """One entry of a profile's KEY SOURCES bibliography."""

    id: str  # stable id, e.g. "mgi-mexico-city-2022:ks:12"
    author: str
    year: str  # year label as printed: "2011a", "n.d."
    title: str
    url: str | None = None
    start: int = 0
    end: int = 0
    document_id: str | None = None  # corpus document this entry is, when we hold it

    @property
    def label(self) -> str:
        """The "Author | year | title" form used by the eval sets."""
        return f"{self.author} | {self.year} | {self.title}"


class Mention(Span):
    """A passage's mention of an instrument ("Law on Migration (2011)") linked to Key Sources."""

    text: str
    key_source_ids: list[str] = Field(default_factory=list)
    score: float = 0.0
    kind: Literal["instrument", "reference"] = "instrument"  # a law's name / "(INEGI, 2020b)"


class DocumentMeta(BaseModel):
    """Catalogue metadata for one document file."""

    id: str
    file: str  # path relative to the documents folder
    title: str
    kind: DocumentKind = "other"
    language: str = "und"
    jurisdiction: str | None = None
    version: str | None = None
    source_url: str | None = None
    licence: str | None = None
    sha256: str = ""


class Document(BaseModel):
    """A parsed document: its stored text once, and its structure as spans into it."""

    meta: DocumentMeta
    text: str
    pages: list[Page] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    articles: list[Article] = Field(default_factory=list)
    footnotes: list[Footnote] = Field(default_factory=list)
    key_sources: list[KeySource] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.meta.id

    @functools.cached_property
    def _page_index(self) -> tuple[list[int], list[Page]]:
        pages = [page for page in self.pages if page.end > page.start]
        return [page.start for page in pages], pages

    def page_at(self, offset: int) -> int | None:
        """1-based PDF page holding character ``offset`` (None outside pages / no pages)."""
        starts, pages = self._page_index
        index = bisect.bisect_right(starts, offset) - 1
        if offset < 0 or index < 0 or offset >= pages[index].end:
            return None
        return pages[index].number

    def section_at(self, offset: int) -> Section | None:
        """The deepest section containing ``offset``."""
        containing = [s for s in self.sections if s.start <= offset < s.end]
        return max(containing, key=lambda s: (s.level, s.start), default=None)

    def section_path(self, offset: int) -> list[str]:
        """Titles from the outermost section down to the one holding ``offset``."""
        section = self.section_at(offset)
        return list(section.path) if section else []

    @functools.cached_property
    def _article_starts(self) -> list[int]:
        return [article.start for article in self.articles]

    def article_at(self, offset: int) -> Article | None:
        """The article containing ``offset``, if the document has articles."""
        index = bisect.bisect_right(self._article_starts, offset) - 1
        if index >= 0 and self.articles[index].start <= offset < self.articles[index].end:
            return self.articles[index]
        return None

    def footnotes_in(self, start: int, end: int) -> list[Footnote]:
        """Footnotes whose markers stand inside ``[start, end)``."""
        return [f for f in self.footnotes if any(start <= ref < end for ref in f.refs)]

    def ref(self) -> DocumentRef:
        """The short reference carried by citations."""
        meta = self.meta
        return DocumentRef(
            id=meta.id, title=meta.title, file=meta.file, kind=meta.kind, language=meta.language
        )


class Chunk(Span):
    """A retrievable passage: ``document.text[start:end] == text``."""

    id: str  # "<doc id>:<n>"
    document_id: str
    text: str
    section_path: list[str] = Field(default_factory=list,
                                    validation_alias=AliasChoices("section_path", "section"))
    article: str | None = None
    page: int | None = None  # page where the chunk starts (PDFs)
    page_end: int | None = None
    footnotes: list[str] = Field(default_factory=list)  # markers referenced in the chunk
    key_source_ids: list[str] = Field(default_factory=list)
    dimension: str | None = None  # MGI profile chunks: MiGOF dimension (Section.dimension)
    assessment: str | None = None  # "well-developed" / "potential for development"


class DocumentRef(BaseModel):
    """The short form of a document carried by citations and search hits."""

    id: str
    title: str
    file: str
    kind: DocumentKind
    language: str


class KeySourceRef(BaseModel):
    id: str
    author: str
    year: str
    title: str
    url: str | None = None
    label: str
    document_id: str | None = None
    instrument: str = ""  # folding key: entries of one instrument (title up to accents/case + year) share it


class Located(BaseModel):
    """Where a passage or quote stands: document, section path, article, page, offsets."""

    document: DocumentRef
    section: str  # the section path joined with " › " (Chunk.section_path is the list)
    article: str | None = None
    page: int | None = None
    start: int
    end: int
    score: float
    dimension: str | None = None  # MGI profile passages: MiGOF dimension
    assessment: str | None = None  # "well-developed" / "potential for development"

    def locator(self, title: bool = False, section: bool = True, sep: str = ", ") -> str:
        """Where it stands, as people cite it: "[title, ]section, Artículo 8, p. 7" (parts that exist)."""
        parts = [self.document.title] if title else []
        parts += [self.section] if section and self.section else []
        parts += [self.article] if self.article else []
        parts += [f"p. {self.page}"] if self.page else []
        return sep.join(parts)


class Passage(Located):
    """A ranked retrieval hit."""

    chunk_id: str
    text: str


class AnswerSpan(BaseModel):
    """The answer itself (a figure, date, amount, name or article label), cut verbatim from
    the document: ``document.text[start:end] == text``; ``n`` is the citation that holds it."""

    n: int
    start: int
    end: int
    text: str


class CitedArticle(BaseModel):
    """A law article a quote cites and the corpus holds ("Article 13(B)(I) of the General
    Health Law" → Ley General de Salud, Artículo 13), with the article's span in the law."""

    cited: str  # as the quote cites it: "Article 13(B)(I)"
    document_id: str
    title: str
    article: str  # "Artículo 13"
    start: int
    end: int
    page: int | None = None


class Citation(Located):
    """One numbered quote in an answer and where it stands."""

    n: int
    quote: str
    chunk_id: str
    key_sources: list[KeySourceRef] = Field(default_factory=list)
    footnotes: list[str] = Field(default_factory=list)  # footnote texts the quote relies on
    answer_span: AnswerSpan | None = None  # the answer inside this quote (typed questions)
    cites: list[CitedArticle] = Field(default_factory=list)  # law articles the quote cites (corpus)


class Instrument(BaseModel):
    """A law or instrument named in an answer to a "which laws ..." question."""

    name: str
    year: str | None = None
    articles: list[str] = Field(default_factory=list)
    citations: list[int] = Field(default_factory=list)  # citation numbers supporting it
    key_sources: list[KeySourceRef] = Field(default_factory=list)
    document_id: str | None = None
    in_corpus: bool | None = None  # False: named by the profile, not held by the corpus
    searched: bool = False  # its law text was searched for the question
    evidence: float = 0.0  # strength of its best articles (1.0 = the judge's threshold)
    law_citations: list[int] = Field(default_factory=list)  # citations quoting its own text
    claim_citations: list[int] = Field(default_factory=list)  # the profile's claims about it


class Verdict(BaseModel):
    """The judge's finding: can the passages answer, what kind of answer is asked, and why."""

    outcome: Outcome
    answer_type: str = "description"
    reason: str = ""
    strength: float = 0.0  # evidence strength; >= 1.0 means strong enough to answer
    comparative: bool = False  # the question compares (needs a comparison in the text)
    subject: str = ""  # the question's subject as found in the passages, verbatim from the question
    detail: str = ""  # what a "partly" answer lacks: "figure", "date or year", "article" …
    span_document: str | None = None  # where the judge found the answer span (typed answers)
    span_start: int | None = None
    span_end: int | None = None

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"


class Answer(BaseModel):
    """What the assistant says: quoted sentences with numbered citations, or a refusal."""

    question: str
    answer: str
    refused: bool
    outcome: Outcome = "answered"
    answer_type: str = "description"
    reason: str = ""
    evidence_strength: float = 0.0
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Passage] = Field(default_factory=list)
    instruments: list[Instrument] = Field(default_factory=list)
    searched_documents: list[str] = Field(default_factory=list)  # document ids in scope
    expanded: dict[str, str] = Field(default_factory=dict)  # acronyms read as the corpus's names ("CONAPRED" → …)
    timings_ms: dict[str, float] = Field(default_factory=dict)  # per stage, and "total"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def answer_span(self) -> AnswerSpan | None:
        """The answer span (typed questions): the first citation that holds one, else None."""
        return next((c.answer_span for c in self.citations if c.answer_span is not None), None)


class Turn(BaseModel):
    """One earlier exchange of a conversation, sent as history."""

    question: str = Field(min_length=1)  # lengths checked against Settings by Assistant.check
    answer: str = ""


class Filters(BaseModel):
    """Restrict retrieval to some documents, kinds or languages (all optional)."""

    document: list[str] | None = None
    kind: list[str] | None = None
    language: list[str] | None = None
    dimension: list[str] | None = None  # MiGOF dimensions (profile passages only)
    assessment: list[str] | None = None  # "well-developed" / "potential for development"

    def is_empty(self) -> bool:
        return not (self.document or self.kind or self.language or self.dimension or self.assessment)
