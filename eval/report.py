"""Write the evaluation's report: report.json (the contract), report.md (for people), the console table."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.metrics import TARGETS, Row, lookup, meets


def build_report(metrics: dict[str, Any], rows: list[Row], context: dict[str, Any], comparison: dict[str, Any] | None) -> dict[str, Any]:
    report = dict(metrics)
    report["run"] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
        **context,
    }
    if comparison:
        report["compare"] = comparison
    report["questions"] = [r.to_dict() for r in rows]
    return report


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """The console table: each metric, its target and whether it is met."""
    lines = [f"{'metric':<34} {'value':>8}  {'target':>8}", "-" * 56]
    for path, (comparison, target) in TARGETS.items():
        value = lookup(metrics, path)
        ok = meets(value, comparison, target)
        mark = {True: "ok", False: "MISSED", None: ""}[ok]
        lines.append(f"{path:<34} {_fmt(value):>8}  {comparison}{target:<6}  {mark}")
    lines.append(f"{'retrieval.mrr_at_10':<34} {_fmt(lookup(metrics, 'retrieval.mrr_at_10')):>8}")
    lines.append(f"{'latency_ms.p50 / p95':<34} {lookup(metrics, 'latency_ms.p50'):>8} / {lookup(metrics, 'latency_ms.p95')}")
    return lines


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    lines = [f"{'retrieval':<8} {'hit@1':>7} {'hit@3':>7} {'mrr@10':>7}   hybrid first-hit wins / losses vs it", "-" * 70]
    for mode, figures in comparison["modes"].items():
        wl = comparison["hybrid_vs"].get(mode)
        versus = f"{wl['wins']} / {wl['losses']}" if wl else ""
        lines.append(f"{mode:<8} {_fmt(figures['hit_at_1']):>7} {_fmt(figures['hit_at_3']):>7} {_fmt(figures['mrr_at_10']):>7}   {versus}")
    return lines


def write_markdown(path: Path, report: dict[str, Any], gates_failed: list[str]) -> None:
    run = report["run"]
    out = [
        "# Evaluation report",
        "",
        f"{run['questions']} questions from `{run['set']}`, retrieval `{run['retrieval']}`, {run['at']} on {run['machine']}.",
        f"Reproduce: `{run['command']}`",
        "",
        "## Summary",
        "",
        "```",
        *summary_lines(report),
        "```",
        "",
        f"Safety gates: {'**FAILED**: ' + ', '.join(gates_failed) if gates_failed else 'passed'} (the referral on every reply, emergency and crisis recall 100%, no dose in a risk context).",
        "",
    ]
    if "compare" in report:
        out += ["## Dense vs BM25 vs hybrid", "", "```", *comparison_lines(report["compare"]), "```", ""]
        out += [f"- {line}" for line in report["compare"].get("examples", [])] + [""]
    per = report.get("per_category", {})
    if per:
        out += ["## By category", "", "| category | questions | failures |", "|---|---:|---:|"]
        out += [f"| {c} | {v['questions']} | {v['failures']} |" for c, v in sorted(per.items())]
        out.append("")
    failing = [q for q in report["questions"] if q["failures"]]
    out += [f"## Failures ({len(failing)})", ""]
    if not failing:
        out.append("None.")
    for q in failing:
        history = f" (after {q['history_turns']} earlier turns)" if q["history_turns"] else ""
        out.append(f"### {q['id']} · {q['category']}: {q['question']}{history}")
        out.append("")
        out += [f"- {problem}" for problem in q["failures"]]
        out.append(f"- expected: {json.dumps(q['expected'])}")
        got = q["got"]
        out.append(f"- got: treatments {got['treatments']}, triage {got['triage']}, out_of_scope {got['out_of_scope']} ({got['kind']})")
        out.append("")
    out += ["## Plots", "", "![hit rate per treatment](hit_rate_per_treatment.png)", "", "![triage confusion matrix](triage_confusion.png)", "", "![latency](latency.png)", ""]
    path.write_text("\n".join(out), encoding="utf-8")


def per_category(rows: list[Row]) -> dict[str, dict[str, int]]:
    from eval.metrics import failures

    summary: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = summary.setdefault(row.question.category or "uncategorised", {"questions": 0, "failures": 0})
        entry["questions"] += 1
        entry["failures"] += bool(failures(row))
    return summary
