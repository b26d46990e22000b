"""Latency: warm ``answer()`` in one process, per stage, against the bare query embedding.

The query embedding is the floor: nothing that embeds the question can be
faster. For every question of the evaluation set, in the same run and
interleaved (so both see the same machine), the benchmark times the bare
``encode_query`` of the question and the whole ``answer()``; the target is the
whole at no more than 1.5× the floor at the median. Replies that never embed
(emergencies, greetings, declines caught by rules) are faster than the floor,
so the ratio is also given for the replies that retrieve and compose.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench.common import fmt, load_questions, machine_info, markdown_table, note, summarize, write_results
from settings import load_settings

STAGES = ("triage", "expand", "embed", "dense", "bm25", "fuse", "compose", "total")
STAGE_NAMES = {
    "triage": "triage",
    "expand": "lay-word expansion",
    "embed": "query embedding",
    "dense": "dense search (FAISS)",
    "bm25": "BM25",
    "fuse": "fusion",
    "compose": "composing",
    "total": "whole `answer()`",
}
TARGET_RATIO = 1.5
MAX_ROUNDS = 20
RETRIEVING_KINDS = ("answer", "no_answer")


def run(rounds: int, index_dir: Path | None) -> dict[str, Any]:
    from answering.pipeline import Assistant
    from answering.service import one_thread_per_request

    settings = load_settings()
    if index_dir is not None:
        settings = settings.with_overrides(index={"dir": str(index_dir)})
    settings = settings.with_overrides(feedback={"enabled": False})
    note("latency: loading the model and the index")
    assistant = Assistant.from_settings(settings)
    embedder = assistant.retriever.embedder
    questions, source = load_questions()
    note(f"latency: warming up over {len(questions)} questions from {source}")
    for q in questions:
        assistant.answer(q.text, q.history)
        embedder.encode_query(q.text)
    one_thread_per_request()  # as the server runs (webapp.runner): the numeric libraries on one thread per request

    floor_ms: list[float] = []
    wall_ms: list[float] = []
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    by_kind: dict[str, dict[str, list[float]]] = {}
    note(f"latency: measuring {rounds} round(s)")
    for round_no in range(rounds):
        for i, q in enumerate(questions):
            first_floor = (i + round_no) % 2 == 0  # alternate the order so neither side always runs on a warmer cache
            if first_floor:
                floor = _time(lambda q=q: embedder.encode_query(q.text))
            assistant.forget_messages()  # every question is new: its embedding, n-grams and rule readings are part of what is measured
            t = time.perf_counter()
            answer = assistant.answer(q.text, q.history)
            wall = (time.perf_counter() - t) * 1000
            if not first_floor:
                floor = _time(lambda q=q: embedder.encode_query(q.text))
            floor_ms.append(floor)
            wall_ms.append(wall)
            for stage in STAGES:
                if stage in answer.timings_ms:
                    stages[stage].append(answer.timings_ms[stage])
            kind = by_kind.setdefault(answer.kind, {"total": [], "floor": []})
            kind["total"].append(answer.timings_ms["total"])
            kind["floor"].append(floor)

    total = summarize(stages["total"])
    floor_summary = summarize(floor_ms)
    retrieving_total = [t for k in RETRIEVING_KINDS for t in by_kind.get(k, {}).get("total", [])]
    retrieving_floor = [f for k in RETRIEVING_KINDS for f in by_kind.get(k, {}).get("floor", [])]
    ratio = total["p50"] / floor_summary["p50"]  # type: ignore[operator]
    retrieving_ratio = (
        summarize(retrieving_total)["p50"] / summarize(retrieving_floor)["p50"] if retrieving_total else None  # type: ignore[operator]
    )
    return {
        "questions": source,
        "rounds": rounds,
        "samples": len(wall_ms),
        "stages_ms": {s: summarize(v) for s, v in stages.items()},
        "wall_clock_answer_ms": summarize(wall_ms),
        "floor_query_embedding_ms": floor_summary,
        "ratio_p50_whole_to_floor": round(ratio, 3),
        "ratio_p50_whole_to_floor_retrieving_replies": round(retrieving_ratio, 3) if retrieving_ratio else None,
        "target_ratio": TARGET_RATIO,
        "by_kind_ms": {k: {"total": summarize(v["total"]), "floor": summarize(v["floor"])} for k, v in sorted(by_kind.items())},
        "index": {"dir": str(settings.index_dir), "chunks": len(assistant.retriever.chunks), "build_id": assistant.retriever.index.build_id},
    }


def _time(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def report(result: dict[str, Any]) -> str:
    rows = [
        [STAGE_NAMES[s], result["stages_ms"][s]["n"], fmt(result["stages_ms"][s]["p50"], 2), fmt(result["stages_ms"][s]["p95"], 2)]
        for s in STAGES
    ]
    floor = result["floor_query_embedding_ms"]
    rows.append(["bare query embedding (the floor)", floor["n"], fmt(floor["p50"], 2), fmt(floor["p95"], 2)])
    kinds = markdown_table(
        ["reply kind", "n", "answer() p50 ms", "p95 ms", "floor p50 ms", "ratio at p50"],
        [
            [k, v["total"]["n"], fmt(v["total"]["p50"], 2), fmt(v["total"]["p95"], 2), fmt(v["floor"]["p50"], 2),
             fmt(v["total"]["p50"] / v["floor"]["p50"], 2)]
            for k, v in result["by_kind_ms"].items()
        ],
    )
    verdict = "meets" if result["ratio_p50_whole_to_floor"] <= TARGET_RATIO else "misses"
    lines = [
        f"Warm, one process, {result['samples']} answers ({result['rounds']} round(s) over {result['questions']}); "
        f"index {result['index']['chunks']} chunks. A stage's n counts the replies that ran it.",
        markdown_table(["stage", "n", "p50 ms", "p95 ms"], rows),
        f"**Whole / floor at the median: {result['ratio_p50_whole_to_floor']:.2f}×** ({verdict} the ≤ {TARGET_RATIO}× target); "
        f"for replies that retrieve and compose: {fmt(result['ratio_p50_whole_to_floor_retrieving_replies'], 2)}×.",
        "By reply kind:",
        kinds,
    ]
    return "\n\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=3, help=f"passes over the evaluation set after the warm-up (default 3, at most {MAX_ROUNDS})")
    parser.add_argument("--index-dir", type=Path, default=None, help="index to load (default: config [index] dir)")


def execute(args: argparse.Namespace) -> int:
    rounds = max(1, min(MAX_ROUNDS, args.rounds))
    machine = machine_info()
    result = run(rounds, args.index_dir)
    write_results("latency", result, report(result), machine)
    return 0
