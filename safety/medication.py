"""Who is asking about a medicine: the risks that make the guide's dose the wrong thing to show.

Pregnancy, breastfeeding, a child, a pet, a stomach ulcer, a blood thinner,
kidney, liver or heart disease, asthma, age 65 or over, alcohol or other
sedatives with a muscle relaxant: said anywhere in the conversation, in
everyday words or brand names (``data/<lang>/medicine_risks.toml``). Each is
read in context with the same NegEx and context rules as the red flags ("I'm
not pregnant" does not count; "my mum is on warfarin" does not count for the
patient; a child's or a pet's situation is the point and always counts).

Where the phrasings miss, a learned layer over the message's query vector
(``safety.risk_model``) may name a risk; the rules still know negation, so a
learned risk the rules read and set aside in that message does not count.

Amounts already taken and sedation with symptoms are red flags, not risks:
triage sends those to Poison Help or the emergency number before anything here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from contracts import Tier, content_text, user_texts
from rules.files import RiskEntry, medicine_macros, read_medicine_risks, read_medicines, read_red_flags
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import Text
from rules.spelling import NameSpelling, medicine_spelling
from safety.context import ContextRules
from safety.red_flags import SignMatch
from safety.risk_model import LearnedRisks

log = logging.getLogger("safety")

MAX_USER_MESSAGES = 200
_CACHED_MESSAGES = 1024
# How far before a denial ("my kidneys are fine") a doubt ("not sure if") may end and still make it uncertain.
DOUBT_REACH_CHARS = 30


# A risk named in a what-if or in general terms ("is ibuprofen safe if you're pregnant?", "how much baclofen
# when you have kidney failure?") is still who the question is about: the dose is not shown to that reader,
# unless the same message denies it ("my stomach's fine ... or is food only for people with stomach problems?").
ASKED_IN_GENERAL = frozenset({"hypothetical", "general"})
# The risk a baby in the conversation may stand for (medicine_risks.toml may_be_nursing), when not denied.
BREASTFEEDING = "breastfeeding"


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
    names_someone: bool = False  # its words name another person ("my mum is 82", "my son", "my dog"): not the patient's own

    @classmethod
    def of(cls, entry: RiskEntry, phrase: str = "", turn: int = 0, someone_else: bool = False, names_someone: bool = False) -> RiskMatch:
        """A match of ``entry`` (its label, caution and what follows it come from the data file)."""
        return cls(entry.id, entry.label, entry.text, entry.applies_to, phrase, turn, entry.after, someone_else, names_someone)


@dataclass(frozen=True)
class _Reading:
    found: tuple[RiskMatch, ...]
    set_aside: frozenset[str]  # risk ids mentioned but negated or otherwise set aside ("not pregnant")
    what_if: bool = False  # a hypothetical question ("what if ibuprofen upsets my stomach?"): the learned layer stays out


@dataclass(frozen=True)
class _Risk:
    entry: RiskEntry
    pattern: re.Pattern[str]
    not_when: re.Pattern[str] | None
    in_passing: re.Pattern[str] | None


class MedicationRisks:
    """The risks of one language, compiled once; ``assess`` reads a whole conversation and never raises."""

    def __init__(
        self, risks: tuple[_Risk, ...], context: ContextRules, for_someone_else: re.Pattern[str] | None = None, learned: LearnedRisks | None = None,
        doubt: re.Pattern[str] | None = None, for_myself: re.Pattern[str] | None = None, names_another: re.Pattern[str] | None = None,
        patient_is_young: re.Pattern[str] | None = None, may_be_nursing: re.Pattern[str] | None = None,
        spelling: NameSpelling | None = None,
    ) -> None:
        self.risks = risks
        self.spelling = spelling  # "on xeralto" is on Xarelto: misspelt names read as the names before any phrasing
        self.patient_is_young = patient_is_young
        self.may_be_nursing = may_be_nursing
        self.for_myself = for_myself
        self.names_another = names_another
        self.doubt = doubt
        self.learned = learned
        self._entries = {r.entry.id: r.entry for r in risks}
        self.context = context
        self.for_someone_else = for_someone_else
        self._read_cached = lru_cache(maxsize=_CACHED_MESSAGES)(self._read)

    def forget_messages(self) -> None:
        """Drop the remembered readings of messages (the latency benchmark reads every question as new)."""
        self._read_cached.cache_clear()

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE, learned: LearnedRisks | None = None) -> MedicationRisks:
        data = read_medicine_risks(language)
        flags = read_red_flags(language)
        language_rules = flags.pattern_language(medicine_macros(read_medicines()))
        risks = tuple(
            _Risk(
                r, language_rules.compile_overlapping(r.phrasings), language_rules.compile(r.not_when) if r.not_when else None,
                language_rules.compile(r.in_passing) if r.in_passing else None,
            )
            for r in data.risks
        )
        asking_for = language_rules.compile(data.for_someone_else) if data.for_someone_else else None
        doubt = language_rules.compile(data.doubt) if data.doubt else None
        for_myself = language_rules.compile(data.for_myself) if data.for_myself else None
        names_another = language_rules.compile(data.names_another) if data.names_another else None
        young = language_rules.compile(data.patient_is_young) if data.patient_is_young else None
        nursing = language_rules.compile(data.may_be_nursing) if data.may_be_nursing else None
        return cls(
            risks, ContextRules.compile(flags, language_rules), asking_for, learned, doubt, for_myself, names_another, young, nursing,
            medicine_spelling(),
        )

    def assess(self, message: Any, history: Any = None) -> tuple[RiskMatch, ...]:
        """Every risk said by the patient in the conversation (each once, its most recent mention)."""
        return self.assess_texts([content_text(message), *user_texts(history, MAX_USER_MESSAGES)])

    def assess_texts(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> tuple[RiskMatch, ...]:
        """The same over the patient's messages, newest first (``vectors``: their query vectors, for the learned layer).

        A risk said of someone else ("my husband is on warfarin") counts when the
        question is for them ("can he take ...", ``for_someone_else``), or when the
        risk is about someone else by nature (a child, a pet). A learned risk counts
        unless the rules read it in that message as set aside or as someone else's, or the
        message is a what-if question (the layer reads the whole message, not a clause).
        When the newest message asks for the patient ("what's the dose for me?", "I'm 55, how much?",
        ``for_myself``) and for no one else, a risk whose words name another person ("my mum is 82",
        "my son (he's 9)") is theirs too, a child's or a pet's included. Asked so, with no one else's symptoms said, a
        child or a pet in the conversation is not who takes the medicine ("I coach a team of 10 year olds and hurt my
        back. How much ibuprofen should I take?"), unless the patient says they are the child (``patient_is_young``) or
        names a baby they may be feeding (``may_be_nursing``) and does not say they are not breastfeeding.
        """
        newest = Text.prepare(texts[0]).plain if texts else ""  # prepared once for both readings
        asks_for_someone_else = bool(texts) and self._asks_for(newest)
        for_me = bool(texts) and not asks_for_someone_else and self.for_myself is not None and self.for_myself.search(newest) is not None
        # each message prepared once (the newest already is), and only when the question is for the patient
        plains = [newest, *(Text.prepare(t).plain for t in texts[1:])] if for_me else []
        only_for_me = for_me and not any(self._about_someone_else(p) or self._young(p) for p in plains)
        nursing_denied = only_for_me and any(BREASTFEEDING in self._reading(t).set_aside for t in texts)
        found: dict[str, RiskMatch] = {}
        for turn, text in enumerate(texts):
            reading = self._reading(text)
            theirs = set()
            for match in reading.found:
                if (
                    (match.someone_else and not asks_for_someone_else)
                    or (for_me and match.names_someone)
                    or (only_for_me and self._taken_by_another(match, nursing_denied))
                ):
                    theirs.add(match.risk)
                    continue
                found.setdefault(match.risk, replace(match, turn=turn))
            if self.learned is not None and vectors is not None and text.strip() and not reading.what_if:
                for risk in self.learned.risks(text, vectors[turn]):
                    entry = self._entries.get(risk)
                    if entry is not None and risk not in reading.set_aside and risk not in theirs:
                        found.setdefault(risk, RiskMatch.of(entry, turn=turn))
        return tuple(found.values())

    def named_by_triage(self, signs: Sequence[SignMatch], texts: Sequence[str]) -> tuple[RiskMatch, ...]:
        """The risks whose red-flag signs (``red_flags`` in the data file) triage found in the patient's own words.

        Triage and the medicine rules read the same conversation with different phrase lists: "im pregnent"
        raises triage's pregnancy banner, and a dose shown under it would contradict the banner. Only the rules'
        signs count (the medicine risks have a learned layer of their own; triage's, tuned to escalate, read "it's been
        2 weeks" as pregnancy); a sign of someone else's, or a risk the medicine rules set aside in that message
        ("not pregnant"), does not count either.
        """
        found: dict[str, RiskMatch] = {}
        for sign in signs:
            if sign.source != "rules" or sign.other_person or not 0 <= sign.turn < len(texts):
                continue
            for risk in self.risks:
                entry = risk.entry
                if sign.sign in entry.red_flags and entry.id not in self._reading(texts[sign.turn]).set_aside:
                    found.setdefault(entry.id, RiskMatch.of(entry, sign.phrase, sign.turn))
        return tuple(found.values())

    def set_aside(self, text: str) -> frozenset[str]:
        """The risks the rules read in ``text`` and set aside ("I'm not pregnant")."""
        return self._reading(text).set_aside

    def vectors_for(self, texts: Sequence[str], embed: Any) -> np.ndarray | None:
        """The query vectors of ``texts`` for the learned layer, or None (no layer, or the embedder failed: rules alone)."""
        if self.learned is None:
            return None
        try:
            vectors = np.asarray(embed(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        except Exception:  # the rules still decide
            log.exception("query vectors unavailable; medicine risks read by the rules alone")
            return None
        return vectors if vectors.shape[1] == self.learned.dimension else None

    def _reading(self, text: str) -> _Reading:
        return self._read_cached(text) if len(text) <= 4000 else self._read(text)

    def _taken_by_another(self, match: RiskMatch, nursing_denied: bool) -> bool:
        """A child's or a pet's risk, which would be theirs to take; a baby's only when the patient says they are not
        breastfeeding (``may_be_nursing``: the mother may be feeding it)."""
        if not self._entries[match.risk].other_person:
            return False
        may_be_nursing = self.may_be_nursing is not None and self.may_be_nursing.search(Text.prepare(match.phrase).plain) is not None
        return nursing_denied or not may_be_nursing

    def _young(self, plain: str) -> bool:
        return self.patient_is_young is not None and self.patient_is_young.search(plain) is not None

    def _asks_for(self, plain: str) -> bool:
        return self.for_someone_else is not None and self.for_someone_else.search(plain) is not None

    def _names_someone(self, plain: str, start: int, end: int) -> bool:
        """Whether a risk's words (``plain[start:end]``), with the word before and the word after them, name another
        person as the patient's ("my mum is 82", "my 85 year old dad", "my son"); never when they are the patient's own
        ("I'm 70") or the patient names themselves ("great-grandad here": no "my")."""
        said_of_me = self.context.first_person.search(plain, start, end) is not None
        if said_of_me and not self._names_a_person(plain, start, end):
            return False
        before = plain.rfind(" ", 0, max(start - 1, 0)) + 1
        after = plain.find(" ", min(end + 1, len(plain)))
        end_of_window = len(plain) if after < 0 else after
        return self._names_a_person(plain, before, end_of_window) and self.context.first_person.search(plain, before, end_of_window) is not None

    def _names_a_person(self, plain: str, start: int, end: int) -> bool:
        """Another person named in ``plain[start:end]`` (red_flags.toml's other_person, or this file's names_another)."""
        if self.context.other_person.search(plain, start, end) is not None:
            return True
        return self.names_another is not None and self.names_another.search(plain, start, end) is not None

    def _about_someone_else(self, plain: str) -> bool:
        """Whether a prepared message asks for someone else or says someone has symptoms ("his back hurts")."""
        return self._asks_for(plain) or self.context.their_symptoms.search(plain) is not None

    def _read(self, text: str) -> _Reading:
        prepared = Text.prepare(self.spelling.correct(text) if self.spelling else text)
        context = self.context.read(prepared.plain)
        doubts = [m.span() for m in self.doubt.finditer(prepared.plain)] if self.doubt else []
        found = []
        set_aside = set()
        about_them: bool | None = None  # read once, and only for a risk with in_passing phrasings
        for risk in self.risks:
            entry = risk.entry
            exclusions = [risk.not_when] if risk.not_when is not None else []
            if risk.in_passing is not None:
                # Said in passing ("my kids are at school") is not who the dose is for, unless the message asks for
                # someone else or says someone has symptoms ("... can he take advil? his back hurts"): then it may be.
                if about_them is None:
                    about_them = self._about_someone_else(prepared.plain)
                if not about_them:
                    exclusions.append(risk.in_passing)
            excluded = [
                m.span() for pattern in exclusions for m in pattern.finditer(prepared.plain) if not _doubted(m.span(), doubts)
            ]  # fmt: skip
            in_general: RiskMatch | None = None  # asked of anyone ("if you're pregnant"): counts unless denied here
            denied = bool(excluded)  # "my stomach's fine": a general mention later is not about this patient
            for match in risk.pattern.finditer(prepared.plain):
                start, end = match.span(1)
                if any(s < end and start < e for s, e in excluded):
                    denied = True
                    continue
                verdict = context.judge(start, end, Tier.URGENT)
                why = verdict.set_aside
                theirs = verdict.other_person or (why is not None and why.reason == "other person")
                if why is None or theirs:
                    someone_else = theirs and not entry.other_person  # a child's or a pet's situation is always the point
                    names_someone = not entry.patients_own and self._names_someone(prepared.plain, start, end)
                    found.append(RiskMatch.of(entry, prepared.as_written(start, end), someone_else=someone_else, names_someone=names_someone))
                    break
                if why.reason in ASKED_IN_GENERAL:
                    in_general = in_general or RiskMatch.of(entry, prepared.as_written(start, end))
                else:
                    denied = True
            else:
                if in_general is not None and not denied:
                    found.append(in_general)
                elif in_general is not None or denied:
                    set_aside.add(entry.id)
        return _Reading(tuple(found), frozenset(set_aside - {m.risk for m in found}), context.asks_what_if)


def _doubted(span: tuple[int, int], doubts: list[tuple[int, int]]) -> bool:
    """Whether a denial at ``span`` is said in doubt: a doubt ends shortly before it or stands inside it.

    "I'm not sure if my kidneys are ok" does not say they are: when unsure, the dose stays withheld.
    """
    start, end = span
    return any(start - DOUBT_REACH_CHARS <= d_end <= end for _, d_end in doubts)
