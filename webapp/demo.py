"""``python -m webapp.demo`` (``make demo``): the assistant plus a demo clinic site showing the widget.

The clinic's page is served on its own port, so the widget runs cross-origin
exactly as on a real clinic's site (the snippet finds the bot from its own
``src``; the frame is allowed by ``[server] allowed_origins``)::

    python -m webapp.demo                       # bot on :7860, clinic page on :7861
    python -m webapp.demo --page-only --bot-origin http://127.0.0.1:7860 --page-port 8000
"""

from __future__ import annotations

import argparse
import re
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from webapp.markdown import escape
from webapp.runner import configure_logging, load, load_service, serve, server_for

DEMO_DIR = Path(__file__).resolve().parent / "demo"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def create_page_app(bot_origin: str, clinic_name: str) -> Starlette:
    """The clinic's site: ``/`` and ``/hours``, each with the one-line snippet pointing at ``bot_origin``, and its stylesheet."""
    if not _ORIGIN.match(bot_origin):
        raise ValueError(f"--bot-origin must look like http://127.0.0.1:7860, got {bot_origin!r}")
    pages = {
        name: (DEMO_DIR / name)
        .read_text(encoding="utf-8")
        .replace("{{BOT_ORIGIN}}", escape(bot_origin.rstrip("/")))
        .replace("{{CLINIC_NAME}}", escape(clinic_name))
        for name in ("index.html", "hours.html")
    }

    async def index(request: Request) -> Response:
        return HTMLResponse(pages["index.html"], headers={"Cache-Control": "no-cache"})

    async def hours(request: Request) -> Response:
        """A second page with the same snippet: the widget's conversation follows the visitor here."""
        return HTMLResponse(pages["hours.html"], headers={"Cache-Control": "no-cache"})

    async def stylesheet(request: Request) -> Response:
        return FileResponse(DEMO_DIR / "clinic.css", media_type="text/css; charset=utf-8")

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", index), Route("/hours", hours), Route("/clinic.css", stylesheet), Route("/favicon.ico", no_icon)])


def main(argv: list[str] | None = None) -> int:
    settings = load()
    parser = argparse.ArgumentParser(prog="python -m webapp.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.server.host, help="address for both servers")
    parser.add_argument("--port", type=int, default=settings.server.port, help="the assistant's port")
    parser.add_argument("--page-port", type=int, default=None, help="the clinic page's port (default: assistant's + 1)")
    parser.add_argument("--page-only", action="store_true", help="serve only the clinic page (the assistant runs elsewhere)")
    parser.add_argument("--bot-origin", help="where the assistant is, e.g. http://127.0.0.1:7860 (default: --host and --port)")
    args = parser.parse_args(argv)
    configure_logging()

    page_port = args.page_port or args.port + 1
    bot_origin = args.bot_origin or f"http://{args.host}:{args.port}"
    page_server = server_for(create_page_app(bot_origin, settings.clinic.name), args.host, page_port, settings)
    print(f"Demo clinic page: http://{args.host}:{page_port}/  (widget from {bot_origin})", flush=True)
    if args.page_only:
        return serve(page_server)

    from webapp.server import create_app

    settings = settings.with_overrides(server={"host": args.host, "port": args.port})
    service = load_service(settings)
    bot_server = server_for(create_app(settings, service), args.host, args.port, settings)
    # The page server is a daemon thread (uvicorn handles signals only in the main thread, the bot's).
    threading.Thread(target=page_server.run, name="demo-page", daemon=True).start()
    print(f"Chat: {bot_origin}/", flush=True)
    return serve(bot_server)


if __name__ == "__main__":
    raise SystemExit(main())
