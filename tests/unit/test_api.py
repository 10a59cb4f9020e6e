"""The JSON API: create, read, list, retry, idempotency and error shapes."""

from __future__ import annotations

import io
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import cases
from app.models import Case, db
from tests.conftest import due_in


def post(client: FlaskClient, key: str | None = None, files=(), **fields):
    data = {"details": "Review the NDA.", "due_date": due_in(7), **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/cases", data=data, headers=headers, content_type="multipart/form-data")


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Case).count()


def test_create_returns_202_with_id_status_and_url(app: Flask, client: FlaskClient) -> None:
    response = post(client, title="NDA", files=[("nda.md", b"# Mutual NDA\nTerm: 2 years.")])
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "submitted"
    assert body["url"] == f"http://localhost:3000/case/{body['id']}"
    [file] = body["files"]
    assert file["name"] == "nda.md" and file["content_type"] == "text/markdown" and file["size"] == 27
    fetched = client.get(f"/api/cases/{body['id']}").get_json()
    assert fetched["id"] == body["id"] and fetched["events"][0]["kind"] == "created"
    listed = client.get("/api/cases").get_json()
    assert [c["id"] for c in listed["cases"]] == [body["id"]]


def test_json_bodies_work_too(client: FlaskClient) -> None:
    response = client.post("/api/cases", json={"details": "From JSON.", "due_date": due_in(2)})
    assert response.status_code == 202


def test_idempotency_key_repeat_returns_the_same_case(app: Flask, client: FlaskClient) -> None:
    first = post(client, key="abc-123", files=[("a.txt", b"one")])
    again = post(client, key="abc-123", files=[("a.txt", b"one")])
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    conflict = post(client, key="abc-123", files=[("a.txt", b"two")])
    assert conflict.status_code == 409
    assert conflict.get_json()["error"] == "idempotency_conflict"
    assert count(app) == 1


@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ({"details": ""}, [], "details"),
        ({"details": " \n\t "}, [], "details"),
        ({"details": "x" * 20_001}, [], "details"),
        ({"due_date": "9999-12-31"}, [], "due_date"),
        ({"due_date": "2020-01-01"}, [], "due_date"),
        ({"due_date": "tomorrow"}, [], "due_date"),
        ({}, [("empty.pdf", b"")], "files"),
        ({}, [(f"{i}.txt", b"x") for i in range(11)], "files"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_saves_nothing(
    app: Flask, client: FlaskClient, fields, files, field
) -> None:
    response = post(client, files=files, **fields)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_input" and field in body["fields"] and body["message"]
    assert count(app) == 0


def test_wrong_json_types_and_bodies(app: Flask, client: FlaskClient) -> None:
    assert client.post("/api/cases", json={"details": 5, "due_date": due_in(2)}).status_code == 422
    assert client.post("/api/cases", json=[1, 2]).status_code == 400
    assert client.post("/api/cases", data="x", content_type="text/plain").status_code == 400
    bad_key = client.post(
        "/api/cases", json={"details": "d", "due_date": due_in(2)}, headers={"Idempotency-Key": "x" * 300}
    )
    assert bad_key.status_code == 400
    assert count(app) == 0


@pytest.mark.parametrize(
    "path", ["/api/cases/nope", f"/api/cases/{uuid.uuid4()}", f"/api/cases/{uuid.uuid4()}/retry"]
)
def test_unknown_cases_are_json_404s(client: FlaskClient, path: str) -> None:
    response = client.post(path) if path.endswith("retry") else client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_retry_only_for_failed_cases(app: Flask, client: FlaskClient) -> None:
    case_id = post(client).get_json()["id"]
    assert client.post(f"/api/cases/{case_id}/retry").status_code == 409
    with app.app_context():
        token = cases.claim_case(case_id)
        cases.fail_attempt(case_id, token, "broken", retryable=False)
    response = client.post(f"/api/cases/{case_id}/retry")
    assert response.status_code == 202 and response.get_json()["status"] == "submitted"


def test_bad_list_queries(client: FlaskClient) -> None:
    assert client.get("/api/cases?limit=0").status_code == 400
    assert client.get("/api/cases?limit=abc").status_code == 400


def test_openapi_document_is_served(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/retry"} <= set(doc["paths"])
    assert "Summary" in doc["components"]["schemas"]


def test_api_needs_no_csrf_token(tmp_path) -> None:
    from app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
    response = app.test_client().post("/api/cases", json={"details": "d", "due_date": due_in(2)})
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"file": (io.BytesIO(b"text"), "a.txt")}, "file"),
        ({"attachment": (io.BytesIO(b"text"), "a.txt")}, "attachment"),
        ({"files": "a.txt"}, "files"),
    ],
)
def test_attachments_sent_anywhere_else_are_refused_not_lost(
    app: Flask, client: FlaskClient, data, field
) -> None:
    response = client.post(
        "/api/cases", data={"details": "d", "due_date": due_in(2), **data}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert count(app) == 0


def test_a_multipart_body_without_a_boundary_is_a_bad_body(client: FlaskClient) -> None:
    response = client.post("/api/cases", data=b"details=d", content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_body"


def test_same_key_same_content_but_another_file_name_conflicts(app: Flask, client: FlaskClient) -> None:
    assert post(client, key="k-names", files=[("a.txt", b"same")]).status_code == 202
    assert post(client, key="k-names", files=[("b.txt", b"same")]).status_code == 409


def test_a_field_sent_twice_is_refused_not_first_wins(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/cases",
        data="details=d&due_date=" + due_in(3) + "&due_date=1999-01-01",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422 and "due_date" in response.get_json()["fields"]
    assert count(app) == 0
