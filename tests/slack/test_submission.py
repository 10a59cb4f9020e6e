"""The modal's submission: field errors in the modal, or one case and its link posted at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from app import cases, queue
from app.models import Case, FileStatus, db
from app.rules import earliest_due_date
from app.slack import ids
from tests.conftest import due_in
from tests.slack.conftest import BASE_URL
from tests.slack.payloads import CHANNEL, USER, post_signed, slack_file, submission
from tests.slackfake import TEAM, Reply, SlackFake, api_error


def all_cases(app: Flask) -> list[Case]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Case)))
        for case in found:
            _ = case.files, case.events  # loaded while the session is open
        return found


def events(case: Case, kind: str) -> list[str]:
    return [event.message for event in case.events if event.kind == kind]


@pytest.mark.parametrize(
    ("fields", "block", "message"),
    [
        ({"details": None}, ids.DETAILS_BLOCK, "Enter the case details."),
        ({"details": "   "}, ids.DETAILS_BLOCK, "Enter the case details."),
        ({"details": "x" * 3001}, ids.DETAILS_BLOCK, "at most 3,000 characters"),
        ({"due_date": None}, ids.DUE_DATE_BLOCK, "Enter a due date."),
        (
            {"due_date": (earliest_due_date() - timedelta(days=1)).isoformat()},
            ids.DUE_DATE_BLOCK,
            "in the past",
        ),
        ({"due_date": due_in(365 * 11)}, ids.DUE_DATE_BLOCK, "10 years ahead"),
        ({"title": "t" * 201}, ids.TITLE_BLOCK, "under 200 characters"),
        (
            {
                "files": [
                    slack_file(f"F{n}", f"{n}.txt", f"http://127.0.0.1/files/{n}", 10) for n in range(11)
                ]
            },
            ids.FILES_BLOCK,
            "at most 10 files",
        ),
    ],
)
def test_field_errors_come_back_into_the_modal_and_nothing_is_saved(
    app: Flask,
    client: FlaskClient,
    fake: SlackFake,
    drain: Callable[[], None],
    fields: dict[str, Any],
    block: str,
    message: str,
) -> None:
    values = {"due_date": due_in(7), **fields}
    response = post_signed(client, submission(response_url=f"{fake.url}/response/1", **values))
    drain()

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert message in answer["errors"][block]
    assert all_cases(app) == []
    assert fake.calls("/api/chat.postMessage") == []


def test_a_submission_makes_one_case_and_posts_its_link_at_once(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    # The earliest date anyone on Earth can call "today": stored exactly as picked, never shifted.
    due = earliest_due_date().isoformat()
    attached = slack_file("F0FILE1", "lease.txt", f"{fake.url}/files/F0FILE1/lease.txt", size=12)
    body = submission(
        response_url=f"{fake.url}/response/1", title="Acme <lease> & co", due_date=due, files=[attached]
    )

    started = time.monotonic()
    response = post_signed(client, body)
    acked_after = time.monotonic() - started
    drain()

    assert response.status_code == 200
    assert response.get_data() == b""  # an empty 200 closes the modal
    assert acked_after < 1.0, f"acked after {acked_after:.3f} s"
    [case] = all_cases(app)
    assert (case.source, case.title, case.due_date) == ("slack", "Acme <lease> & co", date.fromisoformat(due))
    assert (case.slack_user_id, case.slack_team_id, case.slack_channel_id) == (USER, TEAM, CHANNEL)
    assert case.slack_response_url == f"{fake.url}/response/1"
    assert case.idempotency_key == "slack:V0MODAL1"
    [file] = case.files
    assert (file.origin, file.status, file.slack_file_id) == ("slack", FileStatus.PENDING, "F0FILE1")
    assert file.slack_url == f"{fake.url}/files/F0FILE1/lease.txt"

    [posted] = fake.calls("/api/chat.postMessage")
    link_after = posted.at - started
    print(f"\nsubmit → ack {acked_after * 1000:.0f} ms, submit → link posted {link_after * 1000:.0f} ms")
    assert link_after < 2.0
    assert posted.data["channel"] == CHANNEL
    assert f"<{BASE_URL}/case/{case.id}|Acme &lt;lease&gt; &amp; co>" in posted.data["text"]
    assert case.id in posted.data["text"]
    assert "few minutes" in posted.data["text"]
    assert posted.data["unfurl_links"] is False
    assert posted.data["unfurl_media"] is False
    assert case.slack_post_channel == CHANNEL
    assert case.slack_message_ts is not None
    assert case.link_posted_at is not None
    assert events(case, "slack_link") == [f"Link posted in Slack in channel {CHANNEL}."]


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_where_the_bot_cannot_post_the_link_goes_through_the_response_url_in_channel(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None], error: str
) -> None:
    fake.script("/api/chat.postMessage", api_error(error))

    post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    [case] = all_cases(app)
    [posted] = fake.calls("/response/1")
    assert posted.data["response_type"] == "in_channel"
    assert f"<{BASE_URL}/case/{case.id}|Lease dispute>" in posted.data["text"]
    assert posted.data["unfurl_links"] is False
    assert (case.slack_post_channel, case.slack_message_ts) == (CHANNEL, None)
    assert case.link_posted_at is not None


@pytest.mark.parametrize("extra", [{"SLACK_WEBHOOK_URL": "{fake}/webhook/T0001/B0001/secret"}])
def test_with_a_webhook_configured_the_link_goes_through_it(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None], extra: dict[str, Any]
) -> None:
    post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    [case] = all_cases(app)
    [posted] = fake.calls("/webhook/T0001/B0001/secret")
    assert f"<{BASE_URL}/case/{case.id}|Lease dispute>" in posted.data["text"]
    assert fake.calls("/api/chat.postMessage") == []
    assert (case.slack_post_channel, case.slack_message_ts) == ("webhook", None)
    assert events(case, "slack_link") == ["Link posted in Slack through the incoming webhook."]


def test_a_429_is_waited_out_for_as_long_as_retry_after_says(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    fake.script("/api/chat.postMessage", api_error("ratelimited", status=429, **{"Retry-After": "1"}))

    post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    first, second = fake.calls("/api/chat.postMessage")
    assert second.at - first.at >= 1.0
    [case] = all_cases(app)
    assert case.slack_message_ts is not None


def test_a_long_retry_after_is_left_to_the_sweeper_and_the_case_is_kept(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    fake.script("/api/chat.postMessage", api_error("ratelimited", status=429, **{"Retry-After": "120"}))

    response = post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    assert response.status_code == 200
    [case] = all_cases(app)
    assert len(fake.calls("/api/chat.postMessage")) == 1
    assert case.link_posted_at is None
    [failure] = events(case, "slack_link_failed")
    assert "Retry-After 120 s" in failure
    assert "Trying again in about 30 s." in failure


def test_the_same_submission_delivered_twice_makes_one_case_and_one_message(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    body = submission(response_url=f"{fake.url}/response/1", due_date=due_in(7))

    first = post_signed(client, body)
    again = post_signed(
        client, body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    resubmitted = post_signed(client, body)
    drain()

    assert [r.status_code for r in (first, again, resubmitted)] == [200, 200, 200]
    assert len(all_cases(app)) == 1
    assert len(fake.calls("/api/chat.postMessage")) == 1


def test_with_redis_down_the_case_is_saved_and_its_link_still_posted(
    app: Flask,
    client: FlaskClient,
    fake: SlackFake,
    drain: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broker_down(case_id: str, *, delay_seconds: float = 0) -> None:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(queue, "enqueue_case", broker_down)

    response = post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    assert response.status_code == 200
    [case] = all_cases(app)
    assert case.enqueued_at is None  # the sweeper sends it once Redis is back
    assert events(case, "queue_unavailable")
    assert len(fake.calls("/api/chat.postMessage")) == 1
    assert case.link_posted_at is not None


def test_an_unexpected_error_keeps_the_modal_open_with_a_message(
    app: Flask,
    client: FlaskClient,
    fake: SlackFake,
    drain: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def database_down(**kwargs: Any) -> None:
        raise OperationalError("INSERT INTO cases", {}, Exception("server closed the connection"))

    monkeypatch.setattr(cases, "create_case", database_down)

    response = post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["response_action"] == "errors"
    assert "submit again" in answer["errors"][ids.DETAILS_BLOCK]
    assert fake.calls("/api/chat.postMessage") == []


def test_a_failed_link_post_never_fails_the_case_and_is_shown_in_its_timeline(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    fake.script("/api/chat.postMessage", Reply(status=500, body="upstream error"))

    response = post_signed(client, submission(response_url=f"{fake.url}/response/1", due_date=due_in(7)))
    drain()

    assert response.status_code == 200
    [case] = all_cases(app)
    assert case.status == "submitted"
    assert case.link_posted_at is None
    [failure] = events(case, "slack_link_failed")
    assert failure.startswith("Could not post the case link in Slack")
    page = client.get(f"/case/{case.id}").get_data(as_text=True)
    assert "Could not post the case link in Slack" in page


def test_a_slow_slack_does_not_hold_up_the_acks_of_other_submissions(
    app: Flask, client: FlaskClient, fake: SlackFake, drain: Callable[[], None]
) -> None:
    # More submissions than Bolt has listener threads, each link post taking 2 s.
    fake.script(
        "/api/chat.postMessage", *[Reply(body={"ok": True, "channel": CHANNEL, "ts": "1.2"}, delay=2)] * 7
    )
    ack_times = []
    for n in range(7):
        started = time.monotonic()
        body = submission(response_url=f"{fake.url}/response/{n}", due_date=due_in(7), view_id=f"V{n}")
        assert post_signed(client, body).status_code == 200
        ack_times.append(time.monotonic() - started)
    drain()

    assert max(ack_times) < 1.0, ack_times
    assert len(all_cases(app)) == len(fake.calls("/api/chat.postMessage")) == 7


def test_the_same_submission_delivered_twice_at_once_makes_one_case_and_one_message(
    app: Flask, fake: SlackFake, drain: Callable[[], None]
) -> None:
    body = submission(response_url=f"{fake.url}/response/1", due_date=due_in(7))
    start = threading.Barrier(3)
    statuses: list[int] = []

    def deliver(headers: dict[str, str]) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(post_signed(client, body, headers=headers).status_code)

    deliveries = [
        threading.Thread(target=deliver, args=({"X-Slack-Retry-Num": str(n)} if n else {},)) for n in range(3)
    ]
    for thread in deliveries:
        thread.start()
    for thread in deliveries:
        thread.join()
    drain()

    assert statuses == [200, 200, 200]
    assert len(all_cases(app)) == 1
    assert len(fake.calls("/api/chat.postMessage")) == 1
