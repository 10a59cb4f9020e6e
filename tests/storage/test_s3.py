"""What only the s3 backend does: presigned URLs, multipart clean-up, boto errors turned into ours."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.models import Case, db
from app.storage import ObjectNotFound, Storage, StorageError, get_storage
from tests.conftest import due_in
from tests.storage.conftest import MB, BreaksMidway, backend_settings, post_case, s3_client
from tests.storage.test_downloads import download


@pytest.fixture
def backend() -> str:
    return "s3"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    base = backend_settings("s3", tmp_path, request)
    # Browsers reach the bucket by another name than the app does (e.g. a proxy, or localhost).
    public = base["S3_ENDPOINT_URL"].replace("127.0.0.1", "localhost")
    return base | {"S3_PUBLIC_ENDPOINT_URL": public, "DOWNLOAD_URL_SECONDS": 120}


def test_presigned_urls_are_sigv4_short_lived_and_signed_for_the_public_endpoint(
    client: FlaskClient, settings: dict[str, Any]
) -> None:
    body = post_case(client, [(b"%PDF-1.4 not really", "brief.pdf")])
    with client.get(f"/case/{body['id']}/files/{body['files'][0]['id']}") as response:
        url = urlsplit(response.headers["Location"])
    assert f"{url.scheme}://{url.netloc}" == settings["S3_PUBLIC_ENDPOINT_URL"]
    assert url.path == f"/{settings['S3_BUCKET']}/cases/{body['id']}/{body['files'][0]['id']}"
    query = parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert query["response-content-type"] == ["application/octet-stream"]
    _, data = download(client, f"/api/cases/{body['id']}/files/{body['files'][0]['id']}")
    assert data == b"%PDF-1.4 not really"


def test_a_failed_multipart_upload_is_aborted_not_left_in_the_bucket(
    storage: Storage, settings: dict[str, Any]
) -> None:
    with pytest.raises(ConnectionResetError):
        storage.save("cases/c/f", BreaksMidway(b"\0" * (30 * MB), fail_at=20 * MB))
    assert not storage.exists("cases/c/f")
    uploads = s3_client(settings["S3_ENDPOINT_URL"]).list_multipart_uploads(Bucket=settings["S3_BUCKET"])
    assert uploads.get("Uploads", []) == []


def test_boto_errors_come_out_as_ours(broken_app: Flask, storage: Storage) -> None:
    with broken_app.app_context():
        unreachable = get_storage()
        for call in (lambda: unreachable.save("k", io.BytesIO(b"x")), lambda: unreachable.open("k")):
            with pytest.raises(StorageError) as caught:
                call()
            assert type(caught.value) is StorageError and "127.0.0.1:9" in str(caught.value)
    with pytest.raises(ObjectNotFound):
        storage.download_url("cases/none/none", "a.pdf", None)


def test_a_missing_bucket_is_a_storage_error_not_a_missing_file(
    storage: Storage, settings: dict[str, Any]
) -> None:
    s3_client(settings["S3_ENDPOINT_URL"]).delete_bucket(Bucket=settings["S3_BUCKET"])
    with pytest.raises(StorageError, match="NoSuchBucket") as caught:
        storage.open("cases/c/f")
    assert not isinstance(caught.value, ObjectNotFound)


@pytest.mark.parametrize("path", ["/api/cases", "/cases/new"])
def test_an_upload_while_storage_is_down_is_a_503_and_saves_nothing(broken_app: Flask, path: str) -> None:
    client = broken_app.test_client()
    data = {
        "details": "d",
        "due_date": due_in(5),
        "form_token": "8d5e7a35-31c4-4b52-9d1e-7c2a0f6c1a11",
        "files": [(io.BytesIO(b"text"), "a.txt")],
    }
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 503
    assert "File storage is unavailable right now." in response.get_data(as_text=True)
    with broken_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
