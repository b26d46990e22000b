"""Negation with a scope, in the spirit of NegEx (Chapman et al., 2001): the one implementation.

A trigger ("no", "without", "never had" …) negates what follows for a few words,
until a break (the end of a sentence, "but", a new clause); a post-trigger
("-free") negates what it follows. Triage uses it to set aside "no fever"; the
comparison uses it to read "no meds" in a question and a table cell. Each use
brings its own word lists (``[context]`` in ``red_flags.toml``, ``[comparison]``
in ``answering.toml``): what counts as a negation differs, the mechanism does not.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|,")
LIST_ITEM_WORDS = 2  # an item of a negated list may be two words ("no sleeping tablets or opioids")
_CHARS_PER_WORD = 40  # a trigger further away than window * this many characters is out of reach anyway


class Spans:
    """Match spans of one pattern in one text, searchable by position."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]

    @classmethod
    def of(cls, pattern: re.Pattern[str] | None, text: str) -> Spans:
        return cls([m.span() for m in pattern.finditer(text)] if pattern is not None else [])

    def last_starting_before(self, position: int) -> tuple[int, int] | None:
        i = bisect_left(self.starts, position) - 1
        return self.spans[i] if i >= 0 else None

    def covers(self, start: int, end: int) -> bool:
        span = self.last_starting_before(start + 1)
        return span is not None and span[1] >= end

    def any_starting_in(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, start)
        return i < len(self.starts) and self.starts[i] < end

    def first_starting_at_or_after(self, position: int) -> int | None:
        i = bisect_left(self.starts, position)
        return self.starts[i] if i < len(self.starts) else None


@dataclass(frozen=True)
class NegationRules:
    """Compiled negation cues: ``triggers`` reach ``window`` words forward until a ``breaks`` match."""

    triggers: re.Pattern[str]
    window: int  # how far a trigger reaches: words, or characters with ``window_in_chars``
    pseudo: re.Pattern[str] | None = None  # look like triggers but negate nothing ("no change in")
    breaks: re.Pattern[str] | None = None  # where a trigger's scope ends
    post: re.Pattern[str] | None = None  # matched right after a mention: "drug-free"
    window_in_chars: bool = False  # for languages written without spaces (Chinese)
    # With these, a word between a trigger and a mention must be a bridge ("any", "signs of") or a listed
    # item ("fever or ..."): "no fever numb around my bum" is two clauses, and an unclear scope negates nothing.
    bridges: re.Pattern[str] | None = None
    conjunctions: re.Pattern[str] | None = None

    def read(self, plain: str) -> NegationReading:
        return NegationReading(self, plain)


class NegationReading:
    """One prepared text's triggers and breaks, found on first use (most texts need neither)."""

    def __init__(self, rules: NegationRules, plain: str) -> None:
        self.rules = rules
        self.plain = plain

    @cached_property
    def breaks(self) -> Spans:
        return Spans.of(self.rules.breaks, self.plain)

    @cached_property
    def triggers(self) -> Spans:
        """Triggers, less those inside a pseudo-negation ("no change in", "not only")."""
        pseudo = Spans.of(self.rules.pseudo, self.plain)
        return Spans([(s, e) for s, e in Spans.of(self.rules.triggers, self.plain).spans if not pseudo.covers(s, e)])

    def negated_by(self, start: int, end: int | None = None) -> int | None:
        """Start of the trigger whose scope reaches the mention at ``start`` (or of a post-trigger after ``end``)."""
        if end is not None and self.rules.post is not None and self.rules.post.match(self.plain, end):
            return end
        trigger = self.triggers.last_starting_before(start)
        if trigger is None:
            return None
        t_start, t_end = trigger[0], min(trigger[1], start)  # "haven't had" may run into "had a fall"
        if self.rules.window_in_chars:
            if start - t_end > self.rules.window:
                return None
        elif start - t_end > self.rules.window * _CHARS_PER_WORD:
            return None  # too far for any window: don't count the words of a 100,000-character gap
        elif len(_WORD.findall(self.plain, t_end, start)) > self.rules.window:
            return None
        if self.breaks.any_starting_in(t_end, start):
            return None
        return t_start if self._bridged(self.plain[t_end:start]) else None

    def _bridged(self, between: str) -> bool:
        """Every word between trigger and mention is a bridge, a conjunction, or an item followed by one."""
        bridges, conjunctions = self.rules.bridges, self.rules.conjunctions
        if bridges is None or conjunctions is None:
            return True
        tokens = _TOKEN.findall(between)
        run = 0  # words of the list item being read ("sleeping tablets" in "no sleeping tablets or opioids")
        for token in tokens:
            if token == "," or conjunctions.fullmatch(token):
                run = 0
            elif run or not bridges.fullmatch(token):
                run += 1
                if run > LIST_ITEM_WORDS:
                    return False
        return run == 0  # an item must end in "," or a conjunction: "no injury cant pee" is unclear, so the red flag wins
