"""Which sentence of the guide answers a question: one learned head per sentence over the query embedding.

The example questions of ``data/answers/training`` (``answering.exemplars``) say
which of the guide's sentences answer them (the sentences holding their
``must_mention`` phrases). The exemplar bank asks how close a message is to the
*nearest* such question, which is brittle: one oddly worded example pulls a
sentence up for every message near it, and a sentence with many examples counts
no more than one with a single example. A logistic head per sentence, fitted on
all the example questions at once, weighs them all: on the four answers
development sets (standalone questions with a key phrase the guide holds), the
sentence ranked first held a key phrase for 65% of questions by the nearest
example alone, 75% by the heads alone and 78% by both (``answering.compose``
adds the heads' probability to a sentence's score beside the nearest example).

A head is keyed by its sentence's text (normalised), not by its id, so the heads
follow whatever index is loaded: a sentence they do not know (a clinic's new
page, an edited line) simply gets no head, and is chosen by the rest of the
score. A message costs one (heads x dimension) product with the query vector it
already has: no model call.

The model is data: ``data/answers/sentence_heads.npz`` and ``.json``, rebuilt by
``python -m answering.sentence_heads train`` (``make models``); ``check`` says
whether it matches the training files (``make test`` runs it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from answering.exemplars import (
    TRAINING_DIR,
    embed_in_batches,
    example_key,
    example_vectors,
    labelled_pairs,
    normal_text,
    read_examples,
)
from contracts import Sentence
from rules.locale import DATA_DIR
from safety.learned import check_shipped, fingerprint, read_model

WEIGHTS = DATA_DIR / "answers" / "sentence_heads.npz"
META = DATA_DIR / "answers" / "sentence_heads.json"
log = logging.getLogger("answering")

RETRAIN = "python -m answering.sentence_heads train"
# Logistic regularisation: weak, since each head sees a few dozen positives among some 3,800 questions
# (C 16, 64 and 256 tried on the development sets: 64 ranked a key-phrase sentence first most often).
REGULARISATION_C = 64.0
MIN_EXAMPLES = 2  # a sentence with a single example question gets no head (the exemplar bank still has it)


@dataclass(frozen=True)
class SentenceHeads:
    """The fitted heads: ``keys`` (normalised sentence texts), one weight row and bias each."""

    keys: tuple[str, ...]
    weights: np.ndarray  # (heads, dimension) float32
    bias: np.ndarray  # (heads,)
    meta: dict[str, Any]

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> SentenceHeads:
        def build(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> SentenceHeads:
            return cls(tuple(str(k) for k in arrays["keys"]), arrays["weights"].astype(np.float32), arrays["bias"].astype(np.float32), meta)

        return read_model(weights, meta_path, build, RETRAIN)

    def bind(self, sentences: Sequence[Sentence], dimension: int, cells: bool = False) -> BoundHeads:
        """The heads of the loaded index's prose sentences (or, with ``cells``, of its table cells), by sentence id.

        The two are kept apart because they are scored apart: prose by the composer, cells by
        ``answering.comparison``, which reads one cell per treatment. An index embedded in another
        ``dimension`` than the heads were fitted in gets none (the rest of the score still chooses)."""
        if dimension != self.weights.shape[1]:
            log.warning("the sentence heads were fitted on %d-dimension vectors, not %d: not used", self.weights.shape[1], dimension)
            return BoundHeads.empty()
        row_of = {key: i for i, key in enumerate(self.keys)}
        ids, rows = [], []
        for sentence in sentences:
            row = row_of.get(normal_text(sentence.text))
            if row is not None and sentence.is_cell == cells:
                ids.append(sentence.id)
                rows.append(row)
        return BoundHeads(tuple(ids), self.weights[rows], self.bias[rows])


@dataclass(frozen=True)
class BoundHeads:
    """Heads matched to the sentences of one loaded index."""

    ids: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def empty(cls) -> BoundHeads:
        return cls((), np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def probabilities(self, query_vector: np.ndarray) -> dict[str, float]:
        """Sentence id -> how likely the sentence answers the question this vector asks."""
        if not self.ids:
            return {}
        logits = self.weights @ np.asarray(query_vector, dtype=np.float32).ravel() + self.bias
        return dict(zip(self.ids, (1.0 / (1.0 + np.exp(-logits))).tolist()))


def training_files() -> list[Path]:
    return sorted(TRAINING_DIR.glob("*.jsonl"))


def train() -> int:
    """Label the example questions against the built index's sentences, fit one head per sentence, write the model."""
    from sklearn.linear_model import LogisticRegression

    from index.retriever import Retriever
    from settings import load_settings

    retriever = Retriever.from_settings(load_settings())
    sentences = retriever.index.sentences
    examples = read_examples(training_files())
    questions, labels = labelled_pairs(examples, sentences, cells=True)
    vectors = example_vectors(  # every example question: one whose phrases no sentence holds is a negative for all
        [e.question for e in examples], lambda texts: embed_in_batches(retriever.embedder, texts), retriever.embedder.info.model,
        move=lambda keys, rows: retriever.query_vectors.moved(rows, [retriever.vocabulary.expand(k) for k in keys]),
    )
    keys = list(vectors)
    row_of = {k: i for i, k in enumerate(keys)}
    x = np.stack([vectors[k] for k in keys])
    positives: dict[str, set[int]] = {}
    for question, sentence_id in zip(questions, labels, strict=True):
        positives.setdefault(sentence_id, set()).add(row_of[example_key(question)])
    text_of = {s.id: normal_text(s.text) for s in sentences}
    head_keys, weights, bias = [], [], []
    print(f"sentence heads: fitting {len(positives)} sentences on {len(keys)} example questions ...", flush=True)
    for sentence_id, rows in sorted(positives.items()):
        if len(rows) < MIN_EXAMPLES:
            continue
        y = np.zeros(len(keys), dtype=bool)
        y[list(rows)] = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head = LogisticRegression(C=REGULARISATION_C, max_iter=3000).fit(x, y)
        head_keys.append(text_of[sentence_id])
        weights.append(head.coef_[0])
        bias.append(head.intercept_[0])
    np.savez_compressed(
        WEIGHTS, allow_pickle=False, keys=np.asarray(head_keys), weights=np.asarray(weights, dtype=np.float16),
        bias=np.asarray(bias, dtype=np.float32),
    )
    meta = {"training": fingerprint(training_files()), "regularisation_c": REGULARISATION_C, "min_examples": MIN_EXAMPLES,
            "heads": len(head_keys), "questions": len(keys), "model": retriever.embedder.info.model}  # fmt: skip
    META.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    print(f"sentence heads: wrote {WEIGHTS.name} and {META.name} ({len(head_keys)} heads)")
    return 0


def check() -> int:
    """Whether the shipped heads were fitted on the training files and query vectors as they are now."""
    return check_shipped("sentence heads", META, training_files(), RETRAIN, SentenceHeads.load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m answering.sentence_heads", description="Fit the per-sentence heads, or check the shipped ones.")
    parser.add_argument("command", choices=["train", "check"])
    args = parser.parse_args(argv)
    return check() if args.command == "check" else train()


if __name__ == "__main__":
    sys.exit(main())
