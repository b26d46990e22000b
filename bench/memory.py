"""Memory and start-up of the serving process.

Start-up is the time from launching ``python app.py`` to the first 200 from
``/healthz`` (the model and the index load before the server listens), over a
few launches. Memory is the serving process's resident set (``/proc/<pid>/status``):
right after start-up, its peak (VmHWM) after a warm-up over the evaluation set,
and its peak after a burst of concurrent load.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common import fmt, load_questions, machine_info, markdown_table, note, summarize, write_results
from bench.load import clamp, drive
from devtools.servers import AppProcess

DEFAULT_RUNS = 3
MAX_RUNS = 10
LOAD_CLIENTS = 20
LOAD_SECONDS = 30.0


def run(runs: int, load_clients: int, load_seconds: float, index_dir: Path | None) -> dict[str, Any]:
    questions, source = load_questions()
    startups: list[float] = []
    for n in range(runs - 1):
        note(f"memory: start-up {n + 1} of {runs}")
        with AppProcess("startup", index_dir) as app:
            startups.append(app.wait_ready())
    note(f"memory: start-up {runs} of {runs}, then warm-up and load")
    with AppProcess("memory", index_dir) as app:
        startups.append(app.wait_ready())
        idle = app.memory()
        for q in questions:  # every question once, sequentially
            drive_one(app.url, q)
        warm = app.memory()
        loaded = drive(app.url, questions, load_clients, load_seconds, server_pids=[app.pid]).summary()
        after = app.memory()
    return {
        "questions": source,
        "startup_s": [round(s, 2) for s in startups],
        "startup_summary_s": summarize(startups),
        "after_startup_mib": idle,
        "after_warmup_mib": warm,
        "after_load_mib": after,
        "load": {"clients": load_clients, "seconds": load_seconds, "requests": loaded["requests"], "errors": loaded["errors"]},
    }


def drive_one(url: str, question: Any) -> None:
    import httpx

    httpx.post(url + "/api/ask", json={"message": question.text, "history": question.history}, timeout=30.0)


def report(result: dict[str, Any]) -> str:
    s = result["startup_summary_s"]
    load = result["load"]
    rows = [
        ["after start-up (idle)", result["after_startup_mib"]["rss_mib"], result["after_startup_mib"]["peak_rss_mib"]],
        [f"after warm-up ({result['questions']}, sequential)", result["after_warmup_mib"]["rss_mib"], result["after_warmup_mib"]["peak_rss_mib"]],
        [f"after load ({load['clients']} clients, {load['seconds']:.0f} s, {load['requests']:,} requests, {load['errors']} errors)",
         result["after_load_mib"]["rss_mib"], result["after_load_mib"]["peak_rss_mib"]],
    ]
    return "\n\n".join(
        [
            f"Start-up, `python app.py` to the first 200 from `/healthz`: median {fmt(s['p50'], 2)} s over {s['n']} launches "
            f"({', '.join(f'{x:.2f}' for x in result['startup_s'])} s).",
            markdown_table(["serving process", "RSS MiB", "peak RSS (VmHWM) MiB"], rows),
        ]
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"launches timed for start-up (default {DEFAULT_RUNS}, at most {MAX_RUNS})")
    parser.add_argument("--load-clients", type=int, default=LOAD_CLIENTS, help=f"clients of the load burst (default {LOAD_CLIENTS})")
    parser.add_argument("--load-seconds", type=float, default=LOAD_SECONDS, help=f"seconds of the load burst (default {LOAD_SECONDS:.0f})")
    parser.add_argument("--index-dir", type=Path, default=None, help="index for the app (default: config [index] dir)")


def execute(args: argparse.Namespace) -> int:
    runs = max(1, min(MAX_RUNS, args.runs))
    clients, seconds = clamp(args.load_clients, args.load_seconds)
    machine = machine_info()
    result = run(runs, clients, seconds, args.index_dir)
    write_results("memory", result, report(result), machine)
    return 0
