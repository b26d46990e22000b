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
from webapp.interface import Interface
from webapp.links import ClinicLinks
from webapp.markdown import escape, link_phone_numbers

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_PREFIX = "/webapp-static"
_ASSETS = {
    "widget.css": "text/css; charset=utf-8",
    "widget-app.js": "text/javascript; charset=utf-8",
    "chat-page.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}


# The framed page's fixed texts: {{PLACEHOLDER}} in static/widget.html -> [table] key of prompts/en/interface.toml.
_PAGE_TEXTS = {
    "ASSISTANT_LABEL": ("page", "assistant_label"),
    "CONTACT_LABEL": ("actions", "label"),
    "NEW_CONVERSATION": ("menu", "new_conversation"),
    "WELCOME": ("page", "welcome"),
    "LABEL": ("input", "label"),
    "PLACEHOLDER": ("input", "placeholder"),
    "SEND": ("input", "send"),
    "CONFIRM": ("menu", "confirm"),
    "CONFIRM_NO": ("menu", "confirm_no"),
    "CONFIRM_YES": ("menu", "confirm_yes"),
}


def widget_config(settings: Settings, texts: dict[str, Any], links: ClinicLinks, ui: Interface) -> dict[str, Any]:
    """What the widget page needs to know: clinic, links, limits, feedback on/off, its texts, fallback safety texts."""
    return {
        "clinicName": settings.clinic.name,
        "bookingUrl": links.booking_url,
        "guideUrl": links.guide_url,
        "phone": links.phone,
        "visitTopics": sorted(links.visit_topics),
        "emergencyNumber": settings.clinic.emergency_number,
        "phoneNumbers": list(links.safety_numbers),
        "maxMessageChars": settings.server.max_message_chars,
        "maxHistoryMessages": min(settings.server.max_history_messages, 12),
        "feedback": settings.feedback.enabled,
        "referral": texts.get("referral", ""),
        "error": texts.get("error", ""),
        "examples": texts.get("examples", []),
        "texts": ui.for_page(),
    }


def snippet_config(settings: Settings, ui: Interface) -> dict[str, str]:
    """What the snippet on the clinic's page shows before anything is framed: names and labels."""
    return {
        "clinic": settings.clinic.name,
        "label": ui.text("page", "assistant_label"),
        "title": ui.text("widget", "title"),
        "open": ui.text("widget", "open"),
        "close": ui.text("widget", "close"),
    }


def build_widget_router(settings: Settings, texts: dict[str, Any], links: ClinicLinks, ui: Interface) -> APIRouter:
    """Routes for the snippet, the framed page and its assets."""
    router = APIRouter()
    template = (STATIC_DIR / "widget.html").read_text(encoding="utf-8")
    config = json.dumps(widget_config(settings, texts, links, ui), ensure_ascii=False)
    page = (
        template.replace("{{CONFIG}}", escape(config))
        .replace("{{CLINIC_NAME}}", escape(settings.clinic.name))
        .replace("{{ASSETS}}", ASSET_PREFIX)
        .replace("{{EMERGENCY_LINE}}", link_phone_numbers(escape(ui.text("page", "emergency_line")), list(links.safety_numbers)))
    )
    for placeholder, (table, key) in _PAGE_TEXTS.items():
        page = page.replace("{{" + placeholder + "}}", escape(ui.text(table, key)))
    # The snippet carries the clinic's name and labels (JSON: a JS literal, non-ASCII escaped).
    snippet = (STATIC_DIR / "widget.js").read_text(encoding="utf-8").replace("{/*SNIPPET_CONFIG*/}", json.dumps(snippet_config(settings, ui)))

    @router.api_route("/widget", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    @router.api_route("/widget/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    async def widget_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def widget_script() -> Response:
        return Response(snippet, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})

    @router.get(ASSET_PREFIX + "/{name}", include_in_schema=False)
    async def widget_asset(name: str) -> Response:
        if name not in _ASSETS:  # a fixed list: no path from the URL ever reaches the file system
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC_DIR / name, media_type=_ASSETS[name], headers={"Cache-Control": "public, max-age=300"})

    return router
