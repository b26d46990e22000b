"""The on-disk index: its files, the manifest, atomic replacement and checked loading.

Layout (``index/build`` by default)::

    index/build -> build.versions/<build id>/   (a symlink, swapped atomically)
        manifest.json        format version, embedder, counts, sources and their sha256, file checksums
        chunks.jsonl         one chunk record a line (contracts.Chunk; docs/contracts.md)
        sentences.jsonl      quotable sentences and table cells, with their chunk's metadata
        chunks.faiss         dense vectors of the chunks (flat inner product, or IVF-Flat when large)
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

from contracts import Chunk, RecordError, Sentence
from embedding.info import EmbedderInfo

FORMAT_VERSION = 1
FIX = "run `make ingest` to rebuild it"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
SENTENCES = "sentences.jsonl"
DENSE = "chunks.faiss"
SENTENCE_VECTORS = "sentences.npy"
DATA_FILES = (CHUNKS, SENTENCES, DENSE, SENTENCE_VECTORS)
# IVF-Flat is the dense index above ``[retrieval] approximate_above`` chunks. The scale
# benchmark (bench/results/scale.md and scale-real.md, 2026-11-30) measured recall@10
# against exact flat search over the same vectors, with sqrt(n) lists and nprobe 16:
# 0.999 at 6,400 chunks of real embeddings (0.986 on the synthetic corpus) and 0.990 by
# id / 1.000 by content at 64,000, a top-50 search taking 0.72 ms there against 11.9 ms
# for flat. The HNSW index it replaced (M 32, efSearch 64) was faster (0.16 ms) but
# reached only 0.71 at 6,400 and 0.28 at 64,000, and 0.81 / 0.33 even at efSearch 256.
IVF_NPROBE = 16
"""Lists searched per query: in the same runs 8 gave 0.97-0.98 recall@10, and 32 at most 0.01 more than 16 at twice the time."""
IVF_MIN_LISTS = 16
HNSW_EF_SEARCH = 64  # only for loading indexes built before IVF-Flat replaced HNSW


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
    chunks: list[Chunk]
    sentences: list[Sentence]
    dense: Any  # faiss.Index
    sentence_vectors: np.ndarray

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    @property
    def built_at(self) -> str:
        return str(self.manifest["built_at"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def ivf_lists(n: int) -> int:
    """How many IVF lists (k-means centroids) for ``n`` vectors: sqrt(n), at least 16, at most n.

    sqrt(n) balances the two costs of a query (comparing with every centroid, then
    scanning ``IVF_NPROBE`` lists of about sqrt(n) vectors each), so at 64,000 chunks a
    query touches about 17·sqrt(n) ≈ 4,300 vectors instead of 64,000. It is also the
    setting the recall figures above were measured with. FAISS's guidelines suggest
    4-16·sqrt(n) lists, but at a fixed nprobe more lists means a smaller share of the
    corpus searched and lower recall, and above 20,000 vectors sqrt(n) lists keep at
    least 141 training points per centroid, well above the 39 FAISS asks for
    (4·sqrt(n) would have only 35 just above the threshold).
    """
    return max(1, min(n, max(IVF_MIN_LISTS, int(np.sqrt(n)))))


def build_dense_index(vectors: np.ndarray, approximate_above: int) -> tuple[Any, dict[str, Any]]:
    """Flat inner product up to ``approximate_above`` vectors, IVF-Flat beyond (exact gets slow).

    The IVF index is trained (k-means) on the very vectors it then holds, and keeps a
    direct map so stored vectors can be read back by id (``reconstruct_batch``).
    """
    import faiss

    dim = vectors.shape[1]
    if len(vectors) > approximate_above:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        nlist = ivf_lists(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.add(vectors)
        index.make_direct_map()
        index.nprobe = IVF_NPROBE
        return index, {"type": "ivf-flat", "metric": "inner_product", "nlist": nlist, "nprobe": IVF_NPROBE}
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    return flat, {"type": "flat", "metric": "inner_product"}


def write_index(
    out_dir: Path,
    chunks: list[Chunk],
    sentences: list[Sentence],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    embedder: EmbedderInfo,
    sources: list[SourceRecord],
    approximate_above: int = 20000,
    build_settings: dict[str, Any] | None = None,
    rule_files: dict[str, str] | None = None,
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
        _write_jsonl(tmp / CHUNKS, (c.to_record() for c in chunks))
        _write_jsonl(tmp / SENTENCES, (s.to_record() for s in sentences))
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
            "rule_files": rule_files or {},  # data files that shape the index, with their sha256
            "counts": {"chunks": len(chunks), "sentences": len(sentences), "sources": len(sources)},
            "sources": [s.__dict__ for s in sources],
            "files": {name: {"sha256": sha256_of(tmp / name), "bytes": (tmp / name).stat().st_size} for name in DATA_FILES},
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


def changed_rule_files(manifest: dict[str, Any], current: dict[str, str]) -> list[str]:
    """Data files that shape the index (``data/structure.toml``) edited since the build."""
    recorded = manifest.get("rule_files", {})
    return [f"{name} changed since the build" for name, digest in current.items() if recorded.get(name) != digest]


def changed_sources(manifest: dict[str, Any], root: Path) -> list[str]:
    """Recorded sources that were edited or removed since the build ([] when all match)."""
    reasons = []
    for source in manifest.get("sources", []):
        path = Path(source["path"])
        path = path if path.is_absolute() else root / path
        if not path.exists():
            reasons.append(f"{source['path']} was removed since the build")
        elif sha256_of(path) != source["sha256"]:
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
        if verify_checksums and sha256_of(path) != meta["sha256"]:
            raise IndexLoadError(f"{index_dir / name}: corrupt (checksum differs); {FIX}")

    try:
        chunks = [Chunk.from_record(r) for r in _read_jsonl(resolved / CHUNKS)]
        sentences = [Sentence.from_record(r) for r in _read_jsonl(resolved / SENTENCES)]
    except RecordError as exc:
        raise IndexLoadError(f"{index_dir}: {exc}; {FIX}") from None
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
    dense_info = manifest.get("dense_index", {})
    if dense_info.get("type") == "ivf-flat":
        if not isinstance(dense, faiss.IndexIVF):
            raise IndexLoadError(f"{index_dir}: the manifest says ivf-flat but the vectors are {type(dense).__name__}; {FIX}")
        dense.nprobe = int(dense_info.get("nprobe", IVF_NPROBE))
        dense.make_direct_map()  # for reconstruct_batch (the retriever reads stored vectors back)
    elif dense_info.get("type") == "hnsw" and isinstance(dense, faiss.IndexHNSW):  # built before IVF-Flat replaced HNSW
        dense.hnsw.efSearch = int(dense_info.get("ef_search", HNSW_EF_SEARCH))
    return LoadedIndex(resolved, manifest, chunks, sentences, dense, sentence_vectors)
