"""Gives every message its own Flask app context, so each gets a fresh database session."""

from __future__ import annotations

from typing import Any

import dramatiq
from flask import Flask


class AppContext(dramatiq.Middleware):
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._contexts: dict[str, Any] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        context = self.app.app_context()
        context.push()
        self._contexts[message.message_id] = context

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        context = self._contexts.pop(message.message_id, None)
        if context is not None:
            context.pop(exception)

    after_skip_message = after_process_message
