"""Filters → a boolean mask over chunk positions, checked against what the index holds."""

from __future__ import annotations

import numpy as np

from assistant.errors import FilterError
from assistant.records import Chunk, Document, Filters

__all__ = ["ChunkFilter", "FilterError"]


class ChunkFilter:
    """Turns Filters into chunk masks for one loaded index."""

    def __init__(self, documents: dict[str, Document], chunks: list[Chunk]) -> None:
        self.documents = documents
        self._doc_of = np.array([c.document_id for c in chunks])

    def known(self) -> dict[str, set[str]]:
        """Filter name → the values the index holds."""
        return {
            "document": set(self.documents),
            "kind": {d.meta.kind for d in self.documents.values()},
            "language": {d.meta.language for d in self.documents.values()},
        }

    def check(self, filters: Filters) -> None:
        """Raise FilterError naming any value the index does not hold."""
        for name, known in self.known().items():
            unknown = sorted(set(getattr(filters, name) or []) - known)
            if unknown:
                raise FilterError(
                    f"unknown {name} filter value(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
                )

    def document_ids(self, filters: Filters | None) -> set[str]:
        """The documents in scope."""
        if filters is None or filters.is_empty():
            return set(self.documents)
        self.check(filters)
        return {
            d.id for d in self.documents.values()
            if (not filters.document or d.id in filters.document)
            and (not filters.kind or d.meta.kind in filters.kind)
            and (not filters.language or d.meta.language in filters.language)
        }

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of chunks passing the filters; None when nothing is filtered."""
        if filters is None or filters.is_empty():
            return None
        return np.isin(self._doc_of, sorted(self.document_ids(filters)))
