"""The HTML of ``/clinic``: a sign-in form and one page of figures, charts drawn on the server as inline SVG.

No script runs on the page and nothing is fetched from elsewhere: the charts
are SVG elements in the HTML, styled by ``/clinic/clinic.css`` (the page's
Content-Security-Policy allows nothing else). Every value shown is escaped,
patients' words (when stored) included. Tables scroll inside their panel, so
the page fits a phone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

from insights.events import UNANSWERED_KINDS
from insights.summary import Period, Summary, hour_label
from settings import Settings

CSS_PATH = "/clinic/clinic.css"
KIND_LABELS = {
    "answer": "Answered",
    "urgent": "Answered, see a doctor today first",
    "decline": "Declined (outside the guide)",
    "no_answer": "No answer in the guide",
    "greeting": "Greeting",
    "emergency": "Emergency",
    "crisis": "Crisis",
    "error": "Error",
    "empty": "Empty message",
    "language": "Other language",
    "refused": "Refused (too long, too fast)",
    "clinic": "About the clinic (hours, prices)",
}
REASON_LABELS = {
    "unanswered": "Didn't answer my question",
    "wrong": "Wrong information",
    "hard_to_read": "Hard to read",
    "other": "Other",
}
INTENT_LABELS = {
    "general": "General question",
    "amount": "How much (amounts, doses)",
    "duration": "How long or how often",
    "timing": "When, or what first",
    "kind": "Which kind or technique",
    "comparison": "Comparing treatments",
    "mechanism": "How or why it works",
    "instruction": "How to do it",
    "caution": "Is it safe (risks, side effects)",
    "next step": "It isn't working: what next",
    "gentler": "Something gentler",
}
QUICK_PERIODS = (7, 30, 90)


def _page(title: str, body: str, clinic_name: str) -> str:
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{escape(title)} · {escape(clinic_name)}</title>"
        f'<link rel="stylesheet" href="{CSS_PATH}"></head><body>{body}</body></html>'
    )


def sign_in_page(settings: Settings, message: str = "") -> str:
    """The form staff sign in with: the token, posted to ``/clinic/sign-in``."""
    alert = f'<p class="ci-alert" role="alert">{escape(message)}</p>' if message else ""
    body = (
        '<main class="ci-signin"><h1>Clinic insights</h1>'
        f"<p>{escape(settings.clinic.name)}: what patients ask the assistant. For clinic staff only.</p>{alert}"
        '<form method="post" action="/clinic/sign-in" class="ci-signin-form">'
        '<label for="token">Access token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>'
        '<button type="submit">Sign in</button></form>'
        "<p class=\"ci-small\">The token is the <code>[insights] token</code> setting (or <code>BACKSPASM_INSIGHTS_TOKEN</code>) "
        "of this server.</p></main>"
    )
    return _page("Sign in", body, settings.clinic.name)


def message_page(settings: Settings, title: str, message: str) -> str:
    """A page with one line on it (the database is down, a bad period…)."""
    body = f'<main class="ci-signin"><h1>{escape(title)}</h1><p class="ci-alert" role="alert">{escape(message)}</p>' \
           '<p><a href="/clinic">Back to the insights</a></p></main>'
    return _page(title, body, settings.clinic.name)


def period_query(period: Period) -> str:
    return urlencode({"since": period.since.isoformat(), "until": period.until.isoformat()})


def dashboard_page(settings: Settings, summary: Summary, stats: Mapping[str, int], error: str = "") -> str:
    """Every panel for the period: the figures, the charts, the lists, and where to download them."""
    period = summary.period
    query = period_query(period)
    quick = " ".join(
        f'<a href="/clinic?{urlencode({"since": (period.until - timedelta(days=n - 1)).isoformat(), "until": period.until.isoformat()})}">'
        f"last {n} days</a>"
        for n in QUICK_PERIODS
    )
    alert = f'<p class="ci-alert" role="alert">{escape(error)}</p>' if error else ""
    header = (
        '<header class="ci-header"><div><h1>Clinic insights</h1>'
        f'<p class="ci-small">{escape(settings.clinic.name)} · {period.since.isoformat()} to {period.until.isoformat()} (UTC)</p></div>'
        '<form method="post" action="/clinic/sign-out"><button type="submit" class="ci-secondary">Sign out</button></form></header>'
        f"{alert}"
        '<form method="get" action="/clinic" class="ci-period" aria-label="Period">'
        f'<label>From <input type="date" name="since" value="{period.since.isoformat()}" required></label>'
        f'<label>To <input type="date" name="until" value="{period.until.isoformat()}" required></label>'
        '<button type="submit">Show</button>'
        f'<span class="ci-quick">{quick}</span>'
        f'<a class="ci-download" href="/clinic/export.csv?{escape(query)}" download>Download CSV</a></form>'
    )
    panels = [
        _cards(summary),
        _panel("per-day", "Questions per day", _day_chart(summary.by_day) + _day_table(summary.by_day)),
        _panel("by-kind", "Share by reply kind", _bars(summary.by_kind, summary.replies, KIND_LABELS, share=True)),
        _panel("safety", "Emergency, crisis and urgent replies", _safety(summary)),
        _panel("treatments", "Top treatments cited", _bars(summary.by_treatment, summary.replies, top=10)
               + _sections(summary.by_section)),
        _panel("intents", "Top question intents", _bars(summary.by_intent, summary.replies, INTENT_LABELS, top=10)),
        _panel("unanswered", "Unanswered and declined", _unanswered(summary, settings)),
        _panel("rated-down", "Answers rated down", _rated_down(summary, settings)),
    ]
    footer = (
        '<footer class="ci-small"><p>Stored per reply: the hour, reply kind, triage signs (labels), cited treatments and sections, '
        "intent, language and latency; votes with their reason. "
        f"{_text_policy(settings)}</p>"
        f"<p>This server process since it started: {stats.get('written', 0)} events written, {stats.get('dropped', 0)} dropped, "
        f"{stats.get('pending', 0)} waiting.</p></footer>"
    )
    return _page("Clinic insights", f'<main class="ci-main">{header}{"".join(panels)}{footer}</main>', settings.clinic.name)


def _text_policy(settings: Settings) -> str:
    privacy = settings.privacy
    if not privacy.store_questions:
        return "Patients' words are not stored ([privacy] store_questions is off)."
    which = "every question" if privacy.store_all_questions else "the questions that were declined or not answered"
    return f"The redacted text of {which} is kept for {privacy.retention_days} days, then erased."


def _panel(ident: str, title: str, content: str) -> str:
    return f'<section class="ci-panel" id="{ident}" aria-labelledby="{ident}-title"><h2 id="{ident}-title">{escape(title)}</h2>{content}</section>'


def _cards(s: Summary) -> str:
    votes = s.votes
    cards = [
        ("replies", "Replies", s.replies),
        ("emergency", "Emergency", s.safety["emergency"]),
        ("crisis", "Crisis", s.safety["crisis"]),
        ("urgent", "Urgent", s.safety["urgent"]),
        ("unanswered", "Unanswered or declined", sum(s.by_kind.get(k, 0) for k in UNANSWERED_KINDS)),
        ("votes", "Rated up / down", f"{votes.get('up', 0)} / {votes.get('down', 0)}"),
    ]
    items = "".join(
        f'<div class="ci-card ci-card-{key}"><span class="ci-card-value">{escape(str(value))}</span>'
        f'<span class="ci-card-label">{escape(label)}</span></div>'
        for key, label, value in cards
    )
    return f'<section class="ci-cards" id="totals" aria-label="Totals">{items}</section>'


def _day_chart(by_day: list[tuple[str, int]]) -> str:
    """Vertical bars, one per day, drawn in a 600×200 box that scales to the panel's width."""
    if not by_day:
        return ""
    width, height, left, bottom, top = 600.0, 200.0, 34.0, 22.0, 10.0
    peak = max(n for _, n in by_day) or 1
    slot = (width - left) / len(by_day)
    bar = max(1.0, slot * 0.72)
    plot = height - bottom - top
    parts = [
        f'<svg class="ci-chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="Questions per day, {by_day[0][0]} to {by_day[-1][0]}, at most {peak} a day">',
        f'<line class="ci-axis" x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"/>',
        f'<text class="ci-tick" x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text class="ci-tick" x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for i, (day, n) in enumerate(by_day):
        h = plot * n / peak
        x = left + i * slot + (slot - bar) / 2
        parts.append(
            f'<rect class="ci-bar" x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(day)}: {n}</title></rect>"
        )
    step = max(1, len(by_day) // 6)
    for i in range(0, len(by_day), step):
        x = left + i * slot + slot / 2
        parts.append(f'<text class="ci-tick" x="{x:.1f}" y="{height - 6}" text-anchor="middle">{escape(by_day[i][0][5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _day_table(by_day: list[tuple[str, int]]) -> str:
    rows = "".join(f"<tr><td>{escape(day)}</td><td class=\"ci-num\">{n}</td></tr>" for day, n in by_day if n)
    return (
        '<details class="ci-details"><summary>The figures as a table</summary><div class="ci-scroll"><table>'
        f"<thead><tr><th>Day</th><th>Replies</th></tr></thead><tbody>{rows or _empty_row(2)}</tbody></table></div></details>"
    )


def _empty_row(columns: int) -> str:
    return f'<tr><td colspan="{columns}" class="ci-none">Nothing in this period.</td></tr>'


def _bars(counts: Mapping[str, int], total: int, labels: Mapping[str, str] | None = None, share: bool = False, top: int | None = None) -> str:
    """A table of labels with a bar each (an SVG rectangle), the count and, for shares, the percentage."""
    items = list(counts.items())[:top] if top else list(counts.items())
    if not items:
        return '<p class="ci-none">Nothing in this period.</p>'
    peak = max(n for _, n in items) or 1
    rows = []
    for name, n in items:
        label = (labels or {}).get(name, name)
        pct = f"{100 * n / total:.0f}%" if total else "–"
        rows.append(
            f'<tr><th scope="row">{escape(label)}</th>'
            f'<td class="ci-barcell"><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="ci-bar" width="{100 * n / peak:.1f}" height="10"/></svg></td>'
            f'<td class="ci-num">{n}</td>' + (f'<td class="ci-num">{pct}</td>' if share else "") + "</tr>"
        )
    head = "<th>Count</th>" + ("<th>Share</th>" if share else "")
    return f'<div class="ci-scroll"><table class="ci-bars"><thead><tr><th></th><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _sections(by_section: list[tuple[str, int]]) -> str:
    if not by_section:
        return ""
    rows = "".join(f'<tr><td>{escape(name)}</td><td class="ci-num">{n}</td></tr>' for name, n in by_section)
    return (
        '<details class="ci-details"><summary>Sections cited most</summary><div class="ci-scroll"><table>'
        f"<thead><tr><th>Section</th><th>Replies</th></tr></thead><tbody>{rows}</tbody></table></div></details>"
    )


def _safety(s: Summary) -> str:
    cards = "".join(
        f'<div class="ci-card ci-card-{tier}"><span class="ci-card-value">{n}</span><span class="ci-card-label">{tier.capitalize()}</span></div>'
        for tier, n in s.safety.items()
    )
    signs = _bars(s.signs, s.replies, top=12) if s.signs else '<p class="ci-none">No red-flag signs in this period.</p>'
    return f'<div class="ci-cards ci-cards-small">{cards}</div><h3>Signs recognised</h3>{signs}'


def _table(headers: Iterable[str], rows: list[str], columns: int) -> str:
    """A table that scrolls inside its panel: sideways on a phone, and down when it is long."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    tall = " ci-tall" if len(rows) > 12 else ""
    return f'<div class="ci-scroll{tall}" tabindex="0"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows) or _empty_row(columns)}</tbody></table></div>'


def _unanswered(s: Summary, settings: Settings) -> str:
    groups = [
        f"<tr><td>{escape(KIND_LABELS.get(g.kind, g.kind))}</td><td>{escape(g.topic)}</td><td>{escape(INTENT_LABELS.get(g.intent, g.intent))}</td>"
        f'<td class="ci-num">{g.count}</td><td>{escape(hour_label(g.last_hour))}</td></tr>'
        for g in s.unanswered_groups
    ]
    out = _table(("Kind", "Topic", "Intent", "Count", "Last"), groups, 5)
    if s.stored_questions:
        texts = [
            f"<tr><td>{escape(hour_label(q.hour))}</td><td>{escape(KIND_LABELS.get(q.kind, q.kind))}</td>"
            f'<td class="ci-text">{escape(q.question)}</td><td>{escape(q.topic)}</td></tr>'
            for q in s.stored_questions
        ]
        out += f'<h3>Their words (redacted; kept {settings.privacy.retention_days} days)</h3>' + _table(("When", "Kind", "Question", "Topic"), texts, 4)
    elif not settings.privacy.store_questions:
        out += '<p class="ci-small">Question texts are not stored: the topic is what the guide search ranked first, the intent how the question was read.</p>'
    return out


def _rated_down(s: Summary, settings: Settings) -> str:
    reasons = s.votes.get("down_reasons", {})
    summary = _bars(reasons, int(s.votes.get("down", 0)), REASON_LABELS, share=True) if reasons else ""
    rows = [
        f"<tr><td>{escape(hour_label(d.hour))}</td><td>{escape(REASON_LABELS.get(d.reason, d.reason))}</td><td>{escape(KIND_LABELS.get(d.kind, d.kind))}</td>"
        f"<td>{escape(' · '.join(d.sections) or d.topic)}</td>"
        f'<td class="ci-text">{escape(d.question or "")}{("<br><em>" + escape(d.note) + "</em>") if d.note else ""}</td></tr>'
        for d in s.rated_down
    ]
    return summary + _table(("When", "Reason", "Reply", "Cited sections", "Question / comment"), rows, 5)
