"""Where the events live: SQLite in ``var/`` by default, PostgreSQL when processes on several machines share one.

The project's SQL is written once, with ``?`` placeholders and types both
databases know (TEXT, BIGINT, DOUBLE PRECISION); ``Database`` adapts the
placeholders for psycopg. The schema is the numbered files in
``insights/migrations/``, applied in order by ``migrate`` and recorded in
``schema_migrations``: several processes starting at once take a lock first
(PostgreSQL's advisory lock, SQLite's write lock), so each migration runs once.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_S = 5  # a database that does not answer in this long is down, for the writer and the page alike
STATEMENT_TIMEOUT_MS = 15_000  # a /clinic query that runs longer than this is stopped, not left holding a thread
SQLITE_BUSY_TIMEOUT_S = 10.0
_MIGRATION_LOCK_ID = 0x1B5_0015  # any constant shared by every process of the project (pg_advisory_xact_lock)
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Dialect = Literal["sqlite", "postgresql"]


class InsightsDatabaseError(RuntimeError):
    """The insights database cannot be reached or used; the message says which database and what to check."""


@dataclass(frozen=True)
class Target:
    """Which database: a SQLite file or a PostgreSQL URL."""

    dialect: Dialect
    location: str  # the file path, or the URL

    @classmethod
    def from_settings(cls, settings: Settings) -> Target:
        url = settings.insights.database_url.strip()
        if url:
            return cls("postgresql", url)
        return cls("sqlite", str(settings.path(settings.insights.path)))

    def describe(self) -> str:
        """For messages and logs: the URL without its password."""
        if self.dialect == "sqlite":
            return f"SQLite file {self.location}"
        parts = urlsplit(self.location)
        netloc = parts.netloc
        if "@" in netloc:
            credentials, host = netloc.rsplit("@", 1)
            netloc = f"{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else netloc
        return f"PostgreSQL {urlunsplit(parts._replace(netloc=netloc, query=''))}"


class Database:
    """One connection, used by one thread at a time; the project's SQL with ``?`` placeholders works on both."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.dialect = target.dialect
        self._conn: Any = _connect(target)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "postgresql":
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), [tuple(r) for r in rows])
        else:
            self._conn.executemany(sql, [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; SQLite takes its write lock at the start (BEGIN IMMEDIATE), so writers queue instead of failing."""
        if self.dialect == "postgresql":
            with self._conn.transaction():
                yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # closing a connection that already broke has nothing left to do
            pass

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(target: Target) -> Any:
    """A connection in autocommit mode (transactions are explicit), or ``InsightsDatabaseError`` saying why not."""
    if target.dialect == "sqlite":
        path = Path(target.location)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            _use_wal(conn)
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        except (OSError, sqlite3.Error) as exc:
            raise InsightsDatabaseError(f"cannot open the insights {target.describe()}: {exc}; check [insights] path") from None
    try:
        import psycopg
    except ImportError:
        raise InsightsDatabaseError("[insights] database_url names PostgreSQL but psycopg is not installed: run `make setup`") from None
    try:
        return psycopg.connect(
            target.location, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}", application_name="backspasm-insights",
        )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InsightsDatabaseError(f"cannot reach the insights {target.describe()}: {reason}; check [insights] database_url") from None


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (readers never wait for the writer); it stays so once set.

    Switching needs the file to itself, and SQLite answers "database is locked" at
    once, without its busy timeout, while another process or thread is in the
    middle of a write (processes starting together migrate at the same moment).
    So: nothing to do when the file already is in WAL, else retry for a while.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# -- migrations -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def read_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The numbered ``NNNN_name.sql`` files, in order; each split into statements at the semicolons ending a line."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise InsightsDatabaseError(f"{path}: a migration is named NNNN_words.sql (e.g. 0002_vote_notes.sql)")
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("--")]
        statements = tuple(s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE) if s.strip())
        found.append(Migration(int(match.group(1)), path.stem, statements))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise InsightsDatabaseError(f"{directory}: two migrations share a number: {versions}")
    return found


def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the migrations the database has not seen, in one transaction under a lock; returns their versions."""
    pending = read_migrations(directory)
    applied: list[int] = []
    with db.transaction():
        if db.dialect == "postgresql":
            db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK_ID,))
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {int(v) for (v,) in db.rows("SELECT version FROM schema_migrations")}
        for migration in pending:
            if migration.version in done:
                continue
            for statement in migration.statements:
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            applied.append(migration.version)
    return applied


_migrated: set[tuple[Target, Path]] = set()
_migrated_lock = threading.Lock()


def open_database(target: Target, directory: Path = MIGRATIONS_DIR) -> Database:
    """A connection to ``target`` with its schema up to date (migrated once per process)."""
    db = Database(target)
    try:
        with _migrated_lock:
            if (target, directory) not in _migrated:
                migrate(db, directory)
                _migrated.add((target, directory))
    except InsightsDatabaseError:
        db.close()
        raise
    except Exception as exc:
        db.close()
        raise InsightsDatabaseError(f"cannot prepare the insights {target.describe()}: {_first_line(exc)}") from None
    return db


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
