"""Real servers for the HTTP and browser tests: ``app.py`` (and the demo page) as subprocesses.

Built on ``devtools.servers`` (the benchmarks start the app the same way): each
server runs exactly as in production, on 127.0.0.1, pointed at the session's
index through ``BACKSPASM_INDEX_DIR`` and at temporary feedback and insights files. Every
wait is bounded; a server that does not come up fails the test with its log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.servers import LOOPBACK, ServerProcess, free_port, offline_environment

__all__ = ["app_env", "free_port", "running_apps", "running_demo_page"]


def app_env(index_dir: Path, feedback_path: Path, rate_limit: int = 0, **extra: str) -> dict[str, str]:
    """Environment overrides for ``app.py``: the test index, temporary feedback and insights stores, the rate limit."""
    return {
        "BACKSPASM_INDEX_DIR": str(index_dir),
        "BACKSPASM_FEEDBACK_ENABLED": "true",
        "BACKSPASM_FEEDBACK_PATH": str(feedback_path),
        "BACKSPASM_INSIGHTS_PATH": str(feedback_path.parent / "insights.sqlite3"),
        "BACKSPASM_SERVER_RATE_LIMIT_PER_MINUTE": str(rate_limit),
        **extra,
    }


@contextmanager
def running_apps(specs: list[tuple[str, dict[str, str]]], workdir: Path) -> Iterator[list[ServerProcess]]:
    """Start several ``app.py`` servers at once (their models load in parallel), stop them all at the end."""
    servers: list[ServerProcess] = []
    try:
        for name, env in specs:
            args = ["app.py", "--host", LOOPBACK, "--port", "{port}"]
            servers.append(ServerProcess(name, args, offline_environment(env), log_dir=workdir).start())
        for server in servers:
            server.wait_ready(timeout=180)
        yield servers
    finally:
        for server in servers:
            server.stop()


@contextmanager
def running_demo_page(bot_url: str, workdir: Path) -> Iterator[ServerProcess]:
    """The demo clinic page on its own port, its widget pointing at ``bot_url``."""
    args = ["-m", "webapp.demo", "--page-only", "--host", LOOPBACK, "--page-port", "{port}", "--bot-origin", bot_url]
    server = ServerProcess("demo-page", args, offline_environment(), health_path="/", log_dir=workdir).start()
    try:
        server.wait_ready(timeout=60)
        yield server
    finally:
        server.stop()
