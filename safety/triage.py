"""Red-flag triage: does the reply have to lead with "call the emergency number now"
(``emergency``), "see a doctor today" (``urgent``), or neither (``none``)?

Decided from the patient's own words before anything else happens, and without
retrieval, so a broken index can never hide an emergency. The signs and their
everyday phrasings are data (``data/triage/red_flags.toml``), following the
NHS back-pain and cauda equina guidance in ``DESIGN.md``; a clinic editor adds
a phrasing there, not here.

How a message is read:

- Every phrasing of every sign is looked for in the current message and in the
  patient's earlier messages (assistant turns are ignored: the bot's own
  emergency text must never trigger anything). The tier is the most severe over
  all of them, so once a patient has said their bum is numb, "what about heat?"
  still gets the emergency reply.
- Each mention is then read in context (``assistant.negation``): negated ("no
  fever"), hypothetical ("what if I get numbness?"), general ("people with
  cancer") and other people's ("my mum had cancer") mentions are set aside and
  listed in ``TriageResult.set_aside``.
- Third parties: an emergency that someone else has *now* ("my husband can't
  feel his legs") still gets the emergency reply. Someone needs help, and the
  person typing is the one who can call; a false alarm costs a phone call, a
  missed one costs a person. Other people's history and risk factors (the
  urgent tier) and past events ("my friend couldn't wee last year") do not.
- Errs toward caution: a mention counts unless its context clearly says otherwise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.negation import CONTEXT_KEYS, ContextRules, PatternError, PatternLanguage, Text

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "triage" / "red_flags.toml"
TIERS = ("none", "urgent", "emergency")
_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
_SIGN_KEYS = {"id", "tier", "label", "phrasings", "not_when"}
_SETTINGS = ("negation_window", "user_messages")
_CACHED_MESSAGES = 1024
_CACHED_CHARS = 4000  # longer messages are read every time rather than kept in memory


class TriageDataError(ValueError):
    """The red-flag data file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class SignMatch:
    """One red-flag sign found in the patient's words; the reply shows ``label``."""

    sign: str  # sign id, e.g. "saddle-numbness"
    tier: str  # "emergency" | "urgent"
    label: str  # patient-facing description from the TOML
    phrase: str  # the text that matched, as the patient wrote it
    turn: int  # 0 = the current message, 1 = the user message before it, ...


@dataclass(frozen=True)
class TriageResult:
    """The verdict over the conversation; ``set_aside`` explains the mentions that did not count."""

    tier: str  # "none" | "urgent" | "emergency"
    signs: tuple[SignMatch, ...]  # the signs that fired (all tiers), most severe first
    set_aside: tuple[str, ...]  # mentions found but not counted, with why ("negated: no fever")


@dataclass(frozen=True)
class _Reading:
    """What one message says: the signs that count (turn 0) and the mentions set aside."""

    found: tuple[SignMatch, ...]
    set_aside: tuple[str, ...]


@dataclass(frozen=True)
class _Sign:
    """One sign, compiled: ``pattern`` finds a match at every word start (group 1)."""

    id: str
    tier: str
    label: str
    pattern: re.Pattern[str]
    not_when: re.Pattern[str] | None

    def exclusions(self, plain: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.not_when.finditer(plain)] if self.not_when else []


class Triage:
    """The red-flag signs and context rules, compiled once; ``assess`` is then cheap and never raises.

    One instance is shared by all requests: it holds no per-request state (the
    cache of read messages is thread-safe).
    """

    def __init__(self, signs: tuple[_Sign, ...], context: ContextRules, user_messages: int) -> None:
        self.signs = signs
        self.context = context
        self.user_messages = user_messages
        # A conversation's earlier messages come back with every new one: read each once.
        self._read_cached = lru_cache(maxsize=_CACHED_MESSAGES)(self._read)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Triage:
        """Load and compile ``path`` (default ``data/triage/red_flags.toml`` in the project).

        Raises ``TriageDataError`` (a ``ValueError``) naming the file and the
        problem, so a bad edit stops the app at start-up instead of silently
        dropping a red flag.
        """
        path = Path(path) if path is not None else DEFAULT_PATH
        data = _read(path)
        try:
            return cls._compile(data)
        except (PatternError, KeyError, TypeError, ValueError) as error:
            raise TriageDataError(f"{path}: {error}") from None

    @classmethod
    def _compile(cls, data: dict[str, Any]) -> Triage:
        settings = _table(data, "settings")
        for key in _SETTINGS:
            if not isinstance(settings.get(key), int) or settings[key] < 1:
                raise ValueError(f"[settings] {key} must be a whole number of at least 1")
        vocab = _table(data, "vocab")
        for name, words in vocab.items():
            _strings(words, f"[vocab] {name}")
        context = _table(data, "context")
        for key in CONTEXT_KEYS:
            _strings(context.get(key), f"[context] {key}")
        language = PatternLanguage(vocab, (*context["negation"], *context["terminators"]))
        rules = ContextRules.compile(context, language, settings["negation_window"])
        raw_signs = data.get("sign")
        if not isinstance(raw_signs, list) or not raw_signs:
            raise ValueError("no [[sign]] entries")
        signs = tuple(_sign(raw, n, language) for n, raw in enumerate(raw_signs, 1))
        ids = [s.id for s in signs]
        if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"sign id(s) used twice: {', '.join(duplicates)}")
        return cls(signs, rules, settings["user_messages"])

    def assess(self, message: str, history: list[dict] | None = None) -> TriageResult:
        """Triage ``message`` in its conversation (Gradio messages format; malformed turns are skipped)."""
        texts = [_text_of(message), *_earlier_user_texts(history, self.user_messages - 1)]
        found: list[SignMatch] = []
        set_aside: list[str] = []
        for turn, text in enumerate(texts):
            reading = self._read_cached(text) if len(text) <= _CACHED_CHARS else self._read(text)
            found += [replace(match, turn=turn) for match in reading.found]
            suffix = f" (earlier message {turn})" if turn else ""
            set_aside += [why + suffix for why in reading.set_aside]
        signs = _most_severe_first(found)
        return TriageResult(signs[0].tier if signs else "none", signs, tuple(dict.fromkeys(set_aside)))

    def _read(self, text: str) -> _Reading:
        """The signs that count in one message, and the mentions set aside."""
        found: list[SignMatch] = []
        set_aside: list[str] = []
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
                    continue
                why = context.set_aside(start, end, sign.tier)
                if why is None:
                    found.append(SignMatch(sign.id, sign.tier, sign.label, prepared.as_written(start, end), 0))
                    break  # one counted mention is enough for this sign in this message
                set_aside.append(f"{why.reason}: {prepared.as_written(why.start, end)}")
        return _Reading(tuple(found), tuple(set_aside))


# -- loading helpers --------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TriageDataError(f"{path}: file not found") from None
    except OSError as error:
        raise TriageDataError(f"{path}: cannot be read ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TriageDataError(f"{path}: not valid TOML ({error})") from None


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise ValueError(f"missing [{name}] table")
    return table


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where} must be a non-empty list of non-empty strings")
    return value


def _sign(raw: Any, n: int, language: PatternLanguage) -> _Sign:
    """Validate and compile the ``n``-th ``[[sign]]``."""
    if not isinstance(raw, dict):
        raise ValueError(f"[[sign]] number {n} is not a table")
    sign_id = raw.get("id")
    if not isinstance(sign_id, str) or not sign_id.strip():
        raise ValueError(f"[[sign]] number {n} has no id")
    where = f"sign '{sign_id}'"
    if unknown := sorted(set(raw) - _SIGN_KEYS):
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_SIGN_KEYS))})")
    if raw.get("tier") not in ("emergency", "urgent"):
        raise ValueError(f'{where}: tier must be "emergency" or "urgent", not {raw.get("tier")!r}')
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"{where}: missing label (the words shown to the patient)")
    phrasings = _strings(raw.get("phrasings"), f"{where}: phrasings")
    not_when = _strings(raw["not_when"], f"{where}: not_when") if "not_when" in raw else None
    try:
        pattern = language.compile_overlapping(phrasings)
        exclusions = language.compile_any(not_when) if not_when else None
    except PatternError as error:
        raise ValueError(f"{where}: {error}") from None
    return _Sign(sign_id, raw["tier"], label.strip(), pattern, exclusions)


# -- conversation helpers -----------------------------------------------------------------


def _text_of(content: Any) -> str:
    """Text of a message's content: a string, or Gradio's list of ``{"type": "text", "text": ...}`` blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        text = content.get("text")
        return text if content.get("type", "text") == "text" and isinstance(text, str) else ""
    if isinstance(content, (list, tuple)):
        return " ".join(_text_of(block) for block in content if isinstance(block, (str, dict)))
    return ""


def _earlier_user_texts(history: Any, limit: int) -> list[str]:
    """The patient's last ``limit`` non-empty messages in ``history``, most recent first."""
    if not isinstance(history, (list, tuple)):
        return []
    texts = []
    for turn in reversed(history):
        if len(texts) >= limit:
            break
        if isinstance(turn, dict) and turn.get("role") == "user" and (text := _text_of(turn.get("content"))).strip():
            texts.append(text)
    return texts


def _most_severe_first(found: Iterable[SignMatch]) -> tuple[SignMatch, ...]:
    """One match per sign (its most recent mention), emergencies first, then by recency."""
    first: dict[str, SignMatch] = {}
    for match in sorted(found, key=lambda m: (-_RANK[m.tier], m.turn)):
        first.setdefault(match.sign, match)
    return tuple(first.values())
