"""Serve the clinic's assistant: the chat at ``/``, the widget, ``/api/ask`` and ``/healthz``.

    python app.py [--host 127.0.0.1] [--port 7860]

Defaults come from ``[server]`` in config.toml. The model and the index load once,
before the server listens; if they cannot, the reason is printed and the exit
status is non-zero. Nothing is shared publicly (no Gradio share links).
"""

from __future__ import annotations

import argparse

from webapp.runner import configure_logging, load, load_service, serve, server_for
from webapp.server import create_app


def main(argv: list[str] | None = None) -> int:
    settings = load()
    parser = argparse.ArgumentParser(description="Serve the back-spasm assistant (chat, widget, JSON API).")
    parser.add_argument("--host", default=settings.server.host, help=f"address to listen on (default {settings.server.host})")
    parser.add_argument("--port", type=int, default=settings.server.port, help=f"port (default {settings.server.port})")
    args = parser.parse_args(argv)
    settings = settings.with_overrides(server={"host": args.host, "port": args.port})
    configure_logging()
    service = load_service(settings)
    print(f"Chat: http://{args.host}:{args.port}/  Widget snippet: http://{args.host}:{args.port}/widget.js", flush=True)
    return serve(server_for(create_app(settings, service), args.host, args.port, settings))


if __name__ == "__main__":
    raise SystemExit(main())
