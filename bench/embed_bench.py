"""Build throughput: the build's embedding path vs bare ``model.encode`` on the same texts.

The build embeds through ``EmbeddingCache.embed`` (hash, look up, encode the misses in
``batch_size`` batches, store them in SQLite). With an empty cache in a temporary folder
every text is a miss, so the ratio is the price of the cache bookkeeping and batching.
Both sides use the same sample of the real index's chunk texts; bare encode runs before
and after the build path and the mean is used, to even out a noisy machine.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import Row, verdict

if TYPE_CHECKING:
    from assistant.settings import Settings


def chunk_texts(settings: Settings, sample: int, seed: int = 0) -> tuple[list[str], int]:
    """A fixed random sample of the index's embedding texts, and the index's chunk count."""
    from assistant.ingest.chunking import embedding_text
    from assistant.storage import load_index

    index = load_index(settings.index_dir, load_dense=False)
    texts = [embedding_text(index.documents[c.document_id], c) for c in index.chunks]
    chosen = random.Random(seed).sample(texts, min(sample, len(texts)))
    return chosen, len(texts)


def bench_build(settings: Settings, sample: int = 400) -> list[Row]:
    from assistant.embedding import load_embedder
    from assistant.embedding.cache import EmbeddingCache

    texts, total = chunk_texts(settings, sample)
    embedder = load_embedder("sentence-transformers", settings.model, settings.batch_size)
    embedder.embed_passages(texts[:16])  # warm up

    def bare() -> float:
        began = time.perf_counter()
        embedder._model.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True,
                               show_progress_bar=False)
        return time.perf_counter() - began

    first = bare()
    with tempfile.TemporaryDirectory() as folder:
        cache = EmbeddingCache(Path(folder) / "embeddings.sqlite3", embedder.name, embedder.dim)
        began = time.perf_counter()
        cache.embed(texts, embedder.embed_passages, settings.batch_size)
        build = time.perf_counter() - began
        assert cache.misses == len(set(texts))
        cache.close()
    second = bare()
    raw = (first + second) / 2
    n = len(texts)
    ratio = (n / build) / (n / raw)
    print(f"  build path {n / build:.1f} chunks/s, bare encode {n / raw:.1f} chunks/s "
          f"(runs {first:.1f} s / {second:.1f} s), ratio {ratio:.2f}")
    note = f"{n} of the index's {total} chunk texts; empty cache; bare encode = mean of a run before and after"
    return [
        Row("build", "embedding throughput, build path", f"{n / build:.1f} chunks/s", "", "", note),
        Row("build", "embedding throughput, bare model.encode", f"{n / raw:.1f} chunks/s", "", "",
            f"batch_size {settings.batch_size}"),
        Row("build", "build path / bare encode", f"{ratio:.2f}", ">= 0.9", verdict(ratio >= 0.9), ""),
    ]
