"""The short texts around the replies (labels, buttons, notices) from ``prompts/en/interface.toml``.

They are the clinic's words, like the replies' texts in ``prompts/<lang>/*.md``, so
they live beside them and not in the code. The file is read and checked once at
start-up: a missing key or an unknown placeholder stops the server with the file
and the key named, never a blank button in front of a patient. The chat page and
the widget get the same texts (the widget and the page's script as JSON).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic.feedback import REASONS
from settings import PROJECT_ROOT, Settings
from webapp.rendering import ReplyTexts

INTERFACE_FILE = PROJECT_ROOT / "prompts" / "en" / "interface.toml"

# Every key the pages use, by table.
KEYS: dict[str, tuple[str, ...]] = {
    "page": ("subtitle", "assistant_label", "welcome", "emergency_line", "pending"),
    "input": ("label", "placeholder", "send", "counter", "too_long"),
    "menu": ("button", "new_conversation", "confirm", "confirm_yes", "confirm_no"),
    "referral": ("more",),
    "sources": ("title", "read_in_guide"),
    "actions": ("label", "book", "call"),
    "feedback": ("question", "up", "down", "thanks", "reason_prompt", "reason_thanks", "failed"),
    "widget": ("open", "close", "title"),
}
FILLED = ("clinic_name", "emergency_number", "crisis_line", "phone")  # from config.toml, once
LIVE = ("count", "limit")  # filled by the page as the patient types


class InterfaceError(ValueError):
    """The interface texts file is missing, malformed, or lacks a key."""


@dataclass(frozen=True)
class Interface:
    """The texts, ``[table][key]``, with the clinic's settings filled in (``{count}``/``{limit}`` left for the page)."""

    texts: Mapping[str, Mapping[str, Any]]

    def text(self, table: str, key: str) -> str:
        return str(self.texts[table][key])

    @property
    def reasons(self) -> dict[str, str]:
        """Why a thumbs-down, as the feedback store's key → the chip's label, in the store's order."""
        labels = self.texts["feedback"]["reasons"]
        return {key: str(labels[key]) for key in REASONS}

    def reply_texts(self) -> ReplyTexts:
        """The labels the chat page's replies show."""
        return ReplyTexts(
            referral_more=self.text("referral", "more"),
            sources=self.text("sources", "title"),
            read_in_guide=self.text("sources", "read_in_guide"),
            actions=self.text("actions", "label"),
            book=self.text("actions", "book"),
            call=self.text("actions", "call"),
        )

    def for_page(self) -> dict[str, Any]:
        """Everything, as plain dicts for JSON (the page's script and the widget read it)."""
        return {table: dict(values) for table, values in self.texts.items()}


def load_interface(settings: Settings, path: Path = INTERFACE_FILE) -> Interface:
    """Read and check the file; fill in the clinic's name and numbers."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InterfaceError(f"{path}: missing; restore it from git") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InterfaceError(f"{path}: unreadable ({exc})") from None
    clinic = settings.clinic
    values = {"clinic_name": clinic.name, "emergency_number": clinic.emergency_number, "crisis_line": clinic.crisis_line, "phone": clinic.phone}
    texts: dict[str, dict[str, Any]] = {}
    for table, keys in KEYS.items():
        section = raw.get(table)
        if not isinstance(section, dict):
            raise InterfaceError(f"{path}: the table [{table}] is missing")
        texts[table] = {key: _fill(path, f"[{table}] {key}", section.get(key), values) for key in keys}
    reasons = raw.get("feedback", {}).get("reasons")
    if not isinstance(reasons, dict):
        raise InterfaceError(f"{path}: the table [feedback.reasons] is missing")
    texts["feedback"]["reasons"] = {key: _fill(path, f"[feedback.reasons] {key}", reasons.get(key), values) for key in REASONS}
    return Interface(texts)


def _fill(path: Path, where: str, text: Any, values: dict[str, str]) -> str:
    """One text with the clinic's values in; ``{count}`` and ``{limit}`` stay for the page to fill."""
    if not isinstance(text, str) or not text.strip():
        raise InterfaceError(f"{path}: {where} is missing or empty")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise InterfaceError(f"{path}: {where}: malformed placeholder ({exc})") from None
    unknown = used - set(FILLED) - set(LIVE)
    if unknown:
        allowed = ", ".join("{" + n + "}" for n in (*FILLED, *LIVE))
        raise InterfaceError(f"{path}: {where}: unknown placeholder(s) {', '.join(sorted(unknown))}; use {allowed}")
    return text.strip().format_map({**values, **{name: "{" + name + "}" for name in LIVE}})
