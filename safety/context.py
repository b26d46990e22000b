"""Whether a red-flag mention counts: negated, hypothetical, general, or someone else's.

The triage finds phrasings; this module reads the words around each one, in
the spirit of NegEx (Chapman et al., 2001): a trigger ("no", "without",
"never had" ...) negates what follows for a few words, until a terminator
("but", "except" ...) or the end of the clause. The same scope idea sets aside
questions about what might happen ("what if I get numbness?"), general
statements ("people with cancer ...") and other people's history ("my mum had
cancer"). Every word list lives in ``data/triage/red_flags.toml``; this module
holds only the mechanics, so a clinic editor changes behaviour without code.

Also here: the pattern language the data is written in (``{vocab}`` words,
``{~N}`` gaps, a space for any run of spaces or punctuation), and the text
preparation that lets "can't", "can’t" and "cant" read the same.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NoReturn

# Spaces and punctuation inside a sentence: what separates words within a clause.
SEP = r"[^\w.!?;\n]+"
# What a space in a phrasing matches: a separator, or nothing right after one, so that
# "lost (?:all )? feeling" matches "lost all feeling" as well as "lost feeling".
SPACE = rf"(?:{SEP}|(?<=[^\w.!?;\n]))"
# Sentence ends: "." only before a space or the end, so "38.5" stays one sentence.
_SENTENCE_END = r"[.!?]+(?=\s|$)|[;\n]"
_APOSTROPHES = "'’‘ʼ`´′"
_STRIP_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_MACRO = re.compile(r"\{(~\d+|[a-z_]+)\}")
_LITERAL_CAPITAL = re.compile(r"\\.|[^\W\d_a-z]")  # an escape (kept: \W is not \w) or a letter to lower-case
_WORD = re.compile(r"\w+")
_MAX_MACRO_DEPTH = 8
_NONSENSE = " zq xv "  # a phrasing that matches this would match anything
_CHARS_PER_WORD = 40  # a negation further away than window * this many characters is out of reach anyway


class PatternError(ValueError):
    """A phrasing that cannot be compiled; the loader adds the file and the sign."""


# -- the pattern language ------------------------------------------------------------


class PatternLanguage:
    """Expands ``{name}`` and ``{~N}`` in phrasings and compiles them.

    ``gap_stops`` are the words a ``{~N}`` gap may not step over (negations and
    terminators), so "numbness in my legs but my bum is fine" never pairs
    "numbness" with "bum".
    """

    def __init__(self, vocab: Mapping[str, list[str]], gap_stops: tuple[str, ...]) -> None:
        self.vocab = vocab
        self.gap_stops = gap_stops
        self._expanded: dict[str, str] = {}  # {name} -> its alternation, expanded once

    def expand(self, pattern: str) -> str:
        """The regular expression a phrasing stands for: apostrophes dropped, a space widened to
        any run of spaces or punctuation (" ?" to an optional one: "light ?headed")."""
        expanded = _lower_literals(self._expand(pattern, 0))
        return expanded.replace(" ?", f"(?:{SEP})?").replace(" ", SPACE)

    def _expand(self, pattern: str, depth: int) -> str:
        if depth > _MAX_MACRO_DEPTH:
            raise PatternError(f"{{...}} nested over {_MAX_MACRO_DEPTH} deep (does a [vocab] entry use itself?)")
        return _MACRO.sub(lambda m: self._macro(m.group(1), depth), pattern.translate(_STRIP_APOSTROPHES))

    def _macro(self, name: str, depth: int) -> str:
        if name not in self._expanded:
            if name.startswith("~"):
                stops = "|".join(self._expand(stop, depth + 1) for stop in self.gap_stops)
                stop = rf"(?!(?:{stops})\b)" if stops else ""
                self._expanded[name] = rf"(?:{stop}\w+{SEP}){{0,{int(name[1:])}}}?"
            elif name in self.vocab:
                self._expanded[name] = "(?:" + "|".join(self._expand(alt, depth + 1) for alt in self.vocab[name]) + ")"
            else:
                raise PatternError(f"unknown {{{name}}}: add it to [vocab]")
        return self._expanded[name]

    def compile_any(self, patterns: list[str]) -> re.Pattern[str]:
        """One pattern matching any of ``patterns`` as whole words (the match is also group 1)."""
        return self._compile(patterns, r"\b({})\b")

    def compile_overlapping(self, patterns: list[str]) -> re.Pattern[str]:
        """Like ``compile_any``, but finds a match at every word start (the match is group 1).

        Overlapping matches matter: in "no tingling in my legs but my bum is numb"
        the negated "tingling ..." must not hide "bum is numb".
        """
        return self._compile(patterns, r"(?=(\b(?:{})\b))")

    def alternation(self, patterns: list[str]) -> str:
        """The expanded patterns as one regular-expression alternation (not yet checked)."""
        return "|".join(self.expand(pattern) for pattern in patterns)

    def _compile(self, patterns: list[str], frame: str) -> re.Pattern[str]:
        """Compile the patterns as one; if that fails, or the result matches words that say
        nothing (an empty or over-broad phrasing would fire on every message), name the culprit."""
        try:
            compiled = re.compile(frame.format(self.alternation(patterns)))
        except re.error:
            compiled = None
        if compiled is None or compiled.search(_NONSENSE) is not None:
            self._blame(patterns, frame)
        return compiled

    def _blame(self, patterns: list[str], frame: str) -> NoReturn:
        """Raise a ``PatternError`` naming the first phrasing that is invalid or too broad."""
        for pattern in patterns:
            try:
                compiled = re.compile(frame.format(self.expand(pattern)))
            except re.error as error:
                raise PatternError(f"'{pattern}' is not a valid pattern: {error}") from None
            if compiled.search(_NONSENSE) is not None:
                raise PatternError(f"'{pattern}' matches empty or meaningless text, so it would fire on every message")
        # Each is valid alone, so they clash when joined (a repeated group name, an inline flag).
        raise PatternError("the patterns are each valid but cannot be combined into one")


# -- text preparation ------------------------------------------------------------------


def _lower_literals(pattern: str) -> str:
    """Lower-case a pattern's letters but not its escapes, to match lower-cased text.

    Matching lower-cased text without ``re.IGNORECASE`` is about three times faster.
    """
    return _LITERAL_CAPITAL.sub(lambda m: m.group() if m.group().startswith("\\") else m.group().lower(), pattern)


def _lower_same_length(text: str) -> str:
    """``text.lower()``, except for the rare letters whose lower case is longer ("İ"), kept as they are."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


@dataclass(frozen=True)
class Text:
    """A message as written and as the patterns read it (lower case, apostrophes dropped).

    ``index`` maps a position in ``plain`` back to ``written``, so a match is
    reported as the patient wrote it ("can’t pee", not "cant pee").
    """

    written: str
    plain: str
    index: tuple[int, ...] | None = None

    @classmethod
    def prepare(cls, text: str) -> Text:
        written = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
        lowered = _lower_same_length(written)
        if not any(a in written for a in _APOSTROPHES):
            return cls(written, lowered)
        keep = [i for i, ch in enumerate(written) if ch not in _APOSTROPHES]
        return cls(written, "".join(lowered[i] for i in keep), (*keep, len(written)))

    def as_written(self, start: int, end: int) -> str:
        if self.index is None:
            return self.written[start:end]
        return self.written[self.index[start] : self.index[end - 1] + 1] if end > start else ""


# -- the context rules -----------------------------------------------------------------

CONTEXT_KEYS = (
    "negation", "pseudo_negation", "terminators", "soft_terminators", "clause_joiners", "clause_openers",
    "hypothetical", "general", "other_person", "first_person", "past", "present",
)  # fmt: skip


def _bounded(pattern: str) -> str:
    """A joiner as a whole word when it is a word ("and"), as itself when punctuation (",")."""
    start = r"\b" if pattern[:1].isalnum() else ""
    end = r"\b" if pattern[-1:].isalnum() else ""
    return f"{start}{pattern}{end}"


@dataclass(frozen=True)
class ContextRules:
    """The compiled ``[context]`` word lists (see red_flags.toml for what each is)."""

    negation: re.Pattern[str]
    pseudo_negation: re.Pattern[str]
    breaks: re.Pattern[str]
    hypothetical: re.Pattern[str]
    general: re.Pattern[str]
    other_person: re.Pattern[str]
    first_person: re.Pattern[str]
    past: re.Pattern[str]
    present: re.Pattern[str]
    window: int

    @classmethod
    def compile(cls, lists: Mapping[str, list[str]], language: PatternLanguage, window: int) -> ContextRules:
        """Compile the lists; raises ``PatternError`` naming the list for a bad entry."""

        def any_of(key: str) -> re.Pattern[str]:
            try:
                return language.compile_any(lists[key])
            except PatternError as error:
                raise PatternError(f"[context] {key}: {error}") from None

        joiners = "|".join(_bounded(language.expand(j)) for j in lists["clause_joiners"])
        scope_words = language.alternation([*lists["terminators"], *lists["soft_terminators"]])
        openers = language.alternation(lists["clause_openers"])
        breaks = rf"{_SENTENCE_END}|\b(?:{scope_words})\b|(?:(?:{joiners})\s*)+\b(?:{openers})\b"
        return cls(
            negation=any_of("negation"),
            pseudo_negation=any_of("pseudo_negation"),
            breaks=re.compile(breaks),
            hypothetical=any_of("hypothetical"),
            general=any_of("general"),
            other_person=any_of("other_person"),
            first_person=any_of("first_person"),
            past=any_of("past"),
            present=any_of("present"),
            window=window,
        )

    def read(self, plain: str) -> Context:
        return Context(self, plain)


@dataclass(frozen=True)
class SetAside:
    """Why a mention does not count, and where the words that say so begin."""

    reason: str  # "negated" | "hypothetical" | "general" | "other person"
    start: int


class _Spans:
    """Match spans of one pattern in one text, searchable by position."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]

    @classmethod
    def of(cls, pattern: re.Pattern[str], text: str) -> _Spans:
        return cls([m.span() for m in pattern.finditer(text)])

    def last_starting_before(self, position: int) -> tuple[int, int] | None:
        i = bisect_left(self.starts, position) - 1
        return self.spans[i] if i >= 0 else None

    def covers(self, start: int, end: int) -> bool:
        span = self.last_starting_before(start + 1)
        return span is not None and span[1] >= end

    def any_starting_in(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, start)
        return i < len(self.starts) and self.starts[i] < end


class Context:
    """The context of one message, computed on first use (most messages have no mention at all)."""

    def __init__(self, rules: ContextRules, plain: str) -> None:
        self.rules = rules
        self.plain = plain

    @cached_property
    def _breaks(self) -> _Spans:
        return _Spans.of(self.rules.breaks, self.plain)

    @cached_property
    def _negations(self) -> _Spans:
        """Negation triggers, less those inside a pseudo-negation ("no change in", "not only")."""
        pseudo = _Spans.of(self.rules.pseudo_negation, self.plain)
        return _Spans([(s, e) for s, e in _Spans.of(self.rules.negation, self.plain).spans if not pseudo.covers(s, e)])

    @cached_property
    def _hypothetical(self) -> _Spans:
        return _Spans.of(self.rules.hypothetical, self.plain)

    @cached_property
    def _general(self) -> _Spans:
        return _Spans.of(self.rules.general, self.plain)

    @cached_property
    def _other_person(self) -> _Spans:
        return _Spans.of(self.rules.other_person, self.plain)

    @cached_property
    def _first_person(self) -> _Spans:
        return _Spans.of(self.rules.first_person, self.plain)

    def set_aside(self, start: int, end: int, tier: str) -> SetAside | None:
        """Why the mention at ``plain[start:end]`` does not count, or None when it does.

        Another person's emergency that is happening now still counts: "my
        husband can't feel his legs" gets the call-now reply, because someone
        needs help and the person typing is the one who can call. Their history
        and risk factors (urgent tier: "my mum had cancer") and past events ("my
        friend couldn't wee last year") do not change this patient's advice.
        """
        mention = self.plain[start:end]
        # The negation is the symptom ("can't feel", "no feeling down there"): nothing before it can negate it.
        if not self.rules.negation.search(mention) and (trigger := self._negated_by(start)) is not None:
            return SetAside("negated", trigger)
        if (marker := self._in_scope(self._hypothetical, start, personal=False)) is not None:
            return SetAside("hypothetical", marker)
        if self.rules.first_person.search(mention):
            return None  # "... can't feel my legs": the patient's own, whatever came before
        if (marker := self._in_scope(self._general, start, personal=True)) is not None:
            return SetAside("general", marker)
        marker = self._in_scope(self._other_person, start, personal=True)
        if marker is not None and not (tier == "emergency" and self._happening_now(marker, end)):
            return SetAside("other person", marker)
        return None

    def _negated_by(self, start: int) -> int | None:
        """Start of the negation whose scope reaches ``start``, if any."""
        trigger = self._negations.last_starting_before(start)
        if trigger is None:
            return None
        t_start, t_end = trigger[0], min(trigger[1], start)  # "haven't had" may run into "had a fall"
        if start - t_end > self.rules.window * _CHARS_PER_WORD:
            return None  # too far for any window: don't count the words of a 100,000-character gap
        if len(_WORD.findall(self.plain, t_end, start)) > self.rules.window:
            return None
        return None if self._breaks.any_starting_in(t_end, start) else t_start

    def _in_scope(self, markers: _Spans, start: int, personal: bool) -> int | None:
        """Start of the marker whose scope reaches ``start``: no clause break (and, for a
        person, no "I" or "my") between the marker and the mention."""
        marker = markers.last_starting_before(start)
        if marker is None:
            return None
        m_start, m_end = marker
        if m_end >= start:
            return m_start  # the marker spans the mention: "is losing bladder control a red flag"
        if self._breaks.any_starting_in(m_end, start):
            return None
        if personal and self._first_person.any_starting_in(m_end, start):
            return None
        return m_start

    def _happening_now(self, marker: int, end: int) -> bool:
        """Whether what is said of another person, from ``marker`` to the end of that clause,
        tells of the present ("can't feel his legs") or does not say; not the past ("had", "last year")."""
        stops = [len(self.plain)]
        for spans in (self._breaks, self._first_person):
            i = bisect_left(spans.starts, end)
            if i < len(spans.starts):
                stops.append(spans.starts[i])
        clause = self.plain[marker : min(stops)]
        return self.rules.present.search(clause) is not None or self.rules.past.search(clause) is None
