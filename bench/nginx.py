"""Two ``app.py`` processes behind Debian's nginx on loopback, under the same load as ``bench load``.

The app keeps no state between requests and reads its index as a read-only
folder, so any number of processes (or machines) can serve behind a load
balancer. This shows it: two app processes on free 127.0.0.1 ports, nginx
(config written to a temporary folder, started with ``-c`` and ``-p``,
listening on 127.0.0.1 only, stopped at the end) balancing between them, and
the load benchmark's clients driving nginx. nginx's access log (in the
temporary folder) records which process answered, to show both did.

The backends run with ``OMP_NUM_THREADS=1`` unless ``--server-env`` says otherwise:
two processes with two torch threads each on two cores fight over them.

When nginx is missing it is installed with ``apt-get install -y nginx-light``
(as root); a temporary ``/usr/sbin/policy-rc.d`` stops the package from
starting a system-wide nginx on port 80 during the install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import fmt, load_questions, machine_info, markdown_table, note, write_results
from bench.load import (
    DEFAULT_CLIENTS,
    DEFAULT_DURATION,
    STEP_HEADERS,
    TARGET_P95_MS,
    clamp,
    drive,
    parse_env,
    parse_sweep,
    step_row,
    warm_up,
)
from bench.load import (
    add_common_arguments as add_load_arguments,
)
from devtools.servers import LOOPBACK, AppProcess, free_port

BACKENDS = 2
# Two processes on two cores: torch (used at start-up) with one thread each, or their thread pools fight over the cores.
DEFAULT_BACKEND_ENV = {"OMP_NUM_THREADS": "1"}
POLICY_RC = Path("/usr/sbin/policy-rc.d")
INSTALL_HINT = "install Debian's nginx with `apt-get install -y nginx-light` (or `nginx`) and run this again"

CONFIG = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$upstream_addr $status $request_time';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64k;
    upstream backspasm {{
        least_conn;
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://backspasm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


def ensure_nginx() -> str:
    """The nginx binary, installing Debian's package when it is missing and we may."""
    found = find_nginx()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"nginx is not installed: {INSTALL_HINT}")
    note("nginx not found: installing Debian's nginx-light (apt-get install -y nginx-light)…")
    guard = not POLICY_RC.exists()
    if guard:  # keep the package from starting a system-wide nginx on port 80
        POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for package in ("nginx-light", "nginx"):
            done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", package], env=env, capture_output=True, text=True)
            if done.returncode != 0 and "Unable to locate" in done.stderr + done.stdout:
                subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
                done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", package], env=env, capture_output=True, text=True)
            if done.returncode == 0 and find_nginx():
                note(f"installed {package}")
                return find_nginx()  # type: ignore[return-value]
    finally:
        if guard:
            POLICY_RC.unlink(missing_ok=True)
    raise SystemExit(f"could not install nginx: {INSTALL_HINT}")


class Nginx:
    """nginx on a free loopback port in front of ``backends``, from a temporary prefix."""

    def __init__(self, binary: str, backends: list[str]) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.dir.chmod(0o755)  # nginx's workers run as nobody and need to reach their temp folders
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        servers = "\n".join(f"        server {b.removeprefix('http://')};" for b in backends)
        self.config = self.dir / "nginx.conf"
        self.config.write_text(CONFIG.format(dir=self.dir, servers=servers, host=LOOPBACK, port=self.port), encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        import httpx

        test = subprocess.run([self.binary, "-t", "-c", str(self.config), "-p", str(self.dir)], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx rejected its config: {test.stderr.strip()}")
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config), "-p", str(self.dir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'stderr.log').read_text(errors='replace')}{self.error_log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx not answering on {self.url}: {self.error_log()}")

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def upstream_counts(self) -> Counter[str]:
        path = self.dir / "access.log"
        if not path.exists():
            return Counter()
        return Counter(line.split()[0] for line in path.read_text().splitlines() if line.strip())

    def reset_log(self) -> None:
        (self.dir / "access.log").write_text("")
        if self.process is not None:
            self.process.send_signal(__import__("signal").SIGUSR1)  # reopen the log file
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown of master and workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        shutil.rmtree(self.dir, ignore_errors=True)


def run(
    clients: int, duration: float, sweep: list[int], sweep_duration: float, index_dir: Path | None, server_env: dict[str, str] | None = None
) -> dict[str, Any]:
    binary = ensure_nginx()
    version = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    questions, source = load_questions()
    apps = [AppProcess(f"backend{i}", index_dir, server_env) for i in range(BACKENDS)]
    proxy: Nginx | None = None
    try:
        note(f"nginx: starting {BACKENDS} app.py processes")
        for app in apps:
            app.start()
        startup = [round(app.wait_ready(), 2) for app in apps]
        proxy = Nginx(binary, [app.url for app in apps])
        proxy.start()
        note(f"nginx: {version} on {proxy.url} → {', '.join(a.url for a in apps)}; warming up")
        warm_up(proxy.url, questions)
        proxy.reset_log()
        pids = [app.pid for app in apps]
        note(f"nginx: {clients} clients for {duration:.0f} s")
        main = drive(proxy.url, questions, clients, duration, server_pids=pids).summary()
        shares = proxy.upstream_counts()
        steps = []
        for n in sweep:
            note(f"nginx: sweep step {n} client(s) for {sweep_duration:.0f} s")
            steps.append(drive(proxy.url, questions, n, sweep_duration, seed=n, server_pids=pids).summary())
        memory = {app.name: app.memory() for app in apps}
    finally:
        if proxy is not None:
            proxy.stop()
        for app in apps:
            app.stop()
    return {
        "questions": source,
        "nginx": version,
        "backends": BACKENDS,
        "server_env": server_env or {},
        "backend_startup_s": startup,
        "requests_per_backend": dict(shares),
        "backend_memory_mib": memory,
        "main": main,
        "sweep": steps,
    }


def report(result: dict[str, Any]) -> str:
    main = result["main"]
    met = main["errors"] == 0 and main["latency_ms"]["p95"] is not None and main["latency_ms"]["p95"] < TARGET_P95_MS
    shares = ", ".join(f"{addr}: {n:,}" for addr, n in sorted(result["requests_per_backend"].items())) or "–"
    lines = [
        f"`POST /api/ask` through {result['nginx']} on loopback (`least_conn`), balancing over {result['backends']} `app.py` processes "
        f"on the same machine, each with {', '.join(f'`{k}={v}`' for k, v in result['server_env'].items()) or 'the default environment'}; "
        f"closed-loop clients, questions from {result['questions']}.",
        markdown_table(STEP_HEADERS, [step_row(main)]),
        f"**{'Meets' if met else 'Misses'}** the single-server target (no errors, p95 < {TARGET_P95_MS:.0f} ms) at {main['clients']} clients. "
        f"Requests answered per backend in the main run (nginx's log): {shares}.",
    ]
    if result["sweep"]:
        lines += ["Sweep:", markdown_table(STEP_HEADERS, [step_row(s) for s in result["sweep"]])]
    lines.append(
        "Both processes share the same 2 cores here, so this shows that the app runs unchanged behind a load balancer "
        f"(stateless, read-only index) rather than extra capacity; \"server cores busy\" sums both processes. Backends ready after {fmt(result['backend_startup_s'])} s."
    )
    return "\n\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_load_arguments(parser)
    parser.set_defaults(sweep="", clients=DEFAULT_CLIENTS, duration=DEFAULT_DURATION)


def execute(args: argparse.Namespace) -> int:
    clients, duration = clamp(args.clients, args.duration)
    _, sweep_duration = clamp(1, args.sweep_duration)
    machine = machine_info()
    env = {**DEFAULT_BACKEND_ENV, **parse_env(args.server_env)}
    result = run(clients, duration, parse_sweep(args.sweep), sweep_duration, args.index_dir, env)
    write_results(args.name or "nginx", result, report(result), machine)
    return 0
