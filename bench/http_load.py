"""HTTP load on loopback: start `mgi serve --workers N`, drive it with concurrent clients.

Used by ``tests/test_load.py`` (8 clients x 15 s) and ``bench/run.py`` (16 clients x 60 s).
Every request's question is unique (a corpus question plus two topic words), so the
per-worker query-vector cache never answers for the model: the figures are the uncached case.

Run as a script it measures saved conversations on both stores, two workers each:

    .venv/bin/python bench/http_load.py --workers 2 --clients 16 --seconds 60 \
        --postgres postgresql://mgi:mgi@127.0.0.1/mgi_bench

Each client keeps its cookie (it owns its conversations), starts a conversation, asks in
it until time is up (a new conversation every 5 turns), and afterwards every turn that
was answered 200 must be stored, numbered 1..n, with nothing extra. It only ever targets
127.0.0.1.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common import percentile

QUESTIONS = [
    "Which institution assists migrants in Mexico City?",
    "Do migrants have access to health services in Mexico City?",
    "Can migrant children enrol in public schools regardless of status?",
    "What does the Law on Migration say about the right to education?",
    "How does Mexico City cooperate with civil society on migration?",
    "Is there a strategy to attract foreign investment or talent?",
    "What data on migrants does Mexico City collect?",
    "How are victims of trafficking protected?",
    "¿Qué derechos tienen los solicitantes de la condición de refugiado?",
    "¿Quién otorga la protección complementaria?",
    "¿Qué dice la Ley de Migración sobre el acceso a la justicia?",
    "¿Pueden los migrantes recibir atención médica de urgencia?",
    "¿Qué autoridad resuelve las solicitudes de asilo político?",
    "¿Cuánto tiempo puede durar la presentación de un extranjero en una estación migratoria?",
    "¿Qué es la tarjeta de visitante por razones humanitarias?",
    "¿Qué obligaciones tiene el Instituto Nacional de Migración?",
]
TOPIC_WORDS = ["salud", "educación", "trabajo", "vivienda", "refugio", "niñez", "mujeres", "justicia",
               "health", "schools", "labour", "housing", "asylum", "children", "women", "courts",
               "registro", "identidad", "familia", "frontera", "visa", "residence", "data", "shelter"]


@dataclass
class LoadResult:
    """What a load run saw: latencies of successful requests, statuses and errors."""

    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(1 for e in self.errors if e.startswith("exception"))

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        return percentile(self.latencies, p) * 1000

    def summary(self) -> str:
        return (f"{self.requests} requests from {self.clients} clients in {self.seconds:.1f} s: "
                f"{self.throughput:.1f} req/s, p50 {self.percentile(50):.0f} ms, "
                f"p95 {self.percentile(95):.0f} ms, p99 {self.percentile(99):.0f} ms, "
                f"errors {len(self.errors)}, statuses {dict(self.statuses)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mgi_command() -> list[str]:
    script = Path(sys.executable).parent / "mgi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]


def _workers_idle(process, workers: int) -> bool:
    """True when ``workers`` worker processes exist and none is busy (starting up).

    Workers are the server's children over 50 MiB (the multiprocessing helper is ~15 MiB).
    """
    import psutil

    try:
        children = [c for c in psutil.Process(process.pid).children(recursive=True)
                    if c.memory_info().rss > 50 * 2**20]
        busy = [c for c in children if c.cpu_percent(interval=0.5) > 10]
    except psutil.Error:
        return False
    return len(children) >= workers and not busy


@contextmanager
def serve(index_dir: Path, documents_dir: Path, workers: int = 2, startup_timeout: float = 300,
          env: dict | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `mgi serve` on a free loopback port; yield (base URL, process) once it answers."""
    import httpx

    port = free_port()
    log = tempfile.TemporaryFile()
    command = [*mgi_command(), "serve", "--workers", str(workers), "--host", "127.0.0.1",
               "--port", str(port), "--index", str(index_dir), "--documents", str(documents_dir)]
    process = subprocess.Popen(command, stdout=log, stderr=log, env={**os.environ, **(env or {})},
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"mgi serve exited with {process.returncode}: {log.read()[-3000:]!r}")
            try:
                if httpx.get(f"{url}/healthz", timeout=5).json().get("status") == "ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mgi serve did not answer within {startup_timeout:.0f} s")
            time.sleep(0.5)
        idle = 0
        while time.monotonic() < deadline and idle < 2:  # two quiet looks in a row
            idle = idle + 1 if _workers_idle(process, workers) else 0
        yield url, process
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server (uvicorn stops its workers), then SIGKILL its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group this serve started (its workers)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=30)


def run_load(url: str, clients: int, seconds: float, seed: int = 0, search_share: float = 0.25) -> LoadResult:
    """``clients`` threads, each with its own connection, asking until ``seconds`` pass."""
    import httpx

    result = LoadResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with httpx.Client(base_url=url, timeout=120) as http:
            start.wait()
            while time.monotonic() < stop_at[0]:
                question = f"{rng.choice(QUESTIONS)} {rng.choice(TOPIC_WORDS)} {rng.choice(TOPIC_WORDS)}"
                began = time.perf_counter()
                try:
                    if rng.random() < search_share:
                        response = http.get("/api/search", params={"q": question, "k": 8})
                    else:
                        response = http.post("/api/ask", json={"question": question})
                    elapsed = time.perf_counter() - began
                    with lock:
                        result.statuses[response.status_code] += 1
                        if response.status_code == 200:
                            result.latencies.append(elapsed)
                        else:
                            result.errors.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as error:
                    with lock:
                        result.errors.append(f"exception {type(error).__name__}: {error}")

    result.seconds = run_clients(client, clients, seconds, start, stop_at)
    return result


def run_clients(client, clients: int, seconds: float, start: threading.Barrier, stop_at: list[float]) -> float:
    """Start ``clients`` threads running ``client(n)``, release them together, let them run
    ``seconds`` and wait for all; returns the wall-clock seconds."""
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return time.monotonic() - began


@dataclass
class ConversationLoad(LoadResult):
    """A conversation run: also the turns answered (by conversation) and what was found."""

    answered: dict = field(default_factory=dict)  # conversation id -> turns answered 200
    missing: list[str] = field(default_factory=list)


def run_conversation_load(url: str, clients: int, seconds: float, seed: int = 0,
                          turns_per_conversation: int = 5) -> ConversationLoad:
    """``clients`` threads asking in their own conversations; then every turn is checked."""
    import httpx

    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the load generator only targets 127.0.0.1")
    result = ConversationLoad(clients=clients, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    jars: dict[int, httpx.Cookies] = {}

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with httpx.Client(base_url=url, timeout=120) as http:
            start.wait()
            conversation, turns = None, 0
            while time.monotonic() < stop_at[0]:
                began = time.perf_counter()
                try:
                    if conversation is None or turns >= turns_per_conversation:
                        created = http.post("/api/conversations", json={})
                        if created.status_code != 201:
                            raise RuntimeError(f"create {created.status_code}: {created.text[:200]}")
                        conversation, turns = created.json()["id"], 0
                        with lock:
                            result.answered[conversation] = 0
                    question = f"{rng.choice(QUESTIONS)} {rng.choice(TOPIC_WORDS)} {rng.choice(TOPIC_WORDS)}"
                    response = http.post(f"/api/conversations/{conversation}/ask", json={"question": question})
                    elapsed = time.perf_counter() - began
                    with lock:
                        result.statuses[response.status_code] += 1
                        if response.status_code == 200:
                            turns += 1
                            result.answered[conversation] += 1
                            result.latencies.append(elapsed)
                            if response.headers.get("x-conversation-turn") != str(turns):
                                result.errors.append(f"turn header {response.headers.get('x-conversation-turn')} != {turns}")
                        else:
                            result.errors.append(f"{response.status_code}: {response.text[:200]}")
                except (httpx.HTTPError, RuntimeError) as error:
                    with lock:
                        result.errors.append(f"exception {type(error).__name__}: {error}")
            jars[n] = httpx.Cookies(http.cookies)

    result.seconds = run_clients(client, clients, seconds, start, stop_at)
    # every answered turn is stored, numbered 1..n — looked up with each owner's cookie
    import httpx as _httpx

    owners = {}
    for n, jar in jars.items():
        with _httpx.Client(base_url=url, timeout=60, cookies=jar) as http:
            for summary in http.get("/api/conversations").json():
                owners[summary["id"]] = n
            for conversation_id in [c for c, o in owners.items() if o == n]:
                stored = http.get(f"/api/conversations/{conversation_id}").json()["turns"]
                expected = result.answered.get(conversation_id, 0)
                if [t["n"] for t in stored] != list(range(1, expected + 1)):
                    result.missing.append(f"{conversation_id}: stored {len(stored)}, answered {expected}")
    for conversation_id in result.answered:
        if conversation_id not in owners:
            result.missing.append(f"{conversation_id}: not listed for its owner")
    return result


def _bench(args) -> int:
    """Conversation load on SQLite and (if given) PostgreSQL with the same workers."""
    from assistant.settings import get_settings

    settings = get_settings()
    index_dir = Path(args.index or settings.index_dir)
    documents_dir = Path(args.documents or settings.documents_dir)
    runs = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    rows = []
    for name, database in runs:
        with tempfile.TemporaryDirectory() as scratch:
            env = {"MGI_DATABASE": database or str(Path(scratch) / "conversations.sqlite3"),
                   "MGI_RATE_LIMIT_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
            if database:
                _reset_postgres(database)
            with serve(index_dir, documents_dir, workers=args.workers, env=env) as (url, _):
                result = run_conversation_load(url, args.clients, args.seconds)
        turns = sum(result.answered.values())
        print(f"{name}: {result.summary()}; turns answered {turns} in {len(result.answered)} "
              f"conversations, missing {len(result.missing)}", flush=True)
        for line in result.missing[:5]:
            print(f"  missing: {line}")
        rows.append((name, result, turns))
    print("\n| store | workers | clients × s | requests | req/s | p50 ms | p95 ms | p99 ms | errors | turns stored / answered |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, result, turns in rows:
        print(f"| {name} | {args.workers} | {args.clients} × {args.seconds:.0f} | {result.requests} | "
              f"{result.throughput:.1f} | {result.percentile(50):.0f} | {result.percentile(95):.0f} | "
              f"{result.percentile(99):.0f} | {len(result.errors)} | {turns - len(result.missing)} / {turns} |")
    failed = any(result.errors or result.missing for _, result, _ in rows)
    return 1 if failed else 0


def _reset_postgres(url: str) -> None:
    """Start the PostgreSQL run from empty tables (the bench's own database)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS turns, conversations, rate_buckets, meta CASCADE")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--postgres", default="", help="postgresql:// URL of a bench database (emptied)")
    parser.add_argument("--index", default="")
    parser.add_argument("--documents", default="")
    sys.exit(_bench(parser.parse_args()))
