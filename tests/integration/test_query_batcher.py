"""Concurrent query embeddings share model calls and each caller gets its own row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from embedding.query_batcher import QueryBatcher

QUESTIONS = [
    "ice or heat first?",
    "how much ibuprofen can I take?",
    "is a deep tissue massage good for chronic spasms?",
    "can I drive after a muscle relaxer?",
    "what stretches help my lower back?",
    "should I stay in bed?",
    "does a chiropractor help with spasms?",
    "how long do muscle relaxants take to work?",
]


def test_concurrent_callers_get_their_own_vectors_from_fewer_model_calls(embedder):
    alone = {q: embedder.encode([q])[0] for q in QUESTIONS}
    started = threading.Event()
    calls: list[int] = []

    def slow_encode(texts):
        calls.append(len(texts))
        started.wait(5)  # hold the first call so that the others queue behind it
        return embedder.encode(list(texts), batch_size=len(texts))

    batcher = QueryBatcher(slow_encode)
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        futures = {q: pool.submit(batcher, q) for q in QUESTIONS * 3}
        started.set()
        got = {q: f.result(timeout=30) for q, f in futures.items()}
    for q, vector in got.items():
        assert vector.shape == (1, embedder.dimension)
        assert np.allclose(vector[0], alone[q], atol=1e-4), q  # batching pads, it must not change the vector
    assert sum(calls) == len(QUESTIONS) * 3 and len(calls) < len(QUESTIONS) * 3
    assert batcher.queries == len(QUESTIONS) * 3 and batcher.batches == len(calls)


def test_a_query_embeds_as_ingest_embeds_it(embedder):
    """The query path skips ``SentenceTransformer.encode``; its vectors must not differ."""
    for question in QUESTIONS:
        assert np.allclose(embedder.encode_query(question)[0], embedder.encode([question])[0], atol=1e-5)


def test_a_failing_model_call_reaches_every_waiting_caller_and_the_next_call_works():
    fail = threading.Event()
    fail.set()

    def encode(texts):
        if fail.is_set():
            raise RuntimeError("model broke")
        return np.ones((len(texts), 3), dtype=np.float32)

    batcher = QueryBatcher(encode)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher, f"q{i}") for i in range(8)]
        for f in futures:
            with pytest.raises(RuntimeError, match="model broke"):
                f.result(timeout=10)
    fail.clear()
    assert batcher("again").shape == (1, 3)


def test_parallel_batches_run_side_by_side_up_to_the_limit_and_each_caller_is_in_its_own():
    """One batch per core, never more at once; a caller whose question is already in a batch leads no other."""
    lock = threading.Lock()
    running, most = 0, 0
    embedded: set[str] = set()
    led_after_own: list[str] = []

    def encode(texts):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if own[threading.current_thread().name] in embedded:
                led_after_own.append(threading.current_thread().name)
            embedded.update(texts)
        try:
            threading.Event().wait(0.02)  # long enough for callers to pile up
            return np.asarray([[float(t[1:]), 0.0] for t in texts], dtype=np.float32)
        finally:
            with lock:
                running -= 1

    own: dict[str, str] = {}
    batcher = QueryBatcher(encode, max_batch=4, parallel=2)

    def ask(i: int) -> np.ndarray:
        own[threading.current_thread().name] = f"q{i}"
        return batcher(f"q{i}")

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(ask, range(60)))
    assert [r[0, 0] for r in results] == [float(i) for i in range(60)]
    assert most == 2
    assert led_after_own == []
