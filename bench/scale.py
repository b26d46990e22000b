"""Scale: ingest and query synthetic corpora of 1×, 10×, 100×, 1000× the guide.

For each size: write the corpus (``bench.corpus``), build the index with
``ingest.build.build_index`` (timed), measure the index on disk, then load it in
a fresh subprocess (so its memory is its own) and time queries from the
evaluation set: ``Retriever.search`` whole and per stage, the index-dependent part
alone (dense + BM25 + fusion, the query vector given), and ``answer()`` when the
assistant imports. Above ``[retrieval] approximate_above`` chunks the dense side
is IVF-Flat; there (and from ``RECALL_MIN_CHUNKS`` up, with one built for the test)
the worker also builds an exact flat index over the same vectors and reports
IVF-Flat's recall@10 and @50 against it at the configured nprobe and a sweep, the
HNSW index it replaced for comparison, and the flat search time.

Embedding every text of 1000× takes about an hour on two cores, so by default
sizes above 10× embed each distinct text once (see ``bench.corpus``) and the
table shows the measured ingest time next to a projection for embedding
everything; ``--embed real`` does the full work.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    directory_bytes,
    fmt,
    load_questions,
    machine_info,
    markdown_table,
    note,
    summarize,
    write_results,
)
from contracts import Chunk
from devtools.servers import proc_memory_mib
from settings import PROJECT_ROOT, load_settings

DEFAULT_SIZES = (1, 10, 100, 1000)
MAX_SIZE = 2000
REAL_EMBED_UP_TO = 10  # --embed auto: sizes up to this embed every text for real
CALIBRATION_SAMPLE = 96
WORKER_TIMEOUT = 1800.0
RECALL_DEPTHS = (10, 50)
EF_SEARCH_SWEEP = (64, 128, 256)  # HNSW, the dense index before IVF-Flat, as a comparison
HNSW_M = 32
NPROBE_SWEEP = (4, 8, 16, 32)
RECALL_MIN_CHUNKS = 5000  # below this nobody needs an approximate index; above, show what one would give
SLOWEST = 8  # the slowest answers are listed with their stages, to show which path stops scaling


# -- the parent: build each size, ask a worker to measure it --------------------------------------


def run(sizes: list[int], embed: str, queries: int | None, keep: bool, workdir: Path | None) -> dict[str, Any]:
    from bench.corpus import ReusingEmbedder, write_corpus
    from embedding.embedder import load_configured_embedder
    from ingest.build import build_index

    settings = load_settings()
    guide = PROJECT_ROOT / "data" / "guide" / "back-spasm-treatments.txt"
    base = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=workdir))
    note(f"scale: working in {base} (removed at the end{' unless --keep' if not keep else '; kept'})")
    embedder = load_configured_embedder(settings)
    calibration: dict[str, Any] | None = None
    rates: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            real = embed == "real" or (embed == "auto" and size <= REAL_EMBED_UP_TO)
            wrapper = ReusingEmbedder(embedder, reuse=not real)
            if not real:
                if calibration is None:
                    calibration = _calibrate(embedder, guide, base)
                wrapper.sigma = float(calibration["noise_sigma"])
            corpus = base / f"corpus-{size}x"
            note(f"scale {size}×: writing {size} page(s)")
            paths = write_corpus(guide, size, corpus)
            out = base / f"index-{size}x" / "build"
            note(f"scale {size}×: ingesting ({'every text embedded' if real else 'distinct texts embedded once'})")
            started = time.perf_counter()
            report = build_index(paths, out, wrapper, settings.index.chunk_target_tokens, settings.retrieval.approximate_above)  # type: ignore[arg-type]
            ingest_s = time.perf_counter() - started
            if real and len(wrapper.calls) >= 2 and wrapper.calls[0]["seconds"] > 0 and wrapper.calls[1]["seconds"] > 0:
                rates = {
                    "chunks_per_s": wrapper.calls[0]["embedded"] / wrapper.calls[0]["seconds"],
                    "sentences_per_s": wrapper.calls[1]["embedded"] / wrapper.calls[1]["seconds"],
                }
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            row: dict[str, Any] = {
                "size": size,
                "pages": len(paths),
                "corpus_chars": sum(p.stat().st_size for p in paths),
                "chunks": report.chunks,
                "sentences": report.sentences,
                "dense_index": manifest["dense_index"]["type"],
                "embedding": "real" if real else "reused",  # real: every distinct text embedded (exact repeats, e.g. table rows, once)
                "texts_embedded": wrapper.real_texts,
                "texts_reused": wrapper.reused_texts,
                "ingest_s": round(ingest_s, 2),
                "embed_s": round(wrapper.embed_seconds, 2),
                "index_bytes": directory_bytes(out.resolve()),
            }
            if rates and not real:
                projected = report.chunks / rates["chunks_per_s"] + report.sentences / rates["sentences_per_s"]
                row["ingest_s_projected_all_embedded"] = round(ingest_s - wrapper.embed_seconds + projected, 1)
            note(f"scale {size}×: built {report.chunks:,} chunks in {ingest_s:.1f} s; measuring queries in a fresh process")
            row.update(_measure(out, queries))
            rows.append(row)
            if not keep:
                shutil.rmtree(corpus, ignore_errors=True)
                shutil.rmtree(out.parent, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    return {"rows": rows, "calibration": calibration, "embedding_rates": {k: round(v, 1) for k, v in rates.items()}}


def _calibrate(embedder: Any, guide: Path, base: Path) -> dict[str, Any]:
    """Measure how far a really embedded variant text sits from its original (see ``bench.corpus``)."""
    from bench.corpus import ReusingEmbedder, write_corpus
    from ingest.build import chunk_documents, read_all, sentence_embedding_texts

    paths = write_corpus(guide, 2, base / "calibration")
    chunks, sentences = chunk_documents(read_all(paths[1:]), embedder, load_settings().index.chunk_target_tokens)
    texts = [c.embedding_text for c in chunks] + sentence_embedding_texts(sentences)
    step = max(1, len(texts) // CALIBRATION_SAMPLE)
    sample = texts[::step][:CALIBRATION_SAMPLE]
    wrapper = ReusingEmbedder(embedder)
    calibration = wrapper.calibrate(sample)
    note(f"scale: variant vectors calibrated on {len(sample)} real embeddings: {calibration}")
    shutil.rmtree(base / "calibration", ignore_errors=True)
    return calibration


def _measure(index_dir: Path, queries: int | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.scale", "--worker", str(index_dir)]
    if queries:
        cmd += ["--queries", str(queries)]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"scale worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the worker: one index, a fresh process ---------------------------------------------------------


def worker(index_dir: Path, queries: int | None) -> dict[str, Any]:
    import numpy as np

    from embedding.embedder import load_query_embedder
    from index.retriever import Retriever
    from index.store import load_index
    from index.vocabulary import LayVocabulary

    settings = load_settings().with_overrides(index={"dir": str(index_dir)}, feedback={"enabled": False})
    embedder = load_query_embedder(settings)  # what the server loads: memory figures are the server's
    embedder.encode_query("warm up")
    before = proc_memory_mib()
    t = time.perf_counter()
    index = load_index(index_dir, embedder.info)
    retrieval = settings.retrieval
    retriever = Retriever(index, embedder, LayVocabulary.load(), retrieval.rrf_k, retrieval.hint_weight, retrieval.expansion_weight)
    load_s = time.perf_counter() - t
    after_load = proc_memory_mib()
    questions, _ = load_questions()
    if queries:
        questions = questions[:queries]
    texts = [q.text for q in questions]
    for text in texts[:5]:
        retriever.search(text, 10)

    search_ms, index_ms, vectors = [], [], []
    stages: dict[str, list[float]] = {}
    for text in texts:
        t = time.perf_counter()
        result = retriever.search(text, 10)
        search_ms.append((time.perf_counter() - t) * 1000)
        for stage, ms in result.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        vectors.append(result.query_vector)
        t = time.perf_counter()
        retriever.search(text, 10, query_vector=result.query_vector)
        index_ms.append((time.perf_counter() - t) * 1000)

    out: dict[str, Any] = {
        "load_s": round(load_s, 2),
        "rss_before_index_mib": before["rss_mib"],
        "rss_after_load_mib": after_load["rss_mib"],
        "queries": len(texts),
        "search_ms": summarize(search_ms),
        "search_without_embedding_ms": summarize(index_ms),
        "search_stages_ms": {stage: summarize(v) for stage, v in stages.items()},
    }
    out.update(_answer_timings(settings, retriever, questions))
    ivf_is_loaded = index.manifest.get("dense_index", {}).get("type") == "ivf-flat"
    if ivf_is_loaded or len(index.chunks) >= RECALL_MIN_CHUNKS:
        out["recall"] = _recall(index.dense, ivf_is_loaded, np.vstack(vectors), index.chunks)
    out.update({f"final_{k}": v for k, v in proc_memory_mib().items()})
    return out


def _answer_timings(settings: Any, retriever: Any, questions: list[Any]) -> dict[str, Any]:
    """``answer()`` over the same questions, whole and per stage and per reply kind (when the assistant imports)."""
    try:
        from answering.pipeline import Assistant
    except ImportError as exc:
        return {"answer_ms": None, "answer_unavailable": f"answering.pipeline does not import: {exc}"}
    assistant = Assistant.from_settings(settings, retriever)
    for q in questions[:5]:
        assistant.answer(q.text, q.history)
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    kinds: dict[str, list[float]] = {}
    categories: dict[str, list[float]] = {}
    slowest: list[tuple[float, dict[str, Any]]] = []
    for q in questions:
        t = time.perf_counter()
        answer = assistant.answer(q.text, q.history)
        ms = (time.perf_counter() - t) * 1000
        totals.append(ms)
        kinds.setdefault(answer.kind, []).append(ms)
        categories.setdefault(q.category or "?", []).append(ms)
        for stage, value in answer.timings_ms.items():
            stages.setdefault(stage, []).append(value)
        detail = {"id": q.id, "category": q.category, "kind": answer.kind, "follow_up": bool(q.history),
                  "timings_ms": {k: round(v, 2) for k, v in answer.timings_ms.items()}}
        slowest = sorted([*slowest, (ms, detail)], key=lambda p: -p[0])[:SLOWEST]
    return {
        "answer_ms": summarize(totals),
        "answer_stages_ms": {stage: summarize(v) for stage, v in stages.items()},
        "answer_by_kind_ms": {kind: summarize(v) for kind, v in sorted(kinds.items())},
        "answer_by_category_ms": {c: summarize(v) for c, v in sorted(categories.items())},
        "slowest_answers": [{"ms": round(ms, 1), **d} for ms, d in slowest],
    }


def _recall(dense: Any, ivf_is_loaded: bool, queries: Any, chunks: list[Chunk]) -> dict[str, Any]:
    """Approximate indexes against exact search over the very same vectors.

    IVF-Flat as the index store builds it (the loaded one above ``approximate_above``,
    otherwise built here with ``build_dense_index``) at its configured nprobe and the
    ``NPROBE_SWEEP`` values, and, for comparison, the HNSW index it replaced (M 32,
    efConstruction 80, built here) at several efSearch values. Three views, because a
    synthetic corpus is full of near-duplicates (a chunk and its variants differ only by
    noise): recall by chunk id (strict), recall by content (a hit counts when it is the
    same passage of the guide as an exact hit, on whichever page), and the ratio of
    summed similarities (1.0 = as close as exact).
    """
    import faiss
    import numpy as np

    from index.store import HNSW_EF_SEARCH, build_dense_index

    vectors = dense.reconstruct_n(0, dense.ntotal)
    dim = vectors.shape[1]
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    content = np.array([c.id.split(":", 1)[-1] for c in chunks])  # "heat-cold:003" on every page
    exact = {depth: flat.search(queries, depth) for depth in RECALL_DEPTHS}
    t = time.perf_counter()
    if ivf_is_loaded:
        ivf = dense
    else:  # as ingest would build it above the threshold, with the nprobe loading would set
        ivf, _ = build_dense_index(vectors, approximate_above=0)
    ivf_build_s = 0.0 if ivf_is_loaded else time.perf_counter() - t
    configured = int(ivf.nprobe)
    rows = []
    for nprobe in sorted({configured, *NPROBE_SWEEP}):
        ivf.nprobe = nprobe
        rows.append({"index": f"ivf-flat ({ivf.nlist} lists)", "built_for_test": not ivf_is_loaded,
                     "parameter": f"nprobe {nprobe}" + (" (configured)" if nprobe == configured else ""),
                     **_compare(ivf, queries, exact, content)})
    ivf.nprobe = configured
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)  # the dense index before IVF-Flat
    hnsw.hnsw.efConstruction = 80
    hnsw.add(vectors)
    hnsw_build_s = time.perf_counter() - t
    for ef in EF_SEARCH_SWEEP:
        hnsw.hnsw.efSearch = ef
        rows.append({"index": "hnsw (former)", "built_for_test": True,
                     "parameter": f"efSearch {ef}" + (" (was configured)" if ef == HNSW_EF_SEARCH else ""),
                     **_compare(hnsw, queries, exact, content)})
    return {
        "queries": len(queries),
        "ivf_loaded_from_index": ivf_is_loaded,
        "ivf_lists": int(ivf.nlist),
        "ivf_nprobe": configured,
        "ivf_build_s": round(ivf_build_s, 2),
        "hnsw_build_s": round(hnsw_build_s, 2),
        "approximate": rows,
        "flat_search_top50_ms": summarize(_time_searches(flat, queries)),
    }


def _compare(index: Any, queries: Any, exact: dict[int, tuple[Any, Any]], content: Any) -> dict[str, Any]:
    import numpy as np

    row: dict[str, Any] = {}
    for depth in RECALL_DEPTHS:
        exact_scores, exact_ids = exact[depth]
        approx_scores, approx_ids = index.search(queries, depth)
        by_id, by_content, ratio = [], [], []
        for q in range(len(queries)):
            found = approx_ids[q][approx_ids[q] >= 0]
            by_id.append(len(set(exact_ids[q].tolist()) & set(found.tolist())) / depth)
            wanted = set(content[exact_ids[q]].tolist())
            by_content.append(len(wanted & set(content[found].tolist())) / len(wanted))
            ratio.append(float(approx_scores[q][: len(found)].sum() / exact_scores[q].sum()))
        row[f"recall_at_{depth}"] = round(float(np.mean(by_id)), 4)
        row[f"content_recall_at_{depth}"] = round(float(np.mean(by_content)), 4)
        row[f"similarity_ratio_at_{depth}"] = round(float(np.mean(ratio)), 5)
    row["search_top50_ms"] = summarize(_time_searches(index, queries))
    return row


def _time_searches(index: Any, queries: Any) -> list[float]:
    timings = []
    for row in range(len(queries)):
        t = time.perf_counter()
        index.search(queries[row : row + 1], 50)
        timings.append((time.perf_counter() - t) * 1000)
    return timings


# -- the report ----------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> str:
    rows = result["rows"]
    table = markdown_table(
        ["size", "chunks", "dense", "embedding", "ingest s", "ingest s if all embedded", "index MiB", "RSS MiB",
         "search p50 / p95 ms", "without embedding p50 / p95 ms", "answer() p50 / p95 ms"],
        [
            [
                f"{r['size']}×",
                r["chunks"],
                r["dense_index"],
                r["embedding"] + ("" if r["embedding"] == "real" else f" ({r['texts_embedded']:,} embedded, {r['texts_reused']:,} reused)"),
                r["ingest_s"],
                r.get("ingest_s_projected_all_embedded", r["ingest_s"] if r["embedding"] == "real" else None),
                r["index_bytes"] / 2**20,
                r["final_peak_rss_mib"],
                f"{fmt(r['search_ms']['p50'])} / {fmt(r['search_ms']['p95'])}",
                f"{fmt(r['search_without_embedding_ms']['p50'], 2)} / {fmt(r['search_without_embedding_ms']['p95'], 2)}",
                f"{fmt(r['answer_ms']['p50'])} / {fmt(r['answer_ms']['p95'])}" if r.get("answer_ms") else "–",
            ]
            for r in rows
        ],
    )
    parts = [table]
    stage_rows = []
    for r in rows:
        stages = r.get("answer_stages_ms") or r["search_stages_ms"]
        stage_rows.append([f"{r['size']}×", *(fmt(stages.get(s, {}).get("p50"), 2) for s in ("triage", "expand", "embed", "dense", "bm25", "fuse", "compose"))])
    parts.append("Per-stage p50 (ms), " + ("in `answer()`" if rows and rows[0].get("answer_stages_ms") else "in `Retriever.search`") + ":\n\n"
                 + markdown_table(["size", "triage", "expand", "embed", "dense", "bm25", "fuse", "compose"], stage_rows))
    recall_rows = [
        [f"{r['size']}×", r["chunks"], e["index"] + (" (built for this test)" if e["built_for_test"] else ""),
         e["parameter"], fmt(e["recall_at_10"], 3), fmt(e["content_recall_at_10"], 3), fmt(e["recall_at_50"], 3), fmt(e["content_recall_at_50"], 3),
         fmt(e["similarity_ratio_at_10"], 4), fmt(e["search_top50_ms"]["p50"], 2)]
        for r in rows if r.get("recall") for e in r["recall"]["approximate"]
    ]
    recall_rows += [
        [f"{r['size']}×", r["chunks"], "flat (exact)", "–", "1", "1", "1", "1", "1", fmt(r["recall"]["flat_search_top50_ms"]["p50"], 2)]
        for r in rows if r.get("recall")
    ]
    if recall_rows:
        parts.append(
            "Approximate dense search against exact flat search over the same vectors (questions of the evaluation set): "
            f"IVF-Flat, the dense index above {load_settings().retrieval.approximate_above:,} chunks, and for comparison the "
            f"HNSW index (M {HNSW_M}, efSearch 64) it replaced. By id is strict; by content counts the same passage on another "
            "page (the synthetic pages are near-duplicates of one another, the hardest case for a graph index); the similarity "
            "ratio compares the summed cosine of the top 10 with the exact top 10:\n\n"
            + markdown_table(
                ["size", "chunks", "index", "setting", "recall@10 by id", "by content", "recall@50 by id", "by content",
                 "similarity ratio@10", "top-50 p50 ms"],
                recall_rows,
            )
        )
    slow = [[f"{r['size']}×", *_slow_row(s)] for r in rows for s in (r.get("slowest_answers") or [])[:3]]
    if slow:
        parts.append("Slowest `answer()` calls per size (what stops scaling):\n\n"
                     + markdown_table(["size", "question", "category", "reply", "ms", "slowest stages (ms)"], slow))
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        ratio = last["search_ms"]["p50"] / first["search_ms"]["p50"]
        line = f"Query p50 at {last['size']}× is {ratio:.2f}× that at {first['size']}× (`Retriever.search`, target ≤ 2×)"
        if first.get("answer_ms") and last.get("answer_ms"):
            line += f"; `answer()` {last['answer_ms']['p50'] / first['answer_ms']['p50']:.2f}× at p50 and {last['answer_ms']['p95'] / first['answer_ms']['p95']:.2f}× at p95"
        parts.append(line + ".")
    if result.get("calibration"):
        c = result["calibration"]
        parts.append(
            f"Sizes marked *reused* embed each distinct text once: a variant page's texts are the guide's plus a \"(variant N)\" tag, "
            f"so their vectors are the original's moved by seeded noise (σ = {c['noise_sigma']}) calibrated on {c['sample']} really "
            f"embedded variant texts (mean cosine to the original {c['mean_cosine_variant_to_original']}). Ingest time then covers "
            "reading, structure, chunking, token counting, the distinct embeddings, writing and the FAISS build; the next column "
            f"projects the full embedding from the rates measured on the real builds ({result.get('embedding_rates') or 'none in this run'})."
        )
    if rows and not rows[0].get("answer_ms"):
        parts.append(f"`answer()` not measured: {rows[0].get('answer_unavailable')}")
    return "\n\n".join(parts)


def _slow_row(s: dict[str, Any]) -> list[Any]:
    stages = sorted(((k, v) for k, v in s["timings_ms"].items() if k != "total"), key=lambda kv: -kv[1])[:3]
    category = s["category"] + (" (follow-up)" if s["follow_up"] else "")
    return [s["id"], category, s["kind"], fmt(s["ms"]), ", ".join(f"{k} {v:.1f}" for k, v in stages)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.queries)))
        return 0
    return execute(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="multiples of the guide, comma-separated (default 1,10,100,1000)")
    parser.add_argument("--embed", choices=("auto", "real", "reuse"), default="auto",
                        help=f"auto: embed everything up to {REAL_EMBED_UP_TO}×, distinct texts once above; real: everything (1000× takes about an hour)")
    parser.add_argument("--queries", type=int, default=None, help="use only the first N questions of the evaluation set")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and indexes (in a temporary folder)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary folder goes (default: the system's)")


def execute(args: argparse.Namespace) -> int:
    sizes = sorted({int(s) for s in str(args.sizes).split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or sizes[-1] > MAX_SIZE:
        raise SystemExit(f"--sizes must be between 1 and {MAX_SIZE}")
    machine = machine_info()
    result = run(sizes, args.embed, args.queries, args.keep, args.workdir)
    write_results("scale" if args.embed == "auto" else f"scale-{args.embed}", result, report(result), machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
