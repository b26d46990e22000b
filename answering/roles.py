"""How informative each sentence of the guide is, read from the document itself.

A guide mixes sentences that answer ("limit each session to 15-20 minutes",
"Swedish Massage: its long, gliding strokes ...") with introductions,
transitions and marketing lines ("Navigating the landscape of back spasm
treatments can feel overwhelming", "Ready to explore ...?"). The second kind
must never lead an answer. Two readings tell them apart, neither a list of this
guide's sentences, so a new clinic page gets the same treatment:

- **specificity** (from the vectors): how much closer a sentence is to its own
  section than to the document as a whole. A sentence equally close to every
  section says nothing in particular.
- **concreteness** (from the words, ``data/<lang>/answering.toml`` ``[roles]``):
  numbers with units, frequencies, names (capitalised terms inside a sentence,
  brands in brackets), instructions, a labelled list item; minus rhetorical
  questions and filler words.

The prior is their sum, one number per sentence, computed once per loaded index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contracts import Sentence
from rules.files import read_answering
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import compile_patterns, plain

_NAMED = re.compile(r"(?<=[a-z,;] )(?:[A-Z][a-z]+(?:[- ][A-Z][a-z]+)*|[A-Z]{2,})\b")  # a name inside a sentence
_LABEL = re.compile(r"^[A-Z][^:]{1,40}: ")  # "Contrast Therapy: ..."


@dataclass(frozen=True)
class RoleRules:
    """Word patterns of concrete and generic sentences (``[roles]`` in answering.toml)."""

    concrete: tuple[re.Pattern[str], ...]
    generic: re.Pattern[str]
    leans_back: re.Pattern[str] | None = None  # "They are …", "This not only …": points back at the sentence before
    empty_it: re.Pattern[str] | None = None  # "It is crucial to …": an "it" that points at nothing

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> RoleRules:
        roles = read_answering(language).roles
        return cls(
            tuple(compile_patterns([p]) for p in roles.concrete), compile_patterns(roles.generic),
            compile_patterns(roles.leans_back) if roles.leans_back else None,
            compile_patterns(roles.empty_it) if roles.empty_it else None,
        )  # fmt: skip

    def opens_by_pointing_back(self, text: str) -> bool:
        """Whether the sentence opens with a word that points back ("This …", "They …", "It …", "Conversely, …")."""
        return bool(self.leans_back and self.leans_back.match(plain(text).strip()))

    def leans_on_the_one_before(self, text: str) -> bool:
        """An opening that points back at what came before it, not an "it" that points at nothing ("It's important …")."""
        return self.opens_by_pointing_back(text) and not (self.empty_it and self.empty_it.match(plain(text).strip()))

    def concreteness(self, text: str) -> float:
        """How many kinds of concrete content the sentence holds, minus its filler (about -2 to 4)."""
        prepared = plain(text)
        score = float(sum(1 for pattern in self.concrete if pattern.search(prepared)))
        score += 1.0 if _NAMED.search(text) else 0.0
        score += 0.5 if _LABEL.match(text) else 0.0
        score -= 1.0 * len(self.generic.findall(prepared))
        score -= 1.5 if text.rstrip().endswith("?") else 0.0
        return score


def sentence_priors(sentences: Sequence[Sentence], vectors: np.ndarray, rules: RoleRules) -> dict[str, float]:
    """Sentence id -> prior: specificity (standardised) plus concreteness; table cells get 0.

    O(n): each sentence is compared with its own section's centroid and the
    document's, never with every section (an index may hold thousands).
    """
    prose = [i for i, s in enumerate(sentences) if not s.is_cell]
    if not prose:
        return {}
    unit = vectors[prose]
    overall = unit.mean(axis=0)
    overall /= np.linalg.norm(overall) or 1.0
    by_section: dict[str, list[int]] = {}
    for row, i in enumerate(prose):
        by_section.setdefault(sentences[i].treatment, []).append(row)
    own = np.zeros(len(prose), dtype=np.float32)
    for rows in by_section.values():
        centroid = unit[rows].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        own[rows] = unit[rows] @ centroid
    specificity = own - unit @ overall
    spread = float(specificity.std()) or 1.0
    standard = (specificity - float(specificity.mean())) / spread
    return {sentences[i].id: float(standard[row]) + rules.concreteness(sentences[i].text) for row, i in enumerate(prose)}
