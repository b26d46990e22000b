"""A question's vector: its own embedding, moved toward the guide's words for its lay words.

Patients say "frozen peas" and "advil"; the guide says "cold therapy" and
"ibuprofen". The lay vocabulary (``index.vocabulary``) maps one to the other,
and the search should find what the guide's words find. The words could be
appended to the question before it is embedded, but every added word piece
costs model time (on the evaluation set the expanded text took 7.4 ms at the
median against 5.9 ms for the question alone), while what is added comes from a
short, fixed list: the vocabulary's meanings and the treatments' titles. So each
of those is embedded once, when the index loads, and a question's vector is

    normalise(question + weight × normalise(mean of its terms' vectors))

One model call per message, as before: retrieval, the example bank and the
learned layers all read this vector. On the dense ranking it did at least as
well as the appended words (``weight`` is ``[retrieval] expansion_weight``,
chosen on the development sets).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from embedding.info import QueryEmbedder
from index.vocabulary import Expansion

Encode = Callable[[list[str]], np.ndarray]


def query_encoder(embedder: QueryEmbedder) -> Encode:
    """The embedder's fastest path: one question through its batcher, several in one call."""

    def encode(texts: list[str]) -> np.ndarray:
        return embedder.encode_query(texts[0]) if len(texts) == 1 else embedder.encode_queries(texts)

    return encode


class QueryVectors:
    """Question vectors with the guide's terms added in vector space (the terms' vectors embedded once)."""

    def __init__(self, encode: Encode, weight: float, terms: Iterable[str] = ()) -> None:
        self._encode = encode
        self.weight = weight
        self._terms: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.learn(terms)

    def learn(self, terms: Iterable[str]) -> None:
        """Embed the terms not known yet, in one call (at load: the vocabulary's meanings and the titles)."""
        with self._lock:
            new = [t for t in dict.fromkeys(terms) if t and t not in self._terms]
        if new:
            rows = np.asarray(self._encode(new), dtype=np.float32).reshape(len(new), -1)
            with self._lock:
                self._terms.update(zip(new, rows))

    def of(self, texts: Sequence[str], expansions: Sequence[Expansion], hint: str = "") -> np.ndarray:
        """One unit row per text: each embedded as written (one model call), then moved toward its terms."""
        return self.moved(self.embedded(texts), expansions, hint)

    def embedded(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, embedded as written (one model call): ``moved`` then adds its terms."""
        return np.asarray(self._encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def moved(self, bare: np.ndarray, expansions: Sequence[Expansion], hint: str = "") -> np.ndarray:
        """``bare`` rows moved toward their expansions' terms (and ``hint``, a topic title, for every row)."""
        return self.moved_by(bare, self.directions(expansions, hint))

    def directions(self, expansions: Sequence[Expansion], hint: str = "") -> list[np.ndarray | None]:
        """What each expansion adds to its row: ``weight`` × the unit mean of its terms' vectors (None: nothing).

        It needs no embedding of the message, so the finder reads it while the model call runs."""
        wanted = [(*x.terms, hint) if hint else x.terms for x in expansions]
        self.learn(t for terms in wanted for t in terms)  # a term not met at load (a clinic's new title): once
        with self._lock:  # only the lookups: the arithmetic runs outside it, concurrent requests do not queue here
            term_rows = [[self._terms[t] for t in dict.fromkeys(terms)] if self.weight else [] for terms in wanted]
        found: list[np.ndarray | None] = []
        for rows in term_rows:
            if not rows:
                found.append(None)
                continue
            mean = np.mean(rows, axis=0)
            found.append(self.weight * mean / max(float(np.linalg.norm(mean)), 1e-12))
        return found

    def moved_by(self, bare: np.ndarray, directions: Sequence[np.ndarray | None]) -> np.ndarray:
        """``bare`` rows plus their ``directions``, each made a unit vector again."""
        out = np.array(bare, dtype=np.float32, copy=True).reshape(len(directions), -1)
        for row, direction in zip(out, directions, strict=True):
            if direction is not None:
                row += direction
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def signature(model: str, weight: float, terms: Sequence[str]) -> str:
    """What makes the vectors, besides the message: the model, the weight and the lay phrasings with the guide
    terms they add (a learned layer's fingerprint records it, so ``make test`` asks for a refit when one changes)."""
    return hashlib.sha256(json.dumps([model, weight, sorted(terms)]).encode()).hexdigest()


def configured_signature() -> str:
    """``signature`` of the configured embedder, weight and lay vocabulary (its phrasings and what each adds)."""
    from index.vocabulary import LayVocabulary
    from settings import load_settings

    settings = load_settings()
    return signature(settings.embedder.model, settings.retrieval.expansion_weight, LayVocabulary.load().readings)
