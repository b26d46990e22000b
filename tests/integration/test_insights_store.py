"""The insights store on both databases it supports: SQLite (a file) and a real PostgreSQL (started by the fixture).

Each test runs twice, once per database: the schema's migrations, the figures,
the retention purge, and what the tables hold (never a patient's words by default).
"""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Answer, Citation, Part, PartKind, ReplyKind, RetrievedPassage, Tier
from insights.db import MIGRATIONS_DIR, Database, Target, migrate, open_database, read_migrations
from insights.events import reply_event, vote_event
from insights.recorder import EventRecorder
from insights.store import purge_text, write_events
from insights.summary import Period, summarize
from settings import PrivacySettings

MARKER = "marmotquince-4417"
NOW = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)
TABLES = ("replies", "reply_signs", "reply_citations", "votes", "schema_migrations")


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path) -> Target:
    if request.param == "sqlite":
        return Target("sqlite", str(tmp_path / "insights.sqlite3"))
    return Target("postgresql", request.getfixturevalue("postgres_url"))


def reply(kind: ReplyKind = ReplyKind.ANSWER, triage: Tier = Tier.NONE, treatment: str = "heat-cold", text: str = "",
          intent: str | None = None) -> Answer:
    """A reply whose text names its kind and treatment (a vote finds its reply by the text's hash)."""
    cites = [Citation(1, "g.txt", treatment, f"{treatment} › tips", "q", 0, 1)] if kind is ReplyKind.ANSWER else []
    return Answer([Part(PartKind.ANSWER, text or f"{kind} on {treatment}. [1]")], cites, triage, kind is ReplyKind.DECLINE, {"total": 5.0},
                  ["saddle numbness"] if triage is Tier.EMERGENCY else [], [RetrievedPassage("c", treatment, "s", 0.5)], kind, intent=intent)


def all_cells(db: Database) -> list[str]:
    return [str(v) for table in TABLES for row in db.rows(f"SELECT * FROM {table}") for v in row]


def test_the_schema_is_created_by_its_migrations_once(target):
    with Database(target) as db:
        assert migrate(db) == [m.version for m in read_migrations()]
        assert migrate(db) == []  # already there
        assert db.scalar("SELECT COUNT(*) FROM replies") == 0


def test_processes_starting_together_migrate_once(target):
    errors: list[BaseException] = []
    applied: list[list[int]] = []

    def start() -> None:
        try:
            with Database(target) as db:
                applied.append(migrate(db))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(map(len, applied)) == [0] * 5 + [len(read_migrations())]


def test_a_new_migration_applies_to_an_existing_database(target, tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    with Database(target) as db:
        migrate(db, migrations)
        write_events(db, [reply_event(reply(), "q", "api", 1, PrivacySettings(), NOW)])
        following = max(m.version for m in read_migrations()) + 1
        (migrations / f"{following:04d}_reply_source.sql").write_text("ALTER TABLE replies ADD COLUMN source TEXT;\n")
        assert migrate(db, migrations) == [following]
        assert db.rows("SELECT COUNT(*), COUNT(source) FROM replies") == [(1, 0)]  # the row survived, the column is new


def test_the_figures_of_a_period(target):
    privacy = PrivacySettings()
    day = NOW.replace(hour=9)
    events = [
        *(reply_event(reply(intent="amount"), "q", "api", 10, privacy, day) for _ in range(3)),
        reply_event(reply(treatment="rest"), "q", "chat", 30, privacy, day - timedelta(days=1)),
        reply_event(reply(triage=Tier.URGENT), "q", "api", 10, privacy, day),
        reply_event(reply(ReplyKind.EMERGENCY, Tier.EMERGENCY), "q", "api", 1, privacy, day),
        reply_event(reply(ReplyKind.DECLINE, treatment="clinic"), "q", "api", 5, privacy, day),
        reply_event(reply(ReplyKind.NO_ANSWER, treatment="massage"), "q", "api", 5, privacy, day),
        reply_event(reply(), "q", "api", 10, privacy, day - timedelta(days=40)),  # outside the period
        vote_event("down", "Hard to read", "q", reply(treatment="rest").text, "chat", privacy, ("hard_to_read",), day),
        vote_event("up", None, "q", reply().text, "chat", privacy, (), day),
    ]
    with open_database(target) as db:
        write_events(db, events)
        s = summarize(db, Period.parse("2026-11-01", "2026-11-30"))
    assert s.replies == 8
    assert s.by_kind == {"answer": 4, "decline": 1, "emergency": 1, "no_answer": 1, "urgent": 1}
    assert s.safety == {"emergency": 1, "crisis": 0, "urgent": 1}
    assert s.by_treatment == {"heat-cold": 4, "rest": 1}
    assert s.by_intent == {"(not recorded)": 5, "amount": 3}
    assert dict(s.by_day)["2026-11-29"] == 1 and dict(s.by_day)["2026-11-30"] == 7 and len(s.by_day) == 30
    assert s.signs == {"saddle numbness": 1}
    assert s.votes == {"up": 1, "down": 1, "down_reasons": {"hard_to_read": 1}}
    assert [(g.kind, g.topic, g.count) for g in s.unanswered_groups] == [("decline", "clinic", 1), ("no_answer", "massage", 1)]
    assert s.stored_questions == []  # nothing stored by default
    (down,) = s.rated_down
    assert down.reason == "hard_to_read" and down.kind == "answer" and down.sections == ("rest › tips",)  # the reply with its text


def test_a_changed_vote_updates_its_row(target):
    privacy, text = PrivacySettings(), reply().text
    with open_database(target) as db:
        write_events(db, [vote_event("up", None, "q", text, "api", privacy, (), NOW, scope="widget-answer-1")])
        write_events(db, [  # in one batch: the change, and a vote on the same reply from another widget
            vote_event("down", "wrong", "q", text, "api", privacy, ("wrong",), NOW, scope="widget-answer-1"),
            vote_event("up", None, "q", text, "api", privacy, (), NOW, scope="widget-answer-2"),
        ])
        assert sorted(db.rows("SELECT vote, reason, changed FROM votes")) == [("down", "wrong", 1), ("up", None, 0)]
        s = summarize(db, Period.parse("2026-11-30", "2026-11-30"))
    assert s.votes == {"up": 1, "down": 1, "down_reasons": {"wrong": 1}}


def test_by_default_no_message_text_reaches_any_table(target):
    recorder = EventRecorder(target, PrivacySettings(), ("wrong",), flush_interval=0.05)
    for kind in (ReplyKind.ANSWER, ReplyKind.DECLINE, ReplyKind.NO_ANSWER, ReplyKind.EMERGENCY):
        recorder.reply(reply(kind), f"{MARKER} my back", "api", 5)
    recorder.refused("emergency", "en", f"{MARKER} too long", "chat", 1)
    recorder.vote("down", f"{MARKER} free text", f"{MARKER} question", "Ice first. [1]", "chat")
    recorder.close()
    assert recorder.stats()["written"] == 6
    with open_database(target) as db:
        cells = all_cells(db)
    assert len(cells) > 40
    assert not [c for c in cells if MARKER.split("-")[0] in c]


def test_with_storage_on_texts_are_redacted_and_erased_after_retention(target):
    privacy = PrivacySettings(store_questions=True, retention_days=30)
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=2)
    events = [
        reply_event(reply(ReplyKind.DECLINE), "my name is Ann Lee, email ann@example.com, taxes?", "api", 1, privacy, old),
        reply_event(reply(ReplyKind.NO_ANSWER), "call 555-201-7788 about insurance", "api", 1, privacy, recent),
        reply_event(reply(), "ice or heat? my name is Bob", "api", 1, privacy, recent),  # answered: not kept
        vote_event("down", "rubbish, I'm 555-201-7788", "q", "a", "chat", privacy, ("wrong",), old),
    ]
    with open_database(target) as db:
        write_events(db, events)
        stored = sorted(q for (q,) in db.rows("SELECT question FROM replies WHERE question IS NOT NULL"))
        assert stored == ["call [phone] about insurance", "my name is [name], email [email], taxes?"]
        assert db.rows("SELECT note FROM votes") == [("rubbish, I'm [phone]",)]
        assert purge_text(db, 30, NOW) == 2
        assert [q for (q,) in db.rows("SELECT question FROM replies WHERE question IS NOT NULL")] == ["call [phone] about insurance"]
        assert db.rows("SELECT note, reason FROM votes") == [(None, "other")]
        assert db.scalar("SELECT COUNT(*) FROM replies") == 3  # the labels and counts stay
        assert purge_text(db, 30, NOW) == 0


def test_the_recorder_purges_by_itself(target):
    privacy = PrivacySettings(store_questions=True, retention_days=1)
    with open_database(target) as db:
        write_events(db, [reply_event(reply(ReplyKind.DECLINE), "old words", "api", 1, privacy, NOW - timedelta(days=3))])
    recorder = EventRecorder(target, privacy, flush_interval=0.05, clock=lambda: NOW)  # purges when it starts, then hourly
    recorder.reply(reply(ReplyKind.DECLINE), "new words", "api", 1)
    recorder.close()
    with open_database(target) as db:
        assert [q for (q,) in db.rows("SELECT question FROM replies ORDER BY hour")] == [None, "new words"]
