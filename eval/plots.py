"""The report's PNG plots: hit rate per treatment, triage confusion matrix, latency distribution."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eval.dataset import TIERS  # noqa: E402
from eval.metrics import Row  # noqa: E402


def hit_rate_per_treatment(rows: list[Row], path: Path) -> None:
    per: dict[str, list[tuple[bool, bool]]] = {}
    for row in rows:
        for treatment in row.question.expect_treatments[:1]:  # a question counts for its main treatment
            rank = row.first_hit_rank
            per.setdefault(treatment, []).append((rank == 1, rank is not None and rank <= 3))
    names = sorted(per)
    at1 = [np.mean([a for a, _ in per[n]]) for n in names]
    at3 = [np.mean([b for _, b in per[n]]) for n in names]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = np.arange(len(names))
    ax.bar(x - 0.2, at1, 0.4, label="hit@1", color="#2b6cb0")
    ax.bar(x + 0.2, at3, 0.4, label="hit@3", color="#90cdf4")
    ax.set_xticks(x, [f"{n}\n({len(per[n])})" for n in names], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of questions")
    ax.set_title("Retrieval: right treatment first / in top 3, per expected treatment")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def triage_confusion(rows: list[Row], path: Path) -> None:
    n = len(TIERS)
    matrix = np.zeros((n, n), dtype=int)
    for row in rows:
        matrix[TIERS.index(row.question.expect_triage), TIERS.index(row.answer.triage)] += 1
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xticks(range(n), TIERS)
    ax.set_yticks(range(n), TIERS)
    ax.set_xlabel("triage given")
    ax.set_ylabel("triage expected")
    ax.set_title("Red-flag triage")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency(rows: list[Row], path: Path) -> None:
    values = [r.answer.timings_ms.get("total", 0.0) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.hist(values, bins=30, color="#4a5568")
    for q, style in ((50, "--"), (95, ":")):
        v = float(np.percentile(values, q))
        ax.axvline(v, color="#c53030", linestyle=style, label=f"p{q} {v:.1f} ms")
    ax.set_xlabel("answer() time, ms (warm, one process)")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plots(rows: list[Row], directory: Path) -> None:
    hit_rate_per_treatment(rows, directory / "hit_rate_per_treatment.png")
    triage_confusion(rows, directory / "triage_confusion.png")
    latency(rows, directory / "latency.png")
