"""Storage faults at the command line (issue 13): `mgi build` and `mgi serve` on a broken
disk or database say so in one line, without a traceback.

The HTTP side of storage faults is in test_handlers.py and test_health.py, the SQLite
backend's in test_sqlite.py, serving the last good index in test_rebuild.py.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest
from typer.testing import CliRunner

from .fakes import FakeAssistant


# ----------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("error, words", [
    (OSError(errno.ENOSPC, "No space left on device", "/srv/index/builds/.x.partial/chunks.jsonl"), "disk is full"),
    (OSError(errno.EROFS, "Read-only file system", "/srv/index/builds"), "read-only"),
    (sqlite3.OperationalError("database or disk is full"), "disk is full"),
])
def test_mgi_build_on_a_broken_disk_says_so_without_a_traceback(tmp_path, monkeypatch, error, words):
    """The issue: `mgi build` on a full or read-only disk ended in a 37-line traceback."""
    import assistant.ingest.build as build_module
    from assistant.cli import app

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(build_module, "build_index", broken)
    result = CliRunner().invoke(app, ["build", "--index", str(tmp_path / "index"),
                                      "--documents", str(tmp_path)])
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "error: cannot write" in output and words in output
    assert (getattr(error, "filename", None) or str(tmp_path / "index")) in output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_mgi_serve_on_a_broken_database_says_so(tmp_path, monkeypatch):
    import assistant.cli as cli
    from assistant.conversations import close_stores

    close_stores()
    monkeypatch.setattr(cli, "_open", lambda settings: FakeAssistant(settings))

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr("pathlib.Path.mkdir", read_only)
    monkeypatch.setenv("MGI_DATABASE", str(tmp_path / "ro" / "c.sqlite3"))
    result = CliRunner().invoke(cli.app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "read-only" in output and str(tmp_path / "ro" / "c.sqlite3") in output
    assert "Traceback" not in output


# ----------------------------------------------------------------------------- stale index



