"""Real servers for the HTTP and browser tests: ``app.py`` (and the demo page) as subprocesses.

Each server runs exactly as in production (model and index loaded once, uvicorn
on 127.0.0.1), pointed at the session's index through ``BACKSPASM_INDEX_DIR``
and at a temporary feedback file. Every wait is bounded; a server that does not
come up fails the test with the tail of its log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import free_port, stop_process  # the benchmarks start and stop app.py the same way
from settings import PROJECT_ROOT

STARTUP_TIMEOUT = 180.0  # seconds: loading the model on a slow CI machine


@dataclass
class Server:
    """A running subprocess serving on ``url``; ``log`` holds its stdout and stderr."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


def _env(overrides: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def start(args: list[str], log: Path, env: Mapping[str, str], url: str) -> Server:
    """Start ``python <args>`` in the project folder, logging to ``log``; returns at once."""
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=_env(env), stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    return Server(process, url, log)


def wait_ready(server: Server, path: str = "/healthz", timeout: float = STARTUP_TIMEOUT) -> None:
    """Poll ``path`` until it answers 200; fail with the server's log if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_text()[-3000:]}")
        try:
            if httpx.get(server.url + path, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{server.log_text()[-3000:]}")


def app_env(index_dir: Path, feedback_path: Path, rate_limit: int = 0, **extra: str) -> dict[str, str]:
    """Environment overrides for ``app.py``: the test index, a temporary feedback store, the rate limit."""
    return {
        "BACKSPASM_INDEX_DIR": str(index_dir),
        "BACKSPASM_FEEDBACK_ENABLED": "true",
        "BACKSPASM_FEEDBACK_PATH": str(feedback_path),
        "BACKSPASM_SERVER_RATE_LIMIT_PER_MINUTE": str(rate_limit),
        **extra,
    }


@contextmanager
def running_apps(specs: list[tuple[str, dict[str, str]]], workdir: Path) -> Iterator[list[Server]]:
    """Start several ``app.py`` servers at once (their models load in parallel), stop them all at the end."""
    servers: list[Server] = []
    try:
        for name, env in specs:
            port = free_port()
            servers.append(
                start(["app.py", "--host", "127.0.0.1", "--port", str(port)], workdir / f"{name}.log", env, f"http://127.0.0.1:{port}")
            )
        for server in servers:
            wait_ready(server)
        yield servers
    finally:
        for server in servers:
            server.stop()


@contextmanager
def running_demo_page(bot_url: str, workdir: Path) -> Iterator[Server]:
    """The demo clinic page on its own port, its widget pointing at ``bot_url``."""
    port = free_port()
    server = start(
        ["-m", "webapp.demo", "--page-only", "--host", "127.0.0.1", "--page-port", str(port), "--bot-origin", bot_url],
        workdir / "demo-page.log",
        {},
        f"http://127.0.0.1:{port}",
    )
    try:
        wait_ready(server, "/", timeout=60)
        yield server
    finally:
        server.stop()
