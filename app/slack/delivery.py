"""Sending messages to Slack: the Web API with the bot token, or a URL that needs no token (an incoming
webhook, a command's response_url). Every failure becomes `PostFailed` with a short reason for the
timeline; a 429 is waited out once when Slack's Retry-After is short."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

T = TypeVar("T")

# Seconds per HTTP call to Slack; listeners and workers must never hang on it.
TIMEOUT_SECONDS = 10
# A longer Retry-After is not waited out here (a listener thread would sit idle): the post is
# recorded as failed and the sweeper tries again later.
MAX_RATE_LIMIT_WAIT_SECONDS = 5
# Errors that mean the bot cannot post in that channel (not a member, a DM, a private channel).
CANNOT_POST_THERE = frozenset({"not_in_channel", "channel_not_found"})


class PostFailed(Exception):
    """Slack did not take the message. `code` is Slack's error code when it gave one."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.code = code


class _RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate-limited by Slack (Retry-After {retry_after:g} s)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Posted:
    channel: str | None
    ts: str | None  # None when Slack gives no message timestamp (webhook, response_url): no thread


def web_client(config: Mapping[str, Any]) -> WebClient:
    """A Web API client with the bot token, pointed at SLACK_API_URL (a local stand-in in tests)."""
    return WebClient(
        token=config["SLACK_BOT_TOKEN"], base_url=config["SLACK_API_URL"], timeout=TIMEOUT_SECONDS
    )


def post_message(
    config: Mapping[str, Any], *, channel: str, text: str, thread_ts: str | None = None
) -> Posted:
    """chat.postMessage (a user id as `channel` posts in the bot's direct messages with that user)."""

    def call() -> Posted:
        try:
            response = web_client(config).chat_postMessage(
                channel=channel, text=text, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                raise _RateLimited(_retry_after(exc.response.headers)) from None
            if status >= 500:
                raise PostFailed(f"Slack answered HTTP {status}") from None
            code = exc.response.get("error") or f"HTTP {status}"
            raise PostFailed(f"Slack refused the message ({code})", code=code) from None
        except (SlackClientError, OSError) as exc:
            raise PostFailed(f"Slack could not be reached ({type(exc).__name__})") from None
        return Posted(channel=response.get("channel"), ts=response.get("ts"))

    return _waiting_out_rate_limits(call)


def post_to_url(url: str, *, text: str, response_type: str | None = None) -> None:
    """Post to an incoming webhook or a response_url; neither is given the bot token."""

    def call() -> None:
        body: dict[str, Any] = {"text": text, "unfurl_links": False, "unfurl_media": False}
        if response_type:
            body["response_type"] = response_type
        try:
            response = WebhookClient(url, timeout=TIMEOUT_SECONDS).send_dict(body)
        except (SlackClientError, OSError, ValueError) as exc:
            raise PostFailed(f"Slack could not be reached ({type(exc).__name__})") from None
        if response.status_code == 429:
            raise _RateLimited(_retry_after(response.headers))
        if response.status_code != 200:
            detail = (response.body or "").strip()[:100]
            raise PostFailed(f"Slack refused the message (HTTP {response.status_code} {detail})".strip())

    _waiting_out_rate_limits(call)


def _waiting_out_rate_limits(call: Callable[[], T]) -> T:
    try:
        return call()
    except _RateLimited as limited:
        if limited.retry_after > MAX_RATE_LIMIT_WAIT_SECONDS:
            raise PostFailed(str(limited), code="ratelimited") from None
        time.sleep(limited.retry_after)
    try:
        return call()
    except _RateLimited as limited:
        raise PostFailed(str(limited), code="ratelimited") from None


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            # WebhookClient gives error responses' header values as lists; WebClient gives strings.
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0
