"""What operators use on both backends: `/readyz`, `flask storage check` and `flask storage cleanup`."""

from __future__ import annotations

import io
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.storage import Storage, case_file_key
from tests.conftest import running_app
from tests.storage.conftest import keys, post_case


def test_readyz_reports_each_part_ready(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "ready": True,
        "database": {"ok": True, "message": "ok"},
        "broker": {"ok": True, "message": "ok"},
        "storage": {"ok": True, "message": "ok"},
    }


def test_readyz_is_503_and_names_the_part_when_storage_is_unreachable(broken_app: Flask) -> None:
    response = broken_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["ready"] is False
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert not body["storage"]["ok"] and body["storage"]["message"].startswith("StorageError: ")


def test_readyz_is_503_when_the_broker_is_down(settings: dict[str, Any]) -> None:
    with running_app(settings | {"REDIS_URL": "redis://127.0.0.1:9/0"}) as app:
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["storage"]["ok"] and not body["broker"]["ok"]
    assert body["broker"]["message"].startswith("ConnectionError: ")


def test_storage_check_command(app: Flask, backend: str) -> None:
    result = app.test_cli_runner().invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert "is reachable and writable" in result.output


def test_storage_check_command_fails_with_the_reason(broken_app: Flask) -> None:
    result = broken_app.test_cli_runner().invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert "is not usable:" in result.output


def test_cleanup_removes_only_objects_of_cases_that_do_not_exist(
    app: Flask, client: FlaskClient, storage: Storage
) -> None:
    kept = post_case(client, [(b"a real file", "real.txt")])
    orphan = case_file_key(str(uuid.uuid4()), str(uuid.uuid4()))
    storage.save(orphan, io.BytesIO(b"left over by a crash"))
    runner = app.test_cli_runner()

    young = runner.invoke(args=["storage", "cleanup"])
    assert "removed 0 objects" in young.output  # the default leaves anything under an hour old alone

    dry = runner.invoke(args=["storage", "cleanup", "--older-than", "0", "--dry-run"])
    assert f"would remove {orphan} (20 bytes)" in dry.output
    assert orphan in keys(storage)

    done = runner.invoke(args=["storage", "cleanup", "--older-than", "0"])
    assert done.exit_code == 0 and "removed 1 object (20 bytes)" in done.output
    assert keys(storage) == [f"cases/{kept['id']}/{kept['files'][0]['id']}"]
