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
