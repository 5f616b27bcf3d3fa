"""Ask latency in process (Assistant.ask) vs the bare query encode, per embedder backend,
and a pyinstrument profile of the ask path.

For each question the query-vector cache is cleared, the bare encode is timed, then the
ask: paired measurements, so a noisy neighbour slows both sides alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import ASK_QUESTIONS, Row, median, percentile, verdict

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.settings import Settings

ROUNDS = 3


def _time_backend(assistant: Assistant, backend: str) -> tuple[list[float], list[float], int]:
    embedder = assistant.embedder(backend)
    assistant.ask("warm up: migrant rights", embedder=backend)
    asks, encodes, refused = [], [], 0

    def encode(question: str) -> None:
        began = time.perf_counter()
        embedder.embed_query(question)
        encodes.append(time.perf_counter() - began)

    for round_no in range(ROUNDS):
        for n, question in enumerate(ASK_QUESTIONS):
            assistant.forget_queries()
            encode_first = (round_no + n) % 2 == 0  # alternate: the first call of a pair may be slower
            if encode_first:
                encode(question)
            began = time.perf_counter()
            answer = assistant.ask(question, embedder=backend)
            asks.append(time.perf_counter() - began)
            if not encode_first:
                encode(question)
            refused += answer.refused
    return asks, encodes, refused // ROUNDS


def bench_ask(settings: Settings) -> tuple[list[Row], Assistant, dict[str, float]]:
    """Rows for every backend the index holds; also the opened Assistant and ask p50 (ms).

    Each question's ask and bare encode run back to back, in alternating order."""
    from assistant.core import Assistant

    assistant = Assistant.open(settings)
    assistant.warm_up()
    rows, p50s = [], {}
    for backend in assistant.available_embedders():
        asks, encodes, refused = _time_backend(assistant, backend)
        p50, p95 = percentile(asks, 50) * 1000, percentile(asks, 95) * 1000
        enc = median(encodes) * 1000
        ratio = p50 / enc
        paired = median([a / e for a, e in zip(asks, encodes)])
        p50s[backend] = p50
        print(f"  {backend}: ask p50 {p50:.1f} ms p95 {p95:.1f} ms; encode p50 {enc:.1f} ms; ratio {ratio:.2f}; "
              f"paired {paired:.2f}")
        note = f"{len(ASK_QUESTIONS)} questions x {ROUNDS} rounds, query cache cleared; {refused} refused"
        pair_note = f"median of per-question ask/encode ratios {paired:.2f}x"
        rows += [
            Row("ask", f"ask latency p50 / p95 ({backend})", f"{p50:.1f} / {p95:.1f} ms", "", "", note),
            Row("ask", f"bare query encode p50 ({backend})", f"{enc:.1f} ms", "", "", ""),
            Row("ask", f"ask p50 / encode p50 ({backend})", f"{ratio:.2f}x", "<= 2x", verdict(ratio <= 2.0),
                pair_note),
        ]
    return rows, assistant, p50s


def profile_ask(assistant: Assistant, output: Path) -> str:
    """Profile 30 uncached asks per backend with pyinstrument; write the text reports."""
    from pyinstrument import Profiler

    reports = []
    for backend in assistant.available_embedders():
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for question in ASK_QUESTIONS:
            assistant.forget_queries()
            assistant.ask(question, embedder=backend)
        profiler.stop()
        reports.append(f"## {backend}\n" + profiler.output_text(unicode=False, color=False, show_all=False))
    text = "\n".join(reports)
    output.write_text(text, encoding="utf-8")
    return text


def bench_stages(settings: Settings) -> list[Row]:
    """Per-stage p50 (Answer.timings_ms) for each rerank × judge configuration, query vectors
    cached after a first pass, so the rows show what each stage adds beside the encode."""
    from assistant.core import Assistant
    from assistant.stages import STAGES

    rows = []
    base = None
    for rerank, judge in (("fusion", "evidence"), ("learned", "evidence"), ("learned", "typed"), ("learned", "learned")):
        assistant = Assistant.open(settings.model_copy(update={"rerank_stage": rerank, "judge_stage": judge}))
        for question in ASK_QUESTIONS:  # first pass: encodes the queries (cached afterwards)
            assistant.ask(question)
        timings = [assistant.ask(q).timings_ms for _ in range(ROUNDS) for q in ASK_QUESTIONS]
        p50 = {stage: median([t[stage] for t in timings]) for stage in (*STAGES, "total")}
        base = base or p50
        parts = " / ".join(f"{stage} {p50[stage]:.1f}" for stage in STAGES)
        print(f"  {rerank} + {judge}: {parts} ms; total {p50['total']:.1f} ms")
        rows.append(Row("ask", f"stage p50, {rerank} ranker + {judge} judge (cached query)", f"{p50['total']:.1f} ms",
                        "", "", parts + " ms"))
        if judge in ("typed", "learned"):
            added = p50["judge"] - base["judge"]
            rows.append(Row("ask", f"{judge} judge adds to ask p50 (vs evidence)", f"{added:.1f} ms", "<= 10 ms",
                            verdict(added <= 10), ""))
    return rows
