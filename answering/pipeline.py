"""``answer(message, history) -> Answer``: the one entry point the app, the API and the evaluation share.

1. **Triage first** (``safety``), on every user message of the conversation,
   before and without retrieval.
2. The policy steps (``answering.policies``) run in order until one replies.
3. **Every** reply, errors included, ends with the referral text.

The assistant keeps no state between calls: everything it needs arrives with the request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from answering.conversation import message_text, normalise_history
from answering.finder import RETRIEVED_REPORTED, PassageFinder
from answering.policies import PolicyStep, policy_steps
from answering.question import QuestionRules
from answering.scope import ScopeRules
from answering.turn import Reply, Turn
from contracts import Answer, Part, PartKind, ReplyKind, RetrievedPassage, Tier
from index.retriever import Retriever
from rules.prompts import Prompts
from safety.triage import Triage, TriageResult
from settings import Settings, load_settings

log = logging.getLogger("answering")

MAX_QUERY_CHARS = 1000  # retrieval and composing read this much of a message; triage reads all of it


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class Assistant:
    """Holds the loaded parts (retriever, triage, texts, rules) and answers questions with them."""

    def __init__(
        self, settings: Settings, retriever: Retriever, triage: Triage, prompts: Prompts, scope: ScopeRules,
        question_rules: QuestionRules | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.triage = triage
        self.prompts = prompts
        self.scope = scope
        self.question_rules = question_rules or QuestionRules.load()
        self.finder = PassageFinder(settings, retriever, self.question_rules)
        self.steps: tuple[PolicyStep, ...] = policy_steps(scope, prompts, self.finder, settings.retrieval, settings.clinic.guide_url)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, retriever: Retriever | None = None) -> Assistant:
        """Load everything once; raises a clear error (``IndexLoadError``, ``RulesError``, ``PromptError``) at start-up."""
        settings = settings or load_settings()
        return cls(
            settings,
            retriever or Retriever.from_settings(settings),
            Triage.load(),
            Prompts.load(settings),
            ScopeRules.load(),
        )

    def with_retriever(self, retriever: Retriever) -> Assistant:
        """The same rules and texts over another index (a rebuilt one)."""
        return Assistant(self.settings, retriever, self.triage, self.prompts, self.scope, self.question_rules)

    # -- the entry point ---------------------------------------------------------------

    def answer(self, message: Any, history: Any = None, mode: str | None = None) -> Answer:
        """Answer one message in its conversation. Never raises: failures become the error reply."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        triage: TriageResult | None = None
        turn: Turn | None = None
        text = ""
        try:
            text = message_text(message)
            t = time.perf_counter()
            triage = self.triage.assess(text, history)
            timings["triage"] = _ms(t)
            turn = Turn(
                text[:MAX_QUERY_CHARS], normalise_history(history, self.settings.answer.history_turns), triage,
                mode or self.settings.retrieval.mode, self.finder, timings,
            )
            reply = self._run(turn)
        except Exception:  # a patient must still get the referral text, whatever broke
            log.exception("answer failed (message text withheld)")
            reply = Reply(ReplyKind.ERROR, [Part(PartKind.ERROR, self.prompts.render("error"))])
        reply.parts.append(Part(PartKind.REFERRAL, self.prompts.render("referral")))
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
            language=self.prompts.language,
        )
        self._log(answer, text if reply.kind is not ReplyKind.ERROR else "")
        return answer

    def _run(self, turn: Turn) -> Reply:
        for step in self.steps:
            reply = step(turn)
            if reply is not None:
                return reply
        raise RuntimeError("the last policy step must always reply")

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
