"""Find the structure of a source: headings, treatments, paragraphs, bullets, table rows.

The output is a flat list of :class:`Block` objects, each a verbatim span of
the source text labelled with the treatment it belongs to and its heading path.
Chunking (``ingest.chunking``) then only has to group neighbouring blocks.

Headings come from the format where it has them (Markdown ``#``, HTML ``<hN>``)
and from layout in plain text: a short line standing alone between blank lines,
without a full stop. What is a treatment, a placeholder, page furniture or the
comparison table is described in ``data/structure.toml`` (read by ``rules.files``), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.sources import SourceDocument
from rules.files import TreatmentEntry, read_structure

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Cell:
    """One comparison-table cell: its column name and verbatim span."""

    column: str
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A paragraph, bullet or table row: the smallest unit ingest keeps whole when it can."""

    kind: str  # "paragraph" | "bullet" | "table_row"
    start: int
    end: int
    treatment: str
    title: str  # display title of the treatment (or part) the block belongs to
    section: tuple[str, ...]  # heading path below the document title
    cells: tuple[Cell, ...] = ()
    breaks_before: bool = False  # something that is not content (a placeholder) precedes it


@dataclass(frozen=True)
class StructureRules:
    """``data/structure.toml`` (read and checked by ``rules.files``), compiled for the walker."""

    treatments: tuple[TreatmentEntry, ...]
    overview_id: str
    plan_id: str
    plan_starts: tuple[str, ...]
    clinic_id: str
    clinic_markers: tuple[str, ...]
    placeholder: re.Pattern[str]
    footer: re.Pattern[str]
    table_heading: str
    table_columns: tuple[tuple[str, str], ...]  # (name, marker)
    names: dict[str, str] = field(default_factory=dict)  # id -> human name

    @classmethod
    def load(cls, path: Path | None = None) -> StructureRules:
        data = read_structure(path)
        return cls(
            treatments=data.treatments,
            overview_id=data.overview.id,
            plan_id=data.plan.id,
            plan_starts=data.plan_starts,
            clinic_id=data.clinic.id,
            clinic_markers=data.clinic_markers,
            placeholder=re.compile("|".join(f"(?:{p})" for p in data.placeholder_lines), re.IGNORECASE),
            footer=re.compile("|".join(f"(?:{p})" for p in data.footer_starts), re.IGNORECASE),
            table_heading=data.table_heading,
            table_columns=data.table_columns,
            names=data.ids,
        )

    def match_treatment(self, text: str) -> tuple[TreatmentEntry, str] | None:
        """The treatment whose heading ``text`` starts with, and the matched prefix of ``text``."""
        norm = _normalise(text)
        best: tuple[TreatmentEntry, str] | None = None
        for treatment in self.treatments:
            for heading in treatment.headings:
                h = _normalise(heading)
                if norm.startswith(h) and (best is None or len(h) > len(_normalise(best[1]))):
                    best = (treatment, heading)
        if best is None:
            return None
        # Length of the matched prefix in the original text (normalisation may shorten "&").
        return best[0], _original_prefix(text, _normalise(best[1]))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("&", "and")).strip().lower()


def _original_prefix(text: str, normalised_prefix: str) -> str:
    for end in range(1, len(text) + 1):
        if _normalise(text[:end]) == normalised_prefix:
            # extend over a trailing space-free boundary only
            return text[:end]
    return text


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # exclusive, without the newline
    text: str  # stripped

    @property
    def blank(self) -> bool:
        return not self.text


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        stripped = body.strip()
        lines.append(_Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw)
    return lines


_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
_BULLET = re.compile(r"^([•*\-–·]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)]*$")


def _title_case(text: str) -> bool:
    """Headings capitalise most long words; a lead-in sentence ("This offers two benefits:") does not."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text) if len(w) > 3]
    return not words or sum(w[0].isupper() for w in words) * 2 >= len(words)


def _looks_like_heading(lines: list[_Line], i: int, raw_text: str) -> bool:
    """Plain-text heading: short, alone between blank lines, not indented, no full stop."""
    line = lines[i]
    if line.blank or len(line.text.split()) > 12 or _SENTENCE_END.search(line.text):
        return False
    if _BULLET.match(line.text) and not _NUMBERED.match(line.text):
        return False
    if line.start > 0 and raw_text[line.start - 1] not in "\n":  # indented
        return False
    if not (line.text[0].isupper() or line.text[0].isdigit()) or not _title_case(line.text):
        return False
    before_blank = i == 0 or lines[i - 1].blank
    after_blank = i + 1 >= len(lines) or lines[i + 1].blank
    return before_blank and after_blank


class _Walker:
    """Walks the lines of one document, tracking the current treatment and heading path."""

    def __init__(self, doc: SourceDocument, rules: StructureRules) -> None:
        self.doc = doc
        self.rules = rules
        self.text = doc.text
        self.lines = _lines(doc.text)
        self.explicit = self._explicit_headings()
        self.has_known_treatments = self._has_known_treatments()
        self.doc_title = ""
        self.treatment = ""
        self.title = ""
        self.path: list[str] = []
        self.in_plan = False
        self.in_table = False
        self.pending_break = False
        self.blocks: list[Block] = []

    def _explicit_headings(self) -> dict[int, tuple[int, str]]:
        """Line index -> (level, heading text) for formats that mark their headings."""
        found: dict[int, tuple[int, str]] = {}
        for heading in self.doc.headings:
            for i, line in enumerate(self.lines):
                if line.start <= heading.start <= line.end and not line.blank:
                    found[i] = (heading.level, self.text[heading.start : heading.end].strip())
                    break
        return found

    def _heading_candidates(self) -> list[int]:
        if self.doc.kind == "text":
            return [i for i in range(len(self.lines)) if _looks_like_heading(self.lines, i, self.text)]
        return sorted(self.explicit)

    def _has_known_treatments(self) -> bool:
        return any(
            self.rules.match_treatment(_strip_number(self.explicit.get(i, (0, self.lines[i].text))[1]))
            for i in self._heading_candidates()
        )

    def run(self) -> list[Block]:
        headings = set(self._heading_candidates())
        paragraph: list[_Line] = []
        for i, line in enumerate(self.lines):
            if line.blank:
                self._flush(paragraph)
                paragraph = []
                continue
            if self.rules.footer.fullmatch(line.text):
                break
            if self.rules.placeholder.fullmatch(line.text):
                self._flush(paragraph)
                paragraph = []
                self.pending_break = True
                continue
            if i in headings:
                self._flush(paragraph)
                paragraph = []
                level, text = self.explicit.get(i, (None, line.text))
                self._heading(text, level)
                continue
            if self.in_table and self._table_row(line):
                continue
            if _BULLET.match(line.text):
                self._flush(paragraph)
                paragraph = []
                self._add("bullet", line.start, line.end)
                continue
            paragraph.append(line)
        self._flush(paragraph)
        return self.blocks

    def _heading(self, raw: str, level: int | None) -> None:
        text = _strip_number(raw).rstrip(":").strip()
        known = self.rules.match_treatment(text)
        if not self.doc_title:
            self.doc_title = text
            self.title = text
            self.treatment = self.rules.overview_id if self.has_known_treatments else slugify(text)
            return
        if known and not self.in_plan:
            treatment, _ = known
            if treatment.id == self.treatment and level is None:
                return  # a repeated title (an image caption in the guide) is not a new section
            self.treatment, self.title, self.path, self.in_table = treatment.id, text, [text], False
            return
        if any(_normalise(text).startswith(_normalise(s)) for s in self.rules.plan_starts):
            self.in_plan, self.in_table = True, False
            self.treatment, self.title, self.path = self.rules.plan_id, text, [text]
            return
        if self.rules.table_heading in text.lower() and not self.in_plan:
            self.in_table, self.path = True, [text]
            return
        if level is not None:  # explicit levels: 1 is the title, 2 a top-level part
            if level <= 2 and not self.in_plan and not self.has_known_treatments:
                self.treatment, self.title, self.path = slugify(text), text, [text]
            else:
                depth = max(1, level - 2) if self.path else 0
                self.path = self.path[:depth] + [text]
            return
        # Plain text: "Practical Examples:" nests under the subsection before it.
        if raw.endswith(":") and len(self.path) >= 2:
            self.path = self.path[:2] + [text]
        else:
            self.path = self.path[:1] + [text]

    def _table_row(self, line: _Line) -> bool:
        markers = [m for _, m in self.rules.table_columns]
        if sum(m in line.text for m in markers) < 2:
            return False
        known = self.rules.match_treatment(line.text)
        if not known:
            return True  # the header row: column names only, not content
        treatment, prefix = known
        cells = _split_row(self.text, line, len(prefix), self.rules.table_columns)
        row_name = prefix.strip()
        title = next((b.title for b in self.blocks if b.treatment == treatment.id), row_name)
        self.blocks.append(
            Block("table_row", line.start, line.end, treatment.id, title, tuple(self.path) + (row_name,), cells, True)
        )
        self.pending_break = True
        return True

    def _flush(self, paragraph: list[_Line]) -> None:
        if paragraph:
            self._add("paragraph", paragraph[0].start, paragraph[-1].end)

    def _add(self, kind: str, start: int, end: int) -> None:
        treatment, title, section = self.treatment, self.title, tuple(self.path) or (self.doc_title,)
        body = self.text[start:end].lower()
        if any(marker in body for marker in self.rules.clinic_markers):
            treatment, title = self.rules.clinic_id, self.rules.names.get(self.rules.clinic_id, "About the clinic")
        if not treatment:  # text before any heading
            treatment = slugify(self.doc.path.stem)
            title = self.doc.path.stem
        brk = self.pending_break or (self.blocks and self.blocks[-1].kind == "table_row")
        self.blocks.append(Block(kind, start, end, treatment, title or self.doc_title, section, (), bool(brk)))
        self.pending_break = False


def _strip_number(text: str) -> str:
    m = _NUMBERED.match(text)
    return m.group(2) if m else text


def _split_row(text: str, line: _Line, name_len: int, columns: tuple[tuple[str, str], ...]) -> tuple[Cell, ...]:
    """Cut a comparison-table row into its cells by the column markers.

    A cell runs to its marker plus any parenthesis right after it ("Minimal ⚡ (no
    equipment or meds needed)"). A column whose marker the row lacks shares its
    span with the next one; they are split where a new capitalised phrase starts.
    """
    pos = line.start + name_len
    end = line.end
    cells: list[Cell] = []
    pending: list[str] = []
    for name, marker in columns:
        at = text.find(marker, pos, end)
        if at < 0:
            pending.append(name)
            continue
        cell_end = at + len(marker)
        paren = re.match(r"\s*\([^)]*\)", text[cell_end:end])
        if paren:
            cell_end += paren.end()
        spans = _split_capitalised(text, pos, cell_end, len(pending) + 1)
        for col, (s, e) in zip(pending + [name], spans):
            cells.append(Cell(col, s, e))
        pending = []
        pos = cell_end
    return tuple(c for c in (_trim(text, c) for c in cells) if c.end > c.start)


def _split_capitalised(text: str, start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """Split text[start:end] into ``parts`` spans at the first lowercase→Capitalised word joins."""
    if parts == 1:
        return [(start, end)]
    cuts = [start + m.start() + 1 for m in re.finditer(r"(?<=[a-z]) (?=[A-Z][a-z])", text[start:end])]
    cuts = cuts[: parts - 1]
    bounds = [start] + cuts + [end]
    spans = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    return spans + [(end, end)] * (parts - len(spans))


def _trim(text: str, cell: Cell) -> Cell:
    s, e = cell.start, cell.end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return Cell(cell.column, s, e)


def parse_structure(doc: SourceDocument, rules: StructureRules | None = None) -> list[Block]:
    """Split a document into labelled blocks (see the module docstring)."""
    return _Walker(doc, rules or StructureRules.load()).run()
