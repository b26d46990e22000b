"""The clinic's figures for a period, computed in SQL from the stored events: the page, the JSON API, the CSV and the command share them.

Everything is counted by the database (both SQLite and PostgreSQL run the
same statements), so the figures are the same whichever process serves the
page, and cover every process that writes to the database.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from insights.db import Database
from insights.events import UNANSWERED_KINDS

DEFAULT_DAYS = 30
LIST_LIMIT = 200  # rows in the page's lists (the counts above them cover every row)
NOT_RECORDED = "(not recorded)"
TRIAGE_SHOWN = ("emergency", "crisis", "urgent")
_UNANSWERED_SQL = ", ".join(f"'{k}'" for k in UNANSWERED_KINDS)  # the project's own constants, not input


class PeriodError(ValueError):
    """A period the clinic asked for is malformed; the message says how to write it."""


@dataclass(frozen=True)
class Period:
    """From ``since`` to ``until``, both days included, in UTC."""

    since: date
    until: date

    @classmethod
    def parse(cls, since: str | None, until: str | None = None, today: date | None = None, default_days: int = DEFAULT_DAYS) -> Period:
        """``YYYY-MM-DD`` strings (either may be empty: the last ``default_days`` days up to today)."""
        today = today or datetime.now(UTC).date()
        end = _day(until, "until") if until else today
        start = _day(since, "since") if since else end - timedelta(days=default_days - 1)
        if start > end:
            raise PeriodError(f"since ({start}) is after until ({end}); give the earlier day as since")
        return cls(start, end)

    @property
    def first_hour(self) -> int:
        return int(self.since.strftime("%Y%m%d")) * 100

    @property
    def end_hour(self) -> int:
        """The first hour after the period."""
        return int((self.until + timedelta(days=1)).strftime("%Y%m%d")) * 100

    def days(self) -> Iterator[date]:
        day = self.since
        while day <= self.until:
            yield day
            day += timedelta(days=1)

    def bounds(self) -> tuple[int, int]:
        return self.first_hour, self.end_hour


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{name} must be a date written YYYY-MM-DD (for example 2026-11-01), got {text!r}") from None


def hour_label(hour: int) -> str:
    """2026113014 → "2026-11-30 14:00 UTC"."""
    text = f"{hour:010d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[8:10]}:00"


def day_label(day: int) -> str:
    text = f"{day:08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}"


@dataclass(frozen=True)
class UnansweredGroup:
    kind: str
    topic: str
    intent: str
    count: int
    last_hour: int


@dataclass(frozen=True)
class StoredQuestion:
    hour: int
    kind: str
    topic: str
    intent: str
    language: str
    question: str


@dataclass(frozen=True)
class RatedDown:
    hour: int
    reason: str
    kind: str
    topic: str
    sections: tuple[str, ...]
    question: str | None
    note: str | None


@dataclass
class Summary:
    period: Period
    replies: int = 0
    by_day: list[tuple[str, int]] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_triage: dict[str, int] = field(default_factory=dict)
    by_treatment: dict[str, int] = field(default_factory=dict)
    by_section: list[tuple[str, int]] = field(default_factory=list)
    by_intent: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    signs: dict[str, int] = field(default_factory=dict)
    mean_latency_ms: float | None = None
    votes: dict[str, Any] = field(default_factory=dict)
    unanswered_groups: list[UnansweredGroup] = field(default_factory=list)
    stored_questions: list[StoredQuestion] = field(default_factory=list)
    rated_down: list[RatedDown] = field(default_factory=list)

    @property
    def safety(self) -> dict[str, int]:
        """Emergency, crisis and urgent replies (by triage tier), zeros included."""
        return {tier: self.by_triage.get(tier, 0) for tier in TRIAGE_SHOWN}

    def to_json(self) -> dict[str, Any]:
        """The figures as ``GET /clinic/api/summary`` returns them."""
        return {
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "replies": self.replies,
            "by_kind": self.by_kind,
            "by_treatment": self.by_treatment,
            "by_intent": self.by_intent,
            "votes": self.votes,
            "by_triage": self.by_triage,
            "by_day": dict(self.by_day),
            "by_language": self.by_language,
            "by_channel": self.by_channel,
            "signs": self.signs,
            "mean_latency_ms": self.mean_latency_ms,
            "unanswered": [
                {"kind": g.kind, "topic": g.topic, "intent": g.intent, "count": g.count, "last": hour_label(g.last_hour)}
                for g in self.unanswered_groups
            ],
        }

    def csv_rows(self) -> list[list[Any]]:
        """What the page shows, one row per figure or listed item, under one header."""
        rows: list[list[Any]] = [list(CSV_HEADER)]

        def add(panel: str, when: str = "", name: str = "", count: Any = "", **extra: Any) -> None:
            rows.append([panel, when, name, count, *(extra.get(k, "") for k in CSV_HEADER[4:])])

        add("period", self.period.since.isoformat(), "until", self.period.until.isoformat())
        add("replies", name="all", count=self.replies)
        for day, n in self.by_day:
            add("per_day", day, "replies", n)
        counted = (
            ("by_kind", self.by_kind.items()), ("safety", self.safety.items()), ("by_treatment", self.by_treatment.items()),
            ("by_section", self.by_section), ("by_intent", self.by_intent.items()), ("signs", self.signs.items()),
            ("by_language", self.by_language.items()),
        )
        for panel, counts in counted:
            for name, n in counts:
                add(panel, name=name, count=n)
        add("votes", name="up", count=self.votes.get("up", 0))
        add("votes", name="down", count=self.votes.get("down", 0))
        for name, n in self.votes.get("down_reasons", {}).items():
            add("down_reasons", name=name, count=n)
        for g in self.unanswered_groups:
            add("unanswered", hour_label(g.last_hour), g.kind, g.count, topic=g.topic, intent=g.intent)
        for q in self.stored_questions:
            add("unanswered_text", hour_label(q.hour), q.kind, 1, topic=q.topic, intent=q.intent, language=q.language, text=q.question)
        for d in self.rated_down:
            add("rated_down", hour_label(d.hour), d.kind, 1, topic=d.topic, reason=d.reason, sections=" | ".join(d.sections),
                text=d.question or "", note=d.note or "")
        return rows

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([[_cell(v) for v in row] for row in self.csv_rows()])
        return out.getvalue()


CSV_HEADER = ("panel", "when", "name", "count", "topic", "intent", "language", "reason", "sections", "text", "note")


def _cell(value: Any) -> Any:
    """A spreadsheet must not run a patient's words as a formula (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _ordered(rows: Sequence[tuple[Any, Any]]) -> dict[str, int]:
    """Label → count, the largest first (ties by label), NULL labels shown as "(not recorded)"."""
    pairs = [(NOT_RECORDED if k is None else str(k), int(n)) for k, n in rows]
    merged: Counter[str] = Counter()
    for k, n in pairs:
        merged[k] += n
    return dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))


def summarize(db: Database, period: Period, limit: int = LIST_LIMIT) -> Summary:
    """Every figure of the page for ``period``."""
    lo, hi = period.bounds()
    span = (lo, hi)
    in_period = "hour >= ? AND hour < ?"
    s = Summary(period)
    s.replies = int(db.scalar(f"SELECT COUNT(*) FROM replies WHERE {in_period}", span) or 0)
    per_day = {day_label(int(d)): int(n) for d, n in db.rows(f"SELECT hour / 100, COUNT(*) FROM replies WHERE {in_period} GROUP BY hour / 100", span)}
    s.by_day = [(d.isoformat(), per_day.get(d.isoformat(), 0)) for d in period.days()]
    s.by_kind = _ordered(db.rows(f"SELECT kind, COUNT(*) FROM replies WHERE {in_period} GROUP BY kind", span))
    s.by_triage = _ordered(db.rows(f"SELECT triage, COUNT(*) FROM replies WHERE {in_period} GROUP BY triage", span))
    s.by_intent = _ordered(db.rows(f"SELECT intent, COUNT(*) FROM replies WHERE {in_period} GROUP BY intent", span))
    s.by_language = _ordered(db.rows(f"SELECT language, COUNT(*) FROM replies WHERE {in_period} GROUP BY language", span))
    s.by_channel = _ordered(db.rows(f"SELECT channel, COUNT(*) FROM replies WHERE {in_period} GROUP BY channel", span))
    mean = db.scalar(f"SELECT AVG(latency_ms) FROM replies WHERE {in_period}", span)
    s.mean_latency_ms = round(float(mean), 1) if mean is not None else None
    joined = "FROM reply_citations c JOIN replies r ON r.id = c.reply_id WHERE r.hour >= ? AND r.hour < ?"
    s.by_treatment = _ordered(db.rows(f"SELECT c.treatment, COUNT(DISTINCT c.reply_id) {joined} GROUP BY c.treatment", span))
    s.by_section = list(_ordered(db.rows(f"SELECT c.section, COUNT(DISTINCT c.reply_id) {joined} GROUP BY c.section", span)).items())[:15]
    s.signs = _ordered(db.rows(
        "SELECT g.sign, COUNT(*) FROM reply_signs g JOIN replies r ON r.id = g.reply_id WHERE r.hour >= ? AND r.hour < ? GROUP BY g.sign", span
    ))
    s.votes = _votes(db, span)
    s.unanswered_groups = [
        UnansweredGroup(str(kind), topic or NOT_RECORDED, intent or NOT_RECORDED, int(n), int(last))
        for kind, topic, intent, n, last in db.rows(
            f"SELECT kind, topic, intent, COUNT(*), MAX(hour) FROM replies WHERE kind IN ({_UNANSWERED_SQL}) AND {in_period} "
            "GROUP BY kind, topic, intent ORDER BY COUNT(*) DESC, MAX(hour) DESC", span
        )
    ][:limit]
    s.stored_questions = [
        StoredQuestion(int(hour), str(kind), topic or NOT_RECORDED, intent or NOT_RECORDED, str(language), str(question))
        for hour, kind, topic, intent, language, question in db.rows(
            f"SELECT hour, kind, topic, intent, language, question FROM replies WHERE kind IN ({_UNANSWERED_SQL}) "
            f"AND question IS NOT NULL AND {in_period} ORDER BY hour DESC, id LIMIT ?", (*span, limit)
        )
    ]
    s.rated_down = _rated_down(db, span, limit)
    return s


def _votes(db: Database, span: tuple[int, int]) -> dict[str, Any]:
    counts = dict(db.rows("SELECT vote, COUNT(*) FROM votes WHERE hour >= ? AND hour < ? GROUP BY vote", span))
    reasons = _ordered(db.rows("SELECT reason, COUNT(*) FROM votes WHERE vote = 'down' AND hour >= ? AND hour < ? GROUP BY reason", span))
    return {"up": int(counts.get("up", 0)), "down": int(counts.get("down", 0)), "down_reasons": reasons}


def _rated_down(db: Database, span: tuple[int, int], limit: int) -> list[RatedDown]:
    """Down votes, newest first, each with the reply it was about: the latest reply with the same text at or before the vote."""
    votes = db.rows(
        "SELECT v.hour, v.reason, v.question, v.note, "
        "(SELECT r.id FROM replies r WHERE r.answer_hash = v.answer_hash AND r.hour <= v.hour ORDER BY r.hour DESC, r.id LIMIT 1) "
        "FROM votes v WHERE v.vote = 'down' AND v.hour >= ? AND v.hour < ? ORDER BY v.hour DESC, v.id LIMIT ?",
        (*span, limit),
    )
    ids = sorted({str(v[4]) for v in votes if v[4] is not None})
    replies: dict[str, tuple[str, str]] = {}
    sections: dict[str, list[str]] = {}
    if ids:
        marks = ", ".join("?" for _ in ids)
        replies = {str(i): (str(k), t or NOT_RECORDED) for i, k, t in db.rows(f"SELECT id, kind, topic FROM replies WHERE id IN ({marks})", ids)}
        for reply_id, section in db.rows(f"SELECT reply_id, section FROM reply_citations WHERE reply_id IN ({marks}) ORDER BY section", ids):
            sections.setdefault(str(reply_id), []).append(str(section))
    found = []
    for hour, reason, question, note, reply_id in votes:
        kind, topic = replies.get(str(reply_id), (NOT_RECORDED, NOT_RECORDED))
        found.append(RatedDown(int(hour), reason or NOT_RECORDED, kind, topic, tuple(sections.get(str(reply_id), [])), question, note))
    return found
