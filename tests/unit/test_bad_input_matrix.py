"""The bad-input matrix, through the web form and the JSON API alike (the Slack modal's refusals are
in tests/slack/test_submission.py). Every row: a clear message or a per-file "unreadable: <reason>",
nothing half-saved, never a 5xx or a stack trace."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from app import processing
from app.models import Case, CaseFile, db
from tests.conftest import due_in, make_settings
from tests.docs import make_docx, make_encrypted_pdf, make_pdf, make_zip_bomb_docx


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict:
    """The matrix runs on both databases: PostgreSQL refuses NUL characters that SQLite stores."""
    database = f"sqlite:///{tmp_path / 'docket.db'}"
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres_url")
    return make_settings(tmp_path, DATABASE_URL=database)


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class Row:
    name: str
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    refused: str | None = None  # the field named in the refusal
    message: str = ""  # part of the message shown
    unreadable: str | None = None  # for accepted cases: part of the per-file reason after processing
    stored_name: str | None = None  # for accepted cases: the name shown for the first file


ROWS = [
    Row("details missing", {"details": None}, refused="details", message="Enter the case details."),
    Row("details empty", {"details": ""}, refused="details", message="Enter the case details."),
    Row(
        "details whitespace only", {"details": " \n\t "}, refused="details", message="Enter the case details."
    ),
    Row("details oversize", {"details": "x" * 20_001}, refused="details", message="the limit is 20,000"),
    Row("date missing", {"due_date": ""}, refused="due_date", message="Enter a due date."),
    Row("date invalid", {"due_date": "2027-02-30"}, refused="due_date", message="not a real calendar date"),
    Row("date not a date", {"due_date": "next friday"}, refused="due_date", message="YYYY-MM-DD"),
    Row("date past", {"due_date": "2020-06-01"}, refused="due_date", message="in the past"),
    Row("date year 9999", {"due_date": "9999-12-31"}, refused="due_date", message="more than 10 years ahead"),
    Row(
        "too many files", files=[(f"{n}.txt", b"x") for n in range(11)], refused="files", message="at most 10"
    ),
    Row(
        "oversize file",
        files=[("big.bin", b"x" * (1024 * 1024 + 1))],
        refused="files",
        message="larger than 1 MB",
    ),
    Row(
        "zero-byte file",
        files=[("a.txt", b"ok"), ("empty.pdf", b"")],
        refused="files",
        message="empty.pdf is empty",
    ),
    Row("title oversize", {"title": "t" * 201}, refused="title", message="under 200 characters"),
    Row(
        "extension lies",
        files=[("contract.docx", make_pdf(["A PDF in disguise."]))],
        stored_name="contract.docx",
    ),
    Row("encrypted PDF", files=[("locked.pdf", make_encrypted_pdf("secret"))], unreadable="encrypted"),
    Row(
        "corrupt PDF", files=[("broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog")], unreadable="corrupt PDF"
    ),
    Row("corrupt DOCX", files=[("broken.docx", make_docx(["x"])[:300])], unreadable="corrupt DOCX"),
    Row("DOCX zip bomb", files=[("bomb.docx", make_zip_bomb_docx())], unreadable="zip bomb"),
    Row("script in text fields", {"title": SCRIPT, "details": SCRIPT}, files=[(f"{SCRIPT}.txt", b"text")]),
    Row("requester name oversize", {"requester": "r" * 300}),
    Row("NUL in text fields", {"title": "Lea\x00se", "details": "Ten\x00ant"}),
    Row("dot-dot name", files=[("../../etc/passwd", b"root:x:0:0")], stored_name="passwd"),
    Row("NUL in name", files=[("a\x00b.txt", b"text")], stored_name="ab.txt"),
    Row("300-character name", files=[("n" * 296 + ".txt", b"text")], stored_name="n" * 251 + ".txt"),
    Row("non-Latin name", files=[("報告書", b"text")], stored_name="報告書"),
]


def post_multipart(
    client: FlaskClient, path: str, data: dict, files: list[tuple[str, bytes]]
) -> TestResponse:
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    fields = MultiDict(data)
    for name, content in files:
        fields.add("files", FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def web_post(client: FlaskClient, data: dict, files: list[tuple[str, bytes]]) -> TestResponse:
    page = client.get("/cases/new").get_data(as_text=True)
    data["form_token"] = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return post_multipart(client, "/cases/new", data, files)


def api_post(client: FlaskClient, data: dict, files: list[tuple[str, bytes]]) -> TestResponse:
    return post_multipart(client, "/api/cases", data, files)


def saved(app: Flask) -> tuple[list[Case], list[Path]]:
    with app.app_context():
        found = db.session.query(Case).all()
    return found, [p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()]


@pytest.mark.parametrize("surface", ["web", "api"])
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_bad_input(app: Flask, client: FlaskClient, surface: str, row: Row) -> None:
    app.config["MAX_FILE_MB"] = 1
    data = {"title": "Matrix", "details": "Details.", "due_date": due_in(5)} | row.fields
    data = {k: v for k, v in data.items() if v is not None}
    response = (web_post if surface == "web" else api_post)(client, data, row.files)
    body = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in body

    if row.refused:
        assert response.status_code in (400, 422)
        if surface == "api":
            assert response.get_json()["fields"][row.refused].find(row.message) >= 0
        else:
            assert re.search(rf'id="{row.refused}-error">[^<]*{re.escape(row.message)}', body)
        assert saved(app) == ([], []), "a refused case left something behind"
        return

    assert response.status_code in (202, 303)
    [case] = saved(app)[0]
    with app.app_context():
        processing.process_case(case.id)
        case = db.session.get(Case, case.id)
        files: list[CaseFile] = list(case.files)
        assert case.status == "completed", case.error
    if row.unreadable:
        assert files[0].status == "unreadable" and row.unreadable in files[0].status_reason
    if row.stored_name:
        assert files[0].name == row.stored_name
    page = client.get(f"/case/{case.id}").get_data(as_text=True)
    assert "<script>" not in page.split("</head>")[1]
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    if row.unreadable:
        assert f"unreadable: {files[0].status_reason}" in page
    for file in files:
        with client.get(f"/case/{case.id}/files/{file.id}") as download:
            assert download.status_code == 200 and download.headers["Content-Disposition"].startswith(
                "attachment"
            )


@pytest.mark.parametrize("case_id", ["nope", "1", "../../etc", "%00", str(uuid.uuid4()), "0" * 500])
def test_unknown_and_malformed_ids(client: FlaskClient, case_id: str) -> None:
    for path, kind in [
        (f"/case/{case_id}", "html"),
        (f"/api/cases/{case_id}", "json"),
        (f"/case/{case_id}/files/{uuid.uuid4()}", "html"),
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        if kind == "json":
            assert response.get_json()["error"] == "not_found"
    if "/" not in case_id:  # with a slash it is another URL altogether, answered 404 above
        fragment = client.get(f"/case/{case_id}/status")
        assert fragment.status_code == 286 and "does not exist" in fragment.get_data(as_text=True)
