"""Where a language's files live: ``data/<lang>/`` (phrasings, vocabulary) and ``prompts/<lang>/`` (texts).

English is the language of the guide and the fallback of every text: a
language's folder holds what it has, and anything it lacks is read from English.
"""

from __future__ import annotations

from pathlib import Path

from settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
PROMPTS_DIR = PROJECT_ROOT / "prompts"
DEFAULT_LANGUAGE = "en"


def data_file(name: str, language: str = DEFAULT_LANGUAGE) -> Path:
    """``data/<language>/<name>``."""
    return DATA_DIR / language / name


def shared_data_file(name: str) -> Path:
    """A file for every language (``data/structure.toml``, ``data/medicines.toml``)."""
    return DATA_DIR / name


def prompts_dir(language: str = DEFAULT_LANGUAGE) -> Path:
    return PROMPTS_DIR / language


def languages_with_data(name: str) -> list[str]:
    """The languages that have their own ``data/<lang>/<name>``, English first."""
    found = sorted(p.parent.name for p in DATA_DIR.glob(f"*/{name}"))
    return sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE)
