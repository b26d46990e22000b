"""The ``Answer`` contract shared by the chat, the JSON API and the evaluation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Part:
    """One block of the reply, so a UI can style the emergency notice or the referral apart.

    ``kind`` is one of: emergency, urgent, answer, cross, sources, caution, greeting,
    decline, no_answer, empty, error, referral.
    """

    kind: str
    markdown: str


@dataclass(frozen=True)
class RetrievedPassage:
    """A chunk retrieval returned for the question (the evaluation scores these)."""

    chunk_id: str
    treatment: str
    section: str
    score: float


@dataclass
class Answer:
    parts: list[Part]
    citations: list[Citation]
    triage: str  # "none" | "urgent" | "emergency"
    out_of_scope: bool
    timings_ms: dict[str, float]
    signs: list[str] = field(default_factory=list)  # patient-facing labels of the red flags found
    retrieved: list[RetrievedPassage] = field(default_factory=list)
    kind: str = "answer"  # the reply path: answer, emergency, greeting, decline, no_answer, empty, error

    @property
    def text(self) -> str:
        """The whole reply as Markdown; the referral text is always the last block."""
        return "\n\n".join(p.markdown for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``/api/ask``): the contract fields, ``answer`` holding the text."""
        return {
            "answer": self.text,
            "citations": [asdict(c) for c in self.citations],
            "triage": self.triage,
            "out_of_scope": self.out_of_scope,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "signs": list(self.signs),
            "kind": self.kind,
            "parts": [asdict(p) for p in self.parts],
            "retrieved": [asdict(r) for r in self.retrieved],
        }
