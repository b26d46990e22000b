"""The feedback store: what a vote keeps (and does not), one vote per answer, and older files migrated."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from clinic.feedback import MAX_QUESTION_CHARS, SCHEMA_VERSION, FeedbackStore, main


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")


def test_a_vote_keeps_question_answer_vote_and_time_only(store):
    store.record("ice or heat first?", "Ice first. [1]", "up")
    with sqlite3.connect(store.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    assert columns == ["id", "created_at", "vote", "question", "answer", "answer_id", "reason", "updated_at"]
    (row,) = store.rows()
    assert row["vote"] == "up" and row["question"] == "ice or heat first?" and row["answer"] == "Ice first. [1]"
    assert row["created_at"].endswith("+00:00")  # UTC, to the second
    assert row["reason"] is None and row["updated_at"] is None


ANSWER = "a1b2c3d4e5f6a7b8c9d0"


def test_a_changed_vote_updates_the_answers_one_row(store):
    store.record("how long?", "20 minutes. [1]", "down", ANSWER)
    store.record("how long?", "20 minutes. [1]", "down", ANSWER, "wrong")
    (row,) = store.rows()
    assert (row["vote"], row["reason"]) == ("down", "wrong") and row["updated_at"]
    store.record("something else", "changed", "up", ANSWER, None)
    (row,) = store.rows()
    assert (row["vote"], row["reason"], row["question"], row["answer"]) == ("up", None, "how long?", "20 minutes. [1]")
    store.record("how long?", "20 minutes. [1]", "up", "another-answer-0001")
    assert len(store.rows()) == 2  # another answer, another row


def test_a_reason_goes_with_a_thumbs_down_only(store):
    store.record("q", "a", "up", ANSWER, "wrong")
    assert store.rows()[0]["reason"] is None
    with pytest.raises(ValueError):
        store.record("q", "a", "down", ANSWER, "rude")
    with pytest.raises(ValueError):
        store.record("q", "a", "down", "short", None)


def test_votes_without_an_id_stay_one_row_each(store):
    store.record("q", "a", "up")
    store.record("q", "a", "up")
    assert len(store.rows()) == 2


def test_a_file_of_the_first_version_is_migrated_with_its_votes(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, "
            "vote TEXT NOT NULL CHECK (vote IN ('up', 'down')), question TEXT NOT NULL, answer TEXT NOT NULL)"
        )
        db.execute("INSERT INTO feedback (created_at, vote, question, answer) VALUES ('2026-11-01T10:00:00+00:00', 'down', 'old q', 'old a')")
    store = FeedbackStore(path)
    store.record("new q", "new a", "down", ANSWER, "unanswered")
    store.record("new q", "new a", "up", ANSWER)
    rows = store.rows()
    assert [(r["question"], r["vote"], r["reason"]) for r in rows] == [("old q", "down", None), ("new q", "up", None)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    FeedbackStore(path)  # opening a migrated file again changes nothing
    assert len(FeedbackStore(path).rows()) == 2


def test_only_up_or_down_is_accepted(store):
    with pytest.raises(ValueError):
        store.record("q", "a", "meh")
    assert store.rows() == []


def test_long_texts_are_clipped(store):
    store.record("q" * (MAX_QUESTION_CHARS + 500), "a", "down")
    assert len(store.rows()[0]["question"]) == MAX_QUESTION_CHARS


def test_votes_from_many_threads_all_land(store):
    threads = [threading.Thread(target=store.record, args=(f"q{i}", "a", "up" if i % 2 else "down")) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(store.rows()) == 20
    summary = {r["question"]: (r["up"], r["down"]) for r in store.summary()}
    assert summary["q1"] == (1, 0) and summary["q2"] == (0, 1)


def test_export_prints_csv(store, capsys):
    store.record("ice or heat first?", "Ice first.", "up")
    assert main(["--path", str(store.path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "id,created_at,updated_at,vote,reason,question,answer"
    assert "ice or heat first?" in out[1]


# -- feedback switched off -----------------------------------------------------------------------


class _NoService:
    """Stands in for the assistant: these checks never ask a question."""

    def answer(self, message, history=None):  # pragma: no cover - not called
        raise AssertionError("not called")

    def health(self):
        return {"status": "ok", "chunks": 0, "index_built": "", "build_id": None}


def test_with_feedback_off_nothing_is_offered_or_stored(tmp_path):
    import html
    import json

    from starlette.testclient import TestClient

    from settings import load_settings
    from webapp.server import create_app

    path = tmp_path / "feedback.sqlite3"
    settings = load_settings().with_overrides(feedback={"enabled": False, "path": str(path)})
    client = TestClient(create_app(settings, _NoService()))
    r = client.post("/api/feedback", json={"question": "q", "answer": "a", "vote": "up"})
    assert r.status_code == 404 and "off" in r.json()["error"]
    page = client.get("/widget").text
    config = json.loads(html.unescape(page.split('data-config="', 1)[1].split('"', 1)[0]))
    assert config["feedback"] is False
    assert not path.exists()
