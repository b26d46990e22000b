"""``python -m answering.answerability_training train|check``: fit the answerability layer, or check the shipped one.

``train`` embeds the training questions (``data/answers/answerability/*.jsonl``,
one ``{"question", "label"}`` per line, and the standalone example questions of
``data/answers/training/``, answerable or not) as the answer embeds a message,
fits one head per label for each setting on the grid, and picks the threshold on
the development sets (``eval/heldout/answers_dev*.jsonl``, written by people who
had seen neither the rules nor the sets): the lowest that refuses at most
``FALSE_REFUSAL_BUDGET`` of their answerable questions. The test sets are never
read here. ``check`` says whether the shipped model was fitted on the training
files as they are now (``make test`` runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from answering.answerability import LABELS, META, MODEL_DIR, NEIGHBOURS_AGREEING, RETRAIN, WEIGHTS, Answerability
from answering.exemplars import TRAINING_DIR as EXAMPLES_DIR
from safety.learned import check_shipped, fingerprint, fit_best_setting, fit_heads, lowest_threshold

TRAINING_DIR = MODEL_DIR / "answerability"
HELDOUT = MODEL_DIR.parent.parent / "eval" / "heldout"
DEV_SETS = tuple(sorted(HELDOUT.glob("answers_dev*.jsonl")))  # every answers dev set: a new one joins the next fit
# A refused answerable question costs a patient the guide's answer; an unanswerable one let through gets a
# loosely related quote. The threshold is the lowest on the grid that refuses at most this share of the
# development sets' answerable questions (the rules' own refusals come on top: the target is 0.03 in all).
# 0.01 caught 4 more unanswerable dev lines for 2 more refusals, on sets already near 0.03: kept at half.
FALSE_REFUSAL_BUDGET = 0.005
THRESHOLD_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
SETTINGS_GRID = ((1.0, 1.0, 0.0), (1.0, 4.0, 0.0), (4.0, 4.0, 0.0))  # (n-gram weight beside the embedding, logistic C, idf power)

Embed = Callable[[list[str]], np.ndarray]


def training_files() -> list[Path]:
    return sorted(TRAINING_DIR.glob("*.jsonl")) + sorted(EXAMPLES_DIR.glob("*.jsonl"))


def _rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_examples(paths: Sequence[Path]) -> list[tuple[str, set[str]]]:
    """(question, its labels): a labelled line's label ("answerable" is none); an example question of the
    answers' training set is answerable unless it says otherwise (then a question for the clinic when its
    intent is logistics, else one the guide does not answer). Follow-ups lean on their conversation: left out."""
    examples = []
    for row in _rows(paths):
        if row.get("history"):
            continue
        if "label" in row:
            label = row["label"]
            if label != "answerable" and label not in LABELS:
                raise ValueError(f"{row.get('id')}: label {label!r} is none of answerable, {', '.join(LABELS)}")
            examples.append((row["question"], set() if label == "answerable" else {label}))
        elif row.get("intent") == "social":
            continue  # labelled line by line in answerability/answerability_train_social.jsonl (closing, complaint or neither)
        elif row.get("expect_answerable", True):
            examples.append((row["question"], set()))
        else:
            examples.append((row["question"], {"clinic"} if row.get("intent") == "logistics" else {"not_in_guide"}))
    return examples


def dev_examples() -> tuple[list[str], list[str]]:
    """(answerable questions, unanswerable ones) of the development sets, standalone lines only."""
    answerable, unanswerable = [], []
    for row in _rows(DEV_SETS):
        if row.get("history") or row.get("intent") == "social":  # greetings and thanks are the rules' (scope.toml)
            continue
        if row.get("expect_answerable", True) and not row.get("expect_out_of_scope"):
            answerable.append(row["question"])
        else:
            unanswerable.append(row["question"])
    return answerable, unanswerable


def choose_threshold(model: Answerability, dev: tuple[list[str], list[str]], vectors: dict[str, np.ndarray]) -> tuple[float, dict[str, float]]:
    """The lowest threshold that refuses at most the budget of answerable dev questions, with its dev figures."""
    answerable, unanswerable = dev

    def figures(threshold: float) -> dict[str, float]:
        m = replace(model, threshold=threshold)
        refused = [m.label(q, vectors[q]) is not None for q in answerable]
        caught = [m.label(q, vectors[q]) is not None for q in unanswerable]
        return {"unanswerable_caught": round(float(np.mean(caught)), 4), "answerable_refused": round(float(np.mean(refused)), 4)}

    return lowest_threshold(
        THRESHOLD_GRID, figures, lambda found: found["answerable_refused"] <= FALSE_REFUSAL_BUDGET,
        f"refusals of answerable development questions at most {FALSE_REFUSAL_BUDGET}",
    )


def _lines_right(figures: dict[str, float], dev: tuple[list[str], list[str]]) -> tuple[float]:
    """Development lines caught minus answerable lines refused: the settings are compared in lines, not rates (a
    refused answerable question costs as much as an unanswerable one let through, and they are 4 to 1 in number)."""
    answerable, unanswerable = dev
    return (figures["unanswerable_caught"] * len(unanswerable) - figures["answerable_refused"] * len(answerable),)


def train(embed: Embed | None = None) -> int:
    from safety.training import default_embedder

    embed = embed or default_embedder()
    paths = training_files()
    examples = training_examples(paths)
    texts = [text for text, _ in examples]
    print(f"answerability: embedding {len(texts)} training questions ...", flush=True)
    vectors = embed(texts)
    dev = dev_examples()
    dev_texts = sorted(set(dev[0]) | set(dev[1]))
    dev_vectors = dict(zip(dev_texts, embed(dev_texts), strict=True))

    def fit_one(char_weight: float, c: float, idf_power: float) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = fit_heads(texts, vectors, [labels for _, labels in examples], LABELS, c, char_weight, idf_power)
        arrays.update(neighbours=vectors.astype(np.float16), unanswerable=np.array([bool(labels) for _, labels in examples]))
        meta = {
            "training": fingerprint(paths), "labels": list(LABELS), "regularisation_c": c, "char_weight": char_weight,
            "idf_power": idf_power, "neighbours_agreeing": NEIGHBOURS_AGREEING,
        }  # fmt: skip
        return arrays, meta

    fit_best_setting(
        "answerability", SETTINGS_GRID, fit_one,
        lambda arrays, meta: choose_threshold(Answerability.from_arrays(arrays, meta), dev, dev_vectors),
        lambda figures: _lines_right(figures, dev), WEIGHTS, META,
    )  # fmt: skip
    return 0


def check() -> int:
    """Whether the shipped model was fitted on the training files as they are now."""
    return check_shipped("answerability", META, training_files(), RETRAIN, Answerability.load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m answering.answerability_training", description="Fit the answerability layer, or check the shipped one.")
    parser.add_argument("command", choices=["train", "check"])
    args = parser.parse_args(argv)
    return check() if args.command == "check" else train()


if __name__ == "__main__":
    sys.exit(main())
