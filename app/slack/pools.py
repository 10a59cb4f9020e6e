"""Thread pools for Slack work done outside a request. Each task runs in its own Flask app context
(and so has its own database session)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

POSTING = "docket.slack.posting"
# Bolt's own default size for its listener pool.
LISTENER_THREADS = 5
POSTING_THREADS = 4


class AppContextExecutor(ThreadPoolExecutor):
    def __init__(self, app: Flask, *, threads: int, name: str) -> None:
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self._app = app

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def in_app_context() -> Any:
            with self._app.app_context():
                return fn(*args, **kwargs)

        return super().submit(in_app_context)


def listener_pool(app: Flask) -> AppContextExecutor:
    """Bolt runs listeners on this pool, outside the request that brought them."""
    return AppContextExecutor(app, threads=LISTENER_THREADS, name="slack-listener")


def start_posting_pool(app: Flask) -> None:
    """Messages to Slack go out on their own pool, so a slow Slack never holds the listener threads
    that other requests need to ack within 3 s."""
    app.extensions[POSTING] = AppContextExecutor(app, threads=POSTING_THREADS, name="slack-post")


def in_background(fn: Callable[..., Any], *args: Any) -> None:
    current_app.extensions[POSTING].submit(fn, *args)
