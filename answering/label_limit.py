"""Questions that ask past the packet: a learned head beside the label-limit phrasings.

"can i use the voltaren gel every hour?", "Cyclobenzaprine 3 times a day isn't
enough, can I go to 5?", "top up with a couple of advil in between?": people ask
for more than the label in more ways than ``label_limit_patterns``
(``data/en/scope.toml``) can list. On medication_dev5, written by people who had
seen neither the rules nor the sets, the phrasings caught 9 of 29 such questions.

One logistic head reads what the answer already has (the message's query
vector and its character n-grams, ``safety.learned``): no model call of its own.
The answer asks it only when the phrasings say nothing, so it can only add the
"follow the packet" text in front of the guide's own sentence, never take it
away. A false alarm costs a plain dose question one true, cautious line; a miss
lets "every 2-3 hours?" read the guide's range as permission.

Trained on the medicine questions of ``data/medicines/training`` (a question
that asks past the label against plain dose questions, medicines the guide does
not cover and drug-free questions) and the answers' example questions (ordinary
questions); the threshold is the lowest whose false alarms on the development
sets' plain questions stay within ``FALSE_ALARM_MARGIN`` of the phrasings'.
The model is data: ``data/medicines/label_limit.npz`` and ``.json``, rebuilt by
``python -m answering.label_limit train`` (``make models``); ``check`` says
whether it matches its training files (``make test`` runs it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rules.locale import DATA_DIR
from safety.learned import (
    ANSWER_EXAMPLES_DIR,
    MEDICINE_TRAINING_DIR,
    LogisticHeads,
    check_shipped,
    fingerprint,
    fit_best_setting,
    fit_heads,
    lowest_threshold,
    read_model,
)
from safety.risk_model import read_jsonl

WEIGHTS = DATA_DIR / "medicines" / "label_limit.npz"
META = DATA_DIR / "medicines" / "label_limit.json"
RETRAIN = "python -m answering.label_limit train"
LABEL = "label-limit"
HELDOUT = DATA_DIR.parent / "eval" / "heldout"
DEV_SETS = tuple(sorted(HELDOUT.glob("medication_dev*.jsonl")))  # every medicine dev set: a new one joins the next fit
# Medicine questions that teach "not past the label": a plain dose question, a medicine the guide does not
# cover, a drug-free question. A risk's question is answered by its caution whatever it asks, and an amount
# already taken by triage: neither teaches this head anything.
NEGATIVE_EXPECTS = {"dose_ok", "not_covered", "non_medicine"}
# A false alarm puts one true line ("follow the packet; ask a pharmacist") before a plain dose answer, which still
# follows with its citation; a miss lets "every 2-3 hours?" or "3 aleves now?" read the guide's range as permission.
# At 0.03 the answers to medication_dev5 and dev6's past-the-label questions led with it for 69% and 59%: now 0.05.
FALSE_ALARM_MARGIN = 0.05
THRESHOLD_GRID = (0.5, 0.6, 0.7, 0.8, 0.9)
SETTINGS_GRID = ((1.0, 4.0, 0.0), (1.0, 16.0, 0.0), (4.0, 4.0, 1.0))  # (n-gram weight beside the embedding, logistic C, idf power)

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class LearnedLabelLimit(LogisticHeads):
    """The fitted head; ``asks`` is a few microseconds of arithmetic per message."""

    IDS_KEY = "labels"

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> LearnedLabelLimit:
        return read_model(weights, meta_path, cls.from_arrays, RETRAIN)

    def asks(self, text: str, vector: np.ndarray) -> bool:
        """Whether the message asks for more than the label allows (more often, more at once, for longer)."""
        return self.probabilities(text, vector)[LABEL] >= self.threshold


def training_files(medicines: Path = MEDICINE_TRAINING_DIR, answers: Path = ANSWER_EXAMPLES_DIR) -> list[Path]:
    return sorted(medicines.glob("*.jsonl")) + sorted(answers.glob("*.jsonl"))


def training_examples(rows: Sequence[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(message, asks past the label): the medicine questions that say either way, and the example questions (no)."""
    examples = [(r["message"], r["expect"] == "label_limit") for r in rows if r.get("expect") in NEGATIVE_EXPECTS | {"label_limit"}]
    return examples + [(r["question"], False) for r in rows if "question" in r and not r.get("history")]


def dev_figures(asks: Callable[[str], bool], rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """``recall`` over the label-limit lines, ``false_alarms`` over plain dose, not-covered and drug-free lines."""
    caught = [asks(r["message"]) for r in rows if r["expect"] == "label_limit"]
    false = [asks(r["message"]) for r in rows if r["expect"] in NEGATIVE_EXPECTS]
    return {"recall": round(float(np.mean(caught)), 4), "false_alarms": round(float(np.mean(false)), 4)}


def train(embed: Embed | None = None) -> int:
    """Fit the head on a small grid of settings; keep the one with the most dev recall within the false-alarm budget."""
    from answering.scope import ScopeRules
    from safety.training import default_embedder

    embed = embed or default_embedder()
    paths = training_files()
    examples = training_examples(read_jsonl(paths))
    texts = [text for text, _ in examples]
    print(f"label limit: embedding {len(texts)} training messages ...", flush=True)
    vectors = embed(texts)
    dev_rows = read_jsonl(DEV_SETS)
    dev_texts = sorted({r["message"] for r in dev_rows})
    dev_vectors = dict(zip(dev_texts, embed(dev_texts), strict=True))
    phrasings = ScopeRules.load().asks_label_limit
    budget = dev_figures(phrasings, dev_rows)["false_alarms"] + FALSE_ALARM_MARGIN

    def choose(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> tuple[float, dict[str, float]]:
        model = LearnedLabelLimit.from_arrays(arrays, meta)

        def figures_at(threshold: float) -> dict[str, float]:
            at = replace(model, threshold=threshold)
            return dev_figures(lambda text: phrasings(text) or at.asks(text, dev_vectors[text]), dev_rows)

        return lowest_threshold(THRESHOLD_GRID, figures_at, lambda found: found["false_alarms"] <= budget,
                                f"false alarms on the development sets within {FALSE_ALARM_MARGIN} of the phrasings'")

    def fit_one(char_weight: float, c: float, idf_power: float) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = fit_heads(texts, vectors, [{LABEL} if asks else set() for _, asks in examples], [LABEL], c, char_weight, idf_power)
        meta = {"training": fingerprint(paths), "labels": [LABEL], "threshold": 0.5, "regularisation_c": c, "char_weight": char_weight,
                "idf_power": idf_power}  # fmt: skip
        return arrays, meta

    print(f"label limit: the phrasings alone on the development sets: {dev_figures(phrasings, dev_rows)}")
    fit_best_setting("label limit", SETTINGS_GRID, fit_one, choose, lambda f: (f["recall"], -f["false_alarms"]), WEIGHTS, META)
    return 0


def check() -> int:
    """Whether the shipped head was fitted on the training files and query vectors as they are now."""
    return check_shipped("label limit", META, training_files(), RETRAIN, LearnedLabelLimit.load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m answering.label_limit", description="Fit the learned label-limit head, or check the shipped one.")
    parser.add_argument("command", choices=["train", "check"])
    args = parser.parse_args(argv)
    return check() if args.command == "check" else train()


if __name__ == "__main__":
    sys.exit(main())
