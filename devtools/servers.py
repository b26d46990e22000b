"""Start ``app.py`` as a real server on loopback, and stop it: shared by the tests and the benchmarks.

Each server runs exactly as in production (model and index loaded once,
uvicorn on 127.0.0.1), pointed where the caller says through environment
variables (``BACKSPASM_INDEX_DIR`` …). Every wait is bounded; a server that does
not come up raises with the tail of its log.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from settings import PROJECT_ROOT

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 300.0  # seconds: a cold model load on a busy 2-core machine
STOP_TIMEOUT = 15.0


def proc_memory_mib(pid: int | str = "self") -> dict[str, float | None]:
    """Resident set size now (VmRSS) and at its peak (VmHWM), in MiB, from /proc."""
    values: dict[str, float | None] = {"rss_mib": None, "peak_rss_mib": None}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                values["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
            elif line.startswith("VmHWM:"):
                values["peak_rss_mib"] = round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return values


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def stop_process(process: subprocess.Popen) -> None:
    """Ask a server to stop (SIGTERM: a graceful shutdown), then kill it if it has not within the timeout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


def offline_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, offline (no hub, no analytics) and unbuffered, plus ``extra``."""
    env = dict(os.environ)
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra or {})
    return env


def app_environment(index_dir: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The app's environment for a benchmark: offline, rate limit off, no feedback or insights written (unless ``extra`` says so)."""
    base = {"BACKSPASM_SERVER_RATE_LIMIT_PER_MINUTE": "0", "BACKSPASM_FEEDBACK_ENABLED": "false", "BACKSPASM_INSIGHTS_ENABLED": "false"}
    if index_dir is not None:
        base["BACKSPASM_INDEX_DIR"] = str(index_dir)
    return offline_environment({**base, **(extra or {})})


class ServerProcess:
    """``python <args>`` in the project folder, listening on a free loopback port; knows its start-up time and memory.

    ``args`` may use ``{port}``. The log goes to ``log_dir`` (a temporary folder,
    removed on stop, unless the caller gives one to keep).
    """

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], health_path: str = "/healthz", log_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.args = [a.format(port=self.port) for a in args]
        self.health_path = health_path
        self._own_logs = log_dir is None
        self._logdir = log_dir or Path(tempfile.mkdtemp(prefix=f"server-{name}-"))
        self.log_path = self._logdir / f"{name}.log"
        self._env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_seconds: float | None = None

    def start(self) -> ServerProcess:
        with self.log_path.open("wb") as log:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                [sys.executable, *self.args], cwd=PROJECT_ROOT, env=self._env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT, poll: float = 0.05) -> float:
        """Seconds from ``start()`` to the first 200 from the health path; raises with the log's tail otherwise."""
        import httpx

        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with status {self.process.returncode}:\n{self.log_text()[-3000:]}")
                try:
                    if client.get(self.url + self.health_path).status_code == 200:
                        self.ready_seconds = time.perf_counter() - self.started_at
                        return self.ready_seconds
                except httpx.HTTPError:
                    pass
                time.sleep(poll)
        tail = self.log_text()[-3000:]
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{tail}")

    def memory(self) -> dict[str, float | None]:
        return proc_memory_mib(self.pid)

    def stop(self) -> None:
        """Stop the server; its own temporary log folder goes too (a failure to start has shown the log's tail)."""
        if self.process is not None:
            stop_process(self.process)
        if self._own_logs:
            shutil.rmtree(self._logdir, ignore_errors=True)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AppProcess(ServerProcess):
    """``python app.py`` on a free loopback port, with the benchmark defaults (rate limit, feedback and insights off)."""

    def __init__(
        self, name: str = "app", index_dir: Path | None = None, extra_env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        args = ["app.py", "--host", LOOPBACK, "--port", "{port}"]
        super().__init__(name, args, app_environment(index_dir, extra_env), log_dir=log_dir)
