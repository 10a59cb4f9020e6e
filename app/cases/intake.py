"""Creating a case: validate, stream the files to storage, one transaction, then wake a worker."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import IO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import queue
from app.cases.records import fit, stage_event, update_case
from app.models import Case, CaseEvent, CaseFile, CaseStatus, FileStatus, db, new_id, utcnow
from app.rules import SlackFileRef, Upload, clean_file_name, clean_text, validate
from app.sniff import sniff
from app.storage import case_file_key, get_storage

log = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different request."""


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
            hashes.append(f"{row.name}:{row.sha256}")
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
        update_case(Case.id == case.id, enqueued_at=None)
        stage_event(
            case.id, "queue_unavailable", "Queue unavailable; the case will be picked up automatically."
        )
        db.session.commit()
        return False
    update_case(Case.id == case.id, enqueued_at=utcnow())
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
        hashes = [f"{clean_file_name(upload.name)}:{_sha256_of(upload.stream)}" for upload in uploads]
        fingerprint = _fingerprint(clean_text(title), clean_text(details), due_date, hashes)
        if fingerprint != existing.request_fingerprint:
            raise IdempotencyConflict(existing.id)
    return Created(case=existing, created=False)


def _fingerprint(title: str, details: str, due_date: str | date | None, files: list[str]) -> str:
    """What makes two requests the same: the fields and each file's name and content."""
    due = due_date.isoformat() if isinstance(due_date, date) else str(due_date or "").strip()
    payload = json.dumps([title, details, due, files])
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
