"""What the browser tests share: Chromium's settings, asking a question, screenshots, stored votes, axe-core.

Every wait is bounded; nothing here times anything.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from settings import PROJECT_ROOT
from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "artifacts"
SHOTS = ARTIFACTS / "screenshots"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` (package-lock.json)
WAIT_MS = 30_000
XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]
RED_FLAG = "I can't feel my bum and I've wet myself"
WIDGET_TITLE = "Ask about back spasms"
BOOKING = "https://clinic.example/book"
GUIDE = "https://clinic.example/guide"
CLINIC_PHONE = "555-0100"
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"375": PHONE, "1280": DESKTOP}


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def settle(locator) -> None:
    """Wait until the element's CSS transitions have finished (the widget's panel fades in)."""
    locator.evaluate("e => Promise.all(e.getAnimations({subtree: true}).map(a => a.finished))")


def feedback_rows(path: Path, want: int, timeout: float = 10.0) -> list[tuple]:
    """The stored votes, waiting (bounded) until at least ``want`` are there."""
    deadline = time.monotonic() + timeout
    rows: list[tuple] = []
    while time.monotonic() < deadline:
        if path.exists():
            with sqlite3.connect(path) as db:
                rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
            if len(rows) >= want:
                return rows
        time.sleep(0.2)
    return rows


def feedback_for(path: Path, question: str) -> list[tuple[str, str | None]]:
    """(vote, reason) of every stored row about ``question``."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT vote, reason FROM feedback WHERE question = ? ORDER BY id", (question,)).fetchall()


@contextmanager
def static_page(html: str) -> Iterator[str]:
    """Serve one HTML page from a throwaway server on 127.0.0.1; yields its URL."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def chat_ask(page, text: str, replies_before: int) -> None:
    """Type a question, press Enter, wait until its finished reply (the referral comes last) is shown."""
    from playwright.sync_api import expect

    box = page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#bs-chat .bs-referral")).to_have_count(replies_before + 1, timeout=WAIT_MS)


def widget_ask(page, frame, text: str, replies_before: int) -> dict:
    """Ask in the widget; returns the JSON body the page sent to /api/ask."""
    from playwright.sync_api import expect

    expect(frame.locator("html[data-ready]")).to_have_count(1)  # the page's script has run: Enter is handled
    box = frame.get_by_label("Your question")
    box.fill(text)
    with page.expect_request(lambda r: r.url.endswith("/api/ask") and r.method == "POST", timeout=WAIT_MS) as request:
        box.press("Enter")
    expect(frame.locator(".msg-bot .part-referral")).to_have_count(replies_before + 1, timeout=WAIT_MS)
    return json.loads(request.value.post_data or "{}")


def open_widget(page):
    """Open the widget on a clinic page; returns the frame's locator."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=f"Open chat: {WIDGET_TITLE}").click()
    panel = page.locator(".panel")
    expect(panel).to_be_visible()
    settle(panel)
    frame = page.frame_locator(f"iframe[title='{WIDGET_TITLE}']")
    expect(frame.get_by_label("Your question")).to_be_visible()
    expect(frame.locator("html[data-ready]")).to_have_count(1)
    return frame


# -- accessibility ---------------------------------------------------------------------------------

SEVERE = ("serious", "critical")


def axe_violations(target, context: Any = None) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules) in a page or frame; every violation, with its impact."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `make axe` (npm ci from package-lock.json)")
    if not target.evaluate("() => !!window.axe"):
        # Evaluated through the DevTools protocol, not added as a <script>: the widget's CSP rightly refuses inline scripts.
        target.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    result = target.evaluate("([context, options]) => axe.run(context || document, options)", [context, options])
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def record_axe(name: str, violations: list[dict]) -> None:
    """Keep each check's figures in artifacts/axe.json (the README and the report quote them)."""
    path = ARTIFACTS / "axe.json"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figures = json.loads(path.read_text()) if path.exists() else {}
    severe = [v for v in violations if v["impact"] in SEVERE]
    figures[name] = {"violations": len(violations), "serious_or_critical": len(severe), "ids": sorted({v["id"] for v in violations})}
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"axe {name}: {len(violations)} violations, {len(severe)} serious or critical {[v['id'] for v in severe]}")
