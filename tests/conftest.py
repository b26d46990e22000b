"""Shared fixtures: the real model and a real index, built once per test session.

The index is built from the project's guide into a temporary folder, so tests
never depend on (or disturb) ``index/build``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from settings import PROJECT_ROOT, Settings, load_settings  # noqa: E402

GUIDE = PROJECT_ROOT / "data" / "guide" / "back-spasm-treatments.txt"
DEV_SET = PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl"


def nested(depth: int, leaf: Any) -> Any:
    """``depth`` lists inside one another, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def embedder():
    from embedding.embedder import load_configured_embedder

    return load_configured_embedder(load_settings())


@pytest.fixture(scope="session")
def built_index_dir(tmp_path_factory, embedder) -> Path:
    from ingest.build import build_index

    out = tmp_path_factory.mktemp("index") / "build"
    build_index([GUIDE], out, embedder, load_settings().index.chunk_target_tokens)
    return out


@pytest.fixture(scope="session")
def settings(built_index_dir) -> Settings:
    """Project settings pointed at the session's index (feedback off, nothing written to var/)."""
    return load_settings().with_overrides(index={"dir": str(built_index_dir)}, feedback={"enabled": False})


@pytest.fixture(scope="session")
def retriever(settings):
    from index.retriever import Retriever

    return Retriever.from_settings(settings)


@pytest.fixture(scope="session")
def assistant(settings, retriever):
    from answering.pipeline import Assistant

    return Assistant.from_settings(settings, retriever)


@pytest.fixture(scope="session")
def dev_set() -> list[dict]:
    return read_jsonl(DEV_SET)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL on loopback for the session (tests/postgres.py); skipped, saying why, where it cannot run."""
    from tests.postgres import PostgresUnavailable, running_postgres

    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()
