"""Every test in this folder runs twice: on the `local` backend and on `s3`.

The s3 runs talk HTTP to moto's S3 server, started once per test session in a thread on a free
port; each test gets a bucket of its own. boto sees fake credentials and no AWS settings from this
machine (no profile, no config files, no endpoint variables), whatever the environment holds.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from moto.server import ThreadedMotoServer

from app.s3storage import client_config
from app.storage import Storage, get_storage
from tests.conftest import due_in, make_settings, running_app

MB = 1024 * 1024


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "docket-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "docket-test-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def s3_client(endpoint: str) -> Any:
    """A plain boto client for what the tests set up or inspect behind the app's back."""
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=client_config(custom_endpoint=True)
    )


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def backend_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "local":
        return make_settings(tmp_path)
    endpoint = request.getfixturevalue("s3_endpoint")  # moto starts only when an s3 test runs
    bucket = f"docket-test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return make_settings(tmp_path, STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=endpoint)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return backend_settings(backend, tmp_path, request)


@pytest.fixture
def storage(ctx: Flask) -> Storage:
    return get_storage()


def unreachable_storage(backend: str, tmp_path: Path) -> dict[str, Any]:
    """Storage that cannot work: a closed port for s3; for local, a folder path that is a file."""
    if backend == "s3":
        return make_settings(
            tmp_path, STORAGE_BACKEND="s3", S3_BUCKET="docket", S3_ENDPOINT_URL="http://127.0.0.1:9"
        )
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    return make_settings(tmp_path, STORAGE_DIR=str(blocker / "files"))


@pytest.fixture
def broken_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    with running_app(unreachable_storage(backend, tmp_path)) as app:
        yield app


def post_case(client: FlaskClient, files: list[tuple[bytes, str]]) -> dict[str, Any]:
    """Create a case through the JSON API with these (content, name) files."""
    response = client.post(
        "/api/cases",
        data={
            "details": "Review the supply agreement.",
            "due_date": due_in(9),
            "files": [(io.BytesIO(content), name) for content, name in files],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


class Generated(io.RawIOBase):
    """`size` pseudo-random bytes made as they are read, hashed on the way: large test files
    without holding them in memory. Not seekable, like a network stream."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self._left = size
        self._random = random.Random(seed)
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._left)
        data = self._random.randbytes(count)
        buffer[:count] = data
        self.sha256.update(data)
        self._left -= count
        return count


class BreaksMidway(io.BytesIO):
    """An upload whose source fails partway through (a client that goes away, a disk error)."""

    def __init__(self, data: bytes, fail_at: int) -> None:
        super().__init__(data)
        self._fail_at = fail_at

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self._fail_at:
            raise ConnectionResetError("the upload stopped")
        return super().read(size)


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(MB):
        digest.update(chunk)
    return digest.hexdigest()


def keys(storage: Storage, prefix: str = "") -> list[str]:
    return sorted(stored.key for stored in storage.list_objects(prefix))
