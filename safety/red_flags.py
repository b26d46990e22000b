"""The rule signal: the red-flag phrasings of ``data/<lang>/red_flags.toml``, found and read in context.

High-precision patterns that know negation: a phrasing counts unless its
context (``safety.context``) clearly says otherwise, so a mention errs toward
caution. A clinic editor adds a phrasing to the data file, not here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from contracts import Tier
from rules.files import RedFlagsData, medicine_macros, read_medicines, read_red_flags
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import SENTENCE_ENDS, Text
from safety.context import ContextRules


@dataclass(frozen=True)
class SignMatch:
    """One red-flag sign found in the patient's words; the reply shows ``label``."""

    sign: str  # sign id, e.g. "saddle-numbness"
    tier: Tier
    label: str  # patient-facing description from the data file
    phrase: str  # the text that matched, as the patient wrote it
    turn: int  # 0 = the current message, 1 = the user message before it, ...
    text: str = "urgent"  # the prompt a reply shows for it
    other_person: bool = False  # someone else's symptoms, happening now
    source: str = "rules"  # which signal found it: "rules" or "learned"


@dataclass(frozen=True)
class Reading:
    """What one message says: the signs that count (turn 0) and the mentions set aside, with why."""

    found: tuple[SignMatch, ...]
    set_aside: tuple[str, ...]
    set_aside_signs: frozenset[str] = frozenset()  # signs with a mention set aside (negated, hypothetical, someone's past)
    absent_signs: frozenset[str] = frozenset()  # signs the patient says are absent, with no phrasing matched ("peeing normally")
    unnamed_signs: frozenset[str] = frozenset()  # signs of whose words (``learned_needs``) the message says none

    @property
    def learned_may_not_name(self) -> frozenset[str]:
        """The signs a learned vote may not name here: said absent, or nothing of them said at all."""
        return self.absent_signs | self.unnamed_signs


@dataclass(frozen=True)
class _Sign:
    """One sign, compiled: ``pattern`` finds a match at every word start (group 1)."""

    id: str
    tier: Tier
    label: str
    text: str
    risk: bool
    pattern: re.Pattern[str]
    not_when: re.Pattern[str] | None
    absent: re.Pattern[str] | None = None  # the patient says the sign is absent ("peeing normally")
    across: re.Pattern[str] | None = None  # parts that may stand in different sentences ("took 2 soma. now he's slurring")
    learned_needs: re.Pattern[str] | None = None  # the learned layer names this sign only in a message saying one of these
    quiets_learned: bool = True  # a mention of it set aside also sets aside the learned layer's votes of its tier

    def exclusions(self, plain: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.not_when.finditer(plain)] if self.not_when else []


class RedFlagRules:
    """The signs and context rules of one language, compiled once; ``read`` never raises."""

    def __init__(self, signs: tuple[_Sign, ...], context: ContextRules, language: str = "en", contrast: re.Pattern[str] | None = None) -> None:
        self.signs = signs
        self.context = context
        self.language = language
        self.contrast = contrast  # "but", "however" ...: after "I thought I was peeing fine", what follows may undo it
        self.labels = {s.id: s.label for s in signs}
        self._across = tuple((s, s.across) for s in signs if s.across is not None)  # also read over two sentences or messages

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> RedFlagRules:
        """Compile the language's file (a mistake raises ``RulesError`` naming file, key and line)."""
        return cls.compile(read_red_flags(language))

    @classmethod
    def compile(cls, data: RedFlagsData) -> RedFlagRules:
        language = data.pattern_language(medicine_macros(read_medicines()))
        signs = tuple(
            _Sign(
                s.id, s.tier, s.label, s.text, s.risk, language.compile_overlapping(s.phrasings),
                language.compile(s.not_when) if s.not_when else None,
                language.compile(s.absent_when) if s.absent_when else None,
                language.compile_overlapping(s.across_sentences) if s.across_sentences else None,
                language.compile(s.learned_needs) if s.learned_needs else None,
                s.quiets_learned,
            )
            for s in data.signs
        )
        return cls(signs, ContextRules.compile(data, language), data.language, language.compile(data.context["terminators"]))

    def read_across(self, texts: Sequence[str]) -> tuple[SignMatch, ...]:
        """The signs whose ``across_sentences`` phrasings match over ``texts`` (the patient's messages, oldest
        first) read as one sentence: "took a flexeril and had 3 beers. now I can't stay awake", or a partner's
        "he's been taking my soma" then "he's really out of it". Context still counts ("no alcohol" is negated)."""
        if not self._across:
            return ()
        prepared = Text.prepare(", ".join(SENTENCE_ENDS.sub(",", t) for t in texts if t.strip()))
        context = self.context.read(prepared.plain)
        found = []
        for sign, across in self._across:
            for match in across.finditer(prepared.plain):
                start, end = match.span(1)
                if any(s < end and start < e for s, e in sign.exclusions(prepared.plain)):
                    continue
                verdict = context.judge(start, end, sign.tier, sign.risk)
                if verdict.set_aside is None:
                    found.append(SignMatch(sign.id, sign.tier, sign.label, prepared.as_written(start, end), 0, sign.text, verdict.other_person))
                    break
        return tuple(found)

    def read(self, text: str) -> Reading:
        """The signs that count in one message, and the mentions set aside."""
        found: list[SignMatch] = []
        set_aside: list[str] = []
        set_aside_signs: set[str] = set()
        absent_signs: set[str] = set()
        unnamed_signs: set[str] = set()
        prepared = Text.prepare(text)
        context = self.context.read(prepared.plain)
        for sign in self.signs:
            exclusions: list[tuple[int, int]] | None = None
            for match in sign.pattern.finditer(prepared.plain):
                start, end = match.span(1)
                if exclusions is None:
                    exclusions = sign.exclusions(prepared.plain)
                if overlap := next(((s, e) for s, e in exclusions if s < end and start < e), None):
                    set_aside.append(f"excluded: {prepared.as_written(*overlap)}")  # "hay fever"
                    set_aside_signs.add(sign.id)
                    continue
                verdict = context.judge(start, end, sign.tier, sign.risk)
                if verdict.set_aside is None:
                    phrase = prepared.as_written(start, end)
                    found.append(SignMatch(sign.id, sign.tier, sign.label, phrase, 0, sign.text, verdict.other_person))
                    break  # one counted mention is enough for this sign in this message
                why = verdict.set_aside
                set_aside.append(f"{why.reason}: {prepared.as_written(why.start, end)}")
                set_aside_signs.add(sign.id)
            # "I'm peeing normally and can feel everything": no phrasing matched, so nothing was negated,
            # yet the patient said the sign is absent. The learned layer may not name this sign here (a phrasing
            # that counts still counts, and its vote for another sign of the same tier stands).
            if (
                sign.absent is not None
                and sign.id not in {f.sign for f in found}
                and (said := sign.absent.search(prepared.plain))
                and not (self.contrast and self.contrast.search(prepared.plain, said.end()))  # "... fine but actually ..."
            ):
                set_aside.append(f"said absent: {prepared.as_written(*said.span())}")
                absent_signs.add(sign.id)
            # "therapist went really hard on it and I was wincing": nothing of a vehicle, a fall or a blow, so a
            # learned vote for a serious accident is a guess from the mood of the words, not something the patient said
            if sign.learned_needs is not None and sign.id not in {f.sign for f in found} and not sign.learned_needs.search(prepared.plain):
                unnamed_signs.add(sign.id)
        return Reading(
            tuple(found), tuple(set_aside), frozenset(set_aside_signs), frozenset(absent_signs), frozenset(unnamed_signs)
        )
