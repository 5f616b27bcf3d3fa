"""Cold start to first answer, and peak memory, of a fresh `mgi ask` process."""

from __future__ import annotations

import os
import subprocess
import time

from common import Row, median, verdict
from http_load import mgi_command

QUESTION = "Do migrants have access to health services in Mexico City?"


def one_cold_start(settings) -> tuple[float, float]:
    """Seconds from process start to the answer on stdout, and the process's peak RSS (MiB)."""
    command = [*mgi_command(), "ask", QUESTION, "--json", "--index", str(settings.index_dir),
               "--documents", str(settings.documents_dir)]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = process.stdout.read(1)  # blocks until the answer is printed
    answered = time.perf_counter() - began
    process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if not first or process.returncode != 0:
        raise RuntimeError(f"mgi ask failed with exit code {process.returncode}")
    return answered, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def bench_startup(settings, runs: int = 3) -> list[Row]:
    results = [one_cold_start(settings) for _ in range(runs)]
    seconds = median([r[0] for r in results])
    rss = max(r[1] for r in results)
    print(f"  cold start {[round(r[0], 2) for r in results]} s, peak RSS {rss:.0f} MiB")
    return [
        Row("startup", "cold start to first answer (mgi ask)", f"{seconds:.2f} s", "<= 5 s", verdict(seconds <= 5),
            f"median of {runs} fresh processes; OS file cache warm"),
        Row("startup", "peak RSS of that process", f"{rss:.0f} MiB", "<= 1024 MiB", verdict(rss <= 1024),
            "os.wait4 rusage"),
    ]
