"""Filters → a boolean mask over chunk positions, checked against what the index holds."""

from __future__ import annotations

import numpy as np

from assistant.errors import FilterError
from assistant.ingest.readers.migof import ASSESSMENTS, DIMENSIONS
from assistant.records import Chunk, Document, Filters

__all__ = ["ChunkFilter", "FilterError"]


class ChunkFilter:
    """Turns Filters into chunk masks for one loaded index."""

    def __init__(self, documents: dict[str, Document], chunks: list[Chunk]) -> None:
        self.documents = documents
        self._doc_of = np.array([c.document_id for c in chunks])
        self._dimension_of = np.array([c.dimension or "" for c in chunks])  # MiGOF tags ("" = none)
        self._assessment_of = np.array([c.assessment or "" for c in chunks])
        self._masks: dict[str, np.ndarray] = {}  # filters (as JSON) → read-only mask

    def known(self) -> dict[str, set[str]]:
        """Filter name → the values the index holds."""
        return {
            "document": set(self.documents),
            "kind": {d.meta.kind for d in self.documents.values()},
            "language": {d.meta.language for d in self.documents.values()},
            "dimension": set(DIMENSIONS),
            "assessment": set(ASSESSMENTS),
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
        tagged = self.tagged_documents(filters)
        return {
            d.id for d in self.documents.values()
            if (tagged is None or d.id in tagged)
            and (not filters.document or d.id in filters.document)
            and (not filters.kind or d.meta.kind in filters.kind)
            and (not filters.language or d.meta.language in filters.language)
        }

    def tagged_documents(self, filters: Filters) -> set[str] | None:
        """Documents with a passage under the filtered MiGOF dimension/assessment (None: no such filter)."""
        if not (filters.dimension or filters.assessment):
            return None
        keep = np.ones(len(self._doc_of), dtype=bool)
        if filters.dimension:
            keep &= np.isin(self._dimension_of, filters.dimension)
        if filters.assessment:
            keep &= np.isin(self._assessment_of, filters.assessment)
        return set(self._doc_of[keep].tolist())

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of chunks passing the filters; None when nothing is filtered (cached:
        the same filters recur on every question, e.g. the per-language candidates)."""
        if filters is None or filters.is_empty():
            return None
        key = filters.model_dump_json()
        if key not in self._masks:
            if len(self._masks) >= 256:
                self._masks.clear()
            mask = self._mask(filters)
            mask.flags.writeable = False
            self._masks[key] = mask
        return self._masks[key]

    def _mask(self, filters: Filters) -> np.ndarray:
        mask = np.isin(self._doc_of, sorted(self.document_ids(filters)))
        if filters.dimension:  # profile passages under these MiGOF dimensions only
            mask &= np.isin(self._dimension_of, filters.dimension)
        if filters.assessment:
            mask &= np.isin(self._assessment_of, filters.assessment)
        return mask
