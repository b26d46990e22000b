"""What the rest of the project needs to know of an embedder, without loading one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class EmbedderInfo:
    """What the index manifest records about the embedder that built it (loading refuses another)."""

    model: str
    dimension: int
    max_seq_length: int


class QueryEmbedder(Protocol):
    """What answering needs of an embedder: its description and question vectors."""

    info: EmbedderInfo

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
