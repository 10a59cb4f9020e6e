"""The data model: a case, its files and its timeline (DESIGN.md component 5)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite drops the zone on its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


class CaseStatus:
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    FINAL = (COMPLETED, FAILED)


class FileStatus:
    PENDING = "pending"  # known (e.g. a Slack file reference) but not yet in our storage
    STORED = "stored"
    EXTRACTED = "extracted"
    UNREADABLE = "unreadable"


class Case(db.Model):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(sa.String(20), default=CaseStatus.SUBMITTED, index=True)
    # What the worker is doing now, shown on the page ("summarizing — AI call retrying, 2 of 5").
    step: Mapped[str | None] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    details: Mapped[str] = mapped_column(sa.Text)
    due_date: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(10))  # slack | web | api
    requester_name: Mapped[str | None] = mapped_column(sa.String(200))
    slack_user_id: Mapped[str | None] = mapped_column(sa.String(40))
    slack_team_id: Mapped[str | None] = mapped_column(sa.String(40))
    slack_channel_id: Mapped[str | None] = mapped_column(sa.String(40))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Fingerprint of the request body behind the idempotency key: same key + other body = conflict.
    request_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Identifies the worker run that holds the lease; results from a run that lost it are dropped.
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a case waiting for another attempt may be picked up again (backoff).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ai_model: Mapped[str | None] = mapped_column(sa.String(100))
    ai_prompt_tokens: Mapped[int | None] = mapped_column(sa.Integer)
    ai_completion_tokens: Mapped[int | None] = mapped_column(sa.Integer)
    slack_response_url: Mapped[str | None] = mapped_column(sa.Text)
    slack_post_channel: Mapped[str | None] = mapped_column(sa.String(40))
    slack_message_ts: Mapped[str | None] = mapped_column(sa.String(40))
    link_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    files: Mapped[list[CaseFile]] = relationship(
        back_populates="case", order_by="CaseFile.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_final(self) -> bool:
        return self.status in CaseStatus.FINAL

    @property
    def display_title(self) -> str:
        return self.title or _first_line(self.details)


class CaseFile(db.Model):
    __tablename__ = "case_files"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    name: Mapped[str] = mapped_column(sa.String(255))
    storage_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(120))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    origin: Mapped[str] = mapped_column(sa.String(10), default="upload")  # upload | slack
    slack_file_id: Mapped[str | None] = mapped_column(sa.String(40))
    slack_url: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=FileStatus.STORED)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    pages: Mapped[int | None] = mapped_column(sa.Integer)
    extraction_method: Mapped[str | None] = mapped_column(sa.String(40))
    text_chars: Mapped[int | None] = mapped_column(sa.Integer)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="files")


class CaseEvent(db.Model):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.Text)

    case: Mapped[Case] = relationship(back_populates="events")


def _first_line(text: str, limit: int = 80) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "Untitled case"
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
