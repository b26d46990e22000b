"""The chat page and the widget as a patient uses them (issue 14), at 375 px and 1280 px in Chromium.

The newest reply stays in view, the referral is compact but its emergency line always shows,
numbers are tap-to-call, the clinic's links appear only when configured, the phone layout, the
thumbs (one stored vote per answer), the input's limits, the widget's finish (who answers, a
conversation that follows the visitor, focus and scrolling on a phone, dark mode), fonts,
accessibility (axe-core, light and dark) and a first load that stays light. Screenshots of each
state go to ``artifacts/screenshots/``. Nothing is timed.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import (
    BOOKING,
    CLINIC_PHONE,
    GUIDE,
    RED_FLAG,
    SEVERE,
    SIZES,
    WAIT_MS,
    WIDGET_TITLE,
    axe_violations,
    chat_ask,
    feedback_for,
    open_widget,
    record_axe,
    shot,
    widget_ask,
)

pytestmark = pytest.mark.browser

QUESTIONS = [
    "ice or heat first?",
    "how long should I use ice for?",
    "Is massage good for back spasms?",
    "should I stay in bed?",
    "what stretches help a back spasm?",
]
MASSAGE = "How can massage help a back spasm?"
OVERDOSE = "my toddler swallowed some of my muscle relaxant tablets"
REFERRAL_LEAD = "When to get help"
REFERRAL_REST = "See a doctor today"


def in_view(locator, page) -> bool:
    """The element's first line is inside the window and inside every scrolling box around it."""
    return locator.evaluate(
        """e => {
            const r = e.getBoundingClientRect();
            const line = Math.min(r.height, 24);
            if (r.top < 0 || r.top + line > window.innerHeight || r.left < 0 || r.right > window.innerWidth + 1) return false;
            for (let p = e.parentElement; p; p = p.parentElement) {
                const s = getComputedStyle(p);
                if (!/(auto|scroll|hidden)/.test(s.overflowY)) continue;
                const b = p.getBoundingClientRect();
                if (r.top < b.top - 1 || r.top + line > b.bottom + 1) return false;
            }
            return true;
        }"""
    )


# -- the chat page: the newest reply in view ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_after_five_questions_the_newest_reply_and_the_input_are_in_view(stack, open_page, size):
    page = open_page(stack.bot + "/", **SIZES[size])
    box = page.get_by_label("Your question")
    for asked, question in enumerate(QUESTIONS):
        chat_ask(page, question, asked)
        page.wait_for_function("() => !document.querySelector('#bs-chat .bs-pending')")
        newest = page.locator("#bs-chat .bs-reply").last
        page.wait_for_function(  # the pane has followed: the reply's first line is inside it
            """() => { const r = [...document.querySelectorAll('#bs-chat .bs-reply')].pop().getBoundingClientRect();
                       const p = document.querySelector('#bs-chat .bubble-wrap').getBoundingClientRect();
                       return r.top >= p.top - 1 && r.top + 20 <= p.bottom; }""",
            timeout=WAIT_MS,
        )
        assert in_view(newest.locator(".bs-part").first, page), f"reply {asked + 1}: first line out of view"
        assert in_view(box, page), f"reply {asked + 1}: the input scrolled away"
    # The page itself never grows or scrolls: only the chat pane does.
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1")
    assert in_view(page.locator(".bs-emergency-line"), page)  # the emergency line: reachable without scrolling
    shot(page, f"40-chat-{size}-five-questions")


# -- the referral: compact, its emergency line always shown; in full in the API --------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_referrals_emergency_line_is_under_every_reply(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES[size])
    for asked, question in enumerate(QUESTIONS[:3]):
        chat_ask(page, question, asked)
    referrals = page.locator("#bs-chat .bs-referral")
    first = referrals.nth(0)
    expect(first.locator("details")).to_have_count(0)  # the first reply: the referral in full
    expect(first).to_contain_text(REFERRAL_REST)
    for n in range(3):
        referral = referrals.nth(n)
        referral.scroll_into_view_if_needed()
        expect(referral.locator("p").first).to_be_visible()
        expect(referral.locator("p").first).to_contain_text(REFERRAL_LEAD)
        expect(referral.locator("a[href='tel:911']").first).to_be_visible()
        expect(referral).to_have_class(re.compile(r"\bbs-referral\b"))
        assert referral.evaluate("e => e === e.closest('.bs-reply').lastElementChild")  # still the last part
    later = referrals.nth(2)
    rest = later.get_by_text(REFERRAL_REST, exact=False)
    expect(rest).to_be_hidden()  # one tap away
    later.locator("summary").click()
    expect(rest).to_be_visible()
    # Compact on screen, at most a few lines: the emergency line and the tap target.
    lines = later.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
    later.locator("summary").click()
    compact_lines = later.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
    print(f"referral at {size}px: {compact_lines:.1f} lines compact, {lines:.1f} opened")
    shot(page, f"41-chat-{size}-compact-referral")


def test_the_api_text_keeps_the_referral_in_full(stack):
    import httpx

    answer = httpx.post(stack.bot + "/api/ask", json={"message": QUESTIONS[0]}, timeout=30).json()
    assert REFERRAL_LEAD in answer["answer"] and REFERRAL_REST in answer["answer"]
    assert answer["answer"].rstrip().endswith("it is not a diagnosis.")


# -- action links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_tel_link_for_each_configured_number(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES[size])
    footer = page.locator(".bs-emergency-line")
    expect(footer.locator("a[href='tel:911']")).to_be_visible()  # emergency
    expect(footer.locator("a[href='tel:988']")).to_be_visible()  # crisis
    chat_ask(page, OVERDOSE, 0)
    reply = page.locator("#bs-chat .bs-reply").last
    expect(reply.locator(".bs-part").first.locator("a[href='tel:18002221222']").first).to_be_visible()  # poison
    if size == "1280":
        expect(page.locator(".bs-header-actions a.bs-contact[href='tel:5550100']")).to_be_visible()  # the clinic
    else:
        page.get_by_role("button", name="More options").click()
        expect(page.get_by_role("menuitem", name=f"Call the clinic: {CLINIC_PHONE}")).to_have_attribute("href", "tel:5550100")
        shot(page, f"42-chat-{size}-menu")
        page.keyboard.press("Escape")
    shot(page, f"43-chat-{size}-poison-tel")


@pytest.mark.parametrize("size", SIZES)
def test_book_or_call_the_clinic_under_answers_that_suggest_seeing_someone(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES[size])
    chat_ask(page, MASSAGE, 0)
    actions = page.locator("#bs-chat .bs-reply").last.locator(".bs-actions")
    expect(actions.get_by_role("link", name="Book an appointment")).to_have_attribute("href", BOOKING)
    expect(actions.get_by_role("link", name=f"Call the clinic: {CLINIC_PHONE}")).to_have_attribute("href", "tel:5550100")
    # Citation markers open the passage in the published guide.
    cite = page.locator("#bs-chat .bs-reply").last.locator(".bs-cite a").first
    assert cite.get_attribute("href").startswith(GUIDE + "#:~:text=")
    actions.scroll_into_view_if_needed()
    shot(page, f"44-chat-{size}-book-or-call")
    chat_ask(page, RED_FLAG, 1)
    expect(page.locator("#bs-chat .bs-reply").last.locator(".bs-actions")).to_have_count(0)  # a red flag says whom to call


def test_with_no_links_configured_nothing_links_to_nowhere(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bare + "/", **SIZES["1280"])
    chat_ask(page, MASSAGE, 0)
    reply = page.locator("#bs-chat .bs-reply").last
    expect(reply.locator(".bs-actions")).to_have_count(0)
    expect(reply.locator(".bs-cite a")).to_have_count(0)
    expect(reply.get_by_text("Read this in the guide")).to_have_count(0)
    expect(page.locator(".bs-contact")).to_have_count(0)
    expect(page.locator(".bs-emergency-line a[href='tel:911']")).to_be_visible()  # the safety numbers always
    hrefs = page.locator("#bs-chat a, .bs-header a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(h and (h.startswith("tel:") or h.startswith("https://")) for h in hrefs), hrefs


# -- the phone layout ------------------------------------------------------------------------------------


def test_phone_layout_full_width_input_send_icon_and_clear_behind_a_confirmation(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES["375"])
    box = page.get_by_label("Your question")
    width = box.bounding_box()["width"]
    assert width >= 260, f"the input is {width:.0f} px wide"
    assert box.evaluate("e => e.getBoundingClientRect().height") < 60  # the placeholder on one line
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()  # nothing typed
    assert send.locator("svg").count() == 1 and send.inner_text().strip() == ""  # an icon
    expect(page.get_by_role("button", name="Clear chat")).to_have_count(0)
    expect(page.locator("#bs-chat button[aria-label='Clear']")).to_be_hidden()  # Gradio's one-tap trash
    assert in_view(page.locator(".bs-emergency-line"), page)
    shot(page, "45-chat-375-empty")

    chat_ask(page, QUESTIONS[0], 0)
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="New conversation").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Start a new conversation?")
    shot(page, "46-chat-375-confirm-new-conversation")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#bs-chat .bs-reply")).to_have_count(1)  # kept
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="New conversation").click()
    page.get_by_role("button", name="Clear and start again").click()
    expect(page.locator("#bs-chat .bs-reply")).to_have_count(0)


# -- feedback --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_vote_changed_from_down_to_up_leaves_one_row(stack, open_page, size):
    from playwright.sync_api import expect

    question = f"what does heat do for a spasm ({size})?"
    page = open_page(stack.bot + "/", **SIZES[size])
    chat_ask(page, question, 0)
    bar = page.locator("#bs-chat .bs-feedback").last
    up, down = bar.get_by_role("button", name="Yes, helpful"), bar.get_by_role("button", name="No, not helpful")
    for button in (up, down):
        size_px = button.bounding_box()
        assert size_px["width"] >= 40 and size_px["height"] >= 40
    down.click()
    expect(bar.locator(".bs-feedback-status")).to_have_text("Thanks for the feedback.")
    chips = bar.locator(".bs-reason")
    expect(chips).to_have_text(["Didn't answer my question", "Wrong information", "Hard to read"])
    assert all(chips.nth(i).bounding_box()["height"] >= 40 for i in range(3))
    bar.get_by_role("button", name="Wrong information").click()
    expect(bar.locator(".bs-feedback-status")).to_have_text("Thanks, noted.")
    bar.scroll_into_view_if_needed()
    shot(page, f"47-chat-{size}-thumbs-down-reasons")
    _wait_for(lambda: feedback_for(stack.feedback, question) == [("down", "wrong")])
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(chips.first).to_be_hidden()
    _wait_for(lambda: feedback_for(stack.feedback, question) == [("up", None)])


def _wait_for(check, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the stored feedback never matched"
        time.sleep(0.2)


# -- the input's limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_long_paste_shows_the_notice_and_an_empty_send_does_nothing(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES[size])
    box = page.get_by_label("Your question")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    box.press("Enter")  # an empty message is not a turn
    box.fill("   ")
    expect(send).to_be_disabled()
    box.press("Enter")
    page.wait_for_timeout(300)  # time for a turn that must not appear
    expect(page.locator("#bs-chat .bs-user")).to_have_count(0)

    box.fill("")
    box.focus()
    page.keyboard.insert_text("a" * 1_700)
    counter = page.locator("#bs-counter")
    expect(counter).to_have_text("1,700 / 2,000 characters")
    page.keyboard.insert_text("my back hurts " * 57)  # a paste past the limit: 2,498 characters
    expect(counter).to_contain_text("Too long: 2,498 of 2,000 characters")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert len(box.input_value()) == 2_498  # never cut
    assert in_view(counter, page)
    expect(send).to_be_enabled()
    shot(page, f"48-chat-{size}-too-long-notice")


# -- the widget ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_widget_says_who_answers_and_its_launcher_toggles(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", **SIZES[size])
    launcher = page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    chat_icon = launcher.locator("svg").nth(0)
    frame = open_widget(page)
    bar = page.locator(".bar")
    expect(bar).to_contain_text(WIDGET_TITLE)
    expect(bar).to_contain_text("Eric Tsai Acupuncture and Herbs")
    expect(bar).to_contain_text("Automated assistant, not a person")
    expect(page.locator(".panel")).to_have_attribute("role", "dialog")
    if size == "1280":  # on a phone the panel covers the launcher; its own close button is there
        closer = page.get_by_role("button", name=f"Close chat: {WIDGET_TITLE}")
        expect(closer).to_have_attribute("aria-expanded", "true")
        expect(chat_icon).to_be_hidden()
        expect(closer.locator("svg").nth(1)).to_be_visible()  # the cross
    shot(page, f"50-widget-{size}-open")
    expect(frame.get_by_role("button", name="Send")).to_be_disabled()
    widget_ask(page, frame, MASSAGE, 0)
    actions = frame.locator(".msg-bot").last.locator(".actions")
    expect(actions.get_by_role("link", name="Book an appointment")).to_have_attribute("href", BOOKING)
    expect(actions.get_by_role("link", name=f"Call the clinic: {CLINIC_PHONE}")).to_have_attribute("href", "tel:5550100")
    expect(frame.locator(".fine a[href='tel:911']")).to_be_visible()
    shot(page, f"51-widget-{size}-answer")
    page.get_by_role("button", name="Close chat", exact=True).click()
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}")).to_be_visible()
    expect(chat_icon).to_be_visible()


def test_widget_transition_respects_reduced_motion(stack, open_page):
    page = open_page(stack.page + "/", reduced_motion="reduce", **SIZES["1280"])
    open_widget(page)
    assert page.locator(".panel").evaluate("e => getComputedStyle(e).transitionDuration").split(",")[0].strip() == "0s"
    page2 = open_page(stack.page + "/", reduced_motion="no-preference", **SIZES["1280"])
    assert page2.locator(".panel").evaluate("e => getComputedStyle(e).transitionDuration").split(",")[0].strip() != "0s"


@pytest.mark.parametrize("size", SIZES)
def test_widget_conversation_survives_moving_to_another_page(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", **SIZES[size])
    frame = open_widget(page)
    widget_ask(page, frame, QUESTIONS[0], 0)
    widget_ask(page, frame, QUESTIONS[1], 1)
    page.goto(stack.page + "/hours")
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    frame = open_widget(page)
    expect(frame.locator(".user-text")).to_have_text(QUESTIONS[:2])
    expect(frame.locator(".msg-bot .part-referral")).to_have_count(2)
    expect(frame.locator(".msg-bot").nth(1).locator(".referral-more")).to_have_count(1)  # still compact after the first
    shot(page, f"52-widget-{size}-second-page")
    # The follow-up on the new page still carries the conversation.
    sent = widget_ask(page, frame, "and for how long?", 2)
    assert [t["content"] for t in sent["history"] if t["role"] == "user"] == QUESTIONS[:2]
    # "New conversation" clears it, here and on the next page.
    frame.get_by_role("button", name="New conversation").click()
    frame.get_by_role("button", name="Clear and start again").click()
    expect(frame.locator(".msg")).to_have_count(0)
    expect(frame.get_by_text("Should I use ice or heat first?")).to_be_visible()
    page.goto(stack.page + "/")
    frame = open_widget(page)
    expect(frame.locator(".msg")).to_have_count(0)


def test_tab_stays_inside_the_open_widget_on_a_phone(stack, open_page):
    page = open_page(stack.page + "/", **SIZES["375"])
    frame = open_widget(page)
    widget_ask(page, frame, QUESTIONS[0], 0)
    inside = "() => document.activeElement && document.activeElement.hasAttribute('data-clinic-chat-widget')"
    for step in range(40):
        page.keyboard.press("Tab")
        assert page.evaluate(inside), f"Tab {step + 1} left the panel for the page behind"
    for step in range(10):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(inside), f"Shift+Tab {step + 1} left the panel for the page behind"
    assert page.locator(".panel").get_attribute("aria-modal") == "true"
    shot(page, "53-widget-375-focus-inside")


@pytest.mark.parametrize("size", SIZES)
def test_scrolling_the_widget_past_its_end_leaves_the_page_behind_still(stack, open_page, size):
    page = open_page(stack.page + "/", **SIZES[size])
    frame = open_widget(page)
    for asked, question in enumerate(QUESTIONS[:3]):
        widget_ask(page, frame, question, asked)
    page.evaluate("window.scrollTo(0, 200)")
    before = page.evaluate("window.scrollY")
    box = page.locator("iframe").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for delta in (4000, 4000, -9000, -4000):  # past the bottom, then past the top
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(250)
    assert page.evaluate("window.scrollY") == before


@pytest.mark.parametrize("size", SIZES)
def test_widget_shows_no_console_warnings_and_fetches_nothing_from_outside(stack, open_page, size):
    page = open_page(stack.page + "/", **SIZES[size])
    frame = open_widget(page)
    widget_ask(page, frame, QUESTIONS[0], 0)
    page.get_by_role("button", name="Close chat", exact=True).click()
    open_widget(page)
    page.wait_for_timeout(300)
    noisy = [m for m in open_page.console if m.split(":")[0] in ("warning", "error", "pageerror")]
    assert noisy == []
    origins = {stack.page, stack.bot}
    outside = [u for u in open_page.requests if not u.startswith(("data:", "blob:")) and not any(u.startswith(o) for o in origins)]
    assert outside == []


def test_chat_page_fetches_nothing_from_outside(stack, open_page):
    page = open_page(stack.bot + "/", **SIZES["1280"])
    chat_ask(page, QUESTIONS[0], 0)
    outside = [u for u in open_page.requests if not u.startswith(("data:", "blob:", stack.bot))]
    assert outside == []


# -- dark mode and fonts ----------------------------------------------------------------------------------


def luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("size", SIZES)
def test_dark_mode_chat_page_and_widget(stack, open_page, size):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", color_scheme="dark", **SIZES[size])
    chat_ask(page, QUESTIONS[0], 0)
    referral = page.locator("#bs-chat .bs-referral").last
    assert luminance(referral.evaluate("e => getComputedStyle(e).backgroundColor")) < 0.2  # not a bright slab
    shot(page, f"54-chat-{size}-dark")

    demo = open_page(stack.page + "/", color_scheme="dark", **SIZES[size])
    frame = open_widget(demo)
    widget_ask(demo, frame, QUESTIONS[0], 0)
    expect(frame.locator("html")).to_have_attribute("data-theme", "dark")
    assert luminance(frame.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")) < 0.2
    assert luminance(frame.locator(".part-referral").evaluate("e => getComputedStyle(e).backgroundColor")) < 0.2
    shot(demo, f"55-widget-{size}-dark")


def test_widget_follows_the_host_pages_data_theme(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.page + "/", color_scheme="light", **SIZES["1280"])
    frame = open_widget(page)
    expect(frame.locator("html")).to_have_attribute("data-theme", "light")
    page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
    expect(frame.locator("html")).to_have_attribute("data-theme", "dark")
    page.evaluate("document.documentElement.setAttribute('data-theme', 'light')")
    expect(frame.locator("html")).to_have_attribute("data-theme", "light")


def test_headings_use_one_typeface(stack, open_page):
    page = open_page(stack.bot + "/", **SIZES["1280"])
    chat_ask(page, RED_FLAG, 0)
    families = page.evaluate(
        """() => [...document.querySelectorAll('.bs-title, #bs-chat h2, #bs-chat h3, #bs-chat p')]
                 .map(e => getComputedStyle(e).fontFamily.split(',')[0].trim())"""
    )
    assert set(families) == {"system-ui"}, set(families)
    loaded = page.evaluate("async () => { await document.fonts.ready; return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family); }")
    assert not any("Source Sans" in f for f in loaded), loaded


# -- text oddities ----------------------------------------------------------------------------------------


def test_no_odd_texts_on_screen(stack, open_page):
    from playwright.sync_api import expect

    page = open_page(stack.bot + "/", **SIZES["1280"])
    chat_ask(page, "hello", 0)
    expect(page.locator("#bs-chat .bs-reply").last).not_to_contain_text("'s treatment guide")
    chat_ask(page, "which treatments don't need any medication?", 1)
    reply = page.locator("#bs-chat .bs-reply").last
    expect(reply.locator(".bs-sources")).to_have_count(1)  # answered from the guide
    expect(reply.locator(".bs-prompt-medication_caution")).to_have_count(0)
    shot(page, "56-chat-drug-free-answer")


# -- accessibility: axe-core, light and dark, phone and desktop -------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_chat_page_has_no_serious_accessibility_violations(stack, open_page, size, scheme):
    page = open_page(stack.bot + "/", color_scheme=scheme, **SIZES[size])
    chat_ask(page, MASSAGE, 0)
    chat_ask(page, RED_FLAG, 1)
    bar = page.locator("#bs-chat .bs-feedback").first
    bar.get_by_role("button", name="No, not helpful").click()  # the reason chips on screen too
    violations = axe_violations(page)
    record_axe(f"chat-{size}-{scheme}", violations)
    assert [v for v in violations if v["impact"] in SEVERE] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_widget_has_no_serious_accessibility_violations(stack, open_page, size, scheme):
    page = open_page(stack.page + "/", color_scheme=scheme, **SIZES[size])
    frame_locator = open_widget(page)
    widget_ask(page, frame_locator, MASSAGE, 0)
    widget_ask(page, frame_locator, RED_FLAG, 1)
    frame_locator.locator(".feedback").first.get_by_role("button", name="No, not helpful").click()
    frame = next(f for f in page.frames if f.url.startswith(stack.bot + "/widget"))
    inside = axe_violations(frame)
    launcher = axe_violations(page, {"include": [["[data-clinic-chat-widget]"]]})  # the snippet's own elements only
    violations = inside + launcher
    record_axe(f"widget-{size}-{scheme}", violations)
    assert [v for v in violations if v["impact"] in SEVERE] == []
