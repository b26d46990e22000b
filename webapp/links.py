"""The links a patient can act on, all from ``config.toml [clinic]``: call, book, read the guide.

One place decides which configured values become links (only ``http(s)`` URLs, only
numbers with a digit), so the chat page, its header and the widget offer the same
actions. A value left empty offers nothing: no link that leads nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from settings import Settings

_SAFE_URL = ("https://", "http://")


def web_url(value: str) -> str:
    """The URL when it is an http(s) address, else "" (a ``javascript:`` URL never becomes a link)."""
    value = value.strip()
    return value if value.lower().startswith(_SAFE_URL) and not re.search(r"\s", value) else ""


def tel_href(number: str) -> str:
    """A ``tel:`` link for a number as the clinic writes it ("1-800-222-1222", "116 123")."""
    return "tel:" + re.sub(r"[^\d+]", "", number)


def guide_link(guide_url: str, quote_text: str) -> str:
    """A link to the quoted passage in the clinic's published guide (a text fragment of its first words)."""
    fragment = quote(" ".join(quote_text.split()[:6]), safe="")
    return f"{guide_url}#:~:text={fragment}"


@dataclass(frozen=True)
class ClinicLinks:
    booking_url: str = ""
    guide_url: str = ""
    phone: str = ""  # the clinic's own number ("Call the clinic")
    safety_numbers: tuple[str, ...] = ()  # emergency, crisis line, Poison Help: tap-to-call wherever a safety text shows them
    visit_topics: frozenset[str] = field(default_factory=frozenset)  # answers citing these offer "Book / call the clinic"

    @classmethod
    def from_settings(cls, settings: Settings) -> ClinicLinks:
        clinic = settings.clinic
        numbers = (clinic.emergency_number, clinic.crisis_line, clinic.poison_control)
        return cls(
            booking_url=web_url(clinic.booking_url),
            guide_url=web_url(clinic.guide_url),
            phone=clinic.phone.strip() if re.search(r"\d", clinic.phone) else "",
            safety_numbers=tuple(n for n in numbers if re.search(r"\d", n)),
            visit_topics=frozenset(clinic.visit_topics),
        )

    @property
    def can_visit(self) -> bool:
        """Whether there is any way to reach the clinic to offer."""
        return bool(self.booking_url or self.phone)

    def suggests_visit(self, reply: dict[str, Any]) -> bool:
        """Whether a reply should end with "Book / call the clinic".

        Answers that cite a hands-on treatment (physiotherapy, massage…), that found nothing
        in the guide, or that answer a question about the clinic itself do; a reply with a red flag never does: it already says whom to call, and
        a booking link next to "call 911 now" or "see a doctor today" would point the wrong way.
        """
        if not self.can_visit or reply.get("triage", "none") != "none":
            return False
        if reply.get("kind") in ("no_answer", "clinic"):
            return True
        cited = {str(c.get("treatment", "")) for c in reply.get("citations") or []}
        return bool(cited & self.visit_topics)
