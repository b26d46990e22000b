"""Retrieval on patients' everyday words: the right treatment first, or at least in the top 3.

The questions are the development set's (tests/data/dev_questions.jsonl), never the
guide's own sentences; the evaluation set is kept for ``python -m eval``.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

LAY_TERMS = [
    ("I took two advil, what else can I do", "nsaids"),
    ("the doctor gave me flexeril", "muscle-relaxants"),
    ("bag of frozen peas on my back, good idea?", "heat-cold"),
    ("would physio sort this out", "physical-therapy"),
    ("should I get someone to crack my back", "chiropractic"),
    ("is a chiro safe for spasms", "chiropractic"),
    ("voltaren gel any good", "nsaids"),
    ("aleve or something stronger?", "nsaids"),
]


@pytest.mark.parametrize(("question", "treatment"), LAY_TERMS)
def test_brand_names_and_lay_words_find_their_treatment_first(retriever, question, treatment):
    hits = retriever.search(question, 3).hits
    assert hits[0].chunk.treatment == treatment, [h.chunk.treatment for h in hits]


def _ranks(retriever, dev_set, mode: str) -> dict[str, list[int | None]]:
    """Per expected treatment, the rank of the first hit on it (None when not in the top 10)."""
    ranks: dict[str, list[int | None]] = defaultdict(list)
    for q in dev_set:
        if not q["expect_treatments"] or q.get("history") or q["expect_out_of_scope"]:
            continue
        got = [h.chunk.treatment for h in retriever.search(q["question"], 10, mode).hits]
        first = next((i + 1 for i, t in enumerate(got) if t in q["expect_treatments"]), None)
        ranks[q["expect_treatments"][0]].append(first)
    return ranks


@pytest.fixture(scope="module")
def hybrid_ranks(retriever, dev_set) -> dict[str, list[int | None]]:
    return _ranks(retriever, dev_set, "hybrid")


def test_hybrid_retrieval_meets_the_targets_on_lay_questions_for_every_treatment(hybrid_ranks):
    ranks = hybrid_ranks
    every = [r for rs in ranks.values() for r in rs]
    hit1 = sum(r == 1 for r in every) / len(every)
    hit3 = sum(r is not None and r <= 3 for r in every) / len(every)
    print(f"\ndev set, hybrid, {len(every)} questions: hit@1 {hit1:.3f}  hit@3 {hit3:.3f}")
    for treatment, rs in sorted(ranks.items()):
        print(f"  {treatment:18} n={len(rs):2}  hit@3 {sum(r is not None and r <= 3 for r in rs) / len(rs):.2f}")
    assert {"rest", "heat-cold", "nsaids", "muscle-relaxants", "physical-therapy", "massage", "chiropractic"} <= set(ranks)
    assert hit3 >= 0.95 and hit1 >= 0.85
    for treatment, rs in ranks.items():  # no treatment left behind by a good average
        assert sum(r is not None and r <= 3 for r in rs) / len(rs) >= 0.75, treatment


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_each_side_can_run_alone_and_hybrid_is_at_least_as_good(retriever, dev_set, hybrid_ranks, mode):
    def hit3(ranks):
        every = [r for rs in ranks.values() for r in rs]
        return sum(r is not None and r <= 3 for r in every) / len(every)

    alone = _ranks(retriever, dev_set, mode)
    hits = retriever.search("ice or heat first?", 5, mode).hits
    assert hits and all((h.dense_score is None) == (mode == "bm25") for h in hits)
    assert hit3(hybrid_ranks) >= hit3(alone)
