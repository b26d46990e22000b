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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rules.locale import DATA_DIR
from safety.learned import BUCKETS, MEDICINE_TRAINING_DIR, _matrix, char_features, read_model

MODEL_DIR = DATA_DIR / "medicines"
WEIGHTS = MODEL_DIR / "model.npz"
META = MODEL_DIR / "model.json"
# Risks that withhold a dose. An amount already taken and its symptoms are triage's (Poison Help, emergency).
NOT_RISKS = {"overdose-taken", "symptoms-severe"}


@dataclass(frozen=True)
class LearnedRisks:
    """The fitted heads; ``risks`` is a few microseconds of arithmetic per message."""

    ids: tuple[str, ...]
    dense: np.ndarray  # (risks, dimension)
    sparse: np.ndarray  # (risks, BUCKETS) float32, mostly zero
    bias: np.ndarray  # (risks,)
    threshold: float
    meta: dict[str, Any]

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> LearnedRisks:
        return read_model(weights, meta_path, cls.from_arrays, "python -m safety.risk_training train")

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> LearnedRisks:
        ids = tuple(meta["risks"])
        sparse = np.zeros((len(ids), BUCKETS), dtype=np.float32)
        sparse[arrays["rows"], arrays["cols"]] = arrays["values"]
        return cls(ids, arrays["dense"], sparse, arrays["bias"], float(meta["threshold"]), meta)

    @property
    def dimension(self) -> int:
        return int(self.dense.shape[1])

    def probabilities(self, text: str, vector: np.ndarray) -> dict[str, float]:
        index, values = char_features(text)
        z = self.dense @ np.asarray(vector, dtype=np.float32).ravel() + self.sparse[:, index] @ values + self.bias
        return dict(zip(self.ids, (1.0 / (1.0 + np.exp(-z))).tolist(), strict=True))

    def risks(self, text: str, vector: np.ndarray) -> list[str]:
        """The risks whose probability reaches the threshold, likeliest first."""
        found = [(p, risk) for risk, p in self.probabilities(text, vector).items() if p >= self.threshold]
        return [risk for _, risk in sorted(found, reverse=True)]


# -- training --------------------------------------------------------------------------------------


def training_files(directory: Path = MEDICINE_TRAINING_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def read_jsonl(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_examples(rows: list[dict[str, Any]]) -> list[tuple[str, set[str]]]:
    """(message, its risks): single messages; and each message of a conversation with no risk at all
    (a conversation's risks belong to some message of it, which one is not said)."""
    examples = [(r["message"], set(r.get("risks", [])) - NOT_RISKS) for r in rows if not r.get("history")]
    examples += [(text, set()) for r in rows if r.get("history") and not r.get("risks") for text in [r["message"], *r["history"]]]
    return examples


def fit(
    texts: Sequence[str], vectors: np.ndarray, labels: Sequence[set[str]], ids: Sequence[str], c: float, char_weight: float
) -> dict[str, np.ndarray]:
    """One balanced logistic head per risk over the embedding and the (weighted) n-grams."""
    from sklearn.linear_model import LogisticRegression

    features = _matrix(texts, vectors, char_weight)
    dim = vectors.shape[1]
    dense, sparse, bias = [], [], []
    for risk in ids:
        head = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        head.fit(features, np.array([risk in found for found in labels], dtype=int))
        w = head.coef_[0].astype(np.float32)
        dense.append(w[:dim])
        sparse.append(w[dim:] * char_weight)
        bias.append(head.intercept_[0])
    weights = np.stack(sparse)
    rows, cols = np.nonzero(weights)
    return {
        "dense": np.stack(dense), "rows": rows.astype(np.int64), "cols": cols.astype(np.int64),
        "values": weights[rows, cols], "bias": np.asarray(bias, dtype=np.float32),
    }  # fmt: skip
