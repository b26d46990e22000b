"""``python -m eval``: run the evaluation set through ``answer()`` and report retrieval, citations, safety, latency.

Exit status: 0 when the safety gates pass (referral on every reply, every
emergency and crisis caught, no dose shown in a risk context), 1 when one fails, 2 when the set, the index or the
configuration cannot be used.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
from pathlib import Path

from settings import PROJECT_ROOT

DEFAULT_SET = PROJECT_ROOT / "eval" / "questions.jsonl"
MEDICATION_SET = PROJECT_ROOT / "eval" / "medication.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "latest"
MODES = ("dense", "bm25", "hybrid")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="questions, JSONL (default: eval/questions.jsonl)")
    parser.add_argument("--medication-set", type=Path, default=MEDICATION_SET, help="medicine questions, JSONL (default: eval/medication.jsonl)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (default: eval/reports/latest)")
    parser.add_argument("--retrieval", choices=MODES, default="hybrid", help="retrieval mode for the main run")
    parser.add_argument("--compare", action="store_true", help="also run dense, BM25 and hybrid side by side")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; summary and gates only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command = "python -m eval " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))

    from answering.pipeline import Assistant
    from eval.dataset import DatasetError, load_questions, read_jsonl
    from index.store import IndexLoadError
    from rules.prompts import PromptError
    from settings import ConfigError, load_settings

    try:
        questions = load_questions(args.set)
        medication_rows = read_jsonl(args.medication_set)
        assistant = Assistant.from_settings(load_settings())
    except (DatasetError, IndexLoadError, PromptError, ConfigError, OSError, ValueError) as exc:
        print(f"eval: error: {exc}", file=sys.stderr)
        return 2

    from eval.medication import medication_figures
    from eval.metrics import SAFETY_GATES, gate_failed, retrieval_metrics, summarise
    from eval.plots import write_plots
    from eval.report import build_report, comparison_lines, per_category, summary_lines, write_markdown

    source_text = _source_reader(assistant)
    assistant.answer("warm-up: ice or heat?", [])  # the first call pays one-off costs; keep them out of the latency figures

    runs = {}
    for mode in (MODES if args.compare else (args.retrieval,)):
        runs[mode] = _run(assistant, questions, mode, source_text, quiet=args.quiet)
    rows = runs[args.retrieval]
    metrics = summarise(rows)
    metrics["medication"] = medication_figures(medication_rows, _medication_replies(assistant, medication_rows, args.quiet), assistant.settings.clinic.poison_control)
    comparison = _compare(runs, retrieval_metrics) if args.compare else None

    gates_failed = [g for g in SAFETY_GATES if gate_failed(metrics, g)]
    args.out.mkdir(parents=True, exist_ok=True)
    context = {"set": _shown(args.set), "questions": len(questions), "retrieval": args.retrieval, "command": command}
    report = build_report(metrics, rows, context, comparison)
    report["per_category"] = per_category(rows)
    (args.out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    write_markdown(args.out / "report.md", report, gates_failed)
    write_plots(rows, args.out)

    print("\n".join(summary_lines(metrics)))
    if comparison:
        print()
        print("\n".join(comparison_lines(comparison)))
    failing = sum(bool(q["failures"]) for q in report["questions"])
    print(f"\n{len(questions)} questions, {failing} with a failure; report: {_shown(args.out / 'report.md')}")
    if gates_failed:
        print(f"eval: SAFETY GATE FAILED: {', '.join(gates_failed)}", file=sys.stderr)
        return 1
    print("eval: safety gates passed (referral rate, emergency and crisis recall 100%, no dose in a risk context)")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _source_reader(assistant):
    """Source name -> its text read from the file itself (not the index's copy), via the manifest's paths."""
    from ingest.sources import source_text

    paths = {s["name"]: s["path"] for s in assistant.retriever.index.manifest["sources"]}

    @functools.cache
    def read(name: str) -> str:
        path = Path(paths[name])
        return source_text(path if path.is_absolute() else PROJECT_ROOT / path)

    return read


def _run(assistant, questions, mode: str, source_text, quiet: bool):
    from tqdm import tqdm

    from eval.metrics import score_row

    rows = []
    for q in tqdm(questions, desc=f"eval ({mode})", unit="q", disable=quiet, leave=False):
        answer = assistant.answer(q.question, q.history, mode=mode)
        referral = assistant.texts_for(answer.language).render("referral")  # the reply's language's referral
        rows.append(score_row(q, answer, referral, source_text))
    return rows


def _medication_replies(assistant, rows, quiet: bool) -> list[dict]:
    """The reply to each medicine question, in its JSON form (what ``eval.medication`` scores)."""
    from tqdm import tqdm

    from eval.dataset import patient_history

    return [
        assistant.answer(row["message"], patient_history(row.get("history", []))).to_dict()
        for row in tqdm(rows, desc="eval (medication)", unit="q", disable=quiet, leave=False)
    ]


def _compare(runs, retrieval_metrics) -> dict:
    hybrid = {r.question.id: r.first_hit_rank == 1 for r in runs["hybrid"] if r.question.expect_treatments}
    result = {"modes": {mode: retrieval_metrics(rows) for mode, rows in runs.items()}, "hybrid_vs": {}, "examples": []}
    for mode in ("dense", "bm25"):
        other = {r.question.id: r.first_hit_rank == 1 for r in runs[mode] if r.question.expect_treatments}
        wins = [qid for qid in hybrid if hybrid[qid] and not other[qid]]
        losses = [qid for qid in hybrid if other[qid] and not hybrid[qid]]
        result["hybrid_vs"][mode] = {"wins": len(wins), "losses": len(losses), "win_ids": wins, "loss_ids": losses}
        texts = {r.question.id: r.question.question for r in runs["hybrid"]}
        result["examples"] += [f"hybrid right where {mode} alone was wrong: {qid} “{texts[qid]}”" for qid in wins[:3]]
    return result


if __name__ == "__main__":
    sys.exit(main())
