"""Which language a message is written in, among the enabled ones; English when unsure.

The detector (lingua, which ships its own models: nothing is downloaded)
chooses the language of the reply's safety texts and of the "I answer in
English" notice. Red flags never depend on it alone: the English rules read
every message, and a message likely in another enabled language is also read
by that language's rules, from a lower confidence than the texts need.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

DEFAULT = "en"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTERS = re.compile(r"[^\W\d_]+")
MIN_WORDS = 3  # fewer words than this ("ok", "ibuprofen?") say too little to call a language
# Words that are English and nothing else among the enabled languages (not "me", "no", "a", "so", "die",
# "on", "an"...). A message this rich in them is English whatever the statistics say: the detector once
# read "is diclofenac gel kinder to my stomach than the tablets" as German.
ENGLISH_ONLY = frozenset(
    """the and is my to it of with than for what should can have this that you your im ive dont cant how when do
    does are was be been will would there from at by about any just after before get got take taking use using
    which who why where hurts hurt back pain or if but not first better help best need much many ice heat cold hot
    spasm spasms stretch stretches walk walking sleep work should could""".split()
)
ENGLISH_SHARE = 0.3
ENGLISH_WORDS_SAID = 2  # this many of them, and a message says something in English ("im" alone is German too)
# Red-flag rules are cheaper to read than to miss: a short message the detector is unsure of ("je sens plus
# mes jambes": French 0.70) is also read by the likeliest language's rules from this confidence on, though
# the reply's texts stay English until ``min_confidence``.
RULES_CONFIDENCE = 0.4
MAX_CACHED_CHARS = 4000  # longer messages are read every time rather than kept in memory


class LanguageDetector:
    """Detects among ``enabled`` (ISO 639-1 codes); lingua is loaded once, for those languages only."""

    def __init__(self, enabled: Sequence[str], min_confidence: float = 0.75) -> None:
        self.enabled = tuple(dict.fromkeys([DEFAULT, *enabled]))
        self.min_confidence = min_confidence
        self._lingua: Any = None
        self._codes: dict[Any, str] = {}
        if len(self.enabled) > 1:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in self.enabled]
            self._codes = {lang: code for lang, code in zip(languages, self.enabled, strict=True)}
            self._lingua = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
        # detect (the reply's texts) and rules_language (triage) read the same message: compute its confidences once
        self._confidences = lru_cache(maxsize=1024)(self._compute_confidences)

    def forget_messages(self) -> None:
        """Drop the remembered confidences (the latency benchmark reads every question as new)."""
        self._confidences.cache_clear()

    def detect(self, text: str) -> str:
        """The message's language, or English when it is English, too short, mixed or unsure."""
        return self.likeliest(text, self.min_confidence)

    def says_in_english(self, text: str) -> bool:
        """Whether ``text`` has English words in it at all (``ENGLISH_WORDS_SAID`` words only English has): what the
        English rules find missing from a message is missing only from one that speaks English."""
        words = (w.lower().replace("'", "") for w in _LETTERS.findall(text))
        return sum(w in ENGLISH_ONLY for w in words) >= ENGLISH_WORDS_SAID

    def rules_language(self, text: str) -> str:
        """The language whose red-flag rules also read ``text``: ``detect``'s, or when it is unsure, the likeliest
        language from ``RULES_CONFIDENCE`` on (English when none is that likely)."""
        return self.likeliest(text, min(RULES_CONFIDENCE, self.min_confidence))

    def likeliest(self, text: str, confidence: float) -> str:
        """The likeliest enabled language when it reaches ``confidence``; English when it is English, too short or unsure."""
        if self._lingua is None or not text.strip():
            return DEFAULT
        if "zh" in self.enabled and len(_HAN.findall(text)) >= 2:
            return "zh"
        words = [w.lower().replace("'", "") for w in _LETTERS.findall(text)]
        if len(words) < MIN_WORDS or sum(w in ENGLISH_ONLY for w in words) >= ENGLISH_SHARE * len(words):
            return DEFAULT
        best = self._confidences(text) if len(text) <= MAX_CACHED_CHARS else self._compute_confidences(text)
        if best is None:
            return DEFAULT
        code, value = best
        return code if value >= confidence else DEFAULT

    def _compute_confidences(self, text: str) -> tuple[str, float] | None:
        """The likeliest enabled language of ``text`` and lingua's confidence in it."""
        values = self._lingua.compute_language_confidence_values(text)
        if not values:
            return None
        return self._codes.get(values[0].language, DEFAULT), float(values[0].value)
