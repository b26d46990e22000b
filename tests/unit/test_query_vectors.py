"""Question vectors moved toward their lay words' guide terms (``index.query_vectors``), with hand-made vectors.

The real model's effect on retrieval is measured by ``python -m eval`` and the
held-out sets; here: what moves, how far, and how many model calls it costs.
"""

from __future__ import annotations

import numpy as np
import pytest

from index.query_vectors import QueryVectors
from index.vocabulary import Expansion

VECTORS = {
    "frozen peas?": [1.0, 0.0, 0.0],
    "cold therapy": [0.0, 1.0, 0.0],
    "ice pack": [0.0, 0.6, 0.8],
    "Heat and Cold": [0.0, 0.0, 1.0],
    "hello": [0.6, 0.8, 0.0],
}


class Model:
    """Counts its calls: each costs a model run."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.asarray([VECTORS[t] for t in texts], dtype=np.float32)


def _expansion(*terms: str) -> Expansion:
    return Expansion(terms, (), ())


def test_terms_are_embedded_once_at_load_and_a_question_costs_one_call():
    model = Model()
    vectors = QueryVectors(model, 0.7, ["cold therapy", "ice pack", "cold therapy"])
    assert model.calls == [["cold therapy", "ice pack"]]
    vectors.of(["frozen peas?", "hello"], [_expansion("cold therapy"), _expansion()])
    vectors.of(["frozen peas?"], [_expansion("cold therapy", "ice pack")])
    assert model.calls[1:] == [["frozen peas?", "hello"], ["frozen peas?"]]


def test_a_question_moves_toward_its_terms_and_stays_unit_length():
    vectors = QueryVectors(Model(), 0.7, ["cold therapy"])
    (moved,) = vectors.of(["frozen peas?"], [_expansion("cold therapy")])
    assert np.linalg.norm(moved) == pytest.approx(1.0)
    assert moved @ np.asarray(VECTORS["cold therapy"]) == pytest.approx(0.7 / np.hypot(1.0, 0.7), abs=1e-6)
    assert moved[0] > moved[1]  # the question's own meaning still leads at a weight below one


def test_no_terms_or_no_weight_leave_the_question_as_embedded():
    bare = np.asarray([VECTORS["hello"]], dtype=np.float32)
    assert np.allclose(QueryVectors(Model(), 0.7).moved(bare, [_expansion()]), bare)
    assert np.allclose(QueryVectors(Model(), 0.0, ["cold therapy"]).moved(bare, [_expansion("cold therapy")]), bare)


def test_several_terms_count_as_their_mean_and_a_topic_hint_is_embedded_once():
    model = Model()
    vectors = QueryVectors(model, 1.0, ["cold therapy", "ice pack"])
    bare = np.asarray([VECTORS["frozen peas?"]], dtype=np.float32)
    (both,) = vectors.moved(bare, [_expansion("cold therapy", "ice pack", "cold therapy")])
    mean = np.asarray([0.0, 0.8, 0.4]) / np.linalg.norm([0.0, 0.8, 0.4])  # each term once
    expected = np.asarray(VECTORS["frozen peas?"]) + mean
    assert np.allclose(both, expected / np.linalg.norm(expected), atol=1e-6)
    vectors.moved(bare, [_expansion()], hint="Heat and Cold")
    vectors.moved(bare, [_expansion()], hint="Heat and Cold")
    assert model.calls[1:] == [["Heat and Cold"]]


def test_directions_need_no_model_call_and_add_up_to_the_moved_vector():
    """The finder works out the directions while the message is in the model, then only adds them."""
    model = Model()
    vectors = QueryVectors(model, 0.7, ["cold therapy", "ice pack"])
    expansions = [_expansion("cold therapy", "ice pack"), _expansion()]
    directions = vectors.directions(expansions)
    assert len(model.calls) == 1  # the terms at load; the directions embed nothing
    assert directions[1] is None
    assert np.linalg.norm(directions[0]) == pytest.approx(0.7)
    bare = vectors.embedded(["frozen peas?", "hello"])
    assert np.array_equal(vectors.moved_by(bare, directions), vectors.moved(bare, expansions))


def test_the_signature_a_learned_layer_records_changes_with_what_makes_the_vectors():
    from index.query_vectors import signature

    same = signature("m", 0.7, ["cold therapy", "ice pack"])
    assert same == signature("m", 0.7, ["ice pack", "cold therapy"])  # the terms' order does not matter
    assert len({same, signature("m", 1.0, ["cold therapy", "ice pack"]), signature("m", 0.7, ["cold therapy"]),
                signature("other", 0.7, ["cold therapy", "ice pack"])}) == 4


def test_a_new_lay_phrasing_for_a_known_term_changes_the_signature():
    """A phrasing added to vocabulary.toml moves some questions' vectors even when its guide term is not new."""
    import re

    from index.query_vectors import signature
    from index.vocabulary import LayVocabulary, _Phrase

    def vocabulary(*says: str) -> LayVocabulary:
        return LayVocabulary([_Phrase(s.split()[0], re.compile(s), "cold therapy", ("heat-cold",)) for s in says])

    before, after = vocabulary("frozen peas"), vocabulary("frozen peas", "bag of ice")
    assert before.meanings == after.meanings
    assert signature("m", 0.7, before.readings) != signature("m", 0.7, after.readings)
