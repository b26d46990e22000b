"""Off the request path: a bounded queue in front of one writer thread.

A reply hands its event to ``EventRecorder`` (microseconds: build a small record,
``put_nowait``) and goes on; the writer thread takes what has queued up and
writes it in one transaction, a few times a second. Nothing here can slow or
break an answer: a full queue drops the event, a database that is down or
broken drops the batch, and both are counted (``stats()``, the /clinic page)
and logged at most once a minute, without any message text. The writer also
erases stored texts past ``[privacy] retention_days``, at start and hourly.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from contracts import Answer
from insights.db import Database, InsightsDatabaseError, Target, open_database
from insights.events import ReplyEvent, VoteEvent, refused_event, reply_event, vote_event
from insights.store import purge_text, write_events
from settings import PrivacySettings, Settings

log = logging.getLogger("insights")

BATCH_SIZE = 500
FLUSH_INTERVAL_S = 0.25  # how long an event may wait for company before it is written
RECONNECT_AFTER_S = 5.0  # after a failed connection, events are dropped for this long instead of each waiting to connect
PURGE_EVERY_S = 3600.0
LOG_EVERY_S = 60.0  # at most one line a minute about dropped events, however many are dropped
CLOSE_TIMEOUT_S = 10.0

Event = ReplyEvent | VoteEvent
_STOP = object()


class Recorder(Protocol):
    """What the web front calls; ``NullRecorder`` when insights are off."""

    def reply(self, answer: Answer, message: Any, channel: str, latency_ms: float) -> None: ...

    def refused(self, triage: str, language: str, message: Any, channel: str, latency_ms: float) -> None: ...

    def vote(self, vote: str, reason: Any, question: Any, answer_text: str, channel: str, scope: str | None = None) -> None: ...

    def stats(self) -> dict[str, int]: ...

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None: ...


class NullRecorder:
    """Insights turned off: every event is ignored."""

    def reply(self, answer: Answer, message: Any, channel: str, latency_ms: float) -> None:
        pass

    def refused(self, triage: str, language: str, message: Any, channel: str, latency_ms: float) -> None:
        pass

    def vote(self, vote: str, reason: Any, question: Any, answer_text: str, channel: str, scope: str | None = None) -> None:
        pass

    def stats(self) -> dict[str, int]:
        return {"queued": 0, "written": 0, "dropped": 0, "pending": 0}

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        pass


class EventRecorder:
    """Queues events and writes them from one background thread; ``close()`` writes what is left (bounded)."""

    def __init__(
        self,
        target: Target,
        privacy: PrivacySettings,
        vote_reasons: Iterable[str] = (),
        queue_size: int = 10_000,
        *,
        batch_size: int = BATCH_SIZE,
        flush_interval: float = FLUSH_INTERVAL_S,
        purge_every: float = PURGE_EVERY_S,
        connect: Callable[[Target], Database] = open_database,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.target = target
        self.privacy = privacy
        self.vote_reasons = tuple(vote_reasons)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_size))
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._purge_every = purge_every
        self._connect = connect
        self._clock = clock
        self._counts = {"queued": 0, "written": 0, "dropped": 0}
        self._pending = 0
        self._lock = threading.Condition()
        self._db: Database | None = None
        self._no_connect_until = 0.0
        self._next_purge = 0.0
        self._last_log = -LOG_EVERY_S
        self._unlogged_drops = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="insights-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close, 5.0)

    @classmethod
    def from_settings(cls, settings: Settings) -> EventRecorder:
        insights = settings.insights
        return cls(Target.from_settings(settings), settings.privacy, insights.vote_reasons, insights.queue_size)

    # -- on the request path: build, queue, return -------------------------------------------------

    def _now(self) -> datetime | None:
        return self._clock() if self._clock is not None else None

    def reply(self, answer: Answer, message: Any, channel: str, latency_ms: float) -> None:
        """Record one reply the assistant composed. Never raises."""
        try:
            self._offer(reply_event(answer, message, channel, latency_ms, self.privacy, self._now()))
        except Exception:  # a malformed answer must not cost the patient the reply
            self._drop(1, "an event could not be built")

    def refused(self, triage: str, language: str, message: Any, channel: str, latency_ms: float) -> None:
        """Record a message the server refused (too long, too fast) but still triaged. Never raises."""
        try:
            self._offer(refused_event(triage, language, message, channel, latency_ms, self.privacy, self._now()))
        except Exception:
            self._drop(1, "an event could not be built")

    def vote(self, vote: str, reason: Any, question: Any, answer_text: str, channel: str, scope: str | None = None) -> None:
        """Record a thumbs up or down; a later vote with the same ``scope`` (one reply where it was seen) replaces it.
        Never raises (a vote other than up or down is ignored)."""
        try:
            self._offer(vote_event(vote, reason, question, answer_text, channel, self.privacy, self.vote_reasons, self._now(), scope))
        except Exception:
            self._drop(1, "an event could not be built")

    def _offer(self, event: Event) -> None:
        if self._closed:
            self._drop(1, "the recorder is closed")
            return
        with self._lock:
            self._pending += 1
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self._pending -= 1
            self._drop(1, f"the queue is full ({self._queue.maxsize} events waiting)")
            return
        with self._lock:
            self._counts["queued"] += 1

    # -- reporting --------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Since this process started: events queued, written, dropped; and those waiting now."""
        with self._lock:
            return {**self._counts, "pending": self._pending}

    def flush(self, timeout: float = CLOSE_TIMEOUT_S) -> bool:
        """Wait (at most ``timeout`` seconds) until every queued event is written or dropped; True if they all were."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._lock.wait(min(left, 0.5))
        return True

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Write what is queued (waiting at most ``timeout`` seconds), then stop the writer. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            try:
                self._queue.put(_STOP, timeout=0.2)
                break
            except queue.Full:
                continue
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.warning("insights: %d event(s) not written before shutdown", self.stats()["pending"])
        self._log_drops(force=True)

    # -- the writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        stop = False
        while not stop:
            batch = self._take()
            stop = any(item is _STOP for item in batch)
            events = [item for item in batch if item is not _STOP]
            if events:
                self._write(events)
            if time.monotonic() >= self._next_purge:
                self._purge()
            with self._lock:
                self._pending -= len(events)
                self._lock.notify_all()
            self._log_drops()
        if self._db is not None:
            self._db.close()

    def _take(self) -> list[Any]:
        """Wait for one event (at most a flush interval), then take what else is already waiting (up to a batch)."""
        try:
            batch = [self._queue.get(timeout=self._flush_interval)]
        except queue.Empty:
            return []
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _database(self) -> Database:
        if self._db is None:
            if time.monotonic() < self._no_connect_until:
                raise InsightsDatabaseError(f"the insights {self.target.describe()} was unreachable moments ago")
            try:
                self._db = self._connect(self.target)
            except Exception:
                self._no_connect_until = time.monotonic() + RECONNECT_AFTER_S
                raise
        return self._db

    def _forget_connection(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self, events: list[Event]) -> None:
        for attempt in (1, 2):  # a connection that went stale (the database restarted) gets one fresh retry
            fresh = self._db is None
            try:
                write_events(self._database(), events)
            except Exception as exc:
                self._forget_connection()
                if attempt == 1 and not fresh:
                    continue
                self._drop(len(events), _reason(exc, events))
                return
            with self._lock:
                self._counts["written"] += len(events)
            return

    def _purge(self) -> None:
        self._next_purge = time.monotonic() + self._purge_every
        try:
            erased = purge_text(self._database(), self.privacy.retention_days, self._now())
        except Exception as exc:
            self._forget_connection()
            log.warning("insights: the retention purge did not run (%s); it is tried again within the hour", _reason(exc, []))
            self._next_purge = time.monotonic() + min(self._purge_every, 60.0)
            return
        if erased:
            log.info("insights: erased the stored text of %d event(s) older than %d days", erased, self.privacy.retention_days)

    def _drop(self, count: int, reason: str) -> None:
        with self._lock:
            self._counts["dropped"] += count
            self._unlogged_drops += count
            self._last_reason = reason

    def _log_drops(self, force: bool = False) -> None:
        with self._lock:
            if not self._unlogged_drops or (not force and time.monotonic() - self._last_log < LOG_EVERY_S):
                return
            count, self._unlogged_drops = self._unlogged_drops, 0
            self._last_log = time.monotonic()
            total, reason = self._counts["dropped"], self._last_reason
        log.warning("insights: %d event(s) dropped (%s); answering is unaffected; %d dropped since start", count, reason, total)


def _reason(exc: BaseException, events: list[Event]) -> str:
    """One line about a failure, with any stored text that a driver might quote taken out."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if not isinstance(exc, InsightsDatabaseError) else text
    for event in events:
        for secret in (getattr(event, "question", None), getattr(event, "note", None)):
            if secret and secret in text:
                text = text.replace(secret, "<text withheld>")
    return text[:300]


def recorder_for(settings: Settings) -> Recorder:
    """The recorder ``[insights] enabled`` asks for."""
    return EventRecorder.from_settings(settings) if settings.insights.enabled else NullRecorder()
