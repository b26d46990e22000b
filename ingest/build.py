"""Build the index from source files: read → structure → chunks → embeddings → atomic write."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from contracts import Chunk, Sentence
from embedding.embedder import Embedder
from index.store import (
    IndexLoadError,
    SourceRecord,
    changed_rule_files,
    changed_sources,
    display_path,
    read_manifest,
    sha256_of,
    write_index,
)
from index.text import bullet_label
from ingest.chunking import build_chunks
from ingest.sources import SourceDocument, discover, read_source
from ingest.structure import StructureRules, parse_structure
from rules.files import STRUCTURE
from rules.locale import shared_data_file
from settings import PROJECT_ROOT

PROGRESS_ABOVE = 500  # texts; smaller builds finish before a bar would help


@dataclass(frozen=True)
class BuildReport:
    directory: Path
    sources: int
    chunks: int
    sentences: int
    treatments: tuple[str, ...]
    seconds: float

    def summary(self) -> str:
        return (
            f"indexed {self.sources} source(s): {self.chunks} chunks, {self.sentences} sentences, "
            f"{len(self.treatments)} topics ({', '.join(self.treatments)}) in {self.seconds:.1f} s → {self.directory}"
        )


def read_all(paths: list[Path]) -> list[SourceDocument]:
    """Read every source first, so one bad file stops the build before anything is written."""
    return [read_source(p) for p in discover(paths)]


def chunk_documents(
    docs: list[SourceDocument], embedder: Embedder, target_tokens: int | None = None
) -> tuple[list[Chunk], list[Sentence]]:
    rules = StructureRules.load()
    limit = embedder.max_seq_length
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    seen_names: set[str] = set()
    for doc in docs:
        if doc.name in seen_names:
            raise ValueError(f"{doc.path}: two sources are named {doc.name}; rename one")
        seen_names.add(doc.name)
        c, s = build_chunks(doc.name, doc.text, parse_structure(doc, rules), embedder.count_tokens, limit, target_tokens)
        chunks.extend(c)
        sentences.extend(s)
    return chunks, sentences


def build_index(
    paths: list[Path],
    out_dir: Path,
    embedder: Embedder,
    target_tokens: int | None = None,
    approximate_above: int = 20000,
) -> BuildReport:
    started = time.perf_counter()
    docs = read_all(paths)
    chunks, sentences = chunk_documents(docs, embedder, target_tokens)
    if not chunks:
        raise ValueError(f"{', '.join(str(d.path) for d in docs)}: no text to index")
    progress = len(chunks) + len(sentences) > PROGRESS_ABOVE
    chunk_vectors = embedder.encode([c.embedding_text for c in chunks], progress=progress)
    sentence_vectors = embedder.encode(sentence_embedding_texts(sentences), progress=progress)
    records = [
        SourceRecord(d.name, display_path(d.path, PROJECT_ROOT), d.sha256, d.kind, len(d.text)) for d in docs
    ]
    final = write_index(
        out_dir,
        chunks,
        sentences,
        chunk_vectors,
        sentence_vectors,
        embedder.info,
        records,
        approximate_above,
        {"chunk_target_tokens": target_tokens, "approximate_above": approximate_above, "sentence_text": SENTENCE_TEXT},
        index_shaping_files(),
    )
    treatments = tuple(dict.fromkeys(c.treatment for c in chunks))
    return BuildReport(final, len(docs), len(chunks), len(sentences), treatments, time.perf_counter() - started)


def index_shaping_files() -> dict[str, str]:
    """The data files whose edits change what ingest builds, with their sha256 (recorded in the manifest)."""
    path = shared_data_file(STRUCTURE)
    return {display_path(path, PROJECT_ROOT): sha256_of(path)}


# How sentences are embedded (recorded in the manifest's build settings: an index built another way is stale).
SENTENCE_TEXT = "title, and a list item's label for its later sentences"


def sentence_embedding_text(sentence: Sentence, item_label: str = "") -> str:
    """A sentence is embedded with its treatment's title ("They are typically reserved…" needs to say who "they" are),
    and a later sentence of a labelled list item with the item's label, which only its first sentence holds in its
    text: "Sleeping on your side with a pillow…" is read under "Sleeping Positions" as the item's opener is."""
    if sentence.kind == "cell":
        return f"{sentence.title}. {sentence.label}: {sentence.text}"
    if item_label:
        return f"{sentence.title}: {item_label}: {sentence.text}"
    return f"{sentence.title}: {sentence.text}"


def sentence_embedding_texts(sentences: list[Sentence]) -> list[str]:
    """``sentence_embedding_text`` of each sentence, in order (a list item's label comes from its first sentence)."""
    labels: dict[tuple[str, int], str] = {}
    texts = []
    for sentence in sentences:
        label = ""
        if sentence.block_kind == "bullet" and sentence.kind != "cell":
            key = (sentence.chunk_id, sentence.block)
            if key in labels:
                label = labels[key]
            else:
                labels[key] = bullet_label(sentence.text)
        texts.append(sentence_embedding_text(sentence, label))
    return texts


def stale_reasons(index_dir: Path, paths: list[Path], model: str, build_settings: dict | None = None) -> list[str]:
    """Why ``index_dir`` should be rebuilt for these sources, embedder and settings ([] when it is current)."""
    try:
        manifest = read_manifest(index_dir.resolve())
    except IndexLoadError as exc:
        return [str(exc)]
    reasons = changed_sources(manifest, PROJECT_ROOT) + changed_rule_files(manifest, index_shaping_files())
    if manifest.get("embedder", {}).get("model") != model:
        reasons.append(f"built with embedder {manifest.get('embedder', {}).get('model')!r}, configured {model!r}")
    for key, value in {**(build_settings or {}), "sentence_text": SENTENCE_TEXT}.items():
        if manifest.get("build_settings", {}).get(key) != value:
            reasons.append(f"{key} is now {value}, the index was built with {manifest.get('build_settings', {}).get(key)}")
    recorded = {s["path"] for s in manifest.get("sources", [])}
    try:
        current = {display_path(p, PROJECT_ROOT) for p in discover(paths)}
    except ValueError as exc:
        return reasons + [str(exc)]
    reasons.extend(f"{p} was added since the build" for p in sorted(current - recorded))
    reasons.extend(f"{p} is no longer a configured source" for p in sorted(recorded - current))
    return list(dict.fromkeys(reasons))
