"""Database setup: SQLAlchemy session per app context, Alembic migrations, SQLite tuned for a few
processes at once (WAL, busy timeout)."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT
from app.models import db

migrate = Migrate(directory=str(PROJECT_ROOT / "migrations"))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def init_app(app: Flask) -> None:
    options = {"pool_pre_ping": True}
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Worker threads hold a connection only briefly (never across an AI call), but many run at once.
        options.update(pool_size=10, max_overflow=20)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    db.init_app(app)
    migrate.init_app(app, db)
