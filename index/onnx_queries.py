"""Query embeddings through ONNX Runtime: the same weights, less time, no GIL.

Why: under load the server was limited by the Python that drives torch through
the model's many small operations; it holds the GIL between them, so the two
cores could not both work. An ONNX export of the same SentenceTransformer runs
the whole graph in C++ with the GIL released: a question embeds in about 8 ms
instead of 20 on the 2-core machines, and other requests' Python runs meanwhile.

The export is made once per model, from the local weights (nothing is
downloaded), and kept under ``[embedder] cache_dir`` under a name derived from
the model's files and the library versions. Every time it is loaded it is
checked against the torch model on probe sentences: a file that fails to load
or disagrees is rebuilt, and if the rebuilt one fails too the caller keeps the
torch path (``load_onnx_queries`` raises, ``Embedder`` logs one line and falls back).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Sentences of different lengths: a wrong export (bad padding, pooling, axes) shows on them.
PROBES = (
    "back spasm",
    "How long should I keep ice on my lower back after it seized up this morning?",
    "Is ibuprofen or a muscle relaxant better for a spasm that wakes me at night, and can I drive?",
)
MIN_PROBE_COSINE = 0.9999
OPSET = 17


class OnnxExportError(RuntimeError):
    """The model could not be exported to, or run by, ONNX Runtime as the torch model runs."""


def cache_file(model_path: str, cache_dir: Path) -> Path:
    """Where the export of ``model_path`` lives: one file per model files × library versions."""
    import onnxruntime
    import sentence_transformers
    import torch

    digest = hashlib.sha256()
    for part in (model_path, torch.__version__, sentence_transformers.__version__, onnxruntime.__version__, str(OPSET)):
        digest.update(part.encode() + b"\0")
    folder = Path(model_path)
    if folder.is_dir():
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = f.stat()
            digest.update(f"{f.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode() + b"\0")
    return cache_dir / f"queries-{Path(model_path).name or 'model'}-{digest.hexdigest()[:16]}.onnx"


def export(model: Any, path: Path) -> None:
    """Write ``model`` (a SentenceTransformer) as one ONNX graph: token ids in, unit vectors out.

    The graph runs the model's own modules (transformer, pooling, any dense or
    normalise layers), so a configured model with other pooling exports as it is.
    """
    import torch

    features = model.preprocess(list(PROBES[:2]))
    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            vectors = self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(vectors, dim=1)

    # Written beside the target, then renamed: processes starting together never read half a file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OnnxExportError(f"cannot write the ONNX export under {path.parent}: {exc}") from exc
    try:
        # The tracer warns about Python branches it freezes; the probe check below is what proves the graph.
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Graph().eval(), tuple(features[n] for n in names), tmp, dynamo=False, opset_version=OPSET,
                input_names=names, output_names=["embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except Exception as exc:
        raise OnnxExportError(f"could not export the model to ONNX: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OnnxQueries:
    """``queries(texts) -> (n, dim)`` unit float32 vectors, from an exported graph.

    One thread per call by default, and callers run calls side by side (the
    embedder's ``QueryBatcher`` with one batch per core): on the 2-core machines
    that served 88 requests/s against 77 for one 2-thread call at a time
    (``python -m bench load``, 30 s each, 2026-11-30). A lone question takes a
    few milliseconds longer that way.
    """

    def __init__(self, path: Path, preprocess: Callable[[list[str]], dict], threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        # Idle pool threads must sleep, not spin: on two cores a spinning thread steals the other requests' CPU.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise OnnxExportError(f"{path} is not a usable ONNX model: {exc}") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._preprocess = preprocess
        self.path = path

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        # The model's own tokenisation (lower-casing, truncation at max_seq_length), as torch would get it.
        features = self._preprocess(list(texts))
        feed = {name: features[name].numpy().astype(np.int64, copy=False) for name in self._inputs}
        (vectors,) = self._session.run(None, feed)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def agreement(queries: Callable[[Sequence[str]], np.ndarray], reference: Callable[[Sequence[str]], np.ndarray]) -> float:
    """The lowest cosine between the two encoders' vectors for the probe sentences (1.0 = same)."""
    ours, theirs = queries(list(PROBES)), reference(list(PROBES))
    if ours.shape != theirs.shape:
        return -1.0
    return float(np.min(np.sum(ours * theirs, axis=1)))


def load_onnx_queries(
    model: Any, model_path: str, cache_dir: Path, reference: Callable[[Sequence[str]], np.ndarray]
) -> OnnxQueries:
    """The cached export of ``model`` (made if missing), proven to agree with ``reference``.

    A cached file that will not load or disagrees is exported again once; if the
    fresh export still fails, ``OnnxExportError`` says why.
    """
    path = cache_file(model_path, cache_dir)
    exported = False
    while True:
        if not path.exists():
            log.info("exporting the query model to %s (once per model)", path)
            export(model, path)
            exported = True
        try:
            queries = OnnxQueries(path, model.preprocess)
            score = agreement(queries, reference)
        except OnnxExportError as exc:
            problem = str(exc)
        else:
            if score >= MIN_PROBE_COSINE:
                return queries
            problem = f"{path} disagrees with the torch model (cosine {score:.6f} < {MIN_PROBE_COSINE})"
        if exported:
            raise OnnxExportError(problem)
        log.warning("%s; exporting it again", problem)
        path.unlink(missing_ok=True)
