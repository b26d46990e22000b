"""Red-flag triage: does the reply have to lead with "call the emergency number now"
(``emergency``), the crisis line (``crisis``), "see a doctor today" (``urgent``), or none?

Decided from the patient's own words before anything else happens, and without
retrieval, so a broken index can never hide an emergency. The tiers follow the
NHS back-pain and cauda equina guidance (``docs/contracts.md`` lists them).

How a conversation is read:

- Every user message of the conversation is read, the newest and every earlier
  one (assistant turns are ignored: the bot's own emergency text must never
  trigger anything). The tier is the most severe over all of them, so once a
  patient has said their bum is numb, "what about heat?" still gets the
  emergency reply, however long ago they said it.
- Each message is read by the signals (``red_flags``: the rules of
  ``data/<lang>/red_flags.toml``, which set aside negated, hypothetical, general
  and other people's past mentions, listed in ``TriageResult.set_aside``).
- Third parties: an emergency that someone else has *now* ("my husband can't
  feel his legs") still gets the emergency reply. Other people's history and
  risk factors and past events do not.
- Errs toward caution: a mention counts unless its context clearly says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from contracts import Tier, content_text, user_texts
from rules.locale import DEFAULT_LANGUAGE
from safety.red_flags import Reading, RedFlagRules, SignMatch

MAX_USER_MESSAGES = 200  # the API takes at most [server] max_history_messages; this bounds a direct caller
_CACHED_MESSAGES = 1024
_CACHED_CHARS = 4000  # longer messages are read every time rather than kept in memory


@dataclass(frozen=True)
class TriageResult:
    """The verdict over the conversation; ``set_aside`` explains the mentions that did not count."""

    tier: Tier
    signs: tuple[SignMatch, ...]  # the signs that fired (all tiers), most severe first
    set_aside: tuple[str, ...]  # mentions found but not counted, with why ("negated: no fever")

    def labels(self, tier: Tier | None = None) -> list[str]:
        """The patient-facing labels of the signs (of one tier), each once."""
        return list(dict.fromkeys(s.label for s in self.signs if tier is None or s.tier is tier))


class Triage:
    """The signals, loaded once; ``assess`` is then cheap and never raises.

    One instance is shared by all requests: it holds no per-request state (the
    cache of read messages is thread-safe).
    """

    def __init__(self, rules: RedFlagRules) -> None:
        self.rules = rules
        # A conversation's earlier messages come back with every new one: read each once.
        self._read_cached = lru_cache(maxsize=_CACHED_MESSAGES)(rules.read)

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> Triage:
        """Load and compile the red-flag data (raises ``RulesError`` naming file, key and line)."""
        return cls(RedFlagRules.load(language))

    def assess(self, message: Any, history: Any = None) -> TriageResult:
        """Triage ``message`` in its conversation (Gradio messages format; malformed turns are skipped)."""
        texts = [content_text(message), *user_texts(history, MAX_USER_MESSAGES)]
        found: list[SignMatch] = []
        set_aside: list[str] = []
        for turn, text in enumerate(texts):
            reading = self._read(text)
            found += [replace(match, turn=turn) for match in reading.found]
            suffix = f" (earlier message {turn})" if turn else ""
            set_aside += [why + suffix for why in reading.set_aside]
        signs = _most_severe_first(found)
        return TriageResult(signs[0].tier if signs else Tier.NONE, signs, tuple(dict.fromkeys(set_aside)))

    def _read(self, text: str) -> Reading:
        return self._read_cached(text) if len(text) <= _CACHED_CHARS else self.rules.read(text)


def _most_severe_first(found: Iterable[SignMatch]) -> tuple[SignMatch, ...]:
    """One match per sign (its most recent mention), the most severe tier first, then by recency."""
    first: dict[str, SignMatch] = {}
    for match in sorted(found, key=lambda m: (-m.tier.rank, m.turn)):
        first.setdefault(match.sign, match)
    return tuple(first.values())
