"""The rerank stage. ``FusionOrder`` keeps the fused order (the fallback and baseline)."""

from __future__ import annotations

from assistant.search.query import Hit, Query


class FusionOrder:
    """Second stage that trusts the first: the fused order, cut to ``k``."""

    def warm_up(self) -> None:
        """Nothing to precompute."""

    def rerank(self, query: Query, candidates: list[Hit], k: int) -> list[Hit]:
        return candidates[:k]
