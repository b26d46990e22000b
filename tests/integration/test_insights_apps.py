"""The insights through live ``app.py`` processes: two servers share one PostgreSQL, and a server that keeps texts redacts them.

Each server is the production app on 127.0.0.1 (tests/servers.py); PostgreSQL is
the throwaway server of tests/postgres.py. Events are written a moment after the
reply, so the figures are read until they add up (bounded) before they are compared.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

TOKEN = "insights-integration-token-42"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SETTLE_TIMEOUT_S = 20

# What each server is asked, and the reply kind each question gets (the real assistant answers).
QUESTIONS = {
    "how long should I put ice on my back?": "answer",
    "what's the capital of France?": "decline",
    "I can't pee and both my legs are numb": "emergency",
    "hello": "greeting",
}


def ask_all(url: str, rounds: int) -> list[dict[str, Any]]:
    """Ask every question ``rounds`` times; each reply must end with the referral text."""
    replies = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(rounds):
            for question in QUESTIONS:
                response = client.post("/api/ask", json={"message": question})
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["parts"][-1]["kind"] == "referral"
                replies.append({"question": question, **body})
    return replies


def settled_summary(url: str, replies: int, votes: int = 0) -> dict[str, Any]:
    """``GET /clinic/api/summary`` once every reply and vote has been written (or the timeout passed)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    body: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.monotonic() < deadline:
            response = client.get("/clinic/api/summary", headers=BEARER)
            assert response.status_code == 200, response.text
            body = response.json()
            if body["replies"] >= replies and body["votes"]["up"] + body["votes"]["down"] >= votes:
                break
            time.sleep(0.2)
    return body


@pytest.fixture(scope="module")
def two_apps_on_postgres(built_index_dir, postgres_server, tmp_path_factory):
    from tests.servers import app_env, running_apps

    url = postgres_server.new_database()
    work = tmp_path_factory.mktemp("insights-apps")
    specs = [
        (name, app_env(built_index_dir, work / f"{name}-feedback.sqlite3",
                       BACKSPASM_INSIGHTS_DATABASE_URL=url, BACKSPASM_INSIGHTS_TOKEN=TOKEN))
        for name in ("app-a", "app-b")
    ]
    with running_apps(specs, work) as servers:
        yield servers


def test_two_app_processes_write_to_one_postgresql_and_clinic_counts_both(two_apps_on_postgres):
    a, b = two_apps_on_postgres
    served_a = ask_all(a.url, rounds=2)
    served_b = ask_all(b.url, rounds=3)
    answered = next(r for r in served_b if r["kind"] == "answer")
    with httpx.Client(base_url=b.url, timeout=30) as client:
        vote = {"question": answered["question"], "answer": answered["answer"], "vote": "up", "id": "b-answer-000000000001"}
        assert client.post("/api/feedback", json=vote).status_code == 200
        changed = {**vote, "vote": "down", "reason": "wrong"}  # the same patient changes the vote: still one vote
        assert client.post("/api/feedback", json=changed).status_code == 200
    total = len(served_a) + len(served_b)
    kinds: dict[str, int] = {}
    for reply in served_a + served_b:
        kinds[reply["kind"]] = kinds.get(reply["kind"], 0) + 1
    assert set(kinds) == set(QUESTIONS.values()), kinds  # the assistant took each path the test means to count

    for server in (a, b):  # either process shows the figures of both
        body = settled_summary(server.url, total, votes=1)
        assert body["replies"] == total
        assert body["by_kind"] == dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        assert body["by_channel"] == {"api": total}
        assert body["votes"] == {"up": 0, "down": 1, "down_reasons": {"wrong": 1}}
        assert body["by_triage"].get("emergency") == kinds["emergency"]
        assert "heat-cold" in body["by_treatment"]
        assert body["by_intent"].get("duration", 0) >= 5  # "how long…", asked five times, was read as a duration

    with httpx.Client(base_url=a.url, timeout=30, follow_redirects=True) as staff:
        page = staff.post("/clinic/sign-in", data={"token": TOKEN})
        assert page.status_code == 200 and "Questions per day" in page.text
        assert f">{total}<" in page.text  # the total card counts both processes


def test_a_wrong_token_gets_401_and_no_figures_from_a_live_app(two_apps_on_postgres):
    a, _ = two_apps_on_postgres
    with httpx.Client(base_url=a.url, timeout=30) as client:
        for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": TOKEN}):
            response = client.get("/clinic/api/summary", headers=headers)
            assert response.status_code == 401 and "replies" not in response.text
        page = client.post("/clinic/sign-in", data={"token": "wrong-token-wrong-token"})
        assert page.status_code == 401 and "Questions per day" not in page.text


def test_with_storage_on_a_live_app_keeps_unanswered_questions_redacted(built_index_dir, tmp_path):
    from tests.servers import app_env, running_apps

    env = app_env(built_index_dir, tmp_path / "feedback.sqlite3", BACKSPASM_INSIGHTS_TOKEN=TOKEN,
                  BACKSPASM_PRIVACY_STORE_QUESTIONS="true")
    declined = "My name is Ann Lee, email ann.lee@example.com or 555-201-7788: what's the capital of France?"
    answered = "My name is Bob Stone: how long should I put ice on my back?"
    with running_apps([("stores-text", env)], tmp_path) as (server,):
        with httpx.Client(base_url=server.url, timeout=60) as client:
            kinds = [client.post("/api/ask", json={"message": m}).json()["kind"] for m in (declined, answered)]
        assert kinds == ["decline", "answer"]
        settled_summary(server.url, 2)
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as staff:
            page = staff.post("/clinic/sign-in", data={"token": TOKEN}).text
            csv_text = staff.get("/clinic/export.csv").text
    for shown in (page, csv_text):
        assert "My name is [name], email [email] or [phone]: what's the capital of France?" in shown.replace("&#x27;", "'")
        for identifying in ("Ann", "Lee", "ann.lee", "7788", "Bob", "Stone", "put ice on"):  # the answered question is not kept
            assert identifying not in shown, identifying
