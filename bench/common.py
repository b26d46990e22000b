"""What every benchmark shares: the machine's description, percentiles, result files, questions, app processes.

Figures are only comparable with the machine and the command next to them, so
every result file records both. Benchmarks that need a server start ``app.py``
as a subprocess on a free 127.0.0.1 port, exactly as in production, and stop it
themselves; nothing listens on anything but loopback.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
EVAL_SET = PROJECT_ROOT / "eval" / "questions.jsonl"
LOOPBACK = "127.0.0.1"

# Used only while eval/questions.jsonl is missing: realistic patient questions, one per topic.
FALLBACK_QUESTIONS = (
    "should i just stay in bed till my back stops seizing up?",
    "ice or heat first?",
    "can I take ibuprofen for a back spasm?",
    "what do muscle relaxants do and are they safe?",
    "which stretches help a lower back spasm?",
    "does massage actually help back spasms?",
    "is it worth seeing a chiropractor for my back?",
    "what is the best treatment for back spasms?",
    "how do I combine heat, stretching and rest?",
    "how long does a back spasm usually last?",
    "my back keeps cramping when I bend over, what can I do?",
    "can I book an appointment at the clinic?",
)

# The command line as the user typed it; set by ``bench.__main__`` before a benchmark runs.
COMMAND: list[str] = ["python", "-m", "bench"]


@dataclass(frozen=True)
class Question:
    """One draw for a benchmark: the text and (for follow-ups) its conversation."""

    text: str
    history: list[dict[str, Any]] = field(default_factory=list)
    id: str = ""
    category: str = ""


def load_questions(path: Path = EVAL_SET) -> tuple[list[Question], str]:
    """The evaluation set's questions (with their histories), or the fallback list; also says which."""
    if path.exists():
        questions = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    raw = json.loads(line)
                    questions.append(
                        Question(str(raw["question"]), list(raw.get("history") or []), str(raw.get("id", "")), str(raw.get("category", "")))
                    )
        if questions:
            return questions, f"{path.relative_to(PROJECT_ROOT)} ({len(questions)} questions)"
    return [Question(q) for q in FALLBACK_QUESTIONS], f"built-in fallback list ({len(FALLBACK_QUESTIONS)} questions)"


# -- the machine -------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python, torch threads and the query runtime: what a reader needs to compare figures."""
    try:
        import torch

        torch_threads: int | None = torch.get_num_threads()
        torch_version: str | None = torch.__version__
    except ImportError:
        torch_threads, torch_version = None, None
    from settings import load_settings

    runtime = load_settings().embedder.query_runtime
    if runtime == "onnx":
        try:
            import onnxruntime

            runtime = f"ONNX Runtime {onnxruntime.__version__}, one thread per call"
        except ImportError:
            runtime = "torch (onnxruntime missing)"
    try:
        mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory_gib: float | None = round(mem_kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        memory_gib = None
    return {
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "torch": torch_version,
        "torch_threads": torch_threads,
        "query_runtime": runtime,
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages: other work on the machine skews every figure, so say how busy it was."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def _git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


def machine_line(machine: Mapping[str, Any]) -> str:
    return (
        f"{machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, Python {machine['python']}, "
        f"torch {machine['torch']} with {machine['torch_threads']} threads, questions embedded by "
        f"{machine.get('query_runtime', 'torch')}; load average {machine.get('load_average_at_start')} "
        f"at the start, {machine.get('load_average_at_end')} at the end"
    )


# -- numbers -----------------------------------------------------------------------------------


def summarize(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, mean and percentiles (linear interpolation, as numpy does) of some milliseconds."""
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    a = np.asarray(values, dtype=np.float64)
    return {
        "n": int(a.size),
        "mean": round(float(a.mean()), 3),
        "p50": round(float(np.percentile(a, 50)), 3),
        "p95": round(float(np.percentile(a, 95)), 3),
        "p99": round(float(np.percentile(a, 99)), 3),
        "max": round(float(a.max()), 3),
    }


def fmt(value: Any, digits: int = 1) -> str:
    """A table cell: numbers rounded, missing values as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- results -----------------------------------------------------------------------------------


def command_line() -> str:
    return shlex.join(COMMAND)


def write_results(name: str, payload: dict[str, Any], body_markdown: str, machine: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``bench/results/NAME.json`` and ``NAME.md`` (replacing the previous figures) and print the Markdown."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    machine = {**machine, "load_average_at_end": load_average()}
    record = {"benchmark": name, "command": command_line(), "ran_at": when, "machine": machine, **payload}
    json_path, md_path = RESULTS_DIR / f"{name}.json", RESULTS_DIR / f"{name}.md"
    markdown = (
        f"## {name}\n\n{body_markdown.strip()}\n\n"
        f"Command: `{command_line()}`  \nMachine: {machine_line(machine)}  \nRan: {when} (commit {machine.get('git_commit')})\n"
    )
    for path, text in ((json_path, json.dumps(record, indent=2, ensure_ascii=False) + "\n"), (md_path, markdown)):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    print(markdown)
    print(f"[bench] wrote {json_path.relative_to(PROJECT_ROOT)} and {md_path.relative_to(PROJECT_ROOT)}", flush=True)
    return json_path, md_path


def note(message: str) -> None:
    """Progress on stderr, so a table on stdout stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- memory of a process -------------------------------------------------------------------------


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def seeded(seed: int) -> random.Random:
    return random.Random(seed)
