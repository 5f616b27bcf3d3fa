"""Evaluation harness: test sets, metrics (pytrec_eval), runs, reports, `mgi eval`."""

from assistant.evaluation.metrics import aggregate, passage_matches, quote_supports, score_all, summarise
from assistant.evaluation.testset import Question, TestSetError, load_testset, normalise

__all__ = [
    "Question", "TestSetError", "aggregate", "load_testset", "normalise", "passage_matches",
    "quote_supports", "score_all", "summarise",
]
