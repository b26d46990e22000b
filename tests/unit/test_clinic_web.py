"""``/clinic`` in process (a stand-in assistant, SQLite in a temporary folder): off, sign-in, sessions, panels, CSV, JSON.

Also the hooks: every /api/ask reply and vote becomes one event, and a broken
insights database never costs a patient an answer.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts import Answer, Citation, Part, PartKind, Tier
from insights.db import Target, open_database
from settings import load_settings
from tests.insights_seed import seed
from webapp.clinic_routes import SESSION_COOKIE, SIGN_IN_PER_MINUTE, AttemptLimiter, ClinicAccess

TOKEN = "clinic-token-for-tests-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PANELS = ("totals", "per-day", "by-kind", "safety", "treatments", "intents", "unanswered", "rated-down")


class StandIn:
    """Answers every question the same way, instantly: the web front is what is under test."""

    def answer(self, message: Any, history: Any = None) -> Answer:
        return Answer(
            [Part(PartKind.ANSWER, "Ice first. [1]"), Part(PartKind.REFERRAL, "When to get help…", "referral")],
            [Citation(1, "guide.txt", "heat-cold", "Heat and Cold Therapy › Ice", "Ice first.", 0, 10)],
            Tier.NONE, False, {"total": 1.0},
        )

    def notice(self, message: Any, history: Any = None, learned: bool = True) -> dict[str, Any]:
        return {"triage": "none", "notice": "ref", "parts": [{"kind": "referral", "markdown": "ref"}], "language": "en"}

    def health(self) -> dict[str, Any]:
        return {"status": "ok"}


def make_client(tmp_path, **env: str) -> TestClient:
    from webapp.server import create_app

    settings = load_settings(env={
        "BACKSPASM_INSIGHTS_PATH": str(tmp_path / "insights.sqlite3"),
        "BACKSPASM_FEEDBACK_PATH": str(tmp_path / "feedback.sqlite3"),
        **env,
    })
    return TestClient(create_app(settings, StandIn()), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """An app with /clinic on and a month of seeded events."""
    work = tmp_path_factory.mktemp("clinic-web")
    settings = load_settings(env={"BACKSPASM_INSIGHTS_PATH": str(work / "insights.sqlite3")})
    with open_database(Target.from_settings(settings)) as db:
        counts = seed(db)
    with make_client(work, BACKSPASM_INSIGHTS_TOKEN=TOKEN) as client:
        client.seeded = counts  # type: ignore[attr-defined]
        yield client


def sign_in(client: TestClient, token: str = TOKEN):
    return client.post("/clinic/sign-in", data={"token": token}, follow_redirects=False)


# -- off unless a token is set ------------------------------------------------------------------


def test_everything_under_clinic_is_404_while_insights_have_no_token(tmp_path):
    with make_client(tmp_path) as client:
        for path in ("/clinic", "/clinic/", "/clinic/export.csv", "/clinic/api/summary", "/clinic/clinic.css", "/clinic/anything"):
            assert client.get(path, headers=BEARER).status_code == 404, path
        assert client.post("/clinic/sign-in", data={"token": TOKEN}).status_code == 404
        assert client.get("/clinic/api/summary").json() == {"error": "insights are off on this server: set [insights] token"}


# -- signing in -------------------------------------------------------------------------------


def test_without_a_session_the_page_is_the_sign_in_form_and_no_figure(clinic):
    clinic.cookies.clear()
    page = clinic.get("/clinic")
    assert page.status_code == 401
    assert 'name="token"' in page.text and 'id="per-day"' not in page.text and "Replies" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert clinic.get("/clinic/export.csv").status_code == 401
    assert clinic.get("/clinic/api/summary").status_code == 401
    assert clinic.get("/clinic/api/summary", headers={"Authorization": "Bearer wrong-token-0000000000"}).status_code == 401


def test_the_page_runs_no_script_and_cannot_be_framed(clinic):
    csp = clinic.get("/clinic").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "<script" not in clinic.get("/clinic").text


def test_a_wrong_token_is_401_and_the_right_one_sets_a_strict_session_cookie(tmp_path):
    with make_client(tmp_path, BACKSPASM_INSIGHTS_TOKEN=TOKEN) as client:
        wrong = sign_in(client, "not-the-token-0000000")
        assert wrong.status_code == 401 and "That token is not right." in wrong.text
        assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
        right = sign_in(client)
        assert right.status_code == 303 and right.headers["location"] == "/clinic"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/clinic" in cookie
        assert "secure" not in cookie  # plain http on loopback: a Secure cookie would never come back
        assert client.get("/clinic").status_code == 200
        client.post("/clinic/sign-out")
        assert client.get("/clinic").status_code == 401


def test_behind_https_the_cookie_is_secure(tmp_path):
    from webapp.server import create_app

    settings = load_settings(env={"BACKSPASM_INSIGHTS_PATH": str(tmp_path / "i.sqlite3"), "BACKSPASM_INSIGHTS_TOKEN": TOKEN,
                                  "BACKSPASM_FEEDBACK_ENABLED": "false"})
    with TestClient(create_app(settings, StandIn()), base_url="https://clinic.example") as client:
        assert "secure" in sign_in(client).headers["set-cookie"].lower()


def test_sign_in_is_rate_limited_per_client(tmp_path):
    with make_client(tmp_path, BACKSPASM_INSIGHTS_TOKEN=TOKEN) as client:
        for _ in range(SIGN_IN_PER_MINUTE):
            assert sign_in(client, "guess-guess-guess-0000").status_code == 401
        limited = sign_in(client)  # even the right token: over the limit nothing is checked
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        for _ in range(SIGN_IN_PER_MINUTE):
            client.get("/clinic/api/summary", headers={"Authorization": "Bearer guess-guess-guess-0000"})
        assert client.get("/clinic/api/summary", headers=BEARER).status_code == 429


def test_sessions_are_signed_and_expire():
    now = [1_000_000.0]
    access = ClinicAccess(TOKEN, 1, clock=lambda: now[0])
    session = access.new_session()
    assert access.session_valid(session)
    expires, nonce, mac = session.split(".")
    assert not access.session_valid(f"{int(expires) + 999}.{nonce}.{mac}")  # a longer life cannot be forged
    assert not ClinicAccess("another-token-000000000", 1).session_valid(session)  # a new token signs everyone out
    now[0] += 3601
    assert not access.session_valid(session)
    assert access.token_matches(TOKEN) and not access.token_matches(TOKEN[:-1]) and not access.token_matches("")
    assert access.bearer_matches(f"Bearer {TOKEN}") and not access.bearer_matches(TOKEN)


def test_the_attempt_limiter_forgets_after_a_minute():
    now = [0.0]
    limiter = AttemptLimiter(2, clock=lambda: now[0])
    limiter.count("a")
    limiter.count("a")
    assert limiter.wait("a") == 60 and limiter.wait("b") == 0
    now[0] = 60.5
    assert limiter.wait("a") == 0


# -- the page, the CSV and the JSON ------------------------------------------------------------


def signed_in_page(clinic, query: str = ""):
    clinic.cookies.clear()
    assert sign_in(clinic).status_code == 303
    return clinic.get("/clinic" + query)


def test_the_page_shows_every_panel_for_the_period(clinic):
    page = signed_in_page(clinic)
    assert page.status_code == 200
    for panel in PANELS:
        assert f'id="{panel}"' in page.text, panel
    assert f'<span class="ci-card-value">{clinic.seeded["replies"]}</span>' in page.text
    assert page.text.count('class="ci-bar"') > 30  # a bar per day and per row
    assert "Heat and Cold Therapy" in page.text or "heat-cold" in page.text
    assert "my name is [name]" in page.text.lower() and "555-201-7788" not in page.text  # stored, redacted


def test_a_bad_period_gets_one_line(clinic):
    page = signed_in_page(clinic, "?since=2026-02-30")
    assert page.status_code == 400 and "since must be a date written YYYY-MM-DD" in page.text


def test_the_csv_is_what_the_page_shows(clinic):
    signed_in_page(clinic)
    response = clinic.get("/clinic/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="clinic-insights-' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    panels = {r["panel"] for r in rows}
    assert {"replies", "per_day", "by_kind", "safety", "by_treatment", "by_intent", "unanswered", "rated_down", "votes"} <= panels
    assert int(next(r for r in rows if r["panel"] == "replies")["count"]) == clinic.seeded["replies"]
    assert sum(int(r["count"]) for r in rows if r["panel"] == "per_day") == clinic.seeded["replies"]


def test_the_json_summary_with_a_bearer_token(clinic):
    clinic.cookies.clear()
    response = clinic.get("/clinic/api/summary", headers=BEARER, params={"since": "2000-01-01"})
    assert response.status_code == 200
    body = response.json()
    assert {"replies", "by_kind", "by_treatment", "by_intent", "votes"} <= set(body)
    assert body["replies"] == clinic.seeded["replies"] == sum(body["by_kind"].values())
    assert body["votes"]["up"] + body["votes"]["down"] == clinic.seeded["votes"]
    assert body["votes"]["down"] == clinic.seeded["down"]
    assert body["by_treatment"]["heat-cold"] > body["by_treatment"]["chiropractic"]
    bad = clinic.get("/clinic/api/summary", headers=BEARER, params={"since": "30/11/2026"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]


# -- the hooks: one event per reply and vote; a broken database costs nothing --------------------


def test_every_api_reply_and_vote_becomes_one_event(tmp_path):
    with make_client(tmp_path, BACKSPASM_INSIGHTS_TOKEN=TOKEN) as client:
        for _ in range(3):
            assert client.post("/api/ask", json={"message": "ice or heat?"}).status_code == 200
        assert client.post("/api/ask", json={"message": "x" * 5000}).status_code == 400  # refused, still a reply
        vote = {"question": "ice or heat?", "answer": StandIn().answer("").text, "vote": "up", "id": "0123456789abcdef01234567"}
        assert client.post("/api/feedback", json=vote).status_code == 200
        changed = {**vote, "vote": "down", "reason": "hard_to_read"}  # the patient changes their mind: one vote, updated
        assert client.post("/api/feedback", json=changed).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = client.get("/clinic/api/summary", headers=BEARER).json()
            if body["replies"] == 4 and body["votes"]["down"] == 1 and body["votes"]["up"] == 0:
                break
            time.sleep(0.1)
        assert body["by_kind"] == {"answer": 3, "refused": 1}
        assert body["votes"] == {"up": 0, "down": 1, "down_reasons": {"hard_to_read": 1}}
        page = signed_in_page(client)
        assert "Heat and Cold Therapy › Ice" in page.text  # the rated-down reply, found by its text's hash


def test_a_broken_database_never_breaks_answering(tmp_path):
    dead = "postgresql://nobody:pw@127.0.0.1:9/none"  # the discard port: nothing answers
    with make_client(tmp_path, BACKSPASM_INSIGHTS_TOKEN=TOKEN, BACKSPASM_INSIGHTS_DATABASE_URL=dead) as client:
        for _ in range(5):
            response = client.post("/api/ask", json={"message": "ice or heat?"})
            assert response.status_code == 200 and response.json()["parts"][-1]["kind"] == "referral"
        page = signed_in_page(client)
        assert page.status_code == 503 and "cannot reach the insights PostgreSQL" in page.text and ":pw@" not in page.text
        assert client.get("/clinic/api/summary", headers=BEARER).status_code == 503
