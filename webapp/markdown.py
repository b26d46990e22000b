"""A tiny, safe Markdown-to-HTML renderer for the assistant's replies.

The assistant's texts use a small subset (paragraphs, ``##`` headings, ``- ``
and ``1. `` lists, ``**bold**``, ``[text](https://…)`` links, citation markers
``[1]``). Every character is HTML-escaped *first*; only then are those few
patterns turned into tags, so nothing a guide sentence or a patient's message
contains can become markup. The output has no blank lines, so the chat page's
Markdown renderer passes it through as one HTML block (and still sanitises it).
"""

from __future__ import annotations

import html
import re

from webapp.links import tel_href

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_LINK = re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()<>]+)\)")
_CITE = re.compile(r"\[(\d{1,3})\](?!\()")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")


def escape(text: str) -> str:
    """HTML-escape text, quotes included (safe in element content and attributes)."""
    return html.escape(text, quote=True)


def inline(text: str) -> str:
    """Escape ``text``, then apply bold, http(s) links and citation markers."""
    out = escape(text)
    # Links first: their brackets would otherwise look like citation markers.
    out = _LINK.sub(lambda m: f'<a href="{m.group(2)}" target="_blank" rel="noopener noreferrer">{m.group(1)}</a>', out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _CITE.sub(r'<sup class="bs-cite" title="Source \1">[\1]</sup>', out)


def to_html(markdown: str, heading_base: int = 3) -> str:
    """Render the subset as HTML on one line; ``heading_base`` is the level a ``#`` heading becomes."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush_paragraph()
            flush_list()
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(raw)
        numbered = _NUMBERED.match(raw)
        if heading:
            flush_paragraph()
            flush_list()
            level = min(6, heading_base + len(heading.group(1)) - 2) if len(heading.group(1)) > 1 else heading_base
            blocks.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            flush_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                flush_list()
            list_tag = tag
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
        else:
            flush_list()
            paragraph.append(line)
    flush_paragraph()
    flush_list()
    return "".join(blocks)


_TAG = re.compile(r"(<[^>]+>)")
SAFETY_KINDS = frozenset({"emergency", "crisis", "urgent", "notice", "referral", "caution", "error"})


def link_phone_numbers(html_text: str, numbers: list[str]) -> str:
    """Make each configured number in the text (not inside a tag or a link) a tap-to-call link."""
    wanted = sorted({n for n in numbers if re.search(r"\d", n)}, key=len, reverse=True)
    if not wanted:
        return html_text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(escape(n)) for n in wanted) + r")(?![\w-])")
    out, in_link = [], False
    for piece in _TAG.split(html_text):
        if piece.startswith("<"):
            in_link = piece.startswith("<a ") or (in_link and not piece.startswith("</a"))
            out.append(piece)
        elif in_link:
            out.append(piece)
        else:
            out.append(pattern.sub(lambda m: f'<a class="bs-tel" href="{tel_href(html.unescape(m.group(1)))}">{m.group(1)}</a>', piece))
    return "".join(out)


def plain_text_html(text: str) -> str:
    """A patient's own message, shown exactly as typed: escaped, line breaks kept, no Markdown.

    Wrapped in a ``<p>`` so the chat's Markdown renderer treats it as an HTML block and leaves
    ``**`` and ``#`` alone.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    return '<p class="bs-user">' + "<br>".join(escape(line) for line in lines) + "</p>"
