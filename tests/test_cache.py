"""The embedding cache (by text hash) and the shipped int8 seeds (fast tier: a fake embedder)."""

from __future__ import annotations

import numpy as np

from assistant.embedding.cache import EmbeddingCache, plant_seed, read_seed, text_key, write_seed
from tests.tiny import FakeEmbedder

EMBEDDER = FakeEmbedder()


def test_cache_encodes_only_misses(tmp_path):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return EMBEDDER.embed_passages(texts)

    cache = EmbeddingCache(tmp_path / "cache.sqlite3", EMBEDDER.name, EMBEDDER.dim)
    first = cache.embed(["health", "kitchen", "health"], encode)
    assert calls == [2] and first.shape == (3, EMBEDDER.dim)
    second = cache.embed(["health", "kitchen", "shelter"], encode)
    assert calls == [2, 1] and cache.hits >= 2
    assert np.allclose(first[0], second[0]) and np.allclose(first[1], second[1])
    cache.close()


def test_seed_round_trip_is_keyed_by_exact_text(tmp_path):
    texts = ["Artículo 8. Los migrantes tendrán derecho a la atención médica.", "Otra frase sobre salud."]
    vectors = EMBEDDER.embed_passages(texts)
    seed = tmp_path / "seed.npz"
    write_seed(seed, [text_key(t) for t in texts], vectors)
    found = read_seed(seed, {text_key(texts[0]), text_key("changed text")})
    assert set(found) == {text_key(texts[0])}
    assert float(found[text_key(texts[0])] @ vectors[0]) > 0.99  # int8 storage


def test_planted_seeds_spare_the_encoder(tmp_path):
    texts = ["community kitchens", "health services"]
    seed = tmp_path / "seed.npz"
    write_seed(seed, [text_key(t) for t in texts], EMBEDDER.embed_passages(texts))
    cache = EmbeddingCache(tmp_path / "cache.sqlite3", EMBEDDER.name, EMBEDDER.dim)
    plant_seed(cache, seed, texts)

    def never(batch):
        raise AssertionError(f"encoded {batch}")

    assert cache.embed(texts, never).shape == (2, EMBEDDER.dim)
    cache.close()


def test_seeds_are_sharded_and_read_back_whole(tmp_path):
    texts = [f"text number {n}" for n in range(7)]
    seed = tmp_path / "seed.npz"
    (tmp_path / "seed.9.npz").write_bytes(b"stale shard of an older seed")
    written = write_seed(seed, [text_key(t) for t in texts], EMBEDDER.embed_passages(texts), shard_vectors=3)
    assert [p.name for p in written] == ["seed.npz", "seed.1.npz", "seed.2.npz"]
    assert not (tmp_path / "seed.9.npz").exists()
    assert len(read_seed(seed, {text_key(t) for t in texts})) == 7
