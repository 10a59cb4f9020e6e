"""The case service: the one place that creates cases and changes their status.

The web form, the JSON API, Slack and the workers all call these functions. Status changes
are conditional updates, so two workers (or a worker and the sweeper) can never both win.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import queue
from app.models import Case, CaseEvent, CaseFile, CaseStatus, FileStatus, db, new_id, utcnow
from app.rules import SlackFileRef, Upload, clean_file_name, clean_text, validate
from app.sniff import sniff
from app.storage import case_file_key, get_storage

log = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different request."""


class CaseNotFound(Exception):
    pass


class NotRetryable(Exception):
    """Only a failed case can be retried."""


@dataclass
class Requester:
    name: str | None = None
    slack_user_id: str | None = None
    slack_team_id: str | None = None
    slack_channel_id: str | None = None
    slack_response_url: str | None = None


@dataclass
class Created:
    case: Case
    created: bool  # False when an idempotent repeat returned the existing case
    enqueued: bool = False


def fit(column: sa.orm.InstrumentedAttribute[str | None], text: str) -> str:
    """Cut text derived from user input (a file name in a step, a requester's name) to its column's
    length: PostgreSQL refuses what does not fit, where SQLite would quietly store it."""
    limit = column.type.length
    return text if len(text) <= limit else text[: limit - 1] + "…"


def get_case(case_id: str) -> Case:
    """The case with this id; malformed ids are simply not found."""
    try:
        canonical = str(uuid.UUID(case_id))
    except (ValueError, TypeError, AttributeError):
        raise CaseNotFound(case_id) from None
    case = db.session.get(Case, canonical)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def list_cases(limit: int = 100, offset: int = 0) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case).order_by(Case.created_at.desc(), Case.id).limit(limit).offset(offset)
        )
    )


def create_case(
    *,
    source: str,
    title: str | None,
    details: str | None,
    due_date: str | date | None,
    uploads: list[Upload] = (),  # type: ignore[assignment]
    slack_files: list[SlackFileRef] = (),  # type: ignore[assignment]
    requester: Requester | None = None,
    idempotency_key: str | None = None,
    check_fingerprint: bool = False,
) -> Created:
    """Validate, store the files, save case + files + "created" event in one transaction, enqueue.

    Raises rules.InputErrors (nothing saved) or IdempotencyConflict. A repeat with the same
    idempotency key returns the existing case; with `check_fingerprint`, only if the request
    is the same (title, details, due date and file contents).
    """
    config = current_app.config
    uploads, slack_files = list(uploads), list(slack_files)
    existing = _find_by_key(idempotency_key)
    if existing is not None:
        return _repeat(existing, title, details, due_date, uploads, check_fingerprint)

    case_input = validate(
        title=title,
        details=details,
        due_date=due_date,
        uploads=uploads,
        slack_files=slack_files,
        config=config,
    )
    requester = requester or Requester()
    case = Case(
        id=new_id(),
        status=CaseStatus.SUBMITTED,
        title=case_input.title,
        details=case_input.details,
        due_date=case_input.due_date,
        source=source,
        requester_name=fit(Case.requester_name, clean_text(requester.name)) or None,
        slack_user_id=requester.slack_user_id,
        slack_team_id=requester.slack_team_id,
        slack_channel_id=requester.slack_channel_id,
        slack_response_url=requester.slack_response_url,
        idempotency_key=idempotency_key,
        attempts=0,
    )
    stored: list[str] = []
    try:
        hashes = []
        for position, upload in enumerate(case_input.uploads):
            row = _store_upload(case.id, position, upload, stored)
            hashes.append(row.sha256 or "")
            case.files.append(row)
        for position, ref in enumerate(case_input.slack_files, start=len(case.files)):
            case.files.append(_pending_slack_file(case.id, position, ref))
        case.request_fingerprint = _fingerprint(
            case_input.title, case_input.details, case_input.due_date, hashes
        )
        case.events.append(CaseEvent(kind="created", message=_created_message(case)))
        db.session.add(case)
        db.session.commit()
    except IntegrityError:
        # Two submits with the same key raced; the other one won. Keep its case, drop our files.
        db.session.rollback()
        _delete_objects(stored)
        existing = _find_by_key(idempotency_key)
        if existing is None:
            raise
        return _repeat(existing, title, details, due_date, uploads, check_fingerprint)
    except BaseException:
        db.session.rollback()
        _delete_objects(stored)
        raise
    return Created(case=case, created=True, enqueued=request_processing(case))


def request_processing(case: Case, *, delay_seconds: float = 0) -> bool:
    """Send the wake-up message. If the broker is down the case stays queued in the database
    and the sweeper sends it later, so the caller never fails because of the queue."""
    try:
        queue.enqueue_case(case.id, delay_seconds=delay_seconds)
    except Exception as exc:  # redis.ConnectionError, timeouts, anything the broker raises
        log.warning("could not enqueue case %s: %s", case.id, exc)
        # No message is waiting for this case: the sweeper sends one once the broker is back.
        _update(Case.id == case.id, enqueued_at=None)
        _add_event(
            case.id, "queue_unavailable", "Queue unavailable; the case will be picked up automatically."
        )
        db.session.commit()
        return False
    _update(Case.id == case.id, enqueued_at=utcnow())
    db.session.commit()
    return True


def _find_by_key(key: str | None) -> Case | None:
    if not key:
        return None
    return db.session.scalar(sa.select(Case).where(Case.idempotency_key == key))


def _repeat(
    existing: Case,
    title: str | None,
    details: str | None,
    due_date: str | date | None,
    uploads: list[Upload],
    check_fingerprint: bool,
) -> Created:
    if check_fingerprint:
        hashes = [_sha256_of(upload.stream) for upload in uploads]
        fingerprint = _fingerprint(clean_text(title), clean_text(details), due_date, hashes)
        if fingerprint != existing.request_fingerprint:
            raise IdempotencyConflict(existing.id)
    return Created(case=existing, created=False)


def _fingerprint(title: str, details: str, due_date: str | date | None, hashes: list[str]) -> str:
    due = due_date.isoformat() if isinstance(due_date, date) else str(due_date or "").strip()
    payload = json.dumps([title, details, due, hashes])
    return hashlib.sha256(payload.encode()).hexdigest()


class _HashingReader:
    """Reads through to the wrapped stream, hashing and counting as the bytes go by."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


def _sha256_of(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def store_stream(case_id: str, file_id: str, name: str, stream: IO[bytes]) -> tuple[str, str, int, str]:
    """Stream a seekable file into storage: returns (storage key, content type, size, sha256)."""
    content_type = sniff(stream, name)
    key = case_file_key(case_id, file_id)
    reader = _HashingReader(stream)
    get_storage().save(key, reader)  # type: ignore[arg-type]
    return key, content_type, reader.size, reader.sha256.hexdigest()


def _store_upload(case_id: str, position: int, upload: Upload, stored: list[str]) -> CaseFile:
    file_id = new_id()
    # Noted before the upload starts: an upload that fails after the store kept the object is cleaned too.
    stored.append(case_file_key(case_id, file_id))
    key, content_type, size, sha256 = store_stream(case_id, file_id, upload.name, upload.stream)
    return CaseFile(
        id=file_id,
        case_id=case_id,
        position=position,
        name=upload.name,
        storage_key=key,
        content_type=content_type,
        size=size,
        sha256=sha256,
        origin="upload",
        status=FileStatus.STORED,
        uploaded_at=utcnow(),
    )


def _pending_slack_file(case_id: str, position: int, ref: SlackFileRef) -> CaseFile:
    file_id = new_id()
    return CaseFile(
        id=file_id,
        case_id=case_id,
        position=position,
        name=clean_file_name(ref.name),
        storage_key=case_file_key(case_id, file_id),
        size=ref.size,
        origin="slack",
        slack_file_id=ref.slack_file_id,
        slack_url=ref.url,
        status=FileStatus.PENDING,
    )


def _created_message(case: Case) -> str:
    files = len(case.files)
    attached = f" with {files} file{'s' if files != 1 else ''}" if files else ""
    return f"Case created from {case.source}{attached}."


def _delete_objects(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            log.exception("could not remove %s after a failed case creation", key)


def _update(where: sa.ColumnElement[bool], **values: Any) -> bool:
    """One conditional UPDATE of a case; True when it matched (the condition is the guard)."""
    result = db.session.execute(
        sa.update(Case).where(where).values(**values).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def _add_event(case_id: str, kind: str, message: str) -> None:
    db.session.add(CaseEvent(case_id=case_id, kind=kind, message=message))


def add_event(case_id: str, kind: str, message: str) -> None:
    _add_event(case_id, kind, message)
    db.session.commit()


# --- Processing: claim, lease, step, finish ---------------------------------------------------


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
    claimed = _update(
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
    _add_event(case_id, "attempt", f"Attempt {before.attempts} of {config['MAX_ATTEMPTS']} started{note}.")
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
    done = _update(
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
        _add_event(case_id, "failed", reason)
    db.session.commit()
    return done


def _held(case_id: str, token: str) -> sa.ColumnElement[bool]:
    return sa.and_(Case.id == case_id, Case.claim_token == token, Case.status == CaseStatus.PROCESSING)


def renew_lease(case_id: str, token: str) -> bool:
    """Extend the lease; False means another run took the case (ours expired)."""
    seconds = current_app.config["LEASE_SECONDS"]
    renewed = _update(_held(case_id, token), lease_expires_at=utcnow() + timedelta(seconds=seconds))
    db.session.commit()
    return renewed


def set_step(case_id: str, token: str, step: str, *, event: str | None = None) -> bool:
    """Show what the worker is doing now; with `event`, also write it to the timeline."""
    changed = _update(_held(case_id, token), step=fit(Case.step, step))
    if changed and event:
        _add_event(case_id, "step", event)
    db.session.commit()
    return changed


def complete_case(case_id: str, token: str, summary: dict[str, Any], usage: dict[str, Any] | None) -> bool:
    """Store the summary and mark the case completed, only if this run still holds it."""
    usage = usage or {}
    done = _update(
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
        _add_event(case_id, "completed", "Summary ready.")
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
        outcome = _update(
            _held(case_id, token),
            status=CaseStatus.SUBMITTED,
            claim_token=None,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=delay),
            step=f"waiting to retry in {delay} s",
            error=reason,
        )
        if outcome:
            _add_event(
                case_id, "attempt_failed", f"Attempt {case.attempts} failed: {reason} Retrying in {delay} s."
            )
            db.session.commit()
            request_processing(case, delay_seconds=delay)
            return "retry"
        db.session.rollback()
        return None
    outcome = _update(
        _held(case_id, token),
        status=CaseStatus.FAILED,
        claim_token=None,
        lease_expires_at=None,
        processed_at=now,
        step=None,
        error=reason,
    )
    if outcome:
        _add_event(case_id, "failed", f"Processing failed: {reason}")
    db.session.commit()
    return "failed" if outcome else None


def retry_case(case_id: str) -> Case:
    """Queue a failed case again with a fresh set of attempts."""
    case = get_case(case_id)
    changed = _update(
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
    _add_event(case.id, "retry", "Retry requested.")
    db.session.commit()
    db.session.refresh(case)
    request_processing(case)
    return case


def update_file(file_id: str, **values: Any) -> None:
    db.session.execute(
        sa.update(CaseFile)
        .where(CaseFile.id == file_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- Sweeper ------------------------------------------------------------------------------------


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
        won = _update(sa.and_(Case.id == case_id, previous), enqueued_at=now)
        db.session.commit()
        if won:
            try:
                queue.enqueue_case(case_id)
            except Exception as exc:
                log.warning("sweeper could not enqueue %s: %s", case_id, exc)
                _update(Case.id == case_id, enqueued_at=enqueued_at)
                db.session.commit()
                continue
            woken.append(case_id)
    return woken
