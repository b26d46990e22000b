"""Lay vocabulary: expand patients' words ("advil", "frozen peas", "crack my back") to the guide's.

The mapping lives in ``data/vocabulary.toml`` so the clinic can add a brand name
or a misspelling without touching code. Phrases are matched longest first and
never overlap, so "the one you rub on" (a gel) is not also read as "rub" (massage).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VOCABULARY = Path(__file__).resolve().parent.parent / "data" / "vocabulary.toml"


@dataclass(frozen=True)
class Expansion:
    """What a query's lay words mean: extra terms for search, treatments it names."""

    terms: tuple[str, ...]
    treatments: tuple[str, ...]  # in order of first mention
    matched: tuple[str, ...]  # the patient's words that triggered it

    @property
    def text(self) -> str:
        return " ".join(self.terms)


@dataclass(frozen=True)
class _Phrase:
    said: str  # lower-cased; a cheap substring test before the regular expression
    pattern: re.Pattern[str]
    means: str
    treatments: tuple[str, ...]


class LayVocabulary:
    """Compiled lay-term table."""

    def __init__(self, phrases: list[_Phrase], many_treatments: int = 0, many_means: str = "") -> None:
        self._phrases = phrases
        self._many = many_treatments
        self._many_means = many_means

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> LayVocabulary:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            phrases = []
            for entry in raw.get("term", []):
                treatment = entry.get("treatment", ())
                treatments = (treatment,) if isinstance(treatment, str) else tuple(treatment)
                for said in entry["says"]:
                    said = said.lower().replace("’", "'")
                    pattern = re.compile(rf"(?<![a-z0-9]){re.escape(said)}s?(?![a-z0-9])")
                    phrases.append(_Phrase(said, pattern, str(entry["means"]), treatments))
            many = raw.get("many_treatments", {})
        except (OSError, KeyError, TypeError, AttributeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: invalid lay vocabulary ({exc!r})") from None
        return cls(phrases, int(many.get("at_least", 0)), str(many.get("means", "")))

    def expand(self, text: str) -> Expansion:
        """The guide's terms and the treatments that ``text`` refers to in everyday words."""
        lowered = text.lower().replace("’", "'")
        found = []
        for phrase in self._phrases:
            if phrase.said not in lowered:  # most of the table, most of the time
                continue
            for m in phrase.pattern.finditer(lowered):
                found.append((m.start(), m.end(), phrase))
        # Longest phrases first; a shorter one inside a longer match does not count.
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int, _Phrase]] = []
        for start, end, phrase in found:
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, phrase))
        taken.sort(key=lambda f: f[0])
        terms = tuple(dict.fromkeys(p.means for _, _, p in taken))
        treatments = tuple(dict.fromkeys(t for _, _, p in taken for t in p.treatments))
        named = [t for t in treatments if t != self._many_means]
        if self._many and len(named) >= self._many:  # naming many treatments asks how to combine them
            treatments = (self._many_means,)
        return Expansion(terms, treatments, tuple(lowered[s:e] for s, e, _ in taken))
