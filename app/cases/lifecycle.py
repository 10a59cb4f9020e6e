"""A case's processing life: claim, lease, step, complete or fail, retry.

Every change is one conditional update, so two workers (or a worker and the sweeper) never both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.cases.intake import request_processing
from app.cases.records import fit, get_case, stage_event, update_case
from app.models import Case, CaseStatus, db, new_id, utcnow


class NotRetryable(Exception):
    """Only a failed case can be retried."""


def _claimable(now: datetime, max_attempts: int) -> sa.ColumnElement[bool]:
    waiting = sa.and_(
        Case.status == CaseStatus.SUBMITTED,
        sa.or_(Case.next_attempt_at.is_(None), Case.next_attempt_at <= now),
    )
    abandoned = sa.and_(Case.status == CaseStatus.PROCESSING, Case.lease_expires_at < now)
    return sa.and_(Case.attempts < max_attempts, sa.or_(waiting, abandoned))


def claim_case(case_id: str) -> str | None:
    """Take the case for one processing attempt; returns the claim token, or None if not ours.

    One conditional update: `submitted` (and due), or `processing` whose lease ran out.
    """
    config = current_app.config
    now = utcnow()
    before = db.session.get(Case, case_id)
    if before is None:
        return None
    was_abandoned = before.status == CaseStatus.PROCESSING
    token = new_id()
    claimed = update_case(
        sa.and_(Case.id == case_id, _claimable(now, config["MAX_ATTEMPTS"])),
        status=CaseStatus.PROCESSING,
        attempts=Case.attempts + 1,
        claim_token=token,
        lease_expires_at=now + timedelta(seconds=config["LEASE_SECONDS"]),
        started_at=sa.func.coalesce(Case.started_at, now),
        next_attempt_at=None,
        error=None,
        step="starting",
    )
    if not claimed:
        db.session.rollback()
        fail_if_out_of_attempts(case_id)
        return None
    db.session.refresh(before)
    note = " (the previous attempt was interrupted)" if was_abandoned else ""
    stage_event(case_id, "attempt", f"Attempt {before.attempts} of {config['MAX_ATTEMPTS']} started{note}.")
    db.session.commit()
    return token


def fail_if_out_of_attempts(case_id: str) -> bool:
    """A case whose lease ran out on its last attempt ends failed instead of looping forever."""
    config = current_app.config
    now = utcnow()
    reason = (
        f"Processing stopped unexpectedly {config['MAX_ATTEMPTS']} times "
        "(the worker was interrupted or ran out of time)."
    )
    done = update_case(
        sa.and_(
            Case.id == case_id,
            Case.status == CaseStatus.PROCESSING,
            Case.lease_expires_at < now,
            Case.attempts >= config["MAX_ATTEMPTS"],
        ),
        status=CaseStatus.FAILED,
        error=reason,
        processed_at=now,
        step=None,
        claim_token=None,
    )
    if done:
        stage_event(case_id, "failed", reason)
    db.session.commit()
    return done


def _held(case_id: str, token: str) -> sa.ColumnElement[bool]:
    return sa.and_(Case.id == case_id, Case.claim_token == token, Case.status == CaseStatus.PROCESSING)


def renew_lease(case_id: str, token: str) -> bool:
    """Extend the lease; False means another run took the case (ours expired)."""
    seconds = current_app.config["LEASE_SECONDS"]
    renewed = update_case(_held(case_id, token), lease_expires_at=utcnow() + timedelta(seconds=seconds))
    db.session.commit()
    return renewed


def set_step(case_id: str, token: str, step: str, *, event: str | None = None) -> bool:
    """Show what the worker is doing now; with `event`, also write it to the timeline."""
    changed = update_case(_held(case_id, token), step=fit(Case.step, step))
    if changed and event:
        stage_event(case_id, "step", event)
    db.session.commit()
    return changed


def complete_case(case_id: str, token: str, summary: dict[str, Any], usage: dict[str, Any] | None) -> bool:
    """Store the summary and mark the case completed, only if this run still holds it."""
    usage = usage or {}
    done = update_case(
        _held(case_id, token),
        status=CaseStatus.COMPLETED,
        summary=summary,
        processed_at=utcnow(),
        step=None,
        claim_token=None,
        lease_expires_at=None,
        error=None,
        ai_model=usage.get("model"),
        ai_prompt_tokens=usage.get("prompt_tokens"),
        ai_completion_tokens=usage.get("completion_tokens"),
    )
    if done:
        stage_event(case_id, "completed", "Summary ready.")
    db.session.commit()
    return done


def fail_attempt(case_id: str, token: str, reason: str, *, retryable: bool = True) -> str | None:
    """Record a failed attempt. Returns "retry" (queued again with backoff), "failed", or None
    when this run no longer holds the case."""
    config = current_app.config
    case = db.session.get(Case, case_id)
    if case is None or case.claim_token != token or case.status != CaseStatus.PROCESSING:
        db.session.rollback()
        return None
    now = utcnow()
    if retryable and case.attempts < config["MAX_ATTEMPTS"]:
        delay = config["RETRY_BACKOFF_SECONDS"] * 2 ** (case.attempts - 1)
        outcome = update_case(
            _held(case_id, token),
            status=CaseStatus.SUBMITTED,
            claim_token=None,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=delay),
            step=f"waiting to retry in {delay} s",
            error=reason,
        )
        if outcome:
            stage_event(
                case_id, "attempt_failed", f"Attempt {case.attempts} failed: {reason} Retrying in {delay} s."
            )
            db.session.commit()
            request_processing(case, delay_seconds=delay)
            return "retry"
        db.session.rollback()
        return None
    outcome = update_case(
        _held(case_id, token),
        status=CaseStatus.FAILED,
        claim_token=None,
        lease_expires_at=None,
        processed_at=now,
        step=None,
        error=reason,
    )
    if outcome:
        stage_event(case_id, "failed", f"Processing failed: {reason}")
    db.session.commit()
    return "failed" if outcome else None


def retry_case(case_id: str) -> Case:
    """Queue a failed case again with a fresh set of attempts."""
    case = get_case(case_id)
    changed = update_case(
        sa.and_(Case.id == case.id, Case.status == CaseStatus.FAILED),
        status=CaseStatus.SUBMITTED,
        attempts=0,
        error=None,
        step=None,
        next_attempt_at=None,
        processed_at=None,
        summary=None,
        # The retried run ends with a notice of its own.
        done_notified_at=None,
    )
    if not changed:
        db.session.rollback()
        raise NotRetryable(case.status)
    stage_event(case.id, "retry", "Retry requested.")
    db.session.commit()
    db.session.refresh(case)
    request_processing(case)
    return case
