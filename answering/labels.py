"""The guide's labelled items that a message names by their label ("the Gonstead technique", "contrast therapy").

A bullet that opens with a label ("Gonstead Technique: Focuses on …") is the
guide's own name for what it describes. A patient who names it ("she uses the
gonstead technique. what does she actually do?") asks about that item, yet the
vector search reads the whole message and may rank a neighbouring technique
first. A label counts as named when every word of it is in the message and one
of them is rare in the guide (in at most ``RARE_IN_SENTENCES`` of its
sentences): a name ("gonstead", "myofascial", "contrast"), not a common phrase
("Acute Lower Back Spasms", "Daily Movement"). Read from the index's sentences,
so a new clinic page needs no list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from contracts import Sentence
from index.text import bullet_label, tokenize

RARE_IN_SENTENCES = 2  # "gonstead" and "contrast" are in 1 and 2 of the guide's sentences; "lower" (Acute Lower Back Spasms) in 4
ONLY_HERE = 1  # a word in one sentence of the guide names that sentence's item ("guarding", "mobilization") when asked what it is


class NamedLabels:
    """Each labelled bullet's words and its sentences, to find the bullets a message names."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        prose = [s for s in sentences if not s.is_cell]
        in_sentences = Counter(word for s in prose for word in set(tokenize(s.text)))
        by_block: dict[tuple[str, int], list[str]] = {}
        for s in prose:
            if s.block_kind == "bullet":
                by_block.setdefault((s.source, s.block), []).append(s.id)
        self._labels: list[tuple[frozenset[str], tuple[str, ...]]] = []
        # the words of a labelled bullet found in no other sentence of the guide: "guarding" (Reduces Muscle Guarding)
        self._only_here: dict[str, tuple[str, ...]] = {}
        for s in prose:
            label = bullet_label(s.text) if s.block_kind == "bullet" else ""
            if not label or not s.text.startswith(label):
                continue  # a later sentence of the bullet: its first one carries the label
            words = frozenset(w for w in tokenize(label) if not w.isdigit())
            block = tuple(by_block[(s.source, s.block)])
            if words and min(in_sentences[w] for w in words) <= RARE_IN_SENTENCES:
                self._labels.append((words, block))
        # a bullet is labelled when its first sentence opens with a label: an item the guide names, not a bare list entry
        firsts: dict[tuple[str, int], Sentence] = {}
        for s in prose:
            firsts.setdefault((s.source, s.block), s)
        labelled = {key for key, first in firsts.items() if (label := bullet_label(first.text)) and first.text.startswith(label)}
        for s in prose:
            if s.block_kind == "bullet" and (s.source, s.block) in by_block and (s.source, s.block) in labelled:
                for word in set(tokenize(s.text)):
                    if in_sentences[word] <= ONLY_HERE and not word.isdigit():
                        self._only_here[word] = tuple(by_block[(s.source, s.block)])

    def named_in(self, text: str) -> frozenset[str]:
        """The ids of the sentences of every bullet whose label ``text`` names (all its words, one of them rare)."""
        if not text:
            return frozenset()
        said = set(tokenize(text))
        return frozenset(i for words, ids in self._labels if words <= said for i in ids)

    def named_by_rare_word(self, text: str) -> frozenset[str]:
        """The ids of the sentences of every labelled bullet that ``text`` names by a word no other sentence of the guide
        has ("my massage therapist said my back was guarding": Reduces Muscle Guarding). Looser than ``named_in``, so
        read only where the message asks what the thing said earlier is ("what does that mean?")."""
        return frozenset(i for word in set(tokenize(text)) for i in self._only_here.get(word, ()))
