"""Which medicines a message names, read with the one vocabulary of medicines (``data/medicines.toml``).

Retrieval, scope, triage and the dose policy all read that file; this module
answers the dose policy's question: which medicines (and kinds of medicine) does
the patient name, and does the guide cover each? "Tylenol" is paracetamol, a
class the guide does not cover; "my muscle relaxers" is the class the guide's
muscle-relaxant section is about; "Advil" is ibuprofen, an NSAID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rules.files import MedicinesData, read_medicines
from rules.patterns import Text, compile_patterns, compile_words, plain
from rules.spelling import NameSpelling, medicine_spelling, read_everyday_words

_SEPARATORS = re.compile(r"[\s\-]+")


def _key(words: str) -> str:
    """How a name is looked up: prepared like a message, hyphens and runs of spaces as one space."""
    return _SEPARATORS.sub(" ", plain(words)).strip()


@dataclass(frozen=True)
class MedicineMention:
    """One medicine (or kind of medicine) named in a message."""

    class_id: str  # data/medicines.toml [[class]] id: "nsaid", "paracetamol"
    medicine: str | None  # its [[medicine]] id, or None when only the kind is named ("muscle relaxers")
    covered: bool  # whether the guide has a section about it
    treatment: str | None  # that section's treatment id
    written: str  # as the patient wrote it ("Tylenol")
    context: bool = False  # a class named as background ("I'm on methotrexate"): never "not covered"


class MedicineNames:
    """Every name of every medicine and class, compiled into one whole-word pattern."""

    def __init__(self, data: MedicinesData, spelling: NameSpelling | None = None) -> None:
        self.data = data
        self.spelling = spelling or NameSpelling(data.all_words(), read_everyday_words().__contains__, data.spellings())
        self._by_key: dict[str, tuple[str, str | None]] = {}
        for klass in data.classes:
            for word in klass.words:
                self._by_key.setdefault(_key(word), (klass.id, None))
        for medicine in data.medicines:
            for word in medicine.words:
                self._by_key[_key(word)] = (medicine.class_id, medicine.id)
        for key, entry in list(self._by_key.items()):  # "Nurofen's" reads "nurofens": a plural or possessive is the name
            if not key.endswith("s"):
                self._by_key.setdefault(f"{key}s", entry)
        for word in data.not_names:  # "pulling weeds" is gardening: a plural that is another word
            self._by_key.pop(_key(word), None)
        self._pattern = compile_words(tuple(self._by_key))
        self._classes = {c.id: c for c in data.classes}
        self._asked_before = compile_patterns(data.asked_before) if data.asked_before else None
        self._asked_after = compile_patterns(data.asked_after) if data.asked_after else None

    @classmethod
    def load(cls) -> MedicineNames:
        return cls(read_medicines(), medicine_spelling())

    def find(self, text: str) -> tuple[MedicineMention, ...]:
        """The medicines ``text`` names, in order, each once (a misspelt name as the name: "robaxen" is Robaxin)."""
        found: dict[tuple[str, str | None], MedicineMention] = {}
        prepared = Text.prepare(self.spelling.correct(text))
        for match in self._pattern.finditer(prepared.plain):
            entry = self._by_key.get(_key(match.group(0)))
            if entry is None or entry in found:
                continue
            klass = self._classes[entry[0]]
            background = klass.context and not self._asked_about(prepared.plain, *match.span())
            found[entry] = MedicineMention(klass.id, entry[1], klass.covered, klass.treatment, prepared.as_written(*match.span()), background)
        return tuple(found.values())

    def _asked_about(self, plain: str, start: int, end: int) -> bool:
        """Whether the words around a name make it the subject of the question ("can I try prednisone instead?")."""
        before, after = plain[max(0, start - 40) : start], plain[end : end + 30]
        return bool(self._asked_before and self._asked_before.search(before)) or bool(self._asked_after and self._asked_after.search(after))

    def of_treatments(self, treatments: Iterable[str]) -> list[MedicineMention]:
        """The classes the guide's medicine sections are about ("nsaids" → NSAIDs), as mentions of the class."""
        wanted = set(treatments)
        return [MedicineMention(c.id, None, c.covered, c.treatment, c.name) for c in self.data.classes if c.treatment in wanted]

    def words_of(self, medicine_id: str) -> tuple[str, ...]:
        """Every name of one medicine: generic names, misspellings, brands and what else patients call it."""
        return next((m.words for m in self.data.medicines if m.id == medicine_id), ())

    def covered_classes(self) -> set[str]:
        return {c.id for c in self.data.classes if c.covered}

    def name_of(self, class_id: str) -> str:
        return self._classes[class_id].name
