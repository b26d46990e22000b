"""Texts the web front shows besides the assistant's replies.

The referral and error texts come from the assistant's own prompts
(``prompts/*.md``, edited by the clinic), so a reply the front has to make by
itself (rate-limited, message too long, network down in the widget) still
carries the same referral a patient gets everywhere else.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("webapp.texts")

EXAMPLE_QUESTIONS = (
    "Should I use ice or heat first?",
    "Is it better to rest in bed or keep moving?",
    "Which treatments don't need any medication?",
    "How can massage help a back spasm?",
)

_FALLBACK_REFERRAL = (
    "**When to get help:** call {emergency_number} now if you have numbness around your genitals or bottom, "
    "new trouble peeing or controlling your bladder or bowels, or weakness in both legs. Otherwise see a doctor "
    "or physiotherapist if your spasms are severe or not improving. This assistant is not a diagnosis."
)


def safety_texts(service: Any, emergency_number: str) -> dict[str, str]:
    """The referral and error texts as the assistant renders them (a built-in referral if it cannot)."""
    texts = {"referral": _FALLBACK_REFERRAL.format(emergency_number=emergency_number), "error": "Sorry, something went wrong. Please try again."}
    try:
        prompts = service.assistant.prompts
        texts["referral"] = prompts.render("referral")
        texts["error"] = prompts.render("error")
    except Exception as exc:  # a stand-in service in a test, say: keep the built-in texts
        log.debug("using built-in referral text: %s", exc)
    return texts
