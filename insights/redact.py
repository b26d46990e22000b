"""Take the obvious identifiers out of a patient's words before the clinic may keep them.

Only used when ``[privacy] store_questions`` is on. It is a safety net, not
anonymisation: it removes what patients most often type about themselves
(email addresses, phone numbers, long numbers such as record or card numbers,
and a name introduced by "my name is…"), so that what is kept is the question,
not the person. Each is replaced by a bracketed placeholder, so the clinic can
see that something was there.
"""

from __future__ import annotations

import re

MAX_STORED_CHARS = 1_000  # a question longer than this is clipped: the clinic needs the gist, not a life story

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Seven or more digits, possibly split by spaces, dots, dashes or brackets, possibly after a "+": phone numbers.
PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")
# Five or more digits in a row (a record, card or postcode number); shorter ones ("400 mg", "20 minutes") stay.
DIGITS = re.compile(r"\d{5,}")
# Words that end a name: what usually follows it in a sentence ("my name is Ann and my back…").
_NOT_NAME = (
    "and but or so i i'm im my me with from who have has had got am is was are were the a an "
    "age aged years year yo here again please thanks thank at on in back if when now later"
).split()
_STOP = "|".join(re.escape(w) for w in _NOT_NAME)
_WORD = rf"(?!(?:{_STOP})\b)[^\W\d_][\w'’-]*"
MAX_NAME_WORDS = 4
# "my name is Ann Lee", "my name's ann", "I'm called Ann", "call me Ann": the intro stays, up to four words go.
NAME = re.compile(
    r"\b(my\s+name\s+is|my\s+name's|my\s+name’s|i\s+am\s+called|i'm\s+called|im\s+called|call\s+me)\s+"
    rf"((?:(?:dr|mr|mrs|ms|miss)\.?[ \t]+)?{_WORD}(?:[ \t]+{_WORD}){{0,{MAX_NAME_WORDS - 1}}})",
    re.IGNORECASE | re.UNICODE,
)
_UNWRITABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database stores them as text


def redact(text: str) -> str:
    """``text`` with emails, phone numbers, long digit runs and introduced names replaced, clipped, and storable."""
    text = _UNWRITABLE.sub("", text)[: MAX_STORED_CHARS * 2]
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub("[phone]", text)
    text = DIGITS.sub("[number]", text)
    text = _redact_names(text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_STORED_CHARS else text[: MAX_STORED_CHARS - 1] + "…"


def _redact_names(text: str) -> str:
    """Replace the one to four words after each "my name is" (and the like) with ``[name]``."""
    return NAME.sub(lambda m: f"{m.group(1)} [name]", text)
