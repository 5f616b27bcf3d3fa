"""DenseIndex over FAISS: exact vs graph, masks, moments, files (fast tier)."""

from __future__ import annotations

import numpy as np

from assistant.search.dense import DenseIndex, HnswParams


def _vectors(n: int = 60, dim: int = 16) -> np.ndarray:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_exact_search_matches_numpy_and_respects_the_mask():
    vectors = _vectors()
    index = DenseIndex.build(vectors)
    assert not index.is_graph and index.size == 60 and index.dim == 16
    query = vectors[3]
    ranked = index.search(query, 5)
    assert [i for i, _ in ranked] == list(np.argsort(-(vectors @ query))[:5])
    mask = np.zeros(60, dtype=bool)
    mask[10:20] = True
    assert all(10 <= i < 20 for i, _ in index.search(query, 5, mask))


def test_graph_from_the_threshold_on_and_masks_still_apply():
    vectors = _vectors()
    index = DenseIndex.build(vectors, HnswParams(threshold=50, m=8))
    assert index.is_graph
    mask = np.zeros(60, dtype=bool)
    mask[:5] = True
    assert {i for i, _ in index.search(vectors[0], 3, mask)} <= set(range(5))


def test_moments_give_the_score_band_of_a_query():
    vectors = _vectors()
    index = DenseIndex.build(vectors)
    query = vectors[0]
    mean, std = index.score_band(query)
    scores = vectors @ query
    assert abs(mean - scores.mean()) < 1e-5 and abs(std - scores.std(ddof=1)) < 1e-4


def test_save_and_load_round_trip(tmp_path):
    vectors = _vectors()
    DenseIndex.build(vectors).save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert np.allclose(loaded.vectors(), vectors) and np.allclose(loaded.vector(4), vectors[4])


def test_exact_search_agrees_with_faiss_for_every_mask_and_reuses_the_query_s_scores():
    import faiss

    vectors = _vectors(200, 16)
    index = DenseIndex.build(vectors)
    reference = faiss.IndexFlatIP(16)
    reference.add(vectors)
    rng = np.random.default_rng(3)
    query = vectors[11]
    for _ in range(5):
        mask = rng.random(200) < 0.4
        selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
        scores, ids = reference.search(query[None, :], 7, params=faiss.SearchParameters(sel=selector))
        ranked = index.search(query, 7, mask)
        assert [i for i, _ in ranked] == [int(i) for i in ids[0]]
        assert np.allclose([s for _, s in ranked], scores[0], atol=1e-5)
    assert index.search(query, 5, np.zeros(200, dtype=bool)) == []
    assert len(index.search(query, 500)) == 200
    other = vectors[12]
    assert index.search(other, 1)[0][0] == 12  # a new query is scored afresh


def test_vectors_at_gives_the_stored_rows_for_exact_and_graph_indexes():
    vectors = _vectors()
    for index in (DenseIndex.build(vectors), DenseIndex.build(vectors, HnswParams(threshold=50, m=8))):
        assert np.allclose(index.vectors_at([4, 0, 59]), vectors[[4, 0, 59]])
        assert index.vectors_at([]).shape == (0, 16)
