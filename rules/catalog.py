"""The single sources other files refer to: treatment ids (``data/structure.toml``) and medicines
(``data/medicines.toml``). The readers in :mod:`rules.files` check every treatment id a file names
against them, so a typo ("nsiads") stops start-up with its file and line instead of loading silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rules.files import MedicinesData, StructureData, read_medicines, read_structure


@dataclass(frozen=True)
class Catalog:
    """Treatment ids with their names, and the vocabulary of medicines."""

    structure: StructureData
    medicines: MedicinesData

    @property
    def treatments(self) -> dict[str, str]:
        return self.structure.ids


@cache
def load_catalog() -> Catalog:
    return Catalog(read_structure(), read_medicines())
