"""Metrics over run records (plain dicts, as written to the runs JSONL) and a test set.

Nothing here needs the index: tests feed hand-made records.

Relevance rule (evidence ↔ passage): a passage is relevant to an evidence string when it
is from the evidence's document (if labelled) and either contains the normalised evidence
wholly, or contains the first or the last ``RUN_SHARE`` (60 %) of the evidence's word tokens
as one contiguous run (a chunk boundary may cut an evidence sentence in two; the run must
start or end with the evidence, so a shared name in the middle does not count).

Retrieval metrics are computed by pytrec_eval:
- *evidence recall@k*: each evidence string is its own sub-query whose single relevant
  "document" is the first passage relevant to it; pytrec_eval's ``recall_k`` then says
  whether it was found in the top k. A question's recall@k is the mean over its evidence
  strings; the reported value is the mean over questions.
- *MRR*: question-level run of the ranked passages with qrels = passages relevant to any
  evidence string; pytrec_eval's ``recip_rank``. *hit@k* is pytrec_eval's ``success_k``.
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher
from pathlib import PurePath

import numpy as np
import pytrec_eval

from assistant.evaluation.testset import Evidence, Question, normalise, tokens

KS = (1, 3, 5, 10)
RUN_SHARE = 0.6  # passages: share of the evidence's tokens held as a prefix or suffix run
QUOTE_SHARE = 0.75  # quotes: share of the shorter text's tokens held as one contiguous run


# -- text matching ---------------------------------------------------------------------------
def longest_run(a: list[str], b: list[str]) -> int:
    """Length of the longest contiguous token run shared by ``a`` and ``b``."""
    if not a or not b:
        return 0
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def passage_matches(passage: str, evidence: str, share: float = RUN_SHARE) -> bool:
    """The relevance rule: the passage contains the evidence, or the first or last ``share``
    of the evidence's tokens as one contiguous run."""
    if normalise(evidence) in normalise(passage):
        return True
    ev = tokens(evidence)
    if not ev:
        return False
    need = max(1, math.ceil(share * len(ev)))
    text = " " + " ".join(tokens(passage)) + " "
    return f" {' '.join(ev[:need])} " in text or f" {' '.join(ev[-need:])} " in text


def quote_supports(quote: str, evidence: str, share: float = QUOTE_SHARE) -> bool:
    """A citation quote supports an evidence string when either contains the other, or they
    share a contiguous token run ≥ ``share`` of the shorter one (at least 3 tokens)."""
    q, e = normalise(quote), normalise(evidence)
    if not q or not e:
        return False
    if e in q or q in e:
        return True
    qt, et = tokens(quote), tokens(evidence)
    shorter = min(len(qt), len(et))
    return shorter >= 3 and longest_run(qt, et) >= math.ceil(share * shorter)


def same_document(label: str | None, actual: str | None) -> bool:
    """Document labels are file names; an unlabelled evidence matches any document."""
    if not label:
        return True
    return PurePath(str(actual or "")).name.casefold() == PurePath(label).name.casefold()


def article_key(label: str | None) -> str:
    """"Artículo 1o." / "ARTÍCULO 1" / "Art. 1º" → "1"; "Artículo 11 Bis" → "11 bis"."""
    text = normalise(label or "")
    text = re.sub(r"^(art[íi]culo|article|art\.?)\s*", "", text)
    text = re.sub(r"(\d+)\s*(?:o|º|°|ª)(?=\W|$)", r"\1", text)
    text = re.sub(r"[.\-–,;:]", " ", text)
    return " ".join(text.split())


_DIVISION = re.compile(r",\s*(?:apartado|fracci[óo]n|numeral|inciso|p[áa]rrafo)\b.*$", re.IGNORECASE | re.DOTALL)


def article_only(label: str | None) -> str:
    """The article part of a full legal locator: "Artículo 77 Bis 1, fracción II" →
    "Artículo 77 Bis 1" (citations may name the division; the eval labels the article)."""
    return _DIVISION.sub("", label or "").strip()


def section_matches(expected: str, actual: str | None) -> bool:
    """The expected heading title appears in the cited section path (normalised); a leading
    number ("1.1.") may be missing from the cited title."""
    if not actual:
        return False
    exp, act = normalise(expected), normalise(actual)
    if exp in act:
        return True
    bare = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", exp)
    # Only when the cited path carries no numbering at all (a reader that drops it).
    return bare != exp and bare in act and not re.search(r"\b\d+\.\d+\.", act)


def is_verbatim(quote: str, text: str) -> bool:
    """A quote is verbatim when it is an exact substring of its document's stored text."""
    return bool(quote) and quote in text


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else None


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(sum(kept) / len(kept)) if kept else None


# -- retrieval (pytrec_eval) -------------------------------------------------------------------
def _relevant_ranks(item: Evidence, retrieved: list[dict]) -> list[int]:
    return [rank for rank, p in enumerate(retrieved, 1)
            if same_document(item.document, p.get("document")) and passage_matches(p.get("text", ""), item.text)]


def retrieval_scores(questions: list[Question], records: dict[str, dict], ks=KS) -> dict[str, dict]:
    """Per answerable question: recall@k, hit@k and MRR, computed by pytrec_eval."""
    sub_qrels, sub_run, qrels, run, parts = {}, {}, {}, {}, {}
    for question in questions:
        record = records.get(question.id)
        if not question.answerable or record is None:
            continue
        retrieved = record.get("retrieved") or []
        depth = len(retrieved) + 1
        relevant_any: set[int] = set()
        parts[question.id] = []
        for i, item in enumerate(question.items()):
            ranks = _relevant_ranks(item, retrieved)
            relevant_any.update(ranks)
            first = ranks[0] if ranks else None
            sid = f"{question.id}#{i}"
            parts[question.id].append(sid)
            sub_qrels[sid] = {"hit": 1}
            entries = {("hit" if r == first else f"p{r}"): float(depth - r) for r in range(1, len(retrieved) + 1)}
            sub_run[sid] = entries or {"none": 0.0}
        qrels[question.id] = {f"p{r}": 1 for r in sorted(relevant_any)} or {"missing": 1}
        run[question.id] = {f"p{r}": float(depth - r) for r in range(1, len(retrieved) + 1)} or {"none": 0.0}
    if not run:
        return {}
    recall_measures = {"recall." + ",".join(str(k) for k in ks)}
    sub = pytrec_eval.RelevanceEvaluator(sub_qrels, recall_measures).evaluate(sub_run)
    whole = pytrec_eval.RelevanceEvaluator(
        qrels, {"recip_rank", "success." + ",".join(str(k) for k in ks)}).evaluate(run)
    out = {}
    for qid, sids in parts.items():
        scores = {f"recall@{k}": _mean([sub[s][f"recall_{k}"] for s in sids]) for k in ks}
        scores.update({f"hit@{k}": whole[qid][f"success_{k}"] for k in ks})
        scores["mrr"] = whole[qid]["recip_rank"]
        out[qid] = scores
    return out


# -- per-question scoring -----------------------------------------------------------------------
def _label_accuracy(question: Question, citations: list[dict], label: str) -> float | None:
    """Share of labelled evidence strings that a supporting citation cites with the right label."""
    results = []
    for item in question.items():
        expected = getattr(item, label)
        if expected is None or expected == "":
            continue
        ok = False
        for c in citations:
            if not (same_document(item.document, c.get("document")) and quote_supports(c.get("quote", ""), item.text)):
                continue
            if label == "section":
                ok = section_matches(expected, c.get("section"))
            elif label == "article":
                ok = bool(c.get("article")) and article_key(article_only(c["article"])) == article_key(expected)
            else:
                ok = c.get("page") is not None and int(c["page"]) == int(expected)
            if ok:
                break
        results.append(1.0 if ok else 0.0)
    return _mean(results)


def law_article_recall(question: Question, citations: list[dict]) -> float | None:
    """Share of the evidence's distinct (law, article) pairs that some citation names — the
    same document and article number key, whatever the quote (None without article labels)."""
    def pair(document: str | None, article: str | None) -> tuple[str, str]:
        return PurePath(str(document or "")).name.casefold(), article_key(article_only(article))

    wanted = {pair(i.document, i.article) for i in question.items() if i.article}
    if not wanted:
        return None
    cited = {pair(c.get("document"), c.get("article")) for c in citations if c.get("article")}
    return len(wanted & cited) / len(wanted)


def instrument_recall(question: Question, citations: list[dict]) -> float | None:
    """Share of the evidence's documents that some citation quotes, for questions whose
    evidence stands in two or more documents ("which laws …?"; None otherwise): whether the
    answer names the right laws, whichever of their articles it quotes."""
    wanted = {PurePath(str(i.document or "")).name.casefold() for i in question.items()}
    if len(wanted) < 2:
        return None
    quoted = {PurePath(str(c.get("document") or "")).name.casefold() for c in citations}
    return len(wanted & quoted) / len(wanted)


def score_question(question: Question, record: dict, retrieval: dict | None = None, ks=KS) -> dict:
    """All per-question values (None where a metric does not apply)."""
    citations = record.get("citations") or []
    refused = bool(record.get("refused"))
    row: dict = {"id": question.id, "type": question.type, "answerable": question.answerable,
                 "refused": refused, "error": record.get("error"),
                 "latency_ms": record.get("latency_ms"),
                 "citations": len(citations),
                 "verbatim": sum(1 for c in citations if c.get("verbatim"))}
    for k in ks:
        row[f"recall@{k}"] = row[f"hit@{k}"] = None
    row["mrr"] = None
    row.update(answer_scores(question, record))
    row["refused"] = refused or row["partly"]  # refusal = not_in_documents or partly
    if question.answerable:
        row.update(retrieval or {})
        items = question.items()
        row["support"] = float(any(
            same_document(i.document, c.get("document")) and quote_supports(c.get("quote", ""), i.text)
            for i in items for c in citations))
        row["section_acc"] = _label_accuracy(question, citations, "section")
        row["article_acc"] = _label_accuracy(question, citations, "article")
        row["page_acc"] = _label_accuracy(question, citations, "page")
        row["law_article_recall"] = law_article_recall(question, citations)
        row["instrument_recall"] = instrument_recall(question, citations)
        if question.sources:
            cited = {normalise(label) for c in citations for label in c.get("key_sources") or []}
            row["key_source_recall"] = sum(normalise(s) in cited for s in question.sources) / len(question.sources)
        else:
            row["key_source_recall"] = None
        if question.keywords:
            answer = normalise(record.get("answer") or "")
            row["keyword_recall"] = sum(normalise(k) in answer for k in question.keywords) / len(question.keywords)
        else:
            row["keyword_recall"] = None
    else:
        for key in ("support", "section_acc", "article_acc", "page_acc", "key_source_recall", "keyword_recall",
                    "law_article_recall", "instrument_recall"):
            row[key] = None
    return row


def score_all(questions: list[Question], records: list[dict], ks=KS) -> list[dict]:
    """Per-question rows for the questions that have a run record."""
    by_id = {r["id"]: r for r in records}
    retrieval = retrieval_scores(questions, by_id, ks)
    return [score_question(q, by_id[q.id], retrieval.get(q.id), ks) for q in questions if q.id in by_id]


# -- outcomes and answer spans (issue 12) ------------------------------------------------------
TYPED_ANSWERS = frozenset({"quantity", "date", "money", "person_org", "place", "law_article"})


# A leading definite article is not part of the answer: "the Tourism Police" is in "Tourism Police of …".
_LEADING_ARTICLE = re.compile(r"^(?:the|el|la|los|las)\s+")  # not "a", "un", "una": numbers


def span_correct(reference: str, found: str | None) -> bool:
    """The answer's span holds the reference span (normalised, a leading article dropped,
    either way round: "90 per cent" for "More than 90 per cent" counts, as long as it keeps
    at least half of the reference)."""
    ref, got = (_LEADING_ARTICLE.sub("", normalise(text)) for text in (reference, found or ""))
    if not ref or not got:
        return False
    return ref in got or (got in ref and len(got) >= 0.5 * len(ref))


def answer_scores(question: Question, record: dict) -> dict:
    """Outcome ("answered" / "partly" / "not_in_documents"), the asked answer type, and whether
    the answer span is right on typed answerable questions with a reference span (else None)."""
    outcome = record.get("outcome") or ("not_in_documents" if record.get("refused") else "answered")
    typed = question.answerable and question.answer_type in TYPED_ANSWERS and bool(question.answer_span)
    return {"outcome": outcome, "partly": outcome == "partly", "answer_type": question.answer_type or "",
            "span_correct": float(span_correct(question.answer_span or "", record.get("answer_span")))
            if typed else None}


def outcome_scores(rows: list[dict]) -> dict:
    """The "partly" outcome as its own row, answerable questions answered "partly", span accuracy."""
    partly = [r for r in rows if r.get("partly")]
    answerable = [r for r in rows if r["answerable"]]
    spans = [r["span_correct"] for r in rows if r.get("span_correct") is not None]
    return {"partly": len(partly),
            "partly_unanswerable": sum(1 for r in partly if not r["answerable"]),
            "partly_answerable_rate": sum(1 for r in partly if r["answerable"]) / len(answerable) if answerable else None,
            "span_correct": _mean(spans), "span_correct_n": len(spans)}


# -- aggregation -----------------------------------------------------------------------------
def refusal_scores(rows: list[dict]) -> dict:
    """Refusal is the positive class: precision = refused ∧ unanswerable / refused,
    recall = refused ∧ unanswerable / unanswerable."""
    tp = sum(1 for r in rows if r["refused"] and not r["answerable"])
    fp = sum(1 for r in rows if r["refused"] and r["answerable"])
    fn = sum(1 for r in rows if not r["refused"] and not r["answerable"])
    answerable = sum(1 for r in rows if r["answerable"])
    return {
        "refusal_precision": tp / (tp + fp) if tp + fp else None,
        "refusal_recall": tp / (tp + fn) if tp + fn else None,
        "false_refusal_rate": fp / answerable if answerable else None,
        "refused": tp + fp,
    }


def aggregate(rows: list[dict], ks=KS) -> dict:
    """Means over the questions each metric applies to, refusal and verbatim rates, latency."""
    out: dict = {"questions": len(rows), "answerable": sum(1 for r in rows if r["answerable"])}
    for key in [*(f"recall@{k}" for k in ks), "mrr", *(f"hit@{k}" for k in ks)]:
        out[key] = _mean([r.get(key) for r in rows if r["answerable"]])
    names = {"support": "citation_support", "section_acc": "section_accuracy",
             "article_acc": "article_accuracy", "page_acc": "page_accuracy",
             "key_source_recall": "key_source_recall", "keyword_recall": "keyword_recall",
             "law_article_recall": "law_article_recall", "instrument_recall": "instrument_recall"}
    for key, name in names.items():
        values = [r.get(key) for r in rows if r.get(key) is not None]
        out[name] = _mean(values)
        out[f"{name}_n"] = len(values)
    out.update(refusal_scores(rows))
    out.update(outcome_scores(rows))
    total = sum(r["citations"] for r in rows)
    out["citations"] = total
    out["verbatim_rate"] = sum(r["verbatim"] for r in rows) / total if total else None
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["errors"] = sum(1 for r in rows if r.get("error"))
    return out


def summarise(questions: list[Question], records: list[dict], ks=KS) -> dict:
    """{"overall": {...}, "per_type": {type: {...}}, "questions": [per-question rows]}."""
    rows = score_all(questions, records, ks)
    types = sorted({r["type"] for r in rows})
    return {
        "overall": aggregate(rows, ks),
        "per_type": {t: aggregate([r for r in rows if r["type"] == t], ks) for t in types},
        "questions": rows,
        "per_answer_type": {t: aggregate([r for r in rows if r.get("answer_type") == t], ks)
                            for t in sorted({r.get("answer_type") or "" for r in rows}) if t},
    }
