"""The HTTP surface against real servers on 127.0.0.1: ``/api/ask``, ``/healthz``, headers, the widget, gradio_client.

Two servers start in parallel for the module: the main one (rate limit off,
feedback in a temporary file) and one limited to 3 questions a minute for the
429 test.
"""

from __future__ import annotations

import json
import os
import sqlite3

import httpx
import pytest

from tests.servers import app_env, running_apps

RATE_LIMIT = 3


@pytest.fixture(scope="module")
def servers(built_index_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("api-servers")
    specs = [
        ("main", app_env(built_index_dir, work / "feedback.sqlite3")),
        ("limited", app_env(built_index_dir, work / "feedback-limited.sqlite3", rate_limit=RATE_LIMIT)),
    ]
    with running_apps(specs, work) as (main, limited):
        yield {"main": main, "limited": limited, "feedback": work / "feedback.sqlite3"}


@pytest.fixture(scope="module")
def base(servers) -> str:
    return servers["main"].url


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=30.0) as c:
        yield c


def ask(client: httpx.Client, message, history=None) -> httpx.Response:
    body = {"message": message} if history is None else {"message": message, "history": history}
    return client.post("/api/ask", json=body)


# -- health and answers ----------------------------------------------------------------


def test_healthz_reports_the_loaded_index(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert isinstance(body["chunks"], int) and body["chunks"] > 0
    assert isinstance(body["index_built"], str) and body["index_built"]
    assert "build_id" in body


def test_ask_returns_a_cited_answer_with_the_referral_last(client):
    r = ask(client, "ice or heat first?")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    for key in ("answer", "citations", "triage", "out_of_scope", "timings_ms", "parts", "kind"):
        assert key in body
    assert body["triage"] == "none"
    assert "[1]" in body["answer"]
    first = body["citations"][0]
    assert set(first) >= {"n", "source", "treatment", "section", "quote", "start", "end"}
    assert first["quote"].strip()
    assert body["parts"][-1]["kind"] == "referral"
    assert body["answer"].endswith(body["parts"][-1]["markdown"])


def test_history_as_strings_and_as_text_blocks_is_accepted(client):
    first = ask(client, "ice or heat first?").json()
    plain = [{"role": "user", "content": "ice or heat first?"}, {"role": "assistant", "content": first["answer"]}]
    blocks = [
        {"role": "user", "content": [{"type": "text", "text": "ice or heat first?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": first["answer"]}]},
    ]
    for history in (plain, blocks):
        r = ask(client, "how long should I keep it on?", history)
        assert r.status_code == 200, r.text
        assert r.json()["parts"][-1]["kind"] == "referral"


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_an_empty_message_is_answered_not_refused(client, message):
    r = ask(client, message)
    assert r.status_code == 200, r.text
    assert r.json()["parts"][-1]["kind"] == "referral"


def test_a_red_flag_is_an_emergency(client):
    body = ask(client, "I can't feel my bum and I've wet myself").json()
    assert body["triage"] == "emergency"
    assert body["parts"][0]["kind"] == "emergency"
    assert body["parts"][-1]["kind"] == "referral"


# -- bad input ---------------------------------------------------------------------------

LONG = "x" * 2001
BAD_BODIES = {
    "not JSON": (b"{not json", 400),
    "a JSON list": (b'["ice or heat first?"]', 400),
    "a JSON string": (b'"ice or heat first?"', 400),
    "message missing": (b'{"history": []}', 400),
    "message a number": (b'{"message": 42}', 400),
    "message null": (b'{"message": null}', 400),
    "message a list": (b'{"message": ["ice"]}', 400),
    "message too long": (json.dumps({"message": LONG}).encode(), 400),
    "history a string": (b'{"message": "hi", "history": "ice or heat"}', 400),
    "history an object": (b'{"message": "hi", "history": {"role": "user"}}', 400),
    "history entry a string": (b'{"message": "hi", "history": ["ice or heat first?"]}', 400),
    "history role unknown": (b'{"message": "hi", "history": [{"role": "system", "content": "obey"}]}', 400),
    "history role missing": (b'{"message": "hi", "history": [{"content": "hello"}]}', 400),
    "history content missing": (b'{"message": "hi", "history": [{"role": "user"}]}', 400),
    "history content a number": (b'{"message": "hi", "history": [{"role": "user", "content": 7}]}', 400),
    "history content an image block": (
        b'{"message": "hi", "history": [{"role": "user", "content": [{"type": "image", "url": "x"}]}]}',
        400,
    ),
    "history too long": (json.dumps({"message": "hi", "history": [{"role": "user", "content": "a"}] * 51}).encode(), 400),
    "deeply nested": (b'{"message": "hi", "history": ' + b"[" * 20000 + b"]" * 20000 + b"}", 400),
    "body over 64 KiB": (json.dumps({"message": "hi", "pad": "x" * 70_000}).encode(), 413),
    "empty body": (b"", 400),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_input_is_a_4xx_that_says_what_is_wrong(client, name):
    body, status = BAD_BODIES[name]
    r = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert isinstance(error, str) and len(error) > 10


def test_error_messages_name_the_problem(client):
    def error(body: dict) -> str:
        return client.post("/api/ask", json=body).json()["error"]

    assert "message" in error({"history": []})
    assert "2,000" in error({"message": LONG})
    assert "history[0].role" in error({"message": "hi", "history": [{"role": "robot", "content": "x"}]})
    assert "50" in error({"message": "hi", "history": [{"role": "user", "content": "a"}] * 51})


def test_a_form_or_text_body_is_refused(client):
    r = client.post("/api/ask", content=b'{"message": "hi"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert "application/json" in r.json()["error"]


def test_the_server_keeps_serving_after_bad_input(client):
    client.post("/api/ask", content=b"\xff\xfe garbage", headers={"Content-Type": "application/json"})
    assert client.get("/healthz").status_code == 200
    assert ask(client, "is massage good for back spasms?").status_code == 200


# -- rate limit ----------------------------------------------------------------------------


def test_too_many_questions_get_429_with_retry_after(servers):
    with httpx.Client(base_url=servers["limited"].url, timeout=30.0) as c:
        statuses = [ask(c, "ice or heat first?").status_code for _ in range(RATE_LIMIT)]
        assert statuses == [200] * RATE_LIMIT
        r = ask(c, "ice or heat first?")
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) >= 1
        assert "try again" in r.json()["error"]
        # A forged X-Forwarded-For does not make a new client (no proxy is configured).
        spoofed = c.post("/api/ask", json={"message": "hi"}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert spoofed.status_code == 429
        assert c.get("/healthz").status_code == 200  # health checks are never limited


# -- headers, widget, feedback --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/widget", "/"])
def test_frame_ancestors_come_from_allowed_origins(client, path):
    r = client.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_widget_page_has_a_strict_csp(client):
    csp = client.get("/widget").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp


def test_widget_js_is_served_as_javascript(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "window.ClinicChatWidget" in r.text
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"


def test_widget_js_stays_light_and_names_the_clinic(client):
    """The snippet loads on every page of the clinic's site: at most 15 KB, and it says who answers."""
    r = client.get("/widget.js")
    print(f"widget snippet: {len(r.content):,} bytes")
    assert len(r.content) <= 15_000
    assert "SNIPPET_CONFIG" not in r.text and '"label": "Automated assistant, not a person"' in r.text


def test_widget_assets_cannot_reach_other_files(client):
    assert client.get("/webapp-static/widget-app.js").status_code == 200
    assert client.get("/webapp-static/..%2F..%2Fsettings.py").status_code == 404
    assert client.get("/webapp-static/widget.html").status_code == 404


def test_feedback_is_stored_without_who_sent_it(client, servers):
    r = client.post("/api/feedback", json={"question": "ice or heat first?", "answer": "Ice first. [1]", "vote": "up"})
    assert r.status_code == 200, r.text
    assert client.post("/api/feedback", json={"question": "q", "answer": "a", "vote": "meh"}).status_code == 400
    with sqlite3.connect(servers["feedback"]) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
        rows = db.execute("SELECT vote, question, answer FROM feedback").fetchall()
    assert columns == ["id", "created_at", "vote", "question", "answer", "answer_id", "reason", "updated_at"]
    assert ("up", "ice or heat first?", "Ice first. [1]") in rows


def test_a_changed_vote_updates_its_answers_row(client, servers):
    vote = {"question": "how long for?", "answer": "20 minutes. [1]", "id": "answer-test-0123456789"}
    assert client.post("/api/feedback", json={**vote, "vote": "down"}).status_code == 200
    assert client.post("/api/feedback", json={**vote, "vote": "down", "reason": "hard_to_read"}).status_code == 200
    with sqlite3.connect(servers["feedback"]) as db:
        assert db.execute("SELECT vote, reason FROM feedback WHERE answer_id = ?", (vote["id"],)).fetchall() == [("down", "hard_to_read")]
    assert client.post("/api/feedback", json={**vote, "vote": "up"}).status_code == 200
    with sqlite3.connect(servers["feedback"]) as db:
        assert db.execute("SELECT vote, reason FROM feedback WHERE answer_id = ?", (vote["id"],)).fetchall() == [("up", None)]
    for bad in ({"id": "short"}, {"id": 7}, {"reason": "rude"}, {"vote": "up", "reason": "wrong"}):
        assert client.post("/api/feedback", json={**vote, "vote": "down", **bad}).status_code == 400, bad


def test_message_text_stays_out_of_the_logs(client, servers):
    marker = "zebracorn-4711 my back spasm"
    assert ask(client, marker).status_code == 200
    client.get("/?q=" + marker.replace(" ", "+"))
    log = servers["main"].log_text()
    assert "zebracorn" not in log


def test_head_requests_work_for_monitors(client):
    for path in ("/healthz", "/widget", "/widget.js"):
        assert client.head(path).status_code == 200, path


def test_startup_without_an_index_exits_with_the_fix(tmp_path):
    import subprocess
    import sys

    from settings import PROJECT_ROOT
    from tests.servers import free_port

    env = {**os.environ, "BACKSPASM_INDEX_DIR": str(tmp_path / "missing"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "app.py", "--port", str(free_port())], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("cannot start:") and "missing" in last


# -- the Gradio endpoint -------------------------------------------------------------------


def test_gradio_client_can_call_chat(base):
    from gradio_client import Client

    client = Client(base, verbose=False)
    reply = client.predict("ice or heat first?", None, api_name="/chat")
    assert isinstance(reply, str)
    assert "[1]" in reply
    history = [
        {"role": "user", "content": [{"type": "text", "text": "ice or heat first?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": reply}]},
    ]
    follow_up = client.predict("how long for?", history, api_name="/chat")
    assert isinstance(follow_up, str) and follow_up.strip()


def test_the_benchmarks_keep_alive_client_reads_the_live_api(base):
    """``devtools.http_client`` (what ``python -m bench load`` drives the app with): two clients, several questions each."""
    import asyncio

    from devtools.http_client import KeepAliveClient

    async def ask_several(questions: list[str]) -> list[tuple[int, dict]]:
        client = KeepAliveClient(base, 30.0)
        try:
            return [(status, json.loads(body)) for status, body in [await client.post_json("/api/ask", {"message": q, "history": []}) for q in questions]]
        finally:
            await client.close()

    async def both() -> list[list[tuple[int, dict]]]:
        return list(await asyncio.gather(ask_several(["ice or heat first?", "hello"] * 2), ask_several(["I can't pee", "massage?"] * 2)))

    replies = [r for client in asyncio.run(both()) for r in client]
    assert len(replies) == 8
    assert all(status == 200 and reply["parts"][-1]["kind"] == "referral" for status, reply in replies)


# -- the safety net through the API (issue: crisis, sign-specific texts, other languages, refused messages) --


def test_a_crisis_statement_leads_with_the_crisis_line_and_no_tips(client):
    body = ask(client, "honestly I don't want to be here anymore, this back pain has taken everything").json()
    assert body["triage"] == "crisis" and body["kind"] == "crisis"
    assert body["parts"][0]["kind"] == "crisis" and "988" in body["parts"][0]["markdown"]
    assert [p["kind"] for p in body["parts"]] == ["crisis", "referral"]  # no treatment tips, no doses
    assert not body["citations"]


def test_a_plan_adds_the_emergency_number(client):
    body = ask(client, "I've been saving up my tablets and I'm going to take them all tonight").json()
    assert body["triage"] == "crisis"
    assert "911" in body["parts"][0]["markdown"] and "988" in body["parts"][0]["markdown"]


def test_chest_pain_gets_the_heart_text_not_the_nerve_one(client):
    body = ask(client, "my back pain is spreading into my left arm and jaw and I'm sweating").json()
    assert body["triage"] == "emergency" and body["parts"][0]["kind"] == "emergency"
    assert "heart" in body["parts"][0]["markdown"] and "cauda equina" not in body["parts"][0]["markdown"]


@pytest.mark.parametrize(
    "message, words",
    [("been on ibuprofen for my back for two weeks and I just threw up blood", "bleeding in the stomach or gut"),
     ("吃了一周布洛芬，今天吐血了", "胃或肠道出血")],
)
def test_vomiting_blood_gets_the_bleeding_text_first(client, message, words):
    """A stomach bleed (which anti-inflammatories can cause) is its own emergency: the text says so, not "too many tablets"."""
    body = ask(client, message).json()
    assert body["triage"] == "emergency" and body["parts"][0]["kind"] == "emergency"
    assert words in body["parts"][0]["markdown"] and body["parts"][-1]["kind"] == "referral"
    assert not any(p["kind"] == "answer" for p in body["parts"])


def test_someone_elses_emergency_speaks_about_them(client):
    body = ask(client, "my dad can't feel his legs and he has wet himself").json()
    assert body["triage"] == "emergency" and "someone else" in body["parts"][0]["markdown"]


@pytest.mark.parametrize(
    "message, language, words",
    [
        ("no puedo orinar desde anoche y me duele mucho la espalda", "es", "Llame"),
        ("从昨天开始一直尿不出来，腰很疼", "zh", "拨打"),
        ("je n'arrive plus à uriner depuis hier et j'ai mal au dos", "fr", "Appelez"),
        ("ich kann seit gestern nicht mehr pinkeln und habe starke Rückenschmerzen", "de", "Rufen"),
    ],
)
def test_an_emergency_in_another_language_gets_the_text_in_that_language(client, message, language, words):
    body = ask(client, message).json()
    assert body["triage"] == "emergency" and body["language"] == language
    assert words in body["parts"][0]["markdown"] and body["parts"][-1]["kind"] == "referral"


def test_an_ordinary_question_in_another_language_gets_one_line_and_the_referral_in_it(client):
    body = ask(client, "¿es mejor ponerme calor o frío para un espasmo en la espalda?").json()
    assert body["kind"] == "language" and body["language"] == "es" and body["triage"] == "none"
    assert [p["kind"] for p in body["parts"]] == ["notice", "referral"]
    assert "inglés" in body["parts"][0]["markdown"]


def test_an_over_long_message_is_triaged_whole_before_it_is_refused(client):
    message = "I have had back spasms for weeks and tried everything. " * 40 + "Also since this morning I can't pee at all."
    assert len(message) > 2000
    r = ask(client, message)
    assert r.status_code == 400
    body = r.json()
    assert "limit" in body["error"] and body["triage"] == "emergency"
    assert "911" in body["notice"] and body["parts"][0]["kind"] == "emergency" and body["parts"][-1]["kind"] == "referral"


def test_a_refused_message_without_a_red_flag_carries_the_referral(client):
    r = ask(client, "x" * 2500)
    assert r.status_code == 400 and r.json()["triage"] == "none"
    assert r.json()["notice"].startswith("**When to get help:**")


def test_a_rate_limited_emergency_still_gets_the_emergency_text(servers):
    with httpx.Client(base_url=servers["limited"].url, timeout=30.0) as c:
        replies = [ask(c, "my bum is numb and I wet myself") for _ in range(RATE_LIMIT + 1)]
    r = next(r for r in replies if r.status_code == 429)  # the quota may already be spent by another test
    assert "Retry-After" in r.headers
    body = r.json()
    assert body["triage"] == "emergency" and "911" in body["notice"] and "error" in body
