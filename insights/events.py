"""The two events the clinic's figures are made of: a reply served, and a vote on one.

An event is built on the request path from what the reply already knows (its
kind, tier, sign labels, citations), so it costs microseconds, and holds
nothing that identifies who asked: no address, no session, the time only to
the hour. A patient's words enter an event only when ``[privacy]`` allows it,
and then redacted (``insights.redact``): by default ``question`` is ``None``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts import Answer, ReplyKind, Tier
from insights.redact import redact
from settings import PrivacySettings

# The reply kinds the clinic sees: every ``ReplyKind`` (a kind added there is counted with no change here), plus
# "urgent", an answer that led with a see-a-doctor-today text, and "refused", a message the server would not
# answer (too long, too fast) but still triaged.
EXTRA_KINDS = ("urgent", "refused")
KINDS = (*(str(k) for k in ReplyKind), *EXTRA_KINDS)
UNANSWERED_KINDS = ("decline", "no_answer")  # whose text [privacy] store_questions keeps
CHANNELS = ("api", "chat")  # POST /api/ask (the widget and other clients), or the chat page and its /chat endpoint
VOTES = ("up", "down")
DEFAULT_REASON = "other"
MAX_SCOPE_CHARS = 128  # a client's vote id is a short random string; anything longer is not one
MAX_LABEL_CHARS = 200  # sign labels, sections and intents are the project's own strings; this only bounds a surprise


def hour_of(moment: datetime | None = None) -> int:
    """The hour an event happened, UTC, as the integer YYYYMMDDHH (never finer: the minute could single someone out)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return int(moment.strftime("%Y%m%d%H"))


def answer_hash(text: str) -> str:
    """What ties a vote to the reply it is about: both carry the reply's text, neither stores it."""
    return hashlib.sha256(text.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def new_id() -> str:
    return uuid.uuid4().hex


def vote_key(channel: str, scope: str | None, answer_text: str) -> str:
    """Which stored vote a vote replaces: the same reply, voted on in the same place (a changed vote updates it).

    ``scope`` names the reply where the patient saw it: the widget's random id for
    that answer, or the chat page's session and message index. Only this one-way
    hash is stored, never the scope itself. A vote without a scope is a new vote.
    """
    if not isinstance(scope, str) or not scope.strip() or len(scope) > MAX_SCOPE_CHARS:
        return new_id()
    return hashlib.sha256("\x1f".join(("vote", channel, scope.strip(), answer_hash(answer_text))).encode()).hexdigest()[:32]


def _label(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:MAX_LABEL_CHARS] or None


@dataclass(frozen=True)
class ReplyEvent:
    """One reply served: what kind, how urgent, what it cited, how fast; the question's text only if allowed."""

    id: str
    hour: int
    channel: str
    kind: str
    triage: str
    signs: tuple[str, ...]
    citations: tuple[tuple[str, str], ...]  # (treatment, section), each once
    topic: str | None  # the treatment retrieval ranked first: what an unanswered question was about
    intent: str | None  # answering's reading of the question, when it provides one
    language: str
    latency_ms: float
    answer_hash: str | None
    question: str | None  # redacted; None unless [privacy] keeps this kind's text


@dataclass(frozen=True)
class VoteEvent:
    """A thumbs up or down on a reply, with its reason; tied to the reply by the hash of its text."""

    id: str
    key: str  # what a changed vote on the same reply replaces (``vote_key``)
    hour: int
    channel: str
    vote: str
    reason: str | None  # one of [insights] vote_reasons, "other" for anything else, None when none was given
    answer_hash: str
    question: str | None  # redacted; only with [privacy] store_all_questions
    note: str | None  # a reason typed in the patient's own words, redacted; only with [privacy] store_questions


def reply_kind(kind: ReplyKind | str, triage: Tier | str) -> str:
    """The clinic's kind: the reply's path, with an answer that led with the urgent text counted as "urgent"."""
    kind = str(kind)
    if str(triage) == Tier.URGENT and kind not in (ReplyKind.EMERGENCY, ReplyKind.CRISIS):
        return "urgent" if kind == ReplyKind.ANSWER else kind
    return kind


def keeps_question(kind: str, privacy: PrivacySettings) -> bool:
    """Whether [privacy] lets this kind of reply keep the question's (redacted) text."""
    return privacy.store_questions and (privacy.store_all_questions or kind in UNANSWERED_KINDS)


def _stored(text: Any, keep: bool) -> str | None:
    if not keep or not isinstance(text, str):
        return None
    return redact(text) or None


def reply_event(answer: Answer, message: Any, channel: str, latency_ms: float, privacy: PrivacySettings,
                now: datetime | None = None) -> ReplyEvent:
    """The event for a reply the assistant composed."""
    kind = reply_kind(answer.kind, answer.triage)
    citations = tuple(dict.fromkeys((c.treatment, c.section[:MAX_LABEL_CHARS]) for c in answer.citations))
    return ReplyEvent(
        id=new_id(),
        hour=hour_of(now),
        channel=channel,
        kind=kind,
        triage=str(answer.triage),
        signs=tuple(dict.fromkeys(s for s in (_label(x) for x in answer.signs) if s)),
        citations=citations,
        topic=answer.retrieved[0].treatment if answer.retrieved else None,
        intent=_label(answer.intent),
        language=answer.language,
        latency_ms=round(float(latency_ms), 3),
        answer_hash=answer_hash(answer.text),
        question=_stored(message, keeps_question(kind, privacy)),
    )


def refused_event(triage: str, language: str, message: Any, channel: str, latency_ms: float, privacy: PrivacySettings,
                  now: datetime | None = None) -> ReplyEvent:
    """The event for a message the server refused to answer (too long, too fast), which still got its safety text."""
    return ReplyEvent(
        id=new_id(), hour=hour_of(now), channel=channel, kind="refused", triage=str(triage), signs=(), citations=(),
        topic=None, intent=None, language=language or "en", latency_ms=round(float(latency_ms), 3), answer_hash=None,
        question=_stored(message, keeps_question("refused", privacy)),
    )


def reason_slug(text: str) -> str:
    """A reason's label: lower case, apostrophes dropped, anything else not a letter or digit an underscore."""
    return "_".join(re.sub(r"[^\w]+", " ", text.lower().replace("'", "").replace("’", "")).replace("_", " ").split())


def reason_label(reason: Any, known: Iterable[str]) -> tuple[str | None, bool]:
    """A vote's reason as one of the ``known`` labels ("hard_to_read", or "Hard to read" → "hard_to_read"),
    else "other" (None: no reason).

    The second value says whether the reason was free text: then it is the
    patient's own words, kept only as a redacted note when [privacy] allows.
    """
    if not isinstance(reason, str) or not reason.strip():
        return None, False
    slug = reason_slug(reason)
    if slug in {reason_slug(k) for k in known}:
        return slug, False
    return DEFAULT_REASON, True


def vote_event(vote: str, reason: Any, question: Any, answer_text: str, channel: str, privacy: PrivacySettings,
               reasons: Iterable[str], now: datetime | None = None, scope: str | None = None) -> VoteEvent:
    """The event for a thumbs up or down ("up" | "down"); raises ``ValueError`` for any other vote.

    ``scope`` ties it to one reply as the patient saw it (``vote_key``): a later vote with the same scope replaces it.
    """
    if vote not in VOTES:
        raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
    label, free_text = reason_label(reason, reasons)
    return VoteEvent(
        id=new_id(),
        key=vote_key(channel, scope, answer_text),
        hour=hour_of(now),
        channel=channel,
        vote=vote,
        reason=label,
        answer_hash=answer_hash(answer_text),
        question=_stored(question, privacy.store_questions and privacy.store_all_questions),
        note=_stored(reason, free_text and privacy.store_questions),
    )
