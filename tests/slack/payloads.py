"""Slack requests as Slack sends them: form-encoded, signed with the signing secret."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier
from werkzeug.test import TestResponse

from app.slack import ids
from app.slack.views import Origin
from tests.slackfake import TEAM

SIGNING_SECRET = "test-signing-secret"
USER = "U0LAWYER"
CHANNEL = "C0CASES"


def post_signed(
    client: FlaskClient,
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return client.post(
        "/slack/events",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature, **(headers or {})},
    )


def command(response_url: str, text: str = "", trigger_id: str = "1337.42.abcdef") -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "firm",
            "channel_id": CHANNEL,
            "channel_name": "cases",
            "user_id": USER,
            "user_name": "lawyer",
            "command": ids.COMMAND,
            "text": text,
            "api_app_id": "A0DOCKET",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def slack_file(file_id: str, name: str, url: str, size: int, mimetype: str = "text/plain") -> dict[str, Any]:
    return {
        "id": file_id,
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": "text",
        "size": size,
        "url_private": url + "?preview",
        "url_private_download": url,
    }


def submission(
    *,
    response_url: str,
    details: str | None = "The tenant stopped paying rent in March.",
    due_date: str | None,
    title: str | None = "Lease dispute",
    files: list[dict[str, Any]] = (),  # type: ignore[assignment]
    view_id: str = "V0MODAL1",
) -> str:
    """A view_submission of the case modal, with the fields as Slack's state.values carries them."""
    values = {
        ids.TITLE_BLOCK: {ids.TITLE_ACTION: {"type": "plain_text_input", "value": title}},
        ids.DETAILS_BLOCK: {ids.DETAILS_ACTION: {"type": "plain_text_input", "value": details}},
        ids.DUE_DATE_BLOCK: {ids.DUE_DATE_ACTION: {"type": "datepicker", "selected_date": due_date}},
        ids.FILES_BLOCK: {ids.FILES_ACTION: {"type": "file_input", "files": list(files)}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "firm"},
        "user": {"id": USER, "username": "lawyer", "name": "lawyer", "team_id": TEAM},
        "api_app_id": "A0DOCKET",
        "token": "legacy-verification-token",
        "trigger_id": "1337.43.fedcba",
        "view": {
            "id": view_id,
            "team_id": TEAM,
            "type": "modal",
            "callback_id": ids.CASE_MODAL,
            "private_metadata": Origin(CHANNEL, USER, response_url).dumps(),
            "state": {"values": values},
            "hash": "1700000000.abc",
            "app_id": "A0DOCKET",
            "bot_id": "BBOT",
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})
