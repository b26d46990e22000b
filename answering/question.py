"""Reading a question: what kind of answer it wants, and what it asks of a comparison.

All the wording lives in ``data/answering.toml``; this module only compiles it
and answers small questions about a message ("does it ask for an amount?",
"does it rank treatments by cost?", "does it ask for *no* medication?").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ANSWERING = Path(__file__).resolve().parent.parent / "data" / "answering.toml"
POLARITY_MEMO_LIMIT = 1 << 16


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]
    expects: re.Pattern[str]


@dataclass(frozen=True)
class Ranking:
    asks: re.Pattern[str]
    column: str
    descending: bool


@dataclass(frozen=True)
class Concept:
    name: str
    pattern: re.Pattern[str]  # any of its words, as whole words


@dataclass(frozen=True)
class QuestionRules:
    answer_types: tuple[AnswerType, ...]
    comparison: re.Pattern[str]
    levels: tuple[str, ...]
    rankings: tuple[Ranking, ...]
    concepts: tuple[Concept, ...]
    negation_before: tuple[str, ...]
    negation_after: tuple[str, ...]
    choice: re.Pattern[str] | None = None  # "A or B": groups a and b
    _polarity_memo: dict[str, dict[str, bool]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, path: Path = DEFAULT_ANSWERING) -> QuestionRules:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            comparison = raw["comparison"]
            return cls(
                answer_types=tuple(
                    AnswerType(t["name"], _any(t["asks"]), _any(t["expects"])) for t in raw.get("answer_type", [])
                ),
                comparison=_any(comparison["asks"]),
                levels=tuple(level.lower() for level in comparison["levels"]),
                rankings=tuple(
                    Ranking(_any(r["asks"]), r["column"], r["order"] == "descending") for r in comparison.get("ranking", [])
                ),
                concepts=tuple(
                    Concept(c["name"], re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in sorted(c["words"], key=len, reverse=True)) + r")(?![a-z])", re.IGNORECASE))
                    for c in comparison.get("concept", [])
                ),
                negation_before=tuple(comparison["negation_before"]),
                negation_after=tuple(comparison["negation_after"]),
                choice=re.compile(raw["choice"]["asks"], re.IGNORECASE) if "choice" in raw else None,
            )
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError, re.error) as exc:
            raise ValueError(f"{path}: invalid answering rules ({exc!r})") from None

    def wanted_types(self, question: str) -> list[AnswerType]:
        return [t for t in self.answer_types if t.asks.search(question)]

    def choice_type(self, question: str, widen: Callable[[str], Iterable[str]]) -> AnswerType | None:
        """For "A or B?", an answer type met by a sentence that names both sides.

        ``widen`` gives the words a side also goes by (the lay vocabulary's terms);
        words both sides share ("therapy") tell nothing and are dropped.
        """
        m = self.choice.search(question) if self.choice else None
        if m is None:
            return None
        a, b = ({m[g].lower(), *(w.lower() for w in widen(m[g]))} for g in ("a", "b"))
        a, b = a - b, b - a
        if not a or not b:
            return None
        both = "".join(rf"(?=.*\b(?:{'|'.join(map(re.escape, sorted(side)))})\b)" for side in (a, b))
        return AnswerType("choice", m.re, re.compile("^" + both, re.IGNORECASE | re.DOTALL))

    def asks_comparison(self, question: str) -> bool:
        return bool(self.comparison.search(question)) or self.ranking(question) is not None

    def ranking(self, question: str) -> Ranking | None:
        return next((r for r in self.rankings if r.asks.search(question)), None)

    def level(self, cell_text: str) -> int | None:
        """Rank of a cell's level word ("Moderate to High ⚡ …" → 4), longest match first."""
        lowered = cell_text.lower()
        for level in sorted(self.levels, key=len, reverse=True):
            if lowered.startswith(level):
                return self.levels.index(level)
        return None

    def polarity(self, text: str) -> dict[str, bool]:
        """Concepts ``text`` mentions, each True when it is negated ("no meds", "drug-free").

        Table cells recur in every comparison, so their readings are kept (read-only for callers).
        """
        known = self._polarity_memo.get(text)
        if known is None:
            if len(self._polarity_memo) >= POLARITY_MEMO_LIMIT:  # questions pass through here too: stay bounded
                self._polarity_memo.clear()
            known = self._polarity_memo[text] = self._read_polarity(text)
        return known

    def _read_polarity(self, text: str) -> dict[str, bool]:
        found: dict[str, bool] = {}
        lowered = text.lower().replace("’", "'")
        for concept in self.concepts:
            for m in concept.pattern.finditer(lowered):
                before = re.findall(r"[a-z']+", lowered[max(0, m.start() - 40) : m.start()])[-4:]
                after = lowered[m.end() : m.end() + 6]
                negated = any(" ".join(before).endswith(cue) or cue in before for cue in self.negation_before) or any(
                    after.startswith(cue) for cue in self.negation_after
                )
                found[concept.name] = found.get(concept.name, False) or negated
        return found
