"""Hybrid retrieval: dense (FAISS inner product) and BM25, fused by reciprocal rank.

Both sides see the patient's question with its lay words expanded to the
guide's terms ("advil" → ibuprofen, NSAIDs): BM25 reads the words, the dense
side a vector moved toward theirs (``index.query_vectors``). Either side can be switched off
(``mode="dense"`` or ``"bm25"``) so the evaluation can compare them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from contracts import Chunk, Sentence
from embedding.embedder import load_query_embedder
from embedding.info import QueryEmbedder
from index.bm25 import BM25
from index.query_vectors import QueryVectors, query_encoder
from index.store import LoadedIndex, load_index, read_manifest
from index.text import tokenize
from index.vocabulary import Expansion, LayVocabulary
from settings import DEFAULT_EXPANSION_WEIGHT, Settings

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with the evidence for it."""

    chunk: Chunk
    rank: int  # 1-based, after fusion
    score: float  # the fused score (hybrid) or the single side's score
    dense_score: float | None  # cosine similarity, when the dense side ranked it
    bm25_score: float | None  # BM25 score, when the lexical side ranked it

    @property
    def treatment(self) -> str:
        return self.chunk.treatment


@dataclass
class SearchResult:
    hits: list[Hit]
    expansion: Expansion
    query_vector: np.ndarray | None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def best_dense(self) -> float:
        return max((h.dense_score for h in self.hits if h.dense_score is not None), default=0.0)

    @property
    def best_bm25(self) -> float:
        return max((h.bm25_score for h in self.hits if h.bm25_score is not None), default=0.0)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _top_rows(rows: np.ndarray, scores: np.ndarray, depth: int, positive_only: bool = False) -> list[tuple[int, float]]:
    """The best ``depth`` (row, score) pairs, best first, equal scores in row order.

    The same order a stable sort of every row gives, but only the best ``depth`` are
    sorted and turned into Python objects: a treatment has a handful of chunks in the
    guide and thousands in a large corpus, and a follow-up searches within one.
    """
    if positive_only:
        keep = scores > 0
        rows, scores = rows[keep], scores[keep]
    if len(scores) > depth:
        best = np.sort(np.argpartition(-scores, depth - 1)[:depth])  # back in row order for the stable sort
        rows, scores = rows[best], scores[best]
    order = np.argsort(-scores, kind="stable")
    return [(int(rows[i]), float(scores[i])) for i in order]


class Retriever:
    """Loads an index once and answers ``search(query, k)``."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: QueryEmbedder,
        vocabulary: LayVocabulary | None = None,
        rrf_k: int = 60,
        hint_weight: float = 1.0,
        expansion_weight: float = DEFAULT_EXPANSION_WEIGHT,
    ) -> None:
        self.index = index
        self.hint_weight = hint_weight
        self.embedder = embedder
        self.vocabulary = vocabulary or LayVocabulary.load()
        self.rrf_k = rrf_k
        self.chunks = index.chunks
        self.bm25 = BM25([tokenize(c.embedding_text) for c in index.chunks])
        self.chunks_by_id = {c.id: c for c in index.chunks}
        self.titles: dict[str, str] = {}  # treatment id -> its title in the source
        self.rows_by_treatment: dict[str, list[int]] = {}
        for i, chunk in enumerate(index.chunks):
            self.titles.setdefault(chunk.treatment, chunk.title)
            self.rows_by_treatment.setdefault(chunk.treatment, []).append(i)
        self._sentences_by_chunk: dict[str, list[int]] = {}
        self._sentence_rows: dict[str, int] = {}
        for i, sentence in enumerate(index.sentences):
            self._sentences_by_chunk.setdefault(sentence.chunk_id, []).append(i)
            self._sentence_rows[sentence.id] = i
        self._cells = [i for i, s in enumerate(index.sentences) if s.is_cell]
        # Gathered once: a comparison question would otherwise copy every cell's vector (tens of MB at 1000× the guide).
        self._cell_records = [index.sentences[i] for i in self._cells]
        self._cell_vectors = index.sentence_vectors[self._cells]
        # The guide's terms a question may be moved toward: the vocabulary's meanings and the titles (a follow-up's topic).
        self.query_vectors = QueryVectors(
            query_encoder(embedder), expansion_weight, [*self.vocabulary.meanings, *self.titles.values()]
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        """Load the configured embedder and index (raises ``IndexLoadError`` with the fix)."""
        read_manifest(settings.index_dir)  # a missing or half-written index fails in a second, before the model loads
        embedder = load_query_embedder(settings)
        index = load_index(settings.index_dir, embedder.info)
        return cls(
            index, embedder, LayVocabulary.load(), settings.retrieval.rrf_k, settings.retrieval.hint_weight,
            settings.retrieval.expansion_weight,
        )

    def query_vector(self, query: str, expansion: Expansion, hint: str = "") -> np.ndarray:
        """The (1, dimension) vector the dense side searches with: the question moved toward its terms (and a topic)."""
        return self.query_vectors.of([query], [expansion], hint)

    def search(
        self,
        query: str,
        k: int = 5,
        mode: str = "hybrid",
        query_vector: np.ndarray | None = None,
        candidates: int = 50,
        within: str | None = None,
        expansion: Expansion | None = None,
    ) -> SearchResult:
        """Rank chunks for ``query``; pass ``query_vector`` or ``expansion`` to reuse what the caller already made.

        ``within`` restricts the ranking to one treatment's chunks (a follow-up
        question is answered about the treatment under discussion), and adds that
        treatment's title to what is embedded, so "is it ok in the first few days?"
        is read as a question about it.
        """
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(MODES)}, got {mode!r}")
        timings: dict[str, float] = {}
        if expansion is None:
            t = time.perf_counter()
            expansion = self.vocabulary.expand(query)
            timings["expand"] = _ms(t)
        allowed = np.array(self.rows_by_treatment.get(within, []), dtype=np.int64) if within else None
        depth = min(max(candidates, k), len(self.chunks))

        dense: dict[int, tuple[int, float]] = {}
        if mode in ("hybrid", "dense"):
            if query_vector is None:
                t = time.perf_counter()
                query_vector = self.query_vector(query, expansion, self.titles.get(within, "") if within else "")
                timings["embed"] = _ms(t)
            t = time.perf_counter()
            if allowed is None:
                scores, ids = self.index.dense.search(query_vector, depth)
                ranked = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
            else:  # exact scores over the chunks of one treatment
                sims = self._chunk_vectors(allowed) @ query_vector.ravel()
                ranked = _top_rows(allowed, sims, depth)
            dense = {i: (r + 1, s) for r, (i, s) in enumerate(ranked)}
            timings["dense"] = _ms(t)

        lexical: dict[int, tuple[int, float]] = {}
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            tokens = tokenize(f"{query} {expansion.text}")
            if allowed is None:
                ranked = self.bm25.top(tokens, depth)
            else:
                ranked = _top_rows(allowed, self.bm25.scores(tokens)[allowed], depth, positive_only=True)
            lexical = {i: (r + 1, s) for r, (i, s) in enumerate(ranked)}
            timings["bm25"] = _ms(t)

        t = time.perf_counter()
        if mode == "hybrid":
            fused = {
                i: sum(1.0 / (self.rrf_k + side[i][0]) for side in (dense, lexical) if i in side)
                for i in set(dense) | set(lexical)
            }
            # A treatment the patient named in everyday words ("frozen peas", "advil") counts as
            # one more first-place vote for that treatment's passages.
            hinted = set(expansion.treatments)
            if hinted and within is None:
                bonus = self.hint_weight / (self.rrf_k + 1)
                fused = {i: score + (bonus if self.chunks[i].treatment in hinted else 0.0) for i, score in fused.items()}
        else:
            fused = {i: score for i, (_, score) in (dense or lexical).items()}
        order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        hits = [
            Hit(
                self.chunks[i],
                rank + 1,
                fused[i],
                dense[i][1] if i in dense else None,
                lexical[i][1] if i in lexical else None,
            )
            for rank, i in enumerate(order)
        ]
        timings["fuse"] = _ms(t)
        return SearchResult(hits, expansion, query_vector, timings)

    def _chunk_vectors(self, rows: np.ndarray) -> np.ndarray:
        """Stored vectors of some chunks (FAISS keeps them; flat and IVF (with its direct map) give them back, in one call)."""
        if not len(rows):
            return np.zeros((0, self.index.dense.d), np.float32)
        return np.asarray(self.index.dense.reconstruct_batch(np.ascontiguousarray(rows, dtype=np.int64)), dtype=np.float32)

    def lexical_treatment(self, text: str) -> str | None:
        """The treatment of the best BM25 match for ``text`` (cheap: no embedding)."""
        top = self.bm25.top(tokenize(f"{text} {self.vocabulary.expand(text).text}"), 1)
        return self.chunks[top[0][0]].treatment if top else None

    def table_cells(self) -> tuple[list[Sentence], np.ndarray]:
        """Every comparison-table cell with its vector (for questions across treatments); gathered once, at load."""
        return self._cell_records, self._cell_vectors

    def sentence_by_id(self, sentence_id: str) -> Sentence | None:
        row = self._sentence_rows.get(sentence_id)
        return None if row is None else self.index.sentences[row]

    def sentences_of(self, chunk_ids: list[str]) -> tuple[list[Sentence], np.ndarray]:
        """The quotable sentences of these chunks, with their vectors (for the composer)."""
        rows = [i for cid in chunk_ids for i in self._sentences_by_chunk.get(cid, [])]
        return [self.index.sentences[i] for i in rows], self.index.sentence_vectors[rows]
