"""/clinic in Debian's Chromium: sign-in, every panel over a seeded month, the CSV download, a phone's width.

Chromium is the folder's ``browser`` fixture (tests/browser/conftest.py). One ``app.py`` serves the module, its SQLite insights store seeded beforehand
through the real store (tests/insights_seed.py) with [privacy] store_questions on,
so the lists show redacted texts. What the page shows is compared with the
figures ``insights.summary`` computes from the same database. The desktop
screenshot is the README's (docs/images/clinic-insights.png is copied from it).
"""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest

from tests.browser.helpers import SHOTS, WAIT_MS
from tests.servers import app_env, running_apps

pytestmark = pytest.mark.browser

TOKEN = "clinic-browser-token-0042"
PANELS = ("totals", "per-day", "by-kind", "safety", "treatments", "intents", "unanswered", "rated-down")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def clinic_app(built_index_dir, tmp_path_factory):
    from insights.db import Target, open_database
    from insights.summary import Period, summarize
    from tests.insights_seed import seed

    work = tmp_path_factory.mktemp("clinic-browser")
    env = app_env(built_index_dir, work / "feedback.sqlite3", BACKSPASM_INSIGHTS_TOKEN=TOKEN, BACKSPASM_PRIVACY_STORE_QUESTIONS="true")
    with open_database(Target("sqlite", env["BACKSPASM_INSIGHTS_PATH"])) as db:
        seeded = seed(db)
        expected = summarize(db, Period.parse(None))  # the page's default period: the last 30 days
    with running_apps([("clinic", env)], work) as (app,):
        yield SimpleNamespace(url=app.url, seeded=seeded, expected=expected)


@pytest.fixture(scope="module")
def session_state(browser, clinic_app) -> dict:
    """One sign-in for the module (sign-in is rate-limited per address): the cookie the other tests start with."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(clinic_app.url + "/clinic")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#totals", timeout=WAIT_MS)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def new_context(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(accept_downloads=True, **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def signed_in(context, url: str):
    page = context.new_page()
    page.goto(url + "/clinic")
    page.wait_for_selector("#totals")
    return page


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_sign_in_wrong_then_right_sets_a_strict_httponly_cookie(clinic_app, new_context):
    from playwright.sync_api import expect

    context = new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(clinic_app.url + "/clinic")
    expect(page.locator("h1")).to_have_text("Clinic insights")
    assert page.locator("#totals").count() == 0  # the form, and no figure
    page.fill("#token", "not-the-token-at-all")
    page.click("button[type=submit]")
    expect(page.locator(".ci-alert")).to_contain_text("not right")
    assert page.locator("#totals").count() == 0
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("#totals")).to_be_visible()
    (cookie,) = [c for c in context.cookies() if c["name"] == "clinic_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/clinic"
    page.click("text=Sign out")
    expect(page.locator("#token")).to_be_visible()


def test_every_panel_shows_the_seeded_month(clinic_app, new_context, session_state):
    from playwright.sync_api import expect

    expected = clinic_app.expected
    page = signed_in(new_context(viewport=DESKTOP, storage_state=session_state), clinic_app.url)
    for panel in PANELS:
        expect(page.locator(f"#{panel}")).to_be_visible()
    assert expected.replies == clinic_app.seeded["replies"] > 100
    assert number(page.locator(".ci-card-replies .ci-card-value").inner_text()) == expected.replies
    # Questions per day: one bar per day of the period, each titled with its day and count.
    bars = page.locator("#per-day svg rect.ci-bar")
    assert bars.count() == len(expected.by_day) == 30
    assert [t.strip() for t in page.locator("#per-day svg rect.ci-bar title").all_text_contents()] == [f"{d}: {n}" for d, n in expected.by_day]
    # Share by reply kind: a row per kind, the counts the database has.
    kind_counts = [number(t) for t in page.locator("#by-kind tbody td.ci-num:nth-of-type(2)").all_inner_texts()]
    assert kind_counts == list(expected.by_kind.values())
    expect(page.locator("#by-kind")).to_contain_text("Declined (outside the guide)")
    # Emergency, crisis and urgent.
    safety = [number(t) for t in page.locator("#safety .ci-card-value").all_inner_texts()]
    assert safety == list(expected.safety.values()) and safety[0] > 0
    expect(page.locator("#safety")).to_contain_text("trouble peeing")
    # Treatments and intents, largest first.
    top_treatment = next(iter(expected.by_treatment))
    expect(page.locator("#treatments tbody tr").first).to_contain_text(top_treatment)
    expect(page.locator("#intents")).to_contain_text("How long or how often")
    # Unanswered and declined: grouped by kind and topic, and the stored texts, redacted.
    unanswered = page.locator("#unanswered")
    expect(unanswered).to_contain_text("No answer in the guide")
    expect(unanswered).to_contain_text("My name is [name]")
    expect(unanswered).to_contain_text("call me on [phone]")
    assert "Ann Lee" not in unanswered.inner_text() and "7788" not in unanswered.inner_text()
    # Answers rated down, with their reasons and the sections they cited.
    rated = page.locator("#rated-down")
    expect(rated).to_contain_text("Wrong information")
    expect(rated).to_contain_text("Hard to read")
    expect(rated).to_contain_text("›")  # a cited section, "Treatment › Section"
    assert "a@b.example" not in rated.inner_text()
    page.screenshot(path=str(SHOTS / "clinic-insights.png"), full_page=True)


def test_a_shorter_period_shows_fewer_days(clinic_app, new_context, session_state):
    page = signed_in(new_context(viewport=DESKTOP, storage_state=session_state), clinic_app.url)
    page.click("text=last 7 days")
    page.wait_for_selector("#per-day")
    assert page.locator("#per-day svg rect.ci-bar").count() == 7


def test_the_csv_download_is_what_the_page_shows(clinic_app, new_context, session_state):
    expected = clinic_app.expected
    page = signed_in(new_context(viewport=DESKTOP, storage_state=session_state), clinic_app.url)
    with page.expect_download() as info:
        page.click("text=Download CSV")
    download = info.value
    assert re.fullmatch(r"clinic-insights-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename), download.suggested_filename
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert int(next(r for r in rows if r["panel"] == "replies")["count"]) == expected.replies
    assert {r["name"]: int(r["count"]) for r in rows if r["panel"] == "by_kind"} == expected.by_kind
    assert sum(r["panel"] == "rated_down" for r in rows) == len(expected.rated_down)
    assert any("[name]" in r["text"] for r in rows if r["panel"] == "unanswered_text")


def test_the_page_fits_a_phone(clinic_app, new_context, session_state):
    from playwright.sync_api import expect

    page = signed_in(new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, storage_state=session_state),
                     clinic_app.url)
    for panel in PANELS:
        expect(page.locator(f"#{panel}")).to_be_visible()
    # Nothing makes the page scroll sideways: wide tables scroll inside their panel.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for panel in PANELS:
        box = page.locator(f"#{panel}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, panel
    expect(page.locator("text=Download CSV")).to_be_visible()
    page.screenshot(path=str(SHOTS / "clinic-insights-phone.png"), full_page=False)
