"""Growth: dense search latency and memory at 1x, 10x and 100x the corpus.

The 10x/100x corpora are the real chunk vectors replicated with Gaussian perturbation
(re-normalised), searched with real question vectors, k = ``settings.candidates`` (what
the hybrid retriever asks FAISS for), one query per call as the app does.
IndexFlatIP (exact, what the build writes) vs IndexHNSWFlat (M=32, efSearch=128);
recall@10 of HNSW is measured against the exact result. Also the linear ``argsort`` of
the BM25 scores the retriever does per query, vs ``argpartition``.
"""

from __future__ import annotations

import time

import numpy as np

from common import Row, median, percentile, verdict

FACTORS = (1, 10, 100)
HNSW_M = 32
EF_SEARCH = 128


def grow(vectors: np.ndarray, factor: int, seed: int = 0) -> np.ndarray:
    """``factor`` perturbed copies of ``vectors`` (the first copy is the original)."""
    rng = np.random.default_rng(seed)
    n, d = vectors.shape
    out = np.empty((n * factor, d), dtype=np.float32)
    out[:n] = vectors
    for copy in range(1, factor):
        block = vectors + rng.normal(0, 0.03, size=(n, d)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[copy * n:(copy + 1) * n] = block
    return out


def _search_times(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    times, found = [], []
    for query in queries:
        began = time.perf_counter()
        _, ids = index.search(query[None, :], k)
        times.append(time.perf_counter() - began)
        found.append(ids[0])
    return times, np.array(found)


def bench_growth(vectors: np.ndarray, queries: np.ndarray, k: int = 50) -> list[Row]:
    import faiss

    rows, base = [], {}
    d = vectors.shape[1]
    for factor in FACTORS:
        data = grow(vectors, factor)
        n = len(data)
        flat = faiss.IndexFlatIP(d)
        flat.add(data)
        flat_times, exact = _search_times(flat, queries, k)
        began = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.add(data)
        built = time.perf_counter() - began
        hnsw.hnsw.efSearch = EF_SEARCH
        hnsw_times, approx = _search_times(hnsw, queries, k)
        recall = np.mean([len(set(a[:10]) & set(e[:10])) / 10 for a, e in zip(approx, exact)])
        flat_mb = n * d * 4 / 2**20
        hnsw_mb = flat_mb + hnsw.hnsw.neighbors.size() * 4 / 2**20 + n * 12 / 2**20
        scores = np.random.default_rng(1).random(n).astype(np.float32)
        sort_ms = _time(lambda: np.argsort(-scores)[:k]) * 1000
        part_ms = _time(lambda: np.argpartition(-scores, k)[:k]) * 1000
        fp50, hp50 = median(flat_times) * 1000, median(hnsw_times) * 1000
        base.setdefault("flat", fp50)
        base.setdefault("hnsw", hp50)
        print(f"  {factor}x ({n} vectors): flat p50 {fp50:.2f} ms ({flat_mb:.0f} MiB); "
              f"hnsw p50 {hp50:.2f} ms ({hnsw_mb:.0f} MiB, built in {built:.1f} s, recall@10 {recall:.3f}); "
              f"bm25 argsort {sort_ms:.2f} ms vs argpartition {part_ms:.2f} ms")
        goal = "<= 2x of 1x" if factor == FACTORS[-1] else ""
        rows += [
            Row("growth", f"{factor}x: IndexFlatIP search p50 / p95 ({n} vectors)",
                f"{fp50:.2f} / {percentile(flat_times, 95) * 1000:.2f} ms", goal,
                verdict(fp50 <= 2 * base["flat"]) if goal else "",
                f"{fp50 / base['flat']:.1f}x of 1x; {flat_mb:.0f} MiB"),
            Row("growth", f"{factor}x: IndexHNSWFlat search p50 / p95",
                f"{hp50:.2f} / {percentile(hnsw_times, 95) * 1000:.2f} ms", goal,
                verdict(hp50 <= 2 * base["hnsw"]) if goal else "",
                f"{hp50 / base['hnsw']:.1f}x of 1x; {hnsw_mb:.0f} MiB; recall@10 {recall:.3f}; "
                f"built in {built:.0f} s"),
            Row("growth", f"{factor}x: BM25 score ranking, argsort vs argpartition",
                f"{sort_ms:.2f} vs {part_ms:.2f} ms", "", "", "per query, over all chunks"),
        ]
        del flat, hnsw, data
    return rows


def _time(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return median(times)
