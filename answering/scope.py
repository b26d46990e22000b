"""Is a message a greeting, an attempt to re-instruct the bot, off-topic, or a question for the guide?

Decided by evidence, not by a list of known questions: vocabulary from
``data/scope.toml`` (topic words, other conditions, injection phrasing, dose
requests) and retrieval scores, with thresholds tuned on the development set
(``tests/data/dev_questions.jsonl``) and set in ``config.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SCOPE = Path(__file__).resolve().parent.parent / "data" / "scope.toml"


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


def _any_pattern(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@dataclass(frozen=True)
class ScopeRules:
    greeting_phrases: frozenset[str]
    greeting_fillers: frozenset[str]
    injection: re.Pattern[str]
    back: re.Pattern[str]
    care: re.Pattern[str]
    general: re.Pattern[str]
    body_parts: re.Pattern[str]
    conditions: re.Pattern[str]
    subjects: re.Pattern[str]
    dose: re.Pattern[str]
    exceed: re.Pattern[str]
    unlisted_medicines: re.Pattern[str]
    medication_treatments: frozenset[str]
    medication_words: re.Pattern[str]

    @classmethod
    def load(cls, path: Path = DEFAULT_SCOPE) -> ScopeRules:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(
                greeting_phrases=frozenset(p.lower() for p in raw["greeting"]["phrases"]),
                greeting_fillers=frozenset(f.lower() for f in raw["greeting"]["fillers"]),
                injection=_any_pattern(raw["injection"]["patterns"]),
                back=_words_pattern(raw["topic"]["back_words"]),
                care=_words_pattern(raw["topic"]["care_words"]),
                general=_words_pattern(raw["topic"]["general_words"]),
                body_parts=_words_pattern(raw["off_topic"]["body_parts"]),
                conditions=_words_pattern(raw["off_topic"]["conditions"]),
                subjects=_words_pattern(raw["off_topic"]["subjects"]),
                dose=_any_pattern(raw["dose"]["patterns"]),
                exceed=_any_pattern(raw["dose"]["exceed_patterns"]),
                unlisted_medicines=_words_pattern(raw["dose"]["unlisted_medicines"]),
                medication_treatments=frozenset(raw["medication"]["treatments"]),
                medication_words=_words_pattern(raw["medication"]["words"]),
            )
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError, re.error) as exc:
            raise ValueError(f"{path}: invalid scope rules ({exc!r})") from None

    def is_greeting(self, text: str) -> bool:
        """Only greeting or thanks words (and fillers): "hi there!", "thanks so much"."""
        words = re.findall(r"[a-z']+|[!?]", text.lower().replace("’", "'"))
        if not words or len(words) > 8:
            return False
        rest = " ".join(w for w in words if w not in self.greeting_fillers and w not in "!?")
        if not rest:
            return False
        # Greedily remove known phrases, longest first.
        for phrase in sorted(self.greeting_phrases, key=len, reverse=True):
            rest = re.sub(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", " ", rest)
        return not rest.strip()

    def is_injection(self, text: str) -> bool:
        return bool(self.injection.search(text))

    def mentions_topic(self, text: str) -> bool:
        """A back, care or general word: evidence the question is about the guide's subject."""
        lowered = text.lower()
        return bool(self.back.search(lowered) or self.care.search(lowered) or self.general.search(lowered))

    def is_off_topic(self, text: str, names_treatment: bool) -> bool:
        """Positive evidence of another subject (see data/scope.toml [off_topic])."""
        lowered = text.lower()
        if self.body_parts.search(lowered) and not (self.back.search(lowered) or names_treatment):
            return True
        other_subject = self.subjects.search(lowered) and not names_treatment
        if not (self.conditions.search(lowered) or other_subject):
            return False
        about_back = self.back.search(lowered) and self.general.search(lowered)
        return not (self.care.search(lowered) or about_back)

    def asks_for_dose(self, text: str) -> bool:
        return bool(self.dose.search(text))

    def asks_to_exceed_dose(self, text: str) -> bool:
        return bool(self.exceed.search(text))

    def names_unlisted_medicine(self, text: str) -> bool:
        return bool(self.unlisted_medicines.search(text.lower()))

    def is_about_medication(self, text: str, treatments: set[str]) -> bool:
        return bool(treatments & self.medication_treatments) or bool(self.medication_words.search(text.lower()))


_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?(?:\s*-\s*\d+)?\s*(?:mg|milligrams?|mcg|g)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def amounts_in(text: str) -> list[str]:
    """Doses written in ``text`` ("400-600mg", "1200 mg"), as bare numbers."""
    return [n for m in _AMOUNT.finditer(text) for n in _NUMBER.findall(m.group(0))]
