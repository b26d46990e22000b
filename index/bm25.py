"""Okapi BM25 over a sparse matrix, so lexical search stays fast as the corpus grows.

Scores equal ``rank_bm25.BM25Okapi`` (same idf with its epsilon floor, same k1
and b); a test checks that. Instead of a Python loop over documents per query,
the per-term weights are precomputed once (a postings list per term: the
documents that hold it and its weight in each) and a query adds a few of them.
A query has a handful of terms, so a few small NumPy additions beat slicing a
sparse matrix, whose per-call overhead was most of BM25's time per message.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse


class BM25:
    """Lexical index over tokenised documents."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.vocabulary: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(documents), dtype=np.float64)
        for row, tokens in enumerate(documents):
            lengths[row] = len(tokens)
            for term, tf in Counter(tokens).items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                tfs.append(tf)
        n_docs = max(len(documents), 1)
        tf = sparse.csr_matrix((np.array(tfs, dtype=np.float64), (rows, cols)), shape=(len(documents), len(self.vocabulary)))
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=len(self.vocabulary)).astype(np.float64)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        average_idf = float(idf.mean()) if len(idf) else 0.0
        idf[idf < 0] = epsilon * average_idf
        avgdl = float(lengths.mean()) if len(lengths) else 0.0
        norm = k1 * (1 - b + b * lengths / avgdl) if avgdl else np.full(len(documents), k1)
        weighted = tf.tocoo()
        data = idf[weighted.col] * weighted.data * (k1 + 1) / (weighted.data + norm[weighted.row])
        by_term = sparse.csc_matrix((data, (weighted.row, weighted.col)), shape=tf.shape)
        self._postings = [
            (by_term.indices[start:end].copy(), by_term.data[start:end].copy())
            for start, end in zip(by_term.indptr[:-1], by_term.indptr[1:], strict=True)
        ]
        self.size = len(documents)
        self._idf = idf
        self.average_idf = average_idf if math.isfinite(average_idf) else 0.0

    def idf(self, term: str) -> float:
        """How rare a term is across the chunks (0 for a term no chunk has)."""
        column = self.vocabulary.get(term)
        return float(self._idf[column]) if column is not None else 0.0

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (repeated tokens count again)."""
        columns = [self.vocabulary[t] for t in query if t in self.vocabulary]
        if not columns or self.size == 0:
            return np.zeros(self.size, dtype=np.float64)
        scores = np.zeros(self.size, dtype=np.float64)
        for column, count in Counter(columns).items():
            documents, weights = self._postings[column]
            scores[documents] += weights * count
        return scores

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best (document, score) pairs with a positive score, best first."""
        scores = self.scores(query)
        if not len(scores):
            return []
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]
