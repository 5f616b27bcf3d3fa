"""The judge stage: can the retrieved passages answer the question?

``EvidenceJudge`` combines two signals, each against a calibrated threshold:
- *coverage*: the idf-weighted share of the question's content words found in a top
  passage (a question about "Buenos Aires" finds no passage with those words);
- *dense surprise*: how far the best passage's similarity stands above the corpus-wide
  distribution of the question's similarities (a z-score), which works across languages
  where words cannot overlap, and never thresholds raw cosines.
A question naming something the corpus never mentions (assistant.answer.unknown) is not
answered: similarity cannot vouch for a place, body or law the documents lack.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set
from dataclasses import dataclass

from assistant.answer.spans import ACRONYM, ARTICLE, NUMBER, comparisons, find_spans, has_day, measure_of, time_unit
from assistant.answer.types import QuestionType, classify
from assistant.answer.unknown import UnknownNames
from assistant.ingest.chunking import is_quotable, sentence_spans
from assistant.records import Chunk, Document, Verdict
from assistant.search.query import Hit, Query
from assistant.search.sparse import SparseIndex
from assistant.settings import Settings
from assistant.stages import SearchRequest
from assistant.text import cognate_keys, cognate_match, fold, token_set, tokenize

class EvidenceJudge:
    """Answer when coverage or dense surprise passes its threshold (module docstring)."""

    def __init__(self, sparse: SparseIndex, chunks: list[Chunk], settings: Settings,
                 documents: dict[str, Document] | None = None) -> None:
        self.sparse = sparse
        self.chunks = chunks
        self.settings = settings
        self.languages = {d.id: d.meta.language[:2] for d in (documents or {}).values()}
        self.unknown = UnknownNames(sparse, documents or {})

    def signals(self, query: Query, hits: list[Hit], min_z: float, candidates: list[Hit] = ()) -> tuple[float, float]:
        """Coverage / min_coverage and best z / min_z over the top passages of both orders
        (reranked and first stage); either ≥ 1.0 means "answer"."""
        n = self.settings.judge_passages
        top = list({h.position: h for h in [*hits[:n], *candidates[:n]]}.values())
        coverage = max(self.coverage(query, h) for h in top)
        best_z = max((h.dense_z for h in top), default=0.0)
        return coverage / self.settings.refusal_min_coverage, best_z / min_z if min_z else 0.0

    def coverage(self, query: Query, hit: Hit) -> float:
        """The question's idf coverage by a passage, counting cognates when the passage's
        document is in another language than the question."""
        chunk = self.chunks[hit.position]
        other = self.languages.get(chunk.document_id, query.language) != query.language
        return self.sparse.coverage(query.tokens, token_set(chunk.text), cognates=other)

    def strength(self, query: Query, hits: list[Hit], min_z: float, candidates: list[Hit] = ()) -> float:
        """The larger of the two signals; ≥ 1.0 means "answer"."""
        return max(self.signals(query, hits, min_z, candidates))

    def judge(self, query: Query, hits: list[Hit], request: SearchRequest,
              candidates: list[Hit] = ()) -> Verdict:
        if not hits:
            return Verdict(outcome="not_in_documents", reason="no passage matched the question")
        missing = self.unknown(query.text, query.expanded.keys())
        if missing:
            return Verdict(outcome="not_in_documents",
                           reason=f"the documents never mention {', '.join(missing)}")
        min_z = self.settings.min_z(request.backend) if request.mode != "bm25" else 0.0
        strength = self.strength(query, hits, min_z, candidates)
        if strength < 1.0:
            return Verdict(outcome="not_in_documents", strength=strength,
                           reason="no passage is close enough to the question")
        return Verdict(outcome="answered", strength=strength, reason="the top passages cover the question")


# -- the typed judge ---------------------------------------------------------------------------
_ASKING = frozenset(tokenize(
    "how many much long often when where who which what year years date day article articles "
    "provision number total share percentage amount name cuanto cuanta cuantos cuantas cuando "
    "donde quien quienes cual cuales ano anos fecha dia articulo articulos precepto numero "
    "porcentaje monto nombre parte according segun say dice establece"))
_ORG_HEAD = re.compile(r"\b(Ministry|Secretar[ií]a|Secretariat|Commission|Comisi[óo]n|Institute|Instituto|"
                       r"Council|Consejo|Unit|Unidad|System|Sistema|Office|Oficina|Agency|Police|Polic[ií]a|"
                       r"Prosecutor|Fiscal[ií]a|Authority|Committee|Comit[ée])\b")
# A post's holder answers "who presides …" as a body does ("el Secretario de Seguridad …").
_POST_HEAD = re.compile(r"\b(Secretari[oa]|Secretary|Minister|Director|Directora|Presidente|Presidenta|President|"
                        r"Titular|Coordinador|Coordinadora|Comisionad[oa]|Jef[ea])\b")
_BARE_QUALIFIER = frozenset({"nacional", "federal", "general", "national", "tecnica", "technical"})
_AUXILIARIES = re.compile(r"(?i)(do|does|did|is|are|was|were|can|could|will|would|has|have|had|must|should|"
                          r"es|son|fue|fueron|se|ha|han|hay|puede|pueden|debe|deben)$")  # a subject phrase stops there
_NAMED = frozenset({"person_org", "place", "law_article"})  # names and labels: paraphrase-tolerant
_DETAILS = {
    "quantity": "figure", "money": "amount of money", "date": "date or year",
    "person_org": "name of a person or body", "place": "place", "law_article": "article",
}


@dataclass(frozen=True)
class Finding:
    """One sentence of a top passage: how much of the subject it covers, and its answer spans."""

    rank: int
    document_id: str
    start: int
    end: int
    coverage: float
    spans: tuple[tuple[int, int], ...] = ()  # document offsets of answer spans
    matched: frozenset[str] = frozenset()
    own: float = 0.0  # subject coverage of the sentence alone (picks the answer sentence)
    counted: bool = True  # the sentence ± neighbours name what "how many …" counts (true across languages)
    rarest: bool = True  # the sentence itself names the question's rarest subject term (true when it has none)
    span_counts: bool = True  # the first span names what "how many …" counts, or is a bare number


class SubjectTerms:
    """The question's distinctive terms (its entity), idf-weighted, matched loosely."""

    def __init__(self, sparse: SparseIndex, tokens: list[str], asking: Set[str] = frozenset()) -> None:
        self.terms = [t for t in dict.fromkeys(tokens) if t not in _ASKING and t not in asking and not t.isdigit()]
        self.years = {t for t in tokens if re.fullmatch(r"(1[89]|20)\d\d", t)}  # a figure *for that year*
        self.weights = {t: sparse.idf(t) for t in self.terms}

    @property
    def rarest(self) -> str:
        """The subject term of highest idf ("COPRED" in "the share of the budget assigned to
        COPRED"), "" when the question has none."""
        return max(self.terms, key=self.weights.__getitem__, default="")

    def covered(self, words: Set[str]) -> frozenset[str]:
        """Subject terms present in ``words`` (the same token or the same cognate key)."""
        words = frozenset(words)  # no copy for a frozenset
        keys = cognate_keys(words)
        return frozenset(t for t in self.terms if cognate_match(t, words, keys))

    def share(self, matched: frozenset[str], words: set[str]) -> float:
        """idf share of the subject found; 0 when the question names a year the text lacks."""
        if self.years and not self.years & words:
            return 0.0
        total = sum(self.weights.values())
        return sum(self.weights[t] for t in matched) / total if total else 1.0


class TypedJudge:
    """EvidenceJudge first; then a typed or comparative question is answered only when a top
    sentence (with its neighbours) covers the question's subject *and* holds an answer of
    the asked type the question does not contain. Subject covered, no answer: "partly"."""

    def __init__(self, sparse: SparseIndex, chunks: list[Chunk], documents: dict[str, Document],
                 settings: Settings) -> None:
        self.sparse = sparse
        self.chunks = chunks
        self.documents = documents
        self.settings = settings
        self.evidence = EvidenceJudge(sparse, chunks, settings, documents)

    def judge(self, query: Query, hits: list[Hit], request: SearchRequest,
              candidates: list[Hit] = ()) -> Verdict:
        kind = classify(query.text)
        base = self.evidence.judge(query, hits, request, candidates)
        base = base.model_copy(update={"answer_type": kind.answer_type, "comparative": kind.comparative})
        reading = kind.reading  # a list question asking each instrument for a figure reads figures
        if not base.answered or not (reading.typed or kind.comparative):
            return base
        findings = self.read(query, hits, reading)
        verdict = decide(base, findings, reading, query.text, self.settings, self.documents)
        return base if verdict.answered and not kind.typed else verdict  # a list's answer opens with no span

    def read(self, query: Query, hits: list[Hit], kind: QuestionType) -> list[Finding]:
        """Every sentence of the top passages: subject coverage (sentence ± neighbour, with the
        document title and section path as context) and its answer spans."""
        # a follow-up's tokens include the previous question's; "which laws" asks, it is no subject
        subject = SubjectTerms(self.sparse, query.tokens, set(tokenize(" ".join(kind.listing))))
        counted = tokenize(kind.counted)[:1]
        rarest = subject.rarest
        findings = []
        for rank, hit in enumerate(hits[: self.settings.typed_judge_passages]):
            chunk = self.chunks[hit.position]
            document = self.documents[chunk.document_id]
            context, spans, words, readable = self.sentences(hit.position)
            for i, (start, end) in enumerate(spans):
                if not readable[i]:
                    continue
                window = context | words[i] | (words[i - 1] if i else set()) | (words[i + 1] if i + 1 < len(words) else set())
                matched = subject.covered(window)
                found = list(answer_spans(document, start, end, kind, query.text))
                found = [f for f in found if self.person_like(document.text[f[0]:f[1]])] if kind.person else found
                found = [f for f in found if named_body(document.text[f[0]:f[1]])] if kind.body else found
                found = by_subject(found, document.text, subject, start, end,
                                   kind.answer_type == "person_org") if len(found) > 1 else found
                found = by_measure(found, document.text, kind.measure, kind.unit)
                names_counted = (not counted or document.meta.language[:2] != query.language
                                 or cognate_match(counted[0], window, cognate_keys(window)))
                own_terms = subject.covered(words[i])
                findings.append(Finding(rank, document.id, start, end, subject.share(matched, window),
                                        tuple(found), matched, subject.share(own_terms, words[i]), names_counted,
                                        not rarest or rarest in own_terms,
                                        not found or names_count(document.text[found[0][0]:found[0][1]], counted)))
        return findings

    def person_like(self, name: str) -> bool:
        """A span that can be a person's name: two to four words, no body's head word
        ("Ministry", "Comisión"), no acronym, and only words the corpus rarely uses
        (Settings.person_name_max_passages) — "Mexico City" is a place, not a head of office."""
        words = name.split()
        return (2 <= len(words) <= 4 and not _ORG_HEAD.search(name) and not re.search(r"\b[A-Z]{2,}\b", name)
                and all(self.sparse.frequency(t) <= self.settings.person_name_max_passages for t in tokenize(name)))

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one judge per loaded index, one entry per chunk
    def sentences(self, position: int) -> tuple[frozenset[str], list[tuple[int, int]], list[frozenset[str]], list[bool]]:
        """A chunk's context words (title, section path, article), its sentence spans, each
        sentence's words and whether it is quotable (computed once per chunk)."""
        chunk = self.chunks[position]
        document = self.documents[chunk.document_id]
        context = frozenset(tokenize(" ".join([document.meta.title, *chunk.section_path, chunk.article or ""])))
        spans = sentence_spans(document.text, chunk.start, chunk.end, clauses=False)
        words = [frozenset(tokenize(document.text[a:b])) for a, b in spans]
        return context, spans, words, [is_quotable(document.text[a:b], self.settings.quote_min_chars)
                                       for a, b in spans]


def names_count(span: str, counted: list[str]) -> bool:
    """Whether a count's span counts the asked thing: a bare number ("14"), or a number whose
    words name the counted noun or its cognate ("120 agentes" for "how many agents"); "more
    than 30 organizations" does not count public servants. True when nothing is counted."""
    if not counted or not re.search(r"[^\W\d_]{3,}", NUMBER.sub(" ", span)):
        return True
    words = token_set(span)
    return cognate_match(counted[0], words, cognate_keys(words))


def named_body(name: str) -> bool:
    """An acronym, or a name of two words or more with a body's or a post's head word
    ("Ministry of Foreign Affairs", "Comisión Mexicana …", "Secretario de Seguridad …")."""
    return ACRONYM.fullmatch(name) is not None or (
        (_ORG_HEAD.search(name) is not None or _POST_HEAD.search(name) is not None) and len(name.split()) >= 2)


def generic_body(name: str) -> bool:
    """A law's short form for a body named in full elsewhere: a head word alone or with
    "Nacional" / "Federal" ("el Instituto", "Consejo Nacional", "Sistema Nacional")."""
    words = name.split()
    return not ACRONYM.fullmatch(name) and (len(words) == 1 or (
        len(words) == 2 and fold(words[1]).lower() in _BARE_QUALIFIER))


def by_subject(found: list[tuple[int, int]], text: str, subject: SubjectTerms,
               start: int, end: int, body: bool = False) -> list[tuple[int, int]]:
    """Best answer span first: one whose own words name a subject term ("86 embassies"), then
    the one nearest the sentence's rarest subject word ("Venezuela (14%)"), then a body's name.
    With ``body`` (a "who / which agency" question) a body's name (``named_body``) comes
    first, a short form (``generic_body``) after the names in full."""
    anchors = [(subject.weights.get(t, 0.0), m.start() + start) for m in re.finditer(r"\w+", text[start:end])
               for t in tokenize(m.group(0)) if t in subject.weights]
    anchor = max(anchors)[1] if anchors else start

    def key(span: tuple[int, int]) -> tuple[bool, bool, bool, int, bool]:
        words = text[span[0]: span[1]]
        return (body and not named_body(words), body and generic_body(words), not subject.covered(token_set(words)),
                min(abs(span[0] - anchor), abs(span[1] - anchor)), not _ORG_HEAD.search(words))
    return sorted(found, key=key)


def by_measure(found: list[tuple[int, int]], text: str, measure: str, unit: str = "") -> list[tuple[int, int]]:
    """Spans of the asked measure first (a share for "what percentage", a time for "how long").
    A span that states another measure is no answer ("how many young people" is not "18 to 29
    years", "what interest rate" not "cinco años", "how many questions" not "una vez"); a
    bare number is kept, but a count of something else is no time nor frequency ("how long" is
    not "60 member cities", "cada cuánto" not "dos testigos"). A count of a unit of time ("how many working days") asks for a
    duration, and a question counting in one unit ("how many hours") takes no other unit
    ("sesenta días")."""
    if not measure:
        return found
    wanted = "duration" if unit else measure
    kept = [(span, measure_of(text[span[0]: span[1]])) for span in found
            if not unit or time_unit(text[span[0]: span[1]]) in ("", unit)]
    kept = [(span, of) for span, of in kept if of == wanted or (
        of == "count" and (wanted == "count" or NUMBER.fullmatch(text[span[0]: span[1]].strip())))]
    return [span for span, of in kept if of == wanted] + [span for span, of in kept if of != wanted]


def answer_spans(document: Document, start: int, end: int, kind: QuestionType,
                 question: str) -> tuple[tuple[int, int], ...]:
    """Document offsets of the answers of the asked type in one sentence; a comparative
    question needs a comparison there too; "which article" also takes the heading of the
    article the sentence stands in."""
    sentence = document.text[start:end]
    if kind.comparative and not comparisons(sentence):
        return ()
    if not kind.typed:
        return ((start, start),) if kind.comparative else ()
    found = [(start + f.start, start + f.end) for f in find_spans(sentence, kind.answer_type, question)
             if not kind.exact or has_day(f.text)]  # "on what date": a year is no answer
    article = document.article_at(start) if kind.answer_type == "law_article" else None
    if article is not None:
        heading = ARTICLE.match(document.text, article.start, article.end)
        if heading and heading.group(0) not in question:
            found.insert(0, (heading.start(), heading.end()))
    return tuple(found)


def decide(base: Verdict, findings: list[Finding], kind: QuestionType, question: str,
           settings: Settings, documents: dict[str, Document]) -> Verdict:
    """answered / partly / not_in_documents from the findings (TypedJudge docstring)."""
    detail = detail_of(kind)
    need = settings.typed_name_coverage if kind.answer_type in _NAMED else settings.typed_answer_coverage
    answering = [f for f in findings if f.spans and f.coverage >= need]
    if answering:
        return with_span(base, answering, detail, question, settings)
    closest = max(findings, key=lambda f: f.coverage, default=None)
    if closest is None or closest.coverage < settings.typed_subject_coverage:
        return base.model_copy(update={
            "outcome": "not_in_documents", "detail": detail,
            "reason": f"no top passage discusses the question's subject with a {detail}"})
    return partly(base, closest, detail, question)


def detail_of(kind: QuestionType) -> str:
    """What a typed or comparative question asks for, in words ("figure", "comparison" …)."""
    return "comparison" if kind.comparative and not kind.typed else _DETAILS.get(kind.answer_type, "answer")


def best_answer(answering: list[Finding], settings: Settings) -> Finding:
    """The answer sentence: best subject coverage (with and without its neighbours) plus a
    small weight for the passage's rank."""
    return max(answering, key=lambda f: (f.coverage + f.own + settings.typed_rank_weight / (f.rank + 1), -f.start))


def with_span(base: Verdict, answering: list[Finding], detail: str, question: str, settings: Settings) -> Verdict:
    """Answered, with the best answering sentence's (``best_answer``) first span."""
    best = best_answer(answering, settings)
    start, end = best.spans[0]
    return base.model_copy(update={
        "outcome": "answered", "reason": f"a top passage covers the question's subject and gives a {detail}",
        "subject": subject_phrase(question, best.matched), "detail": detail,
        "span_document": best.document_id, "span_start": start, "span_end": end})


def partly(base: Verdict, closest: Finding, detail: str, question: str) -> Verdict:
    """The documents discuss the subject (the closest sentence's words) but not the detail."""
    phrase = subject_phrase(question, closest.matched)
    return base.model_copy(update={
        "outcome": "partly", "subject": phrase, "detail": detail,
        "reason": f"the documents discuss {phrase} but give no {detail} for what is asked"})


def subject_phrase(question: str, matched: frozenset[str]) -> str:
    """The longest run of the question's own words whose content words were all found in the
    passages, cut verbatim from the question ("the community kitchens")."""
    words = list(re.finditer(r"[\w'’-]+", question))
    best, run = (0, 0), []
    for i, word in enumerate(words):
        tokens = tokenize(word.group(0))
        if (tokens and not all(t in matched for t in tokens)) or _AUXILIARIES.match(word.group(0)):
            run = []
            continue
        run.append(i)
        content = [j for j in run if tokenize(words[j].group(0))]
        if content:
            first, last = content[0], content[-1]
            if words[last].end() - words[first].start() > best[1] - best[0]:
                best = (words[first].start(), words[last].end())
    return question[best[0]: best[1]] or "the question's subject"
