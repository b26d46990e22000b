"""Lay vocabulary: expand patients' words ("advil", "frozen peas", "crack my back") to the guide's.

The words live in data: ``data/<lang>/vocabulary.toml`` (everyday words for
treatments) and ``data/medicines.toml`` (every medicine's names and brands), so
the clinic adds a brand name or a misspelling without touching code. Phrases are
matched in prepared text (``rules.patterns``: case and apostrophes ignored), longest
first, and never overlap, so "the one you rub on" (a gel) is not also read as
"rub" (massage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.files import MedicinesData, VocabularyData, read_medicines, read_vocabulary
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import PatternLanguage, literal, plain
from rules.spelling import NameSpelling, medicine_spelling


@dataclass(frozen=True)
class Expansion:
    """What a query's lay words mean: extra terms for search, treatments it names."""

    terms: tuple[str, ...]
    treatments: tuple[str, ...]  # in order of first mention; the closing plan alone when many are named
    matched: tuple[str, ...]  # the patient's words that triggered it
    named: tuple[str, ...] = ()  # every treatment the words name, in order (``treatments`` before many collapse into the plan)

    @property
    def text(self) -> str:
        return " ".join(self.terms)


@dataclass(frozen=True)
class _Phrase:
    first: str  # its first word: a cheap substring test before the regular expression
    pattern: re.Pattern[str]
    means: str
    treatments: tuple[str, ...]


def _terms(vocabulary: VocabularyData, medicines: MedicinesData) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(says, means, treatments) for every lay term: the vocabulary's, then the medicines' and their classes'."""
    terms = [(t.says, t.means, t.treatments) for t in vocabulary.terms]
    for klass in medicines.classes:
        if klass.treatment is None:
            continue  # the guide has nothing on it: no search hint (scope says the guide does not cover it)
        own = [m for m in medicines.medicines if m.class_id == klass.id]
        terms += [(m.words, m.means, (klass.treatment,)) for m in own if m.means]
        with_class = [w for m in own if not m.means for w in m.words]
        terms.append(((*klass.words, *with_class), klass.means, (klass.treatment,)))
    terms.append((medicines.general_words, medicines.general_means, medicines.covered_treatments))
    return terms


MAX_QUERY_CHARS = 1000  # retrieval, composing and the learned red-flag layer read this much of a message


class LayVocabulary:
    """Compiled lay-term table."""

    def __init__(self, phrases: list[_Phrase], many_treatments: int = 0, many_means: str = "", spelling: NameSpelling | None = None) -> None:
        self._phrases = phrases
        self._spelling = spelling
        self._many = many_treatments
        self._many_means = many_means
        # One scan finds which phrases' first words occur (anywhere, as substrings); only those are tried.
        firsts = sorted({p.first for p in phrases if p.first}, key=len, reverse=True)
        self._by_first: dict[str, list[int]] = {}  # first word -> positions in the table (its order breaks ties)
        for i, phrase in enumerate(phrases):
            self._by_first.setdefault(phrase.first, []).append(i)
        self._firsts = re.compile("(?=(" + "|".join(map(re.escape, firsts)) + "))") if firsts else None
        # A first word found at a position hides the shorter ones that start there too ("icepack" hides "ice").
        self._shorter = {f: [g for g in firsts if f.startswith(g)] for f in firsts}

    @property
    def meanings(self) -> tuple[str, ...]:
        """Every guide-words term the vocabulary can add to a question (embedded once, at load)."""
        return tuple(dict.fromkeys(p.means for p in self._phrases))

    @property
    def readings(self) -> tuple[str, ...]:
        """Each lay phrasing with the guide term it adds: what moves a question's vector (a learned layer's
        fingerprint records them, so a phrasing added to ``vocabulary.toml`` asks for a refit, as a new term does)."""
        return tuple(f"{p.pattern.pattern} -> {p.means}" for p in self._phrases)

    @property
    def combination(self) -> str:
        """The treatment id that naming many treatments (or "at the same time", "daily") stands for: the closing plan."""
        return self._many_means

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> LayVocabulary:
        """Compile the language's vocabulary and the medicines (raises ``RulesError`` naming file and line)."""
        vocabulary = read_vocabulary(language)
        lang = PatternLanguage()
        phrases = []
        for says, means, treatments in _terms(vocabulary, read_medicines()):
            for said in says:
                pattern = re.compile(rf"(?<![a-z0-9])(?:{lang.expand(literal(said))})s?(?![a-z0-9])")
                phrases.append(_Phrase(plain(said).split()[0].split("-")[0], pattern, means, treatments))
        return cls(phrases, vocabulary.many_at_least, vocabulary.many_means, medicine_spelling())

    def expand(self, text: str) -> Expansion:
        """The guide's terms and the treatments that ``text`` refers to in everyday words (a misspelt medicine as its name)."""
        prepared = plain(self._spelling.correct(text) if self._spelling else text)
        present = {g for m in self._firsts.finditer(prepared) for g in self._shorter[m.group(1)]} if self._firsts else set()
        found = []
        for phrase in (self._phrases[i] for i in sorted(i for first in present for i in self._by_first[first])):
            for m in phrase.pattern.finditer(prepared):
                found.append((m.start(), m.end(), phrase))
        # Longest phrases first; a shorter one inside a longer match does not count.
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int, _Phrase]] = []
        for start, end, phrase in found:
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, phrase))
        taken.sort(key=lambda f: f[0])
        terms = tuple(dict.fromkeys(p.means for _, _, p in taken))
        named = tuple(dict.fromkeys(t for _, _, p in taken for t in p.treatments))
        treatments = named
        if self._many and len([t for t in named if t != self._many_means]) >= self._many:  # naming many asks how to combine them
            treatments = (self._many_means,)
        return Expansion(terms, treatments, tuple(prepared[s:e] for s, e, _ in taken), named)
