"""The rerank stage's fallback (the fused order cut to k) and the per-document cap (fast tier)."""

from __future__ import annotations

from assistant.search.query import Hit, Query
from assistant.search.rerank import DocumentCap, FusionOrder, cap_documents
from tests.tiny import tiny_assistant

QUERY = Query("q", ["q"], "q")


def test_fusion_order_keeps_the_order_and_cuts_to_k():
    hits = [Hit(position=i, score=1.0 / (i + 1)) for i in range(5)]
    ranked = FusionOrder().rerank(QUERY, hits, 3)
    assert [h.position for h in ranked] == [0, 1, 2]


def _documents(positions: list[int], owner: dict[int, str]) -> list[str]:
    return [owner[p] for p in positions]


def test_no_document_holds_more_than_the_cap_of_the_first_places():
    owner = {0: "profile", 1: "profile", 2: "profile", 3: "profile", 4: "law", 5: "profile", 6: "other"}
    hits = [Hit(position=p, score=1.0) for p in range(7)]
    capped = cap_documents(hits, lambda h: owner[h.position], cap=3, window=5)
    assert [h.position for h in capped] == [0, 1, 2, 4, 6, 3, 5]  # the fourth profile passage waits
    assert _documents([h.position for h in capped[:5]], owner).count("profile") == 3
    assert sorted(h.position for h in capped) == list(range(7))  # nothing is lost


def test_a_list_from_one_document_keeps_its_order_and_a_zero_cap_is_off():
    hits = [Hit(position=p, score=1.0) for p in range(6)]
    assert [h.position for h in cap_documents(hits, lambda h: "law", 2, 5)] == list(range(6))
    shuffled = [hits[3], hits[0], hits[5]]
    assert cap_documents(shuffled, lambda h: str(h.position % 2), 0, 5) == shuffled


def test_the_cap_wraps_any_rerank_stage_and_cuts_to_k():
    owner = {0: "a", 1: "a", 2: "a", 3: "b", 4: "a"}
    hits = [Hit(position=p, score=1.0) for p in range(5)]
    stage = DocumentCap(FusionOrder(), lambda h: owner[h.position], cap=2, window=3)
    assert [h.position for h in stage.rerank(QUERY, hits, 3)] == [0, 1, 3]


def test_the_assistant_s_rerank_stage_is_capped_by_settings():
    question = "community kitchens meals shelters"
    uncapped = tiny_assistant(document_cap=0).search(question, k=4)
    assert [p.document.id for p in uncapped[:2]] == ["profile", "profile"]
    capped = tiny_assistant(document_cap=1, document_cap_window=2).search(question, k=4)
    assert [p.document.id for p in capped[:2]] == ["profile", "law"]
    assert sorted(p.chunk_id for p in capped) == sorted(p.chunk_id for p in uncapped)


def test_dense_order_sorts_by_cosine_and_keeps_the_fused_order_without_one():
    from assistant.search.rerank import DenseOrder

    hits = [Hit(position=0, score=3.0, dense=0.71), Hit(position=1, score=2.0, dense=0.83), Hit(position=2, score=1.0, dense=0.79)]
    assert [h.position for h in DenseOrder().rerank(QUERY, hits, 2)] == [1, 2]
    sparse_only = [Hit(position=p, score=1.0 / (p + 1)) for p in range(4)]
    assert [h.position for h in DenseOrder().rerank(QUERY, sparse_only, 4)] == [0, 1, 2, 3]
