"""The on-disk index: its files, the manifest, atomic replacement and checked loading.

Layout (``index/build`` by default)::

    index/build -> build.versions/<build id>/   (a symlink, swapped atomically)
        manifest.json        format version, embedder, counts, sources and their sha256, file checksums
        chunks.jsonl         one chunk record a line (the contract in shared/DESIGN.md)
        sentences.jsonl      quotable sentences and table cells, with their chunk's metadata
        chunks.faiss         dense vectors of the chunks (flat inner product, or HNSW when large)
        sentences.npy        unit vectors of the sentences, for choosing what to quote

A build is written into a fresh version folder and only then pointed to, so a
failed or interrupted build leaves the previous index in place, and a server that
is reading the old one keeps a consistent snapshot. Loading checks everything the
manifest promises and fails with one line that names the fix instead of ever
answering from a mismatched or damaged index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.embedder import EmbedderInfo

FORMAT_VERSION = 1
FIX = "run `make ingest` to rebuild it"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
SENTENCES = "sentences.jsonl"
DENSE = "chunks.faiss"
SENTENCE_VECTORS = "sentences.npy"
DATA_FILES = (CHUNKS, SENTENCES, DENSE, SENTENCE_VECTORS)
HNSW_M = 32


class IndexLoadError(RuntimeError):
    """The index is missing, damaged, stale or built differently; the message says how to fix it."""


@dataclass(frozen=True)
class SourceRecord:
    name: str
    path: str  # as given to ingest, relative to the project root when inside it
    sha256: str
    kind: str
    chars: int


@dataclass
class LoadedIndex:
    """Everything retrieval needs, in memory."""

    directory: Path  # the resolved version folder
    manifest: dict[str, Any]
    chunks: list[dict[str, Any]]
    sentences: list[dict[str, Any]]
    dense: Any  # faiss.Index
    sentence_vectors: np.ndarray

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    @property
    def built_at(self) -> str:
        return str(self.manifest["built_at"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def build_dense_index(vectors: np.ndarray, approximate_above: int) -> tuple[Any, dict[str, Any]]:
    """Flat inner product up to ``approximate_above`` vectors, HNSW beyond (exact gets slow)."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) > approximate_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(vectors)
        return index, {"type": "hnsw", "metric": "inner_product", "m": HNSW_M, "ef_search": 64}
    index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index, {"type": "flat", "metric": "inner_product"}


def write_index(
    out_dir: Path,
    chunks: list[dict[str, Any]],
    sentences: list[dict[str, Any]],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    embedder: EmbedderInfo,
    sources: list[SourceRecord],
    approximate_above: int = 20000,
    build_settings: dict[str, Any] | None = None,
) -> Path:
    """Write a complete build beside ``out_dir`` and then point ``out_dir`` at it."""
    import faiss

    if len(chunks) != len(chunk_vectors) or len(sentences) != len(sentence_vectors):
        raise ValueError("vectors and records differ in number")
    versions = out_dir.parent / f"{out_dir.name}.versions"
    versions.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = versions / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / CHUNKS, chunks)
        _write_jsonl(tmp / SENTENCES, sentences)
        dense, dense_info = build_dense_index(chunk_vectors, approximate_above)
        faiss.write_index(dense, str(tmp / DENSE))
        np.save(tmp / SENTENCE_VECTORS, sentence_vectors.astype(np.float32))
        manifest = {
            "format_version": FORMAT_VERSION,
            "build_id": build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": {"model": embedder.model, "dimension": embedder.dimension, "max_seq_length": embedder.max_seq_length},
            "dense_index": dense_info,
            "build_settings": build_settings or {},
            "counts": {"chunks": len(chunks), "sentences": len(sentences), "sources": len(sources)},
            "sources": [s.__dict__ for s in sources],
            "files": {name: {"sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size} for name in DATA_FILES},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        final = versions / build_id
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_at(out_dir, final)
    _prune(versions, keep={final.name})
    return final


def _point_at(link: Path, target: Path) -> None:
    """Atomically make ``link`` a symlink to ``target`` (a real folder in the way is moved aside)."""
    if link.exists() and not link.is_symlink():
        link.rename(link.parent / f"{link.name}.versions" / f"legacy-{int(time.time())}")
    tmp_link = link.parent / f".{link.name}.{uuid.uuid4().hex[:6]}.link"
    os.symlink(os.path.relpath(target, link.parent), tmp_link)
    os.replace(tmp_link, link)


def _prune(versions: Path, keep: set[str], keep_previous: int = 1) -> None:
    """Delete old builds, keeping the newest ones so a reader mid-load never loses its files."""
    builds = sorted((p for p in versions.iterdir() if p.is_dir() and p.name not in keep), key=lambda p: p.stat().st_mtime)
    for old in builds[: max(0, len(builds) - keep_previous)]:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict[str, Any]:
    path = index_dir / MANIFEST
    if not index_dir.exists():
        raise IndexLoadError(f"{index_dir}: no index found; {FIX}")
    if not path.exists():
        raise IndexLoadError(f"{path}: manifest missing (incomplete build); {FIX}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexLoadError(f"{path}: manifest is corrupt; {FIX}") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexLoadError(f"{path}: index format {found!r}, this version reads {FORMAT_VERSION}; {FIX}")
    return manifest


def changed_sources(manifest: dict[str, Any], root: Path) -> list[str]:
    """Recorded sources that were edited or removed since the build ([] when all match)."""
    reasons = []
    for source in manifest.get("sources", []):
        path = Path(source["path"])
        path = path if path.is_absolute() else root / path
        if not path.exists():
            reasons.append(f"{source['path']} was removed since the build")
        elif _sha256(path) != source["sha256"]:
            reasons.append(f"{source['path']} changed since the build")
    return reasons


def display_path(path: Path, root: Path) -> str:
    """A source path as the manifest stores it: relative to the project root when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(root.resolve()))
    except ValueError:
        return str(resolved)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexLoadError(f"{path}: corrupt records; {FIX}") from None


def load_index(index_dir: Path, expected: EmbedderInfo | None = None, verify_checksums: bool = True) -> LoadedIndex:
    """Load and check an index; any mismatch is an :class:`IndexLoadError` naming ``make ingest``."""
    import faiss

    resolved = index_dir.resolve()
    manifest = read_manifest(resolved)
    if expected is not None:
        built = manifest.get("embedder", {})
        if built.get("model") != expected.model:
            raise IndexLoadError(
                f"{index_dir}: built with embedder {built.get('model')!r} but configured {expected.model!r}; {FIX}"
            )
        if built.get("dimension") != expected.dimension:
            raise IndexLoadError(
                f"{index_dir}: vectors have dimension {built.get('dimension')}, the embedder gives {expected.dimension}; {FIX}"
            )
    for name in DATA_FILES:
        path = resolved / name
        meta = manifest.get("files", {}).get(name)
        if not path.exists() or meta is None:
            raise IndexLoadError(f"{index_dir / name}: missing; {FIX}")
        if path.stat().st_size != meta["bytes"]:
            raise IndexLoadError(f"{index_dir / name}: truncated or changed ({path.stat().st_size} of {meta['bytes']} bytes); {FIX}")
        if verify_checksums and _sha256(path) != meta["sha256"]:
            raise IndexLoadError(f"{index_dir / name}: corrupt (checksum differs); {FIX}")

    chunks = _read_jsonl(resolved / CHUNKS)
    sentences = _read_jsonl(resolved / SENTENCES)
    try:
        dense = faiss.read_index(str(resolved / DENSE))
        sentence_vectors = np.load(resolved / SENTENCE_VECTORS, allow_pickle=False)
    except Exception as exc:  # faiss raises RuntimeError, numpy ValueError/OSError
        raise IndexLoadError(f"{index_dir}: vectors unreadable ({type(exc).__name__}); {FIX}") from None
    counts = manifest.get("counts", {})
    if len(chunks) != counts.get("chunks") or dense.ntotal != len(chunks):
        raise IndexLoadError(f"{index_dir}: {len(chunks)} chunks and {dense.ntotal} vectors, manifest says {counts.get('chunks')}; {FIX}")
    if len(sentences) != counts.get("sentences") or len(sentence_vectors) != len(sentences):
        raise IndexLoadError(f"{index_dir}: sentence records and vectors disagree with the manifest; {FIX}")
    if dense.d != manifest["embedder"]["dimension"] or sentence_vectors.shape[1:] != (dense.d,):
        raise IndexLoadError(f"{index_dir}: vector dimension differs from the manifest; {FIX}")
    if manifest.get("dense_index", {}).get("type") == "hnsw":
        dense.hnsw.efSearch = int(manifest["dense_index"].get("ef_search", 64))
    return LoadedIndex(resolved, manifest, chunks, sentences, dense, sentence_vectors)
