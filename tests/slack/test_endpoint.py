"""The one Slack endpoint: off without settings, signature and timestamp checked, CSRF-exempt."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import due_in
from tests.slack.payloads import command, post_signed
from tests.slackfake import SlackFake


@pytest.mark.parametrize("extra", [{"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None}])
def test_without_slack_settings_the_endpoint_answers_503_and_the_rest_of_docket_works(
    client: FlaskClient, fake: SlackFake, extra: dict[str, Any]
) -> None:
    response = post_signed(client, command(f"{fake.url}/response/1"))

    assert response.status_code == 503
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    created = client.post("/api/cases", json={"details": "Still works.", "due_date": due_in(5)})
    assert created.status_code == 202
    assert fake.requests == []


def test_a_wrong_signature_is_refused(client: FlaskClient, fake: SlackFake) -> None:
    response = post_signed(client, command(f"{fake.url}/response/1"), secret="not-the-secret")

    assert response.status_code == 401
    assert fake.calls("/api/views.open") == []


def test_a_correctly_signed_request_older_than_five_minutes_is_refused(
    client: FlaskClient, fake: SlackFake
) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    response = post_signed(client, command(f"{fake.url}/response/1"), timestamp=six_minutes_ago)

    assert response.status_code == 401
    assert fake.calls("/api/views.open") == []


def test_the_endpoint_is_exempt_from_csrf_which_still_guards_the_web_form(
    client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    # The settings turn CSRF on: the form refuses a post without its token...
    assert client.post("/cases/new", data={"details": "x", "due_date": due_in(3)}).status_code == 400
    # ...while Slack's signed request reaches Bolt with its raw body intact (the signature matched).
    assert post_signed(client, command(f"{fake.url}/response/1")).status_code == 200
    drain()
    assert len(fake.calls("/api/views.open")) == 1


def test_bolt_talks_to_the_configured_web_api_url(
    client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    post_signed(client, command(f"{fake.url}/response/1"))
    drain()

    # auth.test on the first request (not at start-up, so Docket starts while Slack is unreachable).
    assert [r.path for r in fake.requests] == ["/api/auth.test", "/api/views.open"]
