"""The feedback store: what a vote keeps (and does not), and how the chat page's thumbs reach it."""

from __future__ import annotations

import sqlite3
import threading
from types import SimpleNamespace

import pytest

from clinic.feedback import MAX_QUESTION_CHARS, FeedbackStore, main


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")


def test_a_vote_keeps_question_answer_vote_and_time_only(store):
    store.record("ice or heat first?", "Ice first. [1]", "up")
    with sqlite3.connect(store.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    assert columns == ["id", "created_at", "vote", "question", "answer"]
    (row,) = store.rows()
    assert row["vote"] == "up" and row["question"] == "ice or heat first?" and row["answer"] == "Ice first. [1]"
    assert row["created_at"].endswith("+00:00")  # UTC, to the second


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
    assert out[0] == "id,created_at,vote,question,answer"
    assert "ice or heat first?" in out[1]


# -- the chat page's thumbs --------------------------------------------------------------------


def _handlers(store):
    from settings import load_settings
    from webapp.chat_ui import ChatHandlers
    from webapp.limits import RateLimiter
    from webapp.rendering import ReplyRenderer

    return ChatHandlers(load_settings(), service=None, renderer=ReplyRenderer(), referral="", limiter=RateLimiter(0), feedback=store)


HISTORY = [
    {"role": "user", "content": "ice or heat first?"},
    {"role": "assistant", "content": "Ice first. [1]"},
    {"role": "user", "content": "how long?"},
    {"role": "assistant", "content": "20 minutes. [1]"},
]


@pytest.mark.parametrize("liked, vote", [(True, "up"), ("Like", "up"), (False, "down"), ("Dislike", "down")])
def test_a_thumb_on_the_chat_page_stores_its_question_and_answer(store, liked, vote):
    _handlers(store).vote(HISTORY, SimpleNamespace(index=3, liked=liked, value=["20 minutes."]))
    (row,) = store.rows()
    assert (row["question"], row["answer"], row["vote"]) == ("how long?", "20 minutes. [1]", vote)


@pytest.mark.parametrize("index, liked", [(3, ""), (0, True), (9, True), ((1, 0), "")])
def test_a_thumb_taken_back_or_misplaced_stores_nothing(store, index, liked):
    _handlers(store).vote(HISTORY, SimpleNamespace(index=index, liked=liked, value=None))
    assert store.rows() == []


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
