"""The background rebuild (``mgi serve --rebuild``): when the documents changed since the
index was built, the last good index is served and flagged while a thread rebuilds it and
swaps a freshly opened Assistant in atomically.
"""

from __future__ import annotations

import fcntl
import logging
import threading

from fastapi import FastAPI

from assistant.core import Assistant
from assistant.settings import Settings

log = logging.getLogger("assistant.serve.api")  # the logger the rebuild always used


def rebuild(app: FastAPI, settings: Settings) -> None:
    """Rebuild the index in this thread, then swap a freshly opened Assistant in.

    Workers share one index folder, so the build runs under an exclusive file lock: the
    first worker builds, the others wait and then find it up to date (``build_index``
    returns at once) and only reopen. Requests keep using the old Assistant until the
    single attribute assignment that swaps it (atomic under the GIL)."""
    from assistant.ingest.build import build_index

    old = app.state.assistant
    state = getattr(old, "index_state", None)
    if isinstance(state, dict):
        state["rebuilding"] = True
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.index_dir / ".rebuild.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                build_index(settings, progress=False)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        fresh = Assistant.open(settings)
        fresh.warm_up()
        app.state.assistant = fresh
        log.warning("index rebuilt and swapped in (%s)", created(fresh.manifest))
    except Exception as error:  # noqa: BLE001 - keep serving the last good index
        log.error("background rebuild failed: %s", error)
        if isinstance(state, dict):
            state.update(rebuilding=False, error=f"rebuild failed: {error}")


def created(manifest) -> str | None:
    """The build time of a manifest (typed, or a dict)."""
    if isinstance(manifest, dict):
        return manifest.get("created")
    return getattr(manifest, "created", None)


def start_rebuild(app: FastAPI, settings: Settings) -> threading.Thread:
    """Run ``rebuild`` in a daemon thread (``app.state.rebuild_thread``)."""
    thread = threading.Thread(target=rebuild, args=(app, settings), name="mgi-rebuild", daemon=True)
    thread.start()
    app.state.rebuild_thread = thread
    return thread
