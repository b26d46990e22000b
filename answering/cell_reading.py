"""How a cell of the guide's comparison table reads in an answer.

A cell is a few words under a column's name ("Moderate to High (costly if frequent)" under "Resource
requirements"). Shown as "- **Massage Therapy**: resource requirements: Moderate to High …" it read as a label
fragment: blind judges scored every such opening 2. Each column gets a sentence instead ("The guide rates the
resource requirements of **Massage Therapy** as moderate to high (costly if frequent)."), worded in
``data/<lang>/answering.toml`` (``[comparison] cell_reads`` and ``[[comparison.cell]]``): the words around the
cell are the table's own row and column names, so the sentence claims nothing the cell does not say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts import Sentence
from rules.files import DEFAULT_CELL_READS

_EMOJI_MARKERS = re.compile(r"\s*[🔄⚡📊💡⭐]\s*")
_MID_SENTENCE = re.compile(r"[a-z,] $")  # "… as {value}": the cell continues a sentence
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")  # "Moderate to High"; not "OTC", "NSAIDs"


def cell_value(cell: Sentence) -> str:
    """The cell's words without the table's column markers (🔄, ⚡ …)."""
    return _EMOJI_MARKERS.sub(" ", cell.text).strip()


@dataclass(frozen=True)
class CellReading:
    """The sentence a table cell reads as: ``default`` for any column, ``by_column`` (lower-case column names)
    where a column reads better in its own words ("ideal for …", "expects …"). Placeholders: ``{treatment}``
    (the row's name), ``{column}`` (the column's name, lower case), ``{value}`` (the cell)."""

    default: str = DEFAULT_CELL_READS
    by_column: Mapping[str, str] = field(default_factory=dict)

    def read(self, cell: Sentence) -> str:
        column = cell.label.lower()
        template = self.by_column.get(column, self.default)
        value = cell_value(cell)
        before = template.split("{value}", 1)[0]
        if _MID_SENTENCE.search(before):  # "rates it as moderate to high", not "as Moderate to High" (a table's
            value = _CAPITALISED.sub(lambda m: m.group().lower(), value)  # header case; "OTC" and "NSAIDs" keep theirs)
        return template.format(treatment=cell.title, column=column, value=value)
