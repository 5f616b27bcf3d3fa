"""The rerank stage's fallback: the fused order cut to k (fast tier)."""

from __future__ import annotations

from assistant.search.query import Hit, Query
from assistant.search.rerank import FusionOrder


def test_fusion_order_keeps_the_order_and_cuts_to_k():
    hits = [Hit(position=i, score=1.0 / (i + 1)) for i in range(5)]
    ranked = FusionOrder().rerank(Query("q", ["q"], "q"), hits, 3)
    assert [h.position for h in ranked] == [0, 1, 2]
