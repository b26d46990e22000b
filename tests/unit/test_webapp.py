"""The web front's pure parts: safe Markdown, reply rendering and streaming, request checks, limits, CSP."""

from __future__ import annotations

import re

import pytest

from webapp.limits import RateLimiter
from webapp.links import ClinicLinks
from webapp.markdown import plain_text_html, to_html
from webapp.rendering import ReplyRenderer
from webapp.security import frame_ancestors
from webapp.validation import InvalidRequest, parse_json, validate_ask

# -- Markdown: escape first, then a tiny subset --------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        '[click](javascript:alert(1))',
        '[x](https://ok.example/" onmouseover="alert(1))',
        "**<b onclick=alert(1)>x</b>**",
    ],
)
def test_markdown_never_lets_markup_through(hostile):
    out = to_html(hostile)
    assert "<img" not in out and "<script" not in out and "<b " not in out
    assert 'href="javascript' not in out
    assert 'onmouseover="' not in out


def test_markdown_subset():
    out = to_html("## 🚨 Call 911 now\n\nSee **a doctor** [1]. [Guide](https://clinic.example/guide)\n\n- one\n- two")
    assert "<h3>🚨 Call 911 now</h3>" in out
    assert "<strong>a doctor</strong>" in out
    assert '<sup class="bs-cite" title="Source 1">[1]</sup>' in out
    assert '<a href="https://clinic.example/guide" target="_blank" rel="noopener noreferrer">Guide</a>' in out
    assert "<ul><li>one</li><li>two</li></ul>" in out
    assert "\n" not in out  # one HTML block for the chat's Markdown renderer


def test_a_patients_message_is_shown_as_typed():
    out = plain_text_html("**hi** <script>alert(1)</script>\n# not a heading")
    assert out.startswith('<p class="bs-user">')
    assert "**hi** &lt;script&gt;alert(1)&lt;/script&gt;<br># not a heading" in out


# -- replies ---------------------------------------------------------------------------------

REPLY = {
    "kind": "answer",
    "triage": "urgent",
    "parts": [
        {"kind": "urgent", "markdown": "## ⚠️ See a doctor today"},
        {"kind": "answer", "markdown": "Use ice first. [1] Then heat. [2]"},
        {"kind": "sources", "markdown": "**Sources**"},
        {"kind": "referral", "markdown": "**When to get help:** call 911."},
    ],
    "citations": [
        {"n": 1, "section": "Heat and Cold Therapy › Practical Examples", "quote": "Apply an <ice> pack.", "treatment": "heat-cold"},
        {"n": 2, "section": "", "quote": "Heat relaxes.", "treatment": "heat-cold"},
    ],
}


def test_reply_parts_are_styled_apart_and_sources_expand_to_quotes():
    html = ReplyRenderer(ClinicLinks(guide_url="https://clinic.example/guide")).html(REPLY)
    assert html.index("bs-urgent") < html.index("bs-answer") < html.index("bs-sources") < html.index("bs-referral")
    assert 'class="bs-part bs-urgent" role="alert"' in html
    assert '<aside class="bs-part bs-referral" role="note">' in html
    assert "<details><summary>" in html and "Heat and Cold Therapy › Practical Examples" in html
    assert '<blockquote class="bs-quote">Apply an &lt;ice&gt; pack.</blockquote>' in html
    assert "https://clinic.example/guide#:~:text=Apply%20an%20%3Cice%3E%20pack." in html
    assert "heat-cold" in html  # a citation with no section falls back to its treatment


def test_the_answer_streams_sentence_by_sentence_and_safety_texts_whole():
    steps = list(ReplyRenderer().steps(REPLY))
    assert "See a doctor today" in steps[0] and "Use ice" not in steps[0]
    assert "Use ice first." in steps[1] and "Then heat" not in steps[1]
    assert "Then heat" in steps[2]
    assert "bs-referral" not in steps[-2] and "bs-referral" in steps[-1]
    assert steps[-1] == ReplyRenderer().html(REPLY)


# -- request checks ----------------------------------------------------------------------------


def test_valid_requests_pass():
    ok = validate_ask({"message": "", "history": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}, 2000, 50)
    assert ok.message == "" and len(ok.history) == 1
    assert validate_ask({"message": "hi", "history": None}, 2000, 50).history == []


@pytest.mark.parametrize(
    "payload",
    [[], {"message": 1}, {"message": "x" * 11}, {"message": "hi", "history": [{"role": "user", "content": None}]}],
)
def test_invalid_requests_are_refused(payload):
    with pytest.raises(InvalidRequest):
        validate_ask(payload, 10, 50)


def test_json_errors_are_invalid_requests():
    for body in (b"", b"{", b"\xff", b"[" * 5000 + b"]" * 5000):
        with pytest.raises(InvalidRequest):
            parse_json(body)


# -- limits and headers ----------------------------------------------------------------------------


def test_rate_limiter_counts_a_sliding_minute_per_client():
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    assert limiter.hit("a") == 60
    assert limiter.hit("b") == 0  # another client is not affected
    now[0] += 30
    assert limiter.hit("a") == 30
    now[0] += 30
    assert limiter.hit("a") == 0


def test_rate_limit_zero_is_off():
    limiter = RateLimiter(0)
    assert all(limiter.hit("a") == 0 for _ in range(1000))


def test_frame_ancestors_drops_what_is_not_a_source():
    assert frame_ancestors(["'self'", "https://clinic.example/", "http://localhost:*"]) == (
        "frame-ancestors 'self' https://clinic.example http://localhost:*"
    )
    assert frame_ancestors(["https://a.example; script-src *", "self"]) == "frame-ancestors 'self'"
    assert frame_ancestors([]) == "frame-ancestors 'none'"


# -- the referral compact, action links, tap-to-call ----------------------------------------------

REFERRAL = "**When to get help:** call 911 now if both legs are weak.\n\nSee a doctor today if you have a fever."


def _reply(treatment: str = "heat-cold", triage: str = "none") -> dict:
    return {
        "kind": "answer",
        "triage": triage,
        "parts": [{"kind": "answer", "markdown": "Use ice first. [1]"}, {"kind": "referral", "markdown": REFERRAL}],
        "citations": [{"n": 1, "section": "S", "quote": "Apply an ice pack.", "treatment": treatment}],
    }


def test_split_referral_keeps_the_emergency_paragraph_first():
    from webapp.rendering import split_referral

    assert split_referral(REFERRAL) == ("**When to get help:** call 911 now if both legs are weak.", "See a doctor today if you have a fever.")
    assert split_referral("One paragraph only.") == ("One paragraph only.", "")


def test_the_referral_is_whole_on_the_first_reply_and_compact_after():
    renderer = ReplyRenderer(ClinicLinks(safety_numbers=("911",)))
    full = renderer.html(_reply())
    assert "<details" not in full and "See a doctor today" in full
    compact = renderer.html(_reply(), compact_referral=True)
    lead, more = compact.split('<details class="bs-referral-more">')
    assert 'href="tel:911"' in lead and "both legs are weak" in lead  # the emergency line: always shown, tap-to-call
    assert "See a doctor today" in more and "More: when to see a doctor" in more
    assert compact.rindex("bs-referral") > compact.index("bs-answer")  # still last


def test_one_paragraph_referral_is_never_hidden():
    renderer = ReplyRenderer()
    reply = _reply()
    reply["parts"][-1]["markdown"] = "Call 911 now. See a doctor today."
    assert "<details" not in renderer.html(reply, compact_referral=True)


LINKS = ClinicLinks(booking_url="https://clinic.example/book", phone="555-0100", visit_topics=frozenset({"massage"}))


def test_book_or_call_under_answers_that_suggest_seeing_someone():
    html = ReplyRenderer(LINKS).html(_reply("massage"))
    assert 'class="bs-actions"' in html and 'href="https://clinic.example/book"' in html and 'href="tel:5550100"' in html
    assert "Call the clinic: 555-0100" in html
    assert html.index("bs-actions") < html.index("bs-referral")  # the referral stays last
    assert "bs-actions" not in ReplyRenderer(LINKS).html(_reply("heat-cold"))  # not about seeing someone
    assert "bs-actions" not in ReplyRenderer(LINKS).html(_reply("massage", triage="urgent"))  # a red flag says whom to call
    assert "bs-actions" not in ReplyRenderer(ClinicLinks(visit_topics=frozenset({"massage"}))).html(_reply("massage"))  # nothing set
    clinic = {**_reply("heat-cold"), "kind": "clinic"}  # "how do I book?", answered from config.toml [clinic]
    assert "bs-actions" in ReplyRenderer(LINKS).html(clinic)


def test_citation_markers_link_to_the_guide_only_when_it_is_published():
    linked = ReplyRenderer(ClinicLinks(guide_url="https://clinic.example/guide")).html(_reply())
    assert '<a href="https://clinic.example/guide#:~:text=Apply%20an%20ice%20pack."' in linked
    assert "guide#" not in ReplyRenderer().html(_reply())


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("booking_url", "javascript:alert(1)", ""),
        ("booking_url", "https://clinic.example/book", "https://clinic.example/book"),
        ("guide_url", "https://x.example/a b", ""),
        ("phone", "call us", ""),
        ("phone", " 555-0100 ", "555-0100"),
    ],
)
def test_only_real_links_come_from_the_configuration(field, value, expected):
    from settings import load_settings

    settings = load_settings().with_overrides(clinic={field: value})
    assert getattr(ClinicLinks.from_settings(settings), field) == expected


def test_tel_links_keep_digits_and_plus():
    from webapp.links import tel_href

    assert tel_href("1-800-222-1222") == "tel:18002221222"
    assert tel_href("+44 116 123") == "tel:+44116123"


# -- the interface texts (prompts/en/interface.toml) ------------------------------------------------


def test_interface_texts_are_filled_from_the_configuration():
    from settings import load_settings
    from webapp.interface import load_interface

    settings = load_settings().with_overrides(clinic={"emergency_number": "999", "crisis_line": "116 123"})
    ui = load_interface(settings)
    assert "999" in ui.text("page", "emergency_line") and "116 123" in ui.text("page", "emergency_line")
    assert "{count}" in ui.text("input", "counter") and "{limit}" in ui.text("input", "too_long")  # filled as the patient types
    assert list(ui.reasons) == ["unanswered", "wrong", "hard_to_read"]


@pytest.mark.parametrize(
    "broken, message",
    [
        ("[page]\nsubtitle = 'x'\n", "[page] assistant_label is missing"),
        ("", "[page] is missing"),
        ("[page\n", "unreadable"),
    ],
)
def test_a_broken_interface_file_names_the_key(tmp_path, broken, message):
    from settings import load_settings
    from webapp.interface import InterfaceError, load_interface

    path = tmp_path / "interface.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InterfaceError, match=re.escape(message)):
        load_interface(load_settings(), path)


def test_an_unknown_placeholder_in_the_interface_file_is_refused(tmp_path):
    from settings import load_settings
    from webapp.interface import INTERFACE_FILE, InterfaceError, load_interface

    path = tmp_path / "interface.toml"
    path.write_text(INTERFACE_FILE.read_text(encoding="utf-8").replace("Ask about back spasms…", "Ask {doctor}"), encoding="utf-8")
    with pytest.raises(InterfaceError, match=r"\[input\] placeholder: unknown placeholder\(s\) doctor"):
        load_interface(load_settings(), path)
