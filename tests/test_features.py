"""Per-candidate signals on the tiny index (fast tier)."""

from __future__ import annotations

import numpy as np

from assistant.search.features import FEATURES, CandidateFeatures
from assistant.search.query import Hit, contextualise
from assistant.storage import SentenceVectors
from tests.tiny import fake_encode, tiny_index


def _rows(question: str, positions: list[int], named=None, index=None):
    index = index or tiny_index()
    features = CandidateFeatures(index, fake_encode, ["fake"], named)
    query = contextualise(question, [])
    bm25 = index.sparse.scores(query.tokens)
    hits = [Hit(p, 0.0, bm25=float(bm25[p])) for p in positions]
    matrix = features.matrix(query, hits)
    return {name: matrix[:, i] for i, name in enumerate(FEATURES)}


def test_one_row_per_candidate_and_no_nan():
    rows = _rows("health services for migrants", [0, 1, 2, 3])
    assert all(len(column) == 4 for column in rows.values())
    assert not any(np.isnan(column).any() for column in rows.values())


def test_dense_and_coverage_favour_the_answering_chunk():
    rows = _rows("public health services", [0, 1])
    assert rows["dense"][1] > rows["dense"][0] and rows["dense_gap"][1] == 0.0
    assert rows["coverage"][1] > rows["coverage"][0]
    assert rows["sentence_coverage"][1] >= rows["coverage"][1] * 0.5


def test_language_kind_article_and_named_document():
    rows = _rows("¿Qué dice el artículo 9 sobre el registro civil?", [1, 3], named=lambda q: ["law"])
    assert rows["language_match"].tolist() == [0.0, 1.0]  # Spanish question: the law, not the profile
    assert rows["is_legal"].tolist() == [0.0, 1.0]
    assert rows["article_match"].tolist() == [0.0, 1.0]
    assert rows["named_document"].tolist() == [0.0, 1.0] and rows["names_any"].tolist() == [1.0, 1.0]


def test_document_signals_share_and_best():
    rows = _rows("migrants health", [0, 1, 2])
    assert np.isclose(rows["doc_share"][0], 2 / 3) and np.isclose(rows["doc_share"][2], 1 / 3)
    assert rows["doc_best_z"][0] == rows["doc_best_z"][1]
    assert rows["doc_gap"].max() == 0.0


def test_sentence_vectors_raise_the_best_sentence_cosine():
    index = tiny_index()
    health = fake_encode("fake", "health")
    index.sentences["fake"] = SentenceVectors(np.array([1], dtype=np.int32), np.array([0], dtype=np.int32),
                                              np.array([5], dtype=np.int32), health[None, :])
    rows = _rows("health", [0, 1], index=index)
    assert np.isclose(rows["sentence_dense"][1], 1.0)
    assert rows["sentence_dense"][0] == rows["dense"][0]  # no sentence vectors: the chunk's cosine


def test_after_warm_no_candidate_is_tokenised_again(monkeypatch):
    import assistant.search.features as module

    index = tiny_index()
    features = CandidateFeatures(index, fake_encode, ["fake"], None)
    query = contextualise("community kitchens meals", [])
    hits = [Hit(i, 1.0 / (i + 1)) for i in range(len(index.chunks))]
    features.warm()
    before = features.matrix(query, hits)
    real = module.tokenize
    seen = []
    monkeypatch.setattr(module, "tokenize", lambda text: seen.append(text) or real(text))
    assert np.array_equal(features.matrix(query, hits), before)
    assert all(chunk.text not in seen for chunk in index.chunks)  # only the question is tokenised


def test_transitory_articles_and_questions_about_entry_into_force():
    index = tiny_index()
    law = index.documents["law"]
    law.articles[1] = law.articles[1].model_copy(update={"transitory": True})  # "Artículo 9" as a transitory one
    plain = _rows("registro civil", [2, 3], index=index)
    assert plain["transitory"].tolist() == [0.0, 1.0]
    assert plain["transitory_asked"].tolist() == [0.0, 0.0]
    asked = _rows("¿Cuándo entró en vigor el registro civil?", [0, 3], index=index)
    assert asked["transitory"].tolist() == [0.0, 1.0] and asked["transitory_asked"].tolist() == [0.0, 1.0]
    assert _rows("When did the law come into force?", [3], index=index)["transitory_asked"].tolist() == [1.0]


def test_a_plain_view_fills_the_second_dense_slot_with_the_unadapted_cosines():
    """["fake", "fake+plain"]: dense reads the (adapted) query, dense2 the query as embedded."""
    index = tiny_index()
    moved = np.zeros(8, dtype=np.float32)
    moved[2] = 1.0  # an adapter that sends every question to the shelters axis

    def encode(backend, text):
        return fake_encode(backend, text) if backend.endswith("+plain") else moved

    features = CandidateFeatures(index, encode, ["fake", "fake+plain"], None)
    assert features.backends == ["fake", "fake+plain"]
    query = contextualise("public health services", [])
    matrix = features.matrix(query, [Hit(p, 0.0) for p in range(4)])
    rows = {name: matrix[:, i] for i, name in enumerate(FEATURES)}
    vectors = index.dense["fake"].vectors_at(np.arange(4))
    assert np.allclose(rows["dense"], vectors @ moved, atol=1e-6)
    assert np.allclose(rows["dense2"], vectors @ fake_encode("fake", query.dense_text), atol=1e-6)
