"""The chat page at ``/``: a Gradio Blocks app around the assistant.

Why Blocks and not ``gr.ChatInterface``: the page shows a patient's message
exactly as typed (escaped, so ``<script>`` is text, not markup), keeps the
conversation the assistant sees as plain text apart from the HTML it displays,
and styles each part of a reply (emergency, urgent, sources, referral). The
stable API for ``gradio_client`` callers is ``api_name="chat"``:
``chat(message, history) -> str`` (the reply as Markdown, referral last).

Replies stream in sentence-sized steps: the composer returns the whole answer
in milliseconds, and showing it as it is assembled (no sleeping for show)
tells a reader in pain that something is happening from the first moment.

What Gradio does not do, the page's script (``static/chat-page.js``) does in the
browser: keep the newest reply in view, the menu and its confirmation, the
character counter, the thumbs under each answer (they post to ``/api/feedback``).
The page and the script share the texts of ``prompts/en/interface.toml``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from insights.recorder import NullRecorder, Recorder
from settings import Settings
from webapp.api import AnswerService
from webapp.interface import Interface
from webapp.limits import RateLimiter
from webapp.links import ClinicLinks, tel_href
from webapp.markdown import escape, link_phone_numbers, plain_text_html
from webapp.rendering import ReplyRenderer
from webapp.texts import EXAMPLE_QUESTIONS
from webapp.validation import InvalidRequest, validate_ask

log = logging.getLogger("webapp.chat")

_MENU_ICON = (
    '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">'
    '<circle cx="12" cy="5" r="2"/><circle cx="12" cy="12" r="2"/><circle cx="12" cy="19" r="2"/></svg>'
)


def contact_links(links: ClinicLinks, ui: Interface, css: str) -> list[str]:
    """"Book an appointment" and "Call the clinic" as links, whichever are configured."""
    out = []
    if links.booking_url:
        out.append(
            f'<a class="{css} bs-book" href="{escape(links.booking_url)}" target="_blank" rel="noopener noreferrer">'
            f"{escape(ui.text('actions', 'book'))}</a>"
        )
    if links.phone:
        out.append(f'<a class="{css} bs-call" href="{escape(tel_href(links.phone))}">{escape(ui.text("actions", "call"))}</a>')
    return out


def header_html(settings: Settings, links: ClinicLinks, ui: Interface) -> str:
    """The clinic's name, what this is (an automated assistant), its contact links and the menu.

    The menu holds "New conversation" (asked again before anything is cleared) and, for
    phones, where the header has no room for them, the contact links.
    """
    menu_items = "".join(
        link.replace("<a ", '<a role="menuitem" ', 1) for link in contact_links(links, ui, "bs-menu-item bs-menu-contact")
    )
    menu = (
        '<div class="bs-menu">'
        f'<button type="button" class="bs-menu-button" id="bs-menu-button" aria-haspopup="menu" aria-expanded="false" '
        f'aria-controls="bs-menu-list" aria-label="{escape(ui.text("menu", "button"))}">{_MENU_ICON}</button>'
        f'<div class="bs-menu-list" id="bs-menu-list" role="menu" aria-labelledby="bs-menu-button" hidden>{menu_items}'
        f'<button type="button" role="menuitem" class="bs-menu-item" id="bs-new-conversation">{escape(ui.text("menu", "new_conversation"))}</button>'
        "</div></div>"
    )
    confirm = (
        '<dialog class="bs-confirm" id="bs-confirm" aria-labelledby="bs-confirm-text">'
        f'<p id="bs-confirm-text">{escape(ui.text("menu", "confirm"))}</p><div class="bs-confirm-buttons">'
        f'<button type="button" class="bs-confirm-no" id="bs-confirm-no">{escape(ui.text("menu", "confirm_no"))}</button>'
        f'<button type="button" class="bs-confirm-yes" id="bs-confirm-yes">{escape(ui.text("menu", "confirm_yes"))}</button>'
        "</div></dialog>"
    )
    contacts = "".join(contact_links(links, ui, "bs-contact"))
    return (
        '<header class="bs-header"><div class="bs-header-text">'
        f'<h1 class="bs-title">{escape(settings.clinic.name)}</h1>'
        f'<p class="bs-subtitle">{escape(ui.text("page", "subtitle"))}</p>'
        f'<p class="bs-assistant-label">{escape(ui.text("page", "assistant_label"))}</p>'
        f'</div><div class="bs-header-actions">{contacts}{menu}</div></header>{confirm}'
    )


def footer_html(links: ClinicLinks, ui: Interface) -> str:
    """Under the input, always in view: the message counter (shown near the limit) and the emergency line."""
    line = link_phone_numbers(escape(ui.text("page", "emergency_line")), list(links.safety_numbers))
    return (
        '<div class="bs-footer">'
        '<p class="bs-counter" id="bs-counter" aria-live="polite" hidden></p>'
        f'<p class="bs-emergency-line">{line}</p></div>'
    )


def placeholder_md(settings: Settings) -> str:
    return (
        "### Ask about back spasms\n\nAnswers quote our treatment guide, with a numbered source for each claim. "
        "Pick a question below or type your own."
    )


class ChatHandlers:
    """The page's event handlers, kept apart from the layout so they can be read (and tested) alone."""

    def __init__(
        self,
        settings: Settings,
        service: AnswerService,
        renderer: ReplyRenderer,
        limiter: RateLimiter,
        pending: str = "Looking in the guide…",
        insights: Recorder | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.renderer = renderer
        self.limiter = limiter
        self.pending = pending  # shown in the reply's place until it comes
        self.insights = insights or NullRecorder()  # one event per reply (votes come through /api/feedback)

    # -- the chat -----------------------------------------------------------------------

    def respond(
        self, message: str, chat: list[dict[str, Any]], history: list[dict[str, str]], request: gr.Request
    ) -> Iterator[tuple[Any, list[dict[str, Any]], list[dict[str, str]]] | tuple[Any, Any, Any]]:
        """Show the message, then the reply as it is composed; the last step also updates the plain history.

        An empty message is not a turn: Send is disabled while the box is empty, and Enter on
        an empty box changes nothing (the JSON API still answers an empty message itself).
        """
        message = message if isinstance(message, str) else ""
        if not message.strip():
            yield gr.skip(), gr.skip(), gr.skip()
            return
        chat = list(chat or [])
        history = list(history or [])
        first = not history  # the first reply of a conversation shows the referral in full
        chat.append({"role": "user", "content": plain_text_html(message)})
        chat.append({"role": "assistant", "content": f'<p class="bs-pending" role="status">{escape(self.pending)}</p>'})
        yield "", chat, history

        reply, text = self._reply(message, history, request)
        steps = list(self.renderer.steps(reply, compact_referral=not first))
        history = (history + [{"role": "user", "content": message}, {"role": "assistant", "content": text}])[
            -self.settings.server.max_history_messages :
        ]
        for i, html in enumerate(steps):
            chat[-1] = {"role": "assistant", "content": html}
            yield gr.skip(), chat, (history if i == len(steps) - 1 else gr.skip())

    def respond_to_example(
        self, chat: list[dict[str, Any]], history: list[dict[str, str]], selected: gr.SelectData, request: gr.Request
    ) -> Iterator[tuple[Any, list[dict[str, Any]], list[dict[str, str]]] | tuple[Any, Any, Any]]:
        """An example question clicked on the empty chat: asked as if typed."""
        value = selected.value if isinstance(selected.value, dict) else {}
        yield from self.respond(str(value.get("text", "")), chat, history, request)

    def _reply(self, message: str, history: list[dict[str, str]], request: gr.Request | None) -> tuple[dict[str, Any], str]:
        """The assistant's reply (as ``Answer.to_dict()``) and its Markdown text, or the front's own notice."""
        started = time.perf_counter()
        client = request.client.host if request is not None and request.client else "unknown"
        wait = self.limiter.hit(f"chat:{client}")
        if wait:
            return self._notice(f"You're sending messages very quickly. Please wait {wait} seconds and ask again.", message, history, False, started)
        limit = self.settings.server.max_message_chars
        if len(message) > limit:  # the page warns before sending; the message is still triaged whole
            text = f"That message is too long for me ({len(message):,} characters). Please keep it under {limit:,}."
            return self._notice(text, message, history, True, started)
        answer = self.service.answer(message, history)
        self.insights.reply(answer, message, "chat", (time.perf_counter() - started) * 1000)
        return answer.to_dict(), answer.text

    def _notice(
        self, text: str, message: str, history: list[dict[str, str]], learned: bool, started: float
    ) -> tuple[dict[str, Any], str]:
        """A reply the page makes itself: the message is still triaged, its safety texts first, the referral last."""
        notice = self.service.notice(message, history, learned)
        self.insights.refused(notice["triage"], notice.get("language", "en"), message, "chat", (time.perf_counter() - started) * 1000)
        safety, referral = notice["parts"][:-1], notice["parts"][-1:]
        parts = [*safety, {"kind": "notice", "markdown": text}, *referral]
        reply = {"kind": "error", "triage": notice["triage"], "parts": parts, "citations": []}
        return reply, "\n\n".join(p["markdown"] for p in parts)

    @staticmethod
    def clear() -> tuple[str, list[Any], list[Any]]:
        return "", [], []

    # -- the API --------------------------------------------------------------------------

    def chat_api(self, message: str, history: list[dict[str, Any]] | None = None, request: gr.Request = None) -> str:  # type: ignore[assignment]
        """Answer one message in its conversation; returns the reply as Markdown, the referral text last."""
        started = time.perf_counter()
        client = request.client.host if request is not None and request.client else "unknown"
        wait = self.limiter.hit(f"chat:{client}")
        if wait:
            raise gr.Error(f"too many questions from this address; try again in {wait} seconds")
        try:
            ask = validate_ask(
                {"message": message, "history": history or []},
                self.settings.server.max_message_chars,
                self.settings.server.max_history_messages,
            )
        except InvalidRequest as exc:
            raise gr.Error(str(exc)) from None
        answer = self.service.answer(ask.message, ask.history)
        self.insights.reply(answer, ask.message, "chat", (time.perf_counter() - started) * 1000)
        return answer.text


def build_chat(handlers: ChatHandlers, settings: Settings, links: ClinicLinks, ui: Interface) -> gr.Blocks:
    """The Blocks layout and its events. Only ``chat`` is a public API endpoint."""
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title=f"{settings.clinic.name}: back-spasm questions", fill_height=True, analytics_enabled=False) as blocks:
        gr.HTML(header_html(settings, links, ui), elem_id="bs-header-block")
        chatbot = gr.Chatbot(
            label="Conversation",
            show_label=False,
            elem_id="bs-chat",
            scale=1,
            min_height=200,
            height=None,
            layout="bubble",
            autoscroll=False,  # the page's script keeps the newest reply's first line in view instead
            buttons=[],
            latex_delimiters=[],
            sanitize_html=True,
            allow_tags=False,
            group_consecutive_messages=False,
            placeholder=placeholder_md(settings),
            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
            feedback_options=None,  # the script's own thumbs: bigger targets, a reason, one vote per answer
        )
        history = gr.State([])
        textbox = gr.Textbox(
            label=ui.text("input", "label"),
            show_label=False,
            placeholder=ui.text("input", "placeholder"),
            elem_id="bs-input",
            lines=1,
            max_lines=6,
            autofocus=True,
            submit_btn=True,  # a send icon inside the box: the box keeps the whole width on a phone
            html_attributes=gr.InputHTMLAttributes(enterkeyhint="send", autocomplete="off"),
        )
        gr.HTML(footer_html(links, ui), elem_id="bs-footer-block")
        # Clicked by the script once the patient confirms "New conversation"; never shown.
        clear = gr.Button(ui.text("menu", "new_conversation"), elem_id="bs-clear", elem_classes=["bs-offscreen"])

        turn_io: dict[str, Any] = {"inputs": [textbox, chatbot, history], "outputs": [textbox, chatbot, history], **private}
        textbox.submit(handlers.respond, **turn_io)
        chatbot.example_select(handlers.respond_to_example, [chatbot, history], [textbox, chatbot, history], **private)
        clear.click(handlers.clear, None, [textbox, chatbot, history], queue=False, **private)
        gr.api(handlers.chat_api, api_name="chat")
    return blocks
