"""Start-up shared by ``app.py`` and ``python -m webapp.demo``: load once, fail clearly, serve.

The model and the index load before the server listens. When they cannot (no
index built, a prompt file broken), the process prints the one-line reason,
which names the fix, and exits non-zero instead of serving a broken page.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

import uvicorn

from settings import ConfigError, Settings, load_settings

log = logging.getLogger("webapp")
EXIT_CONFIG = 2
EXIT_STARTUP = 1


class QueryStringFilter(logging.Filter):
    """Drops query strings from access-log lines: a URL's query could carry a patient's words."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def configure_logging() -> None:
    """The project's loggers at INFO on stderr, libraries at WARNING (uvicorn configures its own)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("webapp", "assistant", "index", "insights"):
        logging.getLogger(name).setLevel(logging.INFO)


def load(settings_path: str | None = None) -> Settings:
    """The settings, or exit with the configuration error on one line."""
    try:
        return load_settings(settings_path)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


WARM_UP_QUESTION = "how long should I use an ice pack?"


def load_service(settings: Settings) -> Any:
    """The assistant service with its model and index loaded, or exit with the reason on one line."""
    from answering.service import AssistantService, one_thread_per_request
    from index.store import IndexLoadError
    from rules.prompts import PromptError

    try:
        service = AssistantService(settings)
    except (IndexLoadError, PromptError, ConfigError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_STARTUP) from None
    service.answer(WARM_UP_QUESTION)  # the first patient should not wait for lazy initialisation
    one_thread_per_request()  # requests run side by side, one per core
    # What start-up allocated (model, index, Gradio) lives as long as the process:
    # keep it out of the garbage collector's scans, which otherwise pause requests.
    gc.collect()
    gc.freeze()
    return service


def server_for(app: Any, host: str, port: int, settings: Settings) -> uvicorn.Server:
    """A uvicorn server; forwarded headers are trusted only when ``[server] trust_proxy`` says so."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=settings.server.trust_proxy,
        server_header=False,
        timeout_graceful_shutdown=5,
        log_level="info",
    )
    logging.getLogger("uvicorn.access").addFilter(QueryStringFilter())
    return uvicorn.Server(config)


def serve(server: uvicorn.Server) -> int:
    """Run until stopped; Ctrl+C is a normal way to stop, not an error with a traceback."""
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0
