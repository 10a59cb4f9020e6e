"""Fixtures: a test app built by the factory, its client, and the real services for integration tests.

Integration and browser tests need PostgreSQL, Redis and Chromium. They are skipped with the reason
when one is missing, except where DOCKET_REQUIRE_SERVICES=1 (CI), which turns a missing service
into a failure so nothing is silently left untested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.models import db

REQUIRE_SERVICES = os.environ.get("DOCKET_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def missing_service(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (DOCKET_REQUIRE_SERVICES=1: services must be present)")
    pytest.skip(reason)


def due_in(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def make_settings(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'docket.db'}",
        "STORAGE_DIR": str(tmp_path / "files"),
        "REDIS_URL": "stub://",
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(extra)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return make_settings(tmp_path)


@contextmanager
def running_app(settings: dict[str, Any]) -> Iterator[Flask]:
    """An app built by the factory with its tables created; its connections closed afterwards."""
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    with running_app(settings) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped at the end."""
    import psycopg

    name = f"docket_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        missing_service(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def tesseract() -> None:
    """OCR tests need the tesseract binary (Debian package tesseract-ocr)."""
    from app.extract import ocr_available

    if not ocr_available():
        missing_service("tesseract is not installed (apt-get install tesseract-ocr)")


@pytest.fixture
def redis_settings() -> Iterator[dict[str, str]]:
    """A real Redis (database 15) with queues of this test's own, removed afterwards: test runs
    side by side on one machine never take each other's messages."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        missing_service(f"Redis not reachable at {TEST_REDIS_URL}: {exc}")
    namespace = f"docket-test-{uuid.uuid4().hex[:12]}"
    yield {"REDIS_URL": TEST_REDIS_URL, "REDIS_NAMESPACE": namespace}
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)
    client.close()
