"""``create_app(settings, service)``: the one FastAPI app that serves everything.

Routes are matched in order, so the API and the widget are registered first and
Gradio is mounted last at ``/`` (it takes every path nobody else claimed).
The security headers wrap the whole app, Gradio included.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import gradio as gr
from fastapi import FastAPI

from clinic.feedback import FeedbackStore
from insights.recorder import Recorder, recorder_for
from settings import Settings
from webapp.api import AnswerService, build_router
from webapp.chat_ui import ChatHandlers, build_chat
from webapp.clinic_routes import build_clinic_router
from webapp.interface import load_interface
from webapp.limits import RateLimiter
from webapp.links import ClinicLinks
from webapp.markdown import escape
from webapp.rendering import ReplyRenderer
from webapp.security import SecurityHeaders
from webapp.texts import EXAMPLE_QUESTIONS, safety_texts
from webapp.widget import ASSET_PREFIX, build_widget_router

QUEUE_MAX_SIZE = 200  # waiting chat requests; past this Gradio answers "queue full" instead of piling up
EXTRA_UI_THREADS = 2  # room for quick UI events (clear) while every answer slot is busy
# The same stack as the widget's (static/widget.css): every weight of one typeface, nothing to download.
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")


def create_app(settings: Settings, service: AnswerService, insights: Recorder | None = None) -> FastAPI:
    """Build the app around an already-loaded service (the model and index load once, before this).

    ``insights`` records one event per reply (default: as ``[insights]`` says); it is
    closed, writing what is still queued, when the server shuts down.
    """
    server = settings.server
    feedback = FeedbackStore(settings.path(settings.feedback.path)) if settings.feedback.enabled else None
    recorder = insights if insights is not None else recorder_for(settings)
    limiter = RateLimiter(server.rate_limit_per_minute)
    workers = anyio.CapacityLimiter(max(1, server.concurrency_limit))
    texts = safety_texts(service, settings.clinic.emergency_number)
    ui = load_interface(settings)
    links = ClinicLinks.from_settings(settings)
    renderer = ReplyRenderer(links, ui.reply_texts())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(recorder.close)  # the events still queued are written before the process ends

    app = FastAPI(title=f"{settings.clinic.name} assistant", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.include_router(build_router(settings, service, feedback, limiter, workers, recorder))
    app.include_router(build_widget_router(settings, {**texts, "examples": list(EXAMPLE_QUESTIONS[:3])}, links, ui))
    app.include_router(build_clinic_router(settings, recorder))

    handlers = ChatHandlers(settings, service, renderer, limiter, ui.text("page", "pending"), recorder)
    blocks = build_chat(handlers, settings, links, ui)
    # Gradio runs each handler in a worker thread; size the pool and the queue from the config.
    blocks.max_threads = max(1, server.concurrency_limit) + EXTRA_UI_THREADS
    blocks.queue(default_concurrency_limit=max(1, server.concurrency_limit), max_size=QUEUE_MAX_SIZE)
    page_config = {"maxChars": server.max_message_chars, "feedback": feedback is not None, "texts": ui.for_page()}
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        server_name=server.host,
        server_port=server.port,
        footer_links=[],
        run_history=False,  # keeps patients' questions out of the browser's storage
        show_error=False,
        max_file_size="64kb",
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        # Linked, not passed as css=: Gradio rewrites custom CSS selectors (and drops page-level ones in @media).
        # The script's settings and texts travel in a meta tag: the page needs no inline script of ours.
        head=(
            f'<meta name="bs-chat-config" content="{escape(json.dumps(page_config, ensure_ascii=False))}">'
            f'<link rel="stylesheet" href="{ASSET_PREFIX}/chat.css"><script src="{ASSET_PREFIX}/chat-page.js" defer></script>'
        ),
        theme=chat_theme(),
    )
    app.add_middleware(SecurityHeaders, allowed_origins=server.allowed_origins)
    return app


def chat_theme() -> gr.themes.Base:
    """Gradio's default look with the system's own fonts.

    Gradio bundles Source Sans Pro in two weights only; bold headings then mixed synthesised
    and real glyphs. The system's fonts have every weight, and nothing is downloaded.
    """
    return gr.themes.Default(
        primary_hue="teal",
        neutral_hue="slate",
        font=SYSTEM_FONTS,
        font_mono=("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"),
    )
