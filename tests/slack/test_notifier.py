"""The notice when processing ends, and the sweeper's retries of Slack posts that failed."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import cases, processing
from app.models import Case, CaseStatus, FileStatus, db, utcnow
from app.rules import SlackFileRef
from app.slack import notifier
from app.summarize import CaseText, Progress, Result
from tests.conftest import due_in
from tests.slack.conftest import BASE_URL
from tests.slack.payloads import CHANNEL, USER
from tests.slackfake import Reply, SlackFake
from tests.summaries import summary

OVERVIEW = "The landlord seeks 3,000 EUR of unpaid rent <and> interest."
# Retries are due at once: the sweeper's timing is not what these tests are about.
NO_BACKOFF = {"SLACK_POST_BACKOFF_SECONDS": 0}


def slack_case(title: str = "Lease dispute", files: list[SlackFileRef] = ()) -> str:  # type: ignore[assignment]
    return cases.create_case(
        source="slack",
        title=title,
        details="The tenant stopped paying rent in March.",
        due_date=due_in(7),
        slack_files=files,
        requester=cases.Requester(slack_user_id=USER, slack_channel_id=CHANNEL, slack_team_id="T0001"),
        idempotency_key=f"slack:V-{title}",
    ).case.id


def complete(case_id: str) -> None:
    token = cases.claim_case(case_id)
    assert token is not None
    assert cases.complete_case(case_id, token, {"overview": OVERVIEW}, None)


def fail(case_id: str) -> None:
    token = cases.claim_case(case_id)
    assert token is not None
    cases.fail_attempt(case_id, token, "The AI provider refused the request.", retryable=False)


def reload(case_id: str) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def replies(fake: SlackFake) -> list[dict[str, Any]]:
    return [call.data for call in fake.calls("/api/chat.postMessage")]


def test_the_done_reply_goes_in_the_link_thread_once_even_if_the_end_step_runs_twice(
    ctx: Flask, fake: SlackFake
) -> None:
    case_id = slack_case()
    assert notifier.post_link(case_id)
    link_ts = reload(case_id).slack_message_ts
    complete(case_id)

    assert notifier.notify_done(case_id) is True
    assert notifier.notify_done(case_id) is False

    _link, done = replies(fake)
    assert done["channel"] == CHANNEL
    assert done["thread_ts"] == link_ts
    assert f"<{BASE_URL}/case/{case_id}|Lease dispute>" in done["text"]
    assert "The landlord seeks 3,000 EUR of unpaid rent &lt;and&gt; interest." in done["text"]
    assert done["unfurl_links"] is False
    assert reload(case_id).done_notified_at is not None
    assert [e.message for e in reload(case_id).events if e.kind == "slack_done"] == [
        "Told the requester in Slack that processing ended (in the link message's thread)."
    ]


def test_a_failed_case_gets_a_reply_with_the_reason(ctx: Flask, fake: SlackFake) -> None:
    case_id = slack_case()
    notifier.post_link(case_id)
    fail(case_id)

    assert notifier.notify_done(case_id)

    done = replies(fake)[-1]
    assert "could not finish" in done["text"]
    assert "The AI provider refused the request." in done["text"]
    assert done["thread_ts"] == reload(case_id).slack_message_ts


def test_no_notice_while_the_case_is_still_being_worked_on(ctx: Flask, fake: SlackFake) -> None:
    case_id = slack_case()
    notifier.post_link(case_id)

    assert notifier.notify_done(case_id) is False
    assert len(replies(fake)) == 1


@pytest.mark.parametrize("extra", [{"SLACK_WEBHOOK_URL": "{fake}/webhook/T0001/B0001/secret"}])
def test_with_no_thread_to_reply_to_the_requester_gets_a_direct_message(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    case_id = slack_case()
    notifier.post_link(case_id)  # through the webhook: no message ts, so no thread
    complete(case_id)

    assert notifier.notify_done(case_id)

    [direct] = replies(fake)
    assert direct["channel"] == USER
    assert "thread_ts" not in direct
    assert OVERVIEW.split("<")[0] in direct["text"]


def test_two_workers_ending_the_same_case_at_once_send_one_notice(app: Flask, fake: SlackFake) -> None:
    with app.app_context():
        case_id = slack_case()
        notifier.post_link(case_id)
        complete(case_id)
    start = threading.Barrier(4)
    sent: list[bool] = []

    def end_step() -> None:
        with app.app_context():
            start.wait()
            sent.append(notifier.notify_done(case_id))

    threads = [threading.Thread(target=end_step) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(sent) == [False, False, False, True]
    assert len(replies(fake)) == 2  # the link and one notice


@pytest.mark.parametrize("extra", [NO_BACKOFF])
def test_a_notice_slack_did_not_take_is_sent_later_by_the_sweeper_once(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    case_id = slack_case()
    notifier.post_link(case_id)
    complete(case_id)
    fake.script("/api/chat.postMessage", Reply(status=503, body="unavailable"))

    assert notifier.notify_done(case_id) is False
    assert reload(case_id).done_notified_at is None
    [failure] = [e.message for e in reload(case_id).events if e.kind == "slack_done_failed"]
    assert "Slack answered HTTP 503" in failure

    assert notifier.retry_pending() == [case_id]
    assert notifier.retry_pending() == []
    assert [bool(r.get("thread_ts")) for r in replies(fake)] == [False, True, True]


@pytest.mark.parametrize("extra", [NO_BACKOFF])
def test_the_sweeper_posts_a_missing_link_before_the_done_notice(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    fake.script("/api/chat.postMessage", Reply(status=500, body="down"))
    case_id = slack_case()
    assert notifier.post_link(case_id) is False
    complete(case_id)

    # The worker's end step holds the notice back: the link is not out yet.
    assert notifier.notify_done(case_id) is False

    assert notifier.retry_pending() == [case_id, case_id]
    _, link, done = replies(fake)
    assert "opened case" in link["text"]
    assert done["thread_ts"] == reload(case_id).slack_message_ts


@pytest.mark.parametrize("extra", [{**NO_BACKOFF, "SLACK_POST_ATTEMPTS": 3}])
def test_the_sweeper_gives_up_after_the_configured_tries(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    fake.script("/api/chat.postMessage", *[Reply(status=500, body="down")] * 5)
    case_id = slack_case()
    notifier.post_link(case_id)

    notifier.retry_pending()
    notifier.retry_pending()
    notifier.retry_pending()

    assert len(replies(fake)) == 3
    failures = [e.message for e in reload(case_id).events if e.kind == "slack_link_failed"]
    assert failures[-1].endswith("Gave up after 3 tries.")


def test_the_sweeper_waits_out_the_backoff(ctx: Flask, fake: SlackFake) -> None:
    fake.script("/api/chat.postMessage", Reply(status=500, body="down"))
    case_id = slack_case()
    notifier.post_link(case_id)
    db.session.execute(sa.update(Case).values(created_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()

    assert notifier.retry_pending() == []  # the failure was just now; the first retry is due after 30 s

    assert len(replies(fake)) == 1


@pytest.mark.parametrize("extra", [NO_BACKOFF])
def test_a_post_claimed_by_a_process_that_died_is_taken_over(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    case_id = slack_case()
    abandoned = utcnow() - timedelta(minutes=10)
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(link_posted_at=abandoned))
    db.session.commit()

    assert notifier.retry_pending() == [case_id]
    assert notifier.retry_pending() == []
    assert reload(case_id).slack_post_channel == CHANNEL
    assert len(replies(fake)) == 1


@pytest.mark.parametrize("extra", [NO_BACKOFF])
def test_cases_from_the_web_form_and_api_never_go_to_slack(
    ctx: Flask, fake: SlackFake, extra: dict[str, Any]
) -> None:
    case_id = cases.create_case(source="web", title="", details="d", due_date=due_in(3)).case.id
    complete(case_id)

    assert notifier.notify_done(case_id) is False
    assert notifier.retry_pending() == []
    assert fake.requests == []


class _StubSummarizer:
    def summarize(self, case: CaseText, progress: Progress) -> Result:
        [document] = case.documents
        assert "1,000 EUR" in document.text
        return Result(summary=summary(OVERVIEW, matter_type="lease"))


def test_a_processing_run_copies_the_slack_file_and_replies_in_the_thread_when_done(
    ctx: Flask, fake: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lease = b"The tenant shall pay 1,000 EUR on the first day of each month.\n"
    fake.files["/files/F0FILE1/lease.txt"] = Reply(body=lease)
    ref = SlackFileRef("F0FILE1", "lease.txt", f"{fake.url}/files/F0FILE1/lease.txt", len(lease))
    case_id = slack_case(files=[ref])
    notifier.post_link(case_id)
    monkeypatch.setattr(processing, "build_summarizer", lambda config: _StubSummarizer())

    processing.process_case(case_id)
    processing.process_case(case_id)  # a redelivered message: nothing to claim, nothing sent twice

    case = reload(case_id)
    assert case.status == CaseStatus.COMPLETED
    assert [file.status for file in case.files] == [FileStatus.EXTRACTED]
    link, done = replies(fake)
    assert "opened case" in link["text"]
    assert done["thread_ts"] == case.slack_message_ts
    assert "is ready" in done["text"]


def test_a_retried_case_gets_a_notice_when_its_new_run_ends(ctx: Flask, fake: SlackFake) -> None:
    case_id = slack_case()
    notifier.post_link(case_id)
    fail(case_id)
    assert notifier.notify_done(case_id)

    cases.retry_case(case_id)
    complete(case_id)

    assert notifier.notify_done(case_id)
    _link, failed, ready = replies(fake)
    assert "could not finish" in failed["text"]
    assert "is ready" in ready["text"]
