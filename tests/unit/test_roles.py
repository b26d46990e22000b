"""How informative a sentence is, read from the words and the vectors (``answering.roles``)."""

from __future__ import annotations

import numpy as np

from answering.roles import RoleRules, sentence_priors
from contracts import Sentence


def _sentence(i: int, text: str, treatment: str) -> Sentence:
    return Sentence(f"s{i}", f"c{treatment}", "guide.txt", treatment, treatment, treatment, text, i * 100, i * 100 + len(text),
                    "sentence", "", i, i * 100, "paragraph")


def test_concrete_content_counts_and_filler_does_not():
    rules = RoleRules.load()
    concrete = rules.concreteness("Daily Movement: Walk slowly for 5-10 minutes every few hours (no longer).")
    generic = rules.concreteness("Navigating the landscape of back spasm treatments can feel overwhelming.")
    rhetorical = rules.concreteness("Ready to explore a holistic approach?")
    assert concrete > 2 > 0 > generic
    assert rhetorical < 0


def test_a_sentence_close_to_its_own_section_is_more_specific_than_one_close_to_all():
    rules = RoleRules.load()
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=8), rng.normal(size=8)
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    sentences = [_sentence(0, "alpha one", "a"), _sentence(1, "alpha two", "a"), _sentence(2, "beta one", "b"),
                 _sentence(3, "beta two", "b"), _sentence(4, "both", "a")]
    vectors = np.stack([unit(a), unit(a + 0.1 * b), unit(b), unit(b + 0.1 * a), unit(a + b)]).astype(np.float32)
    priors = sentence_priors(sentences, vectors, rules)
    assert priors["s4"] < priors["s0"]  # equally close to both sections: says nothing in particular


def test_an_opening_that_points_back_is_read_as_leaning_on_the_one_before():
    """"Combining these adjustments with prescribed exercises ..." opened answers about chiropractic with nothing for
    "these" to point at (answers_dev29); "For those with desk jobs, ..." speaks of people, not of what came before."""
    rules = RoleRules.load()
    for text in ("This is where you might add therapy.", "Combining these adjustments with exercises creates a plan.",
                 "Mastering this integrated approach means you are in charge."):
        assert rules.leans_on_the_one_before(text), text
    for text in ("For those with desk jobs, a therapist provides ergonomic assessments.", "It is crucial to follow the label.",
                 "Applying heat relaxes the muscle."):
        assert not rules.leans_on_the_one_before(text), text
