"""The one pattern language every data file is written in, and the one way a message is prepared for it.

A message is read as :class:`Text`: Unicode-normalised, control characters
blanked, lower-cased, apostrophes dropped, so "Can’t", "can't" and "cant" read
the same. Patterns are written for that text:

- case is ignored and apostrophes are dropped from the pattern too (write "cant");
- a space matches any run of spaces or punctuation inside a sentence
  ("pins and needles" also matches "pins-and-needles"), " ?" an optional one;
  a space never runs across ". ! ? ;" or a new line;
- patterns are regular expressions: ``(?:a|b)``, ``s?``, ``\\w*``;
- ``{name}`` stands for any entry of a vocabulary table (``[vocab]`` in the file);
- ``{~N}`` stands for up to N other words, none of them a "gap stop" (a negation
  or a terminator), so "numb in my legs but my bum is fine" never pairs "numb" with "bum";
- a word list (``literal=True``) is plain phrases, not regular expressions.

Whole-word lists are wrapped in word boundaries; files that write full regular
expressions with their own anchors (``^``, ``$``) compile with ``whole_words=False``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

# Spaces and punctuation inside a sentence: what separates words within a clause (a dot between
# digits too: "4.8cm" is one sentence, and a gap may step over it as over any word).
SEP = r"(?:[^\w.!?;\n]|(?<=\d)\.(?=\d))+"
# What a space in a pattern matches: a separator, or nothing right after one, so that
# "lost (?:all )? feeling" matches "lost all feeling" as well as "lost feeling".
SPACE = rf"(?:{SEP}|(?<=[^\w.!?;\n]))"
# Sentence ends: "." only before a space or the end, so "38.5" stays one sentence.
SENTENCE_END = r"[.!?]+(?=\s|$)|[;\n。！？；]"
SENTENCE_ENDS = re.compile(SENTENCE_END)  # compiled once, for every reader that splits or joins sentences
APOSTROPHES = "'’‘ʼ`´′"
_STRIP_APOSTROPHES = str.maketrans("", "", APOSTROPHES)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_MACRO = re.compile(r"\{(~\d+|[a-z_][a-z0-9_]*)\}")
# An escape (kept: \W is not \w), a named group's "(?P<Name>" or "(?P=Name)" (kept), or a letter to lower-case.
_LITERAL_CAPITAL = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)|[^\W\d_a-z]")
_MAX_MACRO_DEPTH = 8
_NONSENSE = " zq xv "  # a pattern that matches this would match anything
_PREPARED_CACHE = 4096


class PatternError(ValueError):
    """A pattern that cannot be compiled; loaders add the file, key and line."""


# -- text preparation -------------------------------------------------------------------


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
        if not any(a in written for a in APOSTROPHES):
            return cls(written, lowered)
        keep = [i for i, ch in enumerate(written) if ch not in APOSTROPHES]
        return cls(written, "".join(lowered[i] for i in keep), (*keep, len(written)))

    def as_written(self, start: int, end: int) -> str:
        if self.index is None:
            return self.written[start:end]
        return self.written[self.index[start] : self.index[end - 1] + 1] if end > start else ""


@functools.lru_cache(maxsize=_PREPARED_CACHE)
def plain(text: str) -> str:
    """``Text.prepare(text).plain``, remembered: the guide's sentences are read again for every question."""
    return Text.prepare(text).plain


def literal(phrase: str) -> str:
    """A plain phrase as a pattern: regular-expression characters escaped, spaces still flexible."""
    return re.escape(phrase.translate(_STRIP_APOSTROPHES).lower()).replace("\\ ", " ")


# -- the language ---------------------------------------------------------------------------


def _lower_literals(pattern: str) -> str:
    """Lower-case a pattern's letters but not its escapes, to match lower-cased text.

    Matching lower-cased text without ``re.IGNORECASE`` is about three times faster.
    """
    return _LITERAL_CAPITAL.sub(lambda m: m.group() if m.group()[0] in "\\(" else m.group().lower(), pattern)


def _syntax(pattern: str) -> Iterator[tuple[str, bool]]:
    """Each character of a regex with whether it is syntax: not escaped and outside any character class."""
    in_class = escaped = False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
            yield ch, False
        elif ch == "\\":
            escaped = True
            yield ch, False
        elif in_class:
            in_class = ch != "]" or pattern[i - 1] == "["
            yield ch, False
        elif ch == "[":
            in_class = True
            yield ch, False
        else:
            yield ch, True


def _widen_spaces(pattern: str) -> str:
    """A space outside a character class matches any separator run (" ?" an optional one)."""
    out: list[str] = []
    optional = False  # the "?" after a space was taken with it
    for ch, syntax in _syntax(pattern):
        if optional:
            optional = False
            if ch == "?" and syntax:
                out[-1] = f"(?:{SEP})?"
                continue
        if ch == " " and syntax:
            out.append(SPACE)
            optional = True
            continue
        out.append(ch)
    return "".join(out)


def _has_top_level_bar(pattern: str) -> bool:
    """Whether ``pattern`` is itself an alternation ("a|b") outside any group or character class."""
    depth = 0
    for ch, syntax in _syntax(pattern):
        if not syntax:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def _starts_with_letter(pattern: str) -> bool:
    """Whether the pattern's first item is one plain letter or digit, matched exactly once."""
    return bool(pattern) and pattern[0].isalnum() and pattern[1:2] not in ("?", "*", "+", "{") and not _has_top_level_bar(pattern)


def dispatch_by_first_letter(alternatives: Sequence[str]) -> str:
    """The alternatives joined with ``|``, those that start with a letter grouped by it: "numb|numbness|tingling"
    becomes "n(?:umb|umbness)|t(?:ingling)".

    Same matches, in the same order of preference: alternatives that start with different letters cannot
    both match at one place, and an alternative that starts with a group keeps its place between the runs.
    Python's engine skips a branch whose first letter differs with one comparison, so a word is tried
    against a few dozen letters instead of hundreds of phrasings (the red-flag rules read a message about a
    fifth faster).
    """
    out: list[str] = []
    run: dict[str, list[str]] = {}

    def close_run() -> None:
        out.extend(first + (f"(?:{'|'.join(rests)})" if len(rests) > 1 else rests[0]) for first, rests in run.items())
        run.clear()

    for alternative in alternatives:
        if _starts_with_letter(alternative):
            run.setdefault(alternative[0], []).append(alternative[1:])
        else:
            close_run()
            out.append(alternative)
    close_run()
    return "|".join(out)


class PatternLanguage:
    """Expands ``{name}`` and ``{~N}`` in patterns and compiles them.

    ``gap_stops`` are the words a ``{~N}`` gap may not step over (negations and
    terminators).
    """

    def __init__(self, vocab: Mapping[str, Sequence[str]] | None = None, gap_stops: Sequence[str] = (), spaced: bool = True) -> None:
        self.vocab = vocab or {}
        self.gap_stops = tuple(gap_stops)
        self.spaced = spaced  # False for languages written without spaces (Chinese): no word boundaries, gaps in characters
        self._expanded: dict[str, str] = {}  # {name} -> its alternation, expanded once

    def expand(self, pattern: str) -> str:
        """The regular expression a pattern stands for: apostrophes dropped, a space widened to
        any run of spaces or punctuation (" ?" to an optional one: "light ?headed")."""
        return _widen_spaces(_lower_literals(self._expand(pattern, 0)))

    def _expand(self, pattern: str, depth: int) -> str:
        if depth > _MAX_MACRO_DEPTH:
            raise PatternError(f"{{...}} nested over {_MAX_MACRO_DEPTH} deep (does a [vocab] entry use itself?)")
        return _MACRO.sub(lambda m: self._macro(m.group(1), depth), pattern.translate(_STRIP_APOSTROPHES))

    def _macro(self, name: str, depth: int) -> str:
        if name not in self._expanded:
            if name.startswith("~"):
                stops = "|".join(self._expand(stop, depth + 1) for stop in self.gap_stops)
                if self.spaced:
                    stop = rf"(?!(?:{stops})\b)" if stops else ""
                    self._expanded[name] = rf"(?:{stop}\w+{SEP}){{0,{int(name[1:])}}}?"
                else:
                    stop = rf"(?!(?:{stops}))" if stops else ""
                    self._expanded[name] = rf"(?:{stop}[^.!?;\n。！？；]){{0,{int(name[1:])}}}?"
            elif name in self.vocab:
                self._expanded[name] = "(?:" + dispatch_by_first_letter([self._expand(alt, depth + 1) for alt in self.vocab[name]]) + ")"
            else:
                raise PatternError(f"unknown {{{name}}}: add it to [vocab]")
        return self._expanded[name]

    def alternation(self, patterns: Sequence[str], literal_phrases: bool = False) -> str:
        """The expanded patterns as one regular-expression alternation (not yet checked)."""
        return dispatch_by_first_letter([self.expand(literal(p) if literal_phrases else p) for p in patterns])

    def compile(self, patterns: Sequence[str], whole_words: bool = True, literal_phrases: bool = False) -> re.Pattern[str]:
        """One pattern matching any of ``patterns`` (the match is also group 1)."""
        return self._compile(patterns, r"\b({})\b" if whole_words and self.spaced else "({})", literal_phrases)

    def compile_overlapping(self, patterns: Sequence[str]) -> re.Pattern[str]:
        """Whole-word matches found at every word start (the match is group 1).

        Overlapping matches matter: in "no tingling in my legs but my bum is numb"
        the negated "tingling ..." must not hide "bum is numb".
        """
        return self._compile(patterns, r"(?=(\b(?:{})\b))" if self.spaced else r"(?=((?:{})))", False)

    def _compile(self, patterns: Sequence[str], frame: str, literal_phrases: bool) -> re.Pattern[str]:
        """Compile the patterns as one; if that fails, or the result matches words that say
        nothing (an empty or over-broad pattern would fire on every message), name the culprit."""
        try:
            compiled: re.Pattern[str] | None = re.compile(frame.format(self.alternation(patterns, literal_phrases)))
        except re.error:
            compiled = None
        if compiled is None or compiled.search(_NONSENSE) is not None:
            self._blame(patterns, frame, literal_phrases)
        assert compiled is not None
        return compiled

    def _blame(self, patterns: Sequence[str], frame: str, literal_phrases: bool) -> NoReturn:
        """Raise a ``PatternError`` naming the first pattern that is invalid or too broad."""
        for pattern in patterns:
            try:
                compiled = re.compile(frame.format(self.expand(literal(pattern) if literal_phrases else pattern)))
            except re.error as error:
                raise PatternError(f"'{pattern}' is not a valid pattern: {error}") from None
            if compiled.search(_NONSENSE) is not None:
                raise PatternError(f"'{pattern}' matches empty or meaningless text, so it would fire on every message")
        # Each is valid alone, so they clash when joined (a repeated group name, an inline flag).
        raise PatternError("the patterns are each valid but cannot be combined into one")

    def check(self, pattern: str, whole_words: bool = True) -> None:
        """Raise ``PatternError`` if ``pattern`` alone does not compile or matches anything at all."""
        self._compile([pattern], r"\b({})\b" if whole_words and self.spaced else "({})", False)


def compile_words(words: Sequence[str]) -> re.Pattern[str]:
    """A list of plain words or phrases, matched as whole words in prepared text."""
    return PatternLanguage().compile(words, literal_phrases=True)


def compile_patterns(patterns: Sequence[str], whole_words: bool = False) -> re.Pattern[str]:
    """A list of regular expressions (without macros) in the project's pattern language."""
    return PatternLanguage().compile(patterns, whole_words=whole_words)
