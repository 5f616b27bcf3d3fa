"""The instrument answer: grouped by instrument → its articles → the verbatim law text,
plus the profile's own claims about that instrument with their Key Sources.

Instruments are the laws LegalFanout kept (strongest evidence first), then instruments the
profile's claims name — corpus documents whose articles did not pass the threshold, and
instruments the corpus does not hold, marked "not in the corpus" with their Key Sources
entries (every entry of a folded instrument). The answer says which documents were
searched and which had nothing relevant.
"""

from __future__ import annotations

from typing import Any, Protocol

from assistant.answer.citations import key_source_ref
from assistant.answer.instruments import fold_entries, instrument_key, list_instruments, year_of
from assistant.answer.legal import LawEvidence, LegalFanout
from assistant.records import Citation, Document, Instrument, KeySourceRef
from assistant.search.query import Hit, Query, contextualise
from assistant.stages import Draft, SearchRequest


class Quoter(Protocol):
    """What the extractive writer lends the instrument answer (ExtractiveComposer)."""

    def candidates(self, tokens: list[str], hits: list[Hit], language: str = "") -> list[Any]: ...

    def select(self, tokens: list[str], hits: list[Hit], limit: int, language: str = "") -> list[Any]: ...

    def cite(self, sentences: list[Any], first: int = 1) -> list[Citation]: ...

    def hits_in(self, document_id: str, start: int, end: int) -> list[Hit]: ...

    def search(self, query: Query, request: SearchRequest) -> list[Hit]: ...


class LegalAnswer:
    """Writes instrument answers from a LegalFanout's evidence (module docstring)."""

    def __init__(self, fanout: LegalFanout, by_document: dict[str, list[KeySourceRef]]) -> None:
        self.fanout = fanout
        self.documents: dict[str, Document] = fanout.documents
        self.settings = fanout.settings
        self.by_document = by_document

    def applies(self, query: Query, request: SearchRequest) -> bool:
        return self.fanout.applies(query, request)

    def compose(self, query: Query, request: SearchRequest, quoter: Quoter) -> Draft:
        """The grouped answer; an empty Draft when no instrument has evidence."""
        evidence = self.fanout.evidence(query, request)
        kept = [e for e in evidence if e.kept]
        groups: list[tuple[Instrument, list[Citation], list[Citation]]] = []
        for item in kept:
            quotes = quoter.cite(quoter.select(query.own_tokens, item.hits, self.settings.legal_quotes_per_law, query.language), 0)
            groups.append((self.law_instrument(item), quotes, []))
        claims = self.profile_claims(query, request, quoter)
        self.attach_claims(groups, claims, {e.document_id: e for e in evidence}, request, quoter)
        citations = number(groups)
        if not citations:
            return Draft("")
        instruments = [instrument for instrument, _, _ in groups]
        searched = self.fanout.scope(request.filters, query)
        listed = {instrument.document_id for instrument in instruments}
        text = legal_text(groups, [self.documents[d].meta.title for d in searched],
                          [self.documents[e.document_id].meta.title for e in evidence if e.document_id not in listed])
        return Draft(text, citations, instruments)

    def law_instrument(self, item: LawEvidence) -> Instrument:
        document = self.documents[item.document_id]
        sources = self.by_document.get(document.id, [])
        return Instrument(name=document.meta.title, year=year_of(sources), key_sources=list(sources),
                          document_id=document.id, in_corpus=True, searched=True,
                          evidence=round(item.strength, 4))

    def profile_claims(self, query: Query, request: SearchRequest, quoter: Quoter) -> list[Citation]:
        """The profile sentences that name an instrument, best first (one search per profile in scope)."""
        profiles = [d for d in self.fanout.filter.document_ids(request.filters)
                    if self.documents[d].meta.kind == "profile"]
        chosen, seen = [], set()
        for profile in sorted(profiles):
            hits = quoter.search(query, request.within(profile, self.settings.quote_passages))
            mentions = [m for m in self.documents[profile].mentions if m.kind == "instrument" and m.key_source_ids]
            for sentence in quoter.candidates(query.own_tokens, hits, query.language):
                if (sentence.start, sentence.end) in seen:
                    continue
                if any(m.start < sentence.end and m.end > sentence.start for m in mentions):
                    seen.add((sentence.start, sentence.end))
                    chosen.append(sentence)
        chosen.sort(key=lambda s: -s.score)
        return quoter.cite(chosen[: self.settings.legal_profile_quotes], 0)

    def attach_claims(self, groups: list[tuple[Instrument, list[Citation], list[Citation]]],
                      claims: list[Citation], evidence: dict[str, LawEvidence],
                      request: SearchRequest, quoter: Quoter) -> None:
        """Put each claim under every instrument it names; add the instruments only claims name."""
        by_key = {_group_key(instrument): n for n, (instrument, _, _) in enumerate(groups)}
        for claim in claims:
            named = list_instruments([claim], self.documents, self.by_document)
            for mentioned in named:
                key = _group_key(mentioned)
                if key not in by_key:
                    by_key[key] = len(groups)
                    instrument = self.claimed_instrument(mentioned, evidence)
                    groups.append((instrument, self.claim_quotes(instrument, claim, request, quoter), []))
                instrument, _, group_claims = groups[by_key[key]]
                group_claims.append(claim)
                for source in mentioned.key_sources:
                    if source.id not in {s.id for s in instrument.key_sources}:
                        instrument.key_sources.append(source)

    def claim_quotes(self, instrument: Instrument, claim: Citation, request: SearchRequest,
                     quoter: Quoter) -> list[Citation]:
        """A corpus law the profile's claim names: the article the claim cites ("Article 13 of
        the General Health Law"), else the article in force that best matches the claim (never
        the decree's heading, which names the law too)."""
        if not instrument.in_corpus or not instrument.document_id:
            return []
        query = contextualise(claim.quote, [])
        cited = next((c for c in claim.cites if c.document_id == instrument.document_id), None)
        hits = (quoter.hits_in(cited.document_id, cited.start, cited.end) if cited is not None else
                [h for h in quoter.search(query, request.within(instrument.document_id, self.settings.legal_hits_per_law))
                 if self.fanout.in_force(h)])
        return quoter.cite(quoter.select(query.own_tokens, hits, 1, query.language), 0)

    def claimed_instrument(self, mentioned: Instrument, evidence: dict[str, LawEvidence]) -> Instrument:
        """An instrument only the profile's claims name: a corpus law below the threshold, or
        one the corpus does not hold (with every Key Sources entry of that instrument)."""
        document_id = mentioned.document_id
        if document_id and document_id in self.documents:
            item = evidence.get(document_id)
            return Instrument(name=self.documents[document_id].meta.title, year=mentioned.year,
                              key_sources=list(self.by_document.get(document_id, [])), document_id=document_id,
                              in_corpus=True, searched=item is not None,
                              evidence=round(item.strength, 4) if item else 0.0)
        sources = self.all_entries(mentioned.key_sources)
        return Instrument(name=mentioned.name, year=mentioned.year, key_sources=sources, in_corpus=False)

    def all_entries(self, refs: list[KeySourceRef]) -> list[KeySourceRef]:
        """``refs`` with every other Key Sources entry of the same instruments."""
        keys = {instrument_key(r.title, r.year) for r in refs}
        found = list(refs)
        for document in self.documents.values():
            for group in fold_entries(document.key_sources):
                if instrument_key(group[0].title, group[0].year) in keys:
                    found += [key_source_ref(e) for e in group if e.id not in {r.id for r in found}]
        return found


def _group_key(instrument: Instrument) -> str:
    if instrument.document_id:
        return "doc:" + instrument.document_id
    first = instrument.key_sources[0] if instrument.key_sources else None
    return instrument_key(first.title, first.year) if first else instrument_key(instrument.name, instrument.year)


def number(groups: list[tuple[Instrument, list[Citation], list[Citation]]]) -> list[Citation]:
    """Number citations in the order the answer shows them (a claim naming two instruments
    keeps one number); fill each instrument's articles and citation lists."""
    numbered: dict[tuple[str, int, int], Citation] = {}
    for instrument, quotes, claims in groups:
        for citation, own in [*((q, True) for q in quotes), *((c, False) for c in claims)]:
            key = (citation.document.id, citation.start, citation.end)
            if key not in numbered:
                citation.n = len(numbered) + 1
                numbered[key] = citation
            n = numbered[key].n
            (instrument.law_citations if own else instrument.claim_citations).append(n)
            if n not in instrument.citations:
                instrument.citations.append(n)
            if own and citation.article and citation.article not in instrument.articles:
                instrument.articles.append(citation.article)
    return list(numbered.values())


def legal_text(groups: list[tuple[Instrument, list[Citation], list[Citation]]], searched: list[str],
               nothing: list[str]) -> str:
    """The chat answer: instruments in evidence order, each with its article quotes and the
    profile's claims, then what was searched and what had nothing relevant."""
    lines = [f"According to the documents, {len(groups)} instrument{'s' if len(groups) != 1 else ''} "
             "speak to this, strongest evidence first:"]
    for n, (instrument, quotes, claims) in enumerate(groups, 1):
        head = f"{n}. {instrument.name}" + (f" ({instrument.year})" if instrument.year else "")
        if instrument.in_corpus is False:
            head += " — not in the corpus"
        elif instrument.evidence < 1.0 or not instrument.searched:
            head += " — named by the profile; its article quoted where the profile's claim points"
        body = [head]
        body += [f"   {_where(q)}: “{q.quote}” [{q.n}]" for q in quotes]
        body += [f"   The profile: “{c.quote}” [{c.n}]" for c in claims]
        if instrument.key_sources:
            body.append("   Key Sources: " + "; ".join(
                " = ".join(e.label for e in group) for group in fold_entries(instrument.key_sources)))
        lines.append("\n".join(body))
    lines.append(f"Searched: {len(searched)} laws and constitutions ({'; '.join(searched)}) and the profile.")
    if nothing:
        lines.append("Nothing relevant in: " + "; ".join(nothing) + ".")
    return "\n\n".join(lines)


def _where(citation: Citation) -> str:
    parts = [citation.article or citation.section] + ([f"p. {citation.page}"] if citation.page else [])
    return ", ".join(p for p in parts if p)
