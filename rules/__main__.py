"""``python -m rules check``: read every data file and prompt text, and say what is wrong with each.

Exit status 0 when everything reads, 1 when a file has a problem (each printed
on one line: file, line, table, key, problem), 2 when the command is misused.
``make test`` runs it first, so a typo in ``data/`` fails fast and plainly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial

from rules.files import LANGUAGE_READERS, read_medicines, read_structure
from rules.locale import DEFAULT_LANGUAGE, data_file, languages_with_data, prompts_dir
from rules.prompts import PromptError, Prompts
from rules.toml import RulesError
from settings import ConfigError, load_settings


def check(languages: list[str]) -> list[str]:
    """Every problem found, one line each ([] when all files read)."""
    settings = load_settings()
    checks: list[Callable[[], object]] = [read_structure, read_medicines]
    for language in languages:
        for name, reader in LANGUAGE_READERS.items():
            if language == DEFAULT_LANGUAGE or data_file(name, language).exists():
                checks.append(partial(reader, language))
        if prompts_dir(language).exists():
            checks.append(partial(Prompts.load, settings, language))
    problems = []
    for run in checks:
        try:
            run()
        except (RulesError, PromptError) as exc:
            problems.append(str(exc))
    return list(dict.fromkeys(problems))  # a file read by several others is reported once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rules", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check"], help="check every data file and prompt text")
    parser.add_argument("--language", action="append", help="only these languages (default: every one with data)")
    args = parser.parse_args(argv)
    try:
        languages = args.language or sorted({*languages_with_data("red_flags.toml"), DEFAULT_LANGUAGE})
        problems = check(languages)
    except ConfigError as exc:
        print(f"rules: configuration error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"rules: {len(problems)} problem(s); the assistant will not start until they are fixed", file=sys.stderr)
        return 1
    print(f"rules: every data file and prompt text reads ({', '.join(languages)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
