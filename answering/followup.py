"""Follow-up questions: which treatment is "it" in "is it safe with food?".

The app is stateless, so the conversation arrives with every request. When a
message names no treatment itself but leans on what came before (patterns in
``data/<lang>/followup.toml``), the treatment under discussion is the one the patient
last named; failing that, the one their last question was about.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.vocabulary import Expansion, LayVocabulary
from rules.files import read_followup
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import compile_patterns, plain


@dataclass(frozen=True)
class Focus:
    treatment: str | None  # None: the message stands on its own
    because: str  # why, for debugging ("named in: 'I took advil'")
    beyond: bool = False  # asks what comes after the treatment ("what if it doesn't work?"): search past it


class FollowUpResolver:
    def __init__(
        self,
        pattern: re.Pattern[str],
        vocabulary: LayVocabulary,
        lexical_treatment: Callable[[str], str | None],
        beyond: re.Pattern[str] | None = None,
    ):
        self._pattern = pattern
        self._beyond = beyond
        self._vocabulary = vocabulary
        self._lexical_treatment = lexical_treatment

    @classmethod
    def load(
        cls,
        vocabulary: LayVocabulary,
        lexical_treatment: Callable[[str], str | None],
        language: str = DEFAULT_LANGUAGE,
    ) -> FollowUpResolver:
        data = read_followup(language)
        return cls(compile_patterns(data.patterns), vocabulary, lexical_treatment, compile_patterns(data.beyond) if data.beyond else None)

    def leans_on_context(self, message: str) -> bool:
        return bool(self._pattern.search(plain(message)))

    def resolve(self, message: str, expansion: Expansion, earlier_user_messages: list[str]) -> Focus:
        """The treatment a context-dependent message is about (``earlier_user_messages`` newest first)."""
        if expansion.treatments or not earlier_user_messages or not self.leans_on_context(message):
            return Focus(None, "stands on its own")
        beyond = bool(self._beyond and self._beyond.search(plain(message)))
        for earlier in earlier_user_messages:
            named = self._vocabulary.expand(earlier).treatments
            if named:
                return Focus(named[0], f"named earlier: {earlier[:60]!r}", beyond)
        treatment = self._lexical_treatment(earlier_user_messages[0])
        return Focus(treatment, f"topic of: {earlier_user_messages[0][:60]!r}", beyond) if treatment else Focus(None, "no topic found")
