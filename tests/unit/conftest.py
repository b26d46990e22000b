"""Unit-test fixtures: a small guide, a stand-in embedder, and the real pipeline over them.

No model, no built index, no browser: the stand-in embedder hashes words into a
unit vector (texts that share words are close), which is all ingest, the index
and the composer need to run. Everything else is the project's real code: the
structure rules, chunking, FAISS, BM25, the lay vocabulary, triage, the
policies and the prompts. The whole folder runs in seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embedding.info import EmbedderInfo
from index.text import tokenize

MINI_GUIDE = Path(__file__).parent / "fixtures" / "mini-guide.txt"
DIMENSION = 64


class WordHashEmbedder:
    """Each stemmed word adds a fixed random direction; the sum is normalised. Deterministic, instant."""

    info = EmbedderInfo("test:word-hash", DIMENSION, 256)
    max_seq_length = 256
    dimension = DIMENSION

    def _vector(self, text: str) -> np.ndarray:
        total = np.zeros(DIMENSION, dtype=np.float32)
        for word in tokenize(text) or ["empty"]:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
            total += np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
        return total / (np.linalg.norm(total) or 1.0)

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(len(texts), DIMENSION)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2


@pytest.fixture(scope="session")
def toy_embedder() -> WordHashEmbedder:
    return WordHashEmbedder()


@pytest.fixture(scope="session")
def mini_index_dir(tmp_path_factory, toy_embedder) -> Path:
    from ingest.build import build_index

    out = tmp_path_factory.mktemp("mini-index") / "build"
    build_index([MINI_GUIDE], out, toy_embedder, 160)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def mini_settings(mini_index_dir):
    from settings import load_settings

    # English only: the other languages' rules and the language detector are tested on their own
    return load_settings().with_overrides(index={"dir": str(mini_index_dir)}, feedback={"enabled": False}, languages={"enabled": ["en"]})


@pytest.fixture(scope="session")
def mini_retriever(mini_index_dir, toy_embedder, mini_settings):
    from index.retriever import Retriever
    from index.store import load_index
    from index.vocabulary import LayVocabulary

    index = load_index(mini_index_dir, toy_embedder.info)
    return Retriever(index, toy_embedder, LayVocabulary.load(), mini_settings.retrieval.rrf_k, mini_settings.retrieval.hint_weight)


@pytest.fixture(scope="session")
def mini_assistant(mini_settings, mini_retriever):
    from answering.pipeline import Assistant

    return Assistant.from_settings(mini_settings, mini_retriever)


@pytest.fixture(scope="session")
def triage():
    """The shipped triage (rules and learned layer), loaded once: several modules read it."""
    from safety.triage import Triage

    return Triage.load()
