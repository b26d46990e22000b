"""Synthetic corpora N× the guide's size, for the scale benchmark.

Page 0 is the guide itself, unchanged, so 1× is exactly what the clinic serves.
Page j > 0 is the guide with its treatment sections in a shuffled order (and
renumbered) and every treatment heading and the page title tagged
"(variant j)": its file name gives its chunks distinct ids, its headings stay
recognisable (so a chunk still belongs to ``heat-cold`` and the right answer
stays findable), and the text a patient would search for is the guide's own.

Embedding ~300,000 texts on two CPU cores takes about an hour, so
:class:`ReusingEmbedder` can embed each *distinct* text once: a variant's text
is the original's plus the tag, so its vector is taken to be the original's,
moved by deterministic random noise whose size is calibrated on a sample of
really embedded variant texts (same mean cosine to the original). Without the
noise every copy would tie exactly and neither ranking nor approximate-index recall would
mean anything. Results say which embedding was used.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedding.embedder import Embedder, EmbedderInfo
from ingest.structure import StructureRules

VARIANT_TAG = re.compile(r" \(variant \d+\)")
_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(.*)$")


@dataclass(frozen=True)
class GuideParts:
    """The guide cut where its treatments start and where the part after them begins."""

    head: str  # title and introduction, up to the first treatment heading
    treatments: list[tuple[str, str]]  # (heading text without its number, body after the heading line)
    tail: str  # comparison table, integrated plan, clinic


def split_guide(text: str, rules: StructureRules) -> GuideParts:
    """Find the numbered treatment headings ("2. Heat and Cold Therapy") and the comparison heading after them."""
    lines = text.splitlines(keepends=True)
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    starts: list[int] = []
    for i, line in enumerate(lines):
        m = _NUMBERED.match(line.strip())
        if m and rules.match_treatment(m.group(2)) is not None:
            starts.append(i)
    if len(starts) < 2:
        raise ValueError("the guide has fewer than two numbered treatment headings; cannot make shuffled variants")
    tail_line = next(
        (
            i
            for i in range(starts[-1] + 1, len(lines))
            if rules.table_heading in lines[i].lower() and len(lines[i].split()) <= 12
            or any(lines[i].strip().startswith(p) for p in rules.plan_starts)
        ),
        len(lines),
    )
    bounds = [*starts, tail_line]
    treatments = []
    for a, b in zip(bounds, bounds[1:]):
        heading = _NUMBERED.match(lines[a].strip()).group(2)  # type: ignore[union-attr]
        treatments.append((heading, "".join(lines[a + 1 : b])))
    tail = "".join(lines[tail_line:])
    return GuideParts("".join(lines[: starts[0]]), treatments, tail)


def variant_text(parts: GuideParts, j: int, seed: int) -> str:
    """Page j: shuffled, renumbered treatments with tagged headings and a tagged title."""
    import random

    order = list(range(len(parts.treatments)))
    random.Random(seed * 1_000_003 + j).shuffle(order)
    tag = f" (variant {j})"
    title, _, rest = parts.head.partition("\n")
    body = [f"{title.rstrip()}{tag}\n{rest}"]
    for n, i in enumerate(order, start=1):
        heading, section = parts.treatments[i]
        body.append(f"{n}. {heading}{tag}\n{section}")
    body.append(parts.tail)
    return "".join(body)


def write_corpus(guide: Path, copies: int, out_dir: Path, seed: int = 7) -> list[Path]:
    """Write ``copies`` pages (page 0 the guide itself) as .txt files into ``out_dir``."""
    text = guide.read_text(encoding="utf-8")
    parts = split_guide(text, StructureRules.load())
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for j in range(copies):
        path = out_dir / f"guide-v{j:05d}.txt"
        path.write_text(text if j == 0 else variant_text(parts, j, seed), encoding="utf-8")
        paths.append(path)
    return paths


def canonical(text: str) -> str:
    """The text with variant tags removed: what page 0 says in the same place."""
    return VARIANT_TAG.sub("", text)


def _noise(text: str, dimension: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)


class ReusingEmbedder:
    """Embeds each distinct canonical text once; variants get the original's vector plus calibrated noise.

    Duck-types the parts of :class:`embedding.embedder.Embedder` that ingest uses.
    ``real_texts``/``reused_texts`` and ``embed_seconds`` say how much was really embedded.
    """

    def __init__(self, embedder: Embedder, reuse: bool = True) -> None:
        self._embedder = embedder
        self.reuse = reuse  # False: every text is embedded for real (the cache then only skips exact repeats)
        self.info: EmbedderInfo = embedder.info
        self._cache: dict[str, np.ndarray] = {}
        self.sigma = 0.0
        self.calibration: dict[str, float] = {}
        self.real_texts = 0
        self.reused_texts = 0
        self.embed_seconds = 0.0
        self.calls: list[dict[str, float]] = []  # per encode(): texts asked for, texts embedded, seconds

    @property
    def dimension(self) -> int:
        return self.info.dimension

    @property
    def max_seq_length(self) -> int:
        return self.info.max_seq_length

    def count_tokens(self, text: str) -> int:
        return self._embedder.count_tokens(text)

    def calibrate(self, variant_texts: Sequence[str]) -> dict[str, float]:
        """Embed some variant texts for real; choose the noise so copies sit as far from the original as they do."""
        import time

        t = time.perf_counter()
        real = self._embedder.encode(list(variant_texts))
        originals = self._embedder.encode([canonical(x) for x in variant_texts])
        self.embed_seconds += time.perf_counter() - t
        cosines = np.sum(real * originals, axis=1)
        mean = float(np.clip(cosines.mean(), 0.5, 0.999999))
        # For a unit v and g ~ N(0, I_d): cos(v, v + σg) ≈ 1 / sqrt(1 + σ²d).
        self.sigma = float(np.sqrt((1.0 / mean**2 - 1.0) / self.dimension))
        self.calibration = {
            "sample": len(variant_texts),
            "mean_cosine_variant_to_original": round(mean, 5),
            "min_cosine_variant_to_original": round(float(cosines.min()), 5),
            "noise_sigma": round(self.sigma, 6),
        }
        return self.calibration

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        import time

        keys = [canonical(t) for t in texts] if self.reuse else list(texts)
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        seconds = 0.0
        if missing:
            t = time.perf_counter()
            vectors = self._embedder.encode(missing, batch_size=batch_size, progress=progress)
            seconds = time.perf_counter() - t
            self.embed_seconds += seconds
            self._cache.update(zip(missing, vectors))
        self.calls.append({"texts": len(texts), "embedded": len(missing), "seconds": seconds})
        self.real_texts += len(missing)
        self.reused_texts += len(texts) - len(missing)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, (text, key) in enumerate(zip(texts, keys)):
            vector = self._cache[key]
            if text != key and self.sigma > 0:
                vector = vector + self.sigma * _noise(text, self.dimension)
                vector = vector / np.linalg.norm(vector)
            out[row] = vector
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._embedder.encode_query(text)
