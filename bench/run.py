"""`make bench`: measure the assistant on the real corpus index and print one Markdown table.

Sections: build (embedding path vs bare encode), ask (latency vs bare query encode, per
backend, plus a pyinstrument profile), startup (cold start to first answer, peak RSS),
http (`mgi serve --workers 2` under concurrent clients), growth (1x/10x/100x FAISS).
The table is printed and, on a full default run, written to bench/results.md; the profile
goes to bench/profile-ask.txt.
Usage: ``.venv/bin/python bench/run.py [--clients 16] [--seconds 60] [--sample 400] [--skip growth ...]``
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common import ROOT, Row, machine, table, verdict

if TYPE_CHECKING:
    from assistant.settings import Settings

HERE = Path(__file__).resolve().parent
SECTIONS = ("ask", "build", "startup", "http", "growth")


def ensure_index(settings: Settings) -> None:
    """Build the default index if it is missing, corrupt or stale."""
    from assistant.core import Assistant
    from assistant.ingest.build import build_index
    from assistant.storage import IndexProblem

    try:
        Assistant.open(settings)
    except IndexProblem as problem:
        print(f"building the index ({problem})")
        report = build_index(settings, progress=True)
        print(f"built {report.chunks} chunks in {report.seconds:.0f} s")


def bench_http(settings: Settings, clients: int, seconds: float) -> list[Row]:
    import psutil

    from http_load import run_load, serve

    peak = [0.0]
    with serve(settings.index_dir, settings.documents_dir, workers=2) as (url, process):
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                try:
                    for child in psutil.Process(process.pid).children(recursive=True):
                        peak[0] = max(peak[0], child.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
                done.wait(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        result = run_load(url, clients=clients, seconds=seconds)
        done.set()
        watcher.join()
    print(f"  {result.summary()}")
    return [
        Row("http", f"throughput, {clients} clients x {seconds:.0f} s, 2 workers", f"{result.throughput:.1f} req/s",
            "", "", "75% /api/ask, 25% /api/search; every question unique (no query cache hits)"),
        Row("http", "latency p50 / p95 / p99",
            f"{result.percentile(50):.0f} / {result.percentile(95):.0f} / {result.percentile(99):.0f} ms",
            "", "", f"{result.requests} requests"),
        Row("http", "errors", str(len(result.errors)), "0", verdict(not result.errors),
            "; ".join(result.errors[:2])),
        Row("http", "peak RSS per worker", f"{peak[0]:.0f} MiB", "<= 1024 MiB", verdict(peak[0] <= 1024),
            "psutil, sampled every 0.5 s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sample", type=int, default=400, help="chunk texts for the build section")
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    args = parser.parse_args()

    from assistant.settings import get_settings

    settings = get_settings()
    header = machine()
    print(header)
    ensure_index(settings)
    began = time.perf_counter()
    rows: list[Row] = []
    assistant = None
    if "ask" not in args.skip or "growth" not in args.skip:
        from ask_bench import bench_ask, bench_stages, profile_ask

        print("ask ...")
        ask_rows, assistant, ask_p50 = bench_ask(settings)
        if "ask" not in args.skip:
            rows += ask_rows
            profile_ask(assistant, HERE / "profile-ask.txt")
            rows += bench_stages(settings)
    if "build" not in args.skip:
        from embed_bench import bench_build

        print("build ...")
        rows += bench_build(settings, args.sample)
    if "startup" not in args.skip:
        from startup import bench_startup

        print("startup ...")
        built = list(assistant.available_embedders()) if assistant else [settings.embedder]
        rows += bench_startup(settings, sorted(built, key=lambda b: b != settings.embedder))
    if "http" not in args.skip:
        print("http ...")
        rows += bench_http(settings, args.clients, args.seconds)
    if "growth" not in args.skip:
        from assistant.text import tokenize
        from common import ASK_QUESTIONS
        import bm25s
        from growth import bench_growth

        print("growth ...")
        backend = assistant.default_embedder
        vectors = assistant.index.dense[backend].vectors()
        embedder = assistant.embedder(backend)
        queries = np.stack([embedder.embed_query(q) for q in ASK_QUESTIONS]).astype(np.float32)
        rows += bench_growth(vectors, queries, bm25s.BM25.load(str(assistant.index.path / "bm25")), [tokenize(q) for q in ASK_QUESTIONS],
                             ask_p50[backend], k=settings.candidates)
    text = (f"# Benchmark results\n\nMachine: {header}.\n"
            f"Index: {settings.index_dir} ({len(assistant.chunks) if assistant else '?'} chunks). "
            f"Run took {time.perf_counter() - began:.0f} s on {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
            + table(rows) + "\n")
    if args.skip or args.clients != 16 or args.seconds != 60 or args.sample != 400:
        print("(partial or non-default run: bench/results.md left as it was)")
    else:
        (HERE / "results.md").write_text(text, encoding="utf-8")
    print()
    print(text)


if __name__ == "__main__":
    main()
