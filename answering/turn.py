"""One message being answered: what the policy steps know about it, computed once and shared.

The pipeline builds a :class:`Turn` for every message; each step reads it and
may add to it (an urgent banner to lead the reply). What costs something (the
lay-word expansion, the follow-up reading, the search and its composition) is
computed the first time a step asks for it, by the :class:`~answering.finder.PassageFinder`,
and kept for the steps after: nothing is searched twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from answering.compose import Composition
from answering.followup import Focus
from contracts import Citation, Message, Part, ReplyKind
from index.retriever import SearchResult
from index.vocabulary import Expansion
from rules.prompts import Prompts
from safety.triage import TriageResult


@dataclass
class Found:
    """A turn's search and what was composed from it."""

    search: SearchResult
    composition: Composition | None
    followed: str | None  # the earlier treatment the message was answered about, if it was a follow-up


class Finder(Protocol):
    """What computes a turn's costly readings (``answering.finder.PassageFinder``)."""

    def expand(self, turn: Turn) -> Expansion: ...

    def focus(self, turn: Turn) -> Focus: ...

    def find(self, turn: Turn) -> Found: ...


@dataclass
class Reply:
    """What a step decided, before the referral is added and the ``Answer`` is built."""

    kind: ReplyKind
    parts: list[Part]
    citations: list[Citation] = field(default_factory=list)
    out_of_scope: bool = False
    passages: tuple[str, ...] = ()  # chunk ids the reply was composed from, listed first in Answer.retrieved


@dataclass
class Turn:
    """The message (cleaned, cut to what retrieval reads), its recent history and what is known of it."""

    text: str
    history: list[Message]  # the last [answer] history_turns messages, for follow-ups
    triage: TriageResult
    mode: str  # retrieval mode: hybrid | dense | bm25
    finder: Finder
    texts: Prompts  # the clinic's texts in the reply's language
    timings: dict[str, float] = field(default_factory=dict)
    lead: list[Part] = field(default_factory=list)  # parts every reply of this turn starts with (an urgent banner)
    earlier: tuple[str, ...] = ()  # every earlier user message, newest first (who is asking: "I'm pregnant")
    written: str = ""  # the message as the patient wrote it, when ``text`` is the question it was read as (as_question)
    _expansion: Expansion | None = None
    _focus: Focus | None = None
    _found: Found | None = None

    @property
    def expansion(self) -> Expansion:
        """The guide's words for the patient's lay words ("advil" → ibuprofen, NSAIDs)."""
        if self._expansion is None:
            self._expansion = self.finder.expand(self)
        return self._expansion

    @property
    def focus(self) -> Focus:
        """The treatment an earlier message set, when this one leans on it ("is it safe with food?")."""
        if self._focus is None:
            self._focus = self.finder.focus(self)
        return self._focus

    @property
    def message(self) -> str:
        """The patient's own words: "my 8 year old's back just locked up, what do we do" says who it is for, though
        the question answered is what to do for a spasm right now."""
        return self.written or self.text

    def lean_on(self, focus: Focus) -> None:
        """Answer about ``focus`` (a step found what the message leans on: "how much should I take?"
        after "I bought some motrin"); only before the search has run."""
        if self._found is None:
            self._focus = focus

    @property
    def found(self) -> Found:
        """The search and what was composed from it (run on first use)."""
        if self._found is None:
            self._found = self.finder.find(self)
        return self._found

    @property
    def searched(self) -> Found | None:
        """The search, if a step has already run it."""
        return self._found

    def reply(self, kind: ReplyKind, *parts: Part, out_of_scope: bool = False) -> Reply:
        """A fixed-text reply, after this turn's lead parts."""
        return Reply(kind, [*self.lead, *parts], out_of_scope=out_of_scope)
