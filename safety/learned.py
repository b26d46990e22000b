"""The learned signal: red flags in words no phrase list enumerates, from the message's own embedding.

Hand-written phrasings cannot list every way people write ("my legs feel like
they belong to someone else", "got a rope in the garage"). This layer reads two
things the answer already has, so it costs no second model call:

- the **query embedding** (the same vector retrieval searches with), and
- **character n-grams** of the message (3 to 5 characters inside words, hashed),
  which carry typos, text-speak and languages the English embedder reads poorly.

Three logistic heads say how likely the message is an emergency, a crisis or an
urgent matter; a fourth names the most likely sign (so the reply shows the
right text). Thresholds are chosen on the development set only. The rules stay
the high-precision layer that knows negation: ``safety.triage`` drops a learned
vote when the rules read the same kind of sign and set it aside ("no numbness").

A red flag buried in a long message ("First, … Second, … Third, I've a stash of
tablets for Friday when I'm alone, I'm done. And is naproxen better?") moves the
message's embedding little. So each clause of a message of several is also read:
the message's vector with that clause's own n-grams, counted when it clears the
tier's threshold plus that tier's margin (``clause_margins``, chosen on the
development set like the thresholds; a tier without one does not read clauses).

The model is data: ``data/triage/model.npz`` (weights) and ``model.json``
(thresholds, and the sha256 of the training files it was fitted on), rebuilt by
``python -m safety.training train`` (about a minute) from ``data/triage/training/``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np

from contracts import Tier
from rules.locale import DATA_DIR

MODEL_DIR = DATA_DIR / "triage"
TRAINING_DIR = MODEL_DIR / "training"
# The medicine questions' training set teaches the difference between asking about a dose ("can I take
# two at once?": no red flag) and having taken too many (an emergency). Read with its own labels.
MEDICINE_TRAINING_DIR = DATA_DIR / "medicines" / "training"
# The answers' example questions (everyday questions and follow-ups, written with no red flag in them)
# teach what an ordinary question looks like in all its tones; each carries its expected tier.
ANSWER_EXAMPLES_DIR = DATA_DIR / "answers" / "training"
_MEDICINE_TIERS = {"emergency": ("emergency", "overdose-sedation"), "poison_control": ("emergency", "overdose-sedation")}
WEIGHTS = MODEL_DIR / "model.npz"
META = MODEL_DIR / "model.json"
BUCKETS = 1 << 18
_BUCKET_MASK = BUCKETS - 1
NGRAMS = (3, 4, 5)
HEADS = (Tier.EMERGENCY, Tier.CRISIS, Tier.URGENT)
_WORDS = re.compile(r"\S+")
_CLAUSE_END = re.compile(r"(?<=[.!?;。！？；])\s*|\n+")
MIN_CLAUSE_CHARS = 12  # "I'm done." alone says little; a clause shorter than this is read with its message only
_APOSTROPHES = str.maketrans("", "", "'’‘ʼ`´")
_PAIR_WORDS = re.compile(r"[^\W_]+")  # words for the word pairs: letters and digits, punctuation dropped


T = TypeVar("T")


class LearnedModelError(RuntimeError):
    """The shipped model is missing, damaged, or was fitted on other data; the message says how to rebuild it."""


def _width(text: str) -> int:
    """Length with a Chinese character counted as two letters (it carries about as much as a short word)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clauses(text: str) -> list[str]:
    """A message's sentences (by their end marks or line breaks) of some length; none for a single one."""
    parts = [p.strip() for p in _CLAUSE_END.split(text) if _width(p.strip()) >= MIN_CLAUSE_CHARS]
    return parts if len(parts) > 1 else []


def char_features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed character n-grams inside each word (padded with spaces): sublinear counts, unit length."""
    return text_features(text, 0.0)


@functools.lru_cache(maxsize=4096)
def text_features(text: str, word_pair_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """``char_features`` beside hashed pairs of adjacent words, the pairs' share set by ``word_pair_weight``
    (0: n-grams only): unit length together.

    Cached, read-only: triage, the medicine risks and answerability each read the same message (triage with
    the pairs, the others without; both from the n-grams counted once, ``_ngram_weights``).

    N-grams inside words cannot tell "I'd rather not be here" from "I'd rather not take pills", or "what's the
    point anymore" from "what's the point of stretches": the pairs ("not_be", "not_take", "point_of") can.
    """
    weights = dict(_ngram_weights(text))  # a copy: the pairs are added to it
    if not weights:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if word_pair_weight:
        words = _PAIR_WORDS.findall(text.lower().translate(_APOSTROPHES))
        pairs = Counter(zlib.crc32(f"\x01{a}_{b}".encode()) & _BUCKET_MASK for a, b in zip(words, words[1:]))
        if pairs:
            for bucket, value in _sublinear_unit(pairs).items():
                weights[bucket] = weights.get(bucket, 0.0) + word_pair_weight * value
    index = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
    values /= np.linalg.norm(values)
    index.flags.writeable = values.flags.writeable = False
    return index, values


@functools.lru_cache(maxsize=4096)
def _ngram_weights(text: str) -> tuple[tuple[int, float], ...]:
    """Each hashed n-gram of ``text`` (3 to 5 characters inside a word padded with spaces) with its sublinear count,
    unit length, in the order first met. Counting them is most of a message's features, and the same for any
    ``word_pair_weight``: triage reads them on a worker during the model call, the medicine risks and answerability
    after it. Cached, like ``text_features``."""
    padded = [f" {word} " for word in _WORDS.findall(text.lower().translate(_APOSTROPHES))]
    counts = Counter(
        zlib.crc32(p[i : i + n].encode()) & _BUCKET_MASK for p in padded for n in NGRAMS for i in range(len(p) - n + 1)
    )
    return tuple(_sublinear_unit(counts).items()) if counts else ()


def forget_features() -> None:
    """Drop every message's cached features (the latency benchmark reads each question as new)."""
    text_features.cache_clear()
    _ngram_weights.cache_clear()


def _sublinear_unit(counts: Counter[int]) -> dict[int, float]:
    """1 + log(count) per bucket, scaled to unit length."""
    values = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
    values /= np.linalg.norm(values)
    return dict(zip(counts.keys(), values.tolist(), strict=True))


@dataclass(frozen=True)
class LogisticHeads:
    """One logistic head per label over the query embedding and hashed character n-grams.

    Shared by the learned layers that read a message this way (medicine risks,
    answerability); ``IDS_KEY`` names the labels' list in the model's metadata.
    """

    ids: tuple[str, ...]
    dense: np.ndarray  # (labels, dimension)
    sparse: np.ndarray  # (labels, BUCKETS) float32, mostly zero; column-major (``from_arrays``)
    bias: np.ndarray  # (labels,)
    threshold: float
    meta: dict[str, Any]

    IDS_KEY: ClassVar[str] = "ids"

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Self:
        ids = tuple(meta[cls.IDS_KEY])
        # Column-major: a message's few hundred n-grams each read one cache line for every label, not one per
        # label (the medicine risks have twelve); ``sparse[:, index]`` comes out in the same layout either way.
        sparse = np.zeros((len(ids), BUCKETS), dtype=np.float32, order="F")
        sparse[arrays["rows"], arrays["cols"]] = arrays["values"]
        return cls(ids, arrays["dense"], sparse, arrays["bias"], float(meta.get("threshold", 0.5)), meta)

    @property
    def dimension(self) -> int:
        return int(self.dense.shape[1])

    def probabilities(self, text: str, vector: np.ndarray) -> dict[str, float]:
        index, values = char_features(text)
        z = self.dense @ np.asarray(vector, dtype=np.float32).ravel() + self.sparse[:, index] @ values + self.bias
        return dict(zip(self.ids, (1.0 / (1.0 + np.exp(-z))).tolist(), strict=True))


def fit_heads(
    texts: Sequence[str], vectors: np.ndarray, labels: Sequence[set[str]], ids: Sequence[str], c: float, char_weight: float,
    idf_power: float = 0.0,
) -> dict[str, np.ndarray]:
    """One balanced logistic head per label over the embedding and the (weighted) n-grams: ``LogisticHeads``' arrays."""
    from sklearn.linear_model import LogisticRegression

    scales = ngram_weights(texts, char_weight, idf_power)
    features = _matrix(texts, vectors, scales)
    dim = vectors.shape[1]
    dense, sparse, bias = [], [], []
    for label in ids:
        head = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        head.fit(features, np.array([label in found for found in labels], dtype=int))
        w = head.coef_[0].astype(np.float32)
        dense.append(w[:dim])
        sparse.append(w[dim:] * scales.astype(np.float32))
        bias.append(head.intercept_[0])
    weights = np.stack(sparse)
    rows, cols = np.nonzero(weights)
    return {
        "dense": np.stack(dense), "rows": rows.astype(np.int64), "cols": cols.astype(np.int64),
        "values": weights[rows, cols], "bias": np.asarray(bias, dtype=np.float32),
    }  # fmt: skip


Arrays = dict[str, np.ndarray]


def lowest_threshold(
    grid: Sequence[float], figures_at: Callable[[float], dict[str, float]], in_budget: Callable[[dict[str, float]], bool], budget: str,
) -> tuple[float, dict[str, float]]:
    """The lowest threshold of ``grid`` whose development figures are in budget (the most recall it allows),
    with those figures; ``LearnedModelError`` naming the ``budget`` when none is."""
    best: tuple[float, dict[str, float]] | None = None
    for threshold in sorted(grid, reverse=True):
        found = figures_at(threshold)
        if in_budget(found):
            best = (threshold, found)
    if best is None:
        raise LearnedModelError(f"no threshold keeps {budget}")
    return best


def setting_name(char_weight: float, c: float, idf_power: float) -> str:
    """One point of a settings grid, as the training commands print it."""
    return f"C={c}, n-gram weight {char_weight}, idf power {idf_power}"


def fit_best_setting(
    name: str, grid: Sequence[tuple[float, float, float]], fit_one: Callable[[float, float, float], tuple[Arrays, dict[str, Any]]],
    choose: Callable[[Arrays, dict[str, Any]], tuple[float, dict[str, float]]], better: Callable[[dict[str, float]], tuple[float, ...]],
    weights: Path, meta_path: Path,
) -> dict[str, Any]:
    """For each (n-gram weight, C, idf power) of ``grid``: fit (``fit_one``), choose the threshold on the development sets
    (``choose``, which raises ``LearnedModelError`` when none is in budget); write the setting whose dev
    figures rank highest by ``better``. Returns its metadata."""
    best: tuple[tuple[float, ...], Arrays, dict[str, Any]] | None = None
    for char_weight, c, idf_power in grid:
        arrays, meta = fit_one(char_weight, c, idf_power)
        setting = setting_name(char_weight, c, idf_power)
        try:
            threshold, figures = choose(arrays, meta)
        except LearnedModelError as exc:
            print(f"{name}: {setting}: {exc}")
            continue
        meta.update(threshold=threshold, dev_figures=figures)
        print(f"{name}: {setting}: threshold {threshold}, dev {figures}", flush=True)
        if best is None or better(figures) > best[0]:
            best = (better(figures), arrays, meta)
    if best is None:
        raise LearnedModelError(f"{name}: no setting of the grid keeps to its budget on the development sets")
    _, arrays, meta = best
    np.savez_compressed(weights, allow_pickle=False, **arrays)
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    print(f"{name}: wrote {weights.name} and {meta_path.name}; dev {meta['dev_figures']}")
    return meta


def read_model(weights: Path, meta_path: Path, build: Callable[[dict[str, np.ndarray], dict[str, Any]], T], rebuild: str) -> T:
    """A fitted model from its weights (``.npz``) and metadata (``.json``); one line naming the rebuild command if either is unreadable."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(weights, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return build(arrays, meta)
    except (OSError, ValueError, KeyError) as exc:
        raise LearnedModelError(f"{weights}: cannot be read ({exc}); run `{rebuild}`") from None


@dataclass(frozen=True)
class LearnedVote:
    """What the learned layer says of one message: a tier and the sign it looks most like."""

    tier: Tier
    sign: str
    probability: float


@dataclass(frozen=True)
class _Head:
    """One logistic model: dense weights over the embedding, sparse weights over hashed n-grams."""

    dense: np.ndarray  # (dimension,)
    sparse: np.ndarray  # (BUCKETS,) float32; most are zero
    bias: float

    def score(self, vector: np.ndarray, index: np.ndarray, values: np.ndarray) -> float:
        z = float(vector @ self.dense) + float(self.sparse[index] @ values) + self.bias
        return float(1.0 / (1.0 + np.exp(-z)))


class LearnedSignal:
    """The fitted heads; ``vote`` is a few microseconds of arithmetic per message."""

    def __init__(self, heads: dict[Tier, _Head], classes: list[str], class_tiers: list[Tier], sign_dense: np.ndarray,
                 sign_sparse: np.ndarray, sign_bias: np.ndarray, thresholds: dict[Tier, float], meta: dict[str, Any]) -> None:
        self.heads = heads
        self.classes = classes
        self.class_tiers = class_tiers
        self.sign_dense, self.sign_sparse, self.sign_bias = sign_dense, sign_sparse, sign_bias
        self.thresholds = thresholds
        self.meta = meta
        self.clause_margins: dict[Tier, float] = {Tier(t): float(m) for t, m in (meta.get("clause_margins") or {}).items()}
        self.word_pair_weight = float(meta.get("features", {}).get("word_pairs", 0.0))  # 0 in a model fitted before pairs

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The sparse features the heads were fitted on (``text_features`` at the model's word-pair weight)."""
        return text_features(text, self.word_pair_weight)

    def prepare(self, text: str) -> None:
        """Read ahead what ``votes`` needs besides the vector (the n-grams of the message and its clauses; cached).

        Triage calls it while the vector is being computed (``embedding.background``).
        """
        self.features(text)
        for clause in clauses(text):
            self.features(clause)

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META) -> LearnedSignal:
        return read_model(weights, meta_path, cls.from_arrays, "python -m safety.training train")

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> LearnedSignal:
        heads = {}
        for tier in HEADS:
            sparse = np.zeros(BUCKETS, dtype=np.float32)
            sparse[arrays[f"{tier}_index"]] = arrays[f"{tier}_values"]
            heads[tier] = _Head(arrays[f"{tier}_dense"], sparse, float(arrays[f"{tier}_bias"]))
        sign_sparse = np.zeros((len(meta["classes"]), BUCKETS), dtype=np.float32)
        rows, cols = arrays["sign_rows"], arrays["sign_cols"]
        sign_sparse[rows, cols] = arrays["sign_values"]
        thresholds = {Tier(t): float(v) for t, v in meta["thresholds"].items()}
        class_tiers = [Tier(t) for t in meta["class_tiers"]]
        return cls(heads, list(meta["classes"]), class_tiers, arrays["sign_dense"], sign_sparse, arrays["sign_bias"], thresholds, meta)

    @property
    def dimension(self) -> int:
        """The length of the query vectors it was fitted on (another embedder's vectors are not read)."""
        return int(self.heads[Tier.EMERGENCY].dense.shape[0])

    def probabilities(self, text: str, vector: np.ndarray) -> dict[Tier, float]:
        index, values = self.features(text)
        flat = np.asarray(vector, dtype=np.float32).ravel()
        return {tier: head.score(flat, index, values) for tier, head in self.heads.items()}

    def clause_probabilities(self, text: str, vector: np.ndarray, tiers: Iterable[Tier] | None = None) -> dict[Tier, tuple[float, str]]:
        """Per tier (of ``tiers``, default all), the highest probability of any one clause (read with the
        message's vector), and that clause."""
        flat = np.asarray(vector, dtype=np.float32).ravel()
        heads = [(t, self.heads[t]) for t in (self.heads if tiers is None else tiers)]
        best: dict[Tier, tuple[float, str]] = {}
        for clause in clauses(text) if heads else []:
            index, values = self.features(clause)
            for tier, head in heads:
                p = head.score(flat, index, values)
                if p > best.get(tier, (-1.0, ""))[0]:
                    best[tier] = (p, clause)
        return best

    def votes(self, text: str, vector: np.ndarray) -> list[LearnedVote]:
        """Every tier whose probability reaches its threshold (or one clause's, its threshold plus the tier's
        clause margin), each with its likeliest sign."""
        index, values = self.features(text)
        flat = np.asarray(vector, dtype=np.float32).ravel()
        votes = []
        below = []  # tiers the whole message does not reach, whose clauses are read on their own
        for tier, head in self.heads.items():
            p = head.score(flat, index, values)
            if p >= self.thresholds[tier]:
                votes.append(LearnedVote(tier, self._sign(tier, flat, index, values), p))
            elif tier in self.clause_margins:
                below.append(tier)
        for tier, (p, clause) in self.clause_probabilities(text, flat, below).items():
            if p >= self.thresholds[tier] + self.clause_margins[tier]:
                clause_index, clause_values = self.features(clause)
                votes.append(LearnedVote(tier, self._sign(tier, flat, clause_index, clause_values), p))
        return votes

    def likeliest_sign(self, tier: Tier, text: str, vector: np.ndarray) -> str:
        """The sign a whole-message vote of ``tier`` would name (training reads it as ``votes`` does)."""
        index, values = self.features(text)
        return self._sign(tier, np.asarray(vector, dtype=np.float32).ravel(), index, values)

    def _sign(self, tier: Tier, vector: np.ndarray, index: np.ndarray, values: np.ndarray) -> str:
        logits = self.sign_dense @ vector + self.sign_sparse[:, index] @ values + self.sign_bias
        allowed = [i for i, t in enumerate(self.class_tiers) if t is tier]
        return self.classes[max(allowed, key=lambda i: logits[i])]


# -- training --------------------------------------------------------------------------------------


QUERY_VECTORS_KEY = "query vectors"  # in a fingerprint, beside the training files' names


def training_files(
    directory: Path = TRAINING_DIR, medicines: Path = MEDICINE_TRAINING_DIR, answers: Path = ANSWER_EXAMPLES_DIR
) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) + sorted(medicines.glob("*.jsonl")) + sorted(answers.glob("*.jsonl"))


def fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 of each training file, and of how messages become vectors (the shipped model records what it was
    fitted on: an edited file, another expansion weight or another guide term a message moves toward asks for a refit)."""
    from index.query_vectors import configured_signature

    prints = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    prints[QUERY_VECTORS_KEY] = configured_signature()
    return prints


def refit_needed(meta: dict[str, Any], paths: Iterable[Path], command: str) -> str | None:
    """Why a shipped model (its ``meta``) must be refit to match ``paths`` and the query vectors, or None."""
    if meta.get("training") != fingerprint(paths):
        return f"the shipped model was fitted on other training data or other query vectors; run `{command}`"
    return None


def check_shipped(name: str, meta_path: Path, paths: Iterable[Path], command: str, load: Callable[[], object]) -> int:
    """``check`` of a training command: 0 when the shipped model (its ``meta_path``) was fitted on ``paths`` and the query
    vectors as they are now and ``load`` reads it; else 1, with one line naming ``command``."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{name}: {meta_path} cannot be read ({exc}); run `{command}`")
        return 1
    if why := refit_needed(meta, paths, command):
        print(f"{name}: {why}")
        return 1
    load()
    print(f"{name}: the shipped model matches its training data")
    return 0


def read_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Training rows as ``{"message", "history", "tier", "class"}`` (a medicine question's ``expect`` says its tier)."""
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if "question" in row and "message" not in row:  # a line of the answers' sets: its question and expected tier
                row["message"], row["tier"], row["class"] = row["question"], row.get("expect_triage", "none"), f"answers-{row.get('intent', '')}"
            if "expect" in row and "tier" not in row:
                row["tier"], row["class"] = _MEDICINE_TIERS.get(row["expect"], ("none", "medicine-question"))
            row["message"] = as_served(row["message"])
            row["history"] = [as_served(h) for h in patient_messages(row.get("history", []))]
            rows.append(row)
    return rows


def patient_messages(turns: Iterable[str | dict[str, str]]) -> list[str]:
    """A conversation as the patient's messages (triage reads no others), whatever the set: some give it as full turns
    (``{"role": "user", "content": …}``, the assistant's turns among them), the blind sets as the patient's messages
    alone. Every kind of set may do either (medication_dev28 gives turns; the refit once stopped on it)."""
    return [t if isinstance(t, str) else t["content"] for t in turns if isinstance(t, str) or t.get("role") == "user"]


def as_served(text: str) -> str:
    """A message as the answer receives it (Unicode NFKC, as ``answering.conversation.clean_text`` leaves it):
    the layers learn and choose thresholds on the text they will read ("，" is "," by then)."""
    return unicodedata.normalize("NFKC", text).strip()


def ngram_weights(texts: Sequence[str], char_weight: float, idf_power: float = 0.0, word_pair_weight: float = 0.0) -> np.ndarray:
    """Each n-gram bucket's scale while fitting: ``char_weight`` times its inverse document frequency in ``texts``
    to the power ``idf_power`` (0: every n-gram alike), the mean over the n-grams' occurrences scaled to 1.

    With one regularisation for all features, a smaller scale is a stronger penalty: n-grams of the words every
    message has ("would", "whether", "also") then cannot carry a red flag by themselves, as they did when the
    crisis examples happened to be written more formally than the ordinary ones. The weights stored are scaled
    back, so a message is still scored on its plain features.
    """
    weights = np.full(BUCKETS, char_weight, dtype=np.float64)
    if not idf_power:
        return weights
    df = np.zeros(BUCKETS, dtype=np.float64)
    for text in texts:
        df[text_features(text, word_pair_weight)[0]] += 1
    idf = (np.log((1 + len(texts)) / (1 + df)) + 1.0) ** idf_power
    seen = df > 0
    return char_weight * idf / (np.average(idf[seen], weights=df[seen]) if seen.any() else 1.0)


def _matrix(texts: Sequence[str], vectors: np.ndarray, scales: np.ndarray, word_pair_weight: float = 0.0) -> Any:
    """The embedding beside the n-grams, each n-gram bucket multiplied by its ``scales`` entry (``ngram_weights``)."""
    from scipy import sparse

    rows, cols, vals = [], [], []
    for r, text in enumerate(texts):
        index, values = text_features(text, word_pair_weight)
        rows.append(np.full(len(index), r))
        cols.append(index)
        vals.append(values * scales[index])
    chars = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(texts), BUCKETS))
    return sparse.hstack([sparse.csr_matrix(vectors), chars]).tocsr()


def fit(
    texts: Sequence[str], vectors: np.ndarray, tiers: Sequence[str], classes: Sequence[str], c: float = 8.0, char_weight: float = 1.0,
    idf_power: float = 0.0, word_pair_weight: float = 0.0,
) -> dict[str, np.ndarray]:
    """Fit the tier heads and the sign head; returns the arrays ``model.npz`` holds.

    ``char_weight`` scales the n-gram features against the embedding while fitting
    (with one regularisation for both, it sets how much the spelling counts beside
    the meaning), and ``idf_power`` how much less the n-grams of common words count
    (``ngram_weights``), and ``word_pair_weight`` the share of adjacent word pairs
    (``text_features``); the stored n-gram weights are scaled back, so a message is
    scored on its plain features.
    """
    from sklearn.linear_model import LogisticRegression

    scales = ngram_weights(texts, char_weight, idf_power, word_pair_weight)
    features = _matrix(texts, vectors, scales, word_pair_weight)
    dim = vectors.shape[1]
    arrays: dict[str, np.ndarray] = {}
    labels = np.array(tiers)
    for tier in HEADS:
        head = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        head.fit(features, (labels == tier.value).astype(int))
        w = head.coef_[0].astype(np.float32)
        nonzero = np.flatnonzero(w[dim:])
        arrays.update({
            f"{tier}_dense": w[:dim], f"{tier}_index": nonzero.astype(np.int64), f"{tier}_values": w[dim:][nonzero] * scales[nonzero].astype(np.float32),
            f"{tier}_bias": np.asarray(head.intercept_[0], dtype=np.float32),
        })  # fmt: skip
    flagged = [i for i, t in enumerate(tiers) if t != Tier.NONE.value]
    sign = LogisticRegression(C=c, max_iter=5000)
    sign.fit(features[flagged], [classes[i] for i in flagged])
    coef = sign.coef_.astype(np.float32)
    rows, cols = np.nonzero(coef[:, dim:])
    arrays.update({
        "sign_dense": coef[:, :dim], "sign_rows": rows.astype(np.int64), "sign_cols": cols.astype(np.int64),
        "sign_values": coef[:, dim:][rows, cols] * scales[cols].astype(np.float32), "sign_bias": sign.intercept_.astype(np.float32),
        "sign_classes": np.array(sign.classes_),
    })  # fmt: skip
    return arrays
