"""Group blocks into chunks that fit the embedder, and cut sentences for quoting.

Rules that the tests check for every chunk:

* a chunk never crosses a treatment or a section, nor a placeholder line;
* its text is a verbatim span of the source (``source[start:end] == text``);
* its heading prefix plus its text fits the embedder's ``max_seq_length``.

Sentences are kept as separate records with the same metadata: the answer
composer quotes whole sentences, so each one is also a verbatim span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from contracts import Chunk, Sentence
from ingest.structure import SECTION_SEPARATOR, Block, slugify

TokenCounter = Callable[[str], int]

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])(['\"”’)]*)\s+(?=[\"“‘(]?[A-Z0-9])")
_BULLET_MARK = re.compile(r"^([•*\-–·]|\d{1,2}[.)])\s+")
_MARKERS = re.compile(r"\s*[🔄⚡📊💡⭐]\s*")


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``, each stripped of surrounding space."""
    body = text[start:end]
    spans, pos = [], 0
    for m in _SENTENCE_BREAK.finditer(body):
        spans.append((pos, m.start() + len(m.group(1))))  # keep closing quotes with their sentence
        pos = m.end()
    spans.append((pos, len(body)))
    result = []
    for s, e in spans:
        piece = body[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if piece.strip():
            result.append((start + s + lead, start + e - trail))
    return result


def _content_start(text: str, block: Block) -> int:
    """Skip a bullet marker ("• ", "2. ") so quotes start at the words."""
    m = _BULLET_MARK.match(text[block.start : block.end])
    return block.start + (m.end() if m else 0)


def _heading_prefix(block: Block) -> str:
    path = list(block.section)
    if block.title and (not path or path[0] != block.title):
        path.insert(0, block.title)
    return SECTION_SEPARATOR.join(path)


def _row_prefix(text: str, block: Block) -> str:
    cells = "; ".join(f"{c.column}: {_MARKERS.sub(' ', text[c.start:c.end]).strip()}" for c in block.cells)
    return f"{SECTION_SEPARATOR.join(block.section)}. {block.title}: {cells}"


def _fit_prefix(prefix: str, count: TokenCounter, limit: int) -> str:
    """Shorten a prefix that would leave the text less than half the embedder's window."""
    words = prefix.split(" ")
    while len(words) > 1 and count(" ".join(words)) > limit // 2:
        words.pop()
    return " ".join(words)


def _split_oversized(text: str, block: Block, prefix: str, count: TokenCounter, limit: int) -> list[tuple[int, int]]:
    """Cut a block too long for the embedder into runs of whole sentences (or words, as a last resort)."""
    runs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for s, e in sentence_spans(text, block.start, block.end):
        if count(f"{prefix}\n{text[s:e]}") > limit:
            if current:
                runs.append(current)
                current = None
            runs.extend(_split_words(text, s, e, prefix, count, limit))
            continue
        candidate = (current[0], e) if current else (s, e)
        if current and count(f"{prefix}\n{text[candidate[0]:candidate[1]]}") > limit:
            runs.append(current)
            candidate = (s, e)
        current = candidate
    if current:
        runs.append(current)
    return runs


def _split_words(text: str, start: int, end: int, prefix: str, count: TokenCounter, limit: int) -> list[tuple[int, int]]:
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    runs, first = [], 0
    while first < len(words):
        last = first
        while last + 1 < len(words) and count(f"{prefix}\n{text[words[first][0]:words[last + 1][1]]}") <= limit:
            last += 1
        runs.append((words[first][0], words[last][1]))
        first = last + 1
    return runs


def build_chunks(
    source: str,
    text: str,
    blocks: Iterable[Block],
    count_tokens: TokenCounter,
    max_tokens: int,
    target_tokens: int | None = None,
) -> tuple[list[Chunk], list[Sentence]]:
    """Group neighbouring blocks of one section into chunks and cut their sentences.

    ``max_tokens`` is the hard limit (the embedder's sequence length minus its
    special tokens); ``target_tokens`` (default: the same) is where a growing chunk
    stops taking more blocks, so smaller chunks can be asked for.
    """
    target = min(target_tokens or max_tokens, max_tokens)
    doc_slug = slugify(source.rsplit(".", 1)[0])
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    counters: dict[str, int] = {}

    def prefix_of(block: Block) -> str:
        prefix = _row_prefix(text, block) if block.kind == "table_row" else _heading_prefix(block)
        return _fit_prefix(prefix, count_tokens, max_tokens)

    def emit(group: list[Block], start: int, end: int) -> None:
        first = group[0]
        n = counters[first.treatment] = counters.get(first.treatment, 0) + 1
        prefix = prefix_of(first)
        chunk = Chunk(
            id=f"{doc_slug}:{first.treatment}:{n:03d}",
            source=source,
            treatment=first.treatment,
            title=first.title,
            section=SECTION_SEPARATOR.join(first.section),
            text=text[start:end],
            start=start,
            end=end,
            prefix=prefix,
        )
        chunks.append(chunk)
        quoted = 0
        for block in group:
            for s, e in _quotable_spans(text, block):
                if s < start or e > end:
                    continue
                label = next((c.column for c in block.cells if c.start == s and c.end == e), "")
                quoted += 1
                sentences.append(
                    Sentence(
                        id=f"{chunk.id}:s{quoted}",
                        chunk_id=chunk.id,
                        source=source,
                        treatment=chunk.treatment,
                        title=chunk.title,
                        section=chunk.section,
                        text=text[s:e],
                        start=s,
                        end=e,
                        kind="cell" if label else "sentence",
                        label=label,
                        position=s,
                        block=block.start,
                        block_kind=block.kind,
                    )
                )

    group: list[Block] = []

    def flush() -> None:
        if group:
            emit(group, group[0].start, group[-1].end)
            group.clear()

    for block in blocks:
        prefix = prefix_of(block)
        same_place = group and block.treatment == group[0].treatment and block.section == group[0].section
        if not same_place or block.breaks_before or block.kind == "table_row" or group[0].kind == "table_row":
            flush()
        if count_tokens(f"{prefix}\n{text[block.start:block.end]}") > max_tokens:
            flush()
            for s, e in _split_oversized(text, block, prefix, count_tokens, max_tokens):
                emit([block], s, e)
            continue
        if group and count_tokens(f"{prefix}\n{text[group[0].start:block.end]}") > target:
            flush()
        group.append(block)
    flush()
    return chunks, sentences


def _quotable_spans(text: str, block: Block) -> list[tuple[int, int]]:
    if block.kind == "table_row":
        return [(c.start, c.end) for c in block.cells]
    return sentence_spans(text, _content_start(text, block), block.end)
