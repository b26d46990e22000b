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

from contracts import Part, PartKind
from rules.locale import DEFAULT_LANGUAGE, prompts_dir
from settings import Settings

CLINIC = frozenset({"clinic_name", "emergency_number", "crisis_line", "poison_control", "booking_url", "clinic_phone"})
SIGNS = CLINIC | {"signs"}

# Every text the assistant uses, with the placeholders it may contain: the clinic's
# settings everywhere, and {signs} (what was recognised, in plain words) in safety texts.
SAFETY_TEXTS = (
    "emergency_nerves", "emergency_heart", "emergency_aorta", "emergency_injury", "emergency_overdose",
    "emergency_bleeding", "emergency_stroke", "emergency_meningitis",
    "crisis", "crisis_plan", "urgent", "urgent_pregnancy", "urgent_child", "urgent_not_spasm",
)  # fmt: skip
# The cautions that lead a medicine answer when a risk applies (data/<lang>/medicine_risks.toml names them).
RISK_TEXTS = (
    "risk_pregnancy", "risk_breastfeeding", "risk_child", "risk_animal", "risk_stomach", "risk_anticoagulant",
    "risk_kidney", "risk_liver", "risk_heart", "risk_asthma", "risk_older", "risk_sedatives", "risk_interaction",
    "risk_drinking",
)  # fmt: skip
PLACEHOLDERS: dict[str, frozenset[str]] = {
    **{name: SIGNS for name in SAFETY_TEXTS},
    "someone_else": CLINIC,
    "language_notice": CLINIC,
    **{name: CLINIC for name in RISK_TEXTS},
    "label_limit": CLINIC,
    "label_limit_two_nsaid": CLINIC,
    "not_covered": CLINIC | {"medicine"},
    "non_medicine_options": CLINIC,
    "referral": CLINIC,
    "out_of_scope": CLINIC,
    "greeting": CLINIC,
    "thanks": CLINIC,
    "clinic_info": CLINIC | {"topic", "details"},
    "clinic_contact": CLINIC | {"topic", "contact"},
    "clinic_arrange": CLINIC | {"topic", "contact"},
    "not_in_guide": CLINIC | {"subject"},
    "nearest_in_guide": CLINIC | {"subject"},
    "guide_silent": CLINIC,
    "nearest_general": CLINIC,
    "clinic_question": CLINIC | {"contact"},
    "complaint": CLINIC,
    "medication_caution": CLINIC,
    "no_answer": CLINIC,
    "dose_decline": CLINIC,
    "dose_not_in_guide": CLINIC,
    "amount_not_in_guide": CLINIC,
    "empty_input": CLINIC,
    "error": CLINIC,
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
            "crisis_line": settings.clinic.crisis_line,
            "poison_control": settings.clinic.poison_control,
            "booking_url": settings.clinic.booking_url,
            "clinic_phone": settings.clinic.phone,
        }
        return cls(templates, clinic, language)

    def render(self, name: str, **values: str) -> str:
        """The text ``name`` with the clinic's settings and ``values`` filled in."""
        fields = {**self.clinic, **values}
        return self.templates[name].format_map(_Blank(fields))

    def part(self, kind: PartKind, name: str, **values: str) -> Part:
        """The text ``name`` as one block of a reply, which remembers the prompt it came from."""
        return Part(kind, self.render(name, **values), name)


class _Blank(dict):
    """format_map helper: a placeholder with no value becomes empty rather than raising mid-reply."""

    def __missing__(self, key: str) -> str:
        return ""
