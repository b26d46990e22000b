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
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import patient_history
from eval.medication import medication_figures, medication_outcome, shows_dose
from eval.metrics import mentions
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


# -- answers -----------------------------------------------------------------------------------------
# Each line: a question (with its conversation), the treatments a right answer cites first,
# whether the guide can answer it at all (``expect_answerable``), and ``must_mention``: short
# phrases of the guide a good answer contains.

# A reply led by the clinic's own details ("For appointments, please contact …") redirects, even when the guide's page follows.
_HANDLED_PROMPTS = {
    "not_covered", "not_in_guide", "guide_silent", "clinic_contact", "clinic_info", "clinic_arrange", "clinic_question",
    "dose_decline", "out_of_scope", "greeting", "thanks", "complaint",
}  # fmt: skip


def handled_as_unanswerable(answer: Any) -> bool:
    """Declined, or redirected: the guide doesn't cover this (with the nearest thing it does), a risk's caution,
    the clinic's contact; for thanks, greetings and complaints, the short social reply (no guide quotes)."""
    if answer.out_of_scope or str(answer.kind) in ("decline", "no_answer", "emergency", "crisis"):
        return True
    return any(p.prompt in _HANDLED_PROMPTS or p.prompt.startswith("risk_") for p in answer.parts)


def _expects_no_answer(row: dict[str, Any]) -> bool:
    """The guide cannot answer the line's question (or it is off the subject altogether)."""
    return not row.get("expect_answerable", True) or bool(row.get("expect_out_of_scope"))


def answer_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """First cited treatment right, key facts present, unanswerables handled, false refusals."""
    answerable = [o for o in outcomes if not _expects_no_answer(o.row)]
    unanswerable = [o for o in outcomes if _expects_no_answer(o.row)]
    first_right = [bool(o.answer.citations) and o.answer.citations[0].treatment in o.row["expect_treatments"]
                   for o in answerable if o.row.get("expect_treatments")]
    facts: list[bool] = []
    by_intent: dict[str, list[bool]] = defaultdict(list)
    for o in answerable:
        for phrase in o.row.get("must_mention", []):
            facts.append(mentions(o.answer.text, phrase))
            by_intent[o.row.get("intent", "")].append(facts[-1])
    return {
        "lines": len(outcomes),
        "first_cited_treatment_right": _rate(first_right),
        "key_fact_recall": _rate(facts),
        "unanswerable_handled": _rate([handled_as_unanswerable(o.answer) for o in unanswerable]),
        "false_refusals": _rate([o.answer.out_of_scope or str(o.answer.kind) in ("decline", "no_answer") for o in answerable]),
        "key_fact_recall_by_intent": {k: _rate(v) for k, v in sorted(by_intent.items())},
        "counts": {"answerable": len(answerable), "unanswerable": len(unanswerable), "key_facts": len(facts)},
    }


def answer_misses(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        row, a = o.row, o.answer
        cited = [c.treatment for c in a.citations][:3]
        if _expects_no_answer(row):
            if not handled_as_unanswerable(a):
                lines.append(f"{row['id']} UNANSWERABLE answered ({row.get('intent')}) cited {cited}: {row['question'][:120]}")
            continue
        missing = [m for m in row.get("must_mention", []) if not mentions(a.text, m)]
        wrong_first = row.get("expect_treatments") and not (a.citations and a.citations[0].treatment in row["expect_treatments"])
        if missing or wrong_first or a.out_of_scope:
            first = next((p.markdown for p in a.parts if p.kind in ("answer", "cross")), str(a.kind))[:160].replace("\n", " ")
            lines.append(f"{row['id']} ({row.get('intent')}) want {row.get('expect_treatments', [])} cited {cited} missing {missing}: "
                         f"{row['question'][:100]} || {first}")
    return lines


_NOT_AN_OPENING = {"referral", "sources", "caution"}


def first_sentence(answer: Any) -> str:
    """The reply's first sentence of the guide (what the judge reads first), citation markers removed; for a reply
    that opens with a list (a comparison's rows, a choice's two sides), the list's lines. A reply with no quote of the
    guide (a thank-you, a decline) opens with its own text: a judge shown nothing scored "thanks!" replies 1."""
    body = next((p.markdown for p in answer.parts if p.kind in ("answer", "cross")), "")
    if not body:
        body = next((p.markdown for p in answer.parts if str(p.kind) not in _NOT_AN_OPENING), "")
    body = re.sub(r"\s*\[\d+\]", "", body).strip()
    if body.startswith("- "):
        return body.split("\n\n")[0][:800]
    match = re.match(r"(.+?[.!?])(?:\s|$)", body, re.DOTALL)
    return (match.group(1) if match else body)[:400]


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
    "answers": ("question", answer_figures, answer_misses),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.heldout", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--set", type=Path, required=True, help="a JSONL file under eval/heldout/")
    parser.add_argument("--show-misses", action="store_true", help="list each miss (for dev sets only; never read a test set's misses)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--dump", type=Path, help="also write each question with its reply (for a judge who sees only those)")
    args = parser.parse_args(argv)
    text_key, figures_of, misses_of = KINDS[args.kind]
    rows = [json.loads(line) for line in args.set.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes = _run(rows, text_key)
    figures = {"set": str(args.set), "kind": args.kind, **figures_of(outcomes)}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.dump:
        args.dump.parent.mkdir(parents=True, exist_ok=True)
        with args.dump.open("w", encoding="utf-8") as fh:
            for o in outcomes:
                shown = {"id": o.row["id"], "question": o.row[text_key], "history": o.row.get("history", []),
                         "first_sentence": first_sentence(o.answer), "answer": o.answer.text}
                fh.write(json.dumps(shown, ensure_ascii=False) + "\n")
    if args.show_misses:
        if "_test" in args.set.name:
            print("heldout: refusing to list a test set's misses (tune on the dev set)", file=sys.stderr)
            return 2
        print("\n".join(misses_of(outcomes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
