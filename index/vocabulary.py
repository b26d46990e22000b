"""Lay vocabulary: expand patients' words ("advil", "frozen peas", "crack my back") to the guide's.

The mapping lives in ``data/vocabulary.toml`` so the clinic can add a brand name
or a misspelling without touching code.
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
class _Term:
    pattern: re.Pattern[str]
    means: str
    treatment: str


class LayVocabulary:
    """Compiled lay-term table."""

    def __init__(self, terms: list[_Term]) -> None:
        self._terms = terms

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> LayVocabulary:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            terms = []
            for entry in raw.get("term", []):
                says = [s.lower().replace("’", "'") for s in entry["says"]]
                alternatives = "|".join(re.escape(s) for s in sorted(says, key=len, reverse=True))
                pattern = re.compile(rf"(?<![a-z0-9])(?:{alternatives})s?(?![a-z0-9])")
                terms.append(_Term(pattern, str(entry["means"]), str(entry.get("treatment", ""))))
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: invalid lay vocabulary ({exc!r})") from None
        return cls(terms)

    def expand(self, text: str) -> Expansion:
        """The guide's terms and the treatments that ``text`` refers to in everyday words."""
        lowered = text.lower().replace("’", "'")
        terms: list[str] = []
        found: list[tuple[int, str]] = []
        matched: list[str] = []
        for term in self._terms:
            m = term.pattern.search(lowered)
            if not m:
                continue
            matched.append(m.group(0))
            if term.means not in terms:
                terms.append(term.means)
            if term.treatment:
                found.append((m.start(), term.treatment))
        treatments = tuple(dict.fromkeys(t for _, t in sorted(found)))
        return Expansion(tuple(terms), treatments, tuple(matched))
