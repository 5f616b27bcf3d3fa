"""Stage interfaces: the request record and the pipeline's shape (fast tier)."""

from __future__ import annotations

from assistant.records import Filters
from assistant.stages import STAGES, Composer, Judge, Reranker, Retriever, SearchRequest, Verifier
from tests.tiny import tiny_assistant


def test_within_keeps_the_search_and_restricts_it_to_one_document():
    request = SearchRequest(k=8, filters=Filters(kind=["law"]), mode="dense", backend="fake", candidates=70)
    inner = request.within("law", 3)
    assert (inner.k, inner.filters.document, inner.mode, inner.backend, inner.candidates) == (3, ["law"], "dense", "fake", 70)
    assert inner.filters.kind is None


def test_the_default_pipeline_has_one_implementation_per_named_stage():
    pipeline = tiny_assistant().pipeline
    assert STAGES == ("retrieve", "rerank", "judge", "compose", "verify")
    parts = (pipeline.retriever, pipeline.reranker, pipeline.judge, pipeline.composer, pipeline.verifier)
    protocols = (Retriever, Reranker, Judge, Composer, Verifier)
    for part, protocol in zip(parts, protocols):
        method = [name for name in vars(protocol) if not name.startswith("_")][0]
        assert callable(getattr(part, method)), (part, method)
