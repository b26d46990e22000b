"""Is a message a greeting, an attempt to re-instruct the bot, off-topic, or a question for the guide?

Decided by evidence, not by a list of known questions: vocabulary from
``data/<lang>/scope.toml`` (topic words, other conditions, injection phrasing,
dose requests) and ``data/medicines.toml`` (the words for medicines in general),
and retrieval scores, with thresholds tuned on the development set
(``tests/data/dev_questions.jsonl``) and set in ``config.toml``. Every check reads
the message as ``rules.patterns`` prepares it (lower case, no apostrophes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.files import LogisticsEntry, SubjectGroup, medicine_macros, read_medicines, read_scope
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import PatternLanguage, compile_patterns, compile_words, plain

_GREETING_WORDS = re.compile(r"[a-z]+|[!?]")
_CLAUSE_BREAK = re.compile(r"[.,!;:\n]+")


@dataclass(frozen=True)
class ScopeRules:
    greeting_phrases: tuple[re.Pattern[str], ...]  # longest first
    thanks_phrases: tuple[re.Pattern[str], ...]  # longest first
    greeting_fillers: frozenset[str]
    logistics: tuple[tuple[LogisticsEntry, re.Pattern[str]], ...]
    not_in_guide: tuple[SubjectGroup, ...]
    injection: re.Pattern[str]
    back: re.Pattern[str]
    care: re.Pattern[str]
    general: re.Pattern[str]
    body_parts: re.Pattern[str]
    conditions: re.Pattern[str]
    subjects: re.Pattern[str]
    dose: re.Pattern[str]
    exceed: re.Pattern[str]
    label_limit: re.Pattern[str]
    together: re.Pattern[str] | None
    two_of_a_class: tuple[str, ...]
    drug_free_question: str
    drug_free: re.Pattern[str]
    medication_treatments: frozenset[str]
    medication_words: re.Pattern[str]
    min_known_share: float
    closing: re.Pattern[str] | None = None
    closing_unless: re.Pattern[str] | None = None
    question_openers: frozenset[str] = frozenset()
    plan_verbs: frozenset[str] = frozenset()
    clause_fillers: frozenset[str] = frozenset()
    closing_max_words: int = 0
    care_questions: re.Pattern[str] | None = None
    figures_of_speech: re.Pattern[str] | None = None

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> ScopeRules:
        data = read_scope(language)
        medicines = read_medicines()
        regexes = PatternLanguage(medicine_macros(medicines))
        return cls(
            greeting_phrases=_phrases(data.greeting_phrases),
            thanks_phrases=_phrases(data.thanks_phrases),
            logistics=tuple((entry, compile_patterns(entry.patterns)) for entry in data.logistics),
            not_in_guide=data.not_in_guide,
            greeting_fillers=frozenset(plain(f) for f in data.greeting_fillers),
            injection=regexes.compile(data.injection, whole_words=False),
            back=compile_words(data.back_words),
            care=compile_words(data.care_words),
            general=compile_words(data.general_words),
            body_parts=compile_words(data.body_parts),
            conditions=compile_words(data.conditions),
            subjects=compile_words(data.subjects),
            dose=regexes.compile(data.dose, whole_words=False),
            exceed=regexes.compile(data.exceed, whole_words=False),
            label_limit=regexes.compile(data.label_limit, whole_words=False),
            together=regexes.compile(data.together, whole_words=False) if data.together else None,
            two_of_a_class=data.two_of_a_class,
            drug_free_question=data.drug_free_question,
            drug_free=regexes.compile(data.drug_free, whole_words=False),
            medication_treatments=frozenset(medicines.covered_treatments),
            medication_words=compile_words((*medicines.general_words, *data.dose_words)),
            min_known_share=data.min_known_share,
            closing=compile_words(data.closing) if data.closing else None,
            closing_unless=compile_words(data.closing_unless) if data.closing_unless else None,
            question_openers=frozenset(plain(w) for w in data.question_openers),
            plan_verbs=frozenset(plain(w) for w in data.plan_verbs),
            clause_fillers=frozenset(plain(w) for w in data.clause_fillers),
            closing_max_words=data.closing_max_words,
            care_questions=compile_patterns(data.care_questions) if data.care_questions else None,
            figures_of_speech=compile_words(data.figures_of_speech) if data.figures_of_speech else None,
        )

    def social(self, text: str) -> str | None:
        """"thanks" for a message of only thanks or goodbye words ("cheers, that's really helped"),
        "greeting" for only greeting words ("hello? anyone there?"), else None. Fillers may stand between.
        A thank-you said with words of the patient's own that asks nothing more is "thanks" too (``is_closing``)."""
        words = _GREETING_WORDS.findall(plain(text))
        if not words:
            return None
        if len(words) > 10:
            return "thanks" if self.is_closing(text) else None
        rest = " " + " ".join(w for w in words if w not in "!?") + " "
        thanked = greeted = False
        for phrase in self.thanks_phrases:  # greedily remove known phrases, longest first
            rest, n = phrase.subn(" ", rest)
            thanked = thanked or n > 0
        for phrase in self.greeting_phrases:
            rest, n = phrase.subn(" ", rest)
            greeted = greeted or n > 0
        if any(w not in self.greeting_fillers for w in rest.split()):
            return "thanks" if self.is_closing(text) else None
        if thanked:
            return "thanks"
        return "greeting" if greeted and len(words) <= 8 else None  # "hi hi hi …" nine times is a message

    def is_closing(self, text: str) -> bool:
        """A thank-you or goodbye with words of the patient's own ("ok thank u, going to go lie down now"): it thanks,
        asks nothing and leaves nothing open (``closing`` and its neighbours in ``data/<lang>/scope.toml``)."""
        return self.closing is not None and bool(self.closing.search(plain(text))) and self.leaves_nothing_open(text)

    def leaves_nothing_open(self, text: str) -> bool:
        """Short, with no question, number, "but", denial or request in it: nothing more may follow, so a closing
        the learned layer reads without a thanks word ("nice one, have a good day") may be taken as one."""
        if self.closing is None or "?" in text or any(c.isdigit() for c in text):
            return False
        prepared = plain(text)
        if len(prepared.split()) > self.closing_max_words:
            return False
        if self.closing_unless is not None and self.closing_unless.search(prepared):
            return False
        for clause in _CLAUSE_BREAK.split(prepared):
            clause = self._without_leading_thanks(clause)
            words = [w for w in clause.split() if w not in self.clause_fillers]
            if words and words[0] in self.question_openers and not self._states_a_plan(words):
                return False
        return True

    def _without_leading_thanks(self, clause: str) -> str:
        """The clause after its opening thank-you, so "thanks will ice help", written without a comma, is read from "will"."""
        assert self.closing is not None
        stripped = clause.strip()
        while (found := self.closing.match(stripped)) and found.end() > 0:
            stripped = stripped[found.end():].strip()
        return stripped

    def _states_a_plan(self, words: list[str]) -> bool:
        """A clause such as "will give the ice a go": its opener ("will") is followed by a verb, not a subject, so the
        patient says what they will do ("[I] will"), asking nothing; "will it help" and "will ice help" stay questions."""
        return len(words) > 1 and words[1] in self.plan_verbs

    def logistics_topic(self, text: str) -> LogisticsEntry | None:
        """A question about the clinic itself (opening hours, prices, booking), or None."""
        prepared = plain(text)
        return next((entry for entry, pattern in self.logistics if pattern.search(prepared)), None)

    def is_injection(self, text: str) -> bool:
        return bool(self.injection.search(plain(text)))

    def mentions_topic(self, text: str) -> bool:
        """A back, care or general word: evidence the question is about the guide's subject."""
        prepared = plain(text)
        return bool(self.back.search(prepared) or self.care.search(prepared) or self.general.search(prepared))

    def asks_care(self, text: str) -> bool:
        """A question of self-care that names no subject ("how do I stop this from happening again?", "what are the
        at-home basics?"): asked of a back-spasm assistant, it is about the patient's back."""
        return bool(self.care_questions and self.care_questions.search(plain(text)))

    def is_off_topic(self, text: str, names_treatment: bool) -> bool:
        """Positive evidence of another subject (see data/<lang>/scope.toml [off_topic]); a figure of speech
        ("it's all in my head") names no body part."""
        prepared = self.without_figures_of_speech(plain(text))
        if self.body_parts.search(prepared) and not (self.back.search(prepared) or names_treatment):
            return True
        other_subject = self.subjects.search(prepared) and not names_treatment
        if not (self.conditions.search(prepared) or other_subject):
            return False
        # the back named with a general word, or with a treatment: "had covid last month, ibuprofen for my back?"
        about_back = self.back.search(prepared) and (self.general.search(prepared) or names_treatment)
        return not (self.care.search(prepared) or about_back)

    def without_figures_of_speech(self, prepared: str) -> str:
        """Prepared text with its figures of speech blanked, each character a space, so a match's span still points at
        the words as written: "two flights of stairs" names no air travel, "all in my head" no head."""
        if not self.figures_of_speech:
            return prepared
        return self.figures_of_speech.sub(lambda m: " " * len(m.group(0)), prepared)

    def asks_for_dose(self, text: str) -> bool:
        return bool(self.dose.search(plain(text)))

    def asks_to_exceed_dose(self, text: str) -> bool:
        return bool(self.exceed.search(plain(text)))

    def asks_label_limit(self, text: str) -> bool:
        """A maximum, a daily total, how many at once, or more than the label ("double my naproxen")."""
        prepared = plain(text)
        return bool(self.label_limit.search(prepared) or self.exceed.search(prepared))

    def asks_together(self, text: str) -> bool:
        """Whether the message asks to take medicines at once ("together", "on top", "top up", "alternate"): with two
        medicines of one class named (``two_of_a_class``), past the label, with a caution of its own."""
        return self.together is not None and self.together.search(plain(text)) is not None

    def is_about_medication(self, text: str, treatments: set[str]) -> bool:
        return bool(treatments & self.medication_treatments) or bool(self.medication_words.search(plain(text)))

    def asks_drug_free(self, text: str) -> bool:
        """What works without medicines: "which treatments don't need any medication?", "anything drug-free?"."""
        return bool(self.drug_free.search(plain(text)))


_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?(?:\s*-\s*\d+)?\s*(?:mg|milligrams?|mcg|g)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _phrases(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Whole-word patterns of plain phrases, longest first (so "thank you" goes before "you")."""
    ordered = sorted({plain(p) for p in phrases}, key=len, reverse=True)
    return tuple(re.compile(rf"(?<![a-z]){re.escape(p)}(?![a-z])") for p in ordered)


def amounts_in(text: str) -> list[str]:
    """Doses written in ``text`` ("400-600mg", "1200 mg"), as bare numbers."""
    return [n for m in _AMOUNT.finditer(text) for n in _NUMBER.findall(m.group(0))]
