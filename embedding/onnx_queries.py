"""Query embeddings through ONNX Runtime: the same weights, less time, no GIL, no torch.

Why: under load the server was limited by the Python that drives torch through
the model's many small operations; it holds the GIL between them, so the two
cores could not both work. An ONNX export of the same SentenceTransformer runs
the whole graph in C++ with the GIL released, and a server that finds the export
cached never imports torch or sentence-transformers at all (they take about ten
seconds to import and most of the process's memory).

The export is made once per model, from the local weights (nothing is
downloaded), by whoever first loads the full model (``make index``, the first
start, the tests), and kept under ``[embedder] cache_dir`` under a name derived
from the model's files and the library versions. Beside it a small JSON file
records the model's dimension and length limit and the torch model's vectors
for probe sentences. Every load checks the export against them; where torch is
loaded anyway it is also checked against the live model. A file that fails to
load or disagrees is exported again, and if the fresh one fails too the caller
keeps the torch path (``Embedder`` logs one line and falls back).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from embedding.background import model_call_starting
from embedding.info import EmbedderInfo
from embedding.query_batcher import QueryBatcher

log = logging.getLogger(__name__)

# Short, long, accented and over-long texts: a wrong export or tokenisation (padding,
# pooling, lower-casing, accents, truncation at the length limit) shows on one of them.
PROBES = (
    "back spasm",
    "How long should I keep ice on my lower back after it seized up this morning?",
    "Is ibuprofen or a muscle relaxant better for a spasm that wakes me at night, and can I drive?",
    "Café NAÏVE question: douleur au dos, ça passe? 背中のけいれん 🙂",
    "spasm after lifting " * 120,
)
MIN_PROBE_COSINE = 0.9999
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class OnnxExportError(RuntimeError):
    """The model could not be exported to, or run by, ONNX Runtime as the torch model runs."""


def cache_file(model_path: str, cache_dir: Path) -> Path:
    """Where the export of ``model_path`` lives: one file per model files × library versions.

    Versions come from package metadata, not imports: the server computes this
    name before it knows whether it will need torch at all.
    """
    digest = hashlib.sha256()
    versions = [metadata.version(p) for p in ("torch", "sentence-transformers", "onnxruntime", "tokenizers")]
    for part in (model_path, *versions, str(OPSET)):
        digest.update(part.encode() + b"\0")
    folder = Path(model_path)
    if folder.is_dir():
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = f.stat()
            digest.update(f"{f.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode() + b"\0")
    return cache_dir / f"queries-{Path(model_path).name or 'model'}-{digest.hexdigest()[:16]}.onnx"


def sidecar(path: Path) -> Path:
    """The JSON file beside an export: dimension, length limit, the torch model's probe vectors."""
    return path.with_suffix(".json")


def _write_atomically(path: Path, write: Callable[[str], object]) -> None:
    """Write beside the target, then rename: processes starting together never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OnnxExportError(f"cannot write the ONNX export under {path.parent}: {exc}") from exc
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OnnxExportError:
        raise
    except Exception as exc:
        raise OnnxExportError(f"could not export the model to ONNX: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export(model: Any, path: Path, reference: Callable[[Sequence[str]], np.ndarray]) -> None:
    """Write ``model`` (a SentenceTransformer) as one ONNX graph, token ids in, unit vectors out.

    The graph runs the model's own modules (transformer, pooling, any dense or
    normalise layers), so a configured model with other pooling exports as it is.
    ``reference`` (the torch path) gives the probe vectors the sidecar records.
    """
    import torch

    features = model.preprocess(list(PROBES[:2]))
    names = [k for k in INPUT_NAMES if k in features]

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            vectors = self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(vectors, dim=1)

    def write_graph(tmp: str) -> None:
        # The tracer warns about Python branches it freezes; the probe check is what proves the graph.
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Graph().eval(), tuple(features[n] for n in names), tmp, dynamo=False, opset_version=OPSET,
                input_names=names, output_names=["embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
            )

    record = {
        "dimension": int(model.get_embedding_dimension()),
        "max_seq_length": int(model.max_seq_length),
        "inputs": names,
        "probes": list(PROBES),
        "vectors": np.asarray(reference(list(PROBES)), dtype=np.float32).round(7).tolist(),
    }
    _write_atomically(sidecar(path), lambda tmp: Path(tmp).write_text(json.dumps(record), encoding="utf-8"))
    _write_atomically(path, write_graph)


class FastTokenizer:
    """The model's own ``tokenizer.json`` through the Rust ``tokenizers`` library: ids as numpy arrays.

    Padded to the longest text and truncated at the model's length limit, as
    sentence-transformers does (a test compares the ids on every evaluation question).
    """

    def __init__(self, model_path: str, max_length: int, names: Sequence[str]) -> None:
        from tokenizers import Tokenizer

        file = Path(model_path) / "tokenizer.json"
        try:
            self._tokenizer = Tokenizer.from_file(str(file))
        except Exception as exc:
            raise OnnxExportError(f"cannot read the model's tokenizer {file}: {exc}") from exc
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        self._names = list(names)

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(list(texts))
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        return {name: np.asarray(columns[name], dtype=np.int64) for name in self._names}


class OnnxQueryEmbedder:
    """``info`` and ``encode_query``: all the server needs of an embedder, without torch.

    One thread per ONNX call, and calls side by side, one per core (its
    ``QueryBatcher``): on the 2-core machines that served 88 requests/s against
    77 for one 2-thread call at a time (``python -m bench load``, 30 s each,
    2026-11-30). A lone question takes a few milliseconds longer that way.
    """

    def __init__(self, name: str, model_path: str, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        try:
            record = json.loads(sidecar(path).read_text(encoding="utf-8"))
            self.info = EmbedderInfo(name, int(record["dimension"]), int(record["max_seq_length"]))
            self._probes = list(record["probes"]), np.asarray(record["vectors"], dtype=np.float32)
            inputs = list(record["inputs"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OnnxExportError(f"{sidecar(path)} is missing or damaged ({exc})") from exc
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
        self._tokenize = FastTokenizer(model_path, self.info.max_seq_length, inputs)
        self.name, self.path = name, path
        self._queries = QueryBatcher(self.encode_batch, parallel=os.cpu_count() or 1)
        self.check(lambda texts: self._probes[1])

    @property
    def dimension(self) -> int:
        return self.info.dimension

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in one ONNX call."""
        inputs = self._tokenize(texts)
        model_call_starting()  # the GIL is released from here: work waiting on this thread may run meanwhile
        (vectors,) = self._session.run(None, inputs)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One question as a (1, dimension) array; concurrent callers share calls."""
        return self._queries(text)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Several questions in one call (a conversation's earlier messages)."""
        return self.encode_batch(texts)

    def check(self, reference: Callable[[Sequence[str]], np.ndarray]) -> None:
        """Raise unless this export embeds the probe sentences as ``reference`` does."""
        probes = self._probes[0]
        ours, theirs = self.encode_batch(probes), np.asarray(reference(probes), dtype=np.float32)
        score = float(np.min(np.sum(ours * theirs, axis=1))) if ours.shape == theirs.shape else -1.0
        if score < MIN_PROBE_COSINE:
            raise OnnxExportError(f"{self.path} disagrees with the torch model (cosine {score:.6f} < {MIN_PROBE_COSINE})")


@functools.lru_cache(maxsize=4)
def open_cached(name: str, model_path: str, cache_dir: Path) -> OnnxQueryEmbedder:
    """The export made earlier for this model and these library versions; never imports torch.

    Raises ``OnnxExportError`` when there is none or it fails its check: the
    caller then loads the full model, which makes a new one.
    """
    path = cache_file(model_path, cache_dir)
    if not path.exists():
        raise OnnxExportError(f"no ONNX export of the model in {cache_dir} yet")
    return OnnxQueryEmbedder(name, model_path, path)


def load_or_export(model: Any, name: str, model_path: str, cache_dir: Path,
                   reference: Callable[[Sequence[str]], np.ndarray]) -> OnnxQueryEmbedder:
    """The cached export of ``model`` (made if missing), proven to agree with the live ``reference``.

    A cached file that will not load or disagrees is exported again once; if the
    fresh export still fails, ``OnnxExportError`` says why.
    """
    path = cache_file(model_path, cache_dir)
    exported = False
    while True:
        if not (path.exists() and sidecar(path).exists()):
            log.info("exporting the query model to %s (once per model)", path)
            export(model, path, reference)
            exported = True
        try:
            queries = OnnxQueryEmbedder(name, model_path, path)
            queries.check(reference)
            return queries
        except OnnxExportError as exc:
            if exported:
                raise
            log.warning("%s; exporting it again", exc)
            path.unlink(missing_ok=True)
