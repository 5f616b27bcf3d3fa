"""Cold start to first answer, and peak memory, of a fresh `mgi ask` process.

Peak memory is the child's ``VmHWM`` (RSS high-water mark) from /proc, polled until it
exits. (``wait4``'s ``ru_maxrss`` would be wrong here: a forked child counts the bench's own
RSS — two models and the index — until it execs.)
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import Row, median, verdict
from http_load import mgi_command

if TYPE_CHECKING:
    from assistant.settings import Settings

QUESTION = "Do migrants have access to health services in Mexico City?"


def _high_water_mib(pid: int) -> float:
    """The process's peak RSS so far (VmHWM), in MiB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def one_cold_start(settings: Settings, embedder: str | None = None) -> tuple[float, float]:
    """Seconds from process start to the answer on stdout, and the process's peak RSS (MiB)."""
    command = [*mgi_command(), "ask", QUESTION, "--json", "--index", str(settings.index_dir),
               "--documents", str(settings.documents_dir)]
    began = time.perf_counter()
    env = {**os.environ, **({"MGI_EMBEDDER": embedder} if embedder else {})}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak = [0.0]

    def watch() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _high_water_mib(process.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    time.sleep(0.05)  # let the child exec before the first look
    watcher.start()
    first = process.stdout.read(1)  # blocks until the answer is printed
    answered = time.perf_counter() - began
    peak[0] = max(peak[0], _high_water_mib(process.pid))
    process.stdout.read()
    process.wait()
    watcher.join()
    if not first or process.returncode != 0:
        raise RuntimeError(f"mgi ask failed with exit code {process.returncode}")
    return answered, peak[0]


def bench_startup(settings: Settings, backends: list[str], runs: int = 3) -> list[Row]:
    """Cold start and peak RSS with each backend as the query embedder (default first)."""
    rows = []
    for backend in backends:
        results = [one_cold_start(settings, backend) for _ in range(runs)]
        seconds = median([r[0] for r in results])
        rss = max(r[1] for r in results)
        print(f"  {backend}: cold start {[round(r[0], 2) for r in results]} s, peak RSS {rss:.0f} MiB")
        default = " (default)" if backend == settings.embedder else ""
        rows += [
            Row("startup", f"cold start to first answer, mgi ask, {backend}{default}", f"{seconds:.2f} s",
                "<= 5 s", verdict(seconds <= 5), f"median of {runs} fresh processes; OS file cache warm"),
            Row("startup", f"peak RSS of that process, {backend}", f"{rss:.0f} MiB", "<= 1024 MiB",
                verdict(rss <= 1024), "VmHWM from /proc"),
        ]
    return rows
