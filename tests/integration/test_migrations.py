"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.models import db
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def check_upgrade(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, DATABASE_URL=database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"cases", "case_files", "case_events"} <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert "cases" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    check_upgrade(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)


def test_migrations_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    check_upgrade(postgres_url, tmp_path)
