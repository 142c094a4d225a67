"""The web servers the benchmarks start: a free port, gunicorn's readiness settings and
the wait until every worker answers. No Django here: helpdesk's side uses it too."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

READY_CONFIG = Path(__file__).resolve().with_name("gunicorn_ready.py")
READY_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready_file(log: Path) -> Path:
    """Where the server logging to ``log`` has its workers say they are ready (made empty)."""
    path = log.with_suffix(".ready")
    path.write_text("")
    return path


def get(port: int, path: str, headers: dict, timeout: float = 600) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_serving(
    server: subprocess.Popen,
    *,
    port: int,
    workers: int,
    ready: Path,
    log: Path,
    path: str = "/admin/login/",
    headers: dict | None = None,
) -> None:
    """Until each of the ``workers`` has loaded the application (``ready``, written by
    ``gunicorn_ready``) and the server answers ``path`` below 500. On a loaded machine a
    worker takes seconds to boot Django; a run started before would time its boot."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()}")
        booted = set(ready.read_text().split())
        if len(booted) >= workers:
            try:
                if get(port, path, headers or {}, timeout=30)[0] < 500:
                    return
            except OSError:
                pass
        time.sleep(0.2)
    server.terminate()
    booted = len(set(ready.read_text().split()))
    raise SystemExit(
        f"gunicorn on port {port}: {booted} of {workers} workers ready within {READY_SECONDS} s:\n"
        f"{log.read_text()}"
    )
