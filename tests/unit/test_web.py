"""The web pages: form, case page, polling fragment, downloads, errors and headers."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import cases
from app.models import Case, db
from tests.conftest import due_in, make_settings
from tests.summaries import summary


def new_form(client: FlaskClient) -> dict[str, str]:
    page = client.get("/cases/new").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return {
        "form_token": token,
        "title": "Hearing prep",
        "details": "Prepare the hearing.",
        "due_date": due_in(4),
    }


def case_ids(app: Flask) -> list[str]:
    with app.app_context():
        return [c.id for c in db.session.query(Case).all()]


def test_form_creates_a_case_and_redirects_to_its_page(app: Flask, client: FlaskClient) -> None:
    form = new_form(client)
    form["files"] = [(io.BytesIO(b"Notice of hearing on 19 January 2024."), "notice.txt")]
    response = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    [case_id] = case_ids(app)
    assert response.headers["Location"] == f"/case/{case_id}"
    page = client.get(f"/case/{case_id}").get_data(as_text=True)
    assert "Hearing prep" in page and "Prepare the hearing." in page and "notice.txt" in page
    assert "4 days left" in page


def test_the_same_form_submitted_twice_makes_one_case(app: Flask, client: FlaskClient) -> None:
    form = new_form(client)
    first = client.post("/cases/new", data=form)
    second = client.post("/cases/new", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(case_ids(app)) == 1


def test_refusals_are_shown_next_to_each_field_and_the_input_is_kept(app: Flask, client: FlaskClient) -> None:
    form = new_form(client) | {"details": "  ", "due_date": "2001-01-01", "title": "<b>kept</b>"}
    response = client.post("/cases/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="details-error">Enter the case details.' in page
    assert 'id="due_date-error">The due date is in the past.' in page
    assert 'value="&lt;b&gt;kept&lt;/b&gt;"' in page
    assert case_ids(app) == []


def test_a_form_without_its_token_is_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post("/cases/new", data={"details": "d", "due_date": due_in(2)})
    assert response.status_code == 400
    assert case_ids(app) == []


@pytest.mark.parametrize("path", ["/case/nope", f"/case/{uuid.uuid4()}", "/case/%00", "/no/such/page"])
def test_unknown_pages_are_a_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "There is no such page or case." in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def create(app: Flask, **kwargs: Any) -> str:
    with app.app_context():
        return cases.create_case(
            source="web", title="", details="Details here.", due_date=due_in(3), **kwargs
        ).case.id


def test_status_fragment_polls_until_final_then_stops(app: Flask, client: FlaskClient) -> None:
    case_id = create(app)
    live = client.get(f"/case/{case_id}/status")
    assert live.status_code == 200
    assert 'hx-trigger="every 2s"' in live.get_data(as_text=True)
    with app.app_context():
        token = cases.claim_case(case_id)
        cases.complete_case(case_id, token, summary_fixture(), None)
    final = client.get(f"/case/{case_id}/status")
    assert final.status_code == 286
    html = final.get_data(as_text=True)
    assert "hx-get" not in html and "hx-trigger" not in html
    assert "Overview of &lt;script&gt;" in html  # the summary, escaped


def test_status_fragment_for_an_unknown_case_is_final(client: FlaskClient) -> None:
    response = client.get(f"/case/{uuid.uuid4()}/status")
    assert response.status_code == 286
    assert "does not exist" in response.get_data(as_text=True)
    assert "hx-get" not in response.get_data(as_text=True)


def test_downloads_are_attachments_never_inline(app: Flask, client: FlaskClient) -> None:
    html = b"<html><script>alert(1)</script></html>"
    case_id = create(app, uploads=[cases.Upload(name="報告書.html", stream=io.BytesIO(html))])
    with app.app_context():
        file_id = cases.get_case(case_id).files[0].id
    with client.get(f"/case/{case_id}/files/{file_id}") as response:
        assert response.status_code == 200 and response.data == html
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Length"] == str(len(html))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.html" in disposition
    assert client.get(f"/case/{case_id}/files/{uuid.uuid4()}").status_code == 404


def test_a_missing_stored_object_is_a_404_not_a_crash(app: Flask, client: FlaskClient) -> None:
    case_id = create(app, uploads=[cases.Upload(name="a.txt", stream=io.BytesIO(b"text"))])
    with app.app_context():
        file = cases.get_case(case_id).files[0]
        Path(app.config["STORAGE_DIR"], file.storage_key).unlink()
    assert client.get(f"/case/{case_id}/files/{file.id}").status_code == 404


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_csrf_is_enforced_on_the_form(tmp_path: Path) -> None:
    from app import create_app

    app = create_app(make_settings(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    response = client.post(
        "/cases/new", data={"form_token": str(uuid.uuid4()), "details": "d", "due_date": due_in(2)}
    )
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def summary_fixture() -> dict[str, Any]:
    return summary("Overview of <script>alert(1)</script>").model_dump(mode="json")


def test_the_same_form_sent_again_with_changes_says_so_instead_of_dropping_them(
    app: Flask, client: FlaskClient
) -> None:
    form = new_form(client)
    first = client.post("/cases/new", data=form)
    edited = client.post("/cases/new", data=form | {"details": "Edited after going back."})
    assert edited.status_code == 409
    page = edited.get_data(as_text=True)
    assert "your changes were not saved" in page and first.headers["Location"] in page
    assert form["form_token"] not in page  # the answer carries a fresh form
    assert len(case_ids(app)) == 1
