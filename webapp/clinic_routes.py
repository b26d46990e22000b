"""``/clinic``: the clinic's private insights page, its CSV, and ``GET /clinic/api/summary`` for scripts.

Off (404 everywhere under /clinic) unless ``[insights] token`` or
``BACKSPASM_INSIGHTS_TOKEN`` is set. Staff sign in once with the token and get
a session cookie (HttpOnly, SameSite=Strict, Secure when the request came over
HTTPS, 8 hours by default); scripts send ``Authorization: Bearer <token>``.

- The token is compared in constant time (``hmac.compare_digest`` of digests).
- A session is stateless: its expiry and a random nonce, signed with a key derived
  from the token, so any number of processes accept it and changing the token
  signs everyone out.
- Sign-in attempts and wrong bearer tokens count against a per-client limit
  (``SIGN_IN_PER_MINUTE``); a client over it is refused before its token is read.
- Anything that is not signed in gets 401 and never a figure.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from insights.db import InsightsDatabaseError, Target, open_database
from insights.recorder import Recorder
from insights.summary import Period, PeriodError, Summary, summarize
from settings import Settings
from webapp.clinic_page import dashboard_page, message_page, sign_in_page
from webapp.limits import BodyTooLarge, client_key, read_body

log = logging.getLogger("webapp.clinic")

SESSION_COOKIE = "clinic_session"
SIGN_IN_PER_MINUTE = 5
MAX_FORM_BYTES = 4 * 1024
NO_STORE = {"Cache-Control": "no-store"}
CSS_FILE = Path(__file__).parent / "static" / "clinic.css"
_SESSION_KEY_LABEL = b"backspasm clinic session v1"


class ClinicAccess:
    """Checks tokens and makes and checks session cookies for one configured token."""

    def __init__(self, token: str, session_hours: int, clock: Callable[[], float] = time.time) -> None:
        self._token_digest = hashlib.sha256(token.encode()).digest() if token else b""
        self._key = hmac.new(token.encode(), _SESSION_KEY_LABEL, hashlib.sha256).digest() if token else b""
        self.session_seconds = max(1, session_hours) * 3600
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return bool(self._token_digest)

    def token_matches(self, candidate: str | None) -> bool:
        """Constant time whatever the candidate's length (both sides are hashed to 32 bytes first)."""
        if not self.enabled or not isinstance(candidate, str) or not candidate:
            return False
        return hmac.compare_digest(hashlib.sha256(candidate.encode("utf-8", "surrogatepass")).digest(), self._token_digest)

    def bearer_matches(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(value.strip())

    def new_session(self) -> str:
        expires = int(self._clock()) + self.session_seconds
        body = f"{expires}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def session_valid(self, value: str | None) -> bool:
        if not self.enabled or not value or value.count(".") != 2:
            return False
        body, _, mac = value.rpartition(".")
        if not hmac.compare_digest(self._sign(body), mac):
            return False
        try:
            return int(body.split(".", 1)[0]) > self._clock()
        except ValueError:
            return False

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


class AttemptLimiter:
    """At most ``limit`` attempts per client in a sliding minute; a client over it is refused before anything is checked."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000) -> None:
        self.limit, self.window, self._clock, self._max = limit, window, clock, max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._seen.pop(key, None) or deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        self._seen[key] = hits
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return hits

    def wait(self, key: str) -> int:
        """0 when the client may try now, else the whole seconds until it may."""
        now = self._clock()
        with self._lock:
            hits = self._recent(key, now)
            return max(1, math.ceil(hits[0] + self.window - now)) if len(hits) >= self.limit else 0

    def count(self, key: str) -> None:
        with self._lock:
            self._recent(key, self._clock()).append(self._clock())


def _period(request: Request) -> Period:
    params = request.query_params
    return Period.parse(params.get("since") or None, params.get("until") or None)


def build_clinic_router(settings: Settings, recorder: Recorder, read: Callable[[Period], Summary] | None = None) -> APIRouter:
    """The /clinic routes; ``read`` computes a period's figures (default: from the configured database)."""
    router = APIRouter()
    access = ClinicAccess(settings.insights.token, settings.insights.session_hours)
    attempts = AttemptLimiter(SIGN_IN_PER_MINUTE)
    target = Target.from_settings(settings)

    def read_from_database(period: Period) -> Summary:
        with open_database(target) as db:
            return summarize(db, period)

    reader = read or read_from_database

    def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})

    def off() -> Response:
        return PlainTextResponse("Not Found", status_code=404, headers=NO_STORE)

    def signed_in(request: Request) -> bool:
        return access.session_valid(request.cookies.get(SESSION_COOKIE)) or access.bearer_matches(request.headers.get("authorization"))

    async def figures(period: Period) -> Summary:
        return await anyio.to_thread.run_sync(reader, period)

    @router.get("/clinic")
    async def page(request: Request) -> Response:
        if not access.enabled:
            return off()
        if not signed_in(request):
            return html(sign_in_page(settings), 401)
        try:
            period = _period(request)
        except PeriodError as exc:
            return html(message_page(settings, "That period cannot be shown", str(exc)), 400)
        try:
            summary = await figures(period)
        except InsightsDatabaseError as exc:
            return html(message_page(settings, "The insights database is unavailable", str(exc)), 503)
        return html(dashboard_page(settings, summary, recorder.stats()))

    @router.post("/clinic/sign-in")
    async def sign_in(request: Request) -> Response:
        if not access.enabled:
            return off()
        key = f"clinic:{client_key(request)}"
        wait = attempts.wait(key)
        if wait:
            return html(sign_in_page(settings, f"Too many sign-in attempts. Try again in {wait} seconds."), 429, {"Retry-After": str(wait)})
        attempts.count(key)
        try:
            form = parse_qs((await read_body(request, MAX_FORM_BYTES)).decode("utf-8", "replace"), max_num_fields=5)
        except (BodyTooLarge, ValueError):
            form = {}
        if not access.token_matches((form.get("token") or [""])[0]):
            log.warning("clinic: a sign-in with a wrong token")
            return html(sign_in_page(settings, "That token is not right."), 401)
        response = RedirectResponse("/clinic", status_code=303, headers=NO_STORE)
        response.set_cookie(
            SESSION_COOKIE, access.new_session(), max_age=access.session_seconds, path="/clinic",
            httponly=True, samesite="strict", secure=request.url.scheme == "https",
        )
        return response

    @router.post("/clinic/sign-out")
    async def sign_out(request: Request) -> Response:
        if not access.enabled:
            return off()
        response = RedirectResponse("/clinic", status_code=303, headers=NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path="/clinic", httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @router.get("/clinic/export.csv")
    async def export(request: Request) -> Response:
        if not access.enabled:
            return off()
        if not signed_in(request):
            return PlainTextResponse("sign in at /clinic first (or send Authorization: Bearer <token>)", 401, headers=NO_STORE)
        try:
            period = _period(request)
            summary = await figures(period)
        except PeriodError as exc:
            return PlainTextResponse(str(exc), 400, headers=NO_STORE)
        except InsightsDatabaseError as exc:
            return PlainTextResponse(str(exc), 503, headers=NO_STORE)
        name = f"clinic-insights-{period.since.isoformat()}-to-{period.until.isoformat()}.csv"
        return Response(summary.to_csv(), media_type="text/csv; charset=utf-8",
                        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/clinic/api/summary")
    async def api_summary(request: Request) -> Response:
        if not access.enabled:
            return JSONResponse({"error": "insights are off on this server: set [insights] token"}, 404, headers=NO_STORE)
        key = f"clinic-api:{client_key(request)}"
        wait = attempts.wait(key)
        if wait:
            return JSONResponse({"error": f"too many wrong tokens; try again in {wait} seconds"}, 429,
                                headers={**NO_STORE, "Retry-After": str(wait)})
        if not access.bearer_matches(request.headers.get("authorization")):
            attempts.count(key)
            return JSONResponse({"error": "send Authorization: Bearer <the [insights] token>"}, 401,
                                headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="clinic"'})
        try:
            summary = await figures(_period(request))
        except PeriodError as exc:
            return JSONResponse({"error": str(exc)}, 400, headers=NO_STORE)
        except InsightsDatabaseError as exc:
            return JSONResponse({"error": str(exc)}, 503, headers=NO_STORE)
        return JSONResponse(summary.to_json(), headers=NO_STORE)

    @router.get("/clinic/clinic.css")
    async def stylesheet() -> Response:
        if not access.enabled:
            return off()
        return FileResponse(CSS_FILE, media_type="text/css", headers={"Cache-Control": "no-cache"})

    @router.api_route("/clinic/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
    async def elsewhere(rest: str) -> Response:
        """Nothing else lives under /clinic (and Gradio, mounted at /, must not answer for it)."""
        if rest == "" and access.enabled:
            return RedirectResponse("/clinic", status_code=308)
        return off()

    return router
