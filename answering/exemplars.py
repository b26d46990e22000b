"""Patients' questions that a sentence of the guide answers: a learned nudge for choosing sentences.

A question and the guide's statement that answers it are often far apart for a
small embedding model ("fell asleep with the heat pad on all night, is that
bad?" against "limit each session to 15-20 minutes to prevent skin damage"),
while two questions asking the same thing are close. So the composer also asks:
*how close is this question to questions this sentence is known to answer?*

The known questions are data, ``data/answers/training/*.jsonl`` (one question per
line with ``must_mention``: short phrases of the guide that a good answer
contains; written by helpers who had not seen the rules or the evaluation sets).
At load, each phrase is found in the loaded index's sentences, so the bank labels
whatever the index holds: a new page of the clinic's simply has no examples yet
and is chosen by the rest of the score, as before. The questions are embedded
as written by ``python -m answering.exemplars embed``, which stores them in
``data/answers/examples.npz`` (``make test`` checks the file matches the data);
a question the file lacks is embedded at load instead, so an edit works before
the command is run, only slower. At load each is then moved toward its lay
words' guide terms exactly as a patient's question is (``index.query_vectors``).
A message costs one matrix product with the query vector it already has: no
second model call.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contracts import Sentence
from embedding.info import QueryEmbedder
from index.vocabulary import MAX_QUERY_CHARS
from settings import PROJECT_ROOT, load_settings

log = logging.getLogger("answering")

TRAINING_DIR = PROJECT_ROOT / "data" / "answers" / "training"
VECTORS_FILE = PROJECT_ROOT / "data" / "answers" / "examples.npz"
EMBED_COMMAND = "python -m answering.exemplars embed"
_NORMAL = re.compile(r"[^a-z0-9]+")


def normal_text(text: str) -> str:
    """Case, punctuation, spacing and Markdown ignored: " limit each session to 15 20 minutes "."""
    return f" {_NORMAL.sub(' ', text.lower()).strip()} "


@dataclass(frozen=True)
class Example:
    question: str
    phrases: tuple[str, ...]


def read_examples(paths: Sequence[Path]) -> list[Example]:
    """Standalone questions with phrases (a follow-up's words mean little without its conversation)."""
    examples = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg}); fix the line or remove it") from exc
            phrases = tuple(row.get("must_mention") or ())
            if phrases and not row.get("history") and row.get("expect_answerable", True):
                examples.append(Example(str(row["question"]), phrases))
    return examples


class ExemplarBank:
    """Example questions, embedded, each labelled with the sentences of the loaded index holding its phrases."""

    def __init__(self, vectors: np.ndarray, labels: Sequence[str]) -> None:
        order = sorted(range(len(labels)), key=lambda i: labels[i])  # pairs grouped by sentence: one reduceat per message
        # A question whose phrases sit in several sentences is one vector: each message is compared with
        # each distinct question once (about half the pairs), then the cosines are spread over the pairs.
        pairs = np.asarray(vectors, dtype=np.float32)[order]
        unique, pair_rows = np.unique(pairs, axis=0, return_inverse=True)
        self.vectors = np.ascontiguousarray(unique)  # one unit row per distinct example question
        self._pair_rows = np.asarray(pair_rows, dtype=np.intp).ravel()  # (question, sentence) pair -> its row
        first: dict[str, int] = {}  # each sentence's first pair (the pairs are sorted by sentence)
        for position, i in enumerate(order):
            first.setdefault(labels[i], position)
        self._ids = tuple(first)
        self._starts = np.asarray(list(first.values()), dtype=np.intp)

    @classmethod
    def empty(cls) -> ExemplarBank:
        return cls(np.zeros((0, 1), dtype=np.float32), [])

    @classmethod
    def build(
        cls, sentences: Sequence[Sentence], embed: Callable[[list[str]], np.ndarray], model: str,
        paths: Sequence[Path] | None = None, vectors_file: Path = VECTORS_FILE,
        move: Callable[[list[str], np.ndarray], np.ndarray] | None = None,
    ) -> ExemplarBank:
        """Label the examples against ``sentences``; their vectors come from ``vectors_file`` when it holds them
        (same model, same text: ``example_key`` of the question), else from ``embed``; ``move`` then makes
        them query vectors (the finder passes ``QueryVectors.moved`` with each question's expansion)."""
        paths = sorted(TRAINING_DIR.glob("*.jsonl")) if paths is None else list(paths)
        questions, labels = labelled_pairs(read_examples(paths), sentences)
        if not questions:
            return cls.empty()
        rows = example_vectors(questions, embed, model, vectors_file, move)
        return cls(np.stack([rows[example_key(q)] for q in questions]), labels)

    def __len__(self) -> int:
        """The (question, sentence) pairs."""
        return len(self._pair_rows)

    @property
    def sentences_covered(self) -> int:
        return len(self._ids)

    def similarities(self, query_vector: np.ndarray) -> dict[str, float]:
        """Sentence id -> cosine of the query to the closest example question that sentence answers."""
        if not len(self.vectors):
            return {}
        sims = (self.vectors @ np.asarray(query_vector, dtype=np.float32).ravel())[self._pair_rows]
        return dict(zip(self._ids, np.maximum.reduceat(sims, self._starts).tolist()))


def labelled_pairs(
    examples: Sequence[Example], sentences: Sequence[Sentence], cells: bool = False
) -> tuple[list[str], list[str]]:
    """(question, sentence id) for each prose sentence of ``sentences`` (and each table cell, with ``cells``) that
    holds one of a question's phrases."""
    prose = [s for s in sentences if cells or not s.is_cell]
    texts = [normal_text(s.text) for s in prose]
    questions: list[str] = []
    labels: list[str] = []
    for example in examples:
        for phrase in example.phrases:
            wanted = normal_text(phrase)
            for sentence, text in zip(prose, texts):
                if wanted in text:
                    questions.append(example.question)
                    labels.append(sentence.id)
    return questions, labels


def example_vectors(
    questions: Sequence[str], embed: Callable[[list[str]], np.ndarray], model: str, vectors_file: Path = VECTORS_FILE,
    move: Callable[[list[str], np.ndarray], np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Each distinct question's query vector by ``example_key``: stored in ``vectors_file`` when it holds it (same
    model, same text), else embedded now; ``move`` then makes them query vectors (``QueryVectors.moved`` with each
    question's expansion), as a patient's message is."""
    keys = list(dict.fromkeys(example_key(q) for q in questions))
    stored = read_vectors(vectors_file, model)
    missing = [k for k in keys if k not in stored]
    if missing:
        log.warning("%d example question(s) not in %s: embedding them now; run `%s`", len(missing), vectors_file.name, EMBED_COMMAND)
        stored.update(zip(missing, np.asarray(embed(missing), dtype=np.float32)))
    vectors = np.stack([stored[k] for k in keys])
    return dict(zip(keys, move(keys, vectors) if move is not None else vectors))


def read_vectors(path: Path, model: str) -> dict[str, np.ndarray]:
    """Embedded text -> unit vector, from the stored file when it was made with ``model`` ({} otherwise)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != model:
                return {}
            return dict(zip(data["texts"].tolist(), data["vectors"].astype(np.float32)))
    except (OSError, ValueError, KeyError):
        return {}


def example_key(question: str) -> str:
    """What is embedded (and stored) for an example question: as much of it as a patient's message is read."""
    return question[:MAX_QUERY_CHARS]


def embed_in_batches(embedder: QueryEmbedder, texts: list[str], batch: int = 16) -> np.ndarray:
    """Many texts through the query embedder, ``batch`` at a time (at load and by ``embed``: one way, one result)."""
    if not texts:
        return np.zeros((0, embedder.info.dimension), dtype=np.float32)
    return np.concatenate([embedder.encode_queries(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def _training_texts() -> list[str]:
    examples = read_examples(sorted(TRAINING_DIR.glob("*.jsonl")))
    return list(dict.fromkeys(example_key(e.question) for e in examples))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m answering.exemplars", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("embed", "check"), help="embed: write data/answers/examples.npz; check: does it match the data?")
    args = parser.parse_args(argv)
    settings = load_settings()
    model = settings.embedder.model
    texts = _training_texts()
    if args.command == "embed":
        from embedding.embedder import load_query_embedder

        vectors = embed_in_batches(load_query_embedder(settings), texts).astype(np.float16)
        VECTORS_FILE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(VECTORS_FILE, texts=np.asarray(texts), vectors=vectors, model=np.asarray(model))
        print(f"{len(texts)} example questions embedded with {model} -> {VECTORS_FILE.relative_to(PROJECT_ROOT)}")
        return 0
    stored = read_vectors(VECTORS_FILE, model)
    missing = [t for t in texts if t not in stored]
    extra = set(stored) - set(texts)
    if missing or extra:
        print(f"{VECTORS_FILE.relative_to(PROJECT_ROOT)}: {len(missing)} question(s) missing, {len(extra)} no longer in the data; run `{EMBED_COMMAND}`")
        return 1
    print(f"{VECTORS_FILE.relative_to(PROJECT_ROOT)} matches {len(texts)} example questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
