"""Safety runs first, on every message, and never depends on retrieval: which tier a conversation is.

``red_flags`` finds the signs written in ``data/<lang>/red_flags.toml`` and
``context`` sets aside negated, hypothetical and other people's mentions;
``triage`` combines what the signals found over every user message of the
conversation into one tier (emergency > crisis > urgent > none). Nothing here
imports the answering pipeline or the web front.
"""
