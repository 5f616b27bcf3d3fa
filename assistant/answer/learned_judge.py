"""The learned judge stage: the evidence and typed judges' signals → P(the documents do not answer).

No single threshold separates answerable from unanswerable questions (docs/answerability.md):
a near-miss question ("how many meals do the community kitchens serve?") finds passages about
its subject as readily as an answerable one. ``LearnedJudge`` reads the signals both hand-made
judges compute — idf coverage and dense z-score over the top passages (each over its own
calibrated threshold, so the scale is the same for every backend), a capitalised name the
corpus never mentions, how much of the question's subject the best top sentence covers, and
for typed questions how well the best sentence *holding an answer of the asked type* covers
it, whether that sentence names what a "how many …" question counts, how much of the subject
that sentence names *by itself*, whether it names the subject's rarest term and whether the
answer span itself counts the asked thing — and combines them
with a small model trained on the training splits (``mgi train-judge``,
assistant.answer.judge_training; shipped as judge-v5.json beside this module, a logistic
model over the ten signals, scored with numpy; a model reads the signals it names). It refuses
when the model's probability reaches the threshold chosen by cross-validation (stored in the
model; Settings.judge_refuse_probability overrides), and, for a model trained so (its meta
``refuse_unknown_names``), whenever the question names what the corpus never mentions.

A refused typed question whose subject the passages do discuss is answered "partly"; an
answered typed question carries the answer span the typed reading found. A bm25-only search
(no dense z) or a missing model file keeps the evidence judge's thresholds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from assistant.answer.instruments import InstrumentNames
from assistant.answer.judge import EvidenceJudge, Finding, TypedJudge, best_answer, detail_of, partly, with_span
from assistant.answer.types import QuestionType, classify
from assistant.records import LEGAL_KINDS, Verdict
from assistant.search.learned import RankerModel
from assistant.search.query import Hit, Query
from assistant.settings import Settings
from assistant.stages import SearchRequest

log = logging.getLogger(__name__)

SIGNALS: tuple[str, ...] = (
    "coverage_ratio",  # best idf coverage of the question over refusal_min_coverage
    "z_ratio",  # best dense z-score over the backend's min_z
    "unknown_name",  # the question names something the corpus never mentions
    "subject_coverage",  # best top sentence's (± neighbours) coverage of the question's subject
    "answer_coverage",  # the same, among sentences holding an answer of the asked type (1 untyped)
    "typed_question",  # the question asks for a figure, date, amount, name, place or article
    "counted_named",  # the answer sentence ± neighbours name what "how many …" counts (1 when not asked)
    "answer_own",  # the answer sentence's own coverage of the subject, without neighbours (1 untyped)
    "rarest_named",  # the answer sentence itself names the subject's rarest term (1 untyped)
    "counted_in_span",  # the answer span counts what "how many …" counts, or is a bare number (1 untyped)
)


@dataclass(frozen=True)
class Reading:
    """What the signals were read from: the SIGNALS row, the typed reading's sentences, the
    question's type and the names the corpus never mentions."""

    row: np.ndarray  # 1 × SIGNALS
    findings: list[Finding]
    kind: QuestionType
    missing: list[str]


class JudgeSignals:
    """Reads SIGNALS for a question and its passages (serving and ``mgi train-judge`` alike)."""

    def __init__(self, typed: TypedJudge) -> None:
        self.typed = typed
        self.evidence: EvidenceJudge = typed.evidence

    def read(self, query: Query, hits: list[Hit], request: SearchRequest, candidates: list[Hit]) -> Reading:
        kind = classify(query.text)
        reading = kind.reading  # a list question asking each instrument for a figure reads figures
        coverage, z = self.evidence.signals(query, hits, self.typed.settings.min_z(request.backend), candidates)
        findings = self.typed.read(query, hits, reading)
        missing = self.evidence.unknown(query.text, query.expanded.keys())
        subject = max((f.coverage for f in findings), default=0.0)
        answering = [f for f in findings if f.spans]
        answer = max((f.coverage for f in answering), default=0.0) if reading.typed else 1.0
        row = np.array([[coverage, z, float(bool(missing)), subject, answer, float(reading.typed),
                         *answer_sentence_signals(answering, reading, self.typed.settings)]])
        return Reading(row, findings, kind, missing)


def answer_sentence_signals(answering: list[Finding], reading: QuestionType, settings: Settings) -> list[float]:
    """counted_named, answer_own, rarest_named and counted_in_span of the answer sentence
    (``best_answer``): all 1 for an untyped question, 0 for a typed one with no answer span."""
    if not reading.typed or not answering:
        return [float(not reading.typed)] * 4
    best = best_answer(answering, settings)
    return [float(best.counted), best.own, float(best.rarest), float(best.span_counts)]


class LearnedJudge:
    """Refuse when the shipped model says the passages do not answer (module docstring)."""

    def __init__(self, signals: JudgeSignals, model: RankerModel, threshold: float,
                 refuse_unknown: bool = False) -> None:
        self.signals = signals
        self.model = model
        self.threshold = threshold
        self.refuse_unknown = refuse_unknown  # a name the corpus never mentions refuses outright
        self.names = InstrumentNames(signals.typed.documents)  # "which article of <law>"

    @classmethod
    def load(cls, typed: TypedJudge, settings: Settings) -> LearnedJudge | EvidenceJudge:
        """The judge for ``settings.judge_model``; the evidence judge when it cannot be read."""
        try:
            model = RankerModel.read(settings.judge_model, SIGNALS)
        except (OSError, ValueError, KeyError) as error:
            log.warning("learned judge unavailable (%s); keeping the evidence judge", error)
            return typed.evidence
        threshold, hard = settings.judge_refuse_probability, settings.judge_refuse_unknown_names
        return cls(JudgeSignals(typed), model,
                   float(model.meta.get("threshold", 0.5)) if threshold is None else threshold,
                   bool(model.meta.get("refuse_unknown_names", False)) if hard is None else hard)

    def probability(self, row: np.ndarray) -> float:
        """P(the documents do not answer) for one SIGNALS row."""
        return 1.0 / (1.0 + math.exp(-float(self.model.score(row)[0])))

    def answering(self, findings: list[Finding], answer_type: str, query: Query) -> list[Finding]:
        """Sentences holding an answer of the asked type. For "which article": those of the law
        the question names; for a law the corpus does not hold, the report's mentions of it;
        else the laws' own (an article's heading, not a report's mention) when there are any."""
        found = [f for f in findings if f.spans]
        if answer_type != "law_article":
            return found
        documents = self.signals.typed.documents
        named = set(self.names.named_in(query.naming_text))
        legal = [f for f in found if documents[f.document_id].meta.kind in LEGAL_KINDS]
        if named:
            return [f for f in found if f.document_id in named] or legal or found
        if self.names.names_absent(query.naming_text):
            return [f for f in found if f not in legal] or found
        return legal or found

    def judge(self, query: Query, hits: list[Hit], request: SearchRequest,
              candidates: list[Hit] = ()) -> Verdict:
        if not hits or request.mode == "bm25":
            return self.signals.evidence.judge(query, hits, request, candidates)
        reading = self.signals.read(query, hits, request, candidates)
        kind, findings = reading.kind, reading.findings
        base = Verdict(outcome="answered", answer_type=kind.answer_type, comparative=kind.comparative,
                       strength=max(reading.row[0, 0], reading.row[0, 1]), reason="the top passages cover the question")
        detail = detail_of(kind.reading)
        if not (reading.missing and self.refuse_unknown) and self.probability(reading.row) < self.threshold:
            answering = self.answering(findings, kind.answer_type, query)
            return with_span(base, answering, detail, query.text, self.signals.typed.settings) if kind.typed and answering else base
        if reading.missing:
            return base.model_copy(update={"outcome": "not_in_documents",
                                           "reason": f"the documents never mention {', '.join(reading.missing)}"})
        closest = max(findings, key=lambda f: f.coverage, default=None)
        if (kind.reading.typed or kind.comparative) and closest is not None \
                and closest.coverage >= self.signals.typed.settings.typed_subject_coverage:
            return partly(base, closest, detail, query.text)
        return base.model_copy(update={"outcome": "not_in_documents",
                                       "reason": "no passage is close enough to the question"})


__all__ = ["JudgeSignals", "LearnedJudge", "Reading", "SIGNALS"]
