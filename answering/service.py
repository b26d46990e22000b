"""A long-running assistant that picks up a rebuilt index without a restart.

``make ingest`` (or ``python -m ingest``) swaps ``index/build`` to a new build
atomically. The service notices the new build id, loads and checks it in the
background while the old one keeps answering, then swaps one reference: calls
in flight finish on the index they started with, new calls see the new one. A
build that fails its checks is logged in one line and the old index stays.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from answering.pipeline import Assistant
from contracts import Answer
from index.retriever import Retriever
from index.store import IndexLoadError, load_index, read_manifest
from settings import Settings, load_settings

log = logging.getLogger("answering.service")


def one_thread_per_request() -> None:
    """Hold FAISS's OpenMP and NumPy's BLAS to one thread, as the query embedding's ONNX call is (``embedding.onnx_queries``).

    The server answers requests side by side, one per core. A FAISS search of a few hundred vectors gains
    nothing from OpenMP threads, and OpenBLAS ran the learned layers' products (a few thousand rows) on a
    second thread that spun after each one: 22 ms of CPU for an 11 ms answer, and on a busy machine the
    product waited for that thread to get a core. Call it once the libraries are loaded (the limit reaches
    only those): ``webapp.runner`` after its warm-up, and ``bench.latency`` before it measures, so the
    benchmark times ``answer()`` as it is served.
    """
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(1)
    threadpool_limits(1)


class AssistantService:
    """Answers with the newest good index; checks for a new build at most every ``check_every`` seconds."""

    def __init__(self, settings: Settings | None = None, check_every: float = 2.0, assistant: Assistant | None = None) -> None:
        self.settings = settings or load_settings()
        self._assistant = assistant or Assistant.from_settings(self.settings)
        self._check_every = check_every
        self._last_check = time.monotonic()
        self._lock = threading.Lock()
        self._reloading = False
        self._rejected: str | None = None  # a build id that failed its checks, not retried
        self.last_error: str | None = None

    @property
    def assistant(self) -> Assistant:
        return self._assistant

    def answer(self, message: Any, history: Any = None, mode: str | None = None) -> Answer:
        self._maybe_reload()
        return self._assistant.answer(message, history, mode)

    def notice(self, message: Any, history: Any = None, learned: bool = True) -> dict[str, Any]:
        """What a refused request's body carries besides its error: the triage tier and its notice."""
        triage, parts = self._assistant.safety_notice(message, history, learned)
        return {
            "triage": str(triage.tier),
            "notice": "\n\n".join(p.markdown for p in parts),
            "parts": [{"kind": str(p.kind), "markdown": p.markdown} for p in parts],
            "language": triage.language,
        }

    def health(self) -> dict[str, Any]:
        index = self._assistant.retriever.index
        return {
            "status": "ok",
            "chunks": len(index.chunks),
            "index_built": index.built_at,
            "build_id": index.build_id,
        }

    # -- reloading -----------------------------------------------------------------

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._last_check < self._check_every:
            return
        with self._lock:
            if self._reloading or now - self._last_check < self._check_every:
                return
            self._last_check = now
            build_id = self._disk_build_id()
            if build_id is None or build_id in (self._assistant.retriever.index.build_id, self._rejected):
                return
            self._reloading = True
        threading.Thread(target=self._reload, args=(build_id,), name="index-reload", daemon=True).start()

    def _disk_build_id(self) -> str | None:
        try:
            return str(read_manifest(self.settings.index_dir.resolve())["build_id"])
        except (IndexLoadError, KeyError):
            return None

    def _reload(self, build_id: str) -> None:
        try:
            self.reload_now()
        except Exception as exc:  # the old index keeps serving
            self._rejected = build_id
            self.last_error = str(exc)
            log.error("new index %s not loaded, still serving %s: %s", build_id, self._assistant.retriever.index.build_id, exc)
        finally:
            self._reloading = False

    def reload_now(self) -> str:
        """Load the index on disk now and swap to it; raises (and keeps the old one) if it fails its checks."""
        current = self._assistant
        embedder = current.retriever.embedder
        index = load_index(self.settings.index_dir, embedder.info)
        retrieval = self.settings.retrieval
        retriever = Retriever(
            index, embedder, current.retriever.vocabulary, retrieval.rrf_k, retrieval.hint_weight, retrieval.expansion_weight
        )
        self._assistant = current.with_retriever(retriever)
        self.last_error = None
        log.info("now serving index %s (%d chunks)", retriever.index.build_id, len(retriever.chunks))
        return retriever.index.build_id
