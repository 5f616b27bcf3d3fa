"""Durability: a build killed with SIGKILL leaves the previous index loading and answering;
a corrupted index file is detected at load (checksums) and `mgi build` repairs it.

Both drive the real `mgi` command as a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import ROOT, make_documents_dir

if TYPE_CHECKING:
    from assistant.settings import Settings

QUESTION = "¿Qué derechos tienen los refugiados en México?"


def mgi_command() -> list[str]:
    script = Path(sys.executable).parent / "mgi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]


def copy_index(settings: Settings, target: Path) -> Settings:
    """A private copy of a built index (``current`` stays a relative symlink)."""
    shutil.copytree(settings.index_dir, target, symlinks=True)
    return settings.model_copy(update={"index_dir": target})


def current_build(settings: Settings) -> Path:
    return (settings.index_dir / "current").resolve()


def answers(settings: Settings) -> None:
    """The index at ``settings`` loads (checksums verified) and answers with citations."""
    from assistant.core import Assistant

    answer = Assistant.open(settings).ask(QUESTION)
    assert answer.retrieved and not answer.refused and answer.citations


def test_sigkill_during_build_keeps_the_previous_index(built_index_settings, tmp_path):
    settings = copy_index(built_index_settings, tmp_path / "index")
    before = current_build(settings)
    manifest_before = (before / "manifest.json").read_text()
    cache = tmp_path / "cache"  # an empty embedding cache: the build must embed every chunk
    env = {**os.environ, "MGI_CACHE_DIR": str(cache), "MGI_CHUNK_CHARS": "500",
           "MGI_EMBEDDER": built_index_settings.embedder}
    process = subprocess.Popen(
        [*mgi_command(), "build", "-q", "--index", str(settings.index_dir),
         "--documents", str(settings.documents_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    builds = settings.index_dir / "builds"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            partial = [p for p in builds.glob(".*.partial") if (p / "chunks.jsonl").exists()]
            if partial and (cache / "embeddings.sqlite3").exists():
                break  # chunks written, embedding under way
            time.sleep(0.02)
        assert process.poll() is None, "the build ended before it could be killed: " + \
            process.stderr.read().decode()[-1000:]
        time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert list(builds.glob(".*.partial")), "the killed build left no partial folder"
    assert current_build(settings) == before
    assert (before / "manifest.json").read_text() == manifest_before
    answers(settings)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    """A real index of one law (quick to rebuild), embeddings from the repo cache."""
    from assistant.ingest.build import build_index
    from assistant.settings import get_settings

    base = tmp_path_factory.mktemp("durable")
    settings = get_settings(documents_dir=make_documents_dir(base / "documents", ids=("ley-refugiados",)),
                            index_dir=base / "index", cache_dir=ROOT / ".cache",
                            embedder="sentence-transformers")
    build_index(settings, progress=False)
    return settings


def flip_bytes(path: Path) -> None:
    """Corrupt a file in place: invert a few bytes in its middle (same size)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + 8, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["chunks.jsonl", "dense-sentence-transformers.faiss", "documents.jsonl"])
def test_corruption_is_detected_at_load(small_index, tmp_path, name):
    from assistant.core import Assistant
    from assistant.storage import IndexProblem

    settings = copy_index(small_index, tmp_path / "index")
    flip_bytes(current_build(settings) / name)
    with pytest.raises(IndexProblem, match="corrupted") as problem:
        Assistant.open(settings)
    assert name in str(problem.value) and "mgi build" in str(problem.value)


def test_corrupted_index_fails_clearly_and_build_repairs_it(small_index, tmp_path):
    settings = copy_index(small_index, tmp_path / "index")
    flip_bytes(current_build(settings) / "chunks.jsonl")
    env = {**os.environ, "MGI_CACHE_DIR": str(small_index.cache_dir), "MGI_EMBEDDER": small_index.embedder}
    where = ["--index", str(settings.index_dir), "--documents", str(settings.documents_dir)]

    asked = subprocess.run([*mgi_command(), "ask", QUESTION, *where],
                           capture_output=True, text=True, timeout=300, env=env)
    assert asked.returncode != 0
    assert "chunks.jsonl" in asked.stderr and "corrupted" in asked.stderr and "mgi build" in asked.stderr
    assert "Traceback" not in asked.stderr + asked.stdout

    built = subprocess.run([*mgi_command(), "build", "-q", *where],
                           capture_output=True, text=True, timeout=600, env=env)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "Traceback" not in built.stderr
    manifest = json.loads((current_build(settings) / "manifest.json").read_text())
    assert list(manifest["documents"]) == ["ley-refugiados"]
    answers(settings)
