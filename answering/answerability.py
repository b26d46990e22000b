"""Can the guide answer this? A learned reading of the questions it cannot, beside the rules.

The rules of ``data/en/scope.toml`` name subjects the guide lacks (a scan, a foam
roller) and the clinic's own topics (hours, prices). Patients ask near the guide
in more ways than a list holds: "what temperature should my heat pad be on?",
"is Thai massage ok for spasms?", "do you do evenings after 6?". This layer
reads what the answer already has, so it costs no model call of its own: the
message's **query embedding** and its **character n-grams** (``safety.learned``).

Two readings must agree (each alone refuses too many answerable questions):

- the **two closest training questions** (cosine over their stored vectors) are both
  ones the guide cannot answer (one alone is too brittle: "how many times a day can I
  ice my back?" is unanswerable, "how long should I ice it?" is not), and
- one logistic head per label says the message is likely:

- ``not_in_guide``: near the subject, but the guide has no answer to it;
- ``clinic``: a question only the clinic can answer (its hours, prices, visits);
- ``complaint``: unhappy with the assistant ("that didn't help at all");
- ``closing``: a thank-you, goodbye or compliment in the patient's own words ("nice one, have a
  good day", "you've been more helpful than my GP"): read by the greeting step, and only for a
  message that asks nothing and leaves nothing open (``ScopeRules.leaves_nothing_open``).

One threshold on the heads, chosen on the development sets (the most unanswerable
questions caught while the layer refuses at most ``FALSE_REFUSAL_BUDGET`` of
answerable ones), turns a probability into a label. It runs after the rules, so it
only adds.

The model is data: ``data/answers/model.npz`` and ``model.json``, rebuilt by
``python -m answering.answerability_training train`` from ``data/answers/answerability/``
and the example questions of ``data/answers/training/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rules.locale import DATA_DIR
from safety.learned import LogisticHeads, read_model

MODEL_DIR = DATA_DIR / "answers"
WEIGHTS = MODEL_DIR / "model.npz"
META = MODEL_DIR / "model.json"
LABELS = ("not_in_guide", "clinic", "complaint", "closing")
RETRAIN = "python -m answering.answerability_training train"
NEIGHBOURS_AGREEING = 2


@dataclass(frozen=True)
class Answerability(LogisticHeads):
    """The fitted heads; ``label`` is a few microseconds of arithmetic per message."""

    neighbours: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))  # training questions' vectors
    unanswerable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # ...and whether each has a label

    IDS_KEY = "labels"

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> Answerability:
        return read_model(weights, meta_path, cls.from_arrays, RETRAIN)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Answerability:
        heads = super().from_arrays(arrays, meta)
        return cls(heads.ids, heads.dense, heads.sparse, heads.bias, heads.threshold, heads.meta,
                   arrays["neighbours"].astype(np.float32), arrays["unanswerable"].astype(bool))  # fmt: skip

    def label(self, text: str, vector: np.ndarray) -> str | None:
        """The likeliest label at or above the threshold, when the closest training questions are
        unanswerable too; else None (the guide may well answer it)."""
        agreeing = int(self.meta.get("neighbours_agreeing", NEIGHBOURS_AGREEING))
        if len(self.neighbours) < agreeing:
            return None
        # The heads first: a few microseconds, and most questions stop here. The neighbours'
        # cosines read every training question's vector (milliseconds), so they come second.
        label, p = max(self.probabilities(text, vector).items(), key=lambda item: item[1])
        if p < self.threshold:
            return None
        sims = self.neighbours @ np.asarray(vector, dtype=np.float32).ravel()
        return label if self.unanswerable[np.argpartition(-sims, agreeing - 1)[:agreeing]].all() else None
