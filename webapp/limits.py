"""Abuse limits for a public endpoint: questions per client per minute, and request size.

A clinic's widget is on a public page, so anyone can script it. One client (its
network address: the direct connection, or the proxy's forwarded address only
when ``[server] trust_proxy`` says a proxy is in front, which uvicorn applies)
gets ``rate_limit_per_minute`` questions in any 60-second window, then 429 with
``Retry-After``. Bodies are capped before they are parsed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.requests import Request

MAX_BODY_BYTES = 64 * 1024  # a 2,000-character question plus a trimmed conversation fits many times over
WINDOW_SECONDS = 60.0
MAX_TRACKED_CLIENTS = 50_000  # the least recently seen are forgotten first; bounds memory under a flood


class BodyTooLarge(Exception):
    """The request body is over the limit (answered with 413)."""


class RateLimiter:
    """A sliding-window counter per client key. ``limit`` 0 disables it."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(0, int(limit))
        self.window = window
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def hit(self, key: str) -> int:
        """Count one request; 0 when allowed, else the whole seconds to wait before the next one is."""
        if not self.enabled:
            return 0
        now = self._clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            self._hits[key] = hits  # most recently seen last
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            while len(self._hits) > MAX_TRACKED_CLIENTS:
                self._hits.popitem(last=False)
            return 0


def client_key(request: Request) -> str:
    """Who is asking: the peer address (uvicorn substitutes the forwarded one only when told to trust a proxy)."""
    return request.client.host if request.client else "unknown"


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (without reading it all) anything over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLarge
        except ValueError:
            pass
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)
