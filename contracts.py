"""The records every layer shares: what ingest writes, what answering returns, what a tier means.

The data flows one way (guide → ingest → index → safety → answering → app, eval,
API) and these types are what passes between the layers. The on-disk and JSON
forms are contracts that the evaluation set, the API and outside tools rely on;
``docs/contracts.md`` documents them, and a change here is a change there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeVar
from urllib.parse import quote


class Tier(StrEnum):
    """How urgently a message needs care, least severe first; the most severe in a conversation wins.

    Each tier carries its policy: whether its text replaces the answer (the
    patient must act now, treatment tips would only distract) or leads it.
    """

    NONE = "none"
    URGENT = "urgent"
    CRISIS = "crisis"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """0 for none … 3 for emergency (emergency > crisis > urgent > none)."""
        return _TIER_ORDER.index(self)

    @property
    def replaces_answer(self) -> bool:
        """Emergency and crisis replies show their text and the referral only: no tips, no doses."""
        return self in (Tier.EMERGENCY, Tier.CRISIS)

    @property
    def leads_answer(self) -> bool:
        """An urgent reply puts its text before the answer."""
        return self is Tier.URGENT

    @staticmethod
    def most_severe(tiers: Iterable[Tier]) -> Tier:
        return max(tiers, key=lambda t: t.rank, default=Tier.NONE)


_TIER_ORDER = (Tier.NONE, Tier.URGENT, Tier.CRISIS, Tier.EMERGENCY)


class ReplyKind(StrEnum):
    """The path a reply took (``Answer.kind``): one value per way the assistant can answer."""

    ANSWER = "answer"
    DECLINE = "decline"
    NO_ANSWER = "no_answer"
    GREETING = "greeting"
    EMPTY = "empty"
    ERROR = "error"
    EMERGENCY = "emergency"
    CRISIS = "crisis"
    LANGUAGE = "language"  # a message in another enabled language: "I answer in English", in that language
    CLINIC = "clinic"  # a question about the clinic itself (hours, prices, booking), answered from its settings


class PartKind(StrEnum):
    """One block of a reply, so a UI can style the emergency notice or the referral apart."""

    EMERGENCY = "emergency"
    CRISIS = "crisis"
    URGENT = "urgent"
    ANSWER = "answer"
    CROSS = "cross"  # an answer across treatments, from the comparison table
    SOURCES = "sources"
    CAUTION = "caution"
    GREETING = "greeting"
    DECLINE = "decline"
    NO_ANSWER = "no_answer"
    EMPTY = "empty"
    ERROR = "error"
    NOTICE = "notice"  # a short notice (the language one, an over-long message)
    REFERRAL = "referral"


class Message(TypedDict):
    """One turn of a conversation as the assistant reads it (Gradio's messages format, text only)."""

    role: Literal["user", "assistant"]
    content: str


def content_text(content: Any) -> str:
    """Text of a message's content: a string, or Gradio's list of ``{"type": "text", "text": ...}`` blocks.

    Clients may send anything; what is not text reads as "".
    """
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        text = content.get("text")
        return text if content.get("type", "text") == "text" and isinstance(text, str) else ""
    if isinstance(content, (list, tuple)):
        return " ".join(content_text(block) for block in content if isinstance(block, (str, dict)))
    return ""


def user_texts(history: Any, limit: int) -> list[str]:
    """The patient's last ``limit`` non-empty messages in ``history``, most recent first (malformed turns skipped)."""
    if not isinstance(history, (list, tuple)):
        return []
    texts: list[str] = []
    for turn in reversed(history):
        if len(texts) >= limit:
            break
        if isinstance(turn, dict) and turn.get("role") == "user" and (text := content_text(turn.get("content"))).strip():
            texts.append(text)
    return texts


# -- what ingest writes and the index loads ------------------------------------------------------


_R = TypeVar("_R", "Chunk", "Sentence")


class RecordError(ValueError):
    """A stored record lacks a field or has one of the wrong type."""


def _from_record(cls: type[_R], record: Mapping[str, Any]) -> _R:
    """Build a record type from its JSON form; keys it does not know are ignored (newer writers may add some)."""
    names = {f.name for f in fields(cls)}
    try:
        return cls(**{key: value for key, value in record.items() if key in names})
    except TypeError as exc:  # a required field is missing
        raise RecordError(f"{cls.__name__} record is malformed: {exc}") from None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrieval unit, one line of ``chunks.jsonl``: a verbatim span of a source (``source[start:end] == text``)."""

    id: str
    source: str
    treatment: str  # a treatment id (data/structure.toml) or an id made from another source's heading
    title: str  # the treatment's (or part's) title in the source
    section: str  # heading path, "Heat and Cold Therapy › Practical Examples"
    text: str
    start: int
    end: int
    prefix: str = ""  # headings (and, for table rows, labelled cells) put in front at embedding time

    @property
    def embedding_text(self) -> str:
        return f"{self.prefix}\n{self.text}"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Chunk:
        return _from_record(cls, record)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A quotable unit, one line of ``sentences.jsonl``: a sentence, a bullet's sentence or a table cell."""

    id: str
    chunk_id: str
    source: str
    treatment: str
    title: str
    section: str
    text: str
    start: int
    end: int
    kind: Literal["sentence", "cell"]
    label: str  # the column name of a table cell, "" otherwise
    position: int  # order in the source, so an answer can keep the guide's order
    block: int  # start offset of the paragraph, bullet or row it comes from
    block_kind: Literal["paragraph", "bullet", "table_row"]  # a later sentence of a bullet needs its first

    @property
    def is_cell(self) -> bool:
        return self.kind == "cell"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Sentence:
        return _from_record(cls, record)


# -- what answering returns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    """Where one claim of an answer comes from: a verbatim span of a source."""

    n: int
    source: str
    treatment: str
    section: str
    quote: str
    start: int
    end: int

    def label(self) -> str:
        """How the source list shows it: "[1] Heat and Cold Therapy › Implementing a Balanced Approach"."""
        return f"[{self.n}] {self.section}"


def guide_link(guide_url: str, quote_text: str) -> str:
    """A link to a quoted passage in the clinic's published guide (a text fragment of its first words)."""
    fragment = quote(" ".join(quote_text.split()[:6]), safe="")
    return f"{guide_url}#:~:text={fragment}"


@dataclass(frozen=True)
class Part:
    """One block of the reply (see ``PartKind``) as Markdown.

    ``prompt`` names the clinic text it was rendered from (``prompts/<lang>/<prompt>.md``:
    "risk_pregnancy", "referral"); it is empty for the guide's own quoted sentences.
    """

    kind: PartKind
    markdown: str
    prompt: str = ""


@dataclass(frozen=True)
class RetrievedPassage:
    """A chunk retrieval returned for the question (the evaluation scores these)."""

    chunk_id: str
    treatment: str
    section: str
    score: float


@dataclass
class Answer:
    """What ``answer(message, history)`` returns to the chat, the widget, the API and the evaluation."""

    parts: list[Part]
    citations: list[Citation]
    triage: Tier
    out_of_scope: bool
    timings_ms: dict[str, float]
    signs: list[str] = field(default_factory=list)  # patient-facing labels of the red flags found
    retrieved: list[RetrievedPassage] = field(default_factory=list)
    kind: ReplyKind = ReplyKind.ANSWER
    language: str = "en"  # the language the reply's safety texts are in

    @property
    def text(self) -> str:
        """The whole reply as Markdown; the referral text is always the last block."""
        return "\n\n".join(p.markdown for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``/api/ask``): the contract fields, ``answer`` holding the text."""
        return {
            "answer": self.text,
            "citations": [asdict(c) for c in self.citations],
            "triage": str(self.triage),
            "out_of_scope": self.out_of_scope,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "signs": list(self.signs),
            "kind": str(self.kind),
            "language": self.language,
            "parts": [{"kind": str(p.kind), "markdown": p.markdown, "prompt": p.prompt} for p in self.parts],
            "retrieved": [asdict(r) for r in self.retrieved],
        }
