"""The evaluation set: one question a line, in the format of docs/contracts.md, checked on load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import Tier
from rules.catalog import load_catalog

TIERS = tuple(t.value for t in Tier)


class DatasetError(ValueError):
    """A line of the set is not valid JSON or breaks the format; the message names file and line."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expect_treatments: tuple[str, ...]
    expect_triage: str
    expect_out_of_scope: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    category: str = ""
    language: str = "en"
    must_mention: tuple[str, ...] = ()  # short phrases of the guide a good answer contains


def patient_history(history: list[Any]) -> list[dict[str, str]]:
    """A history given as the patient's earlier messages (strings) or as full turns, as full turns."""
    turns: list[dict[str, str]] = []
    for item in history or []:
        if isinstance(item, dict):
            turns.append({"role": str(item.get("role", "user")), "content": str(item.get("content", ""))})
        else:
            turns += [{"role": "user", "content": str(item)}, {"role": "assistant", "content": "(reply)"}]
    return turns


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file; a broken line raises ``DatasetError`` naming file and line."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return rows


def load_questions(path: Path) -> list[Question]:
    questions: list[Question] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
            questions.append(_parse(raw, where))
            if questions[-1].id in seen:
                raise DatasetError(f"{where}: duplicate id {questions[-1].id!r}")
            seen.add(questions[-1].id)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions


def _parse(raw: Any, where: str) -> Question:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: each line must be a JSON object")
    for key, kind in (("id", str), ("question", str), ("expect_treatments", list), ("expect_triage", str), ("expect_out_of_scope", bool)):
        if not isinstance(raw.get(key), kind):
            raise DatasetError(f"{where}: {key!r} must be a {kind.__name__}")
    if raw["expect_triage"] not in TIERS:
        raise DatasetError(f"{where}: expect_triage must be one of {', '.join(TIERS)}")
    known = load_catalog().treatments
    if unknown := [t for t in raw["expect_treatments"] if t not in known]:
        raise DatasetError(f"{where}: unknown treatment id {unknown[0]!r} in expect_treatments (known: {', '.join(known)})")
    history = raw.get("history", [])
    if not isinstance(history, list) or not all(isinstance(t, dict) and t.get("role") in ("user", "assistant") for t in history):
        raise DatasetError(f"{where}: history must be a list of {{role, content}} messages")
    return Question(
        id=raw["id"],
        question=raw["question"],
        expect_treatments=tuple(raw["expect_treatments"]),
        expect_triage=raw["expect_triage"],
        expect_out_of_scope=raw["expect_out_of_scope"],
        history=history,
        category=str(raw.get("category", "")),
        language=str(raw.get("language", "en")),
        must_mention=_phrases(raw.get("must_mention", []), where),
    )


def _phrases(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise DatasetError(f"{where}: must_mention must be a list of non-empty strings")
    return tuple(value)
