"""Response headers: who may frame the chat (CSP ``frame-ancestors``), and the usual hardening.

``[server] allowed_origins`` lists the sites allowed to embed ``/widget`` (and
``/``) in a frame, as CSP sources (``'self'``, ``https://clinic.example``,
``http://localhost:*``). The widget page, being plain HTML and JS of our own,
also gets a strict CSP (scripts and styles from this origin only), which stops
injected markup from running even if a rendering bug let some through. The
Gradio page keeps its own scripts, so it only gets ``frame-ancestors`` and the
rules that cannot break it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("webapp.security")

# A CSP host-source or keyword; anything with spaces, semicolons or commas could inject directives.
_SOURCE = re.compile(r"^(?:'self'|'none'|\*|(?:https?://)?(?:\*\.)?[A-Za-z0-9.-]+(?::(?:\d{1,5}|\*))?|https?:)$")
_WIDGET_PATHS = ("/widget", "/widget/")
_CLINIC_PREFIX = "/clinic"


def frame_ancestors(origins: Iterable[str]) -> str:
    """The ``frame-ancestors`` directive from configured origins; invalid entries are dropped with a warning."""
    sources = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        if origin.lower() in {"self", "none"}:
            origin = f"'{origin.lower()}'"
        if _SOURCE.match(origin):
            sources.append(origin)
        else:
            log.warning("[server] allowed_origins: ignoring %r (not a CSP source such as https://clinic.example)", origin)
    if "'none'" in sources and len(sources) > 1:
        sources.remove("'none'")
    return "frame-ancestors " + (" ".join(dict.fromkeys(sources)) or "'none'")


def widget_csp(ancestors: str) -> str:
    """The strict policy of the ``/widget`` page: nothing but this origin's own files and API."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            ancestors,
        ]
    )


def clinic_csp() -> str:
    """The clinic's insights page: no script at all, its own stylesheet, forms to itself, never in a frame."""
    return "; ".join(
        ["default-src 'none'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"]
    )


def page_csp(ancestors: str) -> str:
    """The policy of every other response (the Gradio page needs its inline scripts and styles)."""
    return f"{ancestors}; object-src 'none'; base-uri 'self'"


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response (streams untouched)."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        ancestors = frame_ancestors(allowed_origins)
        self._common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ]
        self._widget = [(b"content-security-policy", widget_csp(ancestors).encode())]
        self._page = [(b"content-security-policy", page_csp(ancestors).encode())]
        self._clinic = [(b"content-security-policy", clinic_csp().encode()), (b"x-frame-options", b"DENY")]
        self._script = [(b"cross-origin-resource-policy", b"cross-origin")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = self._widget if path in _WIDGET_PATHS else self._page
        if path == _CLINIC_PREFIX or path.startswith(_CLINIC_PREFIX + "/"):
            extra = self._clinic
        if path == "/widget.js":
            extra = extra + self._script

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                headers.extend(self._common)
                headers.extend(extra)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
