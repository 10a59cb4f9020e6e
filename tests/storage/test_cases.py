"""Cases on both backends: created through the API, processed from storage, nothing half-saved."""

from __future__ import annotations

import importlib.util
import io
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import cases
from app.models import Case, CaseStatus, FileStatus, db
from app.processing import process_case
from app.rules import Upload
from app.storage import Storage
from tests.conftest import due_in
from tests.docs import make_pdf
from tests.storage.conftest import MB, BreaksMidway, keys, post_case

PDF = make_pdf(["Supply agreement between Acme Ltd and Beta GmbH.", "Delivery is due on 1 March 2030."])


def test_api_uploads_are_stored_under_generated_keys(
    app: Flask, client: FlaskClient, storage: Storage
) -> None:
    body = post_case(client, [(PDF, "../../etc/passwd.pdf"), (b"plain notes", "notes.txt")])
    case = cases.get_case(body["id"])
    assert [f.storage_key for f in case.files] == [f"cases/{case.id}/{f.id}" for f in case.files]
    assert keys(storage) == sorted(f.storage_key for f in case.files)
    with storage.open(case.files[0].storage_key) as stored:
        assert stored.read() == PDF
    assert case.files[0].name == "passwd.pdf"


def test_web_form_uploads_are_stored_the_same_way(client: FlaskClient, storage: Storage) -> None:
    form = {
        "form_token": str(uuid.uuid4()),
        "details": "Review the supply agreement.",
        "due_date": due_in(9),
        "files": [(io.BytesIO(PDF), "supply.pdf")],
    }
    response = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    case = cases.get_case(response.headers["Location"].rsplit("/", 1)[1])
    [file] = case.files
    assert keys(storage) == [f"cases/{case.id}/{file.id}"]
    with storage.open(file.storage_key) as stored:
        assert stored.read() == PDF


def test_an_upload_failing_midway_leaves_no_case_and_no_objects(ctx: Flask, storage: Storage) -> None:
    # The second file is large enough for a multipart upload on s3 and fails after its first parts.
    broken = BreaksMidway(b"\0" * (20 * MB), fail_at=17 * MB)
    with pytest.raises(ConnectionResetError):
        cases.create_case(
            source="api",
            title="",
            details="Two files, the second breaks.",
            due_date=due_in(3),
            uploads=[Upload("first.pdf", io.BytesIO(PDF)), Upload("second.bin", broken)],
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert keys(storage) == []


@pytest.mark.skipif(
    importlib.util.find_spec("app.summarize.local") is None,
    reason="app/summarize/local.py (the local summarizer) is not in this tree yet",
)
def test_a_case_is_created_and_processed_end_to_end(app: Flask, client: FlaskClient) -> None:
    body = post_case(client, [(PDF, "supply.pdf")])
    with app.app_context():
        process_case(body["id"])
    done = client.get(f"/api/cases/{body['id']}").get_json()
    assert done["status"] == CaseStatus.COMPLETED, done["error"]
    [file] = done["files"]
    assert (file["status"], file["pages"], file["extraction_method"]) == (
        FileStatus.EXTRACTED,
        2,
        "text layer",
    )
    assert done["summary"]["documents"][0]["file"] == "supply.pdf"
