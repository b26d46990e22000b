"""Red-flag triage: does the reply have to lead with "call the emergency number now"
(``emergency``), the crisis line (``crisis``), "see a doctor today" (``urgent``), or none?

Decided from the patient's own words before anything else happens, and without
retrieval, so a broken index can never hide an emergency. The tiers follow the
NHS back-pain and cauda equina guidance (``docs/contracts.md`` lists them).

How a conversation is read:

- Every user message of the conversation is read, the newest and every earlier
  one (assistant turns are ignored: the bot's own emergency text must never
  trigger anything). The tier is the most severe over all of them, so once a
  patient has said their bum is numb, "what about heat?" still gets the
  emergency reply, however long ago they said it.
- Each message is read by the signals:
  the **rules** (``red_flags``) of English and, when the message is in another
  enabled language, of that language too: high-precision phrasings that know
  negation, hypotheticals and other people;
  the **learned** layer (``learned``) over the message's query embedding and its
  character n-grams, for words no phrase list has.
- The final tier is the most severe that survives negation: a learned vote is
  dropped when the rules read a sign of the same tier in that message and set
  it aside ("no numbness"); an English-rule match in a message in another
  language is dropped when that language's rules set the same sign aside.
- Third parties: someone else's symptoms happening now still count (the
  texts then speak about them); their history and risk factors do not.
- Errs toward caution: a mention counts unless its context clearly says otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any

import numpy as np

from contracts import Tier, content_text, user_texts
from embedding.background import DuringModelCall
from rules.locale import DEFAULT_LANGUAGE, data_file
from safety.language import LanguageDetector
from safety.learned import LearnedSignal
from safety.red_flags import Reading, RedFlagRules, SignMatch

log = logging.getLogger("safety")

MAX_USER_MESSAGES = 200  # the API takes at most [server] max_history_messages; this bounds a direct caller
ACROSS_MESSAGES = 3  # the newest message and the two before are also read as one ("across_sentences" phrasings: "took 3 tizanidine" / "the prescription says 1" / "what should I do?")
_CACHED_MESSAGES = 1024
_CACHED_CHARS = 4000  # longer messages are read every time rather than kept in memory

Embed = Callable[[list[str]], np.ndarray]  # texts -> their query vectors, one row each


@dataclass(frozen=True)
class _WithoutVectors:
    """What triage reads of a conversation without the query vectors (while they are computed)."""

    readings: list[Reading]  # the rules' reading of each message, newest first
    across: tuple[SignMatch, ...]  # the rules' reading of the newest messages as one
    language: str  # of the newest message


@dataclass(frozen=True)
class TriageResult:
    """The verdict over the conversation; ``set_aside`` explains the mentions that did not count."""

    tier: Tier
    signs: tuple[SignMatch, ...]  # the signs that fired (all tiers), most severe first
    set_aside: tuple[str, ...]  # mentions found but not counted, with why ("negated: no fever")
    language: str = DEFAULT_LANGUAGE  # the language of the newest message (the reply's safety texts use it)

    def labels(self, tier: Tier | None = None) -> list[str]:
        """The patient-facing labels of the signs (of one tier), each once."""
        return list(dict.fromkeys(s.label for s in self.signs if tier is None or s.tier is tier))


class Triage:
    """The signals, loaded once; ``assess`` is then cheap and never raises.

    One instance is shared by all requests: it holds no per-request state (the
    caches of read messages are thread-safe).
    """

    def __init__(
        self, rules: Mapping[str, RedFlagRules], learned: LearnedSignal | None = None, detector: LanguageDetector | None = None,
    ) -> None:
        self.rules = dict(rules)
        self.english = self.rules[DEFAULT_LANGUAGE]
        self.learned = learned
        self.detector = detector or LanguageDetector([DEFAULT_LANGUAGE])
        self._texts = {s.id: s.text for s in self.english.signs}
        # A conversation's earlier messages come back with every new one: read each once.
        self._read_cached = lru_cache(maxsize=_CACHED_MESSAGES)(self._read_rules)
        self._language_cached = lru_cache(maxsize=_CACHED_MESSAGES)(self.detector.detect)

    def forget_messages(self) -> None:
        """Drop the remembered readings of messages (the latency benchmark reads every question as new)."""
        self._read_cached.cache_clear()
        self._language_cached.cache_clear()
        self.detector.forget_messages()

    @classmethod
    def load(cls, languages: Sequence[str] = (DEFAULT_LANGUAGE,), learned: LearnedSignal | None = None, min_confidence: float = 0.75) -> Triage:
        """Load and compile the red-flag data of ``languages`` that have it (raises ``RulesError`` naming file, key and line)."""
        enabled = [lang for lang in dict.fromkeys([DEFAULT_LANGUAGE, *languages]) if lang == DEFAULT_LANGUAGE or data_file("red_flags.toml", lang).exists()]
        rules = {lang: RedFlagRules.load(lang) for lang in enabled}
        return cls(rules, learned, LanguageDetector(list(dict.fromkeys([DEFAULT_LANGUAGE, *languages])), min_confidence))

    def language_of(self, text: str) -> str:
        return self._language_cached(text) if len(text) <= _CACHED_CHARS else self.detector.detect(text)

    def assess(self, message: Any, history: Any = None, embed: Embed | None = None) -> TriageResult:
        """Triage ``message`` in its conversation (Gradio messages format; malformed turns are skipped).

        ``embed`` gives the query vectors the answer uses, for the learned layer;
        without it (or if it fails) the rules decide alone.
        """
        texts = [content_text(message), *user_texts(history, MAX_USER_MESSAGES)]
        if embed is not None and self.learned is not None:
            # What needs no vector is read on a worker while this thread waits in the embedding's model call.
            with DuringModelCall(partial(self._read_without_vectors, texts, learned=True)) as reading:
                vectors = self._vectors(texts, embed)
                read = reading.result()
        else:
            read, vectors = self._read_without_vectors(texts, learned=False), None
        found: list[SignMatch] = []
        set_aside: list[str] = []
        for turn, (text, rules) in enumerate(zip(texts, read.readings, strict=True)):
            matches = list(rules.found)
            if vectors is not None and text.strip():
                matches += self._learned(text, vectors[turn], rules)
            found += [replace(match, turn=turn) for match in matches]
            suffix = f" (earlier message {turn})" if turn else ""
            set_aside += [why + suffix for why in rules.set_aside]
        found += read.across
        language = read.language
        signs = self._labelled(_most_severe_first(found), language)
        return TriageResult(signs[0].tier if signs else Tier.NONE, signs, tuple(dict.fromkeys(set_aside)), language)

    # -- the signals ---------------------------------------------------------------------------

    def _read_without_vectors(self, texts: list[str], learned: bool) -> _WithoutVectors:
        """The rules on each message and across the newest ones, the language, and (``learned``: when the vectors
        are coming) the n-grams the learned layer will read."""
        readings = [self._read(text) for text in texts]
        recent_oldest_first = texts[ACROSS_MESSAGES - 1 :: -1]
        across = self.english.read_across(recent_oldest_first)
        own = self.rules.get(self.detector.rules_language(texts[0]))
        if own is not None and own is not self.english:  # "Mon père a un anévrisme. Il vient d'avoir une douleur soudaine"
            across += own.read_across(recent_oldest_first)
        if learned and self.learned is not None:
            for text in texts:
                self.learned.prepare(text)
        return _WithoutVectors(readings, across, self.language_of(texts[0]))

    def _read(self, text: str) -> Reading:
        return self._read_cached(text) if len(text) <= _CACHED_CHARS else self._read_rules(text)

    def _read_rules(self, text: str) -> Reading:
        """English rules always; the message's own language's rules too, which overrule English ones they set aside.

        The own language is the detector's guess even when too unsure for the reply's texts (``rules_language``).
        """
        english = self.english.read(text)
        language = self.detector.rules_language(text)  # this reading is cached per message; the detector's confidences too
        own = self.rules.get(language)
        if own is None or own is self.english:
            # the English words a sign needs say nothing of a message in another language, even with languages off
            return english if not english.unnamed_signs or self.detector.says_in_english(text) else replace(english, unnamed_signs=frozenset())
        native = own.read(text)
        kept = [m for m in english.found if m.sign not in native.set_aside_signs]
        signs = {m.sign for m in native.found}
        return Reading(
            (*native.found, *(m for m in kept if m.sign not in signs)),
            (*native.set_aside, *english.set_aside),
            native.set_aside_signs | english.set_aside_signs,
            native.absent_signs | english.absent_signs,
            native.unnamed_signs,  # English words a message in another language would never say do not gate its votes
        )

    def quieted_tiers(self, reading: Reading) -> set[Tier]:
        """The tiers whose learned votes a message's rule reading drops: those of the signs it read and set aside
        (negated, excluded, someone's past), as the same words read the other way, unless the sign says
        ``quiets_learned = false`` (stroke, meningitis, sepsis: the learned layer has no class for them)."""
        return {s.tier for s in self.english.signs if s.id in reading.set_aside_signs and s.quiets_learned}

    def _learned(self, text: str, vector: np.ndarray, reading: Reading) -> list[SignMatch]:
        """The learned votes that survive: not of a tier whose signs the rules read here and set aside."""
        assert self.learned is not None
        counted = {m.tier for m in reading.found}
        set_aside = self.quieted_tiers(reading)
        votes = []
        for vote in self.learned.votes(text, vector):
            if vote.tier in counted or vote.tier in set_aside or vote.sign in reading.learned_may_not_name:
                continue  # the rules already said it, or read it and set it aside, or the patient said it is absent or
                # said none of its words
            votes.append(SignMatch(vote.sign, vote.tier, vote.sign, "", 0, self._texts.get(vote.sign, "urgent"), source="learned"))
        return votes

    def _vectors(self, texts: list[str], embed: Embed) -> np.ndarray | None:
        assert self.learned is not None
        try:
            vectors = np.asarray(embed(texts), dtype=np.float32).reshape(len(texts), -1)
        except Exception:  # the rules still decide: a broken embedder must never hide a red flag
            log.exception("query vectors unavailable; triage reads the rules alone")
            return None
        if vectors.shape[1] != self.learned.dimension:
            log.warning("the learned red-flag layer was fitted on %d-dimension vectors, not %d: rules alone", self.learned.dimension, vectors.shape[1])
            return None
        return vectors

    def _labelled(self, signs: Iterable[SignMatch], language: str) -> tuple[SignMatch, ...]:
        """The signs with their labels in the reply's language (English where it has none)."""
        own = self.rules.get(language, self.english).labels
        return tuple(replace(s, label=own.get(s.sign) or self.english.labels.get(s.sign, s.label)) for s in signs)


def _most_severe_first(found: Iterable[SignMatch]) -> tuple[SignMatch, ...]:
    """One match per sign (its most recent mention), the most severe tier first, then by recency."""
    first: dict[str, SignMatch] = {}
    for match in sorted(found, key=lambda m: (-m.tier.rank, m.turn)):
        first.setdefault(match.sign, match)
    return tuple(first.values())
