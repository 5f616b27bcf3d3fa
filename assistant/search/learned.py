"""The learned rerank stage: candidate signals (assistant.search.features) → a small model.

The model is trained offline (``mgi train-ranker``, assistant.search.training) with
scikit-learn and shipped as a versioned JSON file beside this module (Settings.ranker_model):
either a logistic regression (scaler + weights) or gradient-boosted trees (node arrays).
Serving scores it with numpy alone. When the file is missing or unreadable, or the
candidates lack one of the two first-stage signals (a bm25-only or dense-only search), the
fusion order is kept (assistant.search.rerank.FusionOrder).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.search.features import FEATURES, CandidateFeatures
from assistant.search.query import Hit, Query
from assistant.search.rerank import FusionOrder

MODEL_FORMAT = "mgi-ranker/1"
log = logging.getLogger(__name__)


class RankerModel:
    """Numpy inference for an exported model (``export_model``): higher score = better.
    ``vocabulary`` names the columns of the rows it scores (the judge has its own)."""

    def __init__(self, data: dict, vocabulary: tuple[str, ...] = FEATURES) -> None:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"ranker model format {data.get('format')!r} is not {MODEL_FORMAT!r}")
        self.data = data
        self.kind = data["kind"]
        self.features: list[str] = list(data["features"])
        self.meta: dict = data.get("meta", {})
        unknown = sorted(set(self.features) - set(vocabulary))
        if unknown:
            raise ValueError(f"model uses unknown features: {', '.join(unknown)}")
        self.columns = [vocabulary.index(name) for name in self.features]

    @classmethod
    def read(cls, path: Path, vocabulary: tuple[str, ...] = FEATURES) -> RankerModel:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), vocabulary)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) for rows laid out as the vocabulary (FEATURES for the ranker)."""
        x = np.asarray(matrix, dtype=np.float64)[:, self.columns]
        if self.kind == "logistic":
            scaled = (x - np.asarray(self.data["mean"])) / np.asarray(self.data["scale"])
            return scaled @ np.asarray(self.data["weights"]) + float(self.data["bias"])
        total = np.full(len(x), float(self.data["init"]))
        rate = float(self.data["learning_rate"])
        for tree in self.data["trees"]:
            total += rate * _tree_values(tree, x)
        return total


def _tree_values(tree: dict, x: np.ndarray) -> np.ndarray:
    """Leaf value of each row in one regression tree (node arrays, sklearn layout)."""
    feature, threshold = np.asarray(tree["feature"]), np.asarray(tree["threshold"])
    left, right, value = np.asarray(tree["left"]), np.asarray(tree["right"]), np.asarray(tree["value"])
    node = np.zeros(len(x), dtype=int)
    rows = np.arange(len(x))
    for _ in range(int(tree.get("depth", 32)) + 1):
        inner = left[node] >= 0
        if not inner.any():
            break
        goes_left = x[rows, np.where(inner, feature[node], 0)] <= threshold[node]
        node = np.where(inner, np.where(goes_left, left[node], right[node]), node)
    return value[node]


def export_model(model, kind: str, features: tuple[str, ...], meta: dict) -> dict:
    """A fitted scikit-learn model (training.make_model) as the JSON the server reads."""
    out: dict = {"format": MODEL_FORMAT, "kind": kind, "features": list(features), "meta": meta}
    if kind == "logistic":
        scaler, logistic = model[0], model[-1]
        out.update(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist(),
                   weights=logistic.coef_[0].tolist(), bias=float(logistic.intercept_[0]))
        return out
    trees = []
    for estimator in model.estimators_[:, 0]:
        tree = estimator.tree_
        trees.append({"feature": tree.feature.tolist(), "threshold": [round(t, 6) for t in tree.threshold.tolist()],
                      "left": tree.children_left.tolist(), "right": tree.children_right.tolist(),
                      "value": [round(v, 6) for v in tree.value[:, 0, 0].tolist()], "depth": int(tree.max_depth)})
    probe = np.zeros((1, len(features)))
    summed = sum(float(e.predict(probe)[0]) for e in model.estimators_[:, 0])
    init = float(model.decision_function(probe)[0]) - model.learning_rate * summed
    out.update(trees=trees, learning_rate=float(model.learning_rate), init=init)
    return out


class LearnedRanker:
    """Second stage: re-score the fused candidates with the shipped model, keep the best k."""

    def __init__(self, model: RankerModel, features: CandidateFeatures, min_candidates: int = 2) -> None:
        self.model = model
        self.features = features
        self.min_candidates = min_candidates
        self.fallback = FusionOrder()

    @classmethod
    def load(cls, index, encode: Callable[[str, str], np.ndarray], settings):
        """The ranker for ``settings.ranker_model``; FusionOrder when the file cannot be used."""
        from assistant.answer.instruments import InstrumentNames

        try:
            model = RankerModel.read(settings.ranker_model)
        except (OSError, ValueError, KeyError) as error:
            log.warning("learned ranker unavailable (%s); keeping the fusion order", error)
            return FusionOrder()
        backends = model.meta.get("backends") or list(settings.ranker_backends)
        if not backends or backends[0] not in index.dense:
            log.warning("learned ranker needs %s vectors, which this index lacks; keeping the fusion order",
                        backends[0] if backends else "dense")
            return FusionOrder()
        names = InstrumentNames(index.documents)
        features = CandidateFeatures(index, encode, backends, names.named_in)
        for backend in features.backends[:1]:
            features.document_bands(backend)  # once, at load, not inside the first question
        return cls(model, features)

    def warm_up(self) -> None:
        """Precompute the per-chunk signals' tokens (in the background: serving starts at once)."""
        import threading

        threading.Thread(target=self.features.warm, name="ranker-warm-up", daemon=True).start()

    def rerank(self, query: Query, candidates: list[Hit], k: int) -> list[Hit]:
        if len(candidates) < self.min_candidates or not _both_signals(candidates):
            return self.fallback.rerank(query, candidates, k)
        scores = self.model.score(self.features.matrix(query, candidates))
        order = np.argsort(-scores, kind="stable")
        ranked = [candidates[i] for i in order[:k]]
        for hit, score in zip(ranked, scores[order[:k]]):
            hit.score = 1.0 / (1.0 + math.exp(-float(score)))
        return ranked


def _both_signals(candidates: list[Hit]) -> bool:
    """Hybrid candidates carry BM25 and dense evidence; single-retriever ones do not."""
    return any(h.bm25 for h in candidates) and any(h.dense for h in candidates)


__all__ = ["LearnedRanker", "RankerModel", "export_model", "MODEL_FORMAT"]
