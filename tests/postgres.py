"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary data folder, loopback only.

``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` starts it on a
free 127.0.0.1 port (its socket in that folder too), and stops it at the end of
the session; the folder is then removed. PostgreSQL refuses to run as root, so
when the tests run as root the server runs as the ``postgres`` system user
(made by Debian's package) through ``runuser``. Host connections need the
password the fixture generated (scram-sha-256), as a real deployment would.

Where PostgreSQL is not installed (``make postgres`` installs it) or cannot be
run, ``PostgresUnavailable`` says why, and the fixture skips with that message.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.servers import LOOPBACK, free_port

SERVICE_USER = "postgres"  # the system user Debian's postgresql package creates
DB_USER = "insights"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
INSTALL_HINT = "run `make postgres` (scripts/install-postgresql.sh installs Debian's postgresql)"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why and what to do."""


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: ``$BACKSPASM_TEST_PG_BIN``, Debian's newest /usr/lib/postgresql/N/bin, or PATH."""
    configured = os.environ.get("BACKSPASM_TEST_PG_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _version(name: str) -> float:
    try:
        return float(name)
    except ValueError:
        return 0.0


@dataclass
class PostgresServer:
    """A running server: ``url`` reaches its ``postgres`` database as a superuser with a password."""

    bindir: Path
    root: Path
    port: int
    password: str
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{DB_USER}:{self.password}@{LOOPBACK}:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def _command(server_args: list[str], run_as: str | None) -> list[str]:
    return ["runuser", "-u", run_as, "--", *server_args] if run_as else server_args


def _run(args: list[str], run_as: str | None, timeout: float) -> None:
    result = subprocess.run(_command(args, run_as), capture_output=True, text=True, timeout=timeout, cwd="/")
    if result.returncode != 0:
        raise PostgresUnavailable(f"{Path(args[0]).name} failed ({result.returncode}): {(result.stderr or result.stdout).strip()[-1500:]}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway server, yield it, stop it and remove its folder (whatever happened in between)."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(f"PostgreSQL's initdb and pg_ctl were not found: {INSTALL_HINT}")
    run_as = None
    if os.geteuid() == 0:  # postgres will not run as root
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("the tests run as root and runuser is missing: run them as another user")
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise PostgresUnavailable(f"the tests run as root and there is no {SERVICE_USER!r} user to run PostgreSQL as: {INSTALL_HINT}") from None
        run_as = SERVICE_USER
    root = Path(tempfile.mkdtemp(prefix="backspasm-pg-"))
    server = PostgresServer(bindir, root, free_port(), secrets.token_urlsafe(18), run_as)
    started = False
    try:
        pwfile = root / "pw"
        pwfile.write_text(server.password + "\n")
        pwfile.chmod(0o600)
        if run_as:
            user = pwd.getpwnam(run_as)
            for path in (root, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        _run(
            [str(bindir / "initdb"), "-D", str(server.data), "-U", DB_USER, f"--pwfile={pwfile}", "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
            run_as, START_TIMEOUT_S,
        )
        options = (
            f"-c listen_addresses={LOOPBACK} -c port={server.port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40"
        )
        started = True  # from here on, stop it at the end even if starting timed out half-way
        _run([str(bindir / "pg_ctl"), "-D", str(server.data), "-l", str(root / "server.log"), "-o", options,
              "-w", "-t", str(START_TIMEOUT_S), "start"], run_as, START_TIMEOUT_S + 10)
        yield server
    except PostgresUnavailable as exc:
        raise PostgresUnavailable(f"{exc}\n{server.log_tail()}" if started else str(exc)) from None
    finally:
        if started and (server.data / "postmaster.pid").exists():
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w", "-t", str(STOP_TIMEOUT_S), "stop"],
                     run_as, STOP_TIMEOUT_S + 10)
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(root, ignore_errors=True)
