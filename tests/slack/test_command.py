"""`/create-case [title]`: ack at once, open the modal before anything else, tell the user if it fails."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.models import Case, db
from app.slack import ids
from app.slack.views import Origin, case_modal
from tests.slack.payloads import CHANNEL, USER, command, post_signed
from tests.slackfake import Reply, SlackFake, api_error


def test_the_command_acks_at_once_and_opens_the_modal_prefilled_with_its_text(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    # A slow views.open shows the ack does not wait for it.
    fake.script("/api/views.open", Reply(body={"ok": True, "view": {"id": "V1"}}, delay=1.0))
    response_url = f"{fake.url}/response/cmd-1"

    started = time.monotonic()
    response = post_signed(client, command(response_url, text="Acme lease renewal", trigger_id="T.123"))
    acked_after = time.monotonic() - started
    drain()

    opened_after = fake.calls("/api/views.open")[0].at - started
    print(
        f"\ncommand → ack {acked_after * 1000:.0f} ms, command → views.open sent {opened_after * 1000:.0f} ms"
    )
    assert response.status_code == 200
    assert response.get_data() == b""
    assert acked_after < 0.9, f"acked after {acked_after:.3f} s"
    opened = fake.calls("/api/views.open")
    assert len(opened) == 1
    assert opened[0].data["trigger_id"] == "T.123"
    modal = opened[0].data["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert modal["callback_id"] == ids.CASE_MODAL
    assert [block["block_id"] for block in modal["blocks"]] == [
        ids.TITLE_BLOCK,
        ids.DETAILS_BLOCK,
        ids.DUE_DATE_BLOCK,
        ids.FILES_BLOCK,
    ]
    assert modal["blocks"][0]["element"]["initial_value"] == "Acme lease renewal"
    assert Origin.loads(modal["private_metadata"]) == Origin(CHANNEL, USER, response_url)
    # The command itself touches neither the database nor Slack's other methods.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert [r.path for r in fake.requests] == ["/api/auth.test", "/api/views.open"]


def test_when_views_open_fails_the_user_is_told_through_the_response_url(
    client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    fake.script("/api/views.open", api_error("expired_trigger_id"))

    response = post_signed(client, command(f"{fake.url}/response/cmd-2"))
    drain()

    assert response.status_code == 200
    [told] = fake.calls("/response/cmd-2")
    assert told.data["response_type"] == "ephemeral"
    assert "expired_trigger_id" in told.data["text"]
    assert ids.COMMAND in told.data["text"]


def test_the_modal_keeps_within_slacks_limits() -> None:
    long_url = "https://hooks.slack.com/commands/T0001/1234567890123/" + "x" * 200
    modal = case_modal(
        title="t" * 5000, origin=Origin("C" * 11, "U" * 11, long_url), max_title_chars=200, max_files=25
    )

    assert len(modal["title"]["text"]) <= 24
    assert len(modal["submit"]["text"]) <= 24
    assert len(modal["close"]["text"]) <= 24
    assert len(modal["private_metadata"]) < 500
    title, details, due, files = (block["element"] for block in modal["blocks"])
    assert len(title["initial_value"]) == title["max_length"] == 200
    assert details["multiline"] is True
    assert details["max_length"] == 3000
    assert due["type"] == "datepicker"
    assert files["type"] == "file_input"
    assert files["max_files"] == 10
    assert all(block["type"] == "input" for block in modal["blocks"])
    assert [block.get("optional", False) for block in modal["blocks"]] == [True, False, False, True]
