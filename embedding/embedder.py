"""The sentence embedder, loaded once per process and never from the network.

Ingest embeds chunks and sentences with it; the retriever embeds queries. Both
must use the same model, which is why the index manifest records its name and
dimension and loading refuses an index built by another one.

``Embedder`` is the full sentence-transformers model (ingest, tests, the torch
fallback). The server asks ``load_query_embedder``, which returns the cached
ONNX export alone when there is one (``embedding.onnx_queries``): same vectors,
no torch in the process.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedding.info import EmbedderInfo, QueryEmbedder
from embedding.query_batcher import QueryBatcher
from settings import QUERY_RUNTIMES, Settings, resolve_model_path

if TYPE_CHECKING:
    from embedding.onnx_queries import OnnxQueryEmbedder

log = logging.getLogger(__name__)


def _offline() -> None:
    """No hub traffic, ever: the weights come from a local folder or the bundled package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    """Thin wrapper over SentenceTransformer: normalised float32 vectors, token counts.

    Passages (ingest) always go through sentence-transformers. Queries go through
    ``query_runtime``: "onnx" runs an export of the same weights in ONNX Runtime
    (see ``embedding.onnx_queries``; faster, and it frees the GIL),
    "torch" runs the model's modules directly. Both give the same vectors (tests
    compare them); if the export cannot be made or disagrees, torch serves.
    """

    def __init__(
        self, model: str, device: str = "cpu", query_runtime: str = "onnx", cache_dir: Path | None = None
    ) -> None:
        _offline()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self.name = model
        self._model = SentenceTransformer(resolve_model_path(model), device=device, local_files_only=True)
        self._tokenizer = self._model.tokenizer
        dimension, length = self._model.get_embedding_dimension(), self._model.max_seq_length
        if dimension is None or length is None:
            raise ValueError(f"{model}: the model does not say its vectors' dimension or its length limit")
        self.info = EmbedderInfo(model, int(dimension), int(length))
        self._model.eval()
        self._onnx: OnnxQueryEmbedder | None = None
        self.query_runtime = self._choose_query_runtime(query_runtime, model, device, cache_dir)
        self._queries = QueryBatcher(self._encode_direct)  # torch already spreads one call over every core

    def _choose_query_runtime(self, wanted: str, model: str, device: str, cache_dir: Path | None) -> str:
        if wanted not in QUERY_RUNTIMES:
            raise ValueError(f"[embedder] query_runtime must be one of {', '.join(QUERY_RUNTIMES)}, got {wanted!r}")
        if wanted == "torch" or device != "cpu" or cache_dir is None:
            return "torch"
        from embedding.onnx_queries import OnnxExportError, load_or_export

        try:
            self._onnx = load_or_export(self._model, model, resolve_model_path(model), cache_dir, self._encode_direct)
        except (OnnxExportError, ImportError) as exc:
            log.warning("queries are embedded with torch instead of ONNX Runtime (slower): %s", exc)
            return "torch"
        return "onnx"

    @property
    def dimension(self) -> int:
        return self.info.dimension

    @property
    def max_seq_length(self) -> int:
        return self.info.max_seq_length

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for ``text``, including its special tokens."""
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (inner product = cosine)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_direct(self, texts: Sequence[str]) -> np.ndarray:
        """A few texts through the model's modules without ``encode``'s per-call bookkeeping.

        ``SentenceTransformer.encode`` re-walks the module tree (``eval()``, device
        lookup) on every call: 2–4 ms of Python under the GIL, a fifth of a query's
        time on these machines. The vectors are the same (tests compare them).
        """
        import torch

        features = self._model.preprocess(list(texts))
        with torch.inference_mode():
            vectors = self._model.forward(features)["sentence_embedding"]
            vectors = torch.nn.functional.normalize(vectors, dim=1)
        return np.ascontiguousarray(vectors.numpy(), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query as a (1, dimension) array; concurrent callers share model calls."""
        return self._onnx.encode_query(text) if self._onnx is not None else self._queries(text)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one model call (a conversation's earlier messages)."""
        return self._onnx.encode_batch(texts) if self._onnx is not None else self._encode_direct(texts)


@functools.lru_cache(maxsize=4)
def load_embedder(
    model: str, device: str = "cpu", query_runtime: str = "onnx", cache_dir: Path | None = None
) -> Embedder:
    """The process-wide embedder for ``model`` (loading takes seconds; do it once)."""
    return Embedder(model, device, query_runtime, cache_dir)


def load_configured_embedder(settings: Settings) -> Embedder:
    """The embedder ``[embedder]`` describes; ingest, the retriever and the benchmarks share it."""
    e = settings.embedder
    return load_embedder(e.model, e.device, e.query_runtime, settings.path(e.cache_dir))


def load_query_embedder(settings: Settings) -> QueryEmbedder:
    """What the server embeds questions with: the cached ONNX export alone when there is one.

    Then torch and sentence-transformers are never imported (start-up takes
    seconds instead of tens of them, and the process a fraction of the memory).
    Without a usable export the full model loads, and makes one for next time.
    """
    e = settings.embedder
    if e.query_runtime == "onnx" and e.device == "cpu":
        from embedding.onnx_queries import OnnxExportError, open_cached

        try:
            return open_cached(e.model, resolve_model_path(e.model), settings.path(e.cache_dir))
        except (OnnxExportError, ImportError) as exc:
            log.info("loading the full model: %s", exc)
    return load_configured_embedder(settings)
