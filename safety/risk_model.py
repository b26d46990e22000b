"""The learned signal for who is asking about a medicine: risks in words no phrase list has.

"ebf mama here", "eating for two", "Year 9 girl", "born 1950", "Barrett's and
reflux": the phrasings of ``data/<lang>/medicine_risks.toml`` cannot list every
way people say they are at risk. This layer reads what the answer already has, so
it costs no model call of its own: the message's **query embedding** (the vector
retrieval and triage use) and its **character n-grams** (``safety.learned``).

One logistic head per risk says how likely the message tells of it; one threshold,
chosen on the development sets, turns a probability into a risk. The rules stay
the layer that knows negation: a learned risk is dropped where the rules read
that risk in the same message and set it aside ("I'm not pregnant").

The model is data: ``data/medicines/model.npz`` and ``model.json`` (the
threshold, the sha256 of the training files), rebuilt by
``python -m safety.risk_training train`` (under a minute) from ``data/medicines/training/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rules.locale import DATA_DIR
from safety.learned import ANSWER_EXAMPLES_DIR, MEDICINE_TRAINING_DIR, LogisticHeads, as_served, read_model

MODEL_DIR = DATA_DIR / "medicines"
WEIGHTS = MODEL_DIR / "model.npz"
META = MODEL_DIR / "model.json"
# Risks that withhold a dose. An amount already taken and its symptoms are triage's (Poison Help, emergency).
NOT_RISKS = {"overdose-taken", "symptoms-severe"}


@dataclass(frozen=True)
class LearnedRisks(LogisticHeads):
    """The fitted heads, one per risk; ``risks`` is a few microseconds of arithmetic per message."""

    IDS_KEY = "risks"

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> LearnedRisks:
        return read_model(weights, meta_path, cls.from_arrays, "python -m safety.risk_training train")

    def risks(self, text: str, vector: np.ndarray) -> list[str]:
        """The risks whose probability reaches the threshold, likeliest first."""
        found = [(p, risk) for risk, p in self.probabilities(text, vector).items() if p >= self.threshold]
        return [risk for _, risk in sorted(found, reverse=True)]


# -- training --------------------------------------------------------------------------------------


def training_files(directory: Path = MEDICINE_TRAINING_DIR, answers: Path = ANSWER_EXAMPLES_DIR) -> list[Path]:
    """The medicine questions, and the answers' example questions (ordinary questions, many about the medicines)."""
    return sorted(directory.glob("*.jsonl")) + sorted(answers.glob("*.jsonl"))


def read_jsonl(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """The lines of ``paths``, each message and history as the answer receives it (``as_served``)."""
    rows = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        for key in ("message", "question"):
            if isinstance(row.get(key), str):
                row[key] = as_served(row[key])
        if "message" in row:
            row["history"] = [as_served(h) if isinstance(h, str) else h for h in row.get("history", [])]
    return rows


def training_examples(rows: list[dict[str, Any]], names_no_risk: Callable[[str], bool] = lambda text: True) -> list[tuple[str, set[str]]]:
    """(message, its risks): single messages; and each message of a conversation with no risk at all
    (a conversation's risks belong to some message of it, which one is not said).

    An answers example question (``question``, written with no risk in it) is a message with no risk, when
    ``names_no_risk`` agrees: it teaches that "will a muscle relaxant help me sleep?" is not alcohol with one.
    """
    medicine = [r for r in rows if "message" in r]
    examples = [(r["message"], set(r.get("risks", [])) - NOT_RISKS) for r in medicine if not r.get("history")]
    examples += [(text, set()) for r in medicine if r.get("history") and not r.get("risks") for text in [r["message"], *r["history"]]]
    examples += [(r["question"], set()) for r in rows if "question" in r and not r.get("history") and names_no_risk(r["question"])]
    return examples
