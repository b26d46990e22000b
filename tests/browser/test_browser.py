"""End to end in Debian's Chromium: the chat page, the widget on a demo clinic site, phones, safety of display.

One assistant server and one demo clinic page (on its own port) serve the whole
session (``conftest.py``). Each step saves a screenshot under ``artifacts/screenshots/``. Every wait
is bounded; nothing here times the answers.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.browser.helpers import (
    BOOKING,
    GUIDE,
    RED_FLAG,
    WAIT_MS,
    WIDGET_TITLE,
    XSS,
    chat_ask,
    feedback_rows,
    settle,
    shot,
    static_page,
    widget_ask,
)

pytestmark = pytest.mark.browser


# -- the chat page ------------------------------------------------------------------------------


def test_chat_page_answers_with_citations_sources_and_referral(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/")
    expect(page.locator("#bs-chat")).to_be_visible()
    expect(page.get_by_text("Should I use ice or heat first?")).to_be_visible()  # examples on the empty chat
    expect(page.locator(".bs-title")).to_have_text("Eric Tsai Acupuncture and Herbs")
    expect(page.get_by_role("link", name="Book an appointment")).to_have_attribute("href", BOOKING)
    shot(page, "01-chat-empty")

    chat_ask(page, "ice or heat first?", 0)
    reply = page.locator("#bs-chat .bs-reply").nth(0)
    expect(reply.locator(".bs-cite").first).to_have_text("[1]")
    source = reply.locator(".bs-source").first
    expect(source.locator("summary")).to_contain_text("[1]")
    expect(source.locator("summary")).to_contain_text("›")  # treatment › section
    expect(source.locator(".bs-quote")).to_be_hidden()
    source.locator("summary").click()
    expect(source.locator(".bs-quote")).to_be_visible()
    assert len(source.locator(".bs-quote").inner_text().strip()) > 20
    link = source.get_by_role("link", name="Read this in the guide")
    assert link.get_attribute("href").startswith(GUIDE + "#:~:text=")
    referral = reply.locator(".bs-part").last
    expect(referral).to_have_class(re.compile(r"\bbs-referral\b"))
    expect(referral).to_contain_text("When to get help")
    shot(page, "02-chat-answer-with-source-open")

    # Thumbs up on that answer: stored with its question, nothing about who voted.
    page.locator("#bs-chat").get_by_role("button", name="Yes, helpful", exact=True).first.click()
    expect(page.locator("#bs-chat .bs-feedback-status").first).to_have_text("Thanks for the feedback.")
    rows = [r for r in feedback_rows(stack.feedback, 1) if r[3] == "ice or heat first?"]
    assert rows, "the vote was not stored"
    _, created_at, vote, question, answer, answer_id, reason, _ = rows[-1]
    assert (vote, question, reason) == ("up", "ice or heat first?", None)
    assert "[1]" in answer and created_at and len(answer_id) == 32
    with sqlite3.connect(stack.feedback) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(feedback)")]
    assert columns == ["id", "created_at", "vote", "question", "answer", "answer_id", "reason", "updated_at"]

    # A red flag: the emergency notice comes first and cannot be missed.
    chat_ask(page, RED_FLAG, 1)
    reply = page.locator("#bs-chat .bs-reply").nth(1)
    first = reply.locator(".bs-part").first
    expect(first).to_have_class(re.compile(r"\bbs-emergency\b"))
    expect(first).to_have_attribute("role", "alert")
    expect(first).to_contain_text("Call")
    background = first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(185, 28, 28)"
    expect(reply.locator(".bs-part").last).to_have_class(re.compile(r"\bbs-referral\b"))
    first.scroll_into_view_if_needed()
    shot(page, "03-chat-emergency")


def test_chat_page_shows_hostile_messages_as_text(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/")
    expect(page.locator("#bs-chat")).to_be_visible()
    for i, text in enumerate(XSS):
        chat_ask(page, text, i)
        expect(page.locator("#bs-chat .bs-user").last).to_have_text(text)
    page.wait_for_timeout(500)  # time for an onerror that should never fire
    assert open_page.dialogs == []
    assert page.locator("#bs-chat img[src='x']").count() == 0
    assert page.locator("#bs-chat script").count() == 0
    # Screen readers get the visible text, not Gradio's raw-markup labels.
    raw_labels = page.locator("#bs-chat [aria-label*='<']")
    expect(raw_labels).to_have_count(0)
    shot(page, "04-chat-hostile-input-as-text")
    # "New conversation" (in the menu, asked again) empties the chat and brings back the example questions.
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="New conversation").click()
    page.get_by_role("button", name="Clear and start again").click()
    expect(page.locator("#bs-chat .bs-reply")).to_have_count(0)
    expect(page.get_by_text("Should I use ice or heat first?")).to_be_visible()


def test_chat_page_fits_a_phone(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    expect(page.locator("#bs-chat")).to_be_visible()
    page.get_by_text("How can massage help a back spasm?").click()  # an example question, asked by a tap
    expect(page.locator("#bs-chat .bs-referral")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#bs-chat .bs-user").first).to_have_text("How can massage help a back spasm?")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "05-chat-375px")
    # On a small screen the emergency notice, not the referral under it, is what comes into view.
    chat_ask(page, RED_FLAG, 1)
    notice = page.locator("#bs-chat .bs-emergency").last
    expect(notice.locator("h2")).to_be_in_viewport(timeout=WAIT_MS)
    shot(page, "06-chat-375px-emergency")


# -- the widget on the demo clinic page ---------------------------------------------------------


def test_widget_on_the_clinic_page(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", viewport={"width": 1280, "height": 860})
    bubble = page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}")
    expect(bubble).to_be_visible()
    shot(page, "07-demo-page-bubble")
    bubble.click()
    frame = page.frame_locator(f"iframe[title='{WIDGET_TITLE}']")

    expect(frame.get_by_role("link", name="Book an appointment")).to_have_attribute("href", BOOKING)  # on the welcome
    sent = widget_ask(page, frame, "ice or heat first?", 0)
    assert sent == {"message": "ice or heat first?", "history": []}
    reply = frame.locator(".msg-bot").nth(0)
    expect(reply.locator(".cite").first).to_have_text("[1]")
    source = reply.locator(".source").first
    expect(source.locator("summary")).to_contain_text("[1]")
    source.locator("summary").click()
    expect(source.locator(".quote")).to_be_visible()
    assert source.get_by_role("link", name="Read this in the guide").get_attribute("href").startswith(GUIDE)
    expect(reply.locator(".part-referral")).to_contain_text("When to get help")
    shot(page, "08-widget-answer-with-source-open")

    # The follow-up carries the conversation.
    sent = widget_ask(page, frame, "how long should I use ice for?", 1)
    assert [t["role"] for t in sent["history"]] == ["user", "assistant"]
    assert sent["history"][0]["content"] == "ice or heat first?"
    assert "[1]" in sent["history"][1]["content"]

    # Thumbs up from the widget lands in the same store.
    before = len(feedback_rows(stack.feedback, 0, timeout=0.1))
    reply.get_by_role("button", name="Yes, helpful").click()
    expect(reply.locator(".feedback-status")).to_have_text("Thanks for the feedback.")
    rows = feedback_rows(stack.feedback, before + 1)
    assert rows[-1][2:4] == ("up", "ice or heat first?")

    # Hostile input shows as text and runs nothing.
    for i, text in enumerate(XSS):
        widget_ask(page, frame, text, 2 + i)
        expect(frame.locator(".user-text").last).to_have_text(text)
    page.wait_for_timeout(500)
    assert open_page.dialogs == []
    assert frame.locator("img[src='x']").count() == 0
    shot(page, "09-widget-hostile-input-as-text")

    # A red flag: emergency first.
    widget_ask(page, frame, RED_FLAG, 4)
    first = frame.locator(".msg-bot").nth(4).locator(".part").first
    expect(first).to_have_class(re.compile(r"\bpart-emergency\b"))
    expect(first).to_have_attribute("role", "alert")
    shot(page, "10-widget-emergency")

    # The clinic's page stays usable with the panel open, and Escape closes the panel.
    page.get_by_role("link", name="Visit us").click()
    expect(page).to_have_url(re.compile("#visit$"))
    frame.get_by_label("Your question").focus()
    frame.get_by_label("Your question").press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(bubble).to_be_focused()
    page.keyboard.press("Enter")  # the bubble, focused, opens it again from the keyboard
    expect(page.locator(".panel")).to_be_visible()
    page.get_by_role("button", name="Close chat", exact=True).click()
    expect(page.locator(".panel")).to_be_hidden()


def test_widget_fills_a_phone_screen(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}").click()
    panel = page.locator(".panel")
    expect(panel).to_be_visible()
    settle(panel)  # the panel fades in
    box = panel.bounding_box()
    assert box is not None
    assert (round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"])) == (0, 0, 375, 740)
    frame = page.frame_locator(f"iframe[title='{WIDGET_TITLE}']")
    widget_ask(page, frame, "ice or heat first?", 0)
    shot(page, "11-widget-375px-full-screen")
    widget_ask(page, frame, RED_FLAG, 1)
    expect(frame.locator(".part-emergency .part-heading")).to_be_in_viewport()
    shot(page, "12-widget-375px-emergency")


def test_snippet_options_and_nothing_else_on_the_host_page(stack, open_page):
    from playwright.sync_api import expect

    # Another clinic page, with the other options, served from its own port.
    html = (
        "<!doctype html><title>host</title><p id=p style='color:rgb(1,2,3)'>Host text</p>"
        "<script>window.__before = Object.keys(window);</script>"
        f'<script src="{stack.bot}/widget.js" defer data-title="Back help" data-position="left" '
        'data-accent="#aa3300" data-open="true"></script>'
    )
    with static_page(html) as url:
        page = open_page(url, viewport={"width": 1280, "height": 860})
        expect(page.locator(".panel")).to_be_visible()  # data-open
        bubble = page.get_by_role("button", name="Close chat: Back help")  # data-title
        box = bubble.bounding_box()
        assert box is not None and box["x"] < 100  # data-position="left"
        assert bubble.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(170, 51, 0)"  # data-accent
        # One global, no global styles, the host's own elements untouched.
        added = page.evaluate("() => Object.keys(window).filter(k => !window.__before.includes(k) && k !== '__before')")
        assert added == ["ClinicChatWidget"]
        assert page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length") == 0
        assert page.locator("#p").evaluate("e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
        expect(page.frame_locator("iframe[title='Back help']").get_by_label("Your question")).to_be_visible()
        shot(page, "13-snippet-left-open-on-load")


# -- the safety net on screen: crisis card first, tap-to-call numbers, refused messages still triaged ----------------

CRISIS = "honestly I don't want to be here anymore, this back pain has taken everything from me"


def test_chat_page_crisis_card_first_with_tap_to_call_numbers(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", viewport={"width": 1280, "height": 800})
    chat_ask(page, CRISIS, 0)
    reply = page.locator("#bs-chat .bs-reply").last
    first = reply.locator(".bs-part").first
    expect(first).to_have_class(re.compile(r"\bbs-crisis\b"))
    expect(first).to_have_attribute("role", "alert")
    expect(first.locator("a[href='tel:988']")).to_have_count(1)
    expect(first.locator("a[href='tel:911']")).to_have_count(1)
    expect(reply.locator(".bs-sources")).to_have_count(0)  # no treatment tips
    shot(page, "20-chat-crisis-card")


def test_chat_page_over_long_message_with_a_red_flag_gets_the_emergency_text(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", viewport={"width": 1280, "height": 800})
    message = "My back has been in spasm for weeks and nothing works. " * 40 + "Since this morning I can't pee at all."
    chat_ask(page, message, 0)
    reply = page.locator("#bs-chat .bs-reply").last
    expect(reply.locator(".bs-part").first).to_have_class(re.compile(r"\bbs-emergency\b"))
    expect(reply.locator(".bs-notice")).to_contain_text("too long")
    shot(page, "21-chat-too-long-emergency")


def test_widget_crisis_card_first_and_tap_to_call(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}").click()
    frame = page.frame_locator(f"iframe[title='{WIDGET_TITLE}']")
    widget_ask(page, frame, CRISIS, 0)
    first = frame.locator(".msg-bot").nth(0).locator(".part").first
    expect(first).to_have_class(re.compile(r"\bpart-crisis\b"))
    expect(first.locator("a[href='tel:988']")).to_have_count(1)
    shot(page, "22-widget-crisis-card-phone")

    # Too long: the server still triages it whole, and the widget shows what it said first.
    message = "My back has been in spasm for weeks and nothing works. " * 40 + "Since this morning I can't pee at all."
    frame.get_by_label("Your question").fill(message)
    frame.get_by_role("button", name="Send").click()
    second = frame.locator(".msg-bot").nth(1)
    expect(second.locator(".part").first).to_have_class(re.compile(r"\bpart-emergency\b"))
    expect(second.locator(".part-notice")).to_contain_text("too long")
    expect(second.locator(".part-referral")).to_have_count(1)
    shot(page, "23-widget-too-long-emergency")


def test_chat_page_shows_each_medicine_risks_caution_first_and_no_dose(stack, open_page):
    """Every risk of data/en/medicine_risks.toml, typed into the chat page: its caution (the part's
    ``bs-prompt-<text>`` class) is the first part after any red-flag banner, and no dose in mg appears."""
    from playwright.sync_api import expect

    from rules.files import read_medicine_risks
    from tests.integration.test_medicines import RISK_MESSAGES

    page = open_page(stack.bot + "/", viewport={"width": 1280, "height": 900})
    texts = {r.id: r.text for r in read_medicine_risks().risks}
    for asked, (risk, (message, earlier)) in enumerate(sorted(RISK_MESSAGES.items())):
        question = " ".join([*earlier, message])  # the page keeps its own history: say it all in one message
        chat_ask(page, question, asked)
        reply = page.locator("#bs-chat .bs-reply").last
        first = reply.locator(".bs-part:not(.bs-urgent)").first
        expect(first).to_have_class(re.compile(rf"\bbs-prompt-{texts[risk]}\b"))
        assert not re.search(r"\b\d+(?:\s*-\s*\d+)?\s*mg\b", reply.inner_text(), re.IGNORECASE), (risk, reply.inner_text())
        if risk == "pregnancy":
            shot(page, "30-chat-medicine-risk-caution")
