"""Insights without a server: what an event keeps, redaction, the settings' checks, periods, the recorder's queue.

The database here is SQLite in a temporary folder; the same store against
PostgreSQL is in ``tests/integration/test_insights_store.py``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, date, datetime

import pytest

from contracts import Answer, Citation, Part, PartKind, ReplyKind, RetrievedPassage, Tier
from insights.db import Database, InsightsDatabaseError, Target
from insights.events import answer_hash, hour_of, keeps_question, reason_label, reply_event, reply_kind, vote_event
from insights.recorder import EventRecorder, NullRecorder
from insights.redact import MAX_STORED_CHARS, redact
from insights.summary import Period, PeriodError
from settings import ConfigError, PrivacySettings, load_settings

MARKER = "wombatfig-7731"
OFF = PrivacySettings()
UNANSWERED_ONLY = PrivacySettings(store_questions=True)
EVERYTHING = PrivacySettings(store_questions=True, store_all_questions=True)


def make_answer(kind: ReplyKind = ReplyKind.ANSWER, triage: Tier = Tier.NONE, **extra) -> Answer:
    citations = [
        Citation(1, "guide.txt", "heat-cold", "Heat and Cold Therapy › Ice", "Ice first.", 0, 10),
        Citation(2, "guide.txt", "heat-cold", "Heat and Cold Therapy › Ice", "Then heat.", 11, 21),
        Citation(3, "guide.txt", "rest", "Rest › Balance", "Keep moving.", 30, 42),
    ]
    return Answer(
        parts=[Part(PartKind.ANSWER, "Ice first. [1]"), Part(PartKind.REFERRAL, "When to get help…", "referral")],
        citations=citations if kind is ReplyKind.ANSWER else [],
        triage=triage,
        out_of_scope=kind is ReplyKind.DECLINE,
        timings_ms={"total": 12.0},
        signs=["a fever with back pain"] if triage is Tier.URGENT else [],
        retrieved=[RetrievedPassage("c9", "massage", "Massage › What to expect", 0.4)],
        kind=kind,
        **extra,
    )


# -- redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("write to ann.lee+back@example.co.uk please", "ann.lee", "[email]"),
        ("call 555-201-7788 tomorrow", "201-7788", "[phone]"),
        ("ring +44 20 7946 0958", "7946", "[phone]"),
        ("my number is (555) 201 7788", "201 7788", "[phone]"),
        ("MRN 123456789", "123456789", "[phone]"),
        ("postcode 90210", "90210", "[number]"),
        ("Hi, my name is Ann Lee and my back hurts", "Ann Lee", "my name is [name] and my back hurts"),
        ("my name's bob, it hurts", "bob", "my name's [name], it hurts"),
        ("MY NAME IS MARIA GARCIA LOPEZ", "MARIA", "MY NAME IS [name]"),
        ("I'm called Dr. Patel", "Patel", "I'm called [name]"),
    ],
)
def test_redaction_removes_identifiers(text, gone, kept):
    out = redact(text)
    assert gone not in out
    assert kept in out


@pytest.mark.parametrize("text", ["ibuprofen 400-600mg every 6-8 hours", "ice for 20 minutes, 3 times a day", "since 2019", "my name"])
def test_redaction_keeps_doses_durations_and_years(text):
    assert redact(text) == text


def test_redaction_makes_text_storable_and_short():
    assert redact("a\x00b\ud800c") == "abc"
    long = redact("word " * 1000)
    assert len(long) == MAX_STORED_CHARS and long.endswith("…")


# -- events ---------------------------------------------------------------------------------


def test_a_reply_event_holds_labels_and_figures_and_no_text_by_default():
    event = reply_event(make_answer(triage=Tier.URGENT), f"{MARKER} ice or heat?", "api", 42.123456, OFF)
    assert event.kind == "urgent" and event.triage == "urgent" and event.channel == "api"
    assert event.signs == ("a fever with back pain",)
    assert event.citations == (("heat-cold", "Heat and Cold Therapy › Ice"), ("rest", "Rest › Balance"))  # each once
    assert event.topic == "massage"  # what retrieval ranked first
    assert event.intent is None  # answering has no intent yet
    assert event.latency_ms == 42.123 and event.language == "en"
    assert event.question is None
    assert MARKER not in repr(event)
    assert len(str(event.hour)) == 10 and event.answer_hash == answer_hash(make_answer().text)


def test_the_intent_is_read_from_the_answer_when_it_has_one():
    answer = make_answer()
    answer.intent = "dose"  # type: ignore[attr-defined]  (what answering/question.py is gaining)
    assert reply_event(answer, "q", "chat", 1, OFF).intent == "dose"


@pytest.mark.parametrize(
    ("kind", "triage", "expected"),
    [
        (ReplyKind.ANSWER, Tier.NONE, "answer"),
        (ReplyKind.ANSWER, Tier.URGENT, "urgent"),
        (ReplyKind.DECLINE, Tier.URGENT, "decline"),
        (ReplyKind.EMERGENCY, Tier.EMERGENCY, "emergency"),
        (ReplyKind.CRISIS, Tier.CRISIS, "crisis"),
        (ReplyKind.NO_ANSWER, Tier.NONE, "no_answer"),
        (ReplyKind.ERROR, Tier.NONE, "error"),
    ],
)
def test_reply_kinds(kind, triage, expected):
    assert reply_kind(kind, triage) == expected


def test_which_texts_each_privacy_setting_keeps():
    assert not any(keeps_question(k, OFF) for k in ("answer", "decline", "no_answer", "emergency"))
    assert [k for k in ("answer", "decline", "no_answer", "emergency") if keeps_question(k, UNANSWERED_ONLY)] == ["decline", "no_answer"]
    assert all(keeps_question(k, EVERYTHING) for k in ("answer", "decline", "no_answer", "emergency", "refused"))
    declined = make_answer(ReplyKind.DECLINE)
    assert reply_event(declined, "my name is Ann Lee, taxes?", "api", 1, OFF).question is None
    assert reply_event(declined, "my name is Ann Lee, taxes?", "api", 1, UNANSWERED_ONLY).question == "my name is [name], taxes?"
    assert reply_event(make_answer(), "ice? 555-201-7788", "api", 1, UNANSWERED_ONLY).question is None
    assert reply_event(make_answer(), "ice? 555-201-7788", "api", 1, EVERYTHING).question == "ice? [phone]"


def test_vote_reasons_are_labels_and_free_text_stays_out_unless_allowed():
    known = ("unanswered", "wrong", "hard_to_read")
    assert reason_label("unanswered", known) == ("unanswered", False)  # the chips' codes
    assert reason_label("Hard to read", known) == ("hard_to_read", False)
    assert reason_label("Wrong", known) == ("wrong", False)
    assert reason_label("hard-to-read", known) == ("hard_to_read", False)
    assert reason_label(None, known) == (None, False)
    assert reason_label(f"{MARKER} rubbish", known) == ("other", True)
    vote = vote_event("down", f"{MARKER} call 555-201-7788", f"{MARKER} ice?", "Ice first.", "chat", OFF, known)
    assert (vote.reason, vote.note, vote.question) == ("other", None, None)
    assert MARKER not in repr(vote)
    kept = vote_event("down", f"{MARKER} call 555-201-7788", "ice?", "Ice first.", "chat", UNANSWERED_ONLY, known)
    assert kept.note == f"{MARKER} call [phone]" and kept.question is None
    assert vote_event("up", None, "ice?", "Ice first.", "api", EVERYTHING, known).question == "ice?"
    with pytest.raises(ValueError):
        vote_event("meh", None, "q", "a", "api", OFF, known)


def test_a_vote_on_the_same_reply_in_the_same_place_has_the_same_key():
    first = vote_event("up", None, "q", "Ice first.", "api", OFF, (), scope="a1b2c3d4e5f6")
    changed = vote_event("down", "Hard to read", "q", "Ice first.", "api", OFF, ("hard_to_read",), scope="a1b2c3d4e5f6")
    assert first.key == changed.key and first.id != changed.id
    assert vote_event("up", None, "q", "Ice first.", "api", OFF, (), scope="another-widget").key != first.key
    assert vote_event("up", None, "q", "Heat later.", "api", OFF, (), scope="a1b2c3d4e5f6").key != first.key
    assert vote_event("up", None, "q", "Ice first.", "chat", OFF, (), scope="a1b2c3d4e5f6").key != first.key
    unscoped = [vote_event("up", None, "q", "Ice first.", "api", OFF, ()).key for _ in range(2)]
    assert unscoped[0] != unscoped[1]  # no scope: each vote counts on its own
    assert "a1b2c3d4e5f6" not in repr(first)  # only the hash is kept


def test_every_reply_kind_is_counted_by_name():
    from insights.events import KINDS

    assert {str(k) for k in ReplyKind} <= set(KINDS)  # a kind added to contracts is recorded as itself
    for kind in ReplyKind:
        assert reply_event(make_answer(kind), "q", "api", 1, OFF).kind == str(kind)


def test_the_hour_is_utc_and_never_finer():
    assert hour_of(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)) == 2026113023


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"BACKSPASM_PRIVACY_STORE_ALL_QUESTIONS": "true"}, "store_all_questions = true also needs store_questions = true"),
        ({"BACKSPASM_PRIVACY_RETENTION_DAYS": "0"}, "retention_days must be 1 or more"),
        ({"BACKSPASM_INSIGHTS_TOKEN": "short"}, "at least 16 characters"),
        ({"BACKSPASM_INSIGHTS_TOKEN": " " + "x" * 20}, "without spaces at the ends"),
        ({"BACKSPASM_INSIGHTS_DATABASE_URL": "mysql://db/x"}, "must start with postgresql://"),
        ({"BACKSPASM_INSIGHTS_QUEUE_SIZE": "0"}, "queue_size and session_hours must be 1 or more"),
    ],
)
def test_bad_privacy_and_insights_settings_get_one_clear_line(env, says):
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_token_and_the_database_come_from_the_environment():
    settings = load_settings(env={"BACKSPASM_INSIGHTS_TOKEN": "t" * 24, "BACKSPASM_INSIGHTS_DATABASE_URL": "postgresql://u:secret@db:5432/x"})
    assert settings.insights.token == "t" * 24
    target = Target.from_settings(settings)
    assert target.dialect == "postgresql" and "secret" not in target.describe() and "u:***@db:5432" in target.describe()
    defaults = load_settings(env={})
    assert defaults.insights.enabled and defaults.insights.token == "" and not defaults.privacy.store_questions
    assert Target.from_settings(defaults).dialect == "sqlite" and defaults.privacy.retention_days == 30


# -- periods ------------------------------------------------------------------------------------


def test_periods():
    today = date(2026, 11, 30)
    assert Period.parse(None, None, today) == Period(date(2026, 11, 1), today)
    assert Period.parse("2026-11-29", None, today).bounds() == (2026112900, 2026120100)
    for bad, says in (("2026-13-01", "YYYY-MM-DD"), ("yesterday", "YYYY-MM-DD")):
        with pytest.raises(PeriodError, match=says):
            Period.parse(bad, None, today)
    with pytest.raises(PeriodError, match="after until"):
        Period.parse("2026-12-05", "2026-12-01", today)


# -- the recorder ------------------------------------------------------------------------------


def sqlite_target(tmp_path) -> Target:
    return Target("sqlite", str(tmp_path / "insights.sqlite3"))


def test_the_recorder_writes_every_event_off_the_callers_thread(tmp_path):
    recorder = EventRecorder(sqlite_target(tmp_path), OFF, flush_interval=0.05)
    callers = [threading.Thread(target=lambda: [recorder.reply(make_answer(), "q", "api", 5) for _ in range(50)]) for _ in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(10)
    recorder.vote("up", None, "q", make_answer().text, "chat")
    recorder.close()
    assert recorder.stats() == {"queued": 201, "written": 201, "dropped": 0, "pending": 0}
    with sqlite3.connect(tmp_path / "insights.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM replies").fetchone() == (200,)
        assert db.execute("SELECT COUNT(*) FROM reply_citations").fetchone() == (400,)
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (1,)


def test_a_broken_database_drops_and_counts_events_and_never_raises(tmp_path, caplog):
    def broken(target: Target) -> Database:
        raise InsightsDatabaseError("cannot reach the insights PostgreSQL postgresql://u:***@db/x: connection refused")

    recorder = EventRecorder(sqlite_target(tmp_path), OFF, connect=broken, flush_interval=0.05)
    with caplog.at_level(logging.WARNING, logger="insights"):
        for _ in range(30):
            recorder.reply(make_answer(), f"{MARKER} q", "api", 5)  # returns at once, whatever the database does
        assert recorder.flush(10)
        recorder.close()
    stats = recorder.stats()
    assert stats["dropped"] == 30 and stats["written"] == 0 and stats["pending"] == 0
    assert "event(s) dropped" in caplog.text and "connection refused" in caplog.text
    assert MARKER not in caplog.text


def test_a_full_queue_drops_instead_of_waiting(tmp_path):
    gate = threading.Event()

    def slow(target: Target) -> Database:
        gate.wait(10)  # the writer is stuck: the queue fills up
        raise InsightsDatabaseError("down")

    # batch_size=1: the writer holds at most one event while stuck (with a larger batch it may hold several,
    # depending on when it woke, and fewer are dropped: this test failed on a fresh clone that way).
    recorder = EventRecorder(sqlite_target(tmp_path), OFF, queue_size=5, batch_size=1, connect=slow, flush_interval=0.01)
    for _ in range(20):
        recorder.reply(make_answer(), "q", "api", 1)
    assert recorder.stats()["dropped"] >= 14  # 5 waiting, at most one in the writer's hands
    gate.set()
    recorder.close()
    assert recorder.stats()["dropped"] == 20 and recorder.stats()["pending"] == 0


def test_an_event_that_cannot_be_built_is_dropped_not_raised(tmp_path):
    recorder = EventRecorder(sqlite_target(tmp_path), OFF)
    recorder.reply(None, "q", "api", 1)  # type: ignore[arg-type]
    recorder.vote("sideways", None, "q", "a", "api")
    recorder.close()
    assert recorder.stats()["dropped"] == 2


def test_the_null_recorder_does_nothing():
    recorder = NullRecorder()
    recorder.reply(make_answer(), "q", "api", 1)
    assert recorder.stats()["written"] == 0


def test_the_command_prints_the_figures_as_json_and_csv(tmp_path, monkeypatch, capsys):
    import csv
    import io
    import json

    from insights.__main__ import main
    from insights.db import open_database
    from tests.insights_seed import seed

    path = tmp_path / "insights.sqlite3"
    monkeypatch.setenv("BACKSPASM_INSIGHTS_PATH", str(path))
    assert main(["summary"]) == 1 and "no events stored yet" in capsys.readouterr().err
    with open_database(Target("sqlite", str(path))) as db:
        seeded = seed(db, days=10)
    assert main(["summary", "--since", "2000-01-01"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert {"replies", "by_kind", "by_treatment", "by_intent", "votes"} <= set(body)
    assert body["replies"] == seeded["replies"] and body["votes"]["down"] == seeded["down"]
    assert main(["summary", "--since", "2000-01-01", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert int(next(r for r in rows if r["panel"] == "replies")["count"]) == seeded["replies"]
    assert main(["summary", "--since", "01/11/2026"]) == 2 and "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["migrate"]) == 0 and "nothing to apply" in capsys.readouterr().out
    assert main(["purge"]) == 0 and "erased the text of 0 event(s)" in capsys.readouterr().out
