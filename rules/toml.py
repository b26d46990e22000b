"""The one way a data file is read: TOML, checked key by key, errors that name the file, key and line.

Every loader of ``data/`` reads its file through a :class:`Table`: it asks for each
key with the type it expects (``table.strings("phrasings")``), and ``table.done()``
then refuses any key nobody asked for, so a misspelt key ("phrasing") is an error
at start-up, not a rule silently ignored. A mistake raises :class:`RulesError`::

    data/en/red_flags.toml:212: [[sign]] 'fever' tier: must be one of emergency, crisis, urgent, not 'urgnet'

tomllib keeps no positions, so the line is found again in the file's text
(:meth:`Document.line_of`): the header of the table, the key under it, the value.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from settings import PROJECT_ROOT

_T = TypeVar("_T")
_MISSING: Any = object()
_HEADER = re.compile(r"^\s*\[(\[)?\s*([^\]]+?)\s*\]?\]\s*(?:#.*)?$")


class RulesError(ValueError):
    """A data file is missing, unreadable, or breaks its schema; ``str()`` says where and what."""


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Document:
    """A parsed TOML file and its text (for line numbers in messages)."""

    path: Path
    data: dict[str, Any]
    lines: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> Document:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RulesError(f"{shown(path)}: file not found; restore it from git") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{shown(path)}: cannot be read ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{shown(path)}: not valid TOML ({exc})") from None
        return cls(path, data, tuple(text.splitlines()))

    def root(self) -> Table:
        return Table(self, self.data, ())

    def line_of(self, where: Sequence[str | int], key: str | None = None, value: Any = None) -> int | None:
        """The 1-based line of ``key`` (or ``value`` under it) in the table at ``where``, best effort."""
        start, end = self._table_lines(where)
        if start is None:
            return None
        line = start
        if key is not None:
            key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=|[{{,]\s*{re.escape(key)}\s*=")
            found = next((i for i in range(start, end) if key_re.search(self.lines[i])), None)
            if found is None:
                return start + 1 if start < len(self.lines) else None
            line = found
        if isinstance(value, str) and value:
            quoted = (f'"{value}"', f"'{value}'", value)
            hit = next((i for i in range(line, end) for q in quoted if q in self.lines[i]), None)
            if hit is not None:
                line = hit
        return line + 1

    def _table_lines(self, where: Sequence[str | int]) -> tuple[int | None, int]:
        """First and end line index of the table at ``where`` (``("sign", 3)`` is the 4th ``[[sign]]``)."""
        names = [w for w in where if isinstance(w, str)]
        index = next((w for w in reversed(where) if isinstance(w, int)), None)
        if not names:
            return 0, self._next_header(0)
        # an inline table or a key inside its parent: search the deepest header that exists
        for depth in range(len(names), 0, -1):
            wanted = ".".join(names[:depth])
            seen = -1
            for i, text in enumerate(self.lines):
                m = _HEADER.match(text)
                if m and m.group(2) == wanted:
                    seen += 1
                    if index is None or seen == index or not m.group(1):
                        return i, self._next_header(i + 1)
        return None, len(self.lines)

    def _next_header(self, start: int) -> int:
        return next((i for i in range(start, len(self.lines)) if _HEADER.match(self.lines[i])), len(self.lines))


@dataclass
class Table:
    """A TOML table being read: typed getters (``text``, ``integer``, ``number``, ``flag``, ``strings`` …) that fail with the file, key and line."""

    document: Document
    data: dict[str, Any]
    where: tuple[str | int, ...]
    label: str = ""  # how messages name this table when its position says too little ("sign 'fever'")
    _read: set[str] = field(default_factory=set)

    # -- errors ------------------------------------------------------------------------------

    def error(self, key: str | None, problem: str, value: Any = None) -> RulesError:
        line = self.document.line_of(self.where, key, value)
        place = f"{shown(self.document.path)}{f':{line}' if line else ''}"
        name = self.label or self._header()
        what = " ".join(part for part in (name, key or "") if part)
        return RulesError(f"{place}: {what}: {problem}" if what else f"{place}: {problem}")

    def _header(self) -> str:
        names = [w for w in self.where if isinstance(w, str)]
        if not names:
            return ""
        indexed = any(isinstance(w, int) for w in self.where)
        return f"[[{'.'.join(names)}]]" if indexed else f"[{'.'.join(names)}]"

    # -- getters -------------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.data

    def keys(self) -> list[str]:
        return list(self.data)

    def get(self, key: str, kind: type[_T] | tuple[type, ...], describe: str, default: Any = _MISSING) -> Any:
        self._read.add(key)
        if key not in self.data:
            if default is _MISSING:
                typo = difflib.get_close_matches(key, [k for k in self.data if k not in self._read], n=1)
                if typo:
                    raise self.error(typo[0], f"unknown key; a typo for {key!r}? ({key!r} is missing: it must be {describe})")
                raise self.error(key, f"missing (it must be {describe})")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
            raise self.error(key, f"must be {describe}, not {value!r}", value)
        return value

    def text(self, key: str, default: Any = _MISSING, choices: Sequence[str] | None = None, nonempty: bool = True) -> str:
        value: str = self.get(key, str, "text", default)
        if nonempty and key in self.data and not value.strip():
            raise self.error(key, "must not be empty")
        if choices is not None and value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}", value)
        return value

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> int:
        value: int = self.get(key, int, "a whole number", default)
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}", str(value))
        return value

    def number(self, key: str, default: Any = _MISSING) -> float:
        return float(self.get(key, (int, float), "a number", default))

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        value: bool = self.get(key, bool, "true or false", default)
        return value

    def strings(self, key: str, default: Any = _MISSING, nonempty: bool = True) -> list[str]:
        """A list of non-empty strings (empty lists allowed only with ``nonempty=False``)."""
        values = self.get(key, list, "a list of strings", default)
        if key not in self.data:
            return list(values)
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise self.error(key, f"every entry must be non-empty text, not {value!r}", value if isinstance(value, str) else None)
        if nonempty and not values:
            raise self.error(key, "must not be empty")
        return list(values)

    def string_or_strings(self, key: str, default: Any = _MISSING) -> list[str]:
        """A string or a list of them ("treatment" may name one or several)."""
        if isinstance(self.data.get(key), str):
            return [self.text(key)]
        return self.strings(key, default)

    def table(self, key: str, default: Any = _MISSING) -> Table:
        value = self.get(key, dict, "a table", {} if default is not _MISSING else _MISSING)
        return Table(self.document, value, (*self.where, key))

    def tables(self, key: str, default: Any = _MISSING, nonempty: bool = True) -> list[Table]:
        """An array of tables (``[[key]]``) or a list of inline tables."""
        values = self.get(key, list, f"a list of [[{key}]] tables", default)
        if key not in self.data:
            return []
        result = []
        for n, value in enumerate(values):
            if not isinstance(value, dict):
                raise self.error(key, f"entry {n + 1} must be a table")
            result.append(Table(self.document, value, (*self.where, key, n)))
        if nonempty and not result:
            raise self.error(key, "must have at least one entry")
        return result

    def items(self, kind: type[_T], describe: str) -> Iterator[tuple[str, _T]]:
        """Every key of a free-form table (``[vocab]``), each checked to be ``kind``."""
        for key in list(self.data):
            yield key, self.get(key, kind, describe)

    def each(self, key: str, check: Callable[[str], object], values: Sequence[str]) -> None:
        """Run ``check`` on every value of ``key``; a ``ValueError`` becomes an error on that value's line."""
        for value in values:
            try:
                check(value)
            except ValueError as exc:
                raise self.error(key, str(exc), value) from None

    def done(self) -> None:
        """Refuse keys nobody read: a typo must not silently switch a rule off."""
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            allowed = ", ".join(sorted(self._read)) or "none"
            raise self.error(unknown[0], f"unknown key (allowed here: {allowed})")
