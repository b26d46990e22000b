"""Find the guide's passages for a turn and compose a cited answer from them.

Retrieval (``index.retriever``) ranks chunks; this module decides what to ask it
(the question with the guide's words for its lay words, within the treatment
under discussion for a follow-up) and what to compose from (the top passages
and their near ties), then hands the sentences to the composer
(``answering.compose``, or ``answering.comparison`` for questions across treatments).
"""

from __future__ import annotations

import time

from answering.comparison import compose_comparison
from answering.compose import ComposerTuning, Composition, compose
from answering.conversation import user_turns
from answering.followup import Focus, FollowUpResolver
from answering.question import QuestionRules
from answering.turn import Found, Turn
from index.retriever import Retriever, SearchResult
from index.text import tokenize
from index.vocabulary import Expansion
from settings import Settings

RETRIEVED_REPORTED = 10  # passages listed in Answer.retrieved (the evaluation's MRR@10); k of them are composed from


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class PassageFinder:
    """Retrieval and composing for turns; holds the loaded retriever and the question-reading rules."""

    def __init__(self, settings: Settings, retriever: Retriever, question_rules: QuestionRules) -> None:
        self.settings = settings
        self.retriever = retriever
        self.question_rules = question_rules
        self.followups = FollowUpResolver.load(retriever.vocabulary, retriever.lexical_treatment)
        self.tuning = ComposerTuning(max_sentences=settings.answer.max_sentences, min_score=settings.retrieval.min_answer_score)
        self._treatment_sentences: dict[str, list[str]] = {}

    def expand(self, turn: Turn) -> Expansion:
        t = time.perf_counter()
        expansion = self.retriever.vocabulary.expand(turn.text)
        turn.timings["expand"] = _ms(t)
        return expansion

    def focus(self, turn: Turn) -> Focus:
        return self.followups.resolve(turn.text, turn.expansion, user_turns(turn.history))

    def find(self, turn: Turn) -> Found:
        """Search (within the treatment under discussion for a follow-up) and compose."""
        depth = max(self.settings.retrieval.k, RETRIEVED_REPORTED)
        focus = turn.focus
        search = self.retriever.search(turn.text, depth, turn.mode, within=focus.treatment, expansion=turn.expansion)
        composition = self._compose(turn, search, focus.treatment)
        if focus.treatment and composition is None:  # the follow-up guess found nothing: search everything
            search = self.retriever.search(turn.text, depth, turn.mode, expansion=turn.expansion)
            composition = self._compose(turn, search)
            focus = Focus(None, "nothing found within the earlier topic")
        for stage, ms in search.timings_ms.items():
            turn.timings[stage] = turn.timings.get(stage, 0.0) + ms
        return Found(search, composition, focus.treatment)

    def _compose(self, turn: Turn, search: SearchResult, focus: str | None = None) -> Composition | None:
        t = time.perf_counter()
        text = turn.text
        topic = self.retriever.titles.get(focus, "") if focus else ""
        query_vector = search.query_vector
        if query_vector is None:  # BM25-only mode still needs a vector to choose sentences
            query_vector = self.retriever.embed(self.retriever.dense_text(text, search.expansion, topic))
            search.query_vector = query_vector
        tokens = (set(tokenize(text)), set(tokenize(f"{search.expansion.text} {topic}")))
        composition: Composition | None
        chunks = self.retriever.chunks_by_id
        if self.question_rules.asks_comparison(text):
            cells, vectors = self.retriever.table_cells()
            composition = compose_comparison(text, query_vector, tokens, cells, vectors, chunks, self.question_rules, self.tuning)
        else:
            chunk_ids = self._composable(search)
            sentences, vectors = self.retriever.sentences_of(chunk_ids)
            ranks = {cid: i + 1 for i, cid in enumerate(chunk_ids)}
            wanted = self.question_rules.wanted_types(text)
            choice = self.question_rules.choice_type(text, self._also_called)
            if choice:
                wanted.append(choice)
            composition = compose(query_vector, tokens, sentences, vectors, ranks, chunks, self.tuning, wanted, self.retriever.bm25.idf)
        turn.timings["compose"] = turn.timings.get("compose", 0.0) + _ms(t)
        return composition

    def _composable(self, search: SearchResult) -> list[str]:
        """The top k passages, and any later one of the same treatments that scores as well (a near tie).

        A treatment is often split over several chunks with almost equal scores;
        cutting at exactly k would drop the one that holds the answer at random.
        """
        k, hits = self.settings.retrieval.k, search.hits
        if len(hits) <= k:
            return [h.chunk.id for h in hits]
        treatments = {h.chunk.treatment for h in hits[:k]}
        cutoff = hits[k - 1].score * self.settings.retrieval.tie_ratio
        return [h.chunk.id for i, h in enumerate(hits) if i < k or (h.score >= cutoff and h.chunk.treatment in treatments)]

    def _also_called(self, word: str) -> list[str]:
        """The guide's words for a patient's word ("ice" → ice, pack, cold, therapy, cryotherapy)."""
        return [w for term in self.retriever.vocabulary.expand(word).terms for w in term.split()]

    def treatment_sentences(self, treatment: str) -> list[str]:
        """A treatment's sentences, gathered once (the index does not change under a loaded Assistant)."""
        cached = self._treatment_sentences.get(treatment)
        if cached is None:
            chunk_ids = [self.retriever.chunks[i].id for i in self.retriever.rows_by_treatment.get(treatment, [])]
            cached = [s.text for s in self.retriever.sentences_of(chunk_ids)[0]]
            self._treatment_sentences[treatment] = cached
        return cached
