"""Messages as they arrive from Gradio, the API or the evaluation set, made uniform.

Gradio 6 may send a message's content as a list of blocks
(``[{"type": "text", "text": …}]``); clients may send anything. Answering only
ever sees plain ``{"role", "content": str}`` turns, the last few of them
(``[answer] history_turns``); safety reads every user message itself.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from contracts import Message, content_text

ROLES = ("user", "assistant")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters and normalise Unicode, keeping the words as written.

    JSON may carry lone surrogates ("\\ud800"), which no encoder accepts: they become "?".
    """
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def message_text(message: Any) -> str:
    """The cleaned text of a message, whatever shape its content came in."""
    return clean_text(message if isinstance(message, str) else content_text(message))


def normalise_history(history: Any, max_turns: int) -> list[Message]:
    """The last ``max_turns`` well-formed turns; anything malformed is skipped, never fatal."""
    if not isinstance(history, (list, tuple)):
        return []
    turns: list[Message] = []
    for turn in history[-max_turns * 4 :]:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES:
            continue
        text = clean_text(content_text(turn.get("content")))
        if text:
            turns.append(cast(Message, {"role": turn["role"], "content": text}))
    return turns[-max_turns:]


def user_turns(history: list[Message]) -> list[str]:
    """The patient's earlier messages, most recent first."""
    return [t["content"] for t in reversed(history) if t["role"] == "user"]


def last_reply(history: list[Message]) -> str:
    """The assistant's reply to the patient's newest earlier message ("" when none came back)."""
    for turn in reversed(history):
        if turn["role"] == "user":
            return ""
        if turn["role"] == "assistant":
            return turn["content"]
    return ""
