"""The case service: validation, streaming to storage, one transaction, enqueue after commit."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import cases, queue
from app.models import Case, CaseEvent, CaseFile, CaseStatus, db
from app.rules import InputErrors, SlackFileRef, Upload
from app.storage import ObjectNotFound, get_storage
from tests.conftest import due_in
from tests.docs import make_pdf


def upload(name: str, data: bytes) -> Upload:
    return Upload(name=name, stream=io.BytesIO(data))


def stored_objects(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()]


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Case, CaseFile, CaseEvent)
    )


def test_creates_case_files_and_event_then_enqueues(ctx: Flask) -> None:
    pdf = make_pdf(["Supply agreement between A and B."])
    created = cases.create_case(
        source="web",
        title="  Supply review ",
        details="Please review.",
        due_date=due_in(5),
        uploads=[upload("contract.docx", pdf)],  # the extension lies: the content is a PDF
    )
    case = created.case
    assert created.created and created.enqueued
    assert case.status == CaseStatus.SUBMITTED and case.title == "Supply review"
    [file] = case.files
    assert file.content_type == "application/pdf"
    assert file.size == len(pdf) and file.sha256 == hashlib.sha256(pdf).hexdigest()
    assert file.storage_key == f"cases/{case.id}/{file.id}"
    with get_storage().open(file.storage_key) as stored:
        assert stored.read() == pdf
    assert [e.kind for e in case.events] == ["created"]
    assert case.enqueued_at is not None
    [message] = queue.get_broker().queues[queue.CASES_QUEUE].queue
    assert message is not None


def test_refusal_saves_nothing(ctx: Flask) -> None:
    with pytest.raises(InputErrors) as caught:
        cases.create_case(
            source="api",
            title="",
            details="ok",
            due_date=due_in(3),
            uploads=[upload("a.txt", b"text"), upload("empty.txt", b"")],
        )
    assert caught.value.errors == {"files": "empty.txt is empty."}
    assert counts() == (0, 0, 0)
    assert stored_objects(ctx) == []


def test_too_many_and_too_large_files(ctx: Flask) -> None:
    ctx.config["MAX_FILE_MB"] = 1
    with pytest.raises(InputErrors, match="at most 10 files"):
        cases.create_case(
            source="api",
            title="",
            details="d",
            due_date=due_in(3),
            uploads=[upload(f"{i}.txt", b"x") for i in range(11)],
        )
    with pytest.raises(InputErrors, match="larger than 1 MB"):
        cases.create_case(
            source="api",
            title="",
            details="d",
            due_date=due_in(3),
            uploads=[upload("big.bin", b"x" * (1024 * 1024 + 1))],
        )
    assert counts() == (0, 0, 0)


def test_a_storage_failure_midway_removes_stored_files_and_saves_nothing(ctx: Flask, monkeypatch) -> None:
    storage = get_storage()
    real_save = storage.save
    calls = []

    def failing_save(key, stream):
        calls.append(key)
        real_save(key, stream)
        if len(calls) == 2:
            raise OSError("connection lost after the store kept the object")

    monkeypatch.setattr(storage, "save", failing_save)
    with pytest.raises(OSError, match="connection lost"):
        cases.create_case(
            source="web",
            title="",
            details="d",
            due_date=due_in(3),
            uploads=[upload("1.txt", b"one"), upload("2.txt", b"two")],
        )
    assert counts() == (0, 0, 0)
    assert stored_objects(ctx) == []


def test_a_database_failure_at_commit_removes_stored_files(ctx: Flask, monkeypatch) -> None:
    def broken_commit() -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(sa.exc.OperationalError):
        cases.create_case(
            source="web", title="", details="d", due_date=due_in(3), uploads=[upload("1.txt", b"one")]
        )
    monkeypatch.undo()
    db.session.rollback()
    assert counts() == (0, 0, 0)
    assert stored_objects(ctx) == []


def test_broker_down_keeps_the_case_and_says_so(ctx: Flask, monkeypatch) -> None:
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(queue, "enqueue_case", down)
    created = cases.create_case(source="api", title="", details="d", due_date=due_in(3))
    assert created.created and not created.enqueued
    case = db.session.get(Case, created.case.id)
    assert case.status == CaseStatus.SUBMITTED and case.enqueued_at is None
    assert [e.kind for e in case.events] == ["created", "queue_unavailable"]


def test_same_idempotency_key_makes_one_case(ctx: Flask) -> None:
    first = cases.create_case(source="api", title="", details="d", due_date=due_in(3), idempotency_key="k1")
    again = cases.create_case(source="api", title="", details="d", due_date=due_in(3), idempotency_key="k1")
    assert again.case.id == first.case.id and not again.created
    assert counts()[0] == 1


def test_same_key_with_other_content_conflicts_when_checked(ctx: Flask) -> None:
    cases.create_case(
        source="api",
        title="",
        details="d",
        due_date=due_in(3),
        uploads=[upload("a.txt", b"one")],
        idempotency_key="k2",
        check_fingerprint=True,
    )
    same = cases.create_case(
        source="api",
        title="",
        details="d",
        due_date=due_in(3),
        uploads=[upload("a.txt", b"one")],
        idempotency_key="k2",
        check_fingerprint=True,
    )
    assert not same.created
    with pytest.raises(cases.IdempotencyConflict):
        cases.create_case(
            source="api",
            title="",
            details="d",
            due_date=due_in(3),
            uploads=[upload("a.txt", b"two")],
            idempotency_key="k2",
            check_fingerprint=True,
        )
    assert counts()[0] == 1


def test_slack_files_are_recorded_as_pending(ctx: Flask) -> None:
    created = cases.create_case(
        source="slack",
        title="",
        details="d",
        due_date=due_in(3),
        slack_files=[
            SlackFileRef("F1", "../brief.pdf", "https://files.slack.com/files-pri/T1-F1/brief.pdf", 100)
        ],
    )
    [file] = created.case.files
    assert (file.status, file.origin, file.slack_file_id, file.name) == (
        "pending",
        "slack",
        "F1",
        "brief.pdf",
    )
    assert file.uploaded_at is None
    with pytest.raises(ObjectNotFound):
        get_storage().open(file.storage_key)


@pytest.mark.parametrize("bad_id", ["nope", "", "123", "00000000-0000-0000-0000-000000000000", "../etc"])
def test_unknown_and_malformed_ids_are_not_found(ctx: Flask, bad_id: str) -> None:
    with pytest.raises(cases.CaseNotFound):
        cases.get_case(bad_id)
