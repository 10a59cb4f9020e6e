"""The `Storage` interface, the same tests on `local` and on `s3` (moto's server over HTTP)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from app.storage import ObjectNotFound, Storage, StorageError, get_storage
from tests.storage.conftest import MB, Generated, keys, s3_client, sha256_of


def test_saved_bytes_come_back_as_a_closeable_stream(storage: Storage) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 100
    storage.save("cases/c1/f1", io.BytesIO(data))
    with storage.open("cases/c1/f1") as stream:
        assert stream.readable()
        assert stream.read(9) == b"%PDF-1.7\n"
        assert stream.read() == data[9:]
    assert stream.closed


def test_exists_and_delete(storage: Storage) -> None:
    storage.save("cases/c1/f1", io.BytesIO(b"one"))
    assert storage.exists("cases/c1/f1")
    storage.delete("cases/c1/f1")
    assert not storage.exists("cases/c1/f1")
    storage.delete("cases/c1/f1")  # deleting what is gone is not an error


def test_a_missing_object_is_object_not_found(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        storage.open("cases/nope/nope")
    assert not storage.exists("cases/nope/nope")


def test_a_large_upload_streams_in_parts_and_reads_back_identical(
    storage: Storage, backend: str, settings: dict[str, Any]
) -> None:
    source = Generated(26 * MB)
    storage.save("cases/big/file", source)
    with storage.open("cases/big/file") as stream:
        assert sha256_of(stream) == source.sha256.hexdigest()
    [stored] = storage.list_objects("cases/big/")
    assert stored.size == 26 * MB
    if backend == "s3":
        head = s3_client(settings["S3_ENDPOINT_URL"]).head_object(
            Bucket=settings["S3_BUCKET"], Key=stored.key
        )
        # A multipart object's ETag ends in "-<number of parts>": 26 MB in 8 MB parts is 4.
        assert head["ETag"].strip('"').endswith("-4")


def test_objects_are_listed_by_prefix(storage: Storage) -> None:
    for key in ("cases/a/1", "cases/a/2", "cases/ab/3", "cases/b/4"):
        storage.save(key, io.BytesIO(key.encode()))
    assert keys(storage, "cases/a/") == ["cases/a/1", "cases/a/2"]
    assert [(s.key, s.size) for s in storage.list_objects("cases/b/")] == [("cases/b/4", 9)]
    assert keys(storage, "cases/") == ["cases/a/1", "cases/a/2", "cases/ab/3", "cases/b/4"]


def test_check_writes_reads_and_removes_a_probe(storage: Storage) -> None:
    storage.check()
    assert keys(storage) == []


def test_check_fails_with_our_error_when_storage_is_unreachable(broken_app: Flask) -> None:
    with broken_app.app_context(), pytest.raises(StorageError):
        get_storage().check()
