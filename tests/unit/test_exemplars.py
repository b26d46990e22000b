"""The example-question bank (``answering.exemplars``): labelling, stored vectors, and the score it adds.

No model: vectors are small hand-made ones. The real model's effect is measured
by ``python -m eval.heldout answers`` and checked end to end in
``tests/integration/test_answer.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from answering.compose import ComposerTuning, score_sentences
from answering.exemplars import ExemplarBank, read_examples
from contracts import Sentence
from settings import PROJECT_ROOT


def _sentence(i: int, text: str) -> Sentence:
    return Sentence(f"s{i}", "c1", "guide.txt", "t", "T", "T", text, i * 100, i * 100 + len(text), "sentence", "", i, i * 100, "paragraph")


SENTENCES = [
    _sentence(0, "Limit each session to 15-20 minutes to prevent skin damage."),
    _sentence(1, "Apply ice in the first 24 to 48 hours."),
    _sentence(2, "Massage releases trigger points."),
]
UNIT = {"heat pad all night?": [1.0, 0.0, 0.0], "ice or heat first?": [0.0, 1.0, 0.0], "ice when?": [0.0, 0.8, 0.6]}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def training(tmp_path: Path) -> Path:
    return _write(tmp_path / "train.jsonl", [
        {"question": "heat pad all night?", "must_mention": ["15-20 minutes"]},
        {"question": "ice or heat first?", "must_mention": ["first 24 to 48 hours"]},
        {"question": "ice when?", "must_mention": ["24 TO 48 hours"]},  # case and punctuation do not matter
        {"question": "how often?", "history": [{"role": "user", "content": "ice?"}], "must_mention": ["trigger points"]},
        {"question": "do you take insurance?", "expect_answerable": False, "must_mention": []},
        {"question": "a phrase no sentence holds", "must_mention": ["acupuncture needles"]},
    ])


def _embed_calls() -> tuple[list[list[str]], object]:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.asarray([UNIT[t] for t in texts], dtype=np.float32)

    return calls, embed


def test_each_example_labels_the_sentences_holding_its_phrases(training: Path, tmp_path: Path):
    calls, embed = _embed_calls()
    bank = ExemplarBank.build(SENTENCES, embed, "m", [training], tmp_path / "none.npz")
    assert len(bank) == 3 and bank.sentences_covered == 2  # follow-ups, unanswerables and unmatched phrases teach nothing
    sims = bank.similarities(np.asarray([0.0, 0.6, 0.8], dtype=np.float32))
    assert sims == pytest.approx({"s0": 0.0, "s1": 0.96})  # the closest of a sentence's examples counts
    assert calls == [["heat pad all night?", "ice or heat first?", "ice when?"]]


def test_stored_vectors_are_used_and_only_missing_questions_are_embedded(training: Path, tmp_path: Path):
    stored = tmp_path / "examples.npz"
    np.savez_compressed(stored, texts=np.asarray(["heat pad all night?", "ice or heat first?"]),
                        vectors=np.asarray([UNIT["heat pad all night?"], UNIT["ice or heat first?"]], dtype=np.float16),
                        model=np.asarray("m"))
    calls, embed = _embed_calls()
    ExemplarBank.build(SENTENCES, embed, "m", [training], stored)
    assert calls == [["ice when?"]]
    calls, embed = _embed_calls()
    ExemplarBank.build(SENTENCES, embed, "another-model", [training], stored)  # another model's vectors are not used
    assert len(calls[0]) == 3


def test_each_distinct_question_is_moved_once_as_a_patients_question_would_be(training: Path, tmp_path: Path):
    """The bank holds query vectors: ``move`` (the lay words' terms, in the finder) sees each question once."""
    moved: list[list[str]] = []

    def move(questions: list[str], vectors: np.ndarray) -> np.ndarray:
        moved.append(list(questions))
        return np.asarray([[0.0, 0.0, 1.0]] * len(questions), dtype=np.float32)

    _, embed = _embed_calls()
    bank = ExemplarBank.build(SENTENCES, embed, "m", [training], tmp_path / "none.npz", move=move)
    assert moved == [["heat pad all night?", "ice or heat first?", "ice when?"]]
    assert bank.similarities(np.asarray([0.0, 0.0, 1.0], dtype=np.float32)) == pytest.approx({"s0": 1.0, "s1": 1.0})


def test_a_bad_training_line_names_its_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "must_mention": ["x"]}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not JSON"):
        read_examples([bad])


def test_no_examples_change_nothing():
    bank = ExemplarBank.empty()
    assert bank.similarities(np.ones(3, dtype=np.float32)) == {}


def test_a_close_example_lifts_its_sentence_over_a_closer_wording():
    """The sentence a near-identical question was answered by comes first, though another shares more words."""
    vectors = np.asarray([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)
    query = np.asarray([1.0, 0.0], dtype=np.float32)
    tuning = ComposerTuning()
    plain = score_sentences(query, (set(), set()), SENTENCES[:2], vectors, {"c1": 1}, tuning)
    helped = score_sentences(query, (set(), set()), SENTENCES[:2], vectors, {"c1": 1}, tuning, examples={"s1": 0.95})
    assert plain[0].sentence.id == "s0" and helped[0].sentence.id == "s1"
    below = score_sentences(query, (set(), set()), SENTENCES[:2], vectors, {"c1": 1}, tuning, examples={"s1": tuning.example_floor})
    assert below[0].sentence.id == "s0"  # no closer than the floor: no help


def test_the_shipped_example_vectors_match_the_training_data():
    done = subprocess.run([sys.executable, "-m", "answering.exemplars", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the answerability layer (answering.answerability) ---------------------------------------------


def _answerability(threshold: float = 0.7):
    from answering.answerability import Answerability
    from safety.learned import BUCKETS

    dense = np.asarray([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0]], dtype=np.float32)  # not_in_guide, clinic, complaint
    arrays = {
        "dense": dense, "rows": np.zeros(0, dtype=np.int64), "cols": np.zeros(0, dtype=np.int64),
        "values": np.zeros(0, dtype=np.float32), "bias": np.asarray([-2.0, -2.0, -9.0], dtype=np.float32),
        "neighbours": np.asarray([[1.0, 0.0], [0.96, 0.28], [0.0, 1.0], [0.28, 0.96], [0.6, 0.8]], dtype=np.float16),
        "unanswerable": np.asarray([True, True, True, True, False]),
    }  # fmt: skip
    model = Answerability.from_arrays(arrays, {"labels": ["not_in_guide", "clinic", "complaint"], "threshold": threshold})
    assert model.sparse.shape == (3, BUCKETS)
    return model


def test_a_label_needs_both_the_heads_and_the_closest_training_questions():
    model = _answerability()
    assert model.label("x", np.asarray([1.0, 0.0])) == "not_in_guide"  # p = 0.88, both closest questions unanswerable
    assert model.label("x", np.asarray([0.0, 1.0])) == "clinic"
    assert model.label("x", np.asarray([0.6, 0.8])) is None  # the heads lean clinic, but the closest question is answerable
    assert _answerability(threshold=0.95).label("x", np.asarray([1.0, 0.0])) is None  # below the threshold


def test_the_shipped_answerability_model_matches_its_training_data():
    done = subprocess.run([sys.executable, "-m", "answering.answerability_training", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the per-sentence heads (answering.sentence_heads) ----------------------------------------------


def _heads():
    from answering.sentence_heads import SentenceHeads

    keys = (" apply ice in the first 24 to 48 hours ", " a sentence no index holds ")
    weights = np.asarray([[0.0, 6.0, 0.0], [9.0, 9.0, 9.0]], dtype=np.float32)
    return SentenceHeads(keys, weights, np.asarray([-3.0, 0.0], dtype=np.float32), {})


def test_heads_follow_the_sentences_by_text_not_by_id():
    renumbered = [_sentence(7, s.text) for s in SENTENCES]  # the same guide, ingested with other ids
    bound = _heads().bind(renumbered, 3)
    assert bound.ids == ("s7",)  # only the sentence the heads know; a head whose sentence is gone is dropped
    assert bound.probabilities(np.asarray([0.0, 1.0, 0.0]))["s7"] == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_heads_fitted_in_another_dimension_are_not_used():
    assert len(_heads().bind(SENTENCES, 64)) == 0  # an index embedded by another model: no head, no error


def test_a_sure_head_lifts_its_sentence_first():
    vectors = np.eye(3, dtype=np.float32)[:2]
    query = np.asarray([0.9, 0.1, 0.0], dtype=np.float32)  # closer to s0 by cosine
    tuning = ComposerTuning()
    heads = _heads().bind(SENTENCES, 3).probabilities(np.asarray([0.0, 1.0, 0.0]))
    plain = score_sentences(query, (set(), set()), SENTENCES[:2], vectors, {"c1": 1}, tuning)
    helped = score_sentences(query, (set(), set()), SENTENCES[:2], vectors, {"c1": 1}, tuning, heads=heads)
    assert plain[0].sentence.id == "s0" and helped[0].sentence.id == "s1"


def test_the_shipped_sentence_heads_match_the_training_data():
    done = subprocess.run([sys.executable, "-m", "answering.sentence_heads", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
