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
from rules.patterns import SENTENCE_END, SENTENCE_ENDS, PatternLanguage

_SENTENCE_START = re.compile(rf"(?:{SENTENCE_END})\s*")  # a sentence end and the spaces after it
_SENTENCE_REACH = 400  # characters: what is said of another person in one sentence (bounds the work on a huge message)


def _bounded(pattern: str, spaced: bool = True) -> str:
    """A joiner as a whole word when it is a word ("and"), as itself when punctuation (",")."""
    start = r"\b" if spaced and pattern[:1].isalnum() else ""
    end = r"\b" if spaced and pattern[-1:].isalnum() else ""
    return f"{start}{pattern}{end}"


def clause_breaks(lists: dict[str, tuple[str, ...]], language: PatternLanguage) -> re.Pattern[str]:
    """Where a clause ends: a sentence end, a terminator, or a joiner followed by a clause opener
    ("no fever, my bum is numb", "no fever and now my legs are numb")."""
    b = r"\b" if language.spaced else ""
    joiners = "|".join(_bounded(language.expand(j), language.spaced) for j in lists["clause_joiners"])
    scope_words = language.alternation([*lists["terminators"], *lists["soft_terminators"]])
    openers = language.alternation(lists["clause_openers"])
    breaks = [SENTENCE_END, f"{b}(?:{scope_words}){b}", rf"(?:(?:{joiners})\s*)+{b}(?:{openers}){b}"]
    if lists.get("unjoined_openers"):
        # "no temperature my saddle area is numb": "my" starts a clause even without a comma or "and",
        # unless the word before binds it ("no feeling in my legs"). Fixed-width look-behinds, one per word.
        not_after = "".join(rf"(?<!\b{re.escape(w)}\s)" for w in lists.get("unjoined_not_after", ()))
        alone = language.alternation(lists["unjoined_openers"])
        breaks.append(rf"(?<=\s){not_after}\b(?:{alone})\b")
    return re.compile("|".join(breaks))


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
    their_symptoms: re.Pattern[str]
    long_past: re.Pattern[str] | None = None
    not_present: re.Pattern[str] | None = None  # present-looking words that do not say it is happening ("she's fine now")
    recent: re.Pattern[str] | None = None  # a time that makes someone else's event current ("last night", "this afternoon")
    first_person_plural: re.Pattern[str] | None = None  # the family speaking of one of them ("we don't know why"): still about them
    answered_no: re.Pattern[str] | None = None  # right after a mention, its answer is no ("fever? no."): negated
    own_onset: re.Pattern[str] | None = None  # the next sentence opens on when it started: a general mention is the patient's own
    answered_yes: re.Pattern[str] | None = None  # a later sentence opens by saying it has happened: a hypothetical mention counts

    @classmethod
    def compile(cls, data: RedFlagsData, language: PatternLanguage) -> ContextRules:
        lists = data.context
        return cls(
            negation=NegationRules(
                triggers=language.compile(lists["negation"]),
                window=data.negation_window,
                pseudo=language.compile(lists["pseudo_negation"]),
                breaks=clause_breaks(lists, language),
                window_in_chars=not data.spaced_words,
                bridges=language.compile(lists["negation_bridges"]) if lists.get("negation_bridges") else None,
                conjunctions=language.compile(lists["negation_conjunctions"]) if lists.get("negation_conjunctions") else None,
            ),
            hypothetical=language.compile(lists["hypothetical"]),
            general=language.compile(lists["general"]),
            other_person=language.compile(lists["other_person"]),
            first_person=language.compile(lists["first_person"]),
            past=language.compile(lists["past"]),
            present=language.compile(lists["present"]),
            their_symptoms=language.compile(lists["their_symptoms"]),
            long_past=language.compile(lists["long_past"]) if lists.get("long_past") else None,
            not_present=language.compile(lists["not_present"]) if lists.get("not_present") else None,
            recent=language.compile(lists["recent"]) if lists.get("recent") else None,
            first_person_plural=language.compile(lists["first_person_plural"]) if lists.get("first_person_plural") else None,
            answered_no=language.compile(lists["answered_no"], whole_words=False) if lists.get("answered_no") else None,
            own_onset=language.compile(lists["own_onset"]) if lists.get("own_onset") else None,
            answered_yes=language.compile(lists["answered_yes"], whole_words=False) if lists.get("answered_yes") else None,
        )

    def read(self, plain: str) -> Context:
        return Context(self, plain)


@dataclass(frozen=True)
class SetAside:
    """Why a mention does not count, and where the words that say so begin."""

    reason: str  # "negated" | "hypothetical" | "general" | "other person"
    start: int


@dataclass(frozen=True)
class Verdict:
    """Whether a mention counts, and whose it is."""

    set_aside: SetAside | None  # None: it counts
    other_person: bool = False  # it counts, and it is someone else's (happening now)


class Context:
    """The context of one message, computed on first use (most messages have no mention at all)."""

    def __init__(self, rules: ContextRules, plain: str) -> None:
        self.rules = rules
        self.plain = plain
        self.negation: NegationReading = rules.negation.read(plain)

    @cached_property
    def _hypothetical(self) -> Spans:
        return Spans.of(self.rules.hypothetical, self.plain)

    @property
    def asks_what_if(self) -> bool:
        """The message holds a hypothetical ("what if ...", "if I ever ..."), wherever its scope ends."""
        return bool(self._hypothetical.spans)

    @cached_property
    def _general(self) -> Spans:
        return Spans.of(self.rules.general, self.plain)

    @cached_property
    def _other_person(self) -> Spans:
        return Spans.of(self.rules.other_person, self.plain)

    @cached_property
    def _first_person(self) -> Spans:
        return Spans.of(self.rules.first_person, self.plain)

    def judge(self, start: int, end: int, tier: Tier, risk: bool = False) -> Verdict:
        """Whether the mention at ``plain[start:end]`` counts (and whose it is), or why not.

        Another person's symptoms that are happening now still count: "my
        husband can't feel his legs" gets the call-now reply, because someone
        needs help and the person typing is the one who can call; "my son has a
        fever and back pain" gets see-a-doctor-today. Other people's history
        ("my mum had cancer") and past events ("my friend couldn't wee last
        year") do not change this patient's advice, nor do their risk factors
        ("my dad is on chemo") unless they have symptoms now. A crisis statement is
        never set aside as hypothetical or general: when unsure, the crisis line shows.
        """
        mention = self.plain[start:end]
        # The negation is the symptom ("can't feel", "no feeling down there"): nothing before it can negate it.
        if not self.rules.negation.triggers.search(mention) and (trigger := self.negation.negated_by(start)) is not None:
            return Verdict(SetAside("negated", trigger))
        if self.rules.answered_no is not None and self.rules.answered_no.match(self.plain, end):  # a checklist: "fever? no."
            return Verdict(SetAside("negated", start))
        careful = tier is Tier.CRISIS
        if not careful and (marker := self._in_scope(self._hypothetical, start, personal=False)) is not None and not self._answered_yes(end):
            return Verdict(SetAside("hypothetical", marker))
        if self.rules.first_person.search(mention):
            return Verdict(None)  # "... can't feel my legs": the patient's own, whatever came before
        if not careful and (marker := self._in_scope(self._general, start, personal=True)) is not None and not self._onset_next(end):
            return Verdict(SetAside("general", marker))
        marker = self._in_scope(self._other_person, start, personal=True)
        if marker is None:
            return Verdict(None)
        if risk:  # a risk factor is history by nature: it counts when they have symptoms now, said in the present
            # not "her back was always bad"; the next sentence may tell it ("My wife had cancer in 2021. She's now got back pain")
            now = self._their_symptoms(marker, end, True) and (self._happening_now(marker, end) or self._present_later(end, True))
            return Verdict(None, other_person=True) if now else Verdict(SetAside("other person", marker))
        # "my wife got T-boned ..., now she's got back spasms": the event is past, its symptoms are not; the next sentence
        # may tell them ("My mum slipped down the stone steps. She's home, but she can't stand up straight").
        if self._happening_now(marker, end) or (
            (self._their_symptoms(marker, end) and self._present_later(end) or self._symptoms_next(end)) and not self._long_past(marker)
        ):
            return Verdict(None, other_person=True)
        # "this afternoon he wet the bed and didn't realise": told in the past tense, but hours ago is now.
        if tier is Tier.EMERGENCY and self._recent(marker) and not self._long_past(marker):
            return Verdict(None, other_person=True)
        return Verdict(SetAside("other person", marker))

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

    def _sentence_end(self, start: int) -> int:
        """Where the sentence going on from ``start`` ends (at most ``_SENTENCE_REACH`` characters on)."""
        window = min(len(self.plain), start + _SENTENCE_REACH)
        sentence_end = SENTENCE_ENDS.search(self.plain, start, window)
        return sentence_end.start() if sentence_end else window

    def _next_sentence(self, sentence_end: int) -> int | None:
        """Where the sentence after the one ending at ``sentence_end`` begins, if one follows."""
        following = _SENTENCE_START.match(self.plain, sentence_end)
        return None if following is None else following.end()

    def _answered_yes(self, mention_end: int, sentences: int = 2) -> bool:
        """Whether one of the next ``sentences`` sentences opens by saying the "if" has come true ("you said to tell you if
        I got numbness around my bottom or changes with my bladder. well. both, since lunch.", triage_dev48): the patient
        quotes the question to answer it, so the mention counts."""
        answered_yes = self.rules.answered_yes
        return answered_yes is not None and any(answered_yes.match(self.plain, start) for start in self._sentences_after(mention_end, sentences))

    def _sentences_after(self, end: int, count: int) -> list[int]:
        """Where each of the (up to) ``count`` sentences after the one going on at ``end`` begins."""
        starts: list[int] = []
        while len(starts) < count and (following := self._next_sentence(self._sentence_end(end))) is not None:
            starts.append(following)
            end = following
        return starts

    def _onset_next(self, mention_end: int) -> bool:
        """Whether the sentence after the mention's opens on when it started ("Is it the relaxant that makes your
        undercarriage go numb? Started yesterday ...", triage_dev11): the question asked in general is about the patient."""
        own_onset = self.rules.own_onset
        return own_onset is not None and any(own_onset.match(self.plain, start) for start in self._sentences_after(mention_end, 1))

    def _next_opening_on_them(self, end: int) -> int | None:
        """Where the sentence after ``end`` begins, when it goes on about the other person ("She's now got back pain")."""
        following = self._next_sentence(end)
        if following is None:
            return None
        opener = self.rules.other_person.match(self.plain, following)
        if opener is None or self.rules.first_person.match(self.plain, following):
            return None
        return following

    def _said_of_them(self, start: int, mention_end: int, next_sentence: bool) -> str:
        """What is said of another person from ``start``: the sentence, up to where the patient speaks of
        themselves after the mention (``_until_i``), and with ``next_sentence`` the next one when it opens on them."""
        end = self._sentence_end(start)
        words = self.plain[start : self._until_i(mention_end, end)]
        if next_sentence and (following := self._said_next(end)):
            words += " " + following
        return words

    def _said_next(self, sentence_end: int) -> str:
        """The sentence after ``sentence_end`` when it opens on the other person ("She's home, but ..."), up to where the
        patient speaks of themselves; "" when it does not open on them."""
        following = self._next_opening_on_them(sentence_end)
        return "" if following is None else self.plain[following : self._until_i(following, self._sentence_end(following))]

    def _symptoms_next(self, mention_end: int) -> bool:
        """Whether the sentence after the mention's opens on the other person and tells of their symptoms now ("My mum
        slipped down the stone steps. She's home, but she can't stand up straight"), not of how they are since ("He's 30
        now and walks fine")."""
        words = self._said_next(self._sentence_end(mention_end))
        return bool(words) and self.rules.their_symptoms.search(words) is not None and self._tells_of_now(words)

    def _their_symptoms(self, marker: int, mention_end: int, next_sentence: bool = False) -> bool:
        """Whether the sentence that speaks of another person (and with ``next_sentence``, the next one when it
        opens on them) says they have symptoms now (``their_symptoms``), before the patient speaks of themselves."""
        return self.rules.their_symptoms.search(self._said_of_them(marker, mention_end, next_sentence)) is not None

    def _until_i(self, start: int, end: int) -> int:
        """Where what is said of another person gives way to the patient's own words ("I", "my") after ``start``:
        "my grandad had cancer in his spine, so i always worry when my back hurts" tells nothing of the grandad now.
        "my" opening another person ("... and now my son can't walk") and the family's "we" ("we don't know why")
        do not end it."""
        theirs = set(self._other_person.starts)
        plural = self.rules.first_person_plural
        for position in self._first_person.starts[bisect_left(self._first_person.starts, start) :]:
            if position >= end:
                break
            if position not in theirs and not (plural is not None and plural.match(self.plain, position)):
                return position
        return end

    def _long_past(self, marker: int) -> bool:
        """Whether the sentence that speaks of another person dates it long ago ("years ago", "last year")."""
        if self.rules.long_past is None:
            return False
        return self.rules.long_past.search(self.plain, marker, self._sentence_end(marker)) is not None

    def _recent(self, marker: int) -> bool:
        """Whether the sentence that speaks of another person dates it within the last day ("last night", "this afternoon")."""
        if self.rules.recent is None:
            return False
        starts = [m.end() for m in SENTENCE_ENDS.finditer(self.plain, max(0, marker - _SENTENCE_REACH), marker)]
        start = starts[-1] if starts else max(0, marker - _SENTENCE_REACH)
        return self.rules.recent.search(self.plain, start, self._sentence_end(marker)) is not None

    def _present_later(self, end: int, next_sentence: bool = False) -> bool:
        """Whether the rest of the sentence after a mention (and with ``next_sentence``, the next one when it
        opens on them) speaks of the present ("..., now she's got back spasms")."""
        return self._tells_of_now(self._said_of_them(end, end, next_sentence))

    def _happening_now(self, marker: int, end: int) -> bool:
        """Whether what is said of another person, from ``marker`` to the end of that clause,
        tells of the present ("can't feel his legs") or does not say; not the past ("had", "last year")."""
        stops = [len(self.plain)]
        for spans in (self.negation.breaks, self._first_person):
            i = bisect_left(spans.starts, end)
            if i < len(spans.starts):
                stops.append(spans.starts[i])
        clause = self.plain[marker : min(stops)]
        return self._tells_of_now(clause) or self.rules.past.search(clause) is None

    def _tells_of_now(self, words: str) -> bool:
        """Whether ``words`` speak of the present, leaving out what only looks like it ("she's fine now", "had to have")."""
        if self.rules.not_present is not None:
            words = self.rules.not_present.sub(" ", words)
        return self.rules.present.search(words) is not None
