"""Who is asking about a medicine: the risks that make the guide's dose the wrong thing to show.

Pregnancy, breastfeeding, a child, a pet, a stomach ulcer, a blood thinner,
kidney, liver or heart disease, asthma, age 65 or over, alcohol or other
sedatives with a muscle relaxant: said anywhere in the conversation, in
everyday words or brand names (``data/<lang>/medicine_risks.toml``). Each is
read in context with the same NegEx and context rules as the red flags ("I'm
not pregnant" does not count; "my mum is on warfarin" does not count for the
patient; a child's or a pet's situation is the point and always counts).

Amounts already taken and sedation with symptoms are red flags, not risks:
triage sends those to Poison Help or the emergency number before anything here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from contracts import Tier, content_text, user_texts
from rules.files import RiskEntry, medicine_macros, read_medicine_risks, read_medicines, read_red_flags
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import Text
from safety.context import ContextRules

MAX_USER_MESSAGES = 200
_CACHED_MESSAGES = 1024


@dataclass(frozen=True)
class RiskMatch:
    """One risk found in the conversation."""

    risk: str  # risk id, e.g. "anticoagulant"
    label: str
    text: str  # the caution prompt
    applies_to: tuple[str, ...]  # medicine classes whose dose it withholds
    phrase: str  # as the patient wrote it
    turn: int  # 0 = the newest message
    after: str = "drug_free"  # what follows the caution (data/<lang>/medicine_risks.toml ``after``)
    someone_else: bool = False  # said of another person ("my wife is pregnant"): counts when the question is for them


@dataclass(frozen=True)
class _Risk:
    entry: RiskEntry
    pattern: re.Pattern[str]
    not_when: re.Pattern[str] | None


class MedicationRisks:
    """The risks of one language, compiled once; ``assess`` reads a whole conversation and never raises."""

    def __init__(self, risks: tuple[_Risk, ...], context: ContextRules, for_someone_else: re.Pattern[str] | None = None) -> None:
        self.risks = risks
        self.context = context
        self.for_someone_else = for_someone_else
        self._read_cached = lru_cache(maxsize=_CACHED_MESSAGES)(self._read)

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> MedicationRisks:
        data = read_medicine_risks(language)
        flags = read_red_flags(language)
        language_rules = flags.pattern_language(medicine_macros(read_medicines()))
        risks = tuple(
            _Risk(r, language_rules.compile_overlapping(r.phrasings), language_rules.compile(r.not_when) if r.not_when else None)
            for r in data.risks
        )
        asking_for = language_rules.compile(data.for_someone_else) if data.for_someone_else else None
        return cls(risks, ContextRules.compile(flags, language_rules), asking_for)

    def assess(self, message: Any, history: Any = None) -> tuple[RiskMatch, ...]:
        """Every risk said by the patient in the conversation (each once, its most recent mention)."""
        return self.assess_texts([content_text(message), *user_texts(history, MAX_USER_MESSAGES)])

    def assess_texts(self, texts: Sequence[str]) -> tuple[RiskMatch, ...]:
        """The same over the patient's messages, newest first.

        A risk said of someone else ("my husband is on warfarin") counts when the
        question is for them ("can he take ...", ``for_someone_else``), or when the
        risk is about someone else by nature (a child, a pet).
        """
        asks_for_someone_else = bool(texts) and self._asks_for_someone_else(texts[0])
        found: dict[str, RiskMatch] = {}
        for turn, text in enumerate(texts):
            for match in self._read_cached(text) if len(text) <= 4000 else self._read(text):
                if match.someone_else and not asks_for_someone_else:
                    continue
                found.setdefault(match.risk, replace(match, turn=turn))
        return tuple(found.values())

    def _asks_for_someone_else(self, text: str) -> bool:
        return self.for_someone_else is not None and self.for_someone_else.search(Text.prepare(text).plain) is not None

    def _read(self, text: str) -> tuple[RiskMatch, ...]:
        prepared = Text.prepare(text)
        context = self.context.read(prepared.plain)
        found = []
        for risk in self.risks:
            excluded = [m.span() for m in risk.not_when.finditer(prepared.plain)] if risk.not_when else []
            for match in risk.pattern.finditer(prepared.plain):
                start, end = match.span(1)
                if any(s < end and start < e for s, e in excluded):
                    continue
                verdict = context.judge(start, end, Tier.URGENT)
                why = verdict.set_aside
                theirs = verdict.other_person or (why is not None and why.reason == "other person")
                if why is None or theirs:
                    e = risk.entry
                    someone_else = theirs and not e.other_person  # a child's or a pet's situation is always the point
                    found.append(RiskMatch(e.id, e.label, e.text, e.applies_to, prepared.as_written(start, end), 0, e.after, someone_else))
                    break
        return tuple(found)
