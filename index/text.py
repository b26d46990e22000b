"""Word tokens for the lexical (BM25) side of retrieval.

Lower-cased words with English stop words removed and a light suffix stripper,
so that "spasms", "spasming" and "spasm" meet. The same function runs over
chunks and queries, which is all a stemmer for BM25 has to guarantee.
"""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she
    should shouldn't so some such than that that's the their theirs them themselves then there there's these
    they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why
    why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    also just get got ok okay really thing things going gonna want wanna like lot bit kind sort actually maybe please
    thanks anything something""".split()
)

_SUFFIXES = ("ational", "ization", "isation", "fulness", "iveness", "ingly", "ments", "ation", "ness", "ment",
             "ings", "ing", "ies", "ied", "edly", "ed", "es", "ly", "s")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip one common English suffix, keeping at least a three-letter stem."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if suffix == "s" and base.endswith(("s", "u", "i")):
                return word  # "stress", "status", "analysis" keep their s
            if suffix == "es" and not base.endswith(("ch", "sh", "x", "ss", "z")):
                return word[:-1]  # "muscles" -> "muscle"
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "stopped" -> "stop"
            return base
    return word


def tokenize(text: str) -> list[str]:
    """Stemmed content words of ``text`` (apostrophes: curly ones count as straight)."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    return [stem(w) for w in words if w not in STOP_WORDS]


def bullet_label(text: str) -> str:
    """The label of a labelled list item's first sentence ("Contrast Therapy: For stubborn …" → "Contrast
    Therapy"): at most six words before ": "; "" when it has none."""
    head, sep, _ = text.strip().partition(": ")
    return head if sep and len(head.split()) <= 6 and not head.startswith("**") else ""
