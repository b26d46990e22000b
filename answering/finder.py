"""Find the guide's passages for a turn and compose a cited answer from them.

Retrieval (``index.retriever``) ranks chunks; this module decides what to ask it
(the question with the guide's words for its lay words, within the treatment
under discussion for a follow-up) and what to compose from (the top passages
and their near ties), then hands the sentences to the composer
(``answering.compose``, or ``answering.comparison`` for questions across treatments).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from answering.comparison import compose_comparison, table_then_prose, with_table_row
from answering.compose import (
    KIND,
    MECHANISM,
    ComposerTuning,
    Composition,
    Scored,
    best_standalone,
    compose,
    one_citation_per_section,
    score_sentences,
    step_past_first,
)
from answering.conversation import last_reply, user_turns
from answering.exemplars import ExemplarBank, embed_in_batches
from answering.followup import Focus, FollowUpResolver
from answering.labels import NamedLabels
from answering.question import QuestionRules
from answering.roles import RoleRules, sentence_priors
from answering.sentence_heads import SentenceHeads
from answering.turn import Found, Turn
from contracts import Sentence
from embedding.background import DuringModelCall
from index.retriever import Retriever, SearchResult
from index.text import tokenize
from index.vocabulary import MAX_QUERY_CHARS, Expansion
from ingest.sources import SourceError, read_source
from settings import Settings

RETRIEVED_REPORTED = 10  # passages listed in Answer.retrieved (the evaluation's MRR@10); k of them are composed from
VECTORS_KEPT = 2048  # query vectors remembered (a conversation's earlier messages come back with every new one)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _timed(turn: Turn, found: Found) -> Found:
    """``found``, its search's stage timings added to the turn's."""
    for stage, ms in found.search.timings_ms.items():
        turn.timings[stage] = turn.timings.get(stage, 0.0) + ms
    return found


def source_texts(manifest: dict[str, Any], settings: Settings) -> dict[str, str]:
    """The text of each source the index was built from, by name, where the file is still the one indexed (same
    sha256): citations quote spans of it. A source edited or gone since is left out (its citations stay per passage)."""
    texts: dict[str, str] = {}
    for source in manifest.get("sources", []):
        try:
            document = read_source(settings.path(source["path"]))
        except (SourceError, OSError, KeyError, TypeError):
            continue
        if document.sha256 == source.get("sha256"):
            texts[document.name] = document.text
    return texts


class PassageFinder:
    """Retrieval and composing for turns; holds the loaded retriever and the question-reading rules."""

    def __init__(self, settings: Settings, retriever: Retriever, question_rules: QuestionRules) -> None:
        self.settings = settings
        self.retriever = retriever
        self.question_rules = question_rules
        self.followups = FollowUpResolver.load(retriever.vocabulary, retriever.lexical_treatment, question_rules=question_rules)
        self.tuning = ComposerTuning(max_sentences=settings.answer.max_sentences, min_score=settings.retrieval.min_answer_score)
        # How informative each sentence is (generic ones never lead), read once from the loaded index.
        roles = RoleRules.load()
        self.priors = sentence_priors(retriever.index.sentences, retriever.index.sentence_vectors, roles)
        # What concrete content each holds (a time, a dose, a named technique): such a sentence may join an answer from farther.
        self.facts = {s.id: roles.concreteness(s.text) for s in retriever.index.sentences}
        # The guide's labelled items a message may name ("the gonstead technique"): their sentences lead.
        self.labels = NamedLabels(retriever.index.sentences)
        # Patients' questions each sentence is known to answer (data/answers/training), embedded as questions are.
        self.examples = ExemplarBank.build(
            retriever.index.sentences, lambda texts: embed_in_batches(retriever.embedder, texts), retriever.embedder.info.model,
            move=lambda questions, vectors: retriever.query_vectors.moved(vectors, [retriever.vocabulary.expand(q) for q in questions]),
        )
        # One learned head per sentence over the query vector (answering.sentence_heads), matched to this index.
        heads = SentenceHeads.load()
        dimension = retriever.index.sentence_vectors.shape[1]
        self.heads = heads.bind(retriever.index.sentences, dimension)
        self.cell_heads = heads.bind(retriever.index.sentences, dimension, cells=True)  # which table cell answers (answering.comparison)
        self._treatment_sentences: dict[str, list[str]] = {}
        self._drug_free: dict[str, Composition | None] = {}
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bare: OrderedDict[str, np.ndarray] = OrderedDict()  # each message's own embedding, before ``moved_by``
        self._expansions: OrderedDict[str, Expansion] = OrderedDict()
        self._vectors_lock = threading.Lock()
        # The sources' texts, for one citation per section (answering.compose.one_citation_per_section).
        self.source_texts = source_texts(retriever.index.manifest, settings)

    def embed_messages(self, texts: list[str]) -> np.ndarray:
        """The query vector of each message (what retrieval searches with), one row each.

        The newest message is embedded through the batcher like any question;
        earlier messages not seen before (another process answered them) go in
        one batch. Triage's learned layer reads these rows and the search
        reuses the newest one: one model call per message.
        """
        cut = [t[:MAX_QUERY_CHARS] for t in texts]
        with self._vectors_lock:
            missing = [t for t in dict.fromkeys(cut) if t not in self._vectors]
        if missing:
            vectors = self.retriever.query_vectors
            # The lay words are looked up, and where they move the vector worked out, on a worker while this
            # thread waits in the model call: after it, only an addition is left.
            with DuringModelCall(lambda: vectors.directions(self._expansions_of(missing))) as directions:
                bare = vectors.embedded(missing)
                rows = vectors.moved_by(bare, directions.result())
            with self._vectors_lock:
                for text, row, own in zip(missing, np.asarray(rows, dtype=np.float32).reshape(len(missing), -1), bare, strict=True):
                    self._vectors[text] = row
                    self._bare[text] = own
                    if len(self._vectors) > VECTORS_KEPT:
                        self._vectors.popitem(last=False)
                        self._bare.popitem(last=False)
        with self._vectors_lock:
            return np.stack([self._vectors[t] for t in cut])

    def message_vector(self, text: str) -> np.ndarray:
        """The query vector of one message (triage embedded it already: no model call)."""
        row: np.ndarray = self.embed_messages([text])[0]
        return row

    def forget_vectors(self) -> None:
        """Drop the remembered query vectors (the latency benchmark measures each question as new)."""
        with self._vectors_lock:
            self._vectors.clear()
            self._bare.clear()
            self._expansions.clear()

    def _known_vector(self, text: str) -> np.ndarray | None:
        with self._vectors_lock:
            row = self._vectors.get(text)
        return None if row is None else row.reshape(1, -1)

    def _known_vector_within(self, turn: Turn, treatment: str, earlier: str = "") -> np.ndarray | None:
        """The vector a search within ``treatment`` reads a follow-up with ("how long each time?" about heat): the
        message's own embedding moved toward its terms and the treatment's title (``Retriever.search`` with ``within``),
        from the embedding triage already made: no second model call. None when it was not made here."""
        with self._vectors_lock:
            bare = self._bare.get(turn.text)
        if bare is None:
            return None
        expansion = turn.expansion
        if earlier:  # "how do i handle work while it heals?" after "my back keeps spasming after shifts": toward its terms too
            expansion = replace(expansion, terms=tuple(dict.fromkeys([*expansion.terms, *self.expansion_of(earlier).terms])))
        vector: np.ndarray = self.retriever.query_vectors.moved(bare.reshape(1, -1), [expansion], self.retriever.titles.get(treatment, ""))
        return vector

    def expand(self, turn: Turn) -> Expansion:
        t = time.perf_counter()
        expansion = self.expansion_of(turn.text)
        turn.timings["expand"] = _ms(t)
        return expansion

    def _expansions_of(self, texts: list[str]) -> list[Expansion]:
        return [self.expansion_of(t) for t in texts]

    def expansion_of(self, text: str) -> Expansion:
        """The lay-word expansion of a (cut) message, read once: the embedding and the search both use it."""
        with self._vectors_lock:
            known = self._expansions.get(text)
        if known is None:
            known = self.retriever.vocabulary.expand(text)
            with self._vectors_lock:
                self._expansions[text] = known
                if len(self._expansions) > VECTORS_KEPT:
                    self._expansions.popitem(last=False)
        return known

    def focus(self, turn: Turn) -> Focus:
        return self.followups.resolve(turn.text, turn.expansion, user_turns(turn.history), last_reply(turn.history))

    def find(self, turn: Turn) -> Found:
        """Search (within the treatment under discussion for a follow-up) and compose."""
        depth = max(self.settings.retrieval.k, RETRIEVED_REPORTED)
        focus = turn.focus
        if focus.treatment and not focus.beyond and self.followups.asks_how_often(turn.text):
            # "how often would I have to go?" about physio: a treatment's frequencies may sit in the closing plan
            # ("weekly physical therapy..."), so the whole guide is searched, the treatment's title beside the words,
            # and the earlier message that named it when it told what the patient does: "how often?" after "I've been
            # told to walk around a bit" asks how often to walk, not how often to take ibuprofen (answers_dev30); an
            # earlier question ("deep tissue or swedish?") would pull the search back to what it compared
            context = focus.context if self.followups.tells(focus.context) else ""
            search = self._search_beside_title(turn, focus.treatment, depth, context)
            composition = self._compose(turn, search)
            if composition is not None:
                return _timed(turn, Found(search, composition, focus.treatment))
        if focus.beyond and focus.treatment:  # "what if it doesn't work?": the next step, past the earlier topic
            search = self._search_beside_title(turn, focus.treatment, depth)
            composition = self._compose(turn, search)
            if composition is not None and composition.kind == "answer" and self.followups.says_it_failed(turn.text):
                composition = step_past_first(composition, self._step_past(turn, search, (focus.treatment,)))
                if not self.followups.tried_for_weeks(turn.text):
                    composition = step_past_first(composition, self._going_on(turn, search, (focus.treatment,)))
                composition = self._cited_once(composition)
            return _timed(turn, Found(search, composition, focus.treatment))
        if focus.context and not focus.treatment:  # "and if it keeps coming back?" after a reply across treatments
            search = self.retriever.search(f"{focus.context} {turn.text}", depth, turn.mode)
            return _timed(turn, Found(search, self._past_the_first_days(turn, search, self._compose(turn, search), None), None))
        if focus.past and not focus.treatment:  # "what if rest and ice don't work?": what lies past all it names, in
            # sentences that name none of them ("Implement Foundational Care: ... proper rest, heat/cold therapy" is what
            # failed). Keeping their own sections (contrast therapy) opened one dev answer with heat and cold's introduction.
            search = self.retriever.search(turn.text, depth, turn.mode, query_vector=self._known_vector(turn.text), expansion=turn.expansion)
            past, tried = self._step_past_of(focus.past), set(focus.past)
            composition = self._compose_kept(turn, search, None, lambda s: past(s) and not tried & set(self._named_in_table(s.text)))
            return _timed(turn, Found(search, composition or self._compose(turn, search), None))
        known = self._known_vector_within(turn, focus.treatment, focus.context) if focus.treatment else self._known_vector(turn.text)
        search = self.retriever.search(turn.text, depth, turn.mode, query_vector=known, within=focus.treatment, expansion=turn.expansion)
        composition = self._past_the_first_days(turn, search, self._compose(turn, search, focus.treatment), focus.treatment)
        if focus.treatment and composition is None:  # the follow-up guess found nothing: search everything
            search = self.retriever.search(turn.text, depth, turn.mode, query_vector=self._known_vector(turn.text), expansion=turn.expansion)
            composition = self._compose(turn, search)
            focus = Focus(None, "nothing found within the earlier topic")
        return _timed(turn, Found(search, composition, focus.treatment))

    def _past_the_first_days(
        self, turn: Turn, search: SearchResult, composition: Composition | None, focus: str | None
    ) -> Composition | None:
        """An answer that would open with the advice for a spasm's first hours, when the patient says those are behind
        them ("the bad spasm was 4 days ago, now its just stiff") or that what they tried failed, composed again without
        it; else as it was."""
        opening = composition.opening if composition is not None else None
        followups = self.followups
        if opening is None or not followups.is_early(opening.text):
            return composition
        if not (followups.is_past_early(turn.text) or (turn.focus.beyond and followups.says_it_failed(turn.text))):
            return composition  # what comes first is never the step past what failed ("what if that doesn't help?" after
            # "what should i do for a back spasm" opened with the ice pack of the first 48 hours, answers_dev35)
        return self._compose_kept(turn, search, focus, lambda s: not followups.is_early(s.text)) or composition

    def _step_past(self, turn: Turn, search: SearchResult, treatments: Collection[str]) -> Composition | None:
        """The answer from the passages found that are not ``treatments``' (those tried): what comes after them."""
        return self._recompose(turn, search, self._step_past_of(treatments))

    def _going_on(self, turn: Turn, search: SearchResult, treatments: Collection[str]) -> Composition | None:
        """The answer from ``treatments``' own sentences (those tried) that say what to do when the first use has not done
        it (``goes_on`` in followup.toml): "Icing it for 4 days now, still tight. Not working. Next?" (answers_dev39, judged 2
        when it opened with a professional diagnosis) opens with contrast therapy, then the step past as before."""
        followups = self.followups
        return self._recompose(turn, search, lambda s: s.treatment in treatments and followups.goes_on(s.text) and not followups.is_early(s.text))

    def _recompose(self, turn: Turn, search: SearchResult, keep: Callable[[Sentence], bool]) -> Composition | None:
        """The prose answer from the passages already found, ``keep``'s sentences only: no table cell, no new search."""
        query_vector, tokens = self._read_again(turn, search)
        return self._compose_sentences(turn.text, query_vector, tokens, search, None, lambda s: not s.is_cell and keep(s))

    def _step_past_of(self, treatments: Collection[str]) -> Callable[[Sentence], bool]:
        """Whether a sentence may be the step past ``treatments`` (those tried): another treatment's or the closing plan's,
        not the first hours' advice, not the clinic's advertisement (it opened three dev follow-ups past ibuprofen)."""
        followups, past = self.followups, {*treatments, self.followups.clinic}
        return lambda s: s.treatment not in past and not followups.is_early(s.text)

    def _search_beside_title(self, turn: Turn, treatment: str, depth: int, context: str = "") -> SearchResult:
        """The whole guide searched with the message and the treatment's title (and ``context``, the earlier message
        that named it): a follow-up that looks past the treatment's own section (the next step, how often) but is still
        about it."""
        words = " ".join(part for part in (turn.text, context, self.retriever.titles.get(treatment, "")) if part)
        return self.retriever.search(words, depth, turn.mode)

    def _compose(self, turn: Turn, search: SearchResult, focus: str | None = None) -> Composition | None:
        t = time.perf_counter()
        text = turn.text
        topic = self.retriever.titles.get(focus, "") if focus else ""
        query_vector = search.query_vector
        if query_vector is None:  # BM25-only mode still needs a vector to choose sentences
            query_vector = self.retriever.query_vector(text, search.expansion, topic)
            search.query_vector = query_vector
        tokens = (set(tokenize(self.followups.without_failure(text))), set(tokenize(f"{search.expansion.text} {topic}")))
        earlier = self._named_earlier(turn, focus)
        composition: Composition | None
        chunks = self.retriever.chunks_by_id
        pair, earlier_choice = self._choice(turn)  # read once, used twice (its sides, or the table's rows they name)
        if (
            self.question_rules.asks_comparison(text)
            and not self._within_one_treatment(text, search.expansion.treatments)
            and not self._earlier_choice_within_one(turn)
        ):
            cells, vectors = self.retriever.table_cells()
            # "physio vs chiro vs massage?" compares the three it names (the search reads them as the closing plan)
            # and "which one costs less?" after "massage or chiro?" compares the two the previous message named, as
            # "is that cheaper than physio?" after "is a chiropractor worth it?" compares the one "that" stands for
            # with physio (answers_dev34 listed what is cheaper than physio: rest, heat and cold)
            own = search.expansion.named or search.expansion.treatments
            if focus and not search.expansion.named and self.question_rules.asks_yes_or_no(text):
                own = (focus,)  # "is that going to get expensive?" after "thinking of getting regular massages"
            named = pair if pair and (earlier_choice or pair[0] not in own) else own
            composition = compose_comparison(
                text, query_vector, tokens, cells, vectors, chunks, self.question_rules, self.tuning,
                self.question_rules.compares_only(text, named), named if self.question_rules.looks_past(text, named) else (),
                self.cell_heads.probabilities(query_vector), turn.earlier[0] if turn.earlier else "",
            )
            if composition is not None and self.tuning.cross_prose > 0:  # the prose of the rows shown only
                rows = set(composition.treatments)
                prose = self._compose_sentences(text, query_vector, tokens, search, focus, lambda s: s.treatment in rows, earlier=earlier)
                composition = table_then_prose(composition, prose, self.tuning)
        else:
            signals = self._signals(query_vector)
            composition = self._compose_sentences(text, query_vector, tokens, search, focus, signals=signals, earlier=earlier)
            sides = self._sides(text, pair, query_vector, tokens, composition, signals) if composition is not None and not focus else ()
            if sides:
                composition = self._compose_sentences(text, query_vector, tokens, search, focus, sides=sides, signals=signals, earlier=earlier)
            composition = self._with_cells(text, query_vector, tokens, search, composition, pair)
        turn.timings["compose"] = turn.timings.get("compose", 0.0) + _ms(t)
        return self._cited_once(composition)

    def _with_cells(
        self, text: str, query_vector: np.ndarray, tokens: tuple[set[str], set[str]], search: SearchResult, composition: Composition | None,
        pair: tuple[str, str] | None, keep: Callable[[Sentence], bool] | None = None,
    ) -> Composition | None:
        """A prose answer followed by the table cells the question asks of, both sides of a choice (``pair``:
        ``QuestionRules.sides``) in one column (``answering.comparison.with_table_row``); ``keep``'s cells only, as
        for the prose."""
        if composition is None:
            return None
        cells, vectors = self.retriever.table_cells()
        if keep is not None:
            rows = [i for i, cell in enumerate(cells) if keep(cell)]
            cells, vectors = [cells[i] for i in rows], vectors[rows]
        asked = self.question_rules.column_ask(text)
        return with_table_row(
            composition, query_vector, tokens, cells, vectors, self.retriever.chunks_by_id, self.tuning, search.expansion.treatments,
            asked.columns if asked else frozenset(), pair or (), self.question_rules.choice_columns,
            self.cell_heads.probabilities(query_vector), asked.says if asked else None, bool(asked and asked.leads),
            self.question_rules.cell_reading,
        )

    def _signals(self, query_vector: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
        """What the learned layers say of each sentence for this question: closeness to its example questions
        (``answering.exemplars``) and its head's probability (``answering.sentence_heads``). Read once per composing."""
        return self.examples.similarities(query_vector), self.heads.probabilities(query_vector)

    def _sides(
        self, text: str, pair: tuple[str, str] | None, query_vector: np.ndarray, tokens: tuple[set[str], set[str]], composition: Composition,
        signals: tuple[dict[str, float], dict[str, float]],
    ) -> tuple[Scored, ...]:
        """For a choice between two treatments (``pair``: "chiro or physio?") that ``composition`` opens on one side of
        only, each side's best sentence that reads alone (from all of that treatment's passages); () otherwise."""
        opening = composition.opening
        if pair is None or opening is None:
            return ()
        examples, heads = signals
        if heads.get(opening.id, 0.0) >= self.tuning.head_join:
            return ()  # the learned head is sure the usual opening answers such questions ("They are often prescribed
            # when NSAIDs alone are insufficient" for "ibuprofen or a muscle relaxant first?")
        # An opening from one treatment's section speaks of that side (the lay words in the guide's own prose are too
        # loose a sign of another: "muscle tension" is not massage); one from the closing plan, of those it names.
        spoken_of = {opening.treatment} if opening.treatment in self._table_rows() else set(self._named_in_table(opening.text))
        if set(pair) <= spoken_of:
            return ()
        wanted = self.question_rules.wanted_types(text)
        found = []
        for treatment in pair:
            chunk_ids = [self.retriever.chunks[i].id for i in self.retriever.rows_by_treatment.get(treatment, [])]
            sentences, vectors = self.retriever.sentences_of(chunk_ids)
            prose = [i for i, s in enumerate(sentences) if not s.is_cell]
            scored = score_sentences(
                query_vector, tokens, [sentences[i] for i in prose], vectors[prose], {}, self.tuning, wanted, self.retriever.bm25.idf,
                self.priors, examples, heads, self.facts,
            )
            best = best_standalone(scored, self.tuning)
            if best is None:
                return ()
            found.append(best)
        return tuple(found)

    def _choice(self, turn: Turn) -> tuple[tuple[str, str] | None, bool]:
        """The two treatments the message chooses between, and whether its previous message named them: "chiro or
        physio?", "is that better than advil?" after "is ice good?" (``QuestionRules.sides``), or "which one would you
        pick if money is tight" after "massage or chiro, im torn" (a treatment its own words happen to name, "work"
        for rest, is no side), or "would muscle relaxers be stronger?" after "been on nurofen" (the earlier one first).
        The same whether the answer is composed or composed again."""
        rules = self.question_rules
        if (pair := rules.sides(turn.text, self._named_in_table, self._named_before(turn))) is not None:
            return pair, False
        if turn.earlier and rules.asks_which_of_earlier(turn.text):
            earlier = rules.sides(turn.earlier[0], self._named_in_table) or self._one_each(turn.earlier[:2])
            return earlier, earlier is not None
        if turn.earlier and rules.compares_with_earlier(turn.text):  # "would muscle relaxers be stronger?" after nurofen
            own, before = self._named_in_table(turn.text), self._named_in_table(turn.earlier[0])
            if len(own) == 1 and len(before) == 1 and own != before:
                return (before[0], own[0]), False
        return None, False

    def _one_each(self, messages: Sequence[str]) -> tuple[str, str] | None:
        """Two treatments, one named by each of the two previous messages: "which one's better for me?" after "my
        friend swears by her chiropractor" and "but my sister says see a physical therapist" (answers_dev33), in the
        order said."""
        if len(messages) < 2:
            return None
        latest, before = (self._named_in_table(m) for m in messages)
        if len(latest) != 1 or len(before) != 1 or latest == before:
            return None
        return before[0], latest[0]

    def _named_before(self, turn: Turn) -> list[str]:
        """The treatments with a table row that the patient's previous message named, in order; none for a question
        that asks why ("why is that gentler than the tablets?" asks how the gel works, not which to choose)."""
        earlier = user_turns(turn.history)
        if not earlier or any(t.name == MECHANISM for t in self.question_rules.wanted_types(turn.text)):
            return []
        return self._named_in_table(earlier[0])

    def _table_rows(self) -> set[str]:
        """The treatments with a row of the comparison table (one row per treatment)."""
        return {c.treatment for c in self.retriever.table_cells()[0]}

    def _named_in_table(self, text: str) -> list[str]:
        """The treatments ``text`` names that have a row of the comparison table, in order."""
        rows = self._table_rows()
        return [t for t in dict.fromkeys(self.retriever.vocabulary.expand(text).named) if t in rows]

    def _named_earlier(self, turn: Turn, focus: str | None) -> str:
        """The earlier message a follow-up about ``focus`` leans on ("she uses the gonstead technique"), whose labelled
        items lead its answer, unless the follow-up turns to another ("vs the normal cracking one?"); "" otherwise."""
        if not focus or not turn.focus.context or self.followups.looks_elsewhere(turn.text):
            return ""
        return turn.focus.context

    def _compose_sentences(
        self, text: str, query_vector: np.ndarray, tokens: tuple[set[str], set[str]], search: SearchResult, focus: str | None,
        keep: Callable[[Sentence], bool] | None = None, sides: tuple[Scored, ...] = (),
        signals: tuple[dict[str, float], dict[str, float]] | None = None, earlier: str = "",
    ) -> Composition | None:
        """The composer over the top passages (and those the learned layers are sure of), ``keep``'s sentences only;
        ``sides`` (``_sides``) open it; ``signals`` (``_signals``) when the caller has read them already. A labelled
        item of the guide named in the message, or in the ``earlier`` message a follow-up leans on ("she uses the
        gonstead technique" before "what does she do with that one?"), leads (``answering.labels``); so does the item
        the earlier message names by a word only it has, when the follow-up asks what that is ("what does that mean?")."""
        examples, heads = signals if signals is not None else self._signals(query_vector)
        composable = self._composable(search)
        chunk_ids = composable + self._answered_by_example(examples, composable, focus, heads)
        sentences, vectors = self.retriever.sentences_of(chunk_ids)
        if keep is not None:
            rows = [i for i, s in enumerate(sentences) if keep(s)]
            sentences, vectors = [sentences[i] for i in rows], vectors[rows]
        ranks = {cid: i + 1 for i, cid in enumerate(chunk_ids)}
        wanted = self.question_rules.wanted_types(text)
        choice = self.question_rules.choice_type(text, self._also_called)
        if choice:
            wanted.append(choice)
        # "swedish or deep tissue?" names two items, one perhaps by a label too common to count: a choice favours neither
        named = frozenset() if choice else self.labels.named_in(f"{earlier} {text}")
        # "what's that do?" after "physio said she'd do spinal mobilisation": the item only that word names
        defined = self.labels.named_by_rare_word(earlier) if earlier and not choice and self.followups.asks_what_it_is(text) else frozenset()
        return compose(
            query_vector, tokens, sentences, vectors, ranks, self.retriever.chunks_by_id, self.tuning, wanted, self.retriever.bm25.idf,
            self.priors, examples, heads, self.facts, sides, named, defined,
        )

    def compose_within(self, turn: Turn, treatment: str, keep: Callable[[Sentence], bool]) -> Composition | None:
        """An answer from one treatment's passages, ``keep``'s sentences only: a muscle relaxant's own section
        without the anti-inflammatories' doses beside it ("how many mg of flexeril?")."""
        search = self.retriever.search(
            turn.text, max(self.settings.retrieval.k, RETRIEVED_REPORTED), turn.mode, query_vector=self._known_vector(turn.text),
            within=treatment, expansion=turn.expansion,
        )
        return self._compose_kept(turn, search, treatment, keep)

    def closest_example(self, query_vector: np.ndarray) -> float:
        """The cosine of the closest example question the guide answers (``answering.exemplars``), 0 without any."""
        return max(self.examples.similarities(query_vector).values(), default=0.0)

    def recompose(self, turn: Turn, keep: Callable[[Sentence], bool]) -> Composition | None:
        """The answer to the search already made (``turn.found``), ``keep``'s sentences only: no new search."""
        return self._compose_kept(turn, turn.found.search, turn.found.followed, keep)

    def recompose_past(self, turn: Turn, keep: Callable[[Sentence], bool]) -> Composition | None:
        """As ``recompose``, with the passages that hold no sentence ``keep`` keeps set aside, so the next ones found
        take their places ("I'd rather avoid tablets, what can I do?": the medicines' passages ranked first, and
        "painkillers" filled the ten found). The ranking is read again to its end with the query vector already made:
        no new embedding. The clinic's own page is set aside too, unless the message speaks of the clinic ("something
        holistic and personalized, not just more pills. Do you offer that?"): its advertisement would be all that stays."""
        search = turn.found.search
        ranked = self.retriever.search(
            turn.text, len(self.retriever.chunks), turn.mode, query_vector=search.query_vector, expansion=search.expansion
        )
        clinic = "" if self.followups.clinic in search.expansion.named else self.followups.clinic

        def kept(sentence: Sentence) -> bool:
            return sentence.treatment != clinic and keep(sentence)

        hits = [h for h in ranked.hits if any(kept(s) for s in self.retriever.sentences_of([h.chunk.id])[0])]
        # the learned layers may add back a passage they are sure of (``_answered_by_example``): ``kept`` holds for it too
        return self._compose_kept(turn, replace(ranked, hits=hits), turn.found.followed, kept)

    def _read_again(self, turn: Turn, search: SearchResult) -> tuple[np.ndarray, tuple[set[str], set[str]]]:
        """The query vector and words of a search already made, to compose from its passages a second time."""
        query_vector = search.query_vector if search.query_vector is not None else self.message_vector(turn.text)
        return query_vector, (set(tokenize(self.followups.without_failure(turn.text))), set(tokenize(search.expansion.text)))

    def _compose_kept(self, turn: Turn, search: SearchResult, focus: str | None, keep: Callable[[Sentence], bool]) -> Composition | None:
        query_vector, tokens = self._read_again(turn, search)
        composition = self._compose_sentences(turn.text, query_vector, tokens, search, focus, keep, earlier=self._named_earlier(turn, focus))
        return self._cited_once(
            self._with_cells(turn.text, query_vector, tokens, search, composition, self._choice(turn)[0], keep)
        )

    def _cited_once(self, composition: Composition | None) -> Composition | None:
        """``composition`` with one citation per section of the guide (``one_citation_per_section``)."""
        return one_citation_per_section(composition, self.source_texts) if composition is not None else None

    def _earlier_choice_within_one(self, turn: Turn) -> bool:
        """"which one first?" after "should I try heat or ice?": the previous message's choice lies inside one treatment,
        which its own passages answer, not the table (it set heat's row beside massage's); so do the kinds of one
        treatment the previous message asked about."""
        rules = self.question_rules
        if not turn.earlier or not rules.asks_which_of_earlier(turn.text):
            return False
        earlier = turn.earlier[0]
        named = tuple(self._named_in_table(earlier))
        if rules.offers_a_choice(earlier):
            return self._within_one_treatment(earlier, named)
        # "which one's the most common?" after "what types of chiropractic adjustment are there?": one of the kinds of
        # the one treatment asked about, which its own passages name (answers_dev27 opened with the table's costs)
        return len(named) == 1 and any(t.name == KIND for t in rules.wanted_types(earlier))

    def _within_one_treatment(self, text: str, named: tuple[str, ...]) -> bool:
        """"Heat or ice?", "which massage is best?": a choice inside one treatment, which its own passages answer
        (the table has one row per treatment). A ranking ("is massage expensive?"), a question past the one named
        ("what else besides massage?") or for or against a concept ("any option without pills?") still reads the table."""
        rules = self.question_rules
        rows = self._table_rows()
        in_table = [t for t in named if t in rows]  # "booking a massage": the clinic's desk has no row of its own
        return len(in_table) == 1 and rules.ranking(text) is None and not rules.looks_past(text) and not rules.polarity(text)

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

    def _answered_by_example(
        self, examples: dict[str, float], composable: list[str], focus: str | None, heads: dict[str, float] | None = None
    ) -> list[str]:
        """Passages outside ``composable`` (the top ones) holding a sentence whose example questions are very
        close to this one, or whose learned head is very sure (within the treatment under discussion for a follow-up)."""
        close = sorted(((sim, sid) for sid, sim in examples.items() if sim >= self.tuning.example_join), reverse=True)
        close += sorted(((p, sid) for sid, p in (heads or {}).items() if p >= self.tuning.head_join), reverse=True)
        extra: list[str] = []
        for _, sentence_id in close:
            sentence = self.retriever.sentence_by_id(sentence_id)
            if sentence is None or sentence.chunk_id in composable or sentence.chunk_id in extra:
                continue
            if focus and sentence.treatment != focus:
                continue
            extra.append(sentence.chunk_id)
        return extra

    def _also_called(self, word: str) -> list[str]:
        """The guide's words for a patient's word ("ice" → ice, pack, cold, therapy, cryotherapy)."""
        return [w for term in self.retriever.vocabulary.expand(word).terms for w in term.split()]

    def drug_free_options(self, question: str) -> Composition | None:
        """The comparison table's answer to ``question`` ("which treatments work without medication?").

        It does not depend on the patient's words, so it is composed once (one
        embedding per loaded index) and shown after a caution that withholds a dose.
        """
        if question not in self._drug_free:
            cells, vectors = self.retriever.table_cells()
            vector = self.retriever.embedder.encode_query(question)
            tokens: tuple[set[str], set[str]] = (set(tokenize(question)), set())
            chunks = self.retriever.chunks_by_id
            self._drug_free[question] = self._cited_once(
                compose_comparison(question, vector, tokens, cells, vectors, chunks, self.question_rules, self.tuning)
            )
        return self._drug_free[question]

    def treatment_sentences(self, treatment: str) -> list[str]:
        """A treatment's sentences, gathered once (the index does not change under a loaded Assistant)."""
        cached = self._treatment_sentences.get(treatment)
        if cached is None:
            chunk_ids = [self.retriever.chunks[i].id for i in self.retriever.rows_by_treatment.get(treatment, [])]
            cached = [s.text for s in self.retriever.sentences_of(chunk_ids)[0]]
            self._treatment_sentences[treatment] = cached
        return cached
