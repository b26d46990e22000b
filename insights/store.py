"""Writing events and erasing old text: what the writer thread does with its connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from insights.db import Database
from insights.events import ReplyEvent, VoteEvent, hour_of

Event = ReplyEvent | VoteEvent


def write_events(db: Database, events: Sequence[Event]) -> None:
    """Insert a batch in one transaction: all of it is stored, or none (the caller counts what was dropped).

    A reply is one new row; a vote is one row per reply voted on, updated when the patient changes it.
    """
    replies = [e for e in events if isinstance(e, ReplyEvent)]
    votes = [e for e in events if isinstance(e, VoteEvent)]
    with db.transaction():
        db.executemany(
            "INSERT INTO replies (id, hour, channel, kind, triage, topic, intent, language, latency_ms, answer_hash, question) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.id, e.hour, e.channel, e.kind, e.triage, e.topic, e.intent, e.language, e.latency_ms, e.answer_hash, e.question)
             for e in replies],
        )
        db.executemany("INSERT INTO reply_signs (reply_id, sign) VALUES (?, ?)", [(e.id, s) for e in replies for s in e.signs])
        db.executemany(
            "INSERT INTO reply_citations (reply_id, treatment, section) VALUES (?, ?, ?)",
            [(e.id, t, s) for e in replies for t, s in e.citations],
        )
        # A vote on a reply already voted on (the same key) replaces the earlier one: one row per reply, its latest vote.
        db.executemany(
            "INSERT INTO votes (id, vote_key, hour, channel, vote, reason, answer_hash, question, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (vote_key) DO UPDATE SET hour = excluded.hour, vote = excluded.vote, reason = excluded.reason, "
            "question = excluded.question, note = excluded.note, changed = votes.changed + 1",
            [(e.id, e.key, e.hour, e.channel, e.vote, e.reason, e.answer_hash, e.question, e.note) for e in votes],
        )


def retention_cutoff(retention_days: int, now: datetime | None = None) -> int:
    """The first hour whose text is still kept: events before it lose their text."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return hour_of(now - timedelta(days=retention_days))


def purge_text(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Erase stored question texts and notes older than ``retention_days``; the labels and counts stay. Returns rows changed."""
    cutoff = retention_cutoff(retention_days, now)
    with db.transaction():
        before = _texts(db, cutoff)
        db.execute("UPDATE replies SET question = NULL WHERE question IS NOT NULL AND hour < ?", (cutoff,))
        db.execute("UPDATE votes SET question = NULL, note = NULL WHERE (question IS NOT NULL OR note IS NOT NULL) AND hour < ?", (cutoff,))
    return before


def _texts(db: Database, cutoff: int) -> int:
    replies = db.scalar("SELECT COUNT(*) FROM replies WHERE question IS NOT NULL AND hour < ?", (cutoff,))
    votes = db.scalar("SELECT COUNT(*) FROM votes WHERE (question IS NOT NULL OR note IS NOT NULL) AND hour < ?", (cutoff,))
    return int(replies or 0) + int(votes or 0)
