"""Read source documents and check they are usable text.

Every chunk and citation carries a character span into its source's text, so
this module defines what "the text of a source" is, once, for ingest and for the
citation checks of the evaluation alike:

* ``.txt`` and ``.md``: the file decoded as UTF-8, exactly as it is on disk;
* ``.html``: the visible text, extracted deterministically (scripts, styles and
  navigation left out, one block element per paragraph, headings remembered).

A source that cannot be used raises :class:`SourceError` with one line that
names the file and the problem, so a bad file never half-replaces an index.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


class SourceError(ValueError):
    """A source file is missing, empty, binary, not UTF-8, or has no text."""


@dataclass(frozen=True)
class Heading:
    """A heading the source marks explicitly (Markdown ``#``, HTML ``<h1>``…``<h6>``)."""

    level: int
    start: int
    end: int


@dataclass(frozen=True)
class SourceDocument:
    """One source as the pipeline sees it: its text and, where the format says so, its headings."""

    path: Path
    name: str  # stable identifier stored in chunks, e.g. "back-spasm-treatments.txt"
    kind: str  # "text" | "markdown" | "html"
    text: str
    sha256: str  # of the file's bytes, for staleness checks
    headings: tuple[Heading, ...] = field(default=())


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into their supported files (sorted, so builds are reproducible)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        else:
            found.append(path)
    if not found:
        raise SourceError(f"{', '.join(map(str, paths)) or '(none)'}: no .txt, .md or .html sources found")
    return found


def read_source(path: Path) -> SourceDocument:
    """Load one source file, or raise :class:`SourceError` saying what is wrong with it."""
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    if not path.is_file():
        raise SourceError(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(f"{path}: unsupported file type {suffix or '(none)'}; use .txt, .md or .html")
    raw = path.read_bytes()
    if not raw.strip():
        raise SourceError(f"{path}: file is empty")
    if b"\x00" in raw[:8192]:
        raise SourceError(f"{path}: looks like a binary file, not text")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    decoded = decoded.removeprefix("\ufeff")

    sha = hashlib.sha256(raw).hexdigest()
    if suffix in (".html", ".htm"):
        text, headings = html_to_text(decoded)
        if not text.strip():
            raise SourceError(f"{path}: HTML has no visible text")
        return SourceDocument(path, path.name, "html", text, sha, headings)
    if suffix in (".md", ".markdown"):
        return SourceDocument(path, path.name, "markdown", decoded, sha, markdown_headings(decoded))
    return SourceDocument(path, path.name, "text", decoded, sha)


def source_text(path: Path) -> str:
    """The text that chunk and citation spans index into (see the module docstring)."""
    return read_source(path).text


_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def markdown_headings(text: str) -> tuple[Heading, ...]:
    """ATX headings (``# Title``); the span covers the title words, not the hashes."""
    return tuple(Heading(len(m.group(1)), m.start(2), m.end(2)) for m in _MD_HEADING.finditer(text))


_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "li", "ul", "ol", "table", "tr",
    "blockquote", "pre", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "figcaption",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "nav", "svg", "head", "form", "button", "iframe"}


class _TextExtractor(HTMLParser):
    """Collects visible text as paragraphs separated by blank lines, noting heading spans."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.skip_depth = 0
        self.heading_level = 0
        self.heading_start = 0
        self.headings: list[Heading] = []
        self.in_li = False

    def _break(self) -> None:
        text = "".join(self.parts)
        stripped = text.rstrip(" ")
        if stripped and not stripped.endswith("\n\n"):
            self._emit("\n\n" if not stripped.endswith("\n") else "\n")

    def _emit(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._break()
        if tag == "li":
            self._emit("  • ")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.heading_level = int(tag[1])
            self.heading_start = self.length

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and self.heading_level:
            if self.length > self.heading_start:
                self.headings.append(Heading(self.heading_level, self.heading_start, self.length))
            self.heading_level = 0
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = re.sub(r"\s+", " ", data)
        if not text.strip():
            if self.parts and not "".join(self.parts[-1:]).endswith((" ", "\n")):
                self._emit(" ")
            return
        current = "".join(self.parts[-1:])
        if not current or current.endswith("\n"):
            text = text.lstrip()
        self._emit(text)


def html_to_text(markup: str) -> tuple[str, tuple[Heading, ...]]:
    """Visible text of an HTML page, block elements as paragraphs, headings as spans."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts), tuple(parser.headings)
