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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from clinic.feedback import FeedbackStore
from insights.recorder import NullRecorder, Recorder
from settings import Settings
from webapp.api import AnswerService
from webapp.limits import RateLimiter
from webapp.markdown import escape, plain_text_html
from webapp.rendering import ReplyRenderer
from webapp.texts import EXAMPLE_QUESTIONS
from webapp.validation import InvalidRequest, validate_ask

log = logging.getLogger("webapp.chat")

PENDING_HTML = '<p class="bs-pending" role="status">Looking in the guide…</p>'
EMPTY_MESSAGE_HTML = '<p class="bs-user"><em>(empty message)</em></p>'


def header_html(settings: Settings) -> str:
    """The page header: the clinic's name, what this is, and its booking link when configured."""
    clinic = settings.clinic
    booking = ""
    if clinic.booking_url.startswith(("https://", "http://")):
        booking = (
            f'<a class="bs-book" href="{escape(clinic.booking_url)}" target="_blank" rel="noopener noreferrer">'
            "Book an appointment</a>"
        )
    return (
        '<header class="bs-header"><div class="bs-header-text">'
        f'<h1 class="bs-title">{escape(clinic.name)}</h1>'
        '<p class="bs-subtitle">Questions about easing back spasms, answered from our treatment guide, with sources.</p>'
        f"</div>{booking}</header>"
    )


def footer_html(settings: Settings) -> str:
    number = escape(settings.clinic.emergency_number)
    return (
        '<p class="bs-footer">This assistant quotes a treatment guide; it is not a diagnosis. '
        f"In an emergency call <strong>{number}</strong>.</p>"
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
        referral: str,
        limiter: RateLimiter,
        feedback: FeedbackStore | None,
        insights: Recorder | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.renderer = renderer
        self.referral = referral
        self.limiter = limiter
        self.feedback = feedback
        self.insights = insights or NullRecorder()

    # -- the chat -----------------------------------------------------------------------

    def respond(
        self, message: str, chat: list[dict[str, Any]], history: list[dict[str, str]], request: gr.Request
    ) -> Iterator[tuple[Any, list[dict[str, Any]], list[dict[str, str]]]]:
        """Show the message, then the reply as it is composed; the last step also updates the plain history."""
        message = message if isinstance(message, str) else ""
        chat = list(chat or [])
        history = list(history or [])
        chat.append({"role": "user", "content": plain_text_html(message) if message.strip() else EMPTY_MESSAGE_HTML})
        chat.append({"role": "assistant", "content": PENDING_HTML})
        yield "", chat, history

        reply, text = self._reply(message, history, request)
        steps = list(self.renderer.steps(reply))
        history = (history + [{"role": "user", "content": message}, {"role": "assistant", "content": text}])[
            -self.settings.server.max_history_messages :
        ]
        for i, html in enumerate(steps):
            chat[-1] = {"role": "assistant", "content": html}
            yield gr.skip(), chat, (history if i == len(steps) - 1 else gr.skip())

    def respond_to_example(
        self, chat: list[dict[str, Any]], history: list[dict[str, str]], selected: gr.SelectData, request: gr.Request
    ) -> Iterator[tuple[Any, list[dict[str, Any]], list[dict[str, str]]]]:
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
        if len(message) > limit:  # the textbox stops typing at the limit; this catches scripted calls
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

    # -- feedback -----------------------------------------------------------------------

    def vote(self, history: list[dict[str, str]], data: gr.LikeData, request: gr.Request = None) -> None:  # type: ignore[assignment]
        """Store a thumbs up/down with the question and answer it was about (nothing about who voted)."""
        if self.feedback is None:
            return
        liked = data.liked
        vote = "up" if liked is True or liked == "Like" else "down" if liked is False or liked == "Dislike" else None
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if vote is None or not isinstance(index, int) or not 0 <= index < len(history or []):
            return  # a vote taken back, or a message we cannot place
        turn = history[index]
        if turn.get("role") != "assistant":
            return
        question = history[index - 1]["content"] if index > 0 and history[index - 1].get("role") == "user" else ""
        self.feedback.record(question, turn["content"], vote)
        # The page's session and the message's place name this reply: voting again on it replaces the insights' vote.
        session = getattr(request, "session_hash", None) if request is not None else None
        self.insights.vote(vote, None, question, turn["content"], "chat", f"{session}:{index}" if session else None)

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


def build_chat(handlers: ChatHandlers, settings: Settings) -> gr.Blocks:
    """The Blocks layout and its events. Only ``chat`` is a public API endpoint."""
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title=f"{settings.clinic.name}: back-spasm questions", fill_height=True, analytics_enabled=False) as blocks:
        gr.HTML(header_html(settings), elem_id="bs-header-block")
        chatbot = gr.Chatbot(
            label="Conversation",
            show_label=False,
            elem_id="bs-chat",
            scale=1,
            min_height=320,
            height=None,
            layout="bubble",
            buttons=[],
            latex_delimiters=[],
            sanitize_html=True,
            allow_tags=False,
            group_consecutive_messages=False,
            placeholder=placeholder_md(settings),
            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
            feedback_options=("Like", "Dislike") if handlers.feedback is not None else None,
        )
        history = gr.State([])
        with gr.Row(elem_id="bs-compose", equal_height=True):
            textbox = gr.Textbox(
                label="Your question",
                placeholder="Type your question, e.g. Should I use ice or heat first?",
                elem_id="bs-input",
                lines=1,
                max_lines=6,
                autofocus=True,
                scale=6,
                submit_btn=False,
            )
            send = gr.Button("Send", variant="primary", elem_id="bs-send", scale=1, min_width=80)
            clear = gr.Button("Clear chat", variant="secondary", elem_id="bs-clear", scale=1, min_width=80)
        gr.HTML(footer_html(settings), elem_id="bs-footer-block")

        turn_io: dict[str, Any] = {"inputs": [textbox, chatbot, history], "outputs": [textbox, chatbot, history], **private}
        textbox.submit(handlers.respond, **turn_io)
        send.click(handlers.respond, **turn_io)
        chatbot.example_select(handlers.respond_to_example, [chatbot, history], [textbox, chatbot, history], **private)
        clear.click(handlers.clear, None, [textbox, chatbot, history], queue=False, **private)
        chatbot.clear(lambda: [], None, history, queue=False, **private)
        if handlers.feedback is not None:
            chatbot.like(handlers.vote, [history], None, queue=False, **private)
        gr.api(handlers.chat_api, api_name="chat")
    return blocks
