"""The texts the clinic edits (``prompts/<lang>/*.md``), loaded and checked once at start-up.

Each text is Markdown with ``{placeholders}``. A missing file or a placeholder
the code does not fill is an error when the assistant starts, never a broken
reply in front of a patient. Another language's folder holds the texts it has
translated; any other is read from English.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from rules.locale import DEFAULT_LANGUAGE, prompts_dir
from settings import Settings

# Every text the assistant uses, with the placeholders it may contain.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "referral": frozenset({"clinic_name", "emergency_number", "booking_url"}),
    "emergency": frozenset({"clinic_name", "emergency_number", "signs"}),
    "urgent": frozenset({"clinic_name", "emergency_number", "signs"}),
    "urgent_pregnancy": frozenset({"clinic_name", "emergency_number"}),
    "out_of_scope": frozenset({"clinic_name", "booking_url"}),
    "greeting": frozenset({"clinic_name", "booking_url"}),
    "medication_caution": frozenset({"clinic_name"}),
    "no_answer": frozenset({"clinic_name", "booking_url"}),
    "dose_decline": frozenset({"clinic_name"}),
    "empty_input": frozenset({"clinic_name"}),
    "error": frozenset({"clinic_name", "emergency_number"}),
}


class PromptError(ValueError):
    """A prompt file is missing, unreadable, or uses a placeholder nobody fills."""


@dataclass(frozen=True)
class Prompts:
    """The loaded texts, with the clinic's settings already filled in where they are fixed."""

    templates: dict[str, str]
    clinic: dict[str, str]
    language: str = DEFAULT_LANGUAGE

    @classmethod
    def load(cls, settings: Settings, language: str = DEFAULT_LANGUAGE, directory: Path | None = None) -> Prompts:
        templates: dict[str, str] = {}
        for name, allowed in PLACEHOLDERS.items():
            own = (directory or prompts_dir(language)) / f"{name}.md"
            path = own if own.exists() or directory is not None else prompts_dir(DEFAULT_LANGUAGE) / f"{name}.md"
            try:
                text = path.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                raise PromptError(f"{path}: missing; restore it from git or write a new one") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise PromptError(f"{path}: unreadable ({exc})") from None
            if not text:
                raise PromptError(f"{path}: empty")
            try:
                used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
            except ValueError as exc:
                raise PromptError(f"{path}: malformed placeholder ({exc}); write literal braces as {{{{ and }}}}") from None
            unknown = used - allowed
            if unknown:
                raise PromptError(
                    f"{path}: unknown placeholder(s) {', '.join(sorted('{' + u + '}' for u in unknown))}; "
                    f"this text may use {', '.join(sorted('{' + a + '}' for a in allowed))}"
                )
            templates[name] = text
        clinic = {
            "clinic_name": settings.clinic.name,
            "emergency_number": settings.clinic.emergency_number,
            "booking_url": settings.clinic.booking_url,
        }
        return cls(templates, clinic, language)

    def render(self, name: str, **values: str) -> str:
        """The text ``name`` with the clinic's settings and ``values`` filled in."""
        fields = {**self.clinic, **values}
        return self.templates[name].format_map(_Blank(fields))


class _Blank(dict):
    """format_map helper: a placeholder with no value becomes empty rather than raising mid-reply."""

    def __missing__(self, key: str) -> str:
        return ""
