"""Run Python work while this thread waits in a model call.

The query embedding is one single-threaded ONNX call that releases the GIL
(``embedding.onnx_queries``): on a 2-core machine the other core idles for its
few milliseconds. Triage reads its rules (pure Python, about 1 ms) on a worker
in that time instead of before it.

The worker starts only once the caller is *in* the model call
(``model_call_starting``). Started any earlier, the two threads would take
turns at the GIL, and Python hands it back only every 5 ms: measured, the
embedding then took as much longer as the rules had saved.

Nothing is lost when the overlap cannot happen: when this thread makes no model
call (the vectors were known, or another request's batch embedded them) or no
worker is free, the work runs in the caller, as it would have without this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

WORKERS = 8  # overlaps at once; more callers than this run their work themselves

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()  # this thread's gates: opened when it enters a model call


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="during-model-call")
        return _pool


def _gates() -> list[threading.Event]:
    gates: list[threading.Event] | None = getattr(_local, "gates", None)
    if gates is None:
        gates = _local.gates = []
    return gates


def model_call_starting() -> None:
    """Called by an embedder just before a call that releases the GIL: work waiting on this thread may start."""
    for gate in _gates():
        gate.set()


class DuringModelCall(Generic[T]):
    """``with DuringModelCall(work) as pending: <embed>; value = pending.result()``.

    ``work`` runs on a worker once this thread enters a model call inside the
    block, or in this thread at ``result()`` if that never happened. Exactly once
    either way; its exception is raised by ``result()``.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._gate = threading.Event()
        self._claim = threading.Lock()  # whoever takes it first runs the work
        self._future: Future[tuple[bool, T | None]] | None = None

    def __enter__(self) -> DuringModelCall[T]:
        _gates().append(self._gate)
        self._future = _workers().submit(self._on_worker)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        _gates().remove(self._gate)
        self._gate.set()  # never leave a worker waiting

    def result(self) -> T:
        mine = self._claim.acquire(blocking=False)  # the worker has not started it (no model call here, or no free worker)
        self._gate.set()  # the worker runs it now, or returns at once if this thread took it
        if mine:
            return self._work()
        assert self._future is not None
        ran, value = self._future.result()
        assert ran
        return value  # type: ignore[return-value]

    def _on_worker(self) -> tuple[bool, T | None]:
        self._gate.wait()
        if not self._claim.acquire(blocking=False):
            return False, None
        return True, self._work()
