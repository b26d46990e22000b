"""Thumbs up/down on answers, kept in SQLite for the clinic to review.

A row is the question, the answer, the vote and the time: nothing that
identifies who asked (no address, no session, no browser). ``python -m
clinic.feedback`` prints the rows as CSV, or a summary with ``--summary``.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VOTES = ("up", "down")
MAX_QUESTION_CHARS = 4_000
MAX_ANSWER_CHARS = 20_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL
)
"""


class FeedbackStore:
    """Append-only votes in one SQLite file; safe to call from the server's worker threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: no connection is shared between threads.
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def record(self, question: str, answer: str, vote: str) -> None:
        """Store one vote ("up" or "down"); texts are clipped so a client cannot fill the disk in one call."""
        if vote not in VOTES:
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO feedback (created_at, vote, question, answer) VALUES (?, ?, ?, ?)",
                (created, vote, question[:MAX_QUESTION_CHARS], answer[:MAX_ANSWER_CHARS]),
            )

    def rows(self) -> list[dict[str, Any]]:
        """Every vote, oldest first."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT id, created_at, vote, question, answer FROM feedback ORDER BY id")]

    def summary(self) -> list[dict[str, Any]]:
        """Per question: up and down votes, the most disliked first (what the guide or the bot answers badly)."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [
                dict(r)
                for r in db.execute(
                    "SELECT question, SUM(vote = 'up') AS up, SUM(vote = 'down') AS down FROM feedback "
                    "GROUP BY question ORDER BY down DESC, up ASC, question"
                )
            ]


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
    fields = ["question", "up", "down"] if args.summary else ["id", "created_at", "vote", "question", "answer"]
    writer = csv.DictWriter(sys.stdout, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
