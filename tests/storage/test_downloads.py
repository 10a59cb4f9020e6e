"""Downloads on both backends: an attachment under the original name, never rendered from our origin.

`local` serves the bytes through the app (with nosniff: see tests/unit/test_web.py); `s3` redirects to
a presigned URL that is fetched here over real HTTP from the S3 server and compared byte for byte.
"""

from __future__ import annotations

import io
import urllib.request
from email.message import Message

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.cases import get_case
from app.disposition import attachment
from app.storage import get_storage
from tests.conftest import due_in

NAME = "Ärztliches Gutachten – 報告書 (v2) 100%.html"
CONTENT = b"<html><script>alert(document.cookie)</script></html>" * 200


def create_case(client: FlaskClient, name: str = NAME, content: bytes = CONTENT) -> tuple[str, str]:
    response = client.post(
        "/api/cases",
        data={"details": "Read the report.", "due_date": due_in(5), "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    body = response.get_json()
    return body["id"], body["files"][0]["id"]


def download(client: FlaskClient, path: str) -> tuple[Message, bytes]:
    """Follow the app's download link as a browser would: the headers and bytes that arrive."""
    with client.get(path) as response:
        if response.status_code == 200:
            return _headers(response.headers.items()), response.get_data()
        assert response.status_code == 302, response.status_code
        assert response.headers["Cache-Control"] == "no-store"
        location = response.headers["Location"]
    with urllib.request.urlopen(location, timeout=10) as fetched:
        return fetched.headers, fetched.read()


def _headers(items: list[tuple[str, str]]) -> Message:
    headers = Message()
    for name, value in items:
        headers[name] = value
    return headers


@pytest.mark.parametrize("route", ["/case/{case}/files/{file}", "/api/cases/{case}/files/{file}"])
def test_a_download_is_the_same_bytes_as_an_attachment_with_the_original_name(
    client: FlaskClient, route: str
) -> None:
    case_id, file_id = create_case(client)
    headers, body = download(client, route.format(case=case_id, file=file_id))
    assert body == CONTENT
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == attachment(NAME)
    assert headers["Content-Disposition"].startswith(
        'attachment; filename="Arztliches Gutachten _ ___ (v2) 100_.html"'
    )
    assert (
        "filename*=UTF-8''%C3%84rztliches%20Gutachten%20%E2%80%93%20%E5%A0%B1"
        in headers["Content-Disposition"]
    )


def test_a_missing_object_is_our_404_page(app: Flask, client: FlaskClient) -> None:
    case_id, file_id = create_case(client)
    with app.app_context():
        [file] = get_case(case_id).files
        get_storage().delete(file.storage_key)
    page = client.get(f"/case/{case_id}/files/{file_id}")
    assert page.status_code == 404
    assert "There is no such page or case." in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    api = client.get(f"/api/cases/{case_id}/files/{file_id}")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
