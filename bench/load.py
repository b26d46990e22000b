"""Load: ``POST /api/ask`` from N concurrent clients for T seconds against ``app.py`` on loopback.

The app runs as a subprocess exactly as in production, with the rate limit off
(``BACKSPASM_SERVER_RATE_LIMIT_PER_MINUTE=0``) and feedback storage off. Each
client is closed-loop: it sends a question drawn from the evaluation set,
waits for the reply, and sends the next at once (no think time), so N clients
keep N requests in flight. A request counts as an error unless it gets a 200
whose reply ends with the referral text. Requests in flight at the deadline are
allowed to finish and are counted. The load generator runs on the same two
cores as the server, so its own CPU time is reported too; it is a lean asyncio
client (``devtools/http_client.py``) so that it takes little of them.

After the main run (default 20 clients, 60 s) a sweep over 1, 5, 10, 20, 50
clients (shorter steps) shows how throughput and p95 change with concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Question, fmt, load_questions, machine_info, markdown_table, note, summarize, write_results
from devtools.http_client import HTTPError, KeepAliveClient
from devtools.servers import AppProcess

MAX_CLIENTS = 100
MAX_DURATION = 300.0
DEFAULT_CLIENTS = 20
DEFAULT_DURATION = 60.0
DEFAULT_SWEEP = (1, 5, 10, 20, 50)
DEFAULT_SWEEP_DURATION = 15.0
REQUEST_TIMEOUT = 30.0
TARGET_P95_MS = 300.0
WARMUP_REQUESTS = 20
DEFAULT_REPEAT = 3
MAX_REPEAT = 5


@dataclass
class LoadResult:
    clients: int
    duration_s: float  # asked for
    elapsed_s: float  # first request sent to last reply received
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None

    @property
    def completed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        return self.completed - self.outcomes.get("ok", 0)

    def summary(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "duration_s": self.duration_s,
            "elapsed_s": round(self.elapsed_s, 2),
            "requests": self.completed,
            "errors": self.errors,
            "outcomes": dict(self.outcomes),
            "throughput_rps": round(self.completed / self.elapsed_s, 2) if self.elapsed_s else None,
            "latency_ms": summarize(self.latencies_ms),
            "client_cpu_s": round(self.client_cpu_s, 2),
            "server_cpu_s": round(self.server_cpu_s, 2) if self.server_cpu_s is not None else None,
        }


def clamp(clients: int, duration: float) -> tuple[int, float]:
    """Hard caps: a typo must not start 10,000 clients or run for a day."""
    return max(1, min(MAX_CLIENTS, int(clients))), max(1.0, min(MAX_DURATION, float(duration)))


def _outcome(status: int, body: bytes) -> str:
    if status != 200:
        return f"http_{status}"
    try:
        reply = json.loads(body)
    except ValueError:
        return "bad_json"
    parts = reply.get("parts") if isinstance(reply, dict) else None
    if not parts or parts[-1].get("kind") != "referral":
        return "no_referral"
    return "ok"


async def _drive(url: str, questions: list[Question], clients: int, duration: float, seed: int) -> LoadResult:
    result = LoadResult(clients, duration, 0.0)
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    deadline = loop.time() + duration
    last_reply = start
    serial = itertools.count(seed * 1_000_000)

    async def one(n: int) -> None:
        nonlocal last_reply
        rng = random.Random(seed * 7919 + n)
        client = KeepAliveClient(url, REQUEST_TIMEOUT)
        try:
            while loop.time() < deadline:
                q = rng.choice(questions)
                # Each request a message the server has not seen: it keeps the query vectors of recent
                # messages (a conversation's history comes back every turn), and a benchmark that
                # repeats the evaluation set would measure that memory, not answering.
                message = f"{q.text} ({next(serial)})"
                t = time.perf_counter()
                try:
                    outcome = _outcome(*await client.post_json("/api/ask", {"message": message, "history": q.history}))
                except HTTPError as exc:
                    outcome = str(exc).split(":", 1)[0]
                now = time.perf_counter()
                result.latencies_ms.append((now - t) * 1000)
                result.outcomes[outcome] += 1
                last_reply = max(last_reply, now)
        finally:
            await client.close()

    await asyncio.gather(*(one(n) for n in range(clients)))
    result.elapsed_s = last_reply - start
    return result


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        import os

        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def drive(url: str, questions: list[Question], clients: int, duration: float, seed: int = 1, server_pids: list[int] | None = None) -> LoadResult:
    """Run one load step and measure the CPU the client and the server(s) spent on it."""
    clients, duration = clamp(clients, duration)
    own = resource.getrusage(resource.RUSAGE_SELF)
    servers_before = [_cpu_seconds(p) for p in server_pids or []]
    result = asyncio.run(_drive(url, questions, clients, duration, seed))
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu_s = (after.ru_utime - own.ru_utime) + (after.ru_stime - own.ru_stime)
    servers_after = [_cpu_seconds(p) for p in server_pids or []]
    if server_pids and all(v is not None for v in servers_before + servers_after):
        result.server_cpu_s = sum(a - b for a, b in zip(servers_after, servers_before))  # type: ignore[operator]
    return result


def warm_up(url: str, questions: list[Question]) -> None:
    """A few sequential questions and a short concurrent burst, not measured."""
    drive(url, questions[:WARMUP_REQUESTS], 1, 3.0, seed=99)
    drive(url, questions, 4, 3.0, seed=98)


def step_row(s: dict[str, Any]) -> list[Any]:
    lat = s["latency_ms"]
    cpu = f"{s['server_cpu_s'] / s['elapsed_s']:.2f}" if s.get("server_cpu_s") is not None and s["elapsed_s"] else "–"
    return [
        s["clients"], fmt(s["elapsed_s"]), s["requests"], s["errors"], fmt(s["throughput_rps"]),
        fmt(lat["p50"]), fmt(lat["p95"]), fmt(lat["p99"]), cpu, f"{s['client_cpu_s'] / s['elapsed_s']:.2f}" if s["elapsed_s"] else "–",
    ]


STEP_HEADERS = ["clients", "seconds", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "server cores busy", "load-generator cores busy"]


def run(
    clients: int, duration: float, sweep: list[int], sweep_duration: float, index_dir: Path | None,
    server_env: dict[str, str] | None = None, repeat: int = 1,
) -> dict[str, Any]:
    questions, source = load_questions()
    note(f"load: starting app.py (rate limit off{', ' + str(server_env) if server_env else ''})")
    with AppProcess("load", index_dir, server_env) as app:
        startup_s = app.wait_ready()
        note(f"load: ready after {startup_s:.1f} s on {app.url}; warming up")
        warm_up(app.url, questions)
        memory_warm = app.memory()
        runs = []
        for n in range(repeat):
            note(f"load: {clients} clients for {duration:.0f} s (run {n + 1} of {repeat})")
            runs.append(drive(app.url, questions, clients, duration, seed=1 + n, server_pids=[app.pid]).summary())
        main = median_run(runs)
        steps = []
        for n in sweep:
            note(f"load: sweep step {n} client(s) for {sweep_duration:.0f} s")
            steps.append(drive(app.url, questions, n, sweep_duration, seed=n, server_pids=[app.pid]).summary())
        memory_after = app.memory()
        alive = app.process is not None and app.process.poll() is None
    return {
        "questions": source,
        "target": {"clients": DEFAULT_CLIENTS, "p95_ms_below": TARGET_P95_MS, "errors": 0},
        "server_env": server_env or {},
        "server": {"startup_s": round(startup_s, 2), "memory_after_warmup_mib": memory_warm, "memory_after_load_mib": memory_after, "alive_at_end": alive},
        "main": main,
        "runs": runs,
        "sweep": steps,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose p95 is the median (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda r: r["latency_ms"]["p95"] if r["latency_ms"]["p95"] is not None else float("inf"))
    return ordered[(len(ordered) - 1) // 2]


def meets_target(step: dict[str, Any]) -> bool:
    p95 = step["latency_ms"]["p95"]
    return step["errors"] == 0 and p95 is not None and p95 < TARGET_P95_MS


def report(result: dict[str, Any]) -> str:
    main = result["main"]
    runs = result.get("runs") or [main]
    met = meets_target(main)
    env = result.get("server_env") or {}
    lines = [
        f"`POST /api/ask` against one `app.py` on loopback{' with ' + ', '.join(f'`{k}={v}`' for k, v in env.items()) if env else ''}; "
        f"closed-loop clients, questions from {result['questions']}. "
        f"Target at {DEFAULT_CLIENTS} clients: no errors and p95 < {TARGET_P95_MS:.0f} ms.",
        markdown_table(STEP_HEADERS, [step_row(r) for r in runs]),
        f"**{'Meets' if met else 'Misses'} the target** at {main['clients']} clients"
        f"{f' (the run with the median p95 of {len(runs)}; {sum(map(meets_target, runs))} of {len(runs)} runs meet it)' if len(runs) > 1 else ''}: "
        f"{main['errors']} errors, p95 {fmt(main['latency_ms']['p95'])} ms, {fmt(main['throughput_rps'])} req/s.",
    ]
    if result["sweep"]:
        lines += ["Sweep (how throughput and p95 change with concurrency):", markdown_table(STEP_HEADERS, [step_row(s) for s in result["sweep"]])]
    server = result["server"]
    lines.append(
        f"Server: ready {server['startup_s']} s after start; peak RSS {server['memory_after_warmup_mib']['peak_rss_mib']} MiB after the "
        f"warm-up, {server['memory_after_load_mib']['peak_rss_mib']} MiB after the load. \"Cores busy\" is CPU seconds per second of the run "
        "(2 = both cores); the load generator shares the machine."
    )
    return "\n\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help=f"run the main step this many times on one server (default {DEFAULT_REPEAT}, at most {MAX_REPEAT}): these machines are noisy")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options the nginx benchmark shares."""
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS, help=f"concurrent clients (default {DEFAULT_CLIENTS}, at most {MAX_CLIENTS})")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION, help=f"seconds (default {DEFAULT_DURATION:.0f}, at most {MAX_DURATION:.0f})")
    parser.add_argument("--sweep", default=",".join(map(str, DEFAULT_SWEEP)), help="client counts for the sweep, comma-separated ('' for none)")
    parser.add_argument("--sweep-duration", type=float, default=DEFAULT_SWEEP_DURATION, help=f"seconds per sweep step (default {DEFAULT_SWEEP_DURATION:.0f})")
    parser.add_argument("--index-dir", type=Path, default=None, help="index for the app (default: config [index] dir)")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the app, e.g. OMP_NUM_THREADS=1 or BACKSPASM_SERVER_CONCURRENCY_LIMIT=2 (repeatable)")
    parser.add_argument("--name", default=None, help="results file name (default: the benchmark's), to keep an experiment apart")


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--server-env wants KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def parse_sweep(text: str) -> list[int]:
    return [clamp(int(s), 1)[0] for s in text.split(",") if s.strip()]


def execute(args: argparse.Namespace) -> int:
    clients, duration = clamp(args.clients, args.duration)
    _, sweep_duration = clamp(1, args.sweep_duration)
    machine = machine_info()
    repeat = max(1, min(MAX_REPEAT, args.repeat))
    result = run(clients, duration, parse_sweep(args.sweep), sweep_duration, args.index_dir, parse_env(args.server_env), repeat)
    write_results(args.name or "load", result, report(result), machine)
    return 0
