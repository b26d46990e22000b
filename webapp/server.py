"""``create_app(settings, service)``: the one FastAPI app that serves everything.

Routes are matched in order, so the API and the widget are registered first and
Gradio is mounted last at ``/`` (it takes every path nobody else claimed).
The security headers wrap the whole app, Gradio included.
"""

from __future__ import annotations

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
from webapp.limits import RateLimiter
from webapp.rendering import ReplyRenderer
from webapp.security import SecurityHeaders
from webapp.texts import EXAMPLE_QUESTIONS, safety_texts
from webapp.widget import ASSET_PREFIX, build_widget_router

QUEUE_MAX_SIZE = 200  # waiting chat requests; past this Gradio answers "queue full" instead of piling up
EXTRA_UI_THREADS = 2  # room for quick UI events (clear, votes) while every answer slot is busy


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
    clinic = settings.clinic
    renderer = ReplyRenderer(
        clinic.guide_url if clinic.guide_url.startswith(("https://", "http://")) else "",
        (clinic.emergency_number, clinic.crisis_line, clinic.poison_control),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(recorder.close)  # the events still queued are written before the process ends

    app = FastAPI(title=f"{settings.clinic.name} assistant", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.include_router(build_router(settings, service, feedback, limiter, workers, recorder))
    app.include_router(build_widget_router(settings, {**texts, "examples": list(EXAMPLE_QUESTIONS[:3])}))
    app.include_router(build_clinic_router(settings, recorder))

    handlers = ChatHandlers(settings, service, renderer, texts["referral"], limiter, feedback, recorder)
    blocks = build_chat(handlers, settings)
    # Gradio runs each handler in a worker thread; size the pool and the queue from the config.
    blocks.max_threads = max(1, server.concurrency_limit) + EXTRA_UI_THREADS
    blocks.queue(default_concurrency_limit=max(1, server.concurrency_limit), max_size=QUEUE_MAX_SIZE)
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
        head=f'<link rel="stylesheet" href="{ASSET_PREFIX}/chat.css"><script src="{ASSET_PREFIX}/chat-page.js" defer></script>',
        theme=gr.themes.Default(primary_hue="teal", neutral_hue="slate"),
    )
    app.add_middleware(SecurityHeaders, allowed_origins=server.allowed_origins)
    return app
