"""Instrument mentions in a profile's prose ↔ its KEY SOURCES entries ↔ corpus documents.

A profile names laws in English ("Law on Migration (2011)") while its KEY SOURCES list them
in Spanish ("2011a Ley de Migración"). Mentions are found by shape (a capitalised name with an
instrument word, then a year, a Spanish gloss or nothing); yearless repeats resolve to an
earlier full mention; full mentions link to entries by year, cross-lingual similarity
(multilingual embedder), cognates and organisation cues. See docs/sources.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from assistant.embedding import Embedder
from assistant.records import Document, DocumentMeta, KeySource, Mention
from assistant.text import fold

KEYWORDS = {"law", "laws", "constitution", "code", "regulation", "regulations", "act", "programme",
            "program", "plan", "strategy", "protocol", "agreement", "decree", "convention", "treaty",
            "statute", "policy"}
LEADING_STOP = {"the", "this", "that", "these", "its", "their", "although", "while", "under", "in",
                "at", "since", "as", "accordingly", "specifically", "likewise", "similarly",
                "moreover", "furthermore", "lastly", "pursuant", "according", "also", "both", "each",
                "every", "article", "section", "chapter", "a", "an", "and", "of", "on", "for", "to",
                "whereas", "however",
                "through", "with", "within", "without", "by", "from", "during", "after", "before",
                "among", "between", "via", "including", "like", "such", "into", "upon", "over"}
STOPWORDS = {"the", "of", "on", "for", "and", "in", "to", "a", "an", "de", "del", "la", "las", "los",
             "el", "y", "en", "al", "para", "por", "sobre", "que", "se", "s"}
SPANISH_HINTS = {"de", "del", "la", "las", "los", "el", "y", "para", "al", "por", "en"}
_CAP = r"[A-Z][\w’'\-]*"
_CONN = r"(?:of|on|for|and|the|in|to|de|del|la|las|los|el|y|en|al|para)"
PHRASE_RE = re.compile(rf"{_CAP}(?:(?:, | (?:{_CONN} )*){_CAP})*")
YEAR_RE = re.compile(r"\A ?\((\d{4})(?:\s*[–-]\s*(\d{4}))?\)")
GLOSS_RE = re.compile(r"\A ?\(([^()\n]{3,200})\)")
LOCAL_RE = re.compile(r"Mexico City|Federal District|City of Mexico|Ciudad de México|Distrito Federal|CDMX", re.I)
NATIONAL_RE = re.compile(r"\b(General|Federal|National|Nacional|United Mexican States|Estados Unidos"
                         r" Mexicanos|Congress of the Union|Chamber of Deputies|Federation|Senate)\b")
ALIASES: dict[str, str] = {}  # normalised English name -> normalised Spanish title (docs/sources.md)
ACCEPT = 2.0  # adjusted score (row z-score plus cues) a year-matched entry needs
ACCEPT_YEARLESS = 3.0  # a name with neither year nor gloss needs a clearly dominant entry


def name_words(text: str) -> str:
    """Lower-case ASCII words separated by single spaces (accents and punctuation dropped)."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text).replace("’s", "").replace("'s", "")))


def content_tokens(text: str) -> set[str]:
    """Content words of a name: normalised, stopwords dropped, plural 's' stripped."""
    return {w[:-1] if len(w) > 4 and w.endswith("s") else w
            for w in name_words(text).split() if w not in STOPWORDS}


@dataclass
class _Instrument:
    start: int
    end: int
    name: str
    year: str | None = None
    year_range: str | None = None
    gloss: str | None = None
    ref: _Instrument | None = None  # the full mention a repeat stands for
    typed: bool = True  # named as an instrument (head noun, "programme" after it ...)
    links: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def tokens(self) -> set[str]:
        return content_tokens(self.name)


def _body_regions(document: Document) -> list[tuple[int, int]]:
    """Spans of prose: the whole text minus KEY SOURCES and FOOTNOTES sections."""
    excluded = sorted((s.start, s.end) for s in document.sections if s.kind in ("key_sources", "footnotes"))
    regions, pos = [], 0
    for start, end in excluded:
        if start > pos:
            regions.append((pos, start))
        pos = max(pos, end)
    if pos < len(document.text):
        regions.append((pos, len(document.text)))
    return regions


def _trim(phrase: str) -> tuple[int, str]:
    """Drop leading function words and sentence adverbs; returns (characters dropped, rest)."""
    dropped = 0
    while True:
        match = re.match(r"([\w’'\-]+)(,? )", phrase)
        if not match or " " not in phrase:
            return dropped, phrase
        word = match.group(1)
        if word.lower() in LEADING_STOP or match.group(2) == ", ":
            dropped += match.end()
            phrase = phrase[match.end():]
        else:
            return dropped, phrase


def _is_gloss(text: str) -> bool:
    """A Spanish name in brackets: Spanish function words or accented letters."""
    spanish = any(w in SPANISH_HINTS for w in name_words(text).split())
    return spanish or any(c in text for c in "áéíóúñÁÉÍÓÚÑ")


def _head(name: str) -> str:
    """The head noun: last word before the first preposition ('Law' in 'General Law on X')."""
    group = re.split(r" (?:of|on|for|to|in|de|del|para) ", name, maxsplit=1)[0]
    return group.split()[-1].lower().strip("’'") if group.split() else ""


def _candidates(text: str, region: tuple[int, int]) -> list[_Instrument]:
    """Capitalised name phrases in one prose region, with their year or Spanish gloss.

    ``typed`` says whether the phrase names an instrument by its head noun ("... Law on X"),
    the word after it ("the X programme") or, before a year, the words before it ("the
    strategy for the X (2018)"); untyped phrases only count when they repeat a known name.
    """
    found: list[_Instrument] = []
    start0, end0 = region
    for match in PHRASE_RE.finditer(text, start0, end0):
        if found and match.start() < found[-1].end:
            continue  # inside the previous mention's Spanish gloss
        offset = match.start()
        parts = match.group().split(" and the ")
        for k, part in enumerate(parts):
            pstart, last = offset, k == len(parts) - 1
            offset += len(part) + len(" and the ")
            dropped, name = _trim(part)
            pstart += dropped
            words = [w for w in name.split() if w.lower() not in STOPWORDS]
            if len(words) < 2 or name.isupper():
                continue
            pend = pstart + len(name)
            tail = text[pend:min(end0, pend + 260)] if last else ""
            gloss, year, year_end, pos = None, None, None, 0
            if (g := GLOSS_RE.match(tail)) and _is_gloss(g.group(1)) and not YEAR_RE.match(tail):
                gloss, pos = g.group(1).strip(), g.end()
            if y := YEAR_RE.match(tail[pos:]):
                year, year_end, pos = y.group(1), y.group(2), pos + y.end()
            next_word = re.match(r"\s*([a-z]+)", tail[pos:] if last else text[pend:pend + 20])
            before = name_words(text[max(start0, pstart - 30):pstart]).split()[-3:]
            typed = _head(name) in KEYWORDS
            typed = typed or bool(next_word and next_word.group(1) in KEYWORDS)
            typed = typed or (year is not None and any(w in KEYWORDS for w in before))
            found.append(_Instrument(pstart, pend + pos if (gloss or year) else pend, name, year=year,
                                     year_range=f"{year}–{year_end}" if year_end else None,
                                     gloss=gloss, typed=typed))
    return found


def _resolve(item: _Instrument, anchors: list[_Instrument]) -> _Instrument | None:
    """The full mention a yearless name repeats: its words are a subset of the full name's."""
    best, best_key = None, None
    for anchor in anchors:
        if not item.tokens <= anchor.tokens:
            continue
        share = len(item.tokens) / len(anchor.tokens)
        if not item.typed and (len(item.tokens) < 3 or share < 1.0):
            continue  # an untyped phrase must repeat the whole name
        key = (share, anchor.start < item.start, -abs(anchor.start - item.start))
        if best_key is None or key > best_key:
            best, best_key = anchor, key
    return best


def find_instruments(document: Document) -> list[_Instrument]:
    text = document.text
    regions = _body_regions(document)
    phrases = [c for region in regions for c in _candidates(text, region)]
    anchors = [c for c in phrases if c.typed and (c.year or c.gloss)]
    items = []
    for item in phrases:
        if item.typed and (item.year or item.gloss):
            items.append(item)
            continue
        item.ref = _resolve(item, anchors)
        if item.typed or item.ref is not None:
            items.append(item)
    acronyms: dict[str, _Instrument] = {}
    for a in anchors:
        if a.gloss and (m := re.search(r",\s*([A-Z]{3,})\s*$", a.gloss)):
            acronyms.setdefault(m.group(1), a)
    taken = [(c.start, c.end) for c in items]
    for acronym, a in acronyms.items():
        for region in regions:
            for m in re.finditer(rf"\b{acronym}\b", text[region[0]:region[1]]):
                s, e = region[0] + m.start(), region[0] + m.end()
                if not any(ts <= s < te for ts, te in taken):
                    items.append(_Instrument(s, e, acronym, ref=a))
    items.sort(key=lambda c: c.start)
    return items


# ----------------------------------------------------------------------------- linking


def _locality(text: str, local: re.Pattern[str] = LOCAL_RE) -> str | None:
    """'local' (the profile's city/state), 'national' (federal) or None, from names in the text."""
    if local.search(text) or LOCAL_RE.search(text):
        return "local"
    if NATIONAL_RE.search(text):
        return "national"
    return None


def _entry_locality(entry: KeySource, local: re.Pattern[str]) -> str | None:
    return _locality(entry.title, local) or _locality(entry.author, local)


def _cognate_share(name: str, title: str) -> float:
    """Share of the name's content words with a look-alike word in the title (migration~migración)."""
    words = [w for w in content_tokens(name) if len(w) >= 4 and w not in KEYWORDS]
    others = [w for w in content_tokens(title) if len(w) >= 4]
    if not words:
        return 0.0
    hits = sum(any(SequenceMatcher(None, w, o).ratio() >= 0.75 for o in others) for w in words)
    return hits / len(words)


def _entry_texts(entry: KeySource) -> list[str]:
    """The entry's title, plus the containing work after 'In:' (chapter of a programme)."""
    texts = [entry.title]
    if " In: " in entry.title:
        texts.append(entry.title.split(" In: ", 1)[1])
    return texts


def _year_ok(item: _Instrument, entry: KeySource) -> bool:
    digits = entry.year[:4]
    return not digits.isdigit() or digits == item.year


def _gloss_match(gloss: str, entry: KeySource) -> bool:
    words = content_tokens(re.sub(r",\s*[A-Z]{2,}\s*$", "", gloss))
    return bool(words) and len(words & content_tokens(entry.title)) / len(words) >= 0.75


def link_mentions(document: Document, embedder: Embedder) -> None:
    """Find mentions, link each to the KEY SOURCES entries it names; sets ``document.mentions``."""
    items = find_instruments(document)
    entries = document.key_sources
    anchors = [c for c in items if c.ref is None]
    names = sorted({c.name for c in anchors})
    if entries and names:
        entry_texts = [_entry_texts(e) for e in entries]
        flat = [t for texts in entry_texts for t in texts]
        vectors = embedder.embed_passages(names + flat)
        sims = vectors[: len(names)] @ vectors[len(names):].T
        cols, k = [], 0
        for texts in entry_texts:
            cols.append(sims[:, k:k + len(texts)].max(axis=1))
            k += len(texts)
        matrix = np.stack(cols, axis=1)
        z = (matrix - matrix.mean(axis=1, keepdims=True)) / (matrix.std(axis=1, keepdims=True) + 1e-9)
        row = {n: i for i, n in enumerate(names)}
        place = document.meta.jurisdiction or ""
        local = re.compile(re.escape(place), re.I) if place and "federal" not in place.lower() else LOCAL_RE
        ranked = {id(a): _rank(a, entries, z[row[a.name]], document.text, local) for a in anchors}
        _assign(anchors, ranked, entries)
    by_title: dict[str, list[str]] = {}
    for e in entries:
        by_title.setdefault(name_words(e.title), []).append(e.id)
    id_title = {e.id: name_words(e.title) for e in entries}
    for item in items:
        source = item.ref or item
        linked = {i for ks in source.links for i in by_title[id_title[ks]]}
        item.links = [e.id for e in entries if e.id in linked]
        item.score = source.score
    document.mentions = [Mention(start=c.start, end=c.end, text=document.text[c.start:c.end],
                                 key_source_ids=c.links, score=round(float(c.score), 3)) for c in items]


def _sentence_before(text: str, item: _Instrument) -> str:
    """The sentence up to the mention (where its publisher is often named)."""
    head = text[max(0, item.start - 400):item.start]
    cut = max(head.rfind(". "), head.rfind("\n"))
    return name_words(head[cut + 1:])


def _author_named(author: str, sentence: str) -> bool:
    acronyms = re.findall(r"\(([A-Z]{2,})\)", author)
    main = name_words(re.sub(r"\([^)]*\)", "", author))
    words = f" {sentence} "
    return (len(main.split()) >= 2 and f" {main} " in words) or any(f" {a.lower()} " in words for a in acronyms)


def _rank(item: _Instrument, entries: list[KeySource], z: np.ndarray, text: str,
          local: re.Pattern[str]) -> list[tuple[float, int]]:
    """Acceptable entries for one full mention, best first, as (score, entry index)."""
    alias = ALIASES.get(name_words(item.name))
    if alias:
        return [(9.0, j) for j, e in enumerate(entries) if name_words(e.title) == alias]
    if item.gloss and not item.year:  # the gloss is the Spanish name: listed titles contain it
        return [(9.0, j) for j, e in enumerate(entries) if _gloss_match(item.gloss, e)]
    locality = _locality(item.name, local)
    sentence = _sentence_before(text, item)
    yearless = not item.year and not item.gloss
    scored = []
    for j, entry in enumerate(entries):
        if item.year and not _year_ok(item, entry):
            continue
        cognates = _cognate_share(item.name, entry.title)
        if yearless and cognates < 0.5:
            continue  # without a year or a gloss, demand surface evidence too
        score = float(z[j]) + cognates
        other = _entry_locality(entry, local)
        if locality and other:
            score += 0.5 if locality == other else -0.5
        if _author_named(entry.author, sentence):
            score += 0.5
        if item.year_range and item.year_range in entry.title.replace("-", "–"):
            score += 1.5
        if item.gloss and _gloss_match(item.gloss, entry):
            score += 1.5
        if score >= (ACCEPT_YEARLESS if yearless else ACCEPT):
            scored.append((score, j))
    return sorted(scored, reverse=True)


def _assign(anchors: list[_Instrument], ranked: dict[int, list[tuple[float, int]]],
            entries: list[KeySource]) -> None:
    """Best-first assignment: an entry taken by one instrument is not given to an unrelated one."""
    owners: dict[str, list[_Instrument]] = {}
    order = sorted(anchors, key=lambda a: -(ranked[id(a)][0][0] if ranked[id(a)] else -1e9))
    for item in order:
        for score, j in ranked[id(item)]:
            key = name_words(entries[j].title)
            if any(not (o.tokens <= item.tokens or item.tokens <= o.tokens) for o in owners.get(key, [])):
                continue
            owners.setdefault(key, []).append(item)
            item.links, item.score = [entries[j].id], score
            break


def key_sources_for_span(document: Document, start: int, end: int) -> list[KeySource]:
    """KEY SOURCES entries linked by mentions that overlap ``[start, end)``."""
    ids = {i for m in document.mentions if m.start < end and m.end > start for i in m.key_source_ids}
    return [e for e in document.key_sources if e.id in ids]


def link_key_sources_to_corpus(key_sources: list[KeySource], metas: list[DocumentMeta]) -> None:
    """Set ``document_id`` on entries that are a corpus document (strict title match)."""
    titles = [(m.id, name_words(m.title).split()) for m in metas if m.kind != "profile"]
    for entry in key_sources:
        words = name_words(entry.title).split()
        entry.document_id = None
        for doc_id, other in titles:
            if words == other or (
                len(set(words) ^ set(other)) <= 1 and len(set(words) & set(other)) >= 4
                and words[:2] == other[:2]
            ):
                entry.document_id = doc_id
                break
