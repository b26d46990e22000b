"""``answer(message, history) -> Answer``: the one entry point the app, the API and the evaluation share.

The order of the steps is the safety design:

1. **Triage first**, on the message in its conversation, before and without retrieval:
   an emergency reply is the emergency text and the referral, nothing else.
2. Greetings, attempts to re-instruct the bot, other subjects and doses the guide
   does not give are answered with fixed texts from ``prompts/``.
3. Otherwise retrieve (following up on the conversation when the message leans on
   it), and compose from the guide's own sentences with citations.
4. **Every** path, errors included, ends with the referral text.

The assistant keeps no state between calls: everything it needs arrives with the request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from assistant.comparison import compose_comparison
from assistant.compose import ComposerTuning, Composition, compose
from assistant.conversation import clean_text, content_text, normalise_history, user_turns
from assistant.followup import Focus, FollowUpResolver
from assistant.prompts import Prompts
from assistant.question import QuestionRules
from assistant.scope import ScopeRules, amounts_in
from assistant.triage import Triage, TriageResult
from assistant.types import Answer, Citation, Part, RetrievedPassage
from index.retriever import Retriever, SearchResult
from index.text import tokenize
from index.vocabulary import Expansion
from settings import Settings, load_settings

log = logging.getLogger("assistant")

PREGNANCY_SIGN = "pregnancy"
MAX_QUERY_CHARS = 1000  # retrieval and composing read this much of a message; triage reads all of it
RETRIEVED_REPORTED = 10  # passages listed in Answer.retrieved (the evaluation's MRR@10); k of them are composed from


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


@dataclass
class _Reply:
    """What a path decided, before the referral is added and the Answer is built."""

    kind: str
    parts: list[Part]
    citations: list[Citation]
    out_of_scope: bool = False
    search: SearchResult | None = None
    passages: tuple[str, ...] = ()  # chunk ids the reply was composed from, listed first in Answer.retrieved


class Assistant:
    """Holds the loaded parts (retriever, triage, texts) and answers questions with them."""

    def __init__(self, settings: Settings, retriever: Retriever, triage: Triage, prompts: Prompts, scope: ScopeRules) -> None:
        self.settings = settings
        self.retriever = retriever
        self.triage = triage
        self.prompts = prompts
        self.scope = scope
        self.followups = FollowUpResolver.load(retriever.vocabulary, retriever.lexical_treatment)
        self.question_rules = QuestionRules.load()
        self._treatment_sentences: dict[str, list[str]] = {}
        self.tuning = ComposerTuning(
            max_sentences=settings.answer.max_sentences, min_score=settings.retrieval.min_answer_score
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, retriever: Retriever | None = None) -> Assistant:
        """Load everything once; raises a clear error (``IndexLoadError``, ``PromptError``…) at start-up."""
        settings = settings or load_settings()
        return cls(
            settings,
            retriever or Retriever.from_settings(settings),
            Triage.from_file(),
            Prompts.load(settings),
            ScopeRules.load(),
        )

    # -- the entry point ---------------------------------------------------------------

    def answer(self, message: Any, history: Any = None, mode: str | None = None) -> Answer:
        """Answer one message in its conversation. Never raises: failures become the error reply."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        result: TriageResult | None = None
        try:
            text = clean_text(message if isinstance(message, str) else content_text(message))
            turns = normalise_history(history, self.settings.answer.history_turns)
            t = time.perf_counter()
            result = self.triage.assess(text, turns)
            timings["triage"] = _ms(t)
            reply = self._reply(text[:MAX_QUERY_CHARS], turns, result, timings, mode or self.settings.retrieval.mode)
        except Exception:  # a patient must still get the referral text, whatever broke
            log.exception("answer failed (message text withheld)")
            reply = _Reply("error", [Part("error", self.prompts.render("error"))], [])
        reply.parts.append(Part("referral", self.prompts.render("referral")))
        timings["total"] = _ms(started)
        answer = Answer(
            parts=reply.parts,
            citations=reply.citations,
            triage=result.tier if result else "none",
            out_of_scope=reply.out_of_scope,
            timings_ms=timings,
            signs=list(dict.fromkeys(s.label for s in result.signs)) if result else [],
            retrieved=self._retrieved(reply),
            kind=reply.kind,
        )
        self._log(answer, text if reply.kind != "error" else "")
        return answer

    def _retrieved(self, reply: _Reply) -> list[RetrievedPassage]:
        """What retrieval found: the passages a comparison was composed from first, then the search hits."""
        hits = reply.search.hits if reply.search else []
        scores = {h.chunk["id"]: h.score for h in hits}
        ids = list(dict.fromkeys([*reply.passages, *(h.chunk["id"] for h in hits)]))[:RETRIEVED_REPORTED]
        chunks = self.retriever.chunks_by_id
        return [RetrievedPassage(i, chunks[i]["treatment"], chunks[i]["section"], scores.get(i, 0.0)) for i in ids]

    # -- the paths ------------------------------------------------------------------------

    def _reply(self, text: str, turns: list[dict[str, str]], triage: TriageResult, timings: dict[str, float], mode: str) -> _Reply:
        signs = ", ".join(dict.fromkeys(s.label for s in triage.signs if s.tier == triage.tier))
        if triage.tier == "emergency":
            return _Reply("emergency", [Part("emergency", self.prompts.render("emergency", signs=signs))], [])
        lead: list[Part] = []
        if triage.tier == "urgent":
            urgent = self.prompts.render("urgent", signs=signs)
            if any(s.sign == PREGNANCY_SIGN for s in triage.signs):
                urgent += "\n\n" + self.prompts.render("urgent_pregnancy")
            lead.append(Part("urgent", urgent))

        if not text:
            return _Reply("empty", lead + [Part("empty", self.prompts.render("empty_input"))], [])
        if self.scope.is_injection(text):
            return self._decline(lead)
        if self.scope.is_greeting(text):
            return _Reply("greeting", lead + [Part("greeting", self.prompts.render("greeting"))], [])
        t = time.perf_counter()
        expansion = self.retriever.vocabulary.expand(text)
        timings["expand"] = _ms(t)
        focus = self.followups.resolve(text, expansion, user_turns(turns))
        if not focus.treatment and self.scope.is_off_topic(text, bool(expansion.treatments)):
            return self._decline(lead)
        asks_dose = self.scope.asks_for_dose(text)
        if asks_dose and self.scope.names_unlisted_medicine(text):
            return self._dose_decline(lead)
        if self.scope.asks_to_exceed_dose(text) and expansion.treatments and set(expansion.treatments) <= self.scope.medication_treatments:
            return self._dose_decline(lead)

        search, composition, followed = self._retrieve_and_compose(text, expansion, focus, timings, mode)
        if asks_dose and not self._guide_gives_dose(text, search):
            return self._dose_decline(lead, search)
        if not (followed or self._in_scope(text, search)):
            return self._decline(lead, search)
        if composition is None:
            return _Reply("no_answer", lead + [Part("no_answer", self.prompts.render("no_answer"))], [], search=search)

        parts = lead + [Part(composition.kind, composition.markdown)]
        parts.append(Part("sources", self._sources_markdown(composition.citations)))
        cited = {c.treatment for c in composition.citations}
        if self.scope.is_about_medication(text, cited | set(search.expansion.treatments)):
            parts.append(Part("caution", self.prompts.render("medication_caution")))
        passages = composition.passages if composition.kind == "cross" else ()
        return _Reply("answer", parts, composition.citations, search=search, passages=passages)

    def _decline(self, lead: list[Part], search: SearchResult | None = None) -> _Reply:
        return _Reply("decline", lead + [Part("decline", self.prompts.render("out_of_scope"))], [], True, search)

    def _dose_decline(self, lead: list[Part], search: SearchResult | None = None) -> _Reply:
        parts = [Part("decline", self.prompts.render("dose_decline")), Part("caution", self.prompts.render("medication_caution"))]
        return _Reply("decline", lead + parts, [], True, search)

    # -- retrieval and composition --------------------------------------------------------

    def _retrieve_and_compose(
        self, text: str, expansion: Expansion, focus: Focus, timings: dict[str, float], mode: str
    ) -> tuple[SearchResult, Composition | None, str | None]:
        """Search (within the treatment under discussion for a follow-up) and compose; also returns that treatment."""
        depth = max(self.settings.retrieval.k, RETRIEVED_REPORTED)
        search = self.retriever.search(text, depth, mode, within=focus.treatment, expansion=expansion)
        composition = self._compose(text, search, timings, focus.treatment)
        if focus.treatment and composition is None:  # the follow-up guess found nothing: search everything
            search = self.retriever.search(text, depth, mode, expansion=expansion)
            composition = self._compose(text, search, timings)
            focus = Focus(None, "nothing found within the earlier topic")
        for stage, ms in search.timings_ms.items():
            timings[stage] = timings.get(stage, 0.0) + ms
        return search, composition, focus.treatment

    def _compose(self, text: str, search: SearchResult, timings: dict[str, float], focus: str | None = None) -> Composition | None:
        t = time.perf_counter()
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
            composition = compose(
                query_vector, tokens, sentences, vectors, ranks, chunks, self.tuning, wanted, self.retriever.bm25.idf
            )
        timings["compose"] = timings.get("compose", 0.0) + _ms(t)
        return composition

    def _composable(self, search: SearchResult) -> list[str]:
        """The top k passages, and any later one of the same treatments that scores as well (a near tie).

        A treatment is often split over several chunks with almost equal scores;
        cutting at exactly k would drop the one that holds the answer at random.
        """
        k, hits = self.settings.retrieval.k, search.hits
        if len(hits) <= k:
            return [h.chunk["id"] for h in hits]
        treatments = {h.chunk["treatment"] for h in hits[:k]}
        cutoff = hits[k - 1].score * self.settings.retrieval.tie_ratio
        return [h.chunk["id"] for i, h in enumerate(hits) if i < k or (h.score >= cutoff and h.chunk["treatment"] in treatments)]

    def _also_called(self, word: str) -> list[str]:
        """The guide's words for a patient's word ("ice" → ice, pack, cold, therapy, cryotherapy)."""
        return [w for term in self.retriever.vocabulary.expand(word).terms for w in term.split()]

    def _in_scope(self, text: str, search: SearchResult) -> bool:
        """Evidence that the guide is about this: back-care words, a treatment named in lay words,
        the guide's own vocabulary (most of the question's words, one of them specific to the guide),
        or a close dense match."""
        if self.scope.mentions_topic(text) or search.expansion.treatments:
            return True
        weights = [self.retriever.bm25.idf(t) for t in tokenize(text)]
        known = [w for w in weights if w > 0]
        if weights and len(known) / len(weights) > 0.5 and max(known) >= self.settings.retrieval.min_idf_in_scope:
            return True
        return search.best_dense >= self.settings.retrieval.min_dense_in_scope

    def _guide_gives_dose(self, text: str, search: SearchResult) -> bool:
        """True when the guide states a dose for the medicine asked about, and any amount named is the guide's."""
        treatments = [t for t in search.expansion.treatments if t in self.scope.medication_treatments]
        if not treatments:
            return True  # "how much rest?" is not a medicine dose
        sentences = [s for t in treatments for s in self._sentences_of_treatment(t)]
        named = [w.lower() for w in search.expansion.matched]
        about_drug = [s for s in sentences if any(w.rstrip("s") in s.lower() for w in named)]
        dosed = [s for s in (about_drug or sentences) if amounts_in(s)]
        if not dosed:
            return False
        guide_numbers = {n for s in dosed for n in amounts_in(s)}
        return all(n in guide_numbers for n in amounts_in(text))

    def _sentences_of_treatment(self, treatment: str) -> list[str]:
        """A treatment's sentences, gathered once (the index does not change under a loaded Assistant)."""
        cached = self._treatment_sentences.get(treatment)
        if cached is None:
            chunk_ids = [self.retriever.chunks[i]["id"] for i in self.retriever.rows_by_treatment.get(treatment, [])]
            cached = [s["text"] for s in self.retriever.sentences_of(chunk_ids)[0]]
            self._treatment_sentences[treatment] = cached
        return cached

    # -- rendering -----------------------------------------------------------------------------

    def _sources_markdown(self, citations: list[Citation]) -> str:
        """The numbered source list; with a guide URL, each links to the quoted passage."""
        url = self.settings.clinic.guide_url
        lines = []
        for c in citations:
            if url:
                fragment = quote(" ".join(c.quote.split()[:6]), safe="")
                lines.append(f"[{c.n}] [{c.section}]({url}#:~:text={fragment})")
            else:
                lines.append(f"[{c.n}] {c.section}")
        return "**Sources**\n\n" + "\n".join(f"- {line}" for line in lines)

    def _log(self, answer: Answer, text: str) -> None:
        shown = text[:200] if self.settings.privacy.log_messages else f"<{len(text)} chars>"
        log.info(
            "reply kind=%s triage=%s citations=%d total_ms=%.1f message=%s",
            answer.kind, answer.triage, len(answer.citations), answer.timings_ms.get("total", 0.0), shown,
        )


_default: Assistant | None = None
_default_lock = threading.Lock()


def default_assistant() -> Assistant:
    """The process-wide assistant built from ``config.toml`` (loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Assistant.from_settings()
        return _default


def answer(message: str, history: list[dict[str, Any]] | None = None) -> Answer:
    """The contract entry point: answer ``message`` given the earlier ``history`` turns."""
    return default_assistant().answer(message, history or [])
