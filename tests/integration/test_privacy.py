"""Privacy: what patients type stays out of the logs by default, and the feedback store keeps no address.

In process: the assistant's log lines carry the length of a message, not its
text, unless ``[privacy] log_messages`` is switched on (which the test also
checks, so the switch is not dead code). Against a live ``app.py`` with the
default configuration: a distinctive marker goes through every door a message
can come in by (the JSON API, its history, rejected requests, URLs, the Gradio
chat, feedback votes) and the server's whole output is searched for it after
the server has stopped. The feedback store holds the vote, not who voted; the
insights store (on, with its defaults) holds one labelled event per reply and no
word of any message, in any table or in the database files themselves.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import httpx
import pytest

from settings import PROJECT_ROOT

MARKER = "quokkaplum-5183"
FORWARDED = "203.0.113.77"  # a documentation address, sent as X-Forwarded-For
AGENT = "marker-agent/9.9"


def test_the_assistant_logs_no_message_text_by_default(assistant, caplog):
    with caplog.at_level(logging.DEBUG):
        assistant.answer(f"{MARKER} ice or heat first?", [{"role": "user", "content": f"{MARKER} my back"}])
        assistant.answer(f"{MARKER} \ud800 can't pee", [])  # an odd input down the error or emergency path
        assistant.answer(f"hello {MARKER}", [])
    assert caplog.records, "the assistant should log something about each reply"
    assert MARKER not in caplog.text


def test_the_debug_switch_does_log_message_text(settings, retriever, caplog):
    from answering.pipeline import Assistant

    noisy = Assistant.from_settings(settings.with_overrides(privacy={"log_messages": True}), retriever)
    with caplog.at_level(logging.INFO):
        noisy.answer(f"{MARKER} ice or heat first?", [])
    assert MARKER in caplog.text


@pytest.fixture(scope="module")
def served(built_index_dir, tmp_path_factory) -> dict[str, Any]:
    """Run one server with the default privacy settings, send the marker everywhere, stop it, return what it left."""
    if not (PROJECT_ROOT / "app.py").exists():
        pytest.skip("app.py does not exist yet")
    from tests.servers import app_env, running_apps

    work = tmp_path_factory.mktemp("privacy")
    feedback = work / "feedback.sqlite3"
    statuses: dict[str, int] = {}
    with running_apps([("privacy", app_env(built_index_dir, feedback))], work) as (server,):
        headers = {"X-Forwarded-For": FORWARDED, "User-Agent": AGENT}
        with httpx.Client(base_url=server.url, timeout=60, headers=headers) as client:
            def post(name: str, body: Any, path: str = "/api/ask") -> None:
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                statuses[name] = client.post(path, content=content, headers={"content-type": "application/json"}).status_code

            post("answer", {"message": f"{MARKER} ice or heat first?", "history": [{"role": "user", "content": f"{MARKER} my back hurts"}]})
            post("emergency", {"message": f"{MARKER} I can't pee and both legs are numb"})
            post("greeting", {"message": f"hi {MARKER}"})
            post("bad role", {"message": "ice", "history": [{"role": MARKER, "content": "x"}]})
            post("too long", {"message": MARKER * 200})
            post("bad json", f'{{"message": "{MARKER}'.encode())
            post("declined", {"message": f"{MARKER} what's the capital of France?"})
            post("feedback", {"question": f"{MARKER} ice or heat?", "answer": f"Ice first. [1] {MARKER}", "vote": "down",
                              "reason": "wrong", "id": f"{MARKER}-answer-id"}, "/api/feedback")
            for path in (f"/?q={MARKER}", f"/healthz?q={MARKER}", f"/widget?message={MARKER}"):
                statuses[path] = client.get(path).status_code
        statuses["gradio"] = _gradio_chat(server.url)
        log_path = server.log_path
    return {"log": log_path.read_text(encoding="utf-8", errors="replace"), "feedback": feedback, "statuses": statuses,
            "insights": work / "insights.sqlite3"}


def _gradio_chat(url: str) -> int:
    """Ask through the chat page's own endpoint (as the browser does); 200 when it answered."""
    try:
        from gradio_client import Client
    except ImportError:
        return 0
    reply = Client(url, verbose=False).predict(f"{MARKER} does massage help?", None, api_name="/chat")
    return 200 if isinstance(reply, str) and reply else 0


def test_every_request_was_actually_served(served):
    statuses = served["statuses"]
    assert statuses["answer"] == statuses["emergency"] == statuses["greeting"] == statuses["declined"] == statuses["feedback"] == 200
    assert statuses["bad role"] == statuses["too long"] == statuses["bad json"] == 400
    assert statuses["gradio"] == 200


def test_no_message_text_reaches_the_server_output(served):
    log = served["log"]
    assert log.strip(), "the server wrote nothing at all: nothing was checked"
    assert MARKER not in log
    assert MARKER.split("-")[0] not in log.lower()


def test_the_feedback_store_keeps_no_address_or_client(served):
    with sqlite3.connect(served["feedback"]) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells: list[str] = []
        for table in tables:
            columns = [r[1].lower() for r in db.execute(f"PRAGMA table_info({table})")]
            assert not any(word in c for c in columns for word in ("ip", "addr", "host", "agent", "session", "client", "cookie")), columns
            cells += [str(v) for row in db.execute(f"SELECT * FROM {table}") for v in row]
    assert any(MARKER in c for c in cells), "the vote was not stored: nothing was checked"
    dump = "\n".join(cells)
    for identifying in (FORWARDED, "127.0.0.1", AGENT, "python-httpx"):
        assert identifying not in dump


def test_the_insights_store_keeps_labels_and_no_message_text(served):
    path = served["insights"]
    files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]  # the database, and any -wal or -shm beside it
    assert path in files
    for file in files:  # the raw bytes: nothing hidden in free pages or the journal either
        raw = file.read_bytes()
        assert MARKER.encode() not in raw and MARKER.split("-")[0].encode() not in raw, file.name
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells = [str(v) for table in tables for row in db.execute(f"SELECT * FROM {table}") for v in row]
        kinds = {k for (k,) in db.execute("SELECT kind FROM replies")}
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM replies WHERE question IS NOT NULL").fetchone() == (0,)
    assert {"answer", "emergency", "decline", "refused"} <= kinds, "the replies were not recorded: nothing was checked"
    dump = "\n".join(cells)
    assert MARKER.split("-")[0] not in dump
    for identifying in (FORWARDED, "127.0.0.1", AGENT, "python-httpx"):
        assert identifying not in dump
