"""Coalesce concurrent query embeddings into one model call.

On CPU, embedding eight short questions together costs about as much as two or
three one at a time (measured on the 2-core machines: 19 ms for one, 7–9 ms a
question in a batch of 4–8). Under load many requests wait to embed at once, so
the first waiting thread embeds everything queued while the model was busy and
hands each caller its row. Nothing waits on a timer: a lone request is embedded
at once, and batches form only when requests already queue.

With ``parallel`` above 1, that many batches run side by side (the ONNX path
runs one single-threaded call per core, which releases the GIL). A caller whose
question is already in a running batch waits for it rather than leading another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class _Slot:
    text: str
    vector: np.ndarray | None = None
    error: BaseException | None = None
    taken: bool = False  # in a batch that is running
    done: bool = False


class QueryBatcher:
    """``batcher(text) -> (1, dim) array``; thread-safe, at most ``parallel`` model calls at a time."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_batch: int = 16, parallel: int = 1) -> None:
        self._encode = encode
        self._max_batch = max(1, max_batch)
        self._parallel = max(1, parallel)
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._running = 0
        self.batches = 0  # model calls made, for the benchmarks
        self.queries = 0

    def __call__(self, text: str) -> np.ndarray:
        slot = _Slot(text)
        with self._cond:
            self._queue.append(slot)
        while True:
            with self._cond:
                # Lead a batch only while its own question still waits: a caller never runs others' batch after its own.
                while not slot.done and (slot.taken or self._running >= self._parallel):
                    self._cond.wait()
                if slot.done:
                    break
                self._running += 1
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                for s in batch:
                    s.taken = True
            self._run(batch)
        if slot.error is not None:
            raise slot.error
        assert slot.vector is not None
        return slot.vector

    def _run(self, batch: list[_Slot]) -> None:
        try:
            vectors = self._encode([s.text for s in batch])
            for s, row in zip(batch, vectors, strict=True):
                s.vector = row[None, :]
        except BaseException as exc:  # every waiting caller gets the error, not a hang
            for s in batch:
                s.error = exc
        finally:
            with self._cond:
                for s in batch:
                    s.done = True
                self.batches += 1
                self.queries += len(batch)
                self._running -= 1
                self._cond.notify_all()
