"""The JSON API: ``POST /api/ask``, ``GET /healthz`` and ``POST /api/feedback``.

``/api/ask`` is what the widget (and any other client) calls: ``{"message",
"history"}`` in, ``Answer.to_dict()`` out. Bad input gets a 4xx
``{"error": "..."}`` that says what is wrong; the server keeps serving. The
assistant is CPU work, so it runs in worker threads (at most
``[server] concurrency_limit`` at once) and the event loop stays free for
other requests, health checks included.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clinic.feedback import ANSWER_ID, REASONS, VOTES, FeedbackStore
from contracts import Answer
from insights.recorder import NullRecorder, Recorder
from settings import Settings
from webapp.limits import BodyTooLarge, RateLimiter, client_key, read_body
from webapp.validation import InvalidRequest, parse_json, validate_ask

log = logging.getLogger("webapp.api")
NO_STORE = {"Cache-Control": "no-store"}


class AnswerService(Protocol):
    """What the web front needs from ``answering.service.AssistantService``."""

    def answer(self, message: Any, history: Any = None) -> Answer: ...

    def notice(self, message: Any, history: Any = None, learned: bool = True) -> dict[str, Any]: ...

    def health(self) -> dict[str, Any]: ...


def error(status: int, message: str, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    """The API's one error shape: ``{"error"}``, and for a readable message its ``triage`` and ``notice``."""
    return JSONResponse({"error": message, **(extra or {})}, status_code=status, headers={**NO_STORE, **(headers or {})})


def _readable(payload: Any) -> tuple[str, Any] | None:
    """The message and history of a request body, when it has a message string at all."""
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        history = payload.get("history")
        return payload["message"], history if isinstance(history, list) else None
    return None


def _json_content_type(request: Request) -> bool:
    """JSON, or no type at all. Refusing form and text types means a browser on another site cannot post here without CORS."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return not content_type or content_type == "application/json" or content_type.endswith("+json")


def build_router(
    settings: Settings,
    service: AnswerService,
    feedback: FeedbackStore | None,
    limiter: RateLimiter,
    workers: anyio.CapacityLimiter,
    insights: Recorder | None = None,
) -> APIRouter:
    """The API routes, bound to one service, feedback store, rate limiter and insights recorder."""
    router = APIRouter()
    recorder = insights or NullRecorder()
    server = settings.server
    feedback_limiter = RateLimiter(server.rate_limit_per_minute)

    async def read_json(request: Request) -> Any:
        if not _json_content_type(request):
            raise _Refused(error(415, "send the body as JSON with Content-Type: application/json"))
        try:
            body = await read_body(request)
        except BodyTooLarge:
            raise _Refused(error(413, "the request body is too large; send a shorter message and only the recent conversation")) from None
        return parse_json(body)

    def too_many(wait: int, extra: dict[str, Any] | None = None) -> JSONResponse:
        message = f"too many questions from this address; try again in {wait} seconds"
        return error(429, message, {"Retry-After": str(wait)}, extra)

    async def notice_for(payload: Any, learned: bool, outcome: _Outcome | None = None) -> dict[str, Any]:
        """Triage of a request that will not be answered: its notice, or the referral when no message is readable."""
        readable = _readable(payload)
        message, history = readable if readable is not None else ("", None)
        notice = await anyio.to_thread.run_sync(service.notice, message, history, learned, limiter=workers)
        if outcome is not None:
            outcome.notice, outcome.message = notice, message
        return notice

    @router.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        """Answer (or refuse) one request, then hand its event to the insights recorder (queued, never waited for)."""
        started = time.perf_counter()
        outcome = _Outcome()
        response = await answer_request(request, outcome)
        latency_ms = (time.perf_counter() - started) * 1000
        if outcome.answer is not None:
            recorder.reply(outcome.answer, outcome.message, "api", latency_ms)
        else:
            notice = outcome.notice or {}
            recorder.refused(str(notice.get("triage", "none")), str(notice.get("language", "en")), outcome.message, "api", latency_ms)
        return response

    async def answer_request(request: Request, outcome: _Outcome) -> JSONResponse:
        wait = limiter.hit(client_key(request))
        try:
            payload = await read_json(request)
        except _Refused as refused:
            return too_many(wait) if wait else refused.response
        except InvalidRequest as exc:
            return too_many(wait) if wait else error(400, str(exc), extra=await notice_for(None, False, outcome))
        if wait:  # still triaged (rules only: no model call for a client asking too fast)
            return too_many(wait, await notice_for(payload, False, outcome))
        try:
            ask = validate_ask(payload, server.max_message_chars, server.max_history_messages)
        except InvalidRequest as exc:  # too long, malformed history...: triaged whole before it is refused
            return error(400, str(exc), extra=await notice_for(payload, True, outcome))
        answer = await anyio.to_thread.run_sync(service.answer, ask.message, ask.history, limiter=workers)
        outcome.answer, outcome.message = answer, ask.message
        return JSONResponse(answer.to_dict(), headers=NO_STORE)

    @router.api_route("/healthz", methods=["GET", "HEAD"])
    async def healthz() -> JSONResponse:
        try:
            return JSONResponse(service.health(), headers=NO_STORE)
        except Exception as exc:  # the index went away under us: say so, keep serving
            log.error("health check failed: %s", exc)
            return JSONResponse({"status": "error", "error": str(exc)}, status_code=503, headers=NO_STORE)

    @router.post("/api/feedback")
    async def post_feedback(request: Request) -> JSONResponse:
        if feedback is None:
            return error(404, "feedback is turned off on this server")
        wait = feedback_limiter.hit(client_key(request))
        if wait:
            return too_many(wait)
        try:
            payload = await read_json(request)
        except _Refused as refused:
            return refused.response
        except InvalidRequest as exc:
            return error(400, str(exc))
        if not isinstance(payload, dict):
            return error(400, 'send {"question": "...", "answer": "...", "vote": "up" | "down", "id": "...", "reason": "..."}')
        question, answer, vote = payload.get("question"), payload.get("answer"), payload.get("vote")
        answer_id, reason = payload.get("id"), payload.get("reason")
        if vote not in VOTES:
            return error(400, '"vote" must be "up" or "down"')
        if not isinstance(question, str) or not isinstance(answer, str) or not answer.strip():
            return error(400, '"question" and "answer" must be strings (the answer not empty)')
        if answer_id is not None and not (isinstance(answer_id, str) and ANSWER_ID.match(answer_id)):
            return error(400, '"id" must be 16 to 64 letters, digits, "-" or "_" (one random id per answer)')
        if reason is not None and (reason not in REASONS or vote != "down"):
            return error(400, f'"reason" goes with a "down" vote and is one of {", ".join(REASONS)}')
        await anyio.to_thread.run_sync(feedback.record, question, answer, vote, answer_id, reason)
        # The same vote for the clinic's insights: the page's random id for the answer makes a changed vote replace the earlier one.
        recorder.vote(vote, reason, question, answer, "api", answer_id)
        return JSONResponse({"ok": True}, headers=NO_STORE)

    return router


@dataclass
class _Outcome:
    """What one /api/ask request came to, for its insights event: an answer, or a refusal with its notice."""

    answer: Answer | None = None
    notice: dict[str, Any] | None = None
    message: Any = None


class _Refused(Exception):
    """Carries a finished error response out of a helper."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response
