"""The servers and the browser the browser tests share: started once per session, on 127.0.0.1.

``stack.bot`` is an assistant with the clinic's links set (booking, guide, phone);
``stack.bare`` one with none of them (nothing may link to nowhere); ``stack.page``
the demo clinic site with the widget pointing at ``stack.bot``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.browser.helpers import BOOKING, CHROMIUM, CHROMIUM_ARGS, CLINIC_PHONE, GUIDE, SHOTS, WAIT_MS
from tests.servers import app_env, running_apps, running_demo_page


@pytest.fixture(scope="session")
def stack(built_index_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("browser-servers")
    feedback = work / "feedback.sqlite3"
    links = {"BACKSPASM_CLINIC_BOOKING_URL": BOOKING, "BACKSPASM_CLINIC_GUIDE_URL": GUIDE, "BACKSPASM_CLINIC_PHONE": CLINIC_PHONE}
    bare = {"BACKSPASM_CLINIC_BOOKING_URL": "", "BACKSPASM_CLINIC_GUIDE_URL": "", "BACKSPASM_CLINIC_PHONE": ""}
    specs = [("bot", app_env(built_index_dir, feedback, **links)), ("bare", app_env(built_index_dir, work / "bare.sqlite3", **bare))]
    with running_apps(specs, work) as (bot, bare_bot):
        with running_demo_page(bot.url, work) as page:
            yield SimpleNamespace(bot=bot.url, bare=bare_bot.url, page=page.url, feedback=feedback)


@pytest.fixture(scope="module")  # not the session: Playwright's sync API keeps an event loop running until it stops,
def browser():  # and the HTTP tests after this folder call asyncio.run()
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make browser` (scripts/install-chromium.sh)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a loaded CI machine can be slow; nothing here is timed
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    """A fresh page (own context) that records any JavaScript dialog (i.e. any script an attacker got to
    run), every console message, and every request that left the servers under test."""
    contexts = []
    dialogs: list[str] = []
    console: list[str] = []
    requests: list[str] = []

    def make(url: str, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)

        def on_dialog(dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url, wait_until="load")
        return page

    make.dialogs = dialogs  # type: ignore[attr-defined]
    make.console = console  # type: ignore[attr-defined]
    make.requests = requests  # type: ignore[attr-defined]
    yield make
    for context in contexts:
        context.close()
