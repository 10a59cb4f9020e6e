"""Slack tests run the real slack-bolt App against `tests/slackfake.py`, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.slack import EXTENSION
from app.slack.pools import POSTING
from tests.conftest import make_settings
from tests.slack.payloads import SIGNING_SECRET
from tests.slackfake import TOKEN, SlackFake

BASE_URL = "http://docket.test"


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake
    # Whatever the test did: the bot token went to the Web API and to file downloads on the
    # allowlisted host, never to a response_url, a webhook or another host.
    for request in fake.requests:
        if "authorization" in request.headers:
            assert request.host == fake.url.removeprefix("http://"), request
            assert request.path.startswith(("/api/", "/files/")), request
    assert all(TOKEN.encode() not in request.body for request in fake.requests)


@pytest.fixture
def extra() -> dict[str, Any]:
    """Per-test settings on top of the Slack ones (parametrize `extra` to change them); the text
    "{fake}" in a value is replaced by the fake's base URL."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, fake: SlackFake, extra: dict[str, Any]) -> dict[str, Any]:
    slack = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "SLACK_FILE_HOSTS": ["127.0.0.1"],
        "SLACK_FILE_ALLOW_HTTP": True,
        "PUBLIC_BASE_URL": BASE_URL,
        # The Slack endpoint must work with CSRF protection on, as in production.
        "WTF_CSRF_ENABLED": True,
    }
    for name, value in extra.items():
        slack[name] = value.replace("{fake}", fake.url) if isinstance(value, str) else value
    return make_settings(tmp_path, **slack)


@pytest.fixture(autouse=True)
def drain(app: Flask) -> Iterator[Callable[[], None]]:
    """Wait until Bolt's listeners have finished (they go on after the HTTP answer); after every
    test too, so no listener outlives its app."""

    def wait() -> None:
        handler = app.extensions.get(EXTENSION)
        if handler is not None:
            # Listeners first: they hand link posts to the posting pool.
            handler.app.listener_runner.listener_executor.shutdown(wait=True)
            app.extensions[POSTING].shutdown(wait=True)

    yield wait
    wait()
