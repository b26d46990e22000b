"""``answer(message, history) -> Answer``: the one entry point the app, the API and the evaluation share.

1. **Triage first** (``safety``), on every user message of the conversation,
   before and without retrieval (its learned layer reads the message's query
   embedding, which the search then reuses).
2. The policy steps (``answering.policies``) run in order until one replies.
3. **Every** reply, errors included, ends with the referral text.

The assistant keeps no state between calls: everything it needs arrives with the request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from answering.answerability import Answerability
from answering.conversation import message_text, normalise_history
from answering.finder import RETRIEVED_REPORTED, PassageFinder
from answering.label_limit import LearnedLabelLimit
from answering.medicines import MedicineNames
from answering.policies import PolicyStep, policy_steps
from answering.question import QuestionRules
from answering.scope import ScopeRules
from answering.turn import Reply, Turn
from contracts import Answer, Part, PartKind, ReplyKind, RetrievedPassage, Tier, user_texts
from index.retriever import Retriever
from index.vocabulary import MAX_QUERY_CHARS
from rules.locale import DEFAULT_LANGUAGE
from rules.prompts import Prompts
from safety.learned import LearnedSignal, forget_features
from safety.medication import MedicationRisks
from safety.notices import notice_parts
from safety.risk_model import LearnedRisks
from safety.triage import Triage, TriageResult
from settings import Settings, load_settings

log = logging.getLogger("answering")

MAX_EARLIER_MESSAGES = 200  # the API takes at most [server] max_history_messages; this bounds a direct caller

def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class Assistant:
    """Holds the loaded parts (retriever, triage, texts, rules) and answers questions with them."""

    def __init__(
        self, settings: Settings, retriever: Retriever, triage: Triage, prompts: Mapping[str, Prompts], scope: ScopeRules,
        question_rules: QuestionRules | None = None, medicines: MedicineNames | None = None, risks: MedicationRisks | None = None,
        answerability: Answerability | None = None, limits: LearnedLabelLimit | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.triage = triage
        self.texts = dict(prompts)  # per language; English always
        self.prompts = self.texts[DEFAULT_LANGUAGE]
        self.scope = scope
        self.question_rules = question_rules or QuestionRules.load()
        self.medicines = medicines or MedicineNames.load()
        self.risks = risks or MedicationRisks.load(learned=LearnedRisks.load())
        self.answerability = answerability or Answerability.load()
        self.limits = limits or LearnedLabelLimit.load()
        self.finder = PassageFinder(settings, retriever, self.question_rules)
        self.steps: tuple[PolicyStep, ...] = policy_steps(
            scope, self.finder, settings, self.medicines, self.risks, self.answerability, self.limits
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, retriever: Retriever | None = None) -> Assistant:
        """Load everything once; raises a clear error (``IndexLoadError``, ``RulesError``, ``PromptError``,
        ``LearnedModelError``) at start-up."""
        settings = settings or load_settings()
        languages = settings.languages
        return cls(
            settings,
            retriever or Retriever.from_settings(settings),
            Triage.load(languages.enabled, LearnedSignal.load(), languages.min_confidence),
            {lang: Prompts.load(settings, lang) for lang in dict.fromkeys([DEFAULT_LANGUAGE, *languages.enabled])},
            ScopeRules.load(),
        )

    def with_retriever(self, retriever: Retriever) -> Assistant:
        """The same rules and texts over another index (a rebuilt one)."""
        return Assistant(
            self.settings, retriever, self.triage, self.texts, self.scope, self.question_rules, self.medicines, self.risks, self.answerability,
            self.limits,
        )

    def forget_messages(self) -> None:
        """Forget every message read so far: its vectors, n-grams, rule readings and language.

        For the latency benchmark, which times each question as a new one (a
        conversation's earlier messages are read from these caches when it goes on).
        The guide's own sentences stay cached: they are read for every question.
        """
        self.finder.forget_vectors()
        forget_features()
        self.triage.forget_messages()
        self.risks.forget_messages()

    def texts_for(self, language: str) -> Prompts:
        """The clinic's texts in ``language`` (English when it has none)."""
        return self.texts.get(language, self.prompts)

    # -- the entry point ---------------------------------------------------------------

    def answer(self, message: Any, history: Any = None, mode: str | None = None) -> Answer:
        """Answer one message in its conversation. Never raises: failures become the error reply."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        triage: TriageResult | None = None
        turn: Turn | None = None
        text = ""
        texts = self.prompts
        try:
            text = message_text(message)
            triage = self._triage(text, history, timings)
            texts = self.texts_for(triage.language)
            read = text[:MAX_QUERY_CHARS]
            question = self.question_rules.as_question(read)
            turn = Turn(
                question, normalise_history(history, self.settings.answer.history_turns), triage,
                mode or self.settings.retrieval.mode, self.finder, texts, timings, earlier=tuple(user_texts(history, MAX_EARLIER_MESSAGES)),
                written=read if question != read else "",
            )
            reply = self._run(turn)
        except Exception:  # a patient must still get the referral text, whatever broke
            log.exception("answer failed (message text withheld)")
            reply = Reply(ReplyKind.ERROR, [texts.part(PartKind.ERROR, "error")])
        reply.parts.append(texts.part(PartKind.REFERRAL, "referral"))
        timings["total"] = _ms(started)
        answer = Answer(
            parts=reply.parts,
            citations=reply.citations,
            triage=triage.tier if triage else Tier.NONE,
            out_of_scope=reply.out_of_scope,
            timings_ms=timings,
            signs=triage.labels() if triage else [],
            retrieved=self._retrieved(reply, turn),
            kind=reply.kind,
            language=texts.language,
            intent=self._intent(turn, reply),
        )
        self._log(answer, text if reply.kind is not ReplyKind.ERROR else "")
        return answer

    def safety_notice(self, message: Any, history: Any = None, learned: bool = True) -> tuple[TriageResult, list[Part]]:
        """For a message that will not be answered (too long, too fast): its safety texts, or the referral alone.

        Triage still reads it, whole: a red flag in a refused message must still get
        its text. ``learned=False`` reads with the rules alone (no model call: for
        a client that is asking too fast).
        """
        text = message_text(message)
        triage = self._triage(text, history, {}) if learned else self.triage.assess(text, history)
        texts = self.texts_for(triage.language)
        return triage, [*notice_parts(triage, texts), texts.part(PartKind.REFERRAL, "referral")]

    def _triage(self, text: str, history: Any, timings: dict[str, float]) -> TriageResult:
        """Triage with the rules and the learned layer (which reads the query vectors: timed as "embed").

        The rules read on a worker thread while this one computes the vectors, so
        "triage" is the time it adds beyond the embedding, not its own CPU time.
        """

        def embed(texts: list[str]) -> Any:
            t = time.perf_counter()
            try:
                return self.finder.embed_messages(texts)
            finally:
                timings["embed"] = timings.get("embed", 0.0) + _ms(t)

        t = time.perf_counter()
        result = self.triage.assess(text, history, embed if text.strip() else None)
        timings["triage"] = _ms(t) - timings.get("embed", 0.0)
        return result

    def _run(self, turn: Turn) -> Reply:
        for step in self.steps:
            reply = step(turn)
            if reply is not None:
                return reply
        raise RuntimeError("the last policy step must always reply")

    def _intent(self, turn: Turn | None, reply: Reply) -> str | None:
        """The question's intent label; None when there was no question to read (an error, an empty message)."""
        if turn is None or reply.kind in (ReplyKind.ERROR, ReplyKind.EMPTY) or not turn.text.strip():
            return None
        try:
            return self.question_rules.intent(turn.text)
        except Exception:  # a label for the clinic's figures must never cost the patient the reply
            return None

    def _retrieved(self, reply: Reply, turn: Turn | None) -> list[RetrievedPassage]:
        """What retrieval found: the passages a comparison was composed from first, then the search hits."""
        found = turn.searched if turn is not None and reply.kind is not ReplyKind.ERROR else None
        hits = found.search.hits if found is not None else []
        scores = {h.chunk.id: h.score for h in hits}
        ids = list(dict.fromkeys([*reply.passages, *(h.chunk.id for h in hits)]))[:RETRIEVED_REPORTED]
        chunks = self.retriever.chunks_by_id
        return [RetrievedPassage(i, chunks[i].treatment, chunks[i].section, scores.get(i, 0.0)) for i in ids]

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
