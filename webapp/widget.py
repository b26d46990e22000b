"""The embeddable widget: the ``/widget.js`` snippet and the light ``/widget`` page it frames.

A clinic adds one line to its site::

    <script src="https://BOT-HOST/widget.js" defer data-title="Ask about back spasms"></script>

The snippet draws a chat bubble and, when opened, frames ``/widget``: plain HTML
and JS (no Gradio) that calls ``/api/ask`` on this same origin. The page gets the
clinic's settings baked into a ``data-config`` attribute, HTML-escaped, so it
needs no inline script (its CSP forbids one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from settings import Settings
from webapp.markdown import escape

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_PREFIX = "/webapp-static"
_ASSETS = {
    "widget.css": "text/css; charset=utf-8",
    "widget-app.js": "text/javascript; charset=utf-8",
    "chat-page.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}


def widget_config(settings: Settings, texts: dict[str, str]) -> dict[str, Any]:
    """What the widget page needs to know: clinic, limits, feedback on/off, fallback safety texts."""
    return {
        "clinicName": settings.clinic.name,
        "bookingUrl": settings.clinic.booking_url if settings.clinic.booking_url.startswith(("https://", "http://")) else "",
        "guideUrl": settings.clinic.guide_url if settings.clinic.guide_url.startswith(("https://", "http://")) else "",
        "emergencyNumber": settings.clinic.emergency_number,
        "phoneNumbers": [n for n in (settings.clinic.emergency_number, settings.clinic.crisis_line, settings.clinic.poison_control) if n],
        "maxMessageChars": settings.server.max_message_chars,
        "maxHistoryMessages": min(settings.server.max_history_messages, 12),
        "feedback": settings.feedback.enabled,
        "referral": texts.get("referral", ""),
        "error": texts.get("error", ""),
        "examples": texts.get("examples", []),
    }


def build_widget_router(settings: Settings, texts: dict[str, Any]) -> APIRouter:
    """Routes for the snippet, the framed page and its two assets."""
    router = APIRouter()
    template = (STATIC_DIR / "widget.html").read_text(encoding="utf-8")
    config = json.dumps(widget_config(settings, texts), ensure_ascii=False)
    page = (
        template.replace("{{CONFIG}}", escape(config))
        .replace("{{CLINIC_NAME}}", escape(settings.clinic.name))
        .replace("{{ASSETS}}", ASSET_PREFIX)
    )

    @router.api_route("/widget", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    @router.api_route("/widget/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    async def widget_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def widget_script() -> Response:
        return FileResponse(
            STATIC_DIR / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @router.get(ASSET_PREFIX + "/{name}", include_in_schema=False)
    async def widget_asset(name: str) -> Response:
        if name not in _ASSETS:  # a fixed list: no path from the URL ever reaches the file system
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC_DIR / name, media_type=_ASSETS[name], headers={"Cache-Control": "public, max-age=300"})

    return router
