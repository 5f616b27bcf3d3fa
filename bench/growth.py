"""Growth: retrieval latency and memory at 1x, 10x and 100x the corpus.

The 10x/100x corpora are the real chunk vectors replicated with Gaussian perturbation
(re-normalised), searched with real question vectors, k = ``settings.candidates`` (what
the hybrid retriever asks FAISS for), one query per call as the app does.
IndexFlatIP (exact, what the build writes) vs IndexHNSWFlat (M=32, efSearch=128), searched
with one OpenMP thread (with FAISS's default of one per core, a single-query Flat search
on this shared 2-core machine was ~6x slower at 10x: the threads wait for each other);
recall@10 of HNSW is measured against the exact result. BM25 grows with the corpus too:
the real BM25 matrix is replicated (``bm25.get_scores`` on the real question tokens),
and the ranking of its scores is timed as the retriever does it (full ``argsort``) and
with ``argpartition``. The end-to-end estimate is the measured 1x ask p50 plus what
dense search and BM25 add at that size.
"""

from __future__ import annotations

import copy
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
    for block_no in range(1, factor):
        block = vectors + rng.normal(0, 0.03, size=(n, d)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[block_no * n:(block_no + 1) * n] = block
    return out


def grow_bm25(bm25, factor: int):
    """A BM25 whose token x document score matrix is the real one repeated ``factor`` times."""
    import scipy.sparse as sp

    scores = bm25.scores
    n = scores["num_docs"]
    matrix = sp.csr_matrix((scores["data"], scores["indices"], scores["indptr"]),
                           shape=(len(scores["indptr"]) - 1, n))
    big = sp.hstack([matrix] * factor, format="csr")
    grown = copy.copy(bm25)
    grown.scores = {**scores, "data": big.data, "indices": big.indices.astype(scores["indices"].dtype),
                    "indptr": big.indptr.astype(scores["indptr"].dtype), "num_docs": n * factor}
    return grown


def _search_times(index, queries: np.ndarray, k: int, threads: int = 1) -> tuple[list[float], np.ndarray]:
    """Per-query search times with ``threads`` OpenMP threads (restored afterwards)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    times, found = [], []
    for query in queries:
        began = time.perf_counter()
        _, ids = index.search(query[None, :], k)
        times.append(time.perf_counter() - began)
        found.append(ids[0])
    faiss.omp_set_num_threads(before)
    return times, np.array(found)


def _bm25_times(bm25, token_lists: list[list[str]], k: int) -> tuple[float, float, float]:
    """Median ms of get_scores, of argsort ranking and of argpartition ranking."""
    scoring, sorting, partition = [], [], []
    for tokens in token_lists:
        began = time.perf_counter()
        scores = np.asarray(bm25.get_scores(tokens), dtype=np.float32)
        scoring.append(time.perf_counter() - began)
        began = time.perf_counter()
        np.argsort(-scores)[:k]
        sorting.append(time.perf_counter() - began)
        began = time.perf_counter()
        top = np.argpartition(-scores, k)[:k]
        top[np.argsort(-scores[top])]
        partition.append(time.perf_counter() - began)
    return median(scoring) * 1000, median(sorting) * 1000, median(partition) * 1000


def bench_growth(vectors: np.ndarray, queries: np.ndarray, bm25, token_lists: list[list[str]],
                 ask_p50_ms: float, k: int = 50) -> list[Row]:
    import faiss

    vocab = set(bm25.vocab_dict)
    token_lists = [[t for t in tokens if t in vocab] for tokens in token_lists]
    token_lists = [tokens for tokens in token_lists if tokens]
    rows, base = [], {}
    d = vectors.shape[1]
    for factor in FACTORS:
        data = grow(vectors, factor)
        n = len(data)
        flat = faiss.IndexFlatIP(d)
        flat.add(data)
        flat_times, exact = _search_times(flat, queries, k)
        omp_times, _ = _search_times(flat, queries, k, threads=faiss.omp_get_max_threads())
        began = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.add(data)
        built = time.perf_counter() - began
        hnsw.hnsw.efSearch = EF_SEARCH
        hnsw_times, approx = _search_times(hnsw, queries, k)
        recall = np.mean([len(set(a[:10]) & set(e[:10])) / 10 for a, e in zip(approx, exact)])
        flat_mb = n * d * 4 / 2**20
        hnsw_mb = flat_mb + hnsw.hnsw.neighbors.size() * 4 / 2**20 + n * 12 / 2**20
        del flat, hnsw, data
        score_ms, sort_ms, part_ms = _bm25_times(grow_bm25(bm25, factor), token_lists, k)
        fp50, hp50 = median(flat_times) * 1000, median(hnsw_times) * 1000
        base.setdefault("flat", fp50)
        base.setdefault("hnsw", hp50)
        base.setdefault("bm25", score_ms + sort_ms)
        base.setdefault("bm25_part", score_ms + part_ms)
        today = ask_p50_ms + (fp50 - base["flat"]) + (score_ms + sort_ms - base["bm25"])
        tuned = ask_p50_ms + (hp50 - base["flat"]) + (score_ms + part_ms - base["bm25"])
        print(f"  {factor}x ({n} vectors): flat p50 {fp50:.2f} ms ({flat_mb:.0f} MiB); hnsw p50 {hp50:.2f} ms "
              f"({hnsw_mb:.0f} MiB, built in {built:.1f} s, recall@10 {recall:.3f}); bm25 scores {score_ms:.2f} ms, "
              f"argsort {sort_ms:.2f} ms, argpartition {part_ms:.2f} ms; ask estimate {today:.0f} / {tuned:.0f} ms")
        goal = "<= 2x of 1x" if factor == FACTORS[-1] else ""
        rows += [
            Row("growth", f"{factor}x: IndexFlatIP search p50 / p95 ({n} vectors)",
                f"{fp50:.2f} / {percentile(flat_times, 95) * 1000:.2f} ms", goal,
                verdict(fp50 <= 2 * base["flat"]) if goal else "",
                f"{fp50 / base['flat']:.1f}x of 1x; {flat_mb:.0f} MiB; with {faiss.omp_get_max_threads()} OpenMP "
                f"threads p50 {median(omp_times) * 1000:.2f} ms"),
            Row("growth", f"{factor}x: IndexHNSWFlat search p50 / p95",
                f"{hp50:.2f} / {percentile(hnsw_times, 95) * 1000:.2f} ms", goal,
                verdict(hp50 <= 2 * base["hnsw"]) if goal else "",
                f"{hp50 / base['hnsw']:.1f}x of 1x; {hnsw_mb:.0f} MiB; recall@10 {recall:.3f}; built in {built:.0f} s"),
            Row("growth", f"{factor}x: BM25 get_scores + ranking (argsort / argpartition)",
                f"{score_ms:.2f} + {sort_ms:.2f} / {part_ms:.2f} ms", "", "", "median per query"),
            Row("growth", f"{factor}x: ask p50 estimate, Flat+argsort (today) / HNSW+argpartition",
                f"{today:.0f} / {tuned:.0f} ms", goal, verdict(tuned <= 2 * ask_p50_ms) if goal else "",
                f"today {today / ask_p50_ms:.1f}x, tuned {tuned / ask_p50_ms:.1f}x of the measured 1x ask p50"),
        ]
    return rows
