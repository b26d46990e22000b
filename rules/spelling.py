"""Misspelt medicine names read as the names they stand for ("robaxen" → "robaxin", "cyclobenzprine" → "cyclobenzaprine").

Patients rarely spell a drug's name right, and a name not recognised costs them
the answer: "Mehtocarbamol how many hrs apart" was declined as off-topic. Each
word of a message that is not a name is compared with the single-word names and
brands of ``data/medicines.toml``: one edit away for names of up to eight
letters, two for longer ones (a swap of two neighbouring letters counts as one
edit), or any number of vowels or spellings of one sound away ("xeralto" →
"xarelto", "plavicks" → "plavix": a name heard, not seen, is spelt as it
sounds). Everyday English words are never changed, so "alive" never becomes
"aleve": ``data/medicines_everyday_words.txt`` lists the common words (by
``wordfreq``'s frequency list) that are that close to a name. ``python -m
rules.spelling build`` rewrites it after the names change, and ``make test``
checks it is current; the server reads only the list. Lookups use deletion
neighbourhoods (the SymSpell idea): a few dictionary lookups per long word, not
a comparison with every name.

Read by the medicine vocabulary (which medicine a message names), the medicine
risks ("on elliquis") and the lay-word expansion (what retrieval searches for);
triage reads the message as written.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

MIN_LETTERS = 5  # shorter words are too close to too many others ("soma", "some")
LONG_NAME = 9  # names this long may be two edits away
EVERYDAY_ZIPF = 3.0  # wordfreq's scale: 3 is about once per million words ("aspirin" 3.3, "alive" 4.8)
EVERYDAY_CANDIDATES = 100_000  # wordfreq's most frequent English words read when building the list
_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = re.compile(r"[aeiou]")
# Spellings of one sound ("plavicks" is "plavix", "zanaflecks" is "zanaflex"): written as one before comparing.
_SOUNDS = (("ph", "f"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("z", "s"))
_SOFT_C = re.compile(r"c(?=[eiy])")
_DOUBLED = re.compile(r"(.)\1+")


def _heard(word: str) -> str:
    """``word`` as it sounds, every vowel as ``*``: two names alike but for their vowels ("xeralto", "xarelto") or for
    how a sound is spelt ("plavicks", "plavix") read the same."""
    for written, sound in _SOUNDS:
        word = word.replace(written, sound)
    word = _SOFT_C.sub("s", word).replace("c", "k")
    return _VOWELS.sub("*", _DOUBLED.sub(r"\1", word))


def _deletions(word: str, most: int) -> set[str]:
    """``word`` with up to ``most`` letters removed (the word itself included)."""
    found, frontier = {word}, {word}
    for _ in range(most):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _allowed(name: str) -> int:
    return 2 if len(name) >= LONG_NAME else 1


def everyday_words_file() -> Path:
    from rules.locale import DATA_DIR

    return DATA_DIR / "medicines_everyday_words.txt"


def read_everyday_words(path: Path | None = None) -> frozenset[str]:
    """The everyday words close to a name (one per line; ``#`` starts a comment)."""
    path = path or everyday_words_file()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FileNotFoundError(f"{path}: cannot be read ({exc}); run `python -m rules.spelling build`") from None
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@functools.cache
def medicine_spelling() -> NameSpelling:
    """The medicine vocabulary's names (``data/medicines.toml``) and the everyday words near them, read once per process."""
    from rules.files import read_medicines

    everyday = read_everyday_words()
    medicines = read_medicines()
    return NameSpelling(medicines.all_words(), everyday.__contains__, medicines.spellings())


class NameSpelling:
    """The single-word medicine names, and the misspellings close enough to read as them.

    ``spellings``: groups of names that stand for one medicine ("ibuprofen" and its listed misspelling "ibroprofen"). A
    word as close to two names of one group ("iboprofen") is that medicine, not two names equally close."""

    def __init__(self, names: Iterable[str], is_everyday: Callable[[str], bool], spellings: Iterable[Iterable[str]] = ()) -> None:
        self.names = frozenset(n.lower() for n in names if n.isalpha() and len(n) >= MIN_LETTERS)
        self._is_everyday = is_everyday
        self._medicine_of = {name.lower(): i for i, group in enumerate(spellings) for name in group}
        self._by_deletion: dict[str, set[str]] = {}
        self._by_sound: dict[str, set[str]] = {}
        for name in self.names:
            for variant in _deletions(name, _allowed(name)):
                self._by_deletion.setdefault(variant, set()).add(name)
            self._by_sound.setdefault(_heard(name), set()).add(name)
        self._longest = max((len(n) for n in self.names), default=0)
        self.name_of = functools.lru_cache(maxsize=8192)(self._name_of)

    def _name_of(self, word: str) -> str | None:
        """The name ``word`` (lower case) is a misspelling of, or None (a name, an everyday word, or nothing close)."""
        if not MIN_LETTERS <= len(word) <= self._longest + 2 or word in self.names or self._is_everyday(word):
            return None  # a word longer than any name plus two letters is never close (and its deletions would be many)
        candidates = {n for variant in _deletions(word, 2) for n in self._by_deletion.get(variant, ())}
        close = sorted((edit_distance(word, n), n) for n in candidates)
        close = [(d, n) for d, n in close if d <= _allowed(n)]
        if not close:  # alike but for the vowels or how a sound is spelt: one name, or no guess
            close = [(0, n) for n in sorted(self._by_sound.get(_heard(word), ()))]
        if not close:
            return None
        nearest = [n for d, n in close if d == close[0][0]]
        if len({self._medicine_of.get(n, n) for n in nearest}) > 1:
            return None  # two medicines' names equally close: no guess
        return nearest[0]

    def correct(self, text: str) -> str:
        """``text`` with each misspelt name replaced by the name (everything else as written)."""

        def fix(match: re.Match[str]) -> str:
            return self.name_of(match.group(0).lower()) or match.group(0)

        return _WORD.sub(fix, text)


# -- the everyday-word list ------------------------------------------------------------------------


def build_everyday_words() -> list[str]:
    """The common English words (wordfreq, Zipf ≥ ``EVERYDAY_ZIPF``) that would otherwise read as a name."""
    from wordfreq import top_n_list, zipf_frequency

    from rules.files import read_medicines

    medicines = read_medicines()
    spelling = NameSpelling(medicines.all_words(), lambda word: False, medicines.spellings())
    common = (w for w in top_n_list("en", EVERYDAY_CANDIDATES) if w.isalpha() and zipf_frequency(w, "en") >= EVERYDAY_ZIPF)
    return sorted(w for w in common if spelling.name_of(w) is not None)


def _listing(words: list[str]) -> str:
    header = "# Everyday English words one or two edits from a medicine name: never read as a misspelt name.\n"
    return header + "# Written by `python -m rules.spelling build` from wordfreq's list and data/medicines.toml.\n" + "".join(f"{w}\n" for w in words)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m rules.spelling", description="Build or check the everyday-word list.")
    parser.add_argument("command", choices=["build", "check"])
    args = parser.parse_args(argv)
    path, listing = everyday_words_file(), _listing(build_everyday_words())
    if args.command == "build":
        path.write_text(listing, encoding="utf-8")
        print(f"rules.spelling: wrote {path} ({listing.count(chr(10)) - 2} words)")
        return 0
    if not path.exists() or path.read_text(encoding="utf-8") != listing:
        print(f"rules.spelling: {path} is not current for data/medicines.toml; run `python -m rules.spelling build`")
        return 1
    print(f"rules.spelling: {path} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
