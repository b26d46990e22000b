"""Checks on what a client sends to ``POST /api/ask``, with messages that say what to fix.

The assistant itself tolerates anything (it skips malformed turns), but a client
that sends a malformed conversation should hear about it rather than get
answers that silently ignore its history. An empty or blank ``message`` is *not*
an error: the assistant has a reply for it, referral included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ROLES = ("user", "assistant")


class InvalidRequest(ValueError):
    """The request is malformed; ``str(exc)`` is the message returned as ``{"error": ...}``."""


@dataclass(frozen=True)
class AskRequest:
    message: str
    history: list[dict[str, Any]]


def parse_json(body: bytes) -> Any:
    """Decode a JSON body (UTF-8), or raise ``InvalidRequest``."""
    if not body.strip():
        raise InvalidRequest('the request body is empty; send JSON like {"message": "ice or heat first?", "history": []}')
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidRequest(f"the request body is not valid JSON{where}") from None


def validate_ask(payload: Any, max_message_chars: int, max_history_messages: int) -> AskRequest:
    """Check the ``{"message", "history"}`` object; history content may be a string or a list of text blocks."""
    if not isinstance(payload, dict):
        raise InvalidRequest('the request body must be a JSON object like {"message": "...", "history": [...]}')
    if "message" not in payload:
        raise InvalidRequest('"message" is missing')
    message = payload["message"]
    if not isinstance(message, str):
        raise InvalidRequest(f'"message" must be a string, not {_json_type(message)}')
    if len(message) > max_message_chars:
        raise InvalidRequest(f'"message" is {len(message):,} characters long; the limit is {max_message_chars:,}')
    history = payload.get("history")
    if history is None:
        return AskRequest(message, [])
    if not isinstance(history, list):
        raise InvalidRequest(f'"history" must be a list of {{"role", "content"}} objects, not {_json_type(history)}')
    if len(history) > max_history_messages:
        raise InvalidRequest(f'"history" has {len(history)} messages; the limit is {max_history_messages} (send the most recent ones)')
    for i, turn in enumerate(history):
        _check_turn(i, turn)
    return AskRequest(message, history)


def _check_turn(i: int, turn: Any) -> None:
    where = f"history[{i}]"
    if not isinstance(turn, dict):
        raise InvalidRequest(f'{where} must be an object with "role" and "content", not {_json_type(turn)}')
    role = turn.get("role")
    if role not in ROLES:
        raise InvalidRequest(f'{where}.role must be "user" or "assistant", not {json.dumps(role)[:40]}')
    if "content" not in turn:
        raise InvalidRequest(f'{where}.content is missing')
    content = turn["content"]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of text blocks, not {_json_type(content)}")
    for j, block in enumerate(content):
        ok = isinstance(block, dict) and block.get("type", "text") == "text" and isinstance(block.get("text"), str)
        if not ok:
            raise InvalidRequest(f'{where}.content[{j}] must be a text block like {{"type": "text", "text": "..."}}')


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
