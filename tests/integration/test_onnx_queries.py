"""Questions embed through ONNX Runtime, to the same vectors as the torch model, or torch serves."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from embedding.onnx_queries import PROBES, FastTokenizer, OnnxExportError, cache_file, load_or_export, open_cached, sidecar
from settings import PROJECT_ROOT, resolve_model_path

EVAL_QUESTIONS = [json.loads(line)["question"] for line in (PROJECT_ROOT / "eval" / "questions.jsonl").open()]


def test_the_configured_embedder_embeds_questions_with_onnx(embedder):
    """A silent fall back to torch would pass every other test and lose the speed: fail here instead."""
    assert embedder.query_runtime == "onnx"


def test_onnx_vectors_match_sentence_transformers_on_every_evaluation_question(embedder):
    onnx = np.vstack([embedder.encode_query(q) for q in EVAL_QUESTIONS])
    torch = embedder.encode(EVAL_QUESTIONS)
    cosines = np.sum(onnx * torch, axis=1)
    assert cosines.min() > 0.9999
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_batched_and_concurrent_onnx_calls_give_each_question_its_own_vector(embedder):
    alone = {q: embedder.encode([q])[0] for q in EVAL_QUESTIONS[:24]}
    with ThreadPoolExecutor(8) as pool:
        got = dict(zip(alone, pool.map(embedder.encode_query, alone), strict=True))
    for q, vector in got.items():
        assert np.allclose(vector[0], alone[q], atol=1e-4), q


@pytest.fixture(scope="module")
def model_path(embedder) -> str:
    return resolve_model_path(embedder.name)


def test_the_fast_tokenizer_gives_the_ids_sentence_transformers_gives(embedder, model_path):
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tokenize = FastTokenizer(model_path, embedder.max_seq_length, names)
    texts = EVAL_QUESTIONS + list(PROBES)
    for start in range(0, len(texts), 8):  # batches, so that padding is compared too
        ours, theirs = tokenize(texts[start : start + 8]), embedder._model.preprocess(texts[start : start + 8])
        for name in names:
            assert np.array_equal(ours[name], theirs[name].numpy()), (name, texts[start : start + 8])
    assert tokenize([PROBES[-1]])["input_ids"].shape == (1, embedder.max_seq_length)


@pytest.mark.parametrize("damage", ["graph", "record"])
def test_a_damaged_cached_export_is_made_again(embedder, model_path, tmp_path, damage):
    load_or_export(embedder._model, embedder.name, model_path, tmp_path, embedder.encode)
    graph = cache_file(model_path, tmp_path)
    (graph if damage == "graph" else sidecar(graph)).write_bytes(b"not what it should be")
    with pytest.raises(OnnxExportError, match="damaged|not a usable ONNX model"):
        open_cached.__wrapped__(embedder.name, model_path, tmp_path)
    queries = load_or_export(embedder._model, embedder.name, model_path, tmp_path, embedder.encode)
    assert graph.stat().st_size > 1_000_000
    assert np.allclose(queries.encode_query("ice or heat?")[0], embedder.encode(["ice or heat?"])[0], atol=1e-5)


def test_an_export_that_disagrees_with_the_model_is_refused(embedder, model_path, tmp_path):
    def another_model(texts):
        return -embedder.encode(list(texts))

    with pytest.raises(OnnxExportError, match="disagrees with the torch model"):
        load_or_export(embedder._model, embedder.name, model_path, tmp_path, another_model)


def test_without_an_export_the_server_loads_the_full_model(tmp_path):
    with pytest.raises(OnnxExportError, match="no ONNX export of the model"):
        open_cached("bundled:all-MiniLM-L6-v2", resolve_model_path("bundled:all-MiniLM-L6-v2"), tmp_path)


def test_the_server_embeds_questions_without_importing_torch(embedder):
    """With the export cached (the session's embedder made it), serving needs neither torch nor sentence-transformers."""
    question = "how long should I leave a bag of frozen peas on my back?"
    script = (
        "import json, sys\n"
        "from settings import load_settings\n"
        "from embedding.embedder import load_query_embedder\n"
        "e = load_query_embedder(load_settings())\n"
        f"v = e.encode_query({question!r})\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
        "print(json.dumps({'type': type(e).__name__, 'heavy': heavy, 'vector': v[0].tolist()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["type"] == "OnnxQueryEmbedder" and got["heavy"] == []
    assert np.allclose(np.asarray(got["vector"]), embedder.encode([question])[0], atol=1e-5)


def test_without_a_writable_cache_questions_embed_with_torch(embedder, caplog):
    not_a_folder = Path("/dev/null/models")
    with caplog.at_level(logging.WARNING, logger="embedding.embedder"):
        runtime = embedder._choose_query_runtime("onnx", embedder.name, "cpu", not_a_folder)
    assert runtime == "torch"
    assert "torch instead of ONNX Runtime" in caplog.text and "/dev/null/models" in caplog.text


def test_an_unknown_query_runtime_is_refused(embedder):
    with pytest.raises(ValueError, match="query_runtime must be one of onnx, torch"):
        embedder._choose_query_runtime("tensorrt", embedder.name, "cpu", None)


def test_the_config_names_a_wrong_query_runtime_in_one_line():
    from settings import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"\[embedder\] query_runtime must be onnx or torch, got 'gpu'"):
        load_settings(env={"BACKSPASM_EMBEDDER_QUERY_RUNTIME": "gpu"})
    assert load_settings(env={"BACKSPASM_EMBEDDER_QUERY_RUNTIME": "torch"}).embedder.query_runtime == "torch"
