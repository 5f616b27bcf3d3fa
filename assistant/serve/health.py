"""/healthz: liveness, index facts and state, a database write check and free disk.

It is public (load balancers), so its body names no paths, hosts or counts; it answers 503
when the service is degraded (database not writable, disk nearly full).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.conversations import StorageError
from assistant.serve.deps import index_state_of
from assistant.serve.rebuild import created
from assistant.serve.store import database_target, store_of_app
from assistant.settings import Settings


def disk_space(path: Path) -> dict:
    """Free space of the file system holding ``path`` (its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError as error:
        return {"path": str(path), "error": str(error)}
    return {"path": str(path), "free_mb": usage.free // 2**20, "total_mb": usage.total // 2**20}


def health(app: FastAPI) -> tuple[dict, int]:
    """/healthz: index facts and state, database write check, free disk. 503 when degraded."""
    settings: Settings = app.state.settings
    current = app.state.assistant
    problems = []
    try:
        database = store_of_app(app).health()
    except StorageError as error:
        database = {"ok": False, "where": error.where, "error": error.reason}
    if not database.get("ok"):
        problems.append(f"database: {database.get('error')}")
    disk = None
    target = database_target(settings)
    if not isinstance(target, str):
        disk = disk_space(Path(target).parent)
        if disk.get("free_mb") is not None and disk["free_mb"] < settings.min_free_disk_mb:
            problems.append(f"disk: {disk['free_mb']} MB free under the conversation store "
                            f"(minimum {settings.min_free_disk_mb} MB)")
    status = "ok" if current else "loading"
    if problems:
        status = "degraded"
    # /healthz is public (load balancers): no paths, hosts or counts in it
    database = {k: v for k, v in database.items() if k in ("backend", "ok", "error", "journal_mode")}
    if disk:
        disk = {k: v for k, v in disk.items() if k in ("free_mb", "total_mb", "error")}
    body = {
        "status": status,
        "problems": problems,
        "documents": len(current.documents) if current else 0,
        "chunks": len(current.chunks) if current else 0,
        "embedder": current.default_embedder if current else None,
        "index": created(current.manifest) if current else None,
        "index_state": index_state_of(current) if current else None,
        "database": database,
        "disk": disk,
        "access": "on" if settings.secret else "off",
    }
    return body, 503 if problems else 200


def add_healthz(app: FastAPI) -> None:
    """Route GET /healthz (outside the API schema's /api prefix)."""

    @app.get("/healthz")
    def healthz(request: Request) -> JSONResponse:
        """Liveness, index facts and state, database write check, free disk (503 degraded)."""
        body, status = health(request.app)
        return JSONResponse(body, status_code=status)
