"""The sweep: wake the cases nobody is working on."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import queue
from app.cases.lifecycle import fail_if_out_of_attempts
from app.cases.records import update_case
from app.models import Case, CaseStatus, db, utcnow

log = logging.getLogger(__name__)


def sweep() -> list[str]:
    """Wake cases nobody is working on: never sent (Redis was down), sent long ago and still
    waiting (a lost message), or whose worker lost its lease. Safe to run in several processes
    at once: each case is re-sent by the run whose conditional update of `enqueued_at` wins."""
    config = current_app.config
    now = utcnow()
    stale = now - timedelta(seconds=config["SUBMITTED_GRACE_SECONDS"])
    long_ago = now - timedelta(seconds=config["QUEUE_RESEND_SECONDS"])
    due = sa.or_(Case.next_attempt_at.is_(None), Case.next_attempt_at <= now)
    never_sent = sa.and_(Case.enqueued_at.is_(None), Case.created_at < stale)
    waiting = sa.and_(
        Case.status == CaseStatus.SUBMITTED, due, sa.or_(never_sent, Case.enqueued_at < long_ago)
    )
    not_recently_sent = sa.or_(Case.enqueued_at.is_(None), Case.enqueued_at < stale)
    abandoned = sa.and_(Case.status == CaseStatus.PROCESSING, Case.lease_expires_at < now, not_recently_sent)
    candidates = db.session.execute(
        sa.select(Case.id, Case.enqueued_at).where(sa.or_(waiting, abandoned))
    ).all()
    db.session.rollback()
    woken = []
    for case_id, enqueued_at in candidates:
        if fail_if_out_of_attempts(case_id):
            continue
        previous = Case.enqueued_at.is_(None) if enqueued_at is None else Case.enqueued_at == enqueued_at
        won = update_case(sa.and_(Case.id == case_id, previous), enqueued_at=now)
        db.session.commit()
        if won:
            try:
                queue.enqueue_case(case_id)
            except Exception as exc:
                log.warning("sweeper could not enqueue %s: %s", case_id, exc)
                update_case(Case.id == case_id, enqueued_at=enqueued_at)
                db.session.commit()
                continue
            woken.append(case_id)
    return woken
