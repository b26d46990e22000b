"""``python -m safety.risk_training train|check``: fit the learned medicine-risk signal (``safety.risk_model``), or check the shipped one.

``train`` embeds the medicine questions of ``data/medicines/training/`` with the
project's embedder, fits one head per risk for each setting on the grid, and
picks the threshold on the development sets (``eval/heldout/medication_dev*.jsonl``,
written by people who had seen neither the rules nor the sets), read together with
the rules as the answer reads them. The test sets are never read here. ``check``
says whether the shipped model was fitted on the training files as they are now.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from rules.locale import DATA_DIR
from safety.learned import fingerprint, fit_best_setting, fit_heads, lowest_threshold, refit_needed
from safety.medication import MedicationRisks
from safety.risk_model import META, WEIGHTS, LearnedRisks, read_jsonl, training_examples, training_files

HELDOUT = DATA_DIR.parent / "eval" / "heldout"
DEV_SETS = (
    HELDOUT / "medication_dev.jsonl", HELDOUT / "medication_dev2.jsonl", HELDOUT / "medication_dev3.jsonl", HELDOUT / "medication_dev4.jsonl",
    HELDOUT / "medication_dev5.jsonl", HELDOUT / "medication_dev6.jsonl",
)
# A risk found where there is none costs a patient the guide's answer ("ibuprofen gives me a sore stomach,
# any alternatives?" loses the gel); one missed shows a dose to someone at risk. The threshold is the lowest
# on the grid that adds at most this much to the false risks the rules alone find on lines with no risk.
FALSE_RISK_MARGIN = 0.01
THRESHOLD_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
SETTINGS_GRID = ((1.0, 4.0, 0.0), (1.0, 16.0, 0.0), (4.0, 4.0, 0.0), (1.0, 4.0, 1.0), (4.0, 4.0, 1.0))  # (n-gram weight beside the embedding, logistic C, idf power)

Embed = Callable[[list[str]], np.ndarray]


def choose_threshold(model: LearnedRisks, dev_rows: list[dict[str, Any]], embed: Embed) -> tuple[float, dict[str, float]]:
    """The lowest threshold whose false risks stay within the margin over the rules alone, with its dev figures.

    Read over rules and learned layer together, as the answer reads them: a
    caution line is caught when any of its risks is found in its conversation;
    a line with no risk (and no overdose) raises a false risk when any is.
    """
    rules = MedicationRisks.load(learned=model)
    texts = sorted({t for r in dev_rows for t in [r["message"], *r.get("history", [])]})
    vectors = dict(zip(texts, embed(texts), strict=True))

    def figures(learned: LearnedRisks | None) -> dict[str, float]:
        rules.learned = learned
        caught, false = [], []
        for row in dev_rows:
            messages = [row["message"], *row.get("history", [])]
            found = {m.risk for m in rules.assess_texts(messages, np.stack([vectors[t] for t in messages]))}
            if row["expect"] == "caution_no_dose":
                caught.append(bool(found & set(row["risks"])))
            elif not row.get("risks") and row["expect"] not in ("poison_control", "emergency"):
                false.append(bool(found))
        return {"caution_recall": round(float(np.mean(caught)), 4), "false_risks": round(float(np.mean(false)), 4)}

    budget = figures(None)["false_risks"] + FALSE_RISK_MARGIN
    return lowest_threshold(
        THRESHOLD_GRID, lambda threshold: figures(replace(model, threshold=threshold)), lambda found: found["false_risks"] <= budget,
        f"false risks on the development sets within {FALSE_RISK_MARGIN} of the rules'",
    )


def train(embed: Embed | None = None) -> int:
    from safety.training import default_embedder

    embed = embed or default_embedder()
    paths = training_files()
    rules = MedicationRisks.load()  # the rules alone: an example whose words name a risk teaches nothing as "no risk"
    examples = training_examples(read_jsonl(paths), lambda text: not rules.assess(text))
    ids = sorted({risk for _, found in examples for risk in found})
    texts = [text for text, _ in examples]
    print(f"safety.risk_training: embedding {len(texts)} training messages ...", flush=True)
    vectors = embed(texts)
    dev_rows = read_jsonl(DEV_SETS)

    def fit_one(char_weight: float, c: float, idf_power: float) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = fit_heads(texts, vectors, [found for _, found in examples], ids, c, char_weight, idf_power)
        meta = {
            "training": fingerprint(paths), "risks": ids, "threshold": 0.5, "regularisation_c": c, "char_weight": char_weight,
            "idf_power": idf_power,
        }  # fmt: skip
        return arrays, meta

    fit_best_setting(
        "safety.risk_training", SETTINGS_GRID, fit_one,
        lambda arrays, meta: choose_threshold(LearnedRisks.from_arrays(arrays, meta), dev_rows, embed),
        lambda figures: (figures["caution_recall"], -figures["false_risks"]), WEIGHTS, META,
    )  # fmt: skip
    return 0


def check() -> int:
    """Whether the shipped model was fitted on the training files as they are now (``make test`` runs it)."""
    meta = json.loads(META.read_text(encoding="utf-8"))
    if why := refit_needed(meta, training_files(), "python -m safety.risk_training train"):
        print(f"safety.risk_training: {why}")
        return 1
    LearnedRisks.load()
    print("safety.risk_training: the shipped model matches its training data")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m safety.risk_training", description="Fit the learned medicine-risk signal, or check the shipped one."
    )
    parser.add_argument("command", choices=["train", "check"])
    args = parser.parse_args(argv)
    return check() if args.command == "check" else train()


if __name__ == "__main__":
    sys.exit(main())
