"""When Docket speaks in Slack: the link message right after a case is saved, the notice when its
processing ends, and the sweeper's retries of both.

Each message goes out at most once. The sender first claims the case's column (`link_posted_at`,
`done_notified_at`) with a conditional update, and gives the claim back when Slack did not take the
message, so the sweeper can try again (with backoff, a bounded number of times). A failed post never
fails the case: it is logged and written to the case's timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import cases
from app.models import Case, CaseEvent, CaseStatus, db, utcnow
from app.slack import delivery, messages
from app.slack.delivery import CANNOT_POST_THERE, Posted, PostFailed

log = logging.getLogger(__name__)

LINK_POSTED = "slack_link"
LINK_FAILED = "slack_link_failed"
DONE_SENT = "slack_done"
DONE_FAILED = "slack_done_failed"
# `slack_post_channel` of a link sent through the incoming webhook: its channel is fixed at install
# time and Slack does not tell us which it is.
WEBHOOK = "webhook"
# A claim this old belongs to a process that died mid-post (a post takes seconds, see delivery).
STALE_CLAIM = timedelta(minutes=5)
# After a day a late link or notice is of no use (and a response_url dies after 30 minutes).
RETRY_WINDOW = timedelta(days=1)


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(config["SLACK_BOT_TOKEN"])


def post_link(case_id: str, *, stale_claim: datetime | None = None) -> bool:
    """Post the case link where the command ran; True if it was posted by this call.

    `stale_claim` takes over a claim left by a process that died while posting.
    """
    config = current_app.config
    if not _claim_link(case_id, stale_claim):
        return False
    case = db.session.get(Case, case_id)
    assert case is not None
    try:
        posted = _deliver_link(config, case)
    except PostFailed as exc:
        _release(case_id, Case.link_posted_at)
        _record_failure(config, case_id, LINK_FAILED, "Could not post the case link in Slack", exc)
        return False
    db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id)
        .values(slack_post_channel=posted.channel, slack_message_ts=posted.ts, link_posted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    where = "through the incoming webhook" if posted.channel == WEBHOOK else f"in channel {posted.channel}"
    cases.add_event(case_id, LINK_POSTED, f"Link posted in Slack {where}.")
    return True


def notify_done(case_id: str) -> bool:
    """Tell the requester that processing ended; True if this call sent the notice.

    A reply in the link message's thread, or a direct message when there is no thread (the link went
    through a webhook or response_url, which give no message id). Safe to call any number of times.
    """
    config = current_app.config
    case = db.session.get(Case, case_id)
    if case is None or case.source != "slack" or not case.is_final or not enabled(config):
        return False
    if case.slack_post_channel is None and _failures(case_id, LINK_FAILED)[0] < config["SLACK_POST_ATTEMPTS"]:
        # The link is not out yet: the sweeper posts it first, then this notice, in that order.
        return False
    if not _claim(case_id, Case.done_notified_at):
        return False
    text = messages.done_text(config, case)
    try:
        if case.slack_message_ts:
            delivery.post_message(
                config, channel=case.slack_post_channel or "", text=text, thread_ts=case.slack_message_ts
            )
            where = "in the link message's thread"
        else:
            delivery.post_message(config, channel=case.slack_user_id or "", text=text)
            where = "by direct message"
    except PostFailed as exc:
        _release(case_id, Case.done_notified_at)
        _record_failure(config, case_id, DONE_FAILED, "Could not tell the requester in Slack", exc)
        return False
    cases.add_event(case_id, DONE_SENT, f"Told the requester in Slack that processing ended ({where}).")
    return True


def retry_pending() -> list[str]:
    """The sweeper's part: post links and notices that failed (or whose sender died), when due."""
    config = current_app.config
    if not enabled(config):
        return []
    now = utcnow()
    grace = timedelta(seconds=config["SLACK_POST_BACKOFF_SECONDS"])
    unposted = db.session.execute(
        sa.select(Case.id, Case.link_posted_at).where(
            Case.source == "slack",
            Case.created_at > now - RETRY_WINDOW,
            Case.slack_post_channel.is_(None),
            sa.or_(
                # Never posted, and the listener has had its chance.
                sa.and_(Case.link_posted_at.is_(None), Case.created_at < now - grace),
                Case.link_posted_at < now - STALE_CLAIM,
            ),
        )
    ).all()
    unnotified = db.session.scalars(
        sa.select(Case.id).where(
            Case.source == "slack",
            Case.status.in_(CaseStatus.FINAL),
            Case.done_notified_at.is_(None),
            Case.processed_at > now - RETRY_WINDOW,
            Case.processed_at < now - grace,
        )
    ).all()
    db.session.rollback()
    sent = [
        case_id
        for case_id, claimed in unposted
        if _due(config, case_id, LINK_FAILED, now) and post_link(case_id, stale_claim=claimed)
    ]
    sent += [
        case_id for case_id in unnotified if _due(config, case_id, DONE_FAILED, now) and notify_done(case_id)
    ]
    return sent


def _deliver_link(config: Mapping[str, Any], case: Case) -> Posted:
    text = messages.link_text(config, case)
    if config["SLACK_WEBHOOK_URL"]:
        delivery.post_to_url(config["SLACK_WEBHOOK_URL"], text=text)
        return Posted(channel=WEBHOOK, ts=None)
    try:
        return delivery.post_message(config, channel=case.slack_channel_id or "", text=text)
    except PostFailed as exc:
        if exc.code not in CANNOT_POST_THERE or not case.slack_response_url:
            raise
    # A private channel without the bot, or a DM: the command's response_url still posts there.
    delivery.post_to_url(case.slack_response_url, text=text, response_type="in_channel")
    return Posted(channel=case.slack_channel_id, ts=None)


def _claim_link(case_id: str, stale_claim: datetime | None) -> bool:
    # While claimed, `link_posted_at` holds the claim time and `slack_post_channel` is still empty.
    if stale_claim is None:
        return _claim(case_id, Case.link_posted_at)
    return _claim(
        case_id, Case.link_posted_at, Case.link_posted_at == stale_claim, Case.slack_post_channel.is_(None)
    )


def _claim(case_id: str, column: Any, *unclaimed: sa.ColumnElement[bool]) -> bool:
    """Set `column` to now where the case is unclaimed (by default: `column` is empty). One conditional
    update, so among racing senders exactly one wins."""
    unclaimed = unclaimed or (column.is_(None),)
    won = db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id, *unclaimed)
        .values({column: utcnow()})
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(won)


def _release(case_id: str, column: Any) -> None:
    db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id)
        .values({column: None})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _failures(case_id: str, kind: str) -> tuple[int, datetime | None]:
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == kind
        )
    ).one()
    db.session.rollback()
    return count, last


def _backoff(config: Mapping[str, Any], failures: int) -> timedelta:
    return timedelta(seconds=config["SLACK_POST_BACKOFF_SECONDS"] * 2 ** max(failures - 1, 0))


def _due(config: Mapping[str, Any], case_id: str, kind: str, now: datetime) -> bool:
    failures, last = _failures(case_id, kind)
    if failures >= config["SLACK_POST_ATTEMPTS"]:
        return False
    return last is None or now >= last + _backoff(config, failures)


def _record_failure(config: Mapping[str, Any], case_id: str, kind: str, what: str, exc: PostFailed) -> None:
    failures = _failures(case_id, kind)[0] + 1
    if failures >= config["SLACK_POST_ATTEMPTS"]:
        then = f"Gave up after {failures} tries."
    else:
        then = f"Trying again in about {int(_backoff(config, failures).total_seconds())} s."
    log.warning("case %s: %s: %s (try %d)", case_id, what.lower(), exc, failures)
    cases.add_event(case_id, kind, f"{what}: {exc}. {then}")
