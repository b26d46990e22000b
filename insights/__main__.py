"""``python -m insights``: the /clinic figures on the command line, and the schema and purge by hand.

    python -m insights summary [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--csv]
    python -m insights migrate      # create or update the schema (the app also does it at start)
    python -m insights purge        # erase stored texts older than [privacy] retention_days now

The database is the one ``[insights]`` names (``database_url`` or the SQLite
``path``); ``--database-url`` overrides it. Problems are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from insights.db import Database, InsightsDatabaseError, Target, migrate, open_database
from insights.store import purge_text
from insights.summary import Period, PeriodError, summarize
from settings import ConfigError, Settings, load_settings

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m insights", description="The clinic's insights: figures, schema, purge.")
    parser.add_argument("--database-url", help="PostgreSQL URL to read instead of [insights] database_url / path")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{summary,migrate,purge}")
    summary = commands.add_parser("summary", help="print the figures of /clinic for a period (JSON, or CSV with --csv)")
    summary.add_argument("--since", help="first day, YYYY-MM-DD (default: 30 days before --until)")
    summary.add_argument("--until", help="last day, YYYY-MM-DD (default: today, UTC)")
    summary.add_argument("--csv", action="store_true", help="the CSV the page downloads, instead of JSON")
    commands.add_parser("migrate", help="create or update the schema")
    commands.add_parser("purge", help="erase stored texts older than [privacy] retention_days")
    return parser


def _fail(message: str, status: int = EXIT_FAILED) -> int:
    print(f"python -m insights: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings: Settings = load_settings()
        if args.database_url:
            settings = settings.with_overrides(insights={"database_url": args.database_url})
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_USAGE)
    target = Target.from_settings(settings)
    try:
        if args.command == "summary":
            period = Period.parse(args.since, args.until)
            if target.dialect == "sqlite" and not Path(target.location).exists():
                return _fail(f"no events stored yet in the {target.describe()} (the app writes them as it answers)")
            with open_database(target) as db:
                summary = summarize(db, period)
            sys.stdout.write(summary.to_csv() if args.csv else json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n")
        elif args.command == "migrate":
            with Database(target) as db:
                applied = migrate(db)
                version = db.scalar("SELECT MAX(version) FROM schema_migrations")
            done = f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply"
            print(f"{target.describe()}: {done}; schema at version {version}")
        else:
            with open_database(target) as db:
                erased = purge_text(db, settings.privacy.retention_days)
            print(f"{target.describe()}: erased the text of {erased} event(s) older than {settings.privacy.retention_days} days")
    except PeriodError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except InsightsDatabaseError as exc:
        return _fail(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
