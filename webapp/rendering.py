"""How one reply looks on the chat page: its parts styled apart, its sources expandable.

The ``Answer`` comes with ``parts`` (emergency, urgent, answer, sources, caution,
referral…), so the page can make the emergency notice unmistakable and the
referral a distinct notice without parsing text. The sources part is drawn from
the citations instead of its Markdown, so each entry can expand to its verbatim
quote. ``steps`` yields the reply as it grows, sentence by sentence for the
answer itself, whole for every safety text (a half-shown emergency notice helps
nobody).

The referral ends every reply. Shown in full under each one it was often longer
than the answer, so after the first reply of a conversation it is compact: its
first paragraph (the emergency line) always shown, the rest one tap away. The
reply's Markdown (what the API returns and the conversation keeps) is untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.links import ClinicLinks, guide_link, tel_href
from webapp.markdown import SAFETY_KINDS, escape, link_phone_numbers, to_html

STREAMED_KINDS = frozenset({"answer", "cross"})
_MARKER_END = re.compile(r"\[\d{1,3}\](?=\s|$)")
_CITE_TAG = re.compile(r'<sup class="bs-cite" title="Source (\d{1,3})">\[\1\]</sup>')
_PARAGRAPHS = re.compile(r"\n\s*\n")
# A reply's headings ("## Call 911 now") are <h2>: under the page's <h1>, no level skipped for screen readers.
HEADING_BASE = 2

# The wrapper element and ARIA role of each part; anything unknown is shown plainly.
_PART_TAGS: dict[str, tuple[str, str]] = {
    "emergency": ("section", ' role="alert"'),
    "crisis": ("section", ' role="alert"'),
    "urgent": ("section", ' role="alert"'),
    "referral": ("aside", ' role="note"'),
}


def source_label(citation: dict[str, Any]) -> str:
    """"Heat and Cold Therapy › Practical Examples": the section path, or the treatment when it has none."""
    return str(citation.get("section") or citation.get("treatment") or citation.get("source") or "the guide")


def split_referral(markdown: str) -> tuple[str, str]:
    """The referral's first paragraph (its emergency line) and the rest ("" when it is one paragraph).

    ``prompts/<lang>/referral.md`` puts the emergency signs in its first paragraph; a clinic
    that writes one paragraph gets it shown whole, since nothing can be hidden safely then.
    """
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(markdown.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return markdown.strip(), ""
    return paragraphs[0], "\n\n".join(paragraphs[1:])


@dataclass(frozen=True)
class ReplyTexts:
    """The labels a reply shows besides its parts (prompts/en/interface.toml; these defaults serve the tests)."""

    referral_more: str = "More: when to see a doctor"  # the summary that opens the rest of a compact referral
    sources: str = "Sources"
    read_in_guide: str = "Read this in the guide"
    actions: str = "Talk to a person"
    book: str = "Book an appointment"
    call: str = "Call the clinic: {phone}"


@dataclass(frozen=True)
class ReplyRenderer:
    """Turns an answer's JSON form (``Answer.to_dict()``) into the chat page's HTML."""

    links: ClinicLinks = field(default_factory=ClinicLinks)
    texts: ReplyTexts = field(default_factory=ReplyTexts)

    def html(self, reply: dict[str, Any], compact_referral: bool = False) -> str:
        """The finished reply."""
        *_, last = self.steps(reply, compact_referral)
        return last

    def steps(self, reply: dict[str, Any], compact_referral: bool = False) -> Iterator[str]:
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
                if kind == "referral" and self.links.suggests_visit(reply):
                    done.append(self.action_links())  # before the referral: the referral stays last
                done.append(self._part(kind, part.get("markdown", ""), reply, part.get("prompt", ""), compact_referral))
            yield self._wrap(reply, done)

    def _wrap(self, reply: dict[str, Any], parts: list[str]) -> str:
        kind = re.sub(r"[^a-z_]", "", str(reply.get("kind", "answer")))
        triage = re.sub(r"[^a-z]", "", str(reply.get("triage", "none")))
        return f'<div class="bs-reply bs-kind-{kind} bs-triage-{triage}">' + "".join(parts) + "</div>"

    def _part(self, kind: str, markdown: str, reply: dict[str, Any], prompt: str = "", compact: bool = False) -> str:
        if kind == "sources":
            return self.sources(reply.get("citations") or [])
        tag, role = _PART_TAGS.get(kind, ("section", ""))
        css = re.sub(r"[^a-z_]", "", kind) or "answer"
        if kind == "referral":
            body = self._referral(markdown, compact)
        else:
            body = to_html(markdown, HEADING_BASE)
            if kind in STREAMED_KINDS:
                body = self._link_markers(body, reply.get("citations") or [])
        if kind in SAFETY_KINDS:
            body = link_phone_numbers(body, list(self.links.safety_numbers))
        named = re.sub(r"[^a-z_]", "", prompt)
        which = f" bs-prompt-{named}" if named else ""  # which clinic text: "risk_pregnancy" (a class: the chat sanitises attributes)
        return f'<{tag} class="bs-part bs-{css}{which}"{role}>{body}</{tag}>'

    def _referral(self, markdown: str, compact: bool) -> str:
        """The referral whole, or its emergency line with the rest behind a summary."""
        lead, rest = split_referral(markdown)
        if not rest:
            return to_html(lead)
        if not compact:
            return to_html(lead) + to_html(rest)
        summary = f'<summary class="bs-referral-toggle">{escape(self.texts.referral_more)}</summary>'
        return to_html(lead) + f'<details class="bs-referral-more">{summary}{to_html(rest)}</details>'

    def _link_markers(self, body: str, citations: Sequence[dict[str, Any]]) -> str:
        """With the guide published, each marker ``[1]`` opens the passage it quotes."""
        if not self.links.guide_url:
            return body
        quotes = {str(c.get("n")): str(c.get("quote", "")) for c in citations}

        def link(match: re.Match[str]) -> str:
            n = match.group(1)
            if n not in quotes:
                return match.group(0)
            href = escape(guide_link(self.links.guide_url, quotes[n]))
            return (
                f'<sup class="bs-cite"><a href="{href}" target="_blank" rel="noopener noreferrer" '
                f'title="Source {n}: read it in the guide">[{n}]</a></sup>'
            )

        return _CITE_TAG.sub(link, body)

    def action_links(self) -> str:
        """"Book an appointment" and "Call the clinic", whichever are configured."""
        links = []
        if self.links.booking_url:
            href = escape(self.links.booking_url)
            links.append(f'<a class="bs-action bs-action-book" href="{href}" target="_blank" rel="noopener noreferrer">{escape(self.texts.book)}</a>')
        if self.links.phone:
            label = escape(self.texts.call.replace("{phone}", self.links.phone))
            links.append(f'<a class="bs-action bs-action-call" href="{escape(tel_href(self.links.phone))}">{label}</a>')
        if not links:
            return ""
        return f'<nav class="bs-actions" aria-label="{escape(self.texts.actions)}">' + "".join(links) + "</nav>"

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
            if self.links.guide_url:
                href = escape(guide_link(self.links.guide_url, quote_text))
                link = f'<p class="bs-source-link"><a href="{href}" target="_blank" rel="noopener noreferrer">{escape(self.texts.read_in_guide)}</a></p>'
            items.append(
                f'<li class="bs-source"><details><summary><span class="bs-source-n">[{n}]</span> '
                f'<span class="bs-source-label">{escape(source_label(c))}</span></summary>'
                f'<blockquote class="bs-quote">{quote_html}</blockquote>{link}</details></li>'
            )
        title = f'<h2 class="bs-sources-title">{escape(self.texts.sources)}</h2>'
        return f'<section class="bs-part bs-sources">{title}<ol class="bs-source-list">' + "".join(items) + "</ol></section>"
