"""The on-disk index: manifest checks, every load error, atomic replacement, and the ingest CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from contracts import Chunk, Sentence
from embedding.info import EmbedderInfo
from index.store import IVF_NPROBE, IndexLoadError, ivf_lists, load_index, read_manifest, sha256_of, write_index
from ingest.build import build_index, stale_reasons
from settings import PROJECT_ROOT, load_settings
from tests.conftest import GUIDE


@pytest.fixture
def index_copy(built_index_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the session's index (a real folder) to damage."""
    target = tmp_path / "build"
    shutil.copytree(built_index_dir.resolve(), target)
    return target


def test_manifest_records_what_loading_checks(built_index_dir, embedder):
    manifest = read_manifest(built_index_dir.resolve())
    assert manifest["format_version"] == 1
    assert manifest["embedder"] == {"model": embedder.name, "dimension": 384, "max_seq_length": 256}
    assert manifest["counts"]["chunks"] > 30 and manifest["counts"]["sources"] == 1
    source = manifest["sources"][0]
    assert source["path"] == "data/guide/back-spasm-treatments.txt" and len(source["sha256"]) == 64
    assert manifest["built_at"] and manifest["build_id"]
    assert set(manifest["files"]) == {"chunks.jsonl", "sentences.jsonl", "chunks.faiss", "sentences.npy"}


def test_loads_with_matching_embedder(built_index_dir, embedder):
    index = load_index(built_index_dir, embedder.info)
    assert index.dense.ntotal == len(index.chunks) and len(index.sentence_vectors) == len(index.sentences)


def test_other_embedder_is_refused(built_index_dir):
    with pytest.raises(IndexLoadError, match=r"built with embedder .*make ingest"):
        load_index(built_index_dir, EmbedderInfo("sentence-transformers/all-mpnet-base-v2", 768, 384))


def test_other_dimension_is_refused(built_index_dir, embedder):
    with pytest.raises(IndexLoadError, match=r"dimension 384, the embedder gives 768.*make ingest"):
        load_index(built_index_dir, EmbedderInfo(embedder.name, 768, 256))


@pytest.mark.parametrize("name", ["chunks.jsonl", "sentences.jsonl", "chunks.faiss", "sentences.npy", "manifest.json"])
def test_missing_file(index_copy, embedder, name):
    (index_copy / name).unlink()
    with pytest.raises(IndexLoadError, match="make ingest"):
        load_index(index_copy, embedder.info)


@pytest.mark.parametrize("name", ["chunks.jsonl", "chunks.faiss", "sentences.npy"])
def test_truncated_file(index_copy, embedder, name):
    path = index_copy / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexLoadError, match=r"truncated.*make ingest"):
        load_index(index_copy, embedder.info)


def test_corrupt_file_same_size(index_copy, embedder):
    path = index_copy / "chunks.faiss"
    data = bytearray(path.read_bytes())
    data[100:120] = b"\x00" * 20
    path.write_bytes(bytes(data))
    with pytest.raises(IndexLoadError, match=r"corrupt.*make ingest"):
        load_index(index_copy, embedder.info)


def test_corrupt_manifest(index_copy, embedder):
    (index_copy / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexLoadError, match=r"manifest is corrupt.*make ingest"):
        load_index(index_copy, embedder.info)


def test_missing_index(tmp_path, embedder):
    with pytest.raises(IndexLoadError, match=r"no index found.*make ingest"):
        load_index(tmp_path / "nowhere", embedder.info)


def test_changed_source_makes_the_index_stale(tmp_path, embedder):
    guide = tmp_path / "guide.txt"
    guide.write_text(GUIDE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "build"
    build_index([guide], out, embedder)
    assert stale_reasons(out, [guide], embedder.name) == []
    guide.write_text(guide.read_text(encoding="utf-8") + "\nA new closing paragraph.\n", encoding="utf-8")
    assert any("changed since the build" in r for r in stale_reasons(out, [guide], embedder.name))
    (tmp_path / "extra.md").write_text("# Extra\n\nMore.\n", encoding="utf-8")
    assert any("added since the build" in r for r in stale_reasons(out, [tmp_path], embedder.name))
    assert any("embedder" in r for r in stale_reasons(out, [guide], "another/model"))


def test_rebuild_replaces_atomically_and_keeps_old_loadable_on_failure(tmp_path, embedder):
    out = tmp_path / "build"
    build_index([GUIDE], out, embedder)
    first = load_index(out, embedder.info)
    assert out.is_symlink()

    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\xff\xfe not utf-8 \xff")
    with pytest.raises(ValueError):
        build_index([GUIDE, bad], out, embedder)
    assert load_index(out, embedder.info).build_id == first.build_id  # untouched

    build_index([GUIDE], out, embedder)
    second = load_index(out, embedder.info)
    assert second.build_id != first.build_id
    # the previous build is kept for readers that are still loading it; older ones are pruned
    versions = [p for p in (tmp_path / "build.versions").iterdir() if p.is_dir()]
    assert len(versions) == 2


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _recall_at_10(index, flat, queries: np.ndarray) -> float:
    _, exact = flat.search(queries, 10)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(e.tolist()) & set(f.tolist())) / 10 for e, f in zip(exact, found)]))


def test_large_index_is_ivf_flat_and_finds_what_exact_search_finds(tmp_path):
    """Above ``approximate_above`` the dense side is IVF-Flat: loadable, vectors readable back, recall@10 ≥ 0.9.

    The vectors are clustered like embeddings of a few topics (uniformly random ones
    have no meaningful neighbours), with each topic spread over several IVF lists, so a
    query's top 10 lie in several lists and recall depends on how many are searched.
    """
    import faiss

    rng = np.random.default_rng(20261124)
    n, dim, topics = 1500, 384, 12
    centres = _unit(rng.standard_normal((topics, dim)))
    vectors = _unit(centres[rng.integers(0, topics, n)] + 0.05 * rng.standard_normal((n, dim)))
    chunks = [Chunk(f"synthetic:{i:04d}", "synthetic", "t", "T", "T", f"chunk {i}", 0, 7) for i in range(n)]
    sentences = [
        Sentence(f"{c.id}:s1", c.id, "synthetic", "t", "T", "T", c.text, 0, 7, "sentence", "", 0, 0, "paragraph") for c in chunks[:20]
    ]
    out = tmp_path / "build"
    write_index(out, chunks, sentences, vectors, vectors[:20], EmbedderInfo("synthetic", dim, 256), [], approximate_above=10)

    manifest = read_manifest(out.resolve())
    assert manifest["dense_index"] == {"type": "ivf-flat", "metric": "inner_product", "nlist": ivf_lists(n), "nprobe": IVF_NPROBE}
    index = load_index(out)
    assert isinstance(index.dense, faiss.IndexIVFFlat) and index.dense.ntotal == n
    assert index.dense.nlist == ivf_lists(n) and index.dense.nprobe == IVF_NPROBE
    rows = rng.choice(n, 50, replace=False)
    np.testing.assert_array_equal(index.dense.reconstruct_batch(rows.astype(np.int64)), vectors[rows])

    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    queries = _unit(vectors[rng.choice(n, 300, replace=False)] + 0.01 * rng.standard_normal((300, dim)))
    assert _recall_at_10(index.dense, flat, queries) >= 0.9
    index.dense.nprobe = 1  # the data is hard enough that searching too few lists would show
    assert _recall_at_10(index.dense, flat, queries) < 0.9

    manifest["dense_index"]["nprobe"] = 4  # loading applies the manifest's setting (FAISS also stores one)
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert load_index(out).dense.nprobe == 4


def test_guide_built_as_ivf_flat_serves_the_retriever(tmp_path, embedder, built_index_dir):
    """The real guide with ``approximate_above`` below its size: the retriever, including
    the per-treatment path that reads stored vectors back, ranks as with the flat index."""
    from index.retriever import Retriever

    out = tmp_path / "build"
    build_index([GUIDE], out, embedder, load_settings().index.chunk_target_tokens, approximate_above=10)  # as the fixture, but IVF
    assert read_manifest(out.resolve())["dense_index"]["type"] == "ivf-flat"
    ivf = Retriever(load_index(out, embedder.info), embedder)
    flat = Retriever(load_index(built_index_dir, embedder.info), embedder)
    assert flat.index.manifest["dense_index"]["type"] == "flat"
    for query, within in [("is a hot water bottle or an ice pack better", None), ("how long should I keep it on", "heat-cold")]:
        got = ivf.search(query, 5, mode="dense", within=within)
        want = flat.search(query, 5, mode="dense", within=within)
        assert [h.chunk.id for h in got.hits] == [h.chunk.id for h in want.hits]


def test_older_hnsw_index_still_loads(tmp_path, embedder, built_index_dir):
    """An index built before IVF-Flat replaced HNSW keeps loading, with its efSearch."""
    import faiss

    out = tmp_path / "build"
    shutil.copytree(built_index_dir.resolve(), out)
    flat = faiss.read_index(str(out / "chunks.faiss"))
    hnsw = faiss.IndexHNSWFlat(flat.d, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(flat.reconstruct_n(0, flat.ntotal))
    faiss.write_index(hnsw, str(out / "chunks.faiss"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["dense_index"] = {"type": "hnsw", "metric": "inner_product", "m": 32, "ef_search": 48}
    manifest["files"]["chunks.faiss"] = {"sha256": sha256_of(out / "chunks.faiss"), "bytes": (out / "chunks.faiss").stat().st_size}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    index = load_index(out, embedder.info)
    assert isinstance(index.dense, faiss.IndexHNSWFlat) and index.dense.hnsw.efSearch == 48
    assert index.dense.reconstruct_batch(np.arange(3, dtype=np.int64)).shape == (3, flat.d)


def _run_ingest(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_bad_source_prints_one_line_and_leaves_index(tmp_path, built_index_dir):
    out = tmp_path / "build"
    shutil.copytree(built_index_dir.resolve(), tmp_path / "v1")
    (out).symlink_to(tmp_path / "v1")
    before = json.loads((out / "manifest.json").read_text())["build_id"]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = _run_ingest(str(empty), "--out", str(out))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "empty.txt: file is empty" in lines[0]
    assert json.loads((out / "manifest.json").read_text())["build_id"] == before


@pytest.mark.slow
def test_cli_builds_from_a_folder_of_mixed_sources(tmp_path):
    sources = tmp_path / "pages"
    sources.mkdir()
    shutil.copy(GUIDE, sources / GUIDE.name)
    (sources / "cupping.md").write_text("# Cupping Therapy\n\nCups create suction on the skin.\n", encoding="utf-8")
    (sources / "home-physio.html").write_text("<h1>Physiotherapy at Home</h1><p>A therapist visits you.</p>", encoding="utf-8")
    out = tmp_path / "build"
    result = _run_ingest(str(sources), "--out", str(out))
    assert result.returncode == 0, result.stderr
    chunks = [json.loads(line) for line in (out / "chunks.jsonl").read_text().splitlines()]
    assert {c["source"] for c in chunks} == {GUIDE.name, "cupping.md", "home-physio.html"}
    assert {"cupping-therapy", "physiotherapy-at-home", "heat-cold"} <= {c["treatment"] for c in chunks}
    again = _run_ingest(str(sources), "--out", str(out), "--if-stale")
    assert "up to date" in again.stdout
