"""The sparse BM25 gives the same scores as the reference implementation, rank_bm25."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25Okapi

from index.bm25 import BM25
from index.text import stem, tokenize


def test_scores_match_rank_bm25(retriever):
    documents = [tokenize(c.embedding_text) for c in retriever.chunks]
    ours, reference = BM25(documents), BM25Okapi(documents)
    for query in ("ice or heat first", "ibuprofen dose with food", "no equipment needed", "chiropractor crack back", "zzz unknown"):
        tokens = tokenize(query)
        np.testing.assert_allclose(ours.scores(tokens), reference.get_scores(tokens), rtol=1e-9, atol=1e-9)


def test_top_returns_positive_scores_best_first():
    bm25 = BM25([["ice", "pack"], ["heat", "pad"], ["ice", "ice", "bath"]])
    top = bm25.top(["ice"], 3)
    assert [doc for doc, _ in top] == [2, 0] and top[0][1] > top[1][1] > 0


def test_stemming_meets_word_forms():
    assert {stem("spasms"), stem("spasming"), stem("spasm")} == {"spasm"}
    assert stem("stretches") == stem("stretching") == "stretch"
    assert stem("muscles") == "muscle" and stem("stress") == "stress"
    assert tokenize("Can't I use the heating pads?") == ["use", "heat", "pad"]
