"""Thumbs up/down on answers, kept in SQLite for the clinic to review.

A row is one answer's vote: the question, the answer, the vote, for a thumbs-down
an optional reason, and the times. Nothing identifies who asked (no address, no
session, no browser). The page that shows an answer gives it a random id; a vote
sent again with that id (a patient changing their mind, or adding a reason)
updates the row instead of adding a second one, so one answer counts once.

Files written before ids and reasons existed are migrated in place when the
store opens (new nullable columns; old rows keep no id). ``python -m
clinic.feedback`` prints the rows as CSV, or a summary with ``--summary``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VOTES = ("up", "down")
# Why a thumbs-down (the chips under it); their labels are in prompts/en/interface.toml.
REASONS = ("unanswered", "wrong", "hard_to_read")
MAX_QUESTION_CHARS = 4_000
MAX_ANSWER_CHARS = 20_000
# A random id chosen by the page for each answer it shows: long enough not to be guessed.
ANSWER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SCHEMA_VERSION = 2

_TABLE = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL
)
"""
# Version 2: one row per answer (its id) and the reason for a thumbs-down.
_COLUMNS_V2 = {"answer_id": "TEXT", "reason": "TEXT", "updated_at": "TEXT"}
_INDEX_V2 = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer_id ON feedback (answer_id) WHERE answer_id IS NOT NULL"
EXPORT_FIELDS = ["id", "created_at", "updated_at", "vote", "reason", "question", "answer"]


class FeedbackStore:
    """One vote per answer in one SQLite file; safe to call from the server's worker threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_TABLE)
            _migrate(db)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: no connection is shared between threads.
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def record(self, question: str, answer: str, vote: str, answer_id: str | None = None, reason: str | None = None) -> None:
        """Store a vote ("up" or "down"), or change the one already stored for ``answer_id``.

        A reason goes with a thumbs-down only (a thumbs-up clears it). Texts are clipped so a
        client cannot fill the disk in one call; a changed vote keeps the texts of the first.
        """
        if vote not in VOTES:
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        if reason is not None and reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")
        if answer_id is not None and not ANSWER_ID.match(answer_id):
            raise ValueError("answer_id must be 16 to 64 letters, digits, '-' or '_'")
        reason = reason if vote == "down" else None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO feedback (created_at, vote, question, answer, answer_id, reason) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (answer_id) WHERE answer_id IS NOT NULL "
                "DO UPDATE SET vote = excluded.vote, reason = excluded.reason, updated_at = ?",
                (now, vote, question[:MAX_QUESTION_CHARS], answer[:MAX_ANSWER_CHARS], answer_id, reason, now),
            )

    def rows(self) -> list[dict[str, Any]]:
        """Every answer's vote, oldest first (the answer id stays in the file: it says nothing to a reader)."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(f"SELECT {', '.join(EXPORT_FIELDS)} FROM feedback ORDER BY id")]

    def summary(self) -> list[dict[str, Any]]:
        """Per question: up and down votes and the reasons given, the most disliked first."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            counts = ", ".join(f"SUM(reason = '{r}') AS {r}" for r in REASONS)
            return [
                dict(r)
                for r in db.execute(
                    f"SELECT question, SUM(vote = 'up') AS up, SUM(vote = 'down') AS down, {counts} FROM feedback "
                    "GROUP BY question ORDER BY down DESC, up ASC, question"
                )
            ]


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file of an older version up to this one (adding columns keeps every stored vote)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    present = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
    for name, kind in _COLUMNS_V2.items():
        if name not in present:
            db.execute(f"ALTER TABLE feedback ADD COLUMN {name} {kind}")
    db.execute(_INDEX_V2)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def main(argv: list[str] | None = None) -> int:
    from settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m clinic.feedback", description="Export the stored thumbs up/down as CSV.")
    parser.add_argument("--path", help="the SQLite file (default: [feedback] path in config.toml)")
    parser.add_argument("--summary", action="store_true", help="votes per question instead of every row")
    args = parser.parse_args(argv)
    settings = load_settings()
    path = Path(args.path) if args.path else settings.path(settings.feedback.path)
    if not path.exists():
        print(f"{path}: no feedback stored yet", file=sys.stderr)
        return 1
    store = FeedbackStore(path)
    rows = store.summary() if args.summary else store.rows()
    fields = ["question", "up", "down", *REASONS] if args.summary else EXPORT_FIELDS
    writer = csv.DictWriter(sys.stdout, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
