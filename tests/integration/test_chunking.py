"""Chunk bounds, spans and sentences, with the real tokenizer, for every chunk of the built index."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.build import chunk_documents, read_all
from ingest.chunking import sentence_spans
from tests.conftest import GUIDE

PLACEHOLDER = re.compile(r"thumbnail \d|Infographic showing|The following (infographic|video)|Leave a Comment", re.I)


def _records(index_dir: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (index_dir / name).read_text(encoding="utf-8").splitlines()]


def test_every_chunk_is_a_verbatim_span_of_its_source(built_index_dir):
    source = GUIDE.read_text(encoding="utf-8")
    chunks = _records(built_index_dir, "chunks.jsonl")
    assert chunks
    for chunk in chunks:
        assert set(chunk) >= {"id", "source", "treatment", "title", "section", "text", "start", "end"}
        assert source[chunk["start"] : chunk["end"]] == chunk["text"]


def test_every_chunk_fits_the_embedder_with_its_prefix(built_index_dir, embedder):
    for chunk in _records(built_index_dir, "chunks.jsonl"):
        assert embedder.count_tokens(f"{chunk['prefix']}\n{chunk['text']}") <= embedder.max_seq_length


def test_chunks_never_cross_a_treatment_or_hold_a_placeholder(built_index_dir):
    source = GUIDE.read_text(encoding="utf-8")
    chunks = _records(built_index_dir, "chunks.jsonl")
    # The treatment headings split the source; a chunk must lie inside one treatment's stretch.
    boundaries = [m.start() for m in re.finditer(r"^\d\. [A-Z]", source, re.M)] + [source.index("7 Best Back Spasm")]
    for chunk in chunks:
        assert not PLACEHOLDER.search(chunk["text"])
        inside = [b for b in boundaries if chunk["start"] < b < chunk["end"]]
        assert not inside, f"{chunk['id']} crosses a treatment heading"
    ids = [c["id"] for c in chunks]
    assert len(ids) == len(set(ids))


def test_a_long_treatment_becomes_several_chunks_each_titled(built_index_dir):
    chunks = _records(built_index_dir, "chunks.jsonl")
    for treatment in ("rest", "heat-cold", "nsaids", "muscle-relaxants", "physical-therapy", "massage", "chiropractic"):
        own = [c for c in chunks if c["treatment"] == treatment]
        assert len(own) >= 3  # sections, plus its comparison-table row
        assert all(c["prefix"].startswith(own[0]["title"]) or "Comparison" in c["prefix"] for c in own)


def test_small_limit_splits_oversized_blocks_within_the_limit(embedder):
    docs = read_all([GUIDE])
    limit = 64
    counted = embedder.count_tokens
    from ingest.chunking import build_chunks
    from ingest.structure import parse_structure

    chunks, sentences = build_chunks(docs[0].name, docs[0].text, parse_structure(docs[0]), counted, limit)
    assert all(counted(f"{c.prefix}\n{c.text}") <= limit for c in chunks)
    assert all(docs[0].text[c.start : c.end] == c.text for c in chunks)
    assert all(docs[0].text[s.start : s.end] == s.text for s in sentences)


def test_sentences_are_verbatim_and_keep_their_chunk_metadata(built_index_dir):
    source = GUIDE.read_text(encoding="utf-8")
    chunks = {c["id"]: c for c in _records(built_index_dir, "chunks.jsonl")}
    sentences = _records(built_index_dir, "sentences.jsonl")
    assert len(sentences) > len(chunks)
    for s in sentences:
        chunk = chunks[s["chunk_id"]]
        assert source[s["start"] : s["end"]] == s["text"]
        assert chunk["start"] <= s["start"] < s["end"] <= chunk["end"]
        assert (s["treatment"], s["section"]) == (chunk["treatment"], chunk["section"])
        assert not s["text"].startswith("•")
    cells = [s for s in sentences if s["kind"] == "cell"]
    assert len(cells) == 35 and all(s["label"] for s in cells)


def test_sentence_splitting_keeps_doses_and_quotes_whole():
    text = 'Take it at 400-600mg every 6-8 hours. This "pumping" action helps. Then rest!'
    spans = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    assert spans == ["Take it at 400-600mg every 6-8 hours.", 'This "pumping" action helps.', "Then rest!"]


def test_chunking_is_deterministic(embedder):
    docs = read_all([GUIDE])
    first, _ = chunk_documents(docs, embedder)
    second, _ = chunk_documents(docs, embedder)
    assert [c.to_record() for c in first] == [c.to_record() for c in second]
