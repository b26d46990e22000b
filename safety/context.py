"""Whether a red-flag mention counts: negated, hypothetical, general, or someone else's.

The red-flag rules find phrasings; this module reads the words around each one.
Negation is the project's one NegEx (``rules.negation``): a trigger ("no",
"without", "never had" ...) negates what follows for a few words, until a
terminator ("but", "except" ...) or the end of the clause. The same scope idea
sets aside questions about what might happen ("what if I get numbness?"),
general statements ("people with cancer ...") and other people's history ("my
mum had cancer"). Every word list lives in ``data/<lang>/red_flags.toml``
(``[context]``); this module holds only the mechanics.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property

from contracts import Tier
from rules.files import RedFlagsData
from rules.negation import NegationReading, NegationRules, Spans
from rules.patterns import SENTENCE_END, PatternLanguage


def _bounded(pattern: str) -> str:
    """A joiner as a whole word when it is a word ("and"), as itself when punctuation (",")."""
    start = r"\b" if pattern[:1].isalnum() else ""
    end = r"\b" if pattern[-1:].isalnum() else ""
    return f"{start}{pattern}{end}"


def clause_breaks(lists: dict[str, tuple[str, ...]], language: PatternLanguage) -> re.Pattern[str]:
    """Where a clause ends: a sentence end, a terminator, or a joiner followed by a clause opener
    ("no fever, my bum is numb", "no fever and now my legs are numb")."""
    joiners = "|".join(_bounded(language.expand(j)) for j in lists["clause_joiners"])
    scope_words = language.alternation([*lists["terminators"], *lists["soft_terminators"]])
    openers = language.alternation(lists["clause_openers"])
    return re.compile(rf"{SENTENCE_END}|\b(?:{scope_words})\b|(?:(?:{joiners})\s*)+\b(?:{openers})\b")


@dataclass(frozen=True)
class ContextRules:
    """The compiled ``[context]`` word lists (see red_flags.toml for what each is)."""

    negation: NegationRules
    hypothetical: re.Pattern[str]
    general: re.Pattern[str]
    other_person: re.Pattern[str]
    first_person: re.Pattern[str]
    past: re.Pattern[str]
    present: re.Pattern[str]

    @classmethod
    def compile(cls, data: RedFlagsData, language: PatternLanguage) -> ContextRules:
        lists = data.context
        return cls(
            negation=NegationRules(
                triggers=language.compile(lists["negation"]),
                window=data.negation_window,
                pseudo=language.compile(lists["pseudo_negation"]),
                breaks=clause_breaks(lists, language),
            ),
            hypothetical=language.compile(lists["hypothetical"]),
            general=language.compile(lists["general"]),
            other_person=language.compile(lists["other_person"]),
            first_person=language.compile(lists["first_person"]),
            past=language.compile(lists["past"]),
            present=language.compile(lists["present"]),
        )

    def read(self, plain: str) -> Context:
        return Context(self, plain)


@dataclass(frozen=True)
class SetAside:
    """Why a mention does not count, and where the words that say so begin."""

    reason: str  # "negated" | "hypothetical" | "general" | "other person"
    start: int


class Context:
    """The context of one message, computed on first use (most messages have no mention at all)."""

    def __init__(self, rules: ContextRules, plain: str) -> None:
        self.rules = rules
        self.plain = plain
        self.negation: NegationReading = rules.negation.read(plain)

    @cached_property
    def _hypothetical(self) -> Spans:
        return Spans.of(self.rules.hypothetical, self.plain)

    @cached_property
    def _general(self) -> Spans:
        return Spans.of(self.rules.general, self.plain)

    @cached_property
    def _other_person(self) -> Spans:
        return Spans.of(self.rules.other_person, self.plain)

    @cached_property
    def _first_person(self) -> Spans:
        return Spans.of(self.rules.first_person, self.plain)

    def set_aside(self, start: int, end: int, tier: Tier) -> SetAside | None:
        """Why the mention at ``plain[start:end]`` does not count, or None when it does.

        Another person's emergency that is happening now still counts: "my
        husband can't feel his legs" gets the call-now reply, because someone
        needs help and the person typing is the one who can call. Their history
        and risk factors (urgent tier: "my mum had cancer") and past events ("my
        friend couldn't wee last year") do not change this patient's advice.
        """
        mention = self.plain[start:end]
        # The negation is the symptom ("can't feel", "no feeling down there"): nothing before it can negate it.
        if not self.rules.negation.triggers.search(mention) and (trigger := self.negation.negated_by(start)) is not None:
            return SetAside("negated", trigger)
        if (marker := self._in_scope(self._hypothetical, start, personal=False)) is not None:
            return SetAside("hypothetical", marker)
        if self.rules.first_person.search(mention):
            return None  # "... can't feel my legs": the patient's own, whatever came before
        if (marker := self._in_scope(self._general, start, personal=True)) is not None:
            return SetAside("general", marker)
        marker = self._in_scope(self._other_person, start, personal=True)
        if marker is not None and not (tier is Tier.EMERGENCY and self._happening_now(marker, end)):
            return SetAside("other person", marker)
        return None

    def _in_scope(self, markers: Spans, start: int, personal: bool) -> int | None:
        """Start of the marker whose scope reaches ``start``: no clause break (and, for a
        person, no "I" or "my") between the marker and the mention."""
        marker = markers.last_starting_before(start)
        if marker is None:
            return None
        m_start, m_end = marker
        if m_end >= start:
            return m_start  # the marker spans the mention: "is losing bladder control a red flag"
        if self.negation.breaks.any_starting_in(m_end, start):
            return None
        if personal and self._first_person.any_starting_in(m_end, start):
            return None
        return m_start

    def _happening_now(self, marker: int, end: int) -> bool:
        """Whether what is said of another person, from ``marker`` to the end of that clause,
        tells of the present ("can't feel his legs") or does not say; not the past ("had", "last year")."""
        stops = [len(self.plain)]
        for spans in (self.negation.breaks, self._first_person):
            i = bisect_left(spans.starts, end)
            if i < len(spans.starts):
                stops.append(spans.starts[i])
        clause = self.plain[marker : min(stops)]
        return self.rules.present.search(clause) is not None or self.rules.past.search(clause) is None
