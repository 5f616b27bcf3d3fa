"""HTTP load on loopback: start `mgi serve --workers N`, drive it with concurrent clients.

Used by ``tests/test_load.py`` (8 clients x 15 s) and ``bench/run.py`` (16 clients x 60 s).
Every request's question is unique (a corpus question plus two topic words), so the
per-worker query-vector cache never answers for the model: the figures are the uncached case.
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

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result
