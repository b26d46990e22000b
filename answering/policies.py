"""The answering policy, one named step per decision, run in order until one replies.

Each step reads the :class:`~answering.turn.Turn` and either replies (the
pipeline stops there) or returns ``None`` (the next step decides). The order is
the policy, written once in :func:`policy_steps`:

1. ``safety``: the triage tier's policy. Emergency and crisis replace the answer
   with their text; urgent leads whatever follows.
2. ``empty``, ``injection``, ``greeting``: fixed texts from ``prompts/``.
3. ``medication``: doses the guide does not give, medicines it does not cover,
   requests to exceed a label.
4. ``scope``: other subjects, and questions the guide has no words for
   (a follow-up on an earlier topic is always in scope).
5. ``compose``: a cited answer from the guide's own sentences, or "no answer".

A new capability is a new step in that list, not another branch in a method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from answering.compose import Composition
from answering.finder import PassageFinder
from answering.scope import ScopeRules, amounts_in
from answering.turn import Reply, Turn
from contracts import Citation, Part, PartKind, ReplyKind, Tier, guide_link
from index.text import tokenize
from rules.prompts import Prompts
from safety.triage import TriageResult
from settings import RetrievalSettings


class PolicyStep(Protocol):
    """One decision of the pipeline: a reply, or ``None`` to let the next step decide."""

    name: str

    def __call__(self, turn: Turn) -> Reply | None: ...


def _signs(triage: TriageResult, tier: Tier) -> str:
    return ", ".join(triage.labels(tier))


@dataclass
class SafetyStep:
    """The tier's policy: its text replaces the answer (emergency, crisis) or leads it (urgent)."""

    prompts: Prompts
    name: str = "safety"

    def __call__(self, turn: Turn) -> Reply | None:
        tier = turn.triage.tier
        if tier.replaces_answer:
            return Reply(ReplyKind(tier.value), [Part(PartKind(tier.value), self.prompts.render(tier.value, signs=_signs(turn.triage, tier)))])
        if tier.leads_answer:
            text = self.prompts.render(tier.value, signs=_signs(turn.triage, tier))
            if any(s.sign == "pregnancy" for s in turn.triage.signs):
                text += "\n\n" + self.prompts.render("urgent_pregnancy")
            turn.lead.append(Part(PartKind.URGENT, text))
        return None


@dataclass
class EmptyStep:
    prompts: Prompts
    name: str = "empty"

    def __call__(self, turn: Turn) -> Reply | None:
        return None if turn.text else turn.reply(ReplyKind.EMPTY, Part(PartKind.EMPTY, self.prompts.render("empty_input")))


def _decline(turn: Turn, prompts: Prompts) -> Reply:
    return turn.reply(ReplyKind.DECLINE, Part(PartKind.DECLINE, prompts.render("out_of_scope")), out_of_scope=True)


@dataclass
class InjectionStep:
    """Attempts to re-instruct the assistant, or requests for other kinds of text, are declined."""

    scope: ScopeRules
    prompts: Prompts
    name: str = "injection"

    def __call__(self, turn: Turn) -> Reply | None:
        return _decline(turn, self.prompts) if self.scope.is_injection(turn.text) else None


@dataclass
class GreetingStep:
    scope: ScopeRules
    prompts: Prompts
    name: str = "greeting"

    def __call__(self, turn: Turn) -> Reply | None:
        if not self.scope.is_greeting(turn.text):
            return None
        return turn.reply(ReplyKind.GREETING, Part(PartKind.GREETING, self.prompts.render("greeting")))


@dataclass
class MedicationStep:
    """The dose policy: a dose is only ever the guide's own sentence, for a medicine the guide covers."""

    scope: ScopeRules
    prompts: Prompts
    finder: PassageFinder
    name: str = "medication"

    def __call__(self, turn: Turn) -> Reply | None:
        text = turn.text
        asks_dose = self.scope.asks_for_dose(text)
        if asks_dose and self.scope.names_uncovered_medicine(text):
            return self._dose_decline(turn)
        treatments = turn.expansion.treatments
        if self.scope.asks_to_exceed_dose(text) and treatments and set(treatments) <= self.scope.medication_treatments:
            return self._dose_decline(turn)
        if asks_dose and not self._guide_gives_dose(turn):
            return self._dose_decline(turn)
        return None

    def _dose_decline(self, turn: Turn) -> Reply:
        caution = Part(PartKind.CAUTION, self.prompts.render("medication_caution"))
        return turn.reply(ReplyKind.DECLINE, Part(PartKind.DECLINE, self.prompts.render("dose_decline")), caution, out_of_scope=True)

    def _guide_gives_dose(self, turn: Turn) -> bool:
        """True when the guide states a dose for the medicine asked about, and any amount named is the guide's."""
        expansion = turn.found.search.expansion
        treatments = [t for t in expansion.treatments if t in self.scope.medication_treatments]
        if not treatments:
            return True  # "how much rest?" is not a medicine dose
        sentences = [s for t in treatments for s in self.finder.treatment_sentences(t)]
        named = [w.lower() for w in expansion.matched]
        about_drug = [s for s in sentences if any(w.rstrip("s") in s.lower() for w in named)]
        dosed = [s for s in (about_drug or sentences) if amounts_in(s)]
        if not dosed:
            return False
        guide_numbers = {n for s in dosed for n in amounts_in(s)}
        return all(n in guide_numbers for n in amounts_in(turn.text))


@dataclass
class ScopeStep:
    """Is the guide about this? Decided in one place: a follow-up on an earlier topic is;
    words of another subject are not; otherwise the evidence of the search decides."""

    scope: ScopeRules
    prompts: Prompts
    finder: PassageFinder
    thresholds: RetrievalSettings
    name: str = "scope"

    def __call__(self, turn: Turn) -> Reply | None:
        if turn.focus.treatment:
            return None  # leans on the conversation: never declined for its words alone
        if self.scope.is_off_topic(turn.text, bool(turn.expansion.treatments)):
            return _decline(turn, self.prompts)
        if turn.found.followed or self._in_scope(turn):
            return None
        return _decline(turn, self.prompts)

    def _in_scope(self, turn: Turn) -> bool:
        """Evidence that the guide is about this: back-care words, a treatment named in lay words,
        the guide's own vocabulary (most of the question's words, one of them specific to the guide),
        or a close dense match."""
        search = turn.found.search
        if self.scope.mentions_topic(turn.text) or search.expansion.treatments:
            return True
        idf = self.finder.retriever.bm25.idf
        weights = [idf(t) for t in tokenize(turn.text)]
        known = [w for w in weights if w > 0]
        if weights and len(known) / len(weights) > self.scope.min_known_share and max(known) >= self.thresholds.min_idf_in_scope:
            return True
        return search.best_dense >= self.thresholds.min_dense_in_scope


@dataclass
class ComposeStep:
    """The answer: the guide's own sentences with citations, its sources, and the medication caution."""

    scope: ScopeRules
    prompts: Prompts
    guide_url: str
    name: str = "compose"

    def __call__(self, turn: Turn) -> Reply:
        found = turn.found
        composition = found.composition
        if composition is None:
            return turn.reply(ReplyKind.NO_ANSWER, Part(PartKind.NO_ANSWER, self.prompts.render("no_answer")))
        parts = [*turn.lead, Part(PartKind(composition.kind), composition.markdown)]
        parts.append(Part(PartKind.SOURCES, self._sources_markdown(composition.citations)))
        cited = {c.treatment for c in composition.citations}
        if self.scope.is_about_medication(turn.text, cited | set(found.search.expansion.treatments)):
            parts.append(Part(PartKind.CAUTION, self.prompts.render("medication_caution")))
        return Reply(ReplyKind.ANSWER, parts, composition.citations, passages=_passages(composition))

    def _sources_markdown(self, citations: Sequence[Citation]) -> str:
        """The numbered source list; with a guide URL, each links to the quoted passage."""
        lines = []
        for c in citations:
            if self.guide_url:
                lines.append(f"[{c.n}] [{c.section}]({guide_link(self.guide_url, c.quote)})")
            else:
                lines.append(f"[{c.n}] {c.section}")
        return "**Sources**\n\n" + "\n".join(f"- {line}" for line in lines)


def _passages(composition: Composition) -> tuple[str, ...]:
    """A comparison lists the passages it quoted first in ``Answer.retrieved`` (what it was composed from)."""
    return composition.passages if composition.kind == "cross" else ()


def policy_steps(
    scope: ScopeRules, prompts: Prompts, finder: PassageFinder, thresholds: RetrievalSettings, guide_url: str
) -> tuple[PolicyStep, ...]:
    """The policy, in order (see the module docstring)."""
    return (
        SafetyStep(prompts),
        EmptyStep(prompts),
        InjectionStep(scope, prompts),
        GreetingStep(scope, prompts),
        MedicationStep(scope, prompts, finder),
        ScopeStep(scope, prompts, finder, thresholds),
        ComposeStep(scope, prompts, guide_url),
    )
