"""``python -m eval.heldout triage|medication|answers --set FILE``: figures on the sets written blind.

The sets under ``eval/heldout/`` were written by helpers who had seen neither the
rules, the data files nor the project's own evaluation set. Tuning reads the
``*_dev.jsonl`` files (``--show-misses`` lists what went wrong); the
``*_test.jsonl`` files are read as figures only: do not look at their misses.

Each line goes through the real ``answer()`` (the pipeline a patient meets), so
a red flag counts as caught only when the reply leads with its text.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import patient_history
from eval.medication import medication_figures, medication_outcome, shows_dose
from settings import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "eval" / "heldout"


def _rate(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


@dataclass
class Outcome:
    row: dict[str, Any]
    answer: Any


def _run(rows: list[dict[str, Any]], text_key: str) -> list[Outcome]:
    from answering.pipeline import Assistant
    from settings import load_settings

    assistant = Assistant.from_settings(load_settings())
    return [Outcome(row, assistant.answer(row[text_key], patient_history(row.get("history", [])))) for row in rows]


# -- triage ------------------------------------------------------------------------------------------


def _part_kinds(answer: Any) -> list[str]:
    return [str(p.kind) for p in answer.parts]


def caught(o: Outcome) -> bool:
    """The reply does what the line's tier needs: the emergency text, the crisis line, a doctor today, or nothing."""
    tier, got = o.row["tier"], str(o.answer.triage)
    if tier == "emergency":
        return got == "emergency"
    if tier == "crisis":
        return "crisis" in _part_kinds(o.answer)
    if tier == "urgent":
        return got in ("urgent", "emergency", "crisis")
    return got == "none"


def triage_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """Recall per tier, class and language; false alarms per kind of everyday message."""
    by_tier: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_tier[o.row["tier"]].append(o)

    figures: dict[str, Any] = {
        "lines": len(outcomes),
        "crisis_recall": _rate([caught(o) for o in by_tier["crisis"]]),
        "emergency_recall": _rate([caught(o) for o in by_tier["emergency"]]),
        "urgent_recall": _rate([caught(o) for o in by_tier["urgent"]]),
        "false_alarm_rate": _rate([not caught(o) for o in by_tier["none"]]),
    }
    classes: dict[str, list[bool]] = defaultdict(list)
    languages: dict[str, list[bool]] = defaultdict(list)
    alarms: dict[str, list[bool]] = defaultdict(list)
    in_language: list[bool] = []
    for o in outcomes:
        row = o.row
        if row["tier"] == "none":
            alarms[row["class"]].append(not caught(o))
            continue
        classes[f'{row["tier"]}/{row["class"]}'].append(caught(o))
        languages[row.get("language", "en")].append(caught(o))
        if row["tier"] in ("emergency", "crisis") and row.get("language", "en") != "en":
            in_language.append(caught(o) and o.answer.language == row["language"])
    figures["recall_by_language"] = {k: _rate(v) for k, v in sorted(languages.items())}
    figures["recall_by_class"] = {k: _rate(v) for k, v in sorted(classes.items())}
    figures["false_alarms_by_class"] = {k: _rate(v) for k, v in sorted(alarms.items())}
    figures["emergency_or_crisis_text_in_its_language"] = _rate(in_language)
    figures["counts"] = dict(Counter(o.row["tier"] for o in outcomes))
    return figures


def triage_misses(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        if caught(o):
            continue
        row, got = o.row, o.answer
        history = f" [history: {len(row.get('history', []))}]" if row.get("history") else ""
        lines.append(f"{row['id']} want {row['tier']}/{row['class']} got {got.triage} {got.signs} ({row.get('language', 'en')}){history}: {row['message'][:160]}")
    return lines


# -- medication ------------------------------------------------------------------------------------


def medication_misses(rows: list[dict[str, Any]], replies: list[dict[str, Any]], poison_line: str) -> list[str]:
    lines = []
    for row, reply in zip(rows, replies, strict=True):
        if medication_outcome(row, reply, poison_line):
            continue
        got = [p.get("prompt") or p["kind"] for p in reply["parts"]]
        dose = " DOSE" if shows_dose(reply) else ""
        history = f" [history: {row.get('history')}]" if row.get("history") else ""
        lines.append(f"{row['id']} want {row['expect']} {row.get('risks')} got {reply['kind']}{dose} {got}{history}: {row['message'][:160]}")
    return lines


# -- the command -------------------------------------------------------------------------------------

def _poison_line() -> str:
    from settings import load_settings

    return load_settings().clinic.poison_control


def _medication(outcomes: list[Outcome]) -> dict[str, Any]:
    return medication_figures([o.row for o in outcomes], [o.answer.to_dict() for o in outcomes], _poison_line())


def _medication_misses(outcomes: list[Outcome]) -> list[str]:
    return medication_misses([o.row for o in outcomes], [o.answer.to_dict() for o in outcomes], _poison_line())


KINDS: dict[str, tuple[str, Callable[[list[Outcome]], dict[str, Any]], Callable[[list[Outcome]], list[str]]]] = {
    "triage": ("message", triage_figures, triage_misses),
    "medication": ("message", _medication, _medication_misses),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.heldout", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--set", type=Path, required=True, help="a JSONL file under eval/heldout/")
    parser.add_argument("--show-misses", action="store_true", help="list each miss (for dev sets only; never read a test set's misses)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    text_key, figures_of, misses_of = KINDS[args.kind]
    rows = [json.loads(line) for line in args.set.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes = _run(rows, text_key)
    figures = {"set": str(args.set), "kind": args.kind, **figures_of(outcomes)}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.show_misses:
        if "_test" in args.set.name:
            print("heldout: refusing to list a test set's misses (tune on the dev set)", file=sys.stderr)
            return 2
        print("\n".join(misses_of(outcomes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
