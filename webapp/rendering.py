"""How one reply looks on the chat page: its parts styled apart, its sources expandable.

The ``Answer`` comes with ``parts`` (emergency, urgent, answer, sources, caution,
referral…), so the page can make the emergency notice unmistakable and the
referral a distinct notice without parsing text. The sources part is drawn from
the citations instead of its Markdown, so each entry can expand to its verbatim
quote. ``steps`` yields the reply as it grows, sentence by sentence for the
answer itself, whole for every safety text (a half-shown emergency notice helps
nobody).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from webapp.markdown import SAFETY_KINDS, escape, link_phone_numbers, to_html

STREAMED_KINDS = frozenset({"answer", "cross"})
_MARKER_END = re.compile(r"\[\d{1,3}\](?=\s|$)")

# The wrapper element and ARIA role of each part; anything unknown is shown plainly.
_PART_TAGS: dict[str, tuple[str, str]] = {
    "emergency": ("section", ' role="alert"'),
    "crisis": ("section", ' role="alert"'),
    "urgent": ("section", ' role="alert"'),
    "referral": ("aside", ' role="note"'),
}


def guide_link(guide_url: str, quote_text: str) -> str:
    """A link to the quoted passage in the clinic's published guide (a text fragment of its first words)."""
    fragment = quote(" ".join(quote_text.split()[:6]), safe="")
    return f"{guide_url}#:~:text={fragment}"


def source_label(citation: dict[str, Any]) -> str:
    """"Heat and Cold Therapy › Practical Examples": the section path, or the treatment when it has none."""
    return str(citation.get("section") or citation.get("treatment") or citation.get("source") or "the guide")


@dataclass(frozen=True)
class ReplyRenderer:
    """Turns an answer's JSON form (``Answer.to_dict()``) into the chat page's HTML."""

    guide_url: str = ""
    phone_numbers: tuple[str, ...] = ()  # the emergency, crisis and poison numbers: tap-to-call in safety texts

    def html(self, reply: dict[str, Any]) -> str:
        """The finished reply."""
        *_, last = self.steps(reply)
        return last

    def steps(self, reply: dict[str, Any]) -> Iterator[str]:
        """The reply as it is composed: one HTML string per step, the last one complete."""
        parts: Sequence[dict[str, str]] = reply.get("parts") or [{"kind": "answer", "markdown": reply.get("answer", "")}]
        done: list[str] = []
        for part in parts:
            kind = part.get("kind", "answer")
            if kind in STREAMED_KINDS:
                text = part.get("markdown", "")
                cuts = [m.end() for m in _MARKER_END.finditer(text)]
                if not cuts or cuts[-1] < len(text.rstrip()):
                    cuts.append(len(text))
                for cut in cuts[:-1]:
                    yield self._wrap(reply, done + [self._part(kind, text[:cut], reply)])
                done.append(self._part(kind, text, reply))
            else:
                done.append(self._part(kind, part.get("markdown", ""), reply, part.get("prompt", "")))
            yield self._wrap(reply, done)

    def _wrap(self, reply: dict[str, Any], parts: list[str]) -> str:
        kind = re.sub(r"[^a-z_]", "", str(reply.get("kind", "answer")))
        triage = re.sub(r"[^a-z]", "", str(reply.get("triage", "none")))
        return f'<div class="bs-reply bs-kind-{kind} bs-triage-{triage}">' + "".join(parts) + "</div>"

    def _part(self, kind: str, markdown: str, reply: dict[str, Any], prompt: str = "") -> str:
        if kind == "sources":
            return self.sources(reply.get("citations") or [])
        tag, role = _PART_TAGS.get(kind, ("section", ""))
        css = re.sub(r"[^a-z_]", "", kind) or "answer"
        body = to_html(markdown)
        if kind in SAFETY_KINDS:
            body = link_phone_numbers(body, list(self.phone_numbers))
        named = re.sub(r"[^a-z_]", "", prompt)
        which = f" bs-prompt-{named}" if named else ""  # which clinic text: "risk_pregnancy" (a class: the chat sanitises attributes)
        return f'<{tag} class="bs-part bs-{css}{which}"{role}>{body}</{tag}>'

    def sources(self, citations: Sequence[dict[str, Any]]) -> str:
        """The numbered sources; each entry opens to its verbatim quote (and a link to the guide when configured)."""
        if not citations:
            return ""
        items = []
        for c in citations:
            n = int(c.get("n", len(items) + 1))
            quote_text = str(c.get("quote", ""))
            quote_html = "<br>".join(escape(line.strip()) for line in quote_text.splitlines() if line.strip())
            link = ""
            if self.guide_url:
                href = escape(guide_link(self.guide_url, quote_text))
                link = f'<p class="bs-source-link"><a href="{href}" target="_blank" rel="noopener noreferrer">Read this in the guide</a></p>'
            items.append(
                f'<li class="bs-source"><details><summary><span class="bs-source-n">[{n}]</span> '
                f'<span class="bs-source-label">{escape(source_label(c))}</span></summary>'
                f'<blockquote class="bs-quote">{quote_html}</blockquote>{link}</details></li>'
            )
        return '<section class="bs-part bs-sources"><h4 class="bs-sources-title">Sources</h4><ol class="bs-source-list">' + "".join(items) + "</ol></section>"
