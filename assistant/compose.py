"""Compose a reply from the guide's own sentences, each followed by its citation marker.

Grounded by construction: the composer never writes a claim. It picks whole
sentences (or comparison-table cells) that ingest cut from the source, puts the
one that best answers the question first, adds a few supporting ones in the
guide's order, and numbers a citation for each — so every sentence carries a
marker and every number in it is in the quoted passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.types import Citation
from index.text import tokenize

_EMOJI_MARKERS = re.compile(r"\s*[🔄⚡📊💡⭐]\s*")


@dataclass(frozen=True)
class ComposerTuning:
    """Weights and limits; tuned on the development set (see tests/test_compose.py)."""

    max_sentences: int = 4
    min_sentences: int = 2
    lexical_weight: float = 0.25  # share of query words a sentence contains
    chunk_weight: float = 0.15  # how much the chunk's retrieval rank counts
    keep_within: float = 0.12  # supporting sentences score at least best - this
    min_score: float = 0.30  # below this the guide has no answer worth quoting
    redundancy: float = 0.88  # cosine above which two sentences say the same thing
    cross_max_rows: int = 5


@dataclass(frozen=True)
class Scored:
    sentence: dict[str, Any]
    vector: np.ndarray
    score: float


@dataclass(frozen=True)
class Composition:
    """What the composer chose: Markdown lines with markers, and their citations."""

    markdown: str
    citations: list[Citation]
    best_score: float
    treatments: tuple[str, ...]


def score_sentences(
    query_vector: np.ndarray,
    query_tokens: set[str],
    sentences: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    chunk_rank: dict[str, int],
    tuning: ComposerTuning,
) -> list[Scored]:
    """Cosine to the question, plus word overlap, plus the retrieval rank of the sentence's chunk."""
    if not len(sentences):
        return []
    cosines = vectors @ query_vector.ravel()
    scored = []
    for sentence, vector, cosine in zip(sentences, vectors, cosines):
        words = set(tokenize(sentence["text"]))
        overlap = len(words & query_tokens) / max(len(query_tokens), 1)
        rank = chunk_rank.get(sentence["chunk_id"], 10)
        score = float(cosine) + tuning.lexical_weight * overlap + tuning.chunk_weight / rank
        scored.append(Scored(sentence, vector, score))
    return sorted(scored, key=lambda s: -s.score)


def select(scored: list[Scored], tuning: ComposerTuning) -> list[Scored]:
    """The best sentence, then supporting ones close to it in score and not repeating it."""
    if not scored or scored[0].score < tuning.min_score:
        return []
    best = scored[0]
    chosen = [best]
    for candidate in scored[1:]:
        if len(chosen) >= tuning.max_sentences:
            break
        close = candidate.score >= best.score - tuning.keep_within
        if not close and len(chosen) >= tuning.min_sentences:
            break
        if candidate.score < tuning.min_score:
            break
        if any(float(candidate.vector @ c.vector) > tuning.redundancy for c in chosen):
            continue
        if candidate.sentence["text"] in {c.sentence["text"] for c in chosen}:
            continue
        chosen.append(candidate)
    # Answer first, then the rest in the order the guide tells it.
    rest = sorted(chosen[1:], key=lambda s: (s.sentence["source"], s.sentence["position"]))
    return [best] + rest


def _span(chunk: dict[str, Any], start: int, end: int) -> str:
    """Source text between two offsets inside ``chunk`` (chunks are verbatim spans of their source)."""
    return chunk["text"][start - chunk["start"] : end - chunk["start"]]


def _adjacent(a: dict[str, Any], b: dict[str, Any], chunks: dict[str, dict[str, Any]]) -> bool:
    """True when b follows a in the same chunk with only white space between them."""
    if a["chunk_id"] != b["chunk_id"] or b["start"] < a["end"]:
        return False
    return not _span(chunks[a["chunk_id"]], a["end"], b["start"]).strip()


def cite(chosen: list[Scored], chunks: dict[str, dict[str, Any]]) -> tuple[list[str], list[Citation]]:
    """Sentences with markers; adjacent sentences of one passage share one citation (one verbatim span)."""
    groups: list[list[dict[str, Any]]] = []
    for item in chosen:
        s = item.sentence
        if groups and _adjacent(groups[-1][-1], s, chunks):
            groups[-1].append(s)
        else:
            groups.append([s])
    lines, citations = [], []
    for n, group in enumerate(groups, start=1):
        first, start, end = group[0], group[0]["start"], group[-1]["end"]
        quote = _span(chunks[first["chunk_id"]], start, end)
        citations.append(Citation(n, first["source"], first["treatment"], first["section"], quote, start, end))
        lines.extend(f"{render_sentence(s)} [{n}]" for s in group)
    return lines, citations


def render_sentence(sentence: dict[str, Any]) -> str:
    """A quoted sentence as shown; a table cell gets its row and column names."""
    if sentence.get("kind") == "cell":
        value = _EMOJI_MARKERS.sub(" ", sentence["text"]).strip()
        return f"**{sentence['title']}**: {sentence['label'].lower()}: {value}"
    return sentence["text"].strip()


def compose(
    query_vector: np.ndarray,
    query_tokens: set[str],
    sentences: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    chunk_rank: dict[str, int],
    chunks: dict[str, dict[str, Any]],
    tuning: ComposerTuning,
) -> Composition | None:
    """A cited paragraph answering the question, or None when nothing scores high enough."""
    scored = score_sentences(query_vector, query_tokens, sentences, vectors, chunk_rank, tuning)
    chosen = select([s for s in scored if s.sentence.get("kind") != "cell"], tuning)
    if not chosen:
        return None
    lines, citations = cite(chosen, chunks)
    treatments = tuple(dict.fromkeys(c.sentence["treatment"] for c in chosen))
    return Composition(" ".join(lines), citations, chosen[0].score, treatments)


def compose_across(
    query_vector: np.ndarray,
    query_tokens: set[str],
    cells: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    chunks: dict[str, dict[str, Any]],
    tuning: ComposerTuning,
) -> Composition | None:
    """A comparison answer: for each fitting treatment, its best-matching table cell, as a list."""
    scored = score_sentences(query_vector, query_tokens, cells, vectors, {}, tuning)
    best_per_treatment: dict[str, Scored] = {}
    for item in scored:
        best_per_treatment.setdefault(item.sentence["treatment"], item)
    ranked = sorted(best_per_treatment.values(), key=lambda s: -s.score)
    if not ranked or ranked[0].score < tuning.min_score:
        return None
    top = ranked[0].score
    chosen = [s for s in ranked if s.score >= top - tuning.keep_within][: tuning.cross_max_rows]
    if len(chosen) < 2:
        chosen = ranked[:2]
    lines, citations = cite(chosen, chunks)
    treatments = tuple(s.sentence["treatment"] for s in chosen)
    return Composition("\n".join(f"- {line}" for line in lines), citations, top, treatments)
